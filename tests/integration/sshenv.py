"""A real OpenSSH sshd and the real ssh client for the integration tests.

    sshd = sshenv.Sshd(env)            # env: a started harness.Env
    sshd.start()                       # also stopped by env's cleanup
    r = sshd.ssh("user4", [("Password:", env.password("user4")),
                           ("OTP code", code)])
    r.ok, r.text, r.prompts, r.extra_prompts, r.rc

Why a private mount namespace and not pam_wrapper + nss_wrapper: sshd is
the real program of a real site here, with the real libpam, the real
pam_unix.so checking a real /etc/shadow (yescrypt/sha512 hashes made at
test time) and the documented stack of data/pam.d/sshd read from
/etc/pam.d/sshd, which is exactly what an administrator installs. sshd
runs as root under `unshare -m --propagation private` with the test's own
files bind-mounted over /etc/passwd, /etc/group, /etc/shadow and /etc/pam.d
(the system's files are never touched and nothing leaks out of the
namespace), a tmpfs on /run/regsd whose regsd.sock points at regsd's direct socket,
and a tmpfs on /run/dbus whose system_bus_socket points at the
test's private dbus-daemon, so pam_regs.so reaches regsd on the default
system-bus path with no environment variable (sshd gives PAM a clean
environment anyway). Under pam_wrapper + nss_wrapper instead, sshd's
privilege-separated child (chroot to /run/sshd, setuid to `sshd`), its
re-exec and the session's setuid all run with preloaded wrappers, and the
password would be checked by pam_matrix, not pam_unix.

The users are the harness's (same names and uids, so regsd and sshd agree),
plus `sshd` for privilege separation; every password is env.password(user).
The sshd_config is written fresh: its own ed25519 host key, a free port
on 127.0.0.1, UsePAM yes, KbdInteractiveAuthentication yes,
PasswordAuthentication no, PidFile none; Sshd(options={...}) overrides or
adds keywords (e.g. AuthorizedKeysCommand, AuthenticationMethods) and
extra_lines are appended at the end (Match blocks). binds=[(src, dst)]
bind-mounts more files inside the namespace (dst must exist), e.g. a
regsctl at a root-owned path for AuthorizedKeysCommand, whose path sshd
requires to be root-owned and not writable by others all the way up.

ssh() runs the real /usr/bin/ssh (-F /dev/null, no known-hosts file) on a
pty with python3-pexpect, answers the prompts given as steps, and returns
everything the user saw. ssh(..., key=PATH) starts an ssh-agent holding
that private key and offers public-key authentication with it.
"""

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SSHD = "/usr/sbin/sshd"
SSH = "/usr/bin/ssh"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
SSH_AGENT = "/usr/bin/ssh-agent"
SSH_ADD = "/usr/bin/ssh-add"
PRIVSEP_DIR = "/run/sshd"
SSHD_UID = 74  # the privilege-separation user inside the namespace
MARK = "REGS-SSH-LOGGED-IN"

# What Debian 12's pam-auth-update writes (pam_unix only).
COMMON = {
    "common-account": "account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\n"
                      "account requisite pam_deny.so\naccount required pam_permit.so\n",
    "common-session": "session [default=1] pam_permit.so\nsession requisite pam_deny.so\n"
                      "session required pam_permit.so\nsession required pam_unix.so\n",
    "common-password": "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n"
                       "password requisite pam_deny.so\npassword required pam_permit.so\n",
    "common-auth": "auth [success=1 default=ignore] pam_unix.so nullok\n"
                   "auth requisite pam_deny.so\nauth required pam_permit.so\n",
    "other": "auth required pam_deny.so\naccount required pam_deny.so\n"
             "password required pam_deny.so\nsession required pam_deny.so\n",
}


def missing():
    """Why the real sshd cannot run here (for a TAP skip), or None."""
    for p in (SSHD, SSH, SSH_KEYGEN, shutil.which("unshare") or "/usr/bin/unshare"):
        if not os.access(p, os.X_OK):
            return "%s is not installed (Debian: openssh-server, openssh-client)" % p
    try:
        import pexpect  # noqa: F401
    except ImportError:
        return "python3-pexpect is not installed"
    if os.geteuid() != 0:
        return "the real sshd needs root (a private mount namespace, setuid to the user)"
    return None


def instrumented(module):
    """True when module was built with the sanitizers (tests/sanitize.sh): it needs the
    sanitizer runtime of an instrumented program and cannot load into the system's sshd."""
    p = subprocess.run(["nm", "-D", "--undefined-only", module], capture_output=True,
                       text=True, timeout=30)
    return "__asan_" in p.stdout or "__ubsan_" in p.stdout


def start_or_skip(env, **kw):
    """A started Sshd for env (see Sshd), or a TAP skip naming what is missing."""
    why = missing()
    module = kw.get("module") or env.module
    if not why and instrumented(module):
        why = ("%s is built with the sanitizers: it loads only into an instrumented "
               "program, and the system's sshd is not one (pamdrive runs it there)" % module)
    if why:
        harness.skip(why)
    return Sshd(env, **kw).start()



def documented_stack(module):
    """data/pam.d/sshd as shipped, pam_regs.so at the build's absolute path."""
    with open(os.path.join(harness.SRCDIR, "data", "pam.d", "sshd")) as f:
        text = f.read()
    return re.sub(r"(?<![\w/.])pam_regs\.so", module, text)


class SshResult:
    """What the ssh client showed. text: the whole pty output (\\r removed);
    prompts: the last line of every prompt answered by a step, in order; screens:
    for each of them, all the user saw since the answer before (the text the
    prompt came with, the prompt itself); extra_prompts: prompts
    no step expected (answered with an empty line); ok: the remote command
    ran (the user was logged in); rc: the client's exit status."""

    def __init__(self, text, prompts, extra_prompts, rc, timed_out):
        self.text, self.prompts, self.extra_prompts = text, prompts, extra_prompts
        self.rc, self.timed_out = rc, timed_out
        self.screens = []
        self.ok = re.search(r"^%s-\S+$" % MARK, text, re.M) is not None

    def lines(self):
        return [l for l in self.text.split("\n") if l.strip()]

    def __str__(self):
        return "--- ssh rc=%s timed_out=%s extra_prompts=%r, the user saw:\n%s" % (
            self.rc, self.timed_out, self.extra_prompts, self.text)


class Sshd:
    def __init__(self, env, options=None, extra_lines=(), binds=(), pam_sshd=None,
                 log_level="VERBOSE", module=None, lang="C"):
        """module: the pam_regs.so the stack names (default env.module; the
        test copy tests/.libs/pam_regs_test.so reads tests/locale); lang: sshd's
        own LANG, which pam_regs falls back to when PAM has none."""
        self.env = env
        self.module = module or env.module
        self.lang = lang
        self.options = dict(options or {})
        self.extra_lines = list(extra_lines)
        self.binds = list(binds)
        self.pam_sshd = pam_sshd  # text of /etc/pam.d/sshd; default: the documented stack
        self.log_level = log_level
        self.port = None
        self.proc = None
        self.dir = env.path("sshd")
        self._orig_cleanup = None

    # -- files
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def _write_users(self):
        env = self.env
        users = [(n, u) for n, u in env.users.items()]
        with open(env.path("passwd")) as f:
            passwd = f.read()
        passwd += "sshd:x:%d:65534::%s:/usr/sbin/nologin\n" % (SSHD_UID, PRIVSEP_DIR)
        with open(env.path("group")) as f:
            group = f.read()
        group += "nogroup:x:65534:\n"
        pws = [env.password(n) for n, _ in users]
        p = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input="\n".join(pws) + "\n",
                           capture_output=True, text=True, check=True, timeout=30)
        hashes = p.stdout.split()
        harness.check(len(hashes) == len(users), "openssl passwd: %r" % p.stderr)
        days = int(time.time() // 86400)
        shadow = "".join("%s:%s:%d:0:99999:7:::\n" % (n, h, days)
                         for (n, _), h in zip(users, hashes))
        shadow += "sshd:*:%d:0:99999:7:::\n" % days
        for name, text, mode in (("passwd", passwd, 0o644), ("group", group, 0o644),
                                 ("shadow", shadow, 0o640)):
            with open(self.path(name), "w") as f:
                f.write(text)
            os.chmod(self.path(name), mode)

    def _write_pam(self):
        d = self.path("pam.d")
        os.makedirs(d, exist_ok=True)
        files = dict(COMMON)
        files["sshd"] = self.pam_sshd or documented_stack(self.module)
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(d, name), 0o644)

    def write_pam(self, text):
        """Replaces /etc/pam.d/sshd (read by sshd at each new connection)."""
        self.pam_sshd = text
        self._write_pam()

    def config(self):
        opts = {
            "ListenAddress": "127.0.0.1",
            "HostKey": self.path("host_ed25519"),
            "PidFile": "none",
            "UsePAM": "yes",
            "KbdInteractiveAuthentication": "yes",
            "PasswordAuthentication": "no",
            "PubkeyAuthentication": "yes",
            "PermitRootLogin": "no",
            "UseDNS": "no",
            "LogLevel": self.log_level,
            "PrintMotd": "no",
            "PrintLastLog": "no",
            "AcceptEnv": "LANG LC_*",
            "LoginGraceTime": "60",
            "MaxStartups": "50",
        }
        opts.update(self.options)
        lines = ["# written by tests/integration/sshenv.py"]
        lines += ["%s %s" % (k, v) for k, v in opts.items() if v is not None]
        return "\n".join(lines + self.extra_lines) + "\n"

    # -- the daemon
    def start(self, timeout=15):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        if not os.path.isdir(PRIVSEP_DIR):
            os.makedirs(PRIVSEP_DIR, mode=0o755, exist_ok=True)
        key = self.path("host_ed25519")
        if not os.path.exists(key):
            subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", key],
                           check=True, timeout=30)
        self._write_users()
        self._write_pam()
        with open(self.path("sshd_config"), "w") as f:
            f.write(self.config())
        if self._orig_cleanup is None:  # stop sshd before the environment goes
            self._orig_cleanup = self.env.cleanup
            self.env.cleanup = self._cleanup
        t = self.env.tmp
        mounts = ["mount --bind %s/passwd /etc/passwd" % self.dir,
                  "mount --bind %s/group /etc/group" % self.dir,
                  "mount --bind %s/shadow /etc/shadow" % self.dir,
                  "mount --bind %s/pam.d /etc/pam.d" % self.dir,
                  "mkdir -p /run/dbus",
                  "mount -t tmpfs -o mode=0755,size=64k regs-test-dbus /run/dbus",
                  "ln -s %s/bus /run/dbus/system_bus_socket" % t,
                  "mkdir -p /run/regsd",
                  "mount -t tmpfs -o mode=0755,size=64k regs-test-regsd /run/regsd",
                  "ln -s %s/regsd.sock /run/regsd/regsd.sock" % t]
        mounts += ["mount --bind '%s' '%s'" % (s, d) for s, d in self.binds]
        for attempt in range(3):
            self.port = harness.free_port()
            script = "set -e\n%s\nexec %s -D -e -f %s -p %d\n" % (
                "\n".join(mounts), SSHD, self.path("sshd_config"), self.port)
            log = open(self.path("sshd.log"), "ab")
            penv = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": self.lang}
            self.proc = subprocess.Popen(
                ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=penv,
                start_new_session=True)
            log.close()
            deadline = time.monotonic() + harness.slow(timeout)
            while time.monotonic() < deadline and self.proc.poll() is None:
                if "Server listening on 127.0.0.1 port %d" % self.port in self.log():
                    return self
                time.sleep(0.05)
            self.stop()
            if "Address already in use" not in self.log():
                break
        raise RuntimeError("sshd did not start:\n" + self.log()[-3000:])

    def stop(self):
        """Ends the listener and every connection process it forked (each connection
        runs in a session of its own, so they are found by parent, not by group)."""
        p, self.proc = self.proc, None
        if not p:
            return
        kids = harness.descendants(p.pid)
        for pid in [p.pid] + kids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        for pid in kids + harness.descendants(p.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _cleanup(self):
        self.stop()
        self._orig_cleanup()

    def restart(self):
        self.stop()
        return self.start()

    def log(self):
        try:
            with open(self.path("sshd.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=25):
        return "--- sshd.log (tail):\n" + "\n".join(self.log().splitlines()[-n:])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- the client
    def ssh_command(self, user, options=None, default_client=False, command=None):
        """The ssh argument list. default_client: only what any user types
        (no PreferredAuthentications)."""
        cmd = [SSH, "-F", "/dev/null", "-p", str(self.port),
               "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=INFO"]
        options = dict(options or {})
        if not default_client:
            options.setdefault("PreferredAuthentications", "keyboard-interactive")
        for k, v in options.items():
            cmd += ["-o", "%s=%s" % (k, v)]
        cmd += ["%s@127.0.0.1" % user, command or ("echo " + MARK + "-$(id -un)")]
        return cmd

    def ssh(self, user, steps=(), options=None, default_client=False, command=None,
            key=None, lang="C.UTF-8", timeout=30, idle=1.5, max_extra=3):
        """Runs the real ssh client as a user at a terminal would.

        steps: [(text, answer)]; when text (a str, or a compiled regex) shows
        after the previous match, answer (a str, or a callable given the text
        so far) is typed followed by Enter. After the last step, a prompt no
        step expected (output that stops without a newline for idle seconds)
        is recorded in extra_prompts and answered with an empty line, at most
        max_extra times. key: a private key file held by a fresh ssh-agent,
        offered with public-key authentication."""
        import pexpect
        cenv = {"PATH": "/usr/bin:/bin", "HOME": self.env.path("sshclient"),
                "LANG": lang, "LC_ALL": lang, "TERM": "dumb"}
        os.makedirs(cenv["HOME"], exist_ok=True)
        agent = None
        opts = dict(options or {})
        if key:  # the key first, then the keyboard (publickey,keyboard-interactive)
            agent = self._start_agent(key, cenv)
            opts.setdefault("IdentityAgent", cenv["SSH_AUTH_SOCK"])
            opts.setdefault("PreferredAuthentications", "publickey,keyboard-interactive")
        cmd = self.ssh_command(user, opts, default_client, command)
        seen = io.StringIO()
        child = pexpect.spawn(cmd[0], cmd[1:], env=cenv, encoding="utf-8",
                              codec_errors="replace", dimensions=(50, 250),
                              timeout=harness.slow(timeout))
        child.logfile_read = seen
        prompts, screens, extra, timed_out, mark = [], [], [], False, 0
        deadline = time.monotonic() + harness.slow(timeout)
        try:
            for want, answer in steps:
                pat = want if hasattr(want, "search") else re.escape(want)
                left = max(0.1, deadline - time.monotonic())
                i = child.expect([pat, pexpect.EOF, pexpect.TIMEOUT], timeout=left)
                if i != 0:
                    timed_out = i == 2
                    break
                time.sleep(0.05)  # the rest of the prompt, written with it
                self._read_now(child)
                prompts.append(self._last_line(seen.getvalue()))
                screens.append(self._clean(seen.getvalue()[mark:]))
                mark = len(seen.getvalue())
                if callable(answer):
                    answer = answer(self._clean(seen.getvalue()))
                child.sendline(str(answer))
            else:
                timed_out = self._drain(child, seen, deadline, idle, extra, max_extra)
        finally:
            if not timed_out and child.isalive():
                self._read_now(child)
            child.close(force=True)
            rc = child.exitstatus if child.exitstatus is not None else child.signalstatus
            if agent:
                self._stop_agent(agent)
        r = SshResult(self._clean(seen.getvalue()), prompts, extra, rc, timed_out)
        r.screens = screens
        return r

    @staticmethod
    def _clean(text):
        return text.replace("\r\n", "\n").replace("\r", "")

    @staticmethod
    def _last_line(text):
        return text.replace("\r", "").rsplit("\n", 1)[-1].strip()

    @staticmethod
    def _read_now(child):
        """Reads what is available (into the transcript) without waiting."""
        try:
            while True:
                child.read_nonblocking(65536, timeout=0)
        except Exception:  # pexpect.TIMEOUT or EOF: nothing more now
            pass

    def _drain(self, child, seen, deadline, idle, extra, max_extra):
        """Reads to EOF; answers a prompt no step expected with an empty line.
        Returns True when the client did not end in time."""
        import pexpect
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            i = child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=min(idle, left))
            if i == 0:
                return False
            pending = self._last_line(seen.getvalue())
            if not pending:
                continue  # output ended with a newline: the client is waiting on the server
            if len(extra) >= max_extra:
                return True
            extra.append(pending)
            child.sendline("")

    # -- ssh-agent
    def _start_agent(self, key, cenv):
        sock = self.env.path("sshclient", "agent.%d" % time.monotonic_ns())
        p = subprocess.Popen([SSH_AGENT, "-D", "-a", sock], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=cenv)
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.02)
        cenv["SSH_AUTH_SOCK"] = sock
        r = subprocess.run([SSH_ADD, key], env=cenv, capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            self._stop_agent(p)
            raise RuntimeError("ssh-add %s failed: %s" % (key, r.stderr))
        return p

    @staticmethod
    def _stop_agent(p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def make_key(path, kind="ed25519"):
    """A new unencrypted key pair at path (path.pub has the public key)."""
    subprocess.run([SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-f", path], check=True,
                   timeout=30)
    return path
