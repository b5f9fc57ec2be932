"""The integration tests' environment: Env composes the parts (wrappers.py:
NSS and PAM; bus.py: the private bus; totp.py: the test clock; mail.py: the
SMTP sink; regsctl.py: the CLI) around one temp dir, regs.conf and regsd
(regsd-testclock under nss_wrapper).

Fresh state: snapshot() records regsd's state dir, regs.conf and the mail
servers once the set-up is done; reset() (tap.run, before every test but the
first) stops regsd, puts them back and starts it again. It does not rebuild
the temp dir, the bus or the users: a new Env per test would cost a
dbus-daemon, a regsd and (with mail) a TLS SMTP server each time.

Environment: REGS_BUILDDIR, REGS_SRCDIR (default: the tree this file is in),
OATHTOOL (default oathtool), REGS_KEEP=1 keeps the temp dir.
"""

import copy
import os
import shutil
import signal
import subprocess
import tempfile
import time

from bus import Bus
from busnames import BUS_NAME
from mail import Mail
import procs
from procs import BUILDDIR, slow
from regsctl import Regsctl
from totp import Clock
from wrappers import EXTRA_USERS, FIXED_USERS, Wrappers


class SetUpAndCleanUp:
    """A context manager around self.setup() and self.cleanup(): cleanup() runs also when
    setup() fails half-way, so nothing it started is left behind."""

    def __enter__(self):
        try:
            self.setup()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


class Env(SetUpAndCleanUp, Wrappers, Bus, Clock, Mail, Regsctl):
    """One test environment; a context manager (set-up at entry, everything stopped and
    the temp dir removed at exit)."""

    generation = 0  # reset() counts up: a test file's cached set-up knows it is gone

    def __init__(self, conf=None, regsd=True, smtp=False, extra_users=(), admins=()):
        """smtp: False (no mail), True or "starttls" (STARTTLS offered and
        required by regsd), "require-starttls" (the server also refuses mail
        before STARTTLS) or "plain" (no TLS at all). extra_users: more
        (name, uid) pairs for NSS; admins: more members of the admin group."""
        self.conf_overrides = dict(conf or {})
        self.want_regsd = regsd
        self.want_smtp = "starttls" if smtp is True else smtp
        self.smtp = None          # the server regs.conf points at
        self.smtp_servers = []    # every server started, stopped at cleanup
        self.smtp_conf = {}
        self.tmp = None
        self.offset = 0
        self.dbus_proc = None
        self.regsd_proc = None
        self.users = dict(FIXED_USERS + EXTRA_USERS + list(extra_users))
        self.admins = ["carol"] + list(admins)
        self.secrets = {}
        self.used_codes = {}  # user -> codes sent (to check they are never logged)

    # -- paths
    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    @property
    def module(self):
        return os.path.join(BUILDDIR, ".libs", "pam_regs.so")

    @property
    def direct_socket(self):
        """regsd's direct socket in this environment (the module finds it through
        $REGS_DIRECT_SOCKET; real servers in a namespace through /run/regsd/regsd.sock)."""
        return self.path("regsd.sock")

    @property
    def regsctl_bin(self):
        return os.path.join(BUILDDIR, "regsctl")

    @property
    def regsd_bin(self):
        return os.path.join(BUILDDIR, "regsd-testclock")

    def setup(self):
        self.tmp = tempfile.mkdtemp(prefix="regs-test-", dir="/tmp")
        os.chmod(self.tmp, 0o755)  # other uids must reach the bus socket
        self._write_nss()
        self._write_clock()
        self._write_pam()
        if self.want_smtp:
            self.smtp = self.start_smtp("smtp", tls=self.want_smtp)
            self.use_smtp(self.smtp)
        self.write_conf()
        self._find_pamdrive()
        self._start_dbus()
        if self.want_regsd:
            self.start_regsd()

    def cleanup(self):
        for proc in (self.regsd_proc, self.dbus_proc):
            if proc:
                procs.stop(proc)
        self.regsd_proc = self.dbus_proc = None
        for srv in self.smtp_servers:
            srv.stop()
        self.smtp_servers = []
        if self.tmp and os.path.isdir(self.tmp):
            if os.environ.get("REGS_KEEP") == "1":
                print("# kept %s" % self.tmp, flush=True)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    # -- files
    def conf_values(self):
        vals = {
            "state_dir": self.path("state"),
            "seal_key_file": self.path("state", "seal.key"),
            "issuer": "pam_regs-test",
            "direct_socket": self.direct_socket,
            "admin_group": "admins",
            "verifier_group": "verifiers",
        }
        vals.update(self.smtp_conf)
        vals.update(self.conf_overrides)
        return {k: v for k, v in vals.items() if v is not None}

    def write_conf(self, **overrides):
        """(Re)writes regs.conf; takes effect at the next start_regsd()."""
        self.conf_overrides.update(overrides)
        os.makedirs(self.path("state"), mode=0o700, exist_ok=True)
        os.chmod(self.path("state"), 0o700)
        tmp = self.path("regs.conf.new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# written by tests/integration/env.py\n")
            for k, v in self.conf_values().items():
                f.write("%s = %s\n" % (k, v))
        os.chown(tmp, 0, 0)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.path("regs.conf"))

    # -- regsd
    def start_regsd(self, timeout=10, direct=True):
        """Starts regsd and waits for its bus name and (direct: when configured) its direct
        socket."""
        if self.regsd_proc and self.regsd_proc.poll() is None:
            raise RuntimeError("regsd already running")
        log = open(self.path("regsd.log"), "ab")
        self.regsd_proc = subprocess.Popen(
            [self.regsd_bin, "-c", self.path("regs.conf"), "--stderr"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.base_env())
        log.close()
        deadline = time.monotonic() + slow(timeout)
        direct = direct and self.conf_values().get("direct_socket")
        while time.monotonic() < deadline:
            if self.name_has_owner() and (not direct or os.path.exists(direct)):
                return
            if self.regsd_proc.poll() is not None:
                raise RuntimeError("regsd exited with %s:\n%s" % (
                    self.regsd_proc.returncode, self.regsd_log()[-3000:]))
            time.sleep(0.05)
        raise RuntimeError("regsd did not own %s within %ss:\n%s" % (
            BUS_NAME, timeout, self.regsd_log()[-3000:]))

    def stop_regsd(self, timeout=10, wake=False):
        """SIGTERM and wait; returns the exit status. wake: a message right after the
        signal, so that regsd's loop sees it at once, not at its poll's 1 s time-out."""
        p = self.regsd_proc
        if not p:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            if wake:
                self.ping_regsd()
            try:
                p.wait(slow(timeout))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError("regsd did not exit within %ss of SIGTERM" % slow(timeout))
        self._wait_name_gone()
        return p.returncode

    def kill_regsd(self):
        p = self.regsd_proc
        if p and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
        self._wait_name_gone()

    def regsd_log(self):
        try:
            with open(self.path("regsd.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def restart_regsd(self):
        self.stop_regsd()
        self.start_regsd()

    def regsd_tail(self, n=20):
        return "--- regsd.log (tail):\n" + "\n".join(self.regsd_log().splitlines()[-n:])

    def regsd_running(self):
        return bool(self.regsd_proc and self.regsd_proc.poll() is None)

    # -- fresh state for every test
    def _state_dir(self):
        return self.conf_values()["state_dir"]

    def snapshot(self):
        """Records what reset() puts back (regsd stops for the copy of its database)."""
        running = self.regsd_running()
        if running:
            self.stop_regsd()
        saved = self.path("snapshot")
        shutil.rmtree(saved, ignore_errors=True)
        shutil.copytree(self._state_dir(), os.path.join(saved, "state"), symlinks=True)
        shutil.copy2(self.path("regs.conf"), os.path.join(saved, "regs.conf"))
        self._snap = {
            "regsd": running,
            "conf_overrides": copy.deepcopy(self.conf_overrides),
            "secrets": dict(self.secrets),
            "used_codes": copy.deepcopy(self.used_codes),
            "mail": self.mail_snapshot(),
        }
        if running:
            self.start_regsd()

    def reset(self):
        """regsd's database, regs.conf and the mail as snapshot() saw them, regsd
        (re)started if it ran then: what one test did is gone for the next."""
        snap, saved = self._snap, self.path("snapshot")
        self.generation += 1
        if self.regsd_running():
            try:
                self.stop_regsd(wake=True)
            except AssertionError:
                self.kill_regsd()
        self.conf_overrides = copy.deepcopy(snap["conf_overrides"])
        self.secrets = dict(snap["secrets"])
        self.used_codes = copy.deepcopy(snap["used_codes"])
        self.reset_mail(snap["mail"])
        state = self._state_dir()
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(os.path.join(saved, "state"), state, symlinks=True)
        shutil.copy2(os.path.join(saved, "regs.conf"), self.path("regs.conf"))
        if snap["regsd"]:
            self.start_regsd()
