"""Shared harness for the pam_regs integration tests (python3 stdlib only).

A test file defines functions ``test_<rule>_<what>(env)`` (or without the env
parameter) and ends with ``harness.main(globals())``.  main() prints a TAP
plan, runs the tests in definition order against one Env (private
dbus-daemon + regsd-testclock under nss_wrapper, PAM through pam_wrapper) and
prints ``ok``/``not ok`` lines with the failure and a traceback as comments.

Environment: REGS_BUILDDIR, REGS_SRCDIR (default: the tree this file is in),
OATHTOOL (default oathtool), REGS_KEEP=1 keeps the temp dir.

Mail (R8): Env(smtp=True) also runs tests/fixtures/smtp_server.py (aiosmtpd,
STARTTLS with a test CA made by tests/fixtures/make_certs.sh) on a free
loopback port and points regs.conf at it; env.mails() and env.last_code()
read what it delivered. env.bus_session(uid) keeps ONE D-Bus connection
(step-up proofs belong to a connection, R7.1).
"""

import base64
import email
import email.policy
import email.utils
import errno
import fcntl
import hashlib
import hmac
import inspect
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("REGS_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
BUILDDIR = os.environ.get("REGS_BUILDDIR") or SRCDIR
# tests/sanitize.sh: the ASan + UBSan build runs 2-3x slower, so every wait below is
# multiplied by REGS_SLOW (default 1). Only waits: what a test asserts about speed
# (R3.5's login time, R4.2's poll interval) stays as it is.
SLOW = max(1.0, float(os.environ.get("REGS_SLOW") or 1))


def slow(seconds):
    """A wait of seconds, stretched for a slower (sanitizer) build."""
    return seconds * SLOW
OATHTOOL = os.environ.get("OATHTOOL") or "oathtool"

from busnames import *  # noqa: F401,F403 (the contract's names, re-exported to the tests)

BOUND_MSG = "OTP bound; log in again with a bound method."
BOUND_MSG_ZH = "OTP 綁定成功，請使用已綁定方式重新登入。"  # regsctl in the site's zh_TW (R9.6)
FIXTURES = os.path.join(SRCDIR, "tests", "fixtures")
MAIL_FROM = "pam_regs@test.invalid"
RESET_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}-\d{6})(?!\d)")

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


# ---------------------------------------------------------------- assertions


class Skip(Exception):
    """Raised by skip(); a reason is mandatory."""


def skip(reason):
    if not reason:
        raise ValueError("a skip needs a reason")
    raise Skip(reason)


def check(cond, msg, *context):
    """Fails the test with msg (and any context objects printed below it)."""
    if not cond:
        extra = "".join("\n" + str(c) for c in context)
        raise AssertionError(msg + extra)


def check_in(needle, haystack, msg, *context):
    check(needle in haystack, "%s: %r not in %r" % (msg, needle, haystack), *context)


# ---------------------------------------------------------------- TOTP


def totp_at(secret_b32, epoch):
    """The code for epoch, computed by the independent oathtool."""
    secret = secret_b32.strip().upper()
    cmd = [OATHTOOL, "--totp", "-b", secret, "--now", "@%d" % int(epoch)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        # Older oathtool parses --now like date -d without "@": use a date string.
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(epoch)))
        cmd[-1] = when
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if p.returncode != 0 or not re.fullmatch(r"\d{6}", p.stdout.strip()):
        raise RuntimeError("oathtool failed: %r %r" % (p.stdout, p.stderr))
    return p.stdout.strip()


def _py_totp(secret_b32, step):
    # Only used to pick codes that are certainly wrong; oathtool is the oracle.
    s = secret_b32.strip().upper()
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def secret_from_uri(text):
    """The base32 secret of the first otpauth:// URI in text."""
    m = re.search(r"otpauth://totp/\S+", text)
    if not m:
        raise AssertionError("no otpauth://totp/ URI in output:\n" + text)
    q = urllib.parse.urlparse(m.group(0)).query
    vals = urllib.parse.parse_qs(q).get("secret")
    if not vals:
        raise AssertionError("otpauth URI without secret: " + m.group(0))
    return vals[0]


# ---------------------------------------------------------------- D-Bus output


_DBUS_SCALAR = re.compile(
    r"^\s*(string|object path|signature|uint16|int16|uint32|int32|uint64|int64|boolean|double|byte)"
    r" (.*)$")


def parse_reply(out):
    """Scalars of a dbus-send --print-reply output, in order (arrays flattened)."""
    vals = []
    for line in out.splitlines():
        m = _DBUS_SCALAR.match(line)
        if not m:
            continue
        kind, v = m.groups()
        if kind in ("string", "object path", "signature"):
            v = v[1:-1] if len(v) >= 2 and v[0] == '"' and v[-1] == '"' else v
        elif kind == "boolean":
            v = v == "true"
        elif kind == "double":
            v = float(v)
        else:
            v = int(v)
        vals.append(v)
    return vals


def dbus_error_name(err):
    m = re.search(r"Error ([A-Za-z0-9_.]+)", err)
    return m.group(1) if m else None


# ---------------------------------------------------------------- PAM results


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


# ---------------------------------------------------------------- the environment


FIXED_USERS = [("root", 0), ("messagebus", 100), ("alice", 1001), ("bob", 1002),
               ("carol", 1003), ("dave", 1004), ("erin", 1005)]
EXTRA_USERS = [("user%d" % i, 2000 + i) for i in range(1, 41)]
PAM_SERVICES = ["login", "login-refuse", "otponly", "login-open"]


def _end_child(p):
    """Closes a driven child's stdin and kills it if it still runs (a test gave up on it)."""
    if p.stdin and not p.stdin.closed:
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
    if p.poll() is None:
        p.kill()
        p.wait()


def _set_nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _read_avail(fd):
    """Reads what is available; returns (data, eof)."""
    chunks = []
    while True:
        try:
            d = os.read(fd, 65536)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return b"".join(chunks), False
            raise
        if not d:
            return b"".join(chunks), True
        chunks.append(d)


class Env:
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
    def regsctl_bin(self):
        return os.path.join(BUILDDIR, "regsctl")

    @property
    def regsd_bin(self):
        return os.path.join(BUILDDIR, "regsd-testclock")

    # -- context manager
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
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
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

    def _write_clock(self):
        tmp = self.path("clock.new")
        with open(tmp, "w") as f:
            f.write("%d\n" % self.offset)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.path("clock"))

    def advance(self, seconds):
        """Moves regsd's clock (and totp()) forward by seconds."""
        self.offset += int(seconds)
        self._write_clock()

    def conf_values(self):
        vals = {
            "state_dir": self.path("state"),
            "seal_key_file": self.path("state", "seal.key"),
            "issuer": "pam_regs-test",
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
            f.write("# written by tests/integration/harness.py\n")
            for k, v in self.conf_values().items():
                f.write("%s = %s\n" % (k, v))
        os.chown(tmp, 0, 0)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.path("regs.conf"))

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
        return e

    def as_user(self, uid):
        """The setpriv prefix for uid (an int or a user name); [] for None."""
        if uid is None:
            return []
        if isinstance(uid, str):
            uid = self.users[uid]
        return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "--"]

    # -- dbus-daemon
    def policy_file(self):
        for p in (os.path.join(BUILDDIR, "data", "tw.regs.Daemon1.conf"),
                  os.path.join(SRCDIR, "data", "tw.regs.Daemon1.conf.in")):
            if os.path.exists(p):
                return p
        raise RuntimeError("no D-Bus policy: data/tw.regs.Daemon1.conf (run make) "
                           "or data/tw.regs.Daemon1.conf.in")

    def _start_dbus(self):
        sock = self.path("bus")
        conf = self.path("bus.conf")
        with open(conf, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"/>
  </policy>
  <include>%s</include>
</busconfig>
""" % (sock, self.policy_file()))
        log = open(self.path("dbus.log"), "ab")
        self.dbus_proc = subprocess.Popen(
            ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile",
             "--print-address=1"],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            env=self.base_env())
        log.close()
        r, _, _ = select.select([self.dbus_proc.stdout], [], [], 10)
        line = self.dbus_proc.stdout.readline().decode().strip() if r else ""
        if not line.startswith("unix:"):
            raise RuntimeError("dbus-daemon did not start: %r\n%s" % (
                line, open(self.path("dbus.log")).read()))
        self.bus_address = "unix:path=" + sock

    # -- regsd
    def start_regsd(self, timeout=10):
        if self.regsd_proc and self.regsd_proc.poll() is None:
            raise RuntimeError("regsd already running")
        log = open(self.path("regsd.log"), "ab")
        self.regsd_proc = subprocess.Popen(
            [self.regsd_bin, "-c", self.path("regs.conf"), "--stderr"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.base_env())
        log.close()
        deadline = time.monotonic() + slow(timeout)
        while time.monotonic() < deadline:
            if self.name_has_owner():
                return
            if self.regsd_proc.poll() is not None:
                raise RuntimeError("regsd exited with %s:\n%s" % (
                    self.regsd_proc.returncode, self.regsd_log()[-3000:]))
            time.sleep(0.05)
        raise RuntimeError("regsd did not own %s within %ss:\n%s" % (
            BUS_NAME, timeout, self.regsd_log()[-3000:]))

    def name_has_owner(self):
        p = subprocess.run(
            ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
             "string:" + BUS_NAME],
            capture_output=True, text=True, env=self.base_env(), timeout=10)
        return p.returncode == 0 and parse_reply(p.stdout) == [True]

    def stop_regsd(self, timeout=10):
        """SIGTERM and wait; returns the exit status."""
        p = self.regsd_proc
        if not p:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
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

    def _wait_name_gone(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.name_has_owner():
            time.sleep(0.05)

    def regsd_log(self):
        try:
            with open(self.path("regsd.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # -- mail
    def make_certs(self):
        """The test CA and server certificate (made once per Env): their directory."""
        d = self.path("certs")
        if not os.path.exists(os.path.join(d, "server.pem")):
            subprocess.run(["sh", os.path.join(FIXTURES, "make_certs.sh"), d], check=True,
                           timeout=60)
        return d

    def start_smtp(self, name="smtp", tls="starttls"):
        """Starts another SMTP sink writing <tmp>/<name>.maildir; see SmtpServer."""
        certs = self.make_certs() if tls in ("starttls", "require-starttls") else None
        srv = SmtpServer(self.path(name + ".maildir"), self.path(name + ".log"), tls, certs)
        self.smtp_servers.append(srv)
        srv.start()
        return srv

    def use_smtp(self, srv):
        """Points regs.conf at srv (written now; regsd reads it at its next start)."""
        self.smtp_conf = {
            "smtp_url": "smtp://127.0.0.1:%d" % srv.port,
            "smtp_from": MAIL_FROM,
            "smtp_starttls": "required",
            "smtp_timeout_seconds": "10",
        }
        if srv.certs:
            self.smtp_conf["smtp_ca_file"] = os.path.join(srv.certs, "ca.pem")
        if self.tmp and os.path.exists(self.path("regs.conf")):
            self.write_conf()

    def restart_regsd(self):
        self.stop_regsd()
        self.start_regsd()

    def mail_messages(self, to=None, server=None):
        """The delivered mails (email.message.EmailMessage), oldest first."""
        srv = server or self.smtp
        check(srv is not None, "this Env has no SMTP server (Env(smtp=True))")
        return srv.messages(to)

    def mails(self, to=None, server=None):
        """[(subject, body)] of the delivered mails, decoded, newest last."""
        return [(str(m.get("Subject", "")), m.get_content().replace("\r\n", "\n"))
                for m in self.mail_messages(to, server)]

    def last_code(self, to):
        """The code (like "KX-123456") in the newest mail to `to`."""
        got = self.mails(to)
        check(got, "no mail to %s was delivered" % to)
        codes = RESET_CODE.findall(got[-1][1])
        check(codes, "no code like KX-123456 in the newest mail to %s:\n%s" % (to, got[-1][1]))
        return codes[0]

    def bus_session(self, uid=None):
        """One D-Bus connection to regsd (as uid) that stays open across calls."""
        return BusSession(self, uid)

    # -- clients
    def regsctl_dialog(self, args, uid=None, steps=(), timeout=30):
        """Runs regsctl ARGS and answers its prompts: steps is a list of
        (text, answer); once text appears (stdout or stderr) after the previous
        one, answer is typed: a string, or a callable given the output so far
        (stdout + stderr) that returns one.
        Standard input is closed after the last answer. Returns (rc, out, err)."""
        cmd = self.as_user(uid)
        if shutil.which("stdbuf"):
            cmd += ["stdbuf", "-oL"]
        cmd += [self.regsctl_bin] + list(args)
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.base_env())
        out_fd, err_fd = p.stdout.fileno(), p.stderr.fileno()
        _set_nonblock(out_fd)
        _set_nonblock(err_fd)
        out, err = b"", b""
        steps = list(steps)
        seen = {out_fd: 0, err_fd: 0}
        open_fds = {out_fd, err_fd}
        deadline = time.monotonic() + slow(timeout)
        if not steps:
            p.stdin.close()
        try:
            while open_fds:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("regsctl %s timed out waiting for %r\nstdout:\n%s\n"
                                         "stderr:\n%s" % (" ".join(args),
                                                          steps[0][0] if steps else None,
                                                          out.decode(errors="replace"),
                                                          err.decode(errors="replace")))
                r, _, _ = select.select(list(open_fds), [], [], left)
                for fd in r:
                    data, eof = _read_avail(fd)
                    if fd == out_fd:
                        out += data
                    else:
                        err += data
                    if eof:
                        open_fds.discard(fd)
                while steps:
                    want = steps[0][0].encode()
                    hit = None
                    for fd, buf in ((out_fd, out), (err_fd, err)):
                        i = buf.find(want, seen[fd])
                        if i >= 0:
                            hit = (fd, i + len(want))
                    if not hit:
                        break
                    seen[hit[0]] = hit[1]
                    answer = steps.pop(0)[1]
                    if callable(answer):
                        answer = answer(out.decode(errors="replace") + "\n"
                                        + err.decode(errors="replace"))
                    try:
                        p.stdin.write((str(answer) + "\n").encode())
                        p.stdin.flush()
                        if not steps:
                            p.stdin.close()
                    except BrokenPipeError:
                        pass
            rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            _end_child(p)
        return rc, out.decode(errors="replace"), err.decode(errors="replace")

    def regsctl(self, args, uid=None, input=None, timeout=30):
        """Runs regsctl ARGS (as uid if given); returns (rc, stdout, stderr)."""
        cmd = self.as_user(uid) + [self.regsctl_bin] + list(args)
        p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                           env=self.base_env(), timeout=slow(timeout))
        return p.returncode, p.stdout, p.stderr

    def dbus_call(self, method, *typed_args, uid=None, timeout=30):
        """dbus-send to regsd; typed_args like "string:alice", "uint32:3"."""
        cmd = self.as_user(uid) + [
            "dbus-send", "--system", "--print-reply", "--reply-timeout=%d" % slow(20000),
            "--dest=" + BUS_NAME, BUS_PATH, BUS_IFACE + "." + method] + list(typed_args)
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.base_env(),
                           timeout=slow(timeout))
        return p.returncode, p.stdout, p.stderr

    def call_ok(self, method, *typed_args, uid=None):
        """dbus_call that must succeed; returns the parsed scalars."""
        rc, out, err = self.dbus_call(method, *typed_args, uid=uid)
        check(rc == 0, "%s %s failed: %s" % (method, typed_args, err.strip()))
        return parse_reply(out)

    def get_account_reply(self, user):
        """(flags, lock_seconds, failures, language, site_language) from GetAccount, as root."""
        v = self.call_ok("GetAccount", "string:" + user)
        check(len(v) == 5, "GetAccount reply: %r" % (v,))
        return tuple(v)

    def get_account(self, user):
        """(flags, lock_seconds, failures) from GetAccount, as root."""
        return self.get_account_reply(user)[:3]

    def get_language(self, user):
        """(the account's language, the site default) from GetAccount; "" for none (R9.6)."""
        return self.get_account_reply(user)[3:]

    def is_bound(self, user):
        return bool(self.get_account(user)[0] & F_OTP_BOUND)

    def is_locked(self, user):
        return bool(self.get_account(user)[0] & F_LOCKED)

    # -- TOTP
    def now(self):
        return int(time.time()) + self.offset

    def totp(self, secret_b32, offset_seconds=0):
        return totp_at(secret_b32, self.now() + offset_seconds)

    def wrong_code(self, secret_b32):
        """A 6-digit code that matches no step within +-20 steps of now."""
        step = self.now() // 30
        near = {_py_totp(secret_b32, s) for s in range(step - 20, step + 21)}
        while True:
            c = "%06d" % random.randrange(1000000)
            if c not in near:
                return c

    def fresh_code(self, secret_b32):
        """Moves the clock one step on and returns the code for then, so
        successive logins never reuse a step (R2.4)."""
        self.advance(30)
        return self.totp(secret_b32)

    def password(self, user):
        return "pw-" + user

    # -- enrolment
    def enrol_run(self, user, code_fn=None, timeout=30):
        """Runs `regsctl enrol otp` as user; when the otpauth URI appears,
        answers with code_fn(secret) (default: the right code).
        Returns (secret, code, rc, stdout, stderr)."""
        if code_fn is None:
            code_fn = self.totp
        cmd = self.as_user(user)
        if shutil.which("stdbuf"):
            cmd += ["stdbuf", "-oL"]  # in case regsctl does not flush before reading
        cmd += [self.regsctl_bin, "enrol", "otp"]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.base_env())
        out_fd, err_fd = p.stdout.fileno(), p.stderr.fileno()
        _set_nonblock(out_fd)
        _set_nonblock(err_fd)
        out, err, secret, code = b"", b"", None, None
        open_fds = {out_fd, err_fd}
        deadline = time.monotonic() + slow(timeout)
        try:
            while open_fds:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("regsctl enrol otp timed out (does it flush stdout "
                                         "before reading the code?)\nstdout:\n%s\nstderr:\n%s"
                                         % (out.decode(errors="replace"),
                                            err.decode(errors="replace")))
                r, _, _ = select.select(list(open_fds), [], [], left)
                for fd in r:
                    data, eof = _read_avail(fd)
                    if fd == out_fd:
                        out += data
                    else:
                        err += data
                    if eof:
                        open_fds.discard(fd)
                if secret is None and re.search(rb"otpauth://totp/\S+\s", out + err):
                    secret = secret_from_uri((out + err).decode(errors="replace"))
                    code = code_fn(secret)
                    try:
                        p.stdin.write((code + "\n").encode())
                        p.stdin.close()
                    except BrokenPipeError:
                        pass
            rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            _end_child(p)
        return (secret, code, rc, out.decode(errors="replace"), err.decode(errors="replace"))

    def enrol(self, user, timeout=30):
        """regsctl enrol otp as user with the right code; returns the secret."""
        secret, code, rc, out, err = self.enrol_run(user, timeout=timeout)
        check(secret is not None, "regsctl enrol otp printed no otpauth URI (rc %s)" % rc,
              out, err)
        check(rc == 0 and (BOUND_MSG in out + err or BOUND_MSG_ZH in out + err),
              "regsctl enrol otp as %s failed (rc %s)" % (user, rc), out, err)
        self.secrets[user] = secret
        self.used_codes.setdefault(user, []).append(code)
        return secret

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
        out_fd, err_fd, in_fd = p.stdout.fileno(), p.stderr.fileno(), p.stdin.fileno()
        _set_nonblock(out_fd)
        _set_nonblock(err_fd)
        out, err, errpos = b"", b"", 0
        open_fds = {out_fd, err_fd}
        deadline = time.monotonic() + slow(timeout)
        try:
            while open_fds:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("pamdrive %s %s timed out\n%s" % (
                        service, user, PamResult(out.decode(errors="replace"),
                                                 err.decode(errors="replace"), None)))
                r, _, _ = select.select(list(open_fds), [], [], left)
                for fd in r:
                    data, eof = _read_avail(fd)
                    if fd == out_fd:
                        out += data
                    else:
                        err += data
                    if eof:
                        open_fds.discard(fd)
                # Each marker line on stderr: pamdrive waits for one answer.
                while True:
                    nl = err.find(b"\n", errpos)
                    if nl < 0:
                        break
                    line = err[errpos:nl]
                    errpos = nl + 1
                    if line.strip() != b"PAMDRIVE_READ":
                        continue
                    if out_fd in open_fds:  # everything printed before the marker
                        data, eof = _read_avail(out_fd)
                        out += data
                        if eof:
                            open_fds.discard(out_fd)
                    if not answers:
                        if not p.stdin.closed:
                            p.stdin.close()
                        continue
                    a = answers.pop(0)
                    if callable(a):
                        a = a(PamResult(out.decode(errors="replace"),
                                        err.decode(errors="replace"), None))
                    try:
                        os.write(in_fd, (str(a) + "\n").encode())
                    except BrokenPipeError:
                        pass
            rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            _end_child(p)
        err_s = "\n".join(l for l in err.decode(errors="replace").splitlines()
                          if l.strip() != "PAMDRIVE_READ")
        return PamResult(out.decode(errors="replace"), err_s, rc)

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

    def regsd_tail(self, n=20):
        return "--- regsd.log (tail):\n" + "\n".join(self.regsd_log().splitlines()[-n:])


# ---------------------------------------------------------------- SMTP sink


def _smtp_python():
    """A python with aiosmtpd: this one, else the system's (the fixture's #!)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and subprocess.run([py, "-c", "import aiosmtpd"], capture_output=True,
                                 timeout=30).returncode == 0:
            return py
    raise RuntimeError("aiosmtpd is not installed (Debian: python3-aiosmtpd); the mail "
                       "tests need it")


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port free right now (TCP, or UDP with socket.SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """The pids of every living descendant of pid (from /proc): the processes a server
    started in other sessions or as other users (sshd's and cockpit-ws's children)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _maildir_key(name):
    # mailbox.Maildir names: <seconds>.M<microseconds>P<pid>Q<n>.<host>
    m = re.match(r"(\d+)\.M(\d+)P\d+Q(\d+)", name)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), name) if m else (0, 0, 0, name)


class SmtpServer:
    """tests/fixtures/smtp_server.py on a free 127.0.0.1 port, delivering into
    a Maildir. tls: "starttls" (offered), "require-starttls" (mail refused
    before STARTTLS) or "plain"/None (no TLS). stop() and start() again keep
    the port and the Maildir."""

    def __init__(self, maildir, log, tls="starttls", certs=None):
        self.maildir, self.log, self.tls, self.certs = maildir, log, tls, certs
        self.port = None
        self.proc = None

    def start(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            return
        cmd = [_smtp_python(), os.path.join(FIXTURES, "smtp_server.py"),
               "--maildir", self.maildir]
        if self.certs:
            cmd += ["--tls-cert", os.path.join(self.certs, "server.pem"),
                    "--tls-key", os.path.join(self.certs, "server.key")]
        if self.tls == "require-starttls":
            cmd.append("--require-starttls")
        for attempt in range(5):
            port = self.port or free_port()
            logf = open(self.log, "ab")
            self.proc = subprocess.Popen(cmd + ["--port", str(port)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=logf)
            logf.close()
            r, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline().decode(errors="replace").strip() if r else ""
            if line == "ready":
                self.port = port
                return
            self.stop()
            if self.port:  # the same port again: a moment for it to be free
                time.sleep(0.5)
        with open(self.log, errors="replace") as f:
            raise RuntimeError("smtp_server.py did not start:\n" + f.read()[-3000:])

    def stop(self):
        p, self.proc = self.proc, None
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p and p.stdout:
            p.stdout.close()

    def running(self):
        return bool(self.proc and self.proc.poll() is None)

    def messages(self, to=None):
        """Delivered mails, oldest first; to: only those for this address."""
        d = os.path.join(self.maildir, "new")
        try:
            names = sorted(os.listdir(d), key=_maildir_key)
        except FileNotFoundError:
            return []
        msgs = []
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            rcpts = [a.lower() for _, a in email.utils.getaddresses(
                m.get_all("To", []) + m.get_all("X-RcptTo", []))]
            if to is None or to.lower() in rcpts:
                msgs.append(m)
        return msgs


# ---------------------------------------------------------------- one D-Bus connection


class _Wire:
    """D-Bus marshalling (little endian), enough for regsd's signatures."""

    FIXED = {"y": ("B", 1), "b": ("I", 4), "n": ("h", 2), "q": ("H", 2), "i": ("i", 4),
             "u": ("I", 4), "x": ("q", 8), "t": ("Q", 8), "d": ("d", 8), "h": ("I", 4)}
    ALIGN = {"s": 4, "o": 4, "g": 1, "a": 4, "(": 8, "{": 8, "v": 1}

    @staticmethod
    def split(sig):
        """A signature into its complete types."""
        out, i = [], 0
        while i < len(sig):
            j = _Wire._end(sig, i)
            out.append(sig[i:j])
            i = j
        return out

    @staticmethod
    def _end(sig, i):
        c = sig[i]
        if c == "a":
            return _Wire._end(sig, i + 1)
        if c in "({":
            depth, j = 0, i
            while True:
                if sig[j] in "({":
                    depth += 1
                elif sig[j] in ")}":
                    depth -= 1
                    if depth == 0:
                        return j + 1
                j += 1
        return i + 1

    @staticmethod
    def align_of(t):
        return _Wire.FIXED[t[0]][1] if t[0] in _Wire.FIXED else _Wire.ALIGN[t[0]]

    def __init__(self, data=b""):
        self.buf = bytearray(data)
        self.pos = 0

    def pad(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def put(self, t, v):
        c = t[0]
        if c in self.FIXED:
            fmt, n = self.FIXED[c]
            self.pad(n)
            self.buf += struct.pack("<" + fmt, int(bool(v)) if c == "b" else v)
        elif c in "so":
            b = v.encode()
            self.pad(4)
            self.buf += struct.pack("<I", len(b)) + b + b"\0"
        elif c == "g":
            b = v.encode()
            self.buf += struct.pack("<B", len(b)) + b + b"\0"
        elif c == "v":
            sig, val = v
            self.put("g", sig)
            self.put(sig, val)
        elif c == "a":
            self.pad(4)
            at = len(self.buf)
            self.buf += b"\0\0\0\0"
            self.pad(self.align_of(t[1:]))
            start = len(self.buf)
            for x in v:
                self.put(t[1:], x)
            struct.pack_into("<I", self.buf, at, len(self.buf) - start)
        elif c in "({":
            self.pad(8)
            for sub, x in zip(self.split(t[1:-1]), v):
                self.put(sub, x)
        else:
            raise ValueError("cannot marshal %r" % t)

    def skip_to(self, n):
        self.pos += (-self.pos) % n

    def get(self, t):
        c = t[0]
        if c in self.FIXED:
            fmt, n = self.FIXED[c]
            self.skip_to(n)
            v = struct.unpack_from("<" + fmt, self.buf, self.pos)[0]
            self.pos += n
            return bool(v) if c == "b" else v
        if c in "so":
            self.skip_to(4)
            n = struct.unpack_from("<I", self.buf, self.pos)[0]
            v = bytes(self.buf[self.pos + 4:self.pos + 4 + n]).decode(errors="replace")
            self.pos += 5 + n
            return v
        if c == "g":
            n = self.buf[self.pos]
            v = bytes(self.buf[self.pos + 1:self.pos + 1 + n]).decode()
            self.pos += 2 + n
            return v
        if c == "v":
            sig = self.get("g")
            return self.get(sig)
        if c == "a":
            self.skip_to(4)
            n = struct.unpack_from("<I", self.buf, self.pos)[0]
            self.pos += 4
            self.skip_to(self.align_of(t[1:]))
            end, out = self.pos + n, []
            while self.pos < end:
                out.append(self.get(t[1:]))
            return out
        if c in "({":
            self.skip_to(8)
            return [self.get(sub) for sub in self.split(t[1:-1])]
        raise ValueError("cannot unmarshal %r" % t)


def _bus_child():
    """Runs in a child (as the test user): one connection to the bus; reads
    JSON requests [method, signature, args] on stdin, answers JSON lines
    {"error": name|null, "message": str, "values": [...]}."""
    addr = os.environ["DBUS_SYSTEM_BUS_ADDRESS"]
    path = addr.split("path=", 1)[1].split(",")[0]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    line = b""
    while not line.endswith(b"\r\n"):
        d = sock.recv(1)
        if not d:
            raise RuntimeError("bus closed during auth")
        line += d
    if not line.startswith(b"OK"):
        raise RuntimeError("bus auth refused: %r" % line)
    sock.sendall(b"BEGIN\r\n")
    serial = [0]
    rbuf = bytearray()

    def recv_exact(n):
        while len(rbuf) < n:
            d = sock.recv(65536)
            if not d:
                raise RuntimeError("bus connection closed")
            rbuf.extend(d)
        out = bytes(rbuf[:n])
        del rbuf[:n]
        return out

    def read_message():
        head = recv_exact(16)
        body_len, _, fields_len = struct.unpack_from("<III", head, 4)
        rest = recv_exact(fields_len + (-(16 + fields_len) % 8) + body_len)
        w = _Wire(head + rest)
        w.pos = 12
        fields = {code: val for code, val in w.get("a(yv)")}
        w.skip_to(8)
        body = _Wire(w.buf[w.pos:])
        vals = [body.get(t) for t in _Wire.split(fields.get(8, ""))]
        return head[1], fields, vals

    def call(dest, objpath, iface, member, sig, args):
        serial[0] += 1
        body = _Wire()
        for t, v in zip(_Wire.split(sig), args):
            body.put(t, v)
        fields = [[1, ["o", objpath]], [3, ["s", member]], [6, ["s", dest]]]
        if iface:
            fields.append([2, ["s", iface]])
        if sig:
            fields.append([8, ["g", sig]])
        h = _Wire()
        h.buf += struct.pack("<BBBBII", ord("l"), 1, 0, 1, len(body.buf), serial[0])
        h.put("a(yv)", fields)
        h.pad(8)
        sock.sendall(bytes(h.buf) + bytes(body.buf))
        while True:
            mtype, f, vals = read_message()
            if mtype in (2, 3) and f.get(5) == serial[0]:
                if mtype == 3:
                    return {"error": f.get(4), "message": vals[0] if vals else "",
                            "values": vals}
                return {"error": None, "message": "", "values": vals}

    hello = call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                 "Hello", "", [])
    print(json.dumps({"ready": hello["values"][0] if hello["values"] else ""}), flush=True)
    for req in sys.stdin:
        method, sig, args = json.loads(req)
        print(json.dumps(call(BUS_NAME, BUS_PATH, BUS_IFACE, method, sig, args)), flush=True)


class BusSession:
    """One connection to the bus as uid, kept open across calls (a child
    process runs _bus_child). call() returns (error_name or None, values)."""

    def __init__(self, env, uid=None):
        code = "import sys; sys.path.insert(0, %r); import harness; harness._bus_child()" % HERE
        self.proc = subprocess.Popen(env.as_user(uid) + [sys.executable, "-c", code],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env.base_env(), text=True)
        first = self._line()
        self.unique_name = json.loads(first)["ready"]

    def _line(self, timeout=30):
        r, _, _ = select.select([self.proc.stdout], [], [], slow(timeout))
        line = self.proc.stdout.readline() if r else ""
        if not line:
            self.close()
            raise AssertionError("D-Bus helper failed: " + (self.proc.stderr.read() or "")[-2000:])
        return line

    def call(self, method, signature="", *args):
        self.proc.stdin.write(json.dumps([method, signature, list(args)]) + "\n")
        self.proc.stdin.flush()
        r = json.loads(self._line())
        return r["error"], r["values"] if r["error"] is None else [r["message"]]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------- JSON helpers


def load_json(text, what="output"):
    try:
        return json.loads(text)
    except ValueError as e:
        raise AssertionError("%s is not JSON (%s):\n%s" % (what, e, text))


def walk_json(obj):
    """Every dict and list inside obj (obj included)."""
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from walk_json(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_json(v)


def json_records(obj):
    """The list of records of a JSON document: the document if it is a list,
    else the first list-of-dicts value inside it."""
    for o in walk_json(obj):
        if isinstance(o, list) and (not o or all(isinstance(x, dict) for x in o)):
            return o
    return []


# ---------------------------------------------------------------- TAP runner


def _diag(text):
    for line in str(text).rstrip("\n").splitlines():
        print("# " + line)


def main(g, **env_kwargs):
    """Runs every test_* function of the module dict g in definition order."""
    tests = [(n, f) for n, f in g.items() if n.startswith("test_") and callable(f)]
    print("1..%d" % len(tests), flush=True)
    needs_env = any(len(inspect.signature(f).parameters) > 0 for _, f in tests)
    env, setup_error = None, None
    try:
        if needs_env:
            try:
                env = Env(**env_kwargs).__enter__()
            except Exception:
                setup_error = traceback.format_exc()
        for k, (name, fn) in enumerate(tests, 1):
            takes_env = len(inspect.signature(fn).parameters) > 0
            try:
                if takes_env and setup_error:
                    raise RuntimeError("environment set-up failed:\n" + setup_error)
                fn(env) if takes_env else fn()
                print("ok %d - %s" % (k, name), flush=True)
            except Skip as s:
                print("ok %d - %s # SKIP %s" % (k, name, s), flush=True)
            except Exception as e:
                print("not ok %d - %s" % (k, name))
                _diag("%s: %s" % (type(e).__name__, e))
                _diag(traceback.format_exc())
                if env and env.tmp:
                    _diag(env.regsd_tail(15))
                sys.stdout.flush()
    finally:
        if env:
            env.__exit__(None, None, None)
    sys.exit(0)


def status_otp_line(text):
    """The line of a `regsctl status` table about OTP."""
    for line in text.splitlines():
        if re.search(r"\botp\b", line, re.I):
            return line
    raise AssertionError("no OTP line in regsctl status output:\n" + text)
