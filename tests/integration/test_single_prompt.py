"""R11.3: single-prompt clients (HTTP Basic, RADIUS PAP) log in with the
password and the OTP code typed in one answer, and every rule still holds.

The stack under test (data/pam.d/radiusd, data/pam.d/apache):

    auth    requisite  pam_regs.so split
    auth    [success=1 default=ignore] <password module> (use_first_pass)
    auth    [default=die] pam_regs.so authfail
    auth    required   pam_regs.so otp
    account required   pam_regs.so enrol=refuse

The password module is the real pam_unix with use_first_pass (pam_matrix
always asks for itself), checking sha512-crypt hashes in the test's own shadow
file. The splitting edge cases go through pamdrive under pam_wrapper, in a
mount namespace that binds that shadow over /etc/shadow. The real clients are
the real FreeRADIUS (rlm_pam, PAP queried with radclient) and the real apache2
(mod_authnz_pam behind mod_auth_basic, queried with curl), each on a free
loopback port and started in a private mount namespace (unshare -m) that binds
the test's pam.d, passwd, group and shadow over those in /etc. Both drop root
for the verifier account `dave` (regs.conf's verifier_group) with the group
shadow, as freerad and www-data do on a real host; they reach the test's regsd
through DBUS_SYSTEM_BUS_ADDRESS.
"""

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import harness  # noqa: E402
from harness import check, check_in, skip  # noqa: E402

SPLIT = "login-split"          # pamdrive's service (pam_wrapper)
SPLIT_AFTER_AUTHTOK = "login-split-authtok"
RADIUS_SERVICE = "radius-regs"  # rlm_pam's pam_auth
APACHE_SERVICE = "apache-regs"  # AuthPAMService
LOGIN_SERVICES = (SPLIT, RADIUS_SERVICE, APACHE_SERVICE)
SERVER_USER = "dave"           # in the harness's verifiers group
RADIUS_SECRET = "testing123"
MALFORMED = "followed directly by the 6-digit OTP code"
NEEDS_OTP = "binding cannot be done here"
APACHE_MODULES = "/usr/lib/apache2/modules"
_servers = {}  # name -> Server, stopped at exit
_probed = {}  # what the machine can do, asked once
_answers = []  # every whole answer typed, to look for in the logs


# ---------------------------------------------------------------- the stacks

PASSWORDS = {"user5": "pw-999999"}  # a password that itself ends in digits
SHADOW_GID = 42  # the group "shadow" in the namespace's /etc/group


def password(env, user):
    return PASSWORDS.get(user, env.password(user))


def _stack(env):
    mod, unix = env.module, harness._find_lib("security/pam_unix.so")
    return ("auth requisite %s split\n"
            "auth [success=1 default=ignore] %s use_first_pass\n"
            "auth [default=die] %s authfail\n"
            "auth required %s otp\n"
            "account required %s enrol=refuse\n" % (mod, unix, mod, mod, mod))


def _write_shadow(env):
    """/etc/shadow for pam_unix: sha512-crypt hashes made by openssl, root:shadow 0640."""
    names = sorted(env.users)
    p = subprocess.run(["openssl", "passwd", "-6", "-stdin"], capture_output=True, text=True,
                       input="".join(password(env, n) + "\n" for n in names), timeout=60,
                       check=True)
    hashes = p.stdout.split()
    check(len(hashes) == len(names), "openssl passwd gave %d hashes" % len(hashes))
    today = int(time.time()) // 86400
    with open(env.path("split-shadow"), "w") as f:
        for name, h in zip(names, hashes):
            f.write("%s:%s:%d:0:99999:7:::\n" % (name, h, today))
    os.chown(env.path("split-shadow"), 0, SHADOW_GID)
    os.chmod(env.path("split-shadow"), 0o640)
    with open(env.path("group")) as f, open(env.path("split-group"), "w") as out:
        out.write(f.read() + "shadow:x:%d:%s\n" % (SHADOW_GID, SERVER_USER))
    os.chmod(env.path("split-group"), 0o644)


def _need_namespace():
    """pam_unix reads /etc/shadow, and the servers /etc/pam.d: both only in a private mount
    namespace, which needs root (CAP_SYS_ADMIN)."""
    if "namespace" not in _probed:
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, text=True, timeout=30)
        why = p.stderr.strip() or "exit %d" % p.returncode
        _probed["namespace"] = why if p.returncode else None
    if _probed["namespace"]:
        skip("no private mount namespace (unshare -m as root): %s" % _probed["namespace"])


def _services(env):
    """The split stack with the real pam_unix: for pamdrive in the harness's pam.d, and a
    whole /etc/pam.d for the real clients; both namespaces bind the test's shadow over
    /etc/shadow. Made once per Env."""
    _need_namespace()
    if os.path.exists(env.path("split-shadow")):
        return
    _write_shadow(env)
    # pamdrive (pam_wrapper for pam.d, nss_wrapper for passwd) in a namespace of its own
    # with the test's shadow: pam_unix reads it with getspnam_r, which nss_wrapper leaves
    # to libc.
    wrapper = env.path("pamdrive-shadow")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec unshare -m --propagation private -- sh -c 'mount --bind %s "
                "/etc/shadow && exec \"$@\"' sh %s \"$@\"\n" % (env.path("split-shadow"),
                                                             env.pamdrive))
    os.chmod(wrapper, 0o755)
    with open(env.path("pam.d", SPLIT), "w") as f:
        f.write(_stack(env))
    # A module before split that already read the answer into PAM_AUTHTOK (pam_unix asks
    # "Password: " and keeps it, though the whole answer is not the password).
    with open(env.path("pam.d", SPLIT_AFTER_AUTHTOK), "w") as f:
        f.write("auth optional %s nodelay\n" % harness._find_lib("security/pam_unix.so") +
                _stack(env))
    etc = env.path("etc-pam.d")
    os.makedirs(etc)
    deny = harness._find_lib("security/pam_deny.so")
    for name, text in ((RADIUS_SERVICE, _stack(env)), (APACHE_SERVICE, _stack(env)),
                       ("other", "auth required %s\naccount required %s\n" % (deny, deny))):
        with open(os.path.join(etc, name), "w") as f:
            f.write(text)
    os.chmod(etc, 0o755)


def one_answer(env, user, answer, service=SPLIT, **kw):
    _services(env)
    _answers.append(answer)
    pamdrive, env.pamdrive = env.pamdrive, env.path("pamdrive-shadow")
    try:
        return env.pam(service, user, [answer], **kw)
    finally:
        env.pamdrive = pamdrive


def failures(env, user):
    return env.get_account(user)[2]


def otp_log_entries(env, user):
    """The activity log entries of user that checked an OTP code."""
    rc, out, err = env.regsctl(["log", "--json", "--user", user])
    check(rc == 0, "regsctl log --user %s: exit %d" % (user, rc), out, err)
    return [e for e in harness.json_records(json.loads(out))
            if e.get("method") == "otp" and e.get("service") in LOGIN_SERVICES]


def enrol(env, user):
    secret = env.enrol(user)
    env.advance(30)  # the enrolment's code is used: logins start at the next step
    return secret


# ---------------------------------------------------------------- pam_wrapper: splitting


def test_R11_3_one_answer_logs_in_with_one_prompt(env):
    user = "user1"
    secret = enrol(env, user)
    r = one_answer(env, user, password(env, user) + env.fresh_code(secret))
    check(r.ok, "password + code in one answer refused", r, env.regsd_tail())
    kinds = [k for c in r.convs for k, _ in c if k.startswith("PROMPT")]
    check(kinds == ["PROMPT_OFF"], "want exactly one hidden prompt, got %r" % kinds, r)
    check_in("Password followed by the OTP code", r.prompts[0], "the prompt says what to type")


def test_R11_3_answer_taken_from_pam_authtok(env):
    """An answer another module (or the application) already put in PAM_AUTHTOK is split
    without asking again."""
    user = "user19"
    secret = enrol(env, user)
    r = one_answer(env, user, password(env, user) + env.fresh_code(secret),
                   service=SPLIT_AFTER_AUTHTOK)
    check(r.ok, "password + code from PAM_AUTHTOK refused", r, env.regsd_tail())
    check(r.prompts == ["Password: "], "want only the first module's prompt, got %r"
          % r.prompts, r)


def test_R11_3_answer_without_code_refused_uncounted(env):
    user = "user2"
    secret = enrol(env, user)
    for answer in (password(env, user), password(env, user) + "12345a",
                   password(env, user) + " 12345",
                   password(env, user) + "１２３４５６", ""):
        r = one_answer(env, user, answer)
        check(r.auth != "PAM_SUCCESS", "answer %r accepted" % answer, r)
        check_in(MALFORMED, r.error_text, "the refusal of %r says what to type" % answer, r)
        check(len(r.prompts) == 1, "asked again after %r" % answer, r)
    check(failures(env, user) == 0, "answers without a code were counted: %r"
          % (env.get_account(user),))
    check(otp_log_entries(env, user) == [], "a code was sent to regsd",
          otp_log_entries(env, user))
    code = env.fresh_code(secret)
    check(one_answer(env, user, password(env, user) + code).ok, "the right answer refused after")


def test_R11_3_code_only_refused_and_not_used(env):
    user = "user3"
    secret = enrol(env, user)
    code = env.fresh_code(secret)
    r = one_answer(env, user, code)
    check(r.auth != "PAM_SUCCESS", "a code alone (empty password) accepted", r)
    check_in(MALFORMED, r.error_text, "the refusal says what to type", r)
    check(failures(env, user) == 0 and otp_log_entries(env, user) == [],
          "a code alone was counted or checked: %r" % (env.get_account(user),))
    r = one_answer(env, user, password(env, user) + code)
    check(r.ok, "the code typed alone before was used up by that refusal", r)


def test_R11_3_very_long_answer_refused_whole(env):
    user = "user4"
    secret = enrol(env, user)
    r = one_answer(env, user, "x" * 4000 + env.fresh_code(secret))
    check(r.auth != "PAM_SUCCESS", "a 4006-byte answer accepted", r)
    check_in(MALFORMED, r.error_text, "the refusal says what to type", r)
    check(failures(env, user) == 0 and otp_log_entries(env, user) == [],
          "a too-long answer was counted or checked: %r" % (env.get_account(user),))


def test_R11_3_password_ending_in_digits_splits_at_the_code(env):
    """The code is always the last six characters: a password may end in digits."""
    user = "user5"
    secret = enrol(env, user)
    r = one_answer(env, user, "pw-999999" + env.fresh_code(secret))
    check(r.ok, "a password that ends in digits, then the code, refused", r, env.regsd_tail())


def test_R11_3_wrong_password_counted_code_not_used(env):
    user = "user6"
    secret = enrol(env, user)
    code = env.fresh_code(secret)
    r = one_answer(env, user, "wrong-password" + code)
    check(r.auth != "PAM_SUCCESS", "a wrong password with the right code accepted", r)
    check(failures(env, user) == 1, "the wrong password was not counted: %r"
          % (env.get_account(user),))
    check(otp_log_entries(env, user) == [], "the code was checked after a wrong password",
          otp_log_entries(env, user))
    r = one_answer(env, user, password(env, user) + code)
    check(r.ok, "the code was used up by the wrong-password attempt", r)


def test_R11_3_wrong_code_counted_replay_not(env):
    user = "user7"
    secret = enrol(env, user)
    r = one_answer(env, user, password(env, user) + env.wrong_code(secret))
    check(r.auth != "PAM_SUCCESS", "a wrong code accepted", r)
    check_in("Wrong OTP code", r.error_text, "the refusal", r)
    check(failures(env, user) == 1, "the wrong code was not counted: %r"
          % (env.get_account(user),))
    code = env.fresh_code(secret)
    check(one_answer(env, user, password(env, user) + code).ok, "the right answer refused")
    r = one_answer(env, user, password(env, user) + code)
    check(r.auth != "PAM_SUCCESS", "a replayed code accepted (R2.4)", r)
    check_in("already been used", r.error_text, "the replay refusal", r)
    check(failures(env, user) == 0, "the replay was counted (R12.3): %r"
          % (env.get_account(user),))


def test_R11_3_nothing_bound_refused_without_enrolment(env):
    user = "user8"
    r = one_answer(env, user, password(env, user) + "123456")
    check(r.auth != "PAM_SUCCESS" and r.acct != "PAM_SUCCESS",
          "an account with nothing bound logged in with one answer", r)
    check_in(NEEDS_OTP, r.error_text, "the refusal says binding needs another login", r)
    check_in("regsctl enrol otp", r.error_text, "the refusal names the command", r)
    check(r.prompts == [] and "otpauth://" not in r.text, "a prompt or an enrolment was "
          "offered to a single-prompt client", r)
    check(not env.is_bound(user), "something was bound")


def test_R11_3_locked_refused_before_the_answer(env):
    user = "user9"
    secret = enrol(env, user)
    for _ in range(3):
        one_answer(env, user, password(env, user) + env.wrong_code(secret))
    check(env.is_locked(user), "3 wrong codes did not lock: %r" % (env.get_account(user),))
    r = one_answer(env, user, password(env, user) + env.fresh_code(secret))
    check(r.auth != "PAM_SUCCESS", "a locked account logged in", r)
    check_in("Try again in", r.error_text, "the lock message", r)
    check(r.prompts == [], "a locked account was asked for its password", r)


def test_R11_3_password_login_disabled_refused(env):
    user = "user10"
    secret = enrol(env, user)
    disable_password_login(env, user, secret)
    code = env.fresh_code(secret)
    r = one_answer(env, user, password(env, user) + code)
    check(r.auth != "PAM_SUCCESS", "password + code accepted while password login is disabled",
          r)
    check_in("Password login is disabled", r.error_text, "the R6.3 refusal", r)
    check(failures(env, user) == 0 and otp_log_entries(env, user) == [],
          "a disabled account's answer was counted or checked: %r" % (env.get_account(user),))


def test_R11_3_radius_password_login_disabled_refused(env):
    """An account with password login disabled, through the real RADIUS server."""
    user = "user10"
    _need_radius(env)
    disable_password_login(env, user, enrol(env, user))
    check(env.get_account(user)[0] & harness.F_PASSWORD_LOGIN_DISABLED,
          "test set-up: password login of %s is not disabled" % user)
    got = radius_auth(env, user, password(env, user) + env.fresh_code(env.secrets[user]))
    check(got == "Access-Reject", "RADIUS accepted password + code while password login is "
          "disabled: %s" % got)
    check(failures(env, user) == 0, "counted: %r" % (env.get_account(user),))


# ---------------------------------------------------------------- R6.3 set-up


def disable_password_login(env, user, secret):
    """Binds the test PKI's citizen certificate (R6.1 needs a card) and disables password
    login, as test_password_login.py does."""
    import pki  # noqa: E402 (python3-cryptography; only this test needs it)
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    d = env.path("pki")
    made = pki.make(d)
    anchors = os.path.join(d, "anchors-personal.pem")
    with open(anchors, "w") as out:
        for name in ("grca", "moica"):
            with open(made["certs"][name]["pem"]) as f:
                out.write(f.read())
    os.chmod(anchors, 0o644)
    env.write_conf(anchors_personal=anchors, crl_policy="allow")
    env.restart_regsd()
    c = made["certs"]["citizen"]
    with open(c["der"], "rb") as f:
        der = f.read()
    with open(c["key"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with env.bus_session(user) as bus:
        e, v = bus.call("StepUp", "ssss", "card", env.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp for card: %r %r" % (e, v))
        e, v = bus.call("CardChallenge", "ss", "", "bind")
        check(e is None, "CardChallenge: %r" % e)
        sig = key.sign(bytes(v[1]), padding.PKCS1v15(), hashes.SHA256())
        e, v = bus.call("BindCard", "sayay", v[0], list(der), list(sig))
        check(e is None and v[0] == harness.R_OK, "BindCard: %r %r" % (e, v))
    rc, out, err = env.regsctl(["password-login", "disable", "--yes"], uid=user,
                               input=env.fresh_code(secret) + "\n")
    check(rc == 0, "password-login disable: exit %d" % rc, out, err)
    check(env.get_account(user)[0] & harness.F_PASSWORD_LOGIN_DISABLED, "not disabled")


# ---------------------------------------------------------------- servers in a namespace



def _private_etc(env, command):
    """command in a private mount namespace with the test's pam.d, passwd and group."""
    binds = [(env.path("etc-pam.d"), "/etc/pam.d"), (env.path("passwd"), "/etc/passwd"),
             (env.path("split-group"), "/etc/group"), (env.path("split-shadow"), "/etc/shadow")]
    script = " && ".join("mount --bind %s %s" % (src, dst) for src, dst in binds)
    return ["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
            script + ' && exec "$@"', "sh"] + command


def _server_env(env):
    e = dict(os.environ)
    for k in ("LD_PRELOAD", "DBUS_SESSION_BUS_ADDRESS", "PAM_WRAPPER"):
        e.pop(k, None)
    e.update({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "LANGUAGE": "",
              "DBUS_SYSTEM_BUS_ADDRESS": env.bus_address,
              "REGS_DIRECT_SOCKET": env.direct_socket})
    return e


class Server:
    """One server process group started by this file; stopped at exit, also on failure."""

    def __init__(self, name, cmd, env, log):
        self.name, self.log = name, log
        with open(log, "ab") as f:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                                         env=env, start_new_session=True)

    def running(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:  # apache's children leave after the parent
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def tail(self, n=30):
        try:
            with open(self.log, errors="replace") as f:
                return "--- %s (tail):\n%s" % (self.name, "\n".join(f.read().splitlines()[-n:]))
        except FileNotFoundError:
            return ""


def _stop_servers():
    for s in list(_servers.values()):
        s.stop()
    _servers.clear()


atexit.register(_stop_servers)


def _wait_until(ready, server, what, timeout=20):
    deadline = time.monotonic() + harness.slow(timeout)
    while time.monotonic() < deadline:
        if ready():
            return
        if not server.running():
            raise AssertionError("%s exited with %s\n%s" % (what, server.proc.returncode,
                                                            server.tail()))
        time.sleep(0.1)
    raise AssertionError("%s did not start within %ss\n%s" % (what, timeout, server.tail()))


# ---------------------------------------------------------------- FreeRADIUS


RADIUSD_CONF = """\
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = %(dir)s
sbindir = /usr/sbin
logdir = %(dir)s
raddbdir = %(dir)s
radacctdir = %(dir)s
name = freeradius
confdir = %(dir)s
modconfdir = %(dir)s
run_dir = %(dir)s/run
db_dir = %(dir)s
libdir = /usr/lib/freeradius
pidfile = %(dir)s/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 1024
hostname_lookups = no
log {
	destination = files
	file = %(dir)s/radius.log
	auth = yes
}
security {
	user = %(user)s
	group = shadow
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
thread pool {
	start_servers = 2
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 4
	max_requests_per_server = 0
}
client loopback {
	ipaddr = 127.0.0.1
	secret = %(secret)s
}
modules {
	pam {
		pam_auth = %(service)s
	}
}
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = %(port)d
	}
	authorize {
		update control {
			&Auth-Type := pam
		}
	}
	authenticate {
		Auth-Type pam {
			pam
		}
	}
}
"""


def _need_plain_module(env):
    """A module built with the sanitizers (tests/sanitize.sh) needs the sanitizer runtime of
    an instrumented program: it cannot load into the system's freeradius or apache2 (the
    pamdrive tests above still run it)."""
    if "plain" not in _probed:
        p = subprocess.run(["nm", "-D", env.module], capture_output=True, text=True,
                           timeout=30)
        _probed["plain"] = "__asan_init" not in p.stdout and "__ubsan_" not in p.stdout
    if not _probed["plain"]:
        skip("pam_regs.so is built with the sanitizers, whose runtime the system's "
             "freeradius and apache2 do not carry")


def _need_radius(env):
    """Starts FreeRADIUS once for the file (rlm_pam with the split stack)."""
    if _servers.get("radius"):
        return _servers["radius"]
    _need_plain_module(env)
    for tool in ("freeradius", "radclient"):
        if not shutil.which(tool):
            skip("%s is not installed (Debian: freeradius, freeradius-utils)" % tool)
    if not os.path.exists("/usr/lib/freeradius/rlm_pam.so"):
        skip("FreeRADIUS has no rlm_pam.so")
    _services(env)
    d = env.path("raddb")
    os.makedirs(os.path.join(d, "run"))
    uid = env.users[SERVER_USER]
    os.chown(os.path.join(d, "run"), uid, uid)
    open(os.path.join(d, "dictionary"), "w").close()
    port = harness.free_port(socket.SOCK_DGRAM)
    with open(os.path.join(d, "radiusd.conf"), "w") as f:
        f.write(RADIUSD_CONF % {"dir": d, "user": SERVER_USER, "secret": RADIUS_SECRET,
                                "service": RADIUS_SERVICE, "port": port})
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o755 if name == "run" else 0o644)
    open(os.path.join(d, "radius.log"), "w").close()
    os.chown(os.path.join(d, "radius.log"), uid, uid)
    srv = Server("freeradius", _private_etc(env, ["freeradius", "-f", "-d", d]),
                 _server_env(env), env.path("freeradius.out"))
    srv.port, srv.dir = port, d
    _servers["radius"] = srv
    _wait_until(lambda: _radius_answers(srv), srv, "freeradius")
    return srv


def _radius_answers(srv):
    """True once the server says it is ready and answers (a malformed answer is rejected)."""
    try:
        with open(os.path.join(srv.dir, "radius.log"), errors="replace") as f:
            if "Ready to process requests" not in f.read():
                return False
    except FileNotFoundError:
        return False
    return _radclient(srv, "nobody-here", "x", 2) in ("Access-Reject", "Access-Accept")


def _radclient(srv, user, password, timeout=10):
    attrs = "User-Name = %s, User-Password = %s\n" % (json.dumps(user), json.dumps(password))
    p = subprocess.run(["radclient", "-r", "1", "-t", str(int(harness.slow(timeout))), "-d",
                        srv.dir,
                        "-D", "/usr/share/freeradius", "127.0.0.1:%d" % srv.port, "auth",
                        RADIUS_SECRET], input=attrs, capture_output=True, text=True,
                       timeout=harness.slow(30))
    for kind in ("Access-Accept", "Access-Reject"):
        if "Received " + kind in p.stdout:
            return kind
    return "no answer (rc %d): %s %s" % (p.returncode, p.stdout.strip(), p.stderr.strip())


def radius_auth(env, user, password):
    """One PAP Access-Request through the real FreeRADIUS: "Access-Accept" or "-Reject"."""
    srv = _need_radius(env)
    _answers.append(password)
    return _radclient(srv, user, password)


def test_R11_3_radius_password_and_code_in_one_answer(env):
    user = "user11"
    secret = enrol(env, user)
    got = radius_auth(env, user, password(env, user) + env.fresh_code(secret))
    check(got == "Access-Accept", "RADIUS PAP with password + code: %s" % got,
          _servers["radius"].tail(), env.regsd_tail())
    got = radius_auth(env, user, password(env, user) + env.wrong_code(secret))
    check(got == "Access-Reject", "RADIUS PAP with a wrong code: %s" % got)
    got = radius_auth(env, user, "wrong" + env.fresh_code(secret))
    check(got == "Access-Reject", "RADIUS PAP with a wrong password: %s" % got)
    got = radius_auth(env, user, password(env, user))
    check(got == "Access-Reject", "RADIUS PAP with no code: %s" % got)
    check(failures(env, user) == 2, "want the wrong code and the wrong password counted: %r"
          % (env.get_account(user),))


def test_R11_3_radius_wrong_code_counted(env):
    user = "user12"
    secret = enrol(env, user)
    got = radius_auth(env, user, password(env, user) + env.wrong_code(secret))
    check(got == "Access-Reject", "RADIUS PAP with a wrong code: %s" % got)
    check(failures(env, user) == 1, "the wrong code was not counted: %r"
          % (env.get_account(user),))
    log = otp_log_entries(env, user)
    check(log and log[-1].get("result") == "wrong" and log[-1].get("service") == RADIUS_SERVICE,
          "the activity log does not show a wrong code from %s" % RADIUS_SERVICE, log)
    check(log[-1].get("actor_uid") == env.users[SERVER_USER],
          "the code was not checked by freeradius as %s (verifier_group)" % SERVER_USER, log)


def test_R11_3_radius_replay_refused(env):
    user = "user13"
    secret = enrol(env, user)
    answer = password(env, user) + env.fresh_code(secret)
    check(radius_auth(env, user, answer) == "Access-Accept", "first use refused",
          _servers["radius"].tail())
    for i in range(2):
        got = radius_auth(env, user, answer)
        check(got == "Access-Reject", "replay %d over RADIUS: %s" % (i + 1, got))
    check(failures(env, user) == 0, "replays counted toward the lock (R12.3): %r"
          % (env.get_account(user),))
    log = otp_log_entries(env, user)
    check(log and log[-1].get("result") == "replayed", "the replay is not logged as such", log)


def test_R11_3_locked_after_failed_parts(env):
    """A wrong password, a wrong code and a wrong password again: three failed parts lock
    the account (R9.1); the right password and code are then refused, without a prompt."""
    user = "user14"
    secret = enrol(env, user)
    answers = ["wrong" + env.fresh_code(secret), password(env, user) + env.wrong_code(secret),
               "wrong-again" + env.fresh_code(secret)]
    for i, answer in enumerate(answers, 1):
        check(radius_auth(env, user, answer) == "Access-Reject", "failed part %d accepted" % i)
        check(failures(env, user) == i or (i == 3 and env.is_locked(user)),
              "after failed part %d: %r" % (i, env.get_account(user)))
    check(env.is_locked(user), "3 failed parts did not lock: %r" % (env.get_account(user),))
    code = env.fresh_code(secret)
    got = radius_auth(env, user, password(env, user) + code)
    check(got == "Access-Reject", "a locked account accepted over RADIUS: %s" % got)
    check(otp_log_entries(env, user)[-1].get("result") == "wrong",
          "the code of a locked account's answer was checked", otp_log_entries(env, user))
    r = one_answer(env, user, password(env, user) + code)
    check(r.prompts == [] and "Try again in" in r.error_text,
          "a locked account was asked or not told why", r)


# ---------------------------------------------------------------- apache2


APACHE_CONF = """\
ServerRoot %(dir)s
ServerName 127.0.0.1
Listen 127.0.0.1:%(port)d
PidFile %(dir)s/run/apache2.pid
DefaultRuntimeDir %(dir)s/run
Mutex file:%(dir)s/run default
ErrorLog %(dir)s/error.log
LogLevel warn authnz_pam:info
User %(user)s
Group shadow
LoadModule mpm_prefork_module %(mods)s/mod_mpm_prefork.so
LoadModule authn_core_module %(mods)s/mod_authn_core.so
LoadModule authz_core_module %(mods)s/mod_authz_core.so
LoadModule authz_user_module %(mods)s/mod_authz_user.so
LoadModule auth_basic_module %(mods)s/mod_auth_basic.so
LoadModule authnz_pam_module %(mods)s/mod_authnz_pam.so
LoadModule socache_shmcb_module %(mods)s/mod_socache_shmcb.so
LoadModule authn_socache_module %(mods)s/mod_authn_socache.so
AuthnCacheSOCache shmcb:%(dir)s/run/authn-cache(65536)
StartServers 1
MinSpareServers 1
MaxSpareServers 2
DocumentRoot %(dir)s/htdocs
<Directory %(dir)s/htdocs>
	AuthType Basic
	AuthName "pam_regs"
	AuthBasicProvider PAM
	AuthPAMService %(service)s
	Require valid-user
</Directory>
<Directory %(dir)s/htdocs/cached>
	AuthType Basic
	AuthName "pam_regs cached"
	AuthBasicProvider socache PAM
	AuthnCacheProvideFor PAM
	AuthnCacheTimeout 300
	AuthPAMService %(service)s
	Require valid-user
</Directory>
"""


def _need_apache(env):
    if _servers.get("apache"):
        return _servers["apache"]
    _need_plain_module(env)
    for tool in ("apache2", "curl"):
        if not shutil.which(tool):
            skip("%s is not installed (Debian: apache2, curl)" % tool)
    if not os.path.exists(os.path.join(APACHE_MODULES, "mod_authnz_pam.so")):
        skip("mod_authnz_pam is not installed (Debian: libapache2-mod-authnz-pam)")
    _services(env)
    d = env.path("apache")
    os.makedirs(os.path.join(d, "htdocs", "cached"))
    os.makedirs(os.path.join(d, "run"))
    for page in ("index.html", "cached/index.html"):
        with open(os.path.join(d, "htdocs", page), "w") as f:
            f.write("pam_regs behind HTTP Basic\n")
        os.chmod(os.path.join(d, "htdocs", page), 0o644)
    port = harness.free_port()
    with open(os.path.join(d, "apache2.conf"), "w") as f:
        f.write(APACHE_CONF % {"dir": d, "port": port, "user": SERVER_USER,
                               "mods": APACHE_MODULES, "service": APACHE_SERVICE})
    for sub in ("", "htdocs", "htdocs/cached"):
        os.chmod(os.path.join(d, sub), 0o755)
    os.chmod(os.path.join(d, "apache2.conf"), 0o644)
    srv = Server("apache2", _private_etc(env, ["apache2", "-f", os.path.join(d, "apache2.conf"),
                                               "-DFOREGROUND"]),
                 _server_env(env), env.path("apache2.out"))
    srv.port, srv.dir = port, d
    srv.log = os.path.join(d, "error.log")
    _servers["apache"] = srv

    def answers():
        try:
            return curl(srv, None, None) == 401
        except AssertionError:
            return False
    _wait_until(answers, srv, "apache2")
    return srv


def curl(srv, user, password, page="index.html"):
    """GET page with Basic auth through curl (none when user is None): the HTTP status."""
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
           str(int(harness.slow(20))), "http://127.0.0.1:%d/%s" % (srv.port, page)]
    if user is not None:
        # The credentials go on stdin (curl -K -), never on a command line.
        cmd[1:1] = ["-K", "-"]
    cfg = 'user = "%s:%s"\n' % (user, password) if user is not None else ""
    p = subprocess.run(cmd, input=cfg, capture_output=True, text=True,
                       timeout=harness.slow(30))
    check(p.returncode == 0 and p.stdout.isdigit(), "curl failed: rc %d %s %s"
          % (p.returncode, p.stdout, p.stderr))
    return int(p.stdout)


def apache_auth(env, user, password, page="index.html"):
    srv = _need_apache(env)
    _answers.append(password)
    return curl(srv, user, password, page)


def test_R11_3_apache_basic_auth_password_and_code(env):
    user = "user15"
    secret = enrol(env, user)
    got = apache_auth(env, user, password(env, user) + env.fresh_code(secret))
    check(got == 200, "HTTP Basic with password + code: %d" % got, _servers["apache"].tail(),
          env.regsd_tail())
    for what, answer in (("a wrong code", password(env, user) + env.wrong_code(secret)),
                         ("a wrong password", "wrong" + env.fresh_code(secret)),
                         ("no code", password(env, user))):
        got = apache_auth(env, user, answer)
        check(got == 401, "HTTP Basic with %s: %d" % (what, got))
    check(failures(env, user) == 2, "want the wrong code and the wrong password counted: %r"
          % (env.get_account(user),))
    log = otp_log_entries(env, user)
    check([e.get("result") for e in log] == ["ok", "wrong"] and
          log[-1].get("service") == APACHE_SERVICE and
          log[-1].get("actor_uid") == env.users[SERVER_USER],
          "want one right and one wrong code, checked by apache2 as %s" % SERVER_USER, log)
    got = apache_auth(env, "user16", password(env, "user16") + "123456")
    check(got == 401, "an account with nothing bound got in over HTTP Basic: %d" % got)


def test_R11_3_apache_replay_refused(env):
    user = "user17"
    secret = enrol(env, user)
    answer = password(env, user) + env.fresh_code(secret)
    check(apache_auth(env, user, answer) == 200, "first use refused", _servers["apache"].tail())
    got = apache_auth(env, user, answer)
    check(got == 401, "a replayed code over HTTP Basic: %d" % got)
    check(failures(env, user) == 0, "the replay was counted (R12.3): %r"
          % (env.get_account(user),))


def test_R11_3_apache_cache_serves_a_browser_session(env):
    """A browser sends the same credentials with every request: with mod_authn_socache the
    next pages come from the cache, without a second check of the one-time code."""
    user = "user18"
    secret = enrol(env, user)
    answer = password(env, user) + env.fresh_code(secret)
    for i in range(3):
        got = apache_auth(env, user, answer, "cached/index.html")
        check(got == 200, "cached location, request %d: %d" % (i + 1, got),
              _servers["apache"].tail())
    log = otp_log_entries(env, user)
    check([e.get("result") for e in log] == ["ok"], "want one check of the code", log)
    # While a login is cached, mod_authn_socache itself refuses any other answer for that
    # user (pam_regs(8) says so): refused, and it never reaches regsd.
    wrong = password(env, user) + env.wrong_code(secret)
    got = apache_auth(env, user, wrong, "cached/index.html")
    check(got == 401 and failures(env, user) == 0, "a wrong code on the cached location: "
          "%d, %r" % (got, env.get_account(user)))
    got = apache_auth(env, user, wrong, "index.html")
    check(got == 401 and failures(env, user) == 1, "a wrong code on the uncached location: "
          "%d, %r" % (got, env.get_account(user)))
    got = apache_auth(env, user, answer, "index.html")
    check(got == 401, "the uncached location accepted the used code again: %d" % got)


def test_R11_3_expired_password_refused_over_radius(env):
    """R9.2: a client with one field cannot change a password, so a password that must be
    changed is refused (the account phase), also with the right code. Runs last but one: it
    moves regsd's clock 91 days on, which ages every account's password."""
    user = "user20"
    secret = enrol(env, user)
    check(radius_auth(env, user, password(env, user) + env.fresh_code(secret)) ==
          "Access-Accept", "the login before the password aged was refused")
    env.advance(91 * 86400)
    check(env.get_account(user)[0] & harness.F_PASSWORD_EXPIRED, "the password did not expire")
    got = radius_auth(env, user, password(env, user) + env.fresh_code(secret))
    check(got == "Access-Reject", "an expired password let a RADIUS login in: %s" % got)


def test_R11_3_answers_never_logged(env):
    """No typed answer (password + code) reaches regsd's log or the servers' logs."""
    logs = env.regsd_log()
    for srv in _servers.values():
        for path in (srv.log, os.path.join(srv.dir, "radius.log")):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    logs += f.read()
    check(len(_answers) > 10, "too few answers typed to check: %d" % len(_answers))
    for answer in _answers:
        if len(answer) > 6:
            check(answer not in logs, "an answer appears in a log")


harness.main(globals())
