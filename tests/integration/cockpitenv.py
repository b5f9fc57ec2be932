"""The real Cockpit web console on loopback, driven by a real headless Chromium (R11.2).

Cockpit runs PAM in the setuid-root cockpit-session, which clears its environment:
DBUS_SYSTEM_BUS_ADDRESS, NSS_WRAPPER_* and PAM_WRAPPER_* never reach the module. So
cockpit-ws runs in a private mount namespace (`unshare -m --propagation private`)
where
  /etc/passwd, /etc/group, /etc/shadow  the harness's users (same uids as regsd's
                                        nss_wrapper files), passwords "pw-<user>"
  /etc/pam.d                            a directory with `cockpit` (the stack under
                                        test, the module by absolute path) and `other`
  /run                                  a tmpfs whose dbus/system_bus_socket is a
                                        symlink to the harness's private bus, and
                                        regsd/regsd.sock one to regsd's direct socket
  /var/log/{btmp,wtmp,lastlog}          /dev/null (cockpit-session logs logins there)
and is started as `/usr/lib/cockpit/cockpit-ws --no-tls --port PORT --address
127.0.0.1`. Nothing outside the namespace changes. Chromium (outside) reaches it
over TCP.

    ws = Cockpit(env, pam_stack_text)   # writes the files, starts cockpit-ws
    b = Browser(shot_dir)               # headless Chromium through selenium
    b.login(ws.url, user, password)     # the login form; returns b.state()
    b.answer("123456")                  # the conversation form; returns b.state()
    b.shot("name")                      # a PNG in shot_dir
    ws.stop(); b.quit()

unavailable() says why the real parts cannot run here (not root, a missing binary or
module), or None.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

WS = "/usr/lib/cockpit/cockpit-ws"
SESSION = "/usr/lib/cockpit/cockpit-session"
BRIDGE = "/usr/bin/cockpit-bridge"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def unavailable(module=None):
    """Why Cockpit + Chromium cannot run here, or None."""
    if module and _asan_built(module):
        return ("pam_regs.so is built with AddressSanitizer, whose runtime cannot be "
                "loaded into the uninstrumented setuid cockpit-session")
    if os.geteuid() != 0:
        return "needs root (a mount namespace for the setuid cockpit-session)"
    for path, pkg in ((WS, "cockpit-ws"), (SESSION, "cockpit-ws"), (BRIDGE, "cockpit-bridge"),
                      ("/usr/share/cockpit/shell/manifest.json", "cockpit-system"),
                      (CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.exists(path):
            return "%s not found (Debian package %s)" % (path, pkg)
    if not shutil.which("unshare"):
        return "unshare not found (util-linux)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed"
    return None


def _asan_built(module):
    try:
        out = subprocess.run(["nm", "-D", module], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "__asan_init" in out


def _sha512_crypt(password):
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password,
                         capture_output=True, text=True, check=True).stdout
    return out.strip()



NS_SCRIPT = r"""
set -e
d="$1"; port="$2"
mount --bind "$d/passwd" /etc/passwd
mount --bind "$d/group" /etc/group
mount --bind "$d/shadow" /etc/shadow
mount --bind "$d/pam.d" /etc/pam.d
mount -t tmpfs -o mode=755 cockpit-test-run /run
mkdir -p /run/dbus
ln -s "$d/../bus" /run/dbus/system_bus_socket
mkdir -p /run/regsd
ln -s "$d/../regsd.sock" /run/regsd/regsd.sock
for f in /var/log/btmp /var/log/wtmp /var/log/lastlog; do
    if [ -e "$f" ]; then mount --bind /dev/null "$f"; fi
done
echo NAMESPACE-READY >&2
exec /usr/lib/cockpit/cockpit-ws --no-tls --port "$port" --address 127.0.0.1
"""


class Cockpit:
    """cockpit-ws in its own mount namespace, for the harness Env env."""

    def __init__(self, env, pam_text):
        self.env = env
        self.dir = env.path("cockpit")
        self.proc = None
        self.port = None
        os.makedirs(os.path.join(self.dir, "pam.d"), exist_ok=True)
        self._write_accounts()
        self.set_stack(pam_text)
        self.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def _write_accounts(self):
        shutil.copy(self.env.path("passwd"), os.path.join(self.dir, "passwd"))
        shutil.copy(self.env.path("group"), os.path.join(self.dir, "group"))
        # One hash for every user would do, but the password of each is its own.
        lines = []
        wanted = [u for u in self.env.users if u == "root" or not u.startswith("user")
                  or int(u[4:]) <= 12]
        for name in self.env.users:
            h = _sha512_crypt(self.env.password(name)) if name in wanted else "!"
            lines.append("%s:%s:19000:0:99999:7:::\n" % (name, h))
        path = os.path.join(self.dir, "shadow")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.writelines(lines)
        for n in ("passwd", "group"):
            os.chmod(os.path.join(self.dir, n), 0o644)

    def set_stack(self, pam_text):
        """Writes /etc/pam.d/cockpit as cockpit-session will read it (read at each login)."""
        with open(os.path.join(self.dir, "pam.d", "cockpit"), "w") as f:
            f.write(pam_text)
        with open(os.path.join(self.dir, "pam.d", "other"), "w") as f:
            f.write("auth required pam_deny.so\naccount required pam_deny.so\n"
                    "password required pam_deny.so\nsession required pam_deny.so\n")

    def start(self, timeout=20):
        self.port = harness.free_port()
        log = open(os.path.join(self.dir, "cockpit-ws.log"), "ab")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", NS_SCRIPT,
             "cockpit-ns", self.dir, str(self.port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        import socket
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("cockpit-ws exited (%s):\n%s" % (self.proc.returncode,
                                                                    self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("cockpit-ws did not listen within %ss:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(os.path.join(self.dir, "cockpit-ws.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """Ends cockpit-ws and everything it started (sessions, bridges): its process group."""
        p = self.proc
        self.proc = None
        if not p:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            try:
                p.wait(5)
                break
            except subprocess.TimeoutExpired:
                continue
        # Sessions and bridges run as other users in their own process groups
        # (cockpit-session calls setsid): end those whose parent chain leads here.
        _kill_descendants(p.pid)


def _kill_descendants(root_pid):
    for pid in harness.descendants(root_pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Browser:
    """Headless Chromium through chromedriver; one for a test file."""

    def __init__(self, shot_dir):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.shot_dir = shot_dir
        os.makedirs(shot_dir, exist_ok=True)
        self.shots = []
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1000,1100", "--lang=en-US", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking"):
            opts.add_argument(a)
        self.service = Service(CHROMEDRIVER, log_output=os.path.join(shot_dir, "chromedriver.log")) \
            if _service_takes_log_output() else Service(CHROMEDRIVER)
        self.driver = webdriver.Chrome(service=self.service, options=opts)
        self.driver.set_page_load_timeout(30)

    def quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass

    def shot(self, name):
        path = os.path.join(self.shot_dir, "%02d-%s.png" % (len(self.shots) + 1, name))
        self.driver.save_screenshot(path)
        self.shots.append(path)
        return path

    def _js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def state(self):
        """What the page shows now: kind in login / prompt / error / shell / fatal / loading,
        with the texts a user reads."""
        return self._js(STATE_JS)

    def wait(self, pred, timeout=30, what="page"):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.state()
            if pred(st):
                return st
            time.sleep(0.1)
        raise AssertionError("%s: timed out; the page shows %r" % (what, st))

    def wait_settled(self, previous_serial=None, timeout=30):
        """Waits until the page shows a form again (a prompt, an error, the shell or a fatal
        text) after an answer was sent."""
        return self.wait(lambda s: s["kind"] == "fatal" or s["kind"] in ("prompt", "error", "shell")
                         and not s["busy"] and s["serial"] != previous_serial,
                         timeout, "waiting for Cockpit's answer")

    def login(self, url, user, password, timeout=30):
        self.driver.delete_all_cookies()
        self.driver.get(url)
        self.wait(lambda s: s["kind"] == "login", timeout, "login form")
        before = self._js("return window.__regsSerial || 0")
        self._js(MARK_JS)
        d = self.driver
        d.find_element("id", "login-user-input").send_keys(user)
        d.find_element("id", "login-password-input").send_keys(password)
        d.find_element("id", "login-button").click()
        return self.wait_settled(before, timeout)

    def answer(self, text, timeout=30):
        serial = self.state()["serial"]
        el = self.driver.find_element("id", "conversation-input")
        el.clear()
        el.send_keys(text)
        self.driver.find_element("id", "login-button").click()
        return self.wait_settled(serial, timeout)


def _service_takes_log_output():
    import inspect
    from selenium.webdriver.chrome.service import Service
    return "log_output" in inspect.signature(Service.__init__).parameters


# Each new conversation form gets a serial number, so a test knows the page moved on
# even when two prompts read the same.
MARK_JS = r"""
if (!window.__regsObserver) {
    window.__regsSerial = window.__regsSerial || 0;
    const bump = () => { window.__regsSerial++; };
    window.__regsObserver = new MutationObserver(bump);
    for (const id of ["conversation-prompt", "conversation-message", "login-error-message",
                      "login-fatal-message"]) {
        const el = document.getElementById(id);
        if (el) window.__regsObserver.observe(el, {childList: true, characterData: true,
                                                   subtree: true});
    }
    const btn = document.getElementById("login-button");
    if (btn) window.__regsObserver.observe(btn, {attributes: true});
}
"""

STATE_JS = r"""
const el = (id) => document.getElementById(id);
const shown = (e) => !!e && !e.hidden && e.offsetParent !== null;
const text = (id) => { const e = el(id); return e && shown(e) ? e.innerText : ""; };
const st = {kind: "loading", prompt: "", message: "", error: "", fatal: "", body: "",
            busy: false, serial: window.__regsSerial || 0, url: location.href,
            title: document.title, echo: null};
st.body = document.body ? document.body.innerText : "";
const btn = el("login-button");
st.busy = !!btn && btn.hasAttribute("spinning");
if (el("login")) {
    st.error = text("login-error-message");
    st.fatal = text("login-fatal-message");
    if (shown(el("login-fatal")) || (st.fatal && !shown(el("login")))) {
        st.kind = "fatal";
    } else if (shown(el("conversation-group"))) {
        st.kind = "prompt";
        st.prompt = el("conversation-prompt").innerText;
        st.message = text("conversation-message");
        st.echo = el("conversation-input").type === "text";
        if (st.error) st.kind = "prompt";
    } else if (shown(el("user-group")) && st.error) {
        st.kind = "error";
    } else if (shown(el("user-group"))) {
        st.kind = "login";
    }
} else if (document.querySelector("#hosts-sel, nav, #nav-system, .pf-c-page, iframe")) {
    st.kind = "shell";
}
return st;
"""
