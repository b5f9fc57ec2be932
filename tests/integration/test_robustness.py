"""Robustness: regsd down, crashes during a login burst, hostile bus callers."""

import errno
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in, dbus_error_name  # noqa: E402


def _denied(name):
    # tw.regs.Error.AccessDenied from regsd, or the bus policy's own refusal.
    return name in ("tw.regs.Error.AccessDenied", "org.freedesktop.DBus.Error.AccessDenied")


def test_failmode_secure_regsd_down_refuses_login(env):
    user = "user1"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    env.stop_regsd()
    try:
        r = env.login(user, code)
        check(r.auth != "PAM_SUCCESS", "login accepted with regsd down", r)
        check_in("not reachable", r.error_text, "unreachable message", r)
    finally:
        env.start_regsd()
    env.login_ok(user)


def test_failmode_open_is_explicit_and_logged(env):
    user = "user2"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    env.stop_regsd()
    try:
        r = env.login(user, code, service="login-open")
        check(r.auth == "PAM_SUCCESS", "failmode=open refused a right password", r)
        check(r.acct in (None, "PAM_SUCCESS"), "failmode=open account phase refused", r)
        logged = r.err + "\n" + r.text
        check(any(w in logged.lower() for w in ("failmode", "fail open", "fail-open")),
              "failing open was neither logged (pam_syslog) nor shown", r)
        r = env.pam("login-open", user, ["wrong-password", code])
        check(r.auth != "PAM_SUCCESS", "failmode=open let a wrong password in", r)
        r = env.login(user, code)  # the same situation without the option
        check(r.auth != "PAM_SUCCESS", "failmode=secure (default) let a login in", r)
    finally:
        env.start_regsd()


def test_R2_4_kill_9_during_login_burst_loses_nothing(env):
    users = ["user%d" % i for i in range(11, 41)]
    for u in users:
        env.enrol(u)
    env.advance(30)
    codes = {u: env.totp(env.secrets[u]) for u in users}
    results, lock = {}, threading.Lock()

    def run(u):
        try:
            r = env.login(u, codes[u])
        except Exception as e:  # recorded, judged below
            r = e
        with lock:
            results[u] = r

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            ok = sum(1 for r in results.values()
                     if isinstance(r, harness.PamResult) and r.auth == "PAM_SUCCESS")
            done = len(results)
        if ok >= 5 or done == len(users):
            break
        time.sleep(0.005)
    env.kill_regsd()
    in_flight = len(users) - len(results)
    env.start_regsd()  # the same state dir after SIGKILL
    for t in threads:
        t.join(120)
    succeeded = [u for u, r in results.items()
                 if isinstance(r, harness.PamResult) and r.auth == "PAM_SUCCESS"]
    check(succeeded, "no login succeeded before the kill", results)
    harness._diag("%d logins succeeded, %d were in flight at the kill"
                  % (len(succeeded), in_flight))
    for u in users:
        check(env.is_bound(u), "%s lost its binding over SIGKILL" % u)
    for u in succeeded:
        r = env.login(u, codes[u])
        check(r.auth != "PAM_SUCCESS", "%s: code accepted again after SIGKILL" % u, r)
        check_in("already been used", r.error_text, "%s: replay message" % u, r)


def test_non_root_cannot_enrol_or_read_other_account(env):
    calls = [
        ("BeginOtpEnrol", ["string:bob"]),
        ("GetStatus", ["string:bob"]),
        ("VerifyOtp", ["string:bob", "string:123456", "string:evil", "string:"]),
    ]
    for method, args in calls:
        rc, out, err = env.dbus_call(method, *args, uid="alice")
        check(rc != 0 and _denied(dbus_error_name(err)),
              "%s for bob as alice: want AccessDenied, got rc %d %r" % (method, rc, err), out)
    check(not env.is_bound("bob"), "bob bound by alice")
    # Alice may still ask about herself.
    rc, out, err = env.dbus_call("GetStatus", "string:", uid="alice")
    check(rc == 0, "GetStatus for herself refused: %s" % err)


def test_verifier_gets_answers_never_secrets(env):
    """A web application's user (verifier_group) may verify codes and count
    failures for other accounts, but may not start their enrolment (that
    would hand it a secret) nor read their status or log."""
    secret = env.enrol("erin")
    code = env.fresh_code(secret)
    rc, out, err = env.dbus_call("VerifyOtp", "string:erin", "string:" + code,
                                 "string:webapp", "string:", uid="dave")
    check(rc == 0, "verifier refused VerifyOtp: %s" % err)
    result = harness.parse_reply(out)
    check(result and result[0] == harness.R_OK, "verifier's right code not accepted", out)
    for method, args in [("BeginOtpEnrol", ["string:bob"]), ("GetStatus", ["string:erin"]),
                         ("GetLog", ["string:erin", "uint64:0", "uint32:10"])]:
        rc, out, err = env.dbus_call(method, *args, uid="dave")
        check(rc != 0 and _denied(dbus_error_name(err)),
              "%s as verifier: want AccessDenied, got rc %d %r" % (method, rc, err), out)
    check(not env.is_bound("bob"), "bob got a pending binding from a verifier")


def _fill(path):
    """Writes zeros to path until the file system says it is full."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            check(e.errno == errno.ENOSPC, "filling the disk: %s" % e)


def test_full_disk_refuses_login_clearly_and_loses_nothing(env):
    """The state directory on a small tmpfs, filled up: a login whose attempt
    cannot be recorded is refused with a clear message (never let in), and
    once space is back every earlier binding is intact."""
    user = "user10"
    secret = env.enrol(user)
    mnt = env.path("smalldisk")
    os.makedirs(mnt)
    env.stop_regsd()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt],
                   check=True)
    try:
        for name in os.listdir(env.path("state")):
            src = os.path.join(env.path("state"), name)
            if os.path.isfile(src):  # the database and the key; not the CRL cache
                shutil.copy2(src, mnt)
        env.write_conf(state_dir=mnt, seal_key_file=os.path.join(mnt, "seal.key"))
        env.start_regsd()
        env.login_ok(user)
        _fill(os.path.join(mnt, "filler"))
        # LMDB first reuses the pages it already has: grow the activity log
        # (every recorded attempt is a record) until a commit needs new ones.
        for i in range(5000):
            rc, out, err = env.dbus_call("RecordFailure", "string:user9", "string:password",
                                         "string:filler", "string:")
            if rc != 0:
                break
        check(dbus_error_name(err) == "tw.regs.Error.Storage",
              "a full disk gave no storage error after %d records: %r" % (i, err))
        # LMDB may still find a freed page for a login's records; a login it
        # cannot record must be refused, and one it lets in must be recorded.
        refused, accepted = 0, []
        for attempt in range(6):
            r = env.login(user, env.fresh_code(secret), rhost="full-disk-%d" % attempt)
            if r.auth == "PAM_SUCCESS":
                accepted.append("full-disk-%d" % attempt)
                continue
            if env.regsd_proc.poll() is None or "storage error" in r.error_text:
                check_in("storage error", r.error_text, "full-disk message", r)
            else:  # regsd exited on an LMDB panic: refused as unreachable
                check_in("not reachable", r.error_text, "message with regsd gone", r)
            refused += 1
        check(refused > 0, "no login was refused on a full disk", accepted)
        check("storage: transaction failed" in env.regsd_log(),
              "regsd did not log the failed transaction")
        os.unlink(os.path.join(mnt, "filler"))
        if env.regsd_proc.poll() is not None:
            # LMDB could not write its meta page: regsd exited (systemd restarts it).
            check(env.regsd_proc.returncode != 0, "regsd stopped with status 0 after a panic")
            env.start_regsd()
        check(env.is_bound(user), "binding lost after the disk filled up")
        rc, out, err = env.regsctl(["log", "--json", "--user", user])
        for host in accepted:
            check(host in out, "a login let in on the full disk is not in the log", host, out)
        env.login_ok(user)
    finally:
        env.stop_regsd()
        subprocess.run(["umount", mnt])
        env.write_conf(state_dir=env.path("state"),
                       seal_key_file=os.path.join(env.path("state"), "seal.key"))
        env.start_regsd()


def test_malformed_bus_arguments_named_error_daemon_keeps_serving(env):
    rc, out, err = env.dbus_call("VerifyOtp", "uint32:1", "uint32:2", "uint32:3", "uint32:4")
    check(rc != 0 and dbus_error_name(err) == "tw.regs.Error.InvalidArgs",
          "VerifyOtp(uuuu): %r" % err)
    rc, out, err = env.dbus_call("VerifyOtp", "string:alice")
    check(rc != 0 and dbus_error_name(err) == "tw.regs.Error.InvalidArgs",
          "VerifyOtp(s): %r" % err)
    rc, out, err = env.dbus_call("GetAccount", "string:" + "a" * 10000)
    check(rc != 0 and dbus_error_name(err) == "tw.regs.Error.InvalidArgs",
          "GetAccount(10,000 chars): %r" % err)
    rc, out, err = env.dbus_call("VerifyOtp", "string:" + "b" * 10000, "string:123456",
                                 "string:login", "string:")
    check(rc != 0 and dbus_error_name(err) == "tw.regs.Error.InvalidArgs",
          "VerifyOtp(10,000-char user): %r" % err)
    # Non-UTF-8 strings cannot be sent with dbus-send (libdbus validates them).
    rc, out, err = env.dbus_call("NoSuchMethod", "string:x")
    check(rc != 0 and dbus_error_name(err), "unknown method answered: %r %r" % (out, err))
    check(env.regsd_proc.poll() is None, "regsd died", env.regsd_tail())
    flags, _, _ = env.get_account("alice")
    check(isinstance(flags, int), "GetAccount after abuse: %r" % flags)


def test_malformed_codes_rejected_without_lockout_effects(env):
    # One user per code, so lockout policy (counted or not) cannot mask the message.
    for i, code in enumerate(["12345", "1234567", "abcdef", ""]):
        user = "user%d" % (3 + i)
        env.enrol(user)
        r = env.login(user, code)
        check(r.auth != "PAM_SUCCESS", "malformed code %r accepted" % code, r)
        check_in("6 digits", r.error_text, "malformed code %r" % code, r)
    env.login_ok("user3")


if __name__ == "__main__":
    harness.main(globals())
