"""NSS and PAM under the wrappers (libnss-wrapper, libpam-wrapper) for the
integration tests: the test users and groups, the PAM stacks with pam_regs,
pamdrive driven through its conversation, and what it printed (PamResult)."""

import os
import subprocess

from procs import BUILDDIR, SRCDIR, Pipes
from tap import check


LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"]


def _find_lib(name):
    for d in LIBDIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return name  # let the dynamic loader search


def _find_pam_matrix():
    for d in LIBDIRS:
        p = os.path.join(d, "pam_wrapper", "pam_matrix.so")
        if os.path.exists(p):
            return p
    raise RuntimeError("pam_matrix.so (libpam-wrapper) not found")


NSS_WRAPPER = _find_lib("libnss_wrapper.so")
PAM_WRAPPER = _find_lib("libpam_wrapper.so")


class PamResult:
    """What pamdrive printed. convs: one list of (kind, text) per conversation
    call; consecutive lines of one kind in a call are joined with newlines."""

    def __init__(self, out, err, rc):
        self.out, self.err, self.rc = out, err, rc
        self.auth = self.acct = self.start = self.chauthtok = None
        self.convs = []
        for line in out.splitlines():
            if line.startswith("CONV n="):
                self.convs.append([])
                continue
            kind, sep, text = line.partition(": ")
            if not sep:
                kind, text = line.rstrip(":"), ""
            if kind == "AUTH":
                self.auth = text
            elif kind == "ACCT":
                self.acct = text
            elif kind == "START":
                self.start = text
            elif kind == "CHAUTHTOK":
                self.chauthtok = text
            elif kind in ("PROMPT_OFF", "PROMPT_ON", "INFO", "ERROR", "UNKNOWN"):
                if not self.convs:
                    self.convs.append([])
                conv = self.convs[-1]
                if conv and conv[-1][0] == kind:
                    conv[-1] = (kind, conv[-1][1] + "\n" + text)
                else:
                    conv.append((kind, text))
        msgs = [m for c in self.convs for m in c]
        self.errors = [t for k, t in msgs if k == "ERROR"]
        self.infos = [t for k, t in msgs if k == "INFO"]
        self.prompts = [t for k, t in msgs if k.startswith("PROMPT")]
        self.text = "\n".join(t for _, t in msgs)

    @property
    def error_text(self):
        return "\n".join(self.errors)

    @property
    def ok(self):
        return self.auth == "PAM_SUCCESS" and self.acct in (None, "PAM_SUCCESS")

    def __str__(self):
        return "--- pamdrive rc=%s stdout:\n%s--- stderr (tail):\n%s" % (
            self.rc, self.out, "\n".join(self.err.splitlines()[-15:]))


FIXED_USERS = [("root", 0), ("messagebus", 100), ("alice", 1001), ("bob", 1002),
               ("carol", 1003), ("dave", 1004), ("erin", 1005)]
EXTRA_USERS = [("user%d" % i, 2000 + i) for i in range(1, 41)]
PAM_SERVICES = ["login", "login-refuse", "otponly", "login-open"]


class Wrappers:
    """Env's part for NSS and PAM: self.users (name -> uid), self.admins,
    self.pamdrive; the environments of children (base_env, pam_env) and the
    prefix running one as a user (as_user). Needs self.path()."""

    def _write_nss(self):
        os.makedirs(self.path("home"), exist_ok=True)
        with open(self.path("passwd"), "w") as f:
            for name, uid in self.users.items():
                home = "/root" if uid == 0 else "/nonexistent" if name == "messagebus" \
                    else self.path("home", name if len(name) <= 64 else "u%d" % uid)
                shell = "/usr/sbin/nologin" if name == "messagebus" else "/bin/sh"
                f.write("%s:x:%d:%d:%s:%s:%s\n" % (name, uid, uid, name, home, shell))
                if uid >= 1000:
                    os.makedirs(home, exist_ok=True)
                    os.chown(home, uid, uid)
                    os.chmod(home, 0o700)
        with open(self.path("group"), "w") as f:
            for name, uid in self.users.items():
                f.write("%s:x:%d:\n" % (name, uid))
            f.write("admins:x:1500:%s\n" % ",".join(self.admins))
            f.write("verifiers:x:1501:dave\n")
        for n in ("passwd", "group"):
            os.chmod(self.path(n), 0o644)
        with open(self.path("passdb"), "w") as f:
            for name in self.users:
                for svc in PAM_SERVICES:
                    f.write("%s:pw-%s:%s\n" % (name, name, svc))
        os.chmod(self.path("passdb"), 0o600)

    def _write_pam(self):
        d = self.path("pam.d")
        os.makedirs(d, exist_ok=True)
        mod, matrix = self.module, _find_pam_matrix()

        def stack(extra="", account="enrol=inline"):
            x = (" " + extra) if extra else ""
            acct = " ".join(a for a in (account, extra) if a)
            return (
                "auth [success=done new_authtok_reqd=done ignore=ignore default=die] %s%s\n"
                "auth [success=1 default=ignore] %s\n"
                "auth [default=die] %s authfail%s\n"
                "auth required %s otp%s\n"
                "account required %s%s\n"
                "password requisite %s\n"
                "password optional %s%s\n" % (mod, x, matrix, mod, x, mod, x, mod,
                                               (" " + acct) if acct else "", matrix, mod, x))

        files = {
            "login": stack(),
            "login-refuse": stack(account=""),
            "otponly": "auth required %s otp\naccount required %s\n" % (mod, mod),
            "login-open": stack(extra="failmode=open"),
            "other": "auth required pam_deny.so\naccount required pam_deny.so\n",
        }
        deny = _find_lib("security/pam_deny.so")
        files["other"] = files["other"].replace("pam_deny.so", deny)
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)

    def _find_pamdrive(self):
        p = os.path.join(BUILDDIR, "tests", "pam", "pamdrive")
        if os.access(p, os.X_OK):
            self.pamdrive = p
            return
        # Not built by make (running by hand): build it here.
        out = self.path("pamdrive")
        src = os.path.join(SRCDIR, "tests", "pam", "pamdrive.c")
        subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-o", out, src, "-lpam"],
                       check=True)
        self.pamdrive = out

    # -- environments for children
    def base_env(self, preload=(NSS_WRAPPER,)):
        e = dict(os.environ)
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)
        e.update({
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            "LANGUAGE": "",
            "NSS_WRAPPER_PASSWD": self.path("passwd"),
            "NSS_WRAPPER_GROUP": self.path("group"),
            "REGS_TEST_CLOCK_FILE": self.path("clock"),
            "LD_PRELOAD": ":".join(preload),
        })
        if getattr(self, "bus_address", None):
            e["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        if getattr(self, "tmp", None):
            e["REGS_DIRECT_SOCKET"] = self.direct_socket
        return e

    def as_user(self, uid):
        """The setpriv prefix for uid (an int or a user name); [] for None."""
        if uid is None:
            return []
        if isinstance(uid, str):
            uid = self.users[uid]
        return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "--"]

    # -- PAM
    def pam_env(self):
        e = self.base_env(preload=(PAM_WRAPPER, NSS_WRAPPER))
        e.update({
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.path("pam.d"),
            "PAM_WRAPPER_DEBUGLEVEL": "2",  # pam_syslog() at notice/info shows on stderr
            "PAM_MATRIX_PASSWD": self.path("passdb"),
            "PAMDRIVE_SYNC": "1",
        })
        return e

    def pam(self, service, user, answers=(), rhost=None, tty=None, acct=True, timeout=60,
            chauthtok=False, pam_vars=()):
        """Runs pamdrive. Each prompt takes the next answer; an answer may be
        a callable taking the PamResult so far (e.g. to read a shown secret).
        No answer left -> EOF -> conversation error. pam_vars: "NAME=VALUE" put
        into the PAM environment, as an application that hands PAM its locale."""
        cmd = [self.pamdrive]
        for v in pam_vars:
            cmd += ["--env", v]
        if rhost is not None:
            cmd += ["--rhost", rhost]
        if tty is not None:
            cmd += ["--tty", tty]
        if not acct:
            cmd.append("--no-acct")
        if chauthtok:
            cmd.append("--chauthtok")
        cmd += [service, user]
        answers = list(answers)
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.pam_env())
        pipes = Pipes(p, timeout)
        errpos = [0]

        def answer_markers():
            # Each marker line on stderr: pamdrive waits for one answer.
            while True:
                nl = pipes.err.find(b"\n", errpos[0])
                if nl < 0:
                    return
                line = pipes.err[errpos[0]:nl]
                errpos[0] = nl + 1
                if line.strip() != b"PAMDRIVE_READ":
                    continue
                if pipes.out_fd in pipes.open_fds:  # everything printed before the marker
                    pipes.read(pipes.out_fd)
                if not answers:
                    if not p.stdin.closed:
                        p.stdin.close()
                    continue
                a = answers.pop(0)
                if callable(a):
                    a = a(PamResult(*pipes.text(), None))
                try:
                    os.write(p.stdin.fileno(), (str(a) + "\n").encode())
                except BrokenPipeError:
                    pass

        def timed_out():
            return "pamdrive %s %s timed out\n%s" % (service, user,
                                                     PamResult(*pipes.text(), None))

        rc = pipes.run(answer_markers, timed_out)
        out, err = pipes.text()
        err_s = "\n".join(line for line in err.splitlines() if line.strip() != "PAMDRIVE_READ")
        return PamResult(out, err_s, rc)

    def login(self, user, code, service="login", **kw):
        """Password + code through the given stack."""
        self.used_codes.setdefault(user, []).append(code)
        return self.pam(service, user, [self.password(user), code], **kw)

    def login_ok(self, user, service="login", **kw):
        """A successful password + fresh OTP login (the user must be enrolled)."""
        r = self.login(user, self.fresh_code(self.secrets[user]), service, **kw)
        check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS",
              "login of %s expected to succeed" % user, r, self.regsd_tail())
        return r

    def lock(self, user, service="login"):
        """Three wrong OTP codes after the right password: the account is locked."""
        secret = self.secrets[user]
        for i in range(3):
            r = self.login(user, self.wrong_code(secret), service)
            check(r.auth != "PAM_SUCCESS", "wrong code %d accepted" % (i + 1), r)
        check(self.is_locked(user), "%s not locked after 3 wrong codes: %r"
              % (user, self.get_account(user)))

    def password(self, user):
        return "pw-" + user
