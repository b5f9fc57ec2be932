"""End to end: every login method goes through regsd's one gate (daemon/gate.c): a locked
account is refused by the gate, before the method's own check, with the lock verdict and one
activity-log line (R9.1, R9.3); a failure through any method counts toward the same lock.

The methods, driven over the bus as the module and regsctl drive them: OTP login (VerifyOtp),
OTP step-up (StepUp), the OTP half of a Google login (GoogleLogin), card login (CardLogin,
CardLoginSerial), card step-up (StepUpCard), the answer of a Google or mobile-ID flow
(OobWait), and a failure the module counts itself (RecordFailure). Google and mobile ID use
the providers of test_google.py and test_mobile.py (their set-up and binding helpers); the
card needs no reader here: a card that is not bound is refused by the method, and a locked
account is refused before anything of the card is looked at.
"""

import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402
import test_google as google  # noqa: E402
import test_mobile as mobile  # noqa: E402

R_OK, R_WRONG, R_LOCKED = 0, 1, 4
R_CARD_NOT_BOUND, R_OOB_NOT_BOUND = 10, 16
OOB_APPROVED, OOB_NOT_BOUND, OOB_LOCKED = 1, 6, 7
LOG_LOCKED = "locked"  # the result as GetLog names it
THRESHOLD = 3  # lock_threshold (R9.1)
CERT = bytes(range(256)) * 2  # not a certificate: the card is not bound anyway
SIG = bytes(256)
SERVICE, RHOST = "login", "gate.example"


class _State:
    conf = {}


S = _State()


# ---------------------------------------------------------------- helpers


def failures(env, user):
    return env.get_account(user)[2]


def unlock(env, user):
    env.call_ok("Unlock", "string:" + user)


def lock(env, user):
    """Locks user with failures the module records (RecordFailure), then moves the clock so
    that the next log line is the attempt's own."""
    for _ in range(THRESHOLD):
        record_failure(env, user)
    check(env.is_locked(user), "%s not locked: %r" % (user, env.get_account(user)))
    env.advance(1)


def log_since(env, user, since):
    """GetLog entries (time, user, event, method, service, rhost, result, actor) since."""
    with env.bus_session() as bus:
        e, v = bus.call("GetLog", "stu", user, since, 200)
    check(e is None, "GetLog failed: %s %s" % (e, v))
    return [tuple(x) for x in v[0] if x[0] >= since]


def refused_by_lock(env, user, event, method, attempt, locks_itself=False):
    """attempt() on user's locked account returns the verdict's (result, lock seconds left);
    checks the lock verdict, exactly one activity-log line for it, and nothing counted.
    locks_itself: attempt(lock_now) locks the account itself, at the moment it chooses."""
    seen = {}

    def lock_now():
        lock(env, user)
        seen["failures"], seen["since"] = failures(env, user), env.now()
    if not locks_itself:
        lock_now()
    result, lock_left = attempt(lock_now) if locks_itself else attempt()
    what = "%s %s on a locked account" % (method, event)
    check(result == R_LOCKED, "%s: result %r" % (what, result), env.regsd_tail())
    check(lock_left > 0, "%s: the verdict says how long the lock lasts" % what)
    lines = log_since(env, user, seen["since"])
    check(len(lines) == 1, "%s: one log line, got %r" % (what, lines))
    check(lines[0][2:4] == (event, method) and lines[0][6] == LOG_LOCKED,
          "%s: the line names the attempt and the lock: %r" % (what, lines[0]))
    check(failures(env, user) == seen["failures"], "%s: counted" % what)
    unlock(env, user)


def counted(env, user, what, attempt, want):
    """attempt() fails with want; the account's one count goes up by one (or locks)."""
    before = failures(env, user)
    got = attempt()
    check(got == want, "%s: result %r, expected %r" % (what, got, want), env.regsd_tail())
    if before + 1 < THRESHOLD:
        check(failures(env, user) == before + 1, "%s: not counted (%d -> %d)"
              % (what, before, failures(env, user)))
    else:
        check(env.is_locked(user), "%s: failure %d did not lock" % (what, before + 1))
        unlock(env, user)
    env.advance(1)


def verify_otp(env, user, code):
    v = env.call_ok("VerifyOtp", "string:" + user, "string:" + code, "string:" + SERVICE,
                    "string:" + RHOST)
    return v[0], v[1]


def step_up(env, user, code):
    with env.bus_session(env.users[user]) as s:
        e, v = s.call("StepUp", "ssss", "view", code, "regsctl", "")
    check(e is None, "StepUp failed: %s %s" % (e, v))
    return v[0], v[1]


def record_failure(env, user):
    v = env.call_ok("RecordFailure", "string:" + user, "string:password", "string:" + SERVICE,
                    "string:" + RHOST)
    return v[0], v[1]


def card_login(env, user, serial=None, cert=CERT):
    """CardChallenge(login) + CardLogin (or CardLoginSerial with serial) as root."""
    with env.bus_session() as s:
        e, v = s.call("CardChallenge", "ss", user, "login")
        check(e is None, "CardChallenge failed: %s %s" % (e, v))
        if serial is None:
            e, v = s.call("CardLogin", "sayayss", v[0], list(cert), list(SIG), SERVICE, RHOST)
        else:
            e, v = s.call("CardLoginSerial", "sayaysss", v[0], list(cert), list(SIG), SERVICE,
                          RHOST, serial)
    check(e is None, "card login failed: %s %s" % (e, v))
    return v[0], v[1]


def card_step_up(env, user):
    with env.bus_session(env.users[user]) as s:
        e, v = s.call("CardChallenge", "ss", "", "step-up")
        check(e is None, "CardChallenge(step-up) failed: %s %s" % (e, v))
        e, v = s.call("StepUpCard", "sayays", v[0], list(CERT), list(SIG), "view")
    check(e is None, "StepUpCard failed: %s %s" % (e, v))
    return v[0], v[1]


def oob_verdict(v):
    """An OobWait reply (state, seconds left, lock seconds left) as (result, lock)."""
    return (R_LOCKED if v[0] == OOB_LOCKED else v[0]), v[2]


def google_flow(env, user, sub, then=None, code=None, before_login=None):
    """GoogleBegin(login) for user, approved at the provider as sub; then(), OobWait; with
    code, before_login() and GoogleLogin with it on the same connection. Returns OobWait's
    reply, or GoogleLogin's."""
    with env.bus_session() as s:
        e, v = s.call("GoogleBegin", "ssss", user, "login", SERVICE, RHOST)
        check(e is None, "GoogleBegin failed: %s %s" % (e, v))
        handle = v[0]
        google.S.op.wait_flow()
        google.S.op.approve(sub=sub)
        env.advance(6)  # the device flow's poll interval, 5 s, has passed
        if then:
            then()
        e, v = s.call("OobWait", "s", handle)
        check(e is None, "OobWait failed: %s %s" % (e, v))
        if code is None:
            return v
        check(v[0] == OOB_APPROVED, "the Google approval: %r" % (v,), env.regsd_tail())
        if before_login:
            before_login()
        e, v = s.call("GoogleLogin", "ssss", handle, code(), SERVICE, RHOST)
        check(e is None, "GoogleLogin failed: %s %s" % (e, v))
        return v


def mobile_flow(env, user, id_num, then=None):
    """MobileBegin(login) for user, approved on id_num's phone; then(), then OobWait."""
    mobile.new_window(env)
    with env.bus_session() as s:
        e, v = s.call("MobileBegin", "sssss", user, id_num, "login", SERVICE, RHOST)
        check(e is None, "MobileBegin failed: %s %s" % (e, v))
        handle = v[0]
        mobile.S.svc.wait_transaction()
        check(mobile.S.svc.approve("push") == "0", "the phone's approval was refused")
        env.advance(mobile.POLL)
        if then:
            then()
        e, v = s.call("OobWait", "s", handle)
    check(e is None, "OobWait failed: %s %s" % (e, v))
    return v


def bound_everywhere(env, user):
    """OTP, Google and a phone bound to user (a card: none, see the module text)."""
    google.use(env)
    mobile.use(env)
    google.ensure_otp(env, user)
    if not env.get_account(user)[0] & harness.F_GOOGLE_BOUND:
        google.bound(env, user)
    if not env.get_account(user)[0] & harness.F_MOBILE_BOUND:
        mobile.bound(env, user)
    unlock(env, user)


# ---------------------------------------------------------------- the lock, method by method


def test_R9_1_locked_otp_login_refused_by_the_gate(env):
    secret = google.ensure_otp(env, "alice")
    code = env.fresh_code(secret)
    refused_by_lock(env, "alice", "login", "otp", lambda: verify_otp(env, "alice", code))
    check(verify_otp(env, "alice", code)[0] == R_OK,
          "the code refused by the lock was spent: the method ran behind the gate")


def test_R9_1_locked_otp_step_up_refused_by_the_gate(env):
    secret = google.ensure_otp(env, "alice")
    code = env.fresh_code(secret)
    refused_by_lock(env, "alice", "step-up", "otp", lambda: step_up(env, "alice", code))
    check(step_up(env, "alice", code)[0] == R_OK, "the step-up code was spent behind the gate")


def test_R9_1_locked_card_login_refused_by_the_gate(env):
    refused_by_lock(env, "carol", "login", "card", lambda: card_login(env, "carol"))
    check(card_login(env, "carol")[0] == R_CARD_NOT_BOUND,
          "unlocked, the card method itself judges")
    unlock(env, "carol")


def test_R9_1_locked_card_login_serial_refused_by_the_gate(env):
    refused_by_lock(env, "carol", "login", "card",
                    lambda: card_login(env, "carol", serial="0A1B", cert=b""))
    refused_by_lock(env, "carol", "login", "card",
                    lambda: card_login(env, "carol", serial="0A1B"))


def test_R9_1_locked_card_step_up_refused_by_the_gate(env):
    refused_by_lock(env, "carol", "step-up", "card", lambda: card_step_up(env, "carol"))


def test_R9_1_locked_google_login_otp_refused_by_the_gate(env):
    bound_everywhere(env, "alice")
    code = env.fresh_code(env.secrets["alice"])
    refused_by_lock(env, "alice", "login", "otp", lambda lock_now: google_flow(
        env, "alice", google.sub("alice"), code=lambda: code, before_login=lock_now)[:2],
        locks_itself=True)


def test_R9_1_locked_google_answer_refused_by_the_gate(env):
    bound_everywhere(env, "alice")
    refused_by_lock(env, "alice", "login", "google", lambda lock_now: oob_verdict(
        google_flow(env, "alice", google.sub("alice"), then=lock_now)), locks_itself=True)


def test_R9_1_locked_mobile_answer_refused_by_the_gate(env):
    bound_everywhere(env, "alice")
    refused_by_lock(env, "alice", "login", "mobile", lambda lock_now: oob_verdict(
        mobile_flow(env, "alice", mobile.IDS["alice"], then=lock_now)), locks_itself=True)


def test_R9_1_locked_account_cannot_begin_a_flow(env):
    bound_everywhere(env, "alice")
    lock(env, "alice")
    n = len(mobile.sent())
    rc, out, err = env.dbus_call("GoogleBegin", "string:alice", "string:login",
                                 "string:login", "string:")
    check(rc != 0 and google.E_NOT_ALLOWED in err, "GoogleBegin while locked", out, err)
    rc, out, err = env.dbus_call("MobileBegin", "string:alice",
                                 "string:" + mobile.IDS["alice"], "string:login",
                                 "string:login", "string:")
    check(rc != 0 and mobile.E_NOT_ALLOWED in err, "MobileBegin while locked", out, err)
    check(len(mobile.sent()) == n, "a push went out for a locked account")
    unlock(env, "alice")


def test_R9_1_locked_record_failure_not_counted_again(env):
    refused_by_lock(env, "dave", "login", "password", lambda: record_failure(env, "dave"))


# ---------------------------------------------------------------- one count for all methods


def test_R9_1_a_failure_through_each_method_counts_toward_one_lock(env):
    bound_everywhere(env, "bob")
    secret = env.secrets["bob"]
    attempts = [
        ("OTP login", lambda: verify_otp(env, "bob", env.wrong_code(secret))[0], R_WRONG),
        ("OTP step-up", lambda: step_up(env, "bob", env.wrong_code(secret))[0], R_WRONG),
        ("card login", lambda: card_login(env, "bob")[0], R_CARD_NOT_BOUND),
        ("card login with serial", lambda: card_login(env, "bob", serial="0A1B")[0],
         R_CARD_NOT_BOUND),
        ("card step-up", lambda: card_step_up(env, "bob")[0], R_CARD_NOT_BOUND),
        ("Google account of someone else",
         lambda: google_flow(env, "bob", "sub-nobody")[0], OOB_NOT_BOUND),
        ("Google login, wrong OTP", lambda: google_flow(
            env, "bob", google.sub("bob"), code=lambda: env.wrong_code(secret))[0], R_WRONG),
        ("phone of someone else",
         lambda: mobile_flow(env, "bob", mobile.IDS["erin"])[0], OOB_NOT_BOUND),
        ("a failure the module records", lambda: record_failure(env, "bob")[0], R_WRONG),
    ]
    for what, attempt, want in attempts:
        counted(env, "bob", what, attempt, want)


# ---------------------------------------------------------------- no way around the gate


def test_R9_1_only_the_gate_counts_failures_and_logs_login_attempts():
    """In regsd's source: failures are counted, and login, step-up and approval attempts are
    logged, only in daemon/gate.c; a lock is checked elsewhere only by the account flags and
    the ssh key lookup (R11.4), which are no login attempts."""
    lock_checks_allowed = {"account.c", "sshkeys.c", "gate.c"}
    for path in sorted(glob.glob(os.path.join(harness.SRCDIR, "daemon", "*.c"))):
        name = os.path.basename(path)
        with open(path) as f:
            text = f.read()
        if name == "gate.c":
            continue
        check("policy_record_failure" not in text, "%s counts a failure itself" % name)
        for init in re.findall(r"struct audit_event \w+ = \{([^}]*)\}", text):
            event = init.split(",")[1].strip()
            check(event not in ('"login"', '"step-up"', '"approve"'),
                  "%s logs a login attempt itself: {%s}" % (name, init))
        if name not in lock_checks_allowed:
            check(not re.search(r"policy_lock_seconds_left\([^;]*\) > 0", text),
                  "%s checks the lock itself" % name)


def _setup():
    google._setup()
    mobile._setup()
    S.conf = dict(google.S.conf, **mobile.S.conf)


if __name__ == "__main__":
    _setup()
    try:
        harness.main(globals(), conf=S.conf)
    finally:
        google.S.op.stop()
        mobile.S.svc.stop()
