"""Durability per kind of record (regsd(8), DURABILITY): what regsd answered survives kill -9.

Each test makes one change through a real interface (a PAM login through pamdrive, regsctl, a
bus call), kills regsd with SIGKILL as soon as the reply is in, starts it again on the same
state directory and shows that the change is still there: a used code is refused as replayed,
a failure count and a lock stand, a binding logs in, a code and a pending enrolment can still
be redeemed, the activity-log row is listed, a setting is kept. regsd replies only after the
batch's commit has returned (daemon/service.c, run_batch), and a commit has written every page,
its meta page included, to the file before it returns: what the kernel holds survives the
process. These tests prove that half; the card, Google and mobile bindings, which need those
files' fixtures, have theirs in test_card.py, test_google.py and test_mobile.py
(test_R3_card_binding_survives_kill_9 and its siblings).

The other half, a power loss, is argued in regsd(8), DURABILITY, not tested: a commit's data
pages are on the device when it returns, its meta page reaches the device with the next
commit's sync or at most about 30 ms later (store_flush_idle), so a power loss can undo only
a commit made in the last moments before it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import F_LOCKED, F_OTP_BOUND, check, check_in, parse_reply  # noqa: E402

THRESHOLD = 3  # lock_threshold: the default, written out for the lock test


def crash(env):
    """kill -9 of regsd right after the last reply, and a start on the same state directory."""
    env.kill_regsd()
    env.start_regsd()


def test_R2_4_used_step_survives_kill_9(env):
    user = "user1"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    r = env.login(user, code)
    check(r.auth == "PAM_SUCCESS", "the first login with the code failed", r, env.regsd_tail())
    crash(env)
    r = env.login(user, code)
    check(r.auth != "PAM_SUCCESS", "a used code was accepted again after kill -9", r)
    check_in("already been used", r.error_text, "the replay message", r)


def test_R9_1_failure_count_survives_kill_9(env):
    user = "user2"
    secret = env.enrol(user)
    r = env.login(user, env.wrong_code(secret))
    check(r.auth != "PAM_SUCCESS", "a wrong code was accepted", r)
    check(env.get_account(user)[2] == 1, "one failure not counted: %r" % (env.get_account(user),))
    crash(env)
    check(env.get_account(user)[2] == 1, "the failure count was lost over kill -9: %r"
          % (env.get_account(user),))
    r = env.login(user, env.wrong_code(secret))
    check(env.get_account(user)[2] == 2, "counting did not go on from the kept count: %r"
          % (env.get_account(user),))


def test_R9_1_lock_survives_kill_9(env):
    user = "user3"
    secret = env.enrol(user)
    env.lock(user)
    crash(env)
    flags, lock_left, _ = env.get_account(user)
    check(flags & F_LOCKED and lock_left > 0, "the lock was lost over kill -9: %r"
          % (env.get_account(user),))
    r = env.login(user, env.fresh_code(secret))
    check(r.auth != "PAM_SUCCESS", "a locked account logged in after kill -9", r)


def test_R9_4_unlock_survives_kill_9(env):
    user = "user4"
    env.enrol(user)
    env.lock(user)
    rc, out, err = env.regsctl(["unlock", user], uid="carol", input="")
    check(rc == 0, "regsctl unlock exit %d" % rc, out, err)
    crash(env)
    check(not env.is_locked(user), "the unlock was lost over kill -9: %r"
          % (env.get_account(user),))
    env.login_ok(user)


def test_R2_3_otp_binding_survives_kill_9(env):
    user = "user5"
    env.enrol(user)
    crash(env)
    check(env.is_bound(user), "the OTP binding was lost over kill -9")
    env.login_ok(user)


def test_R9_4_reset_of_a_binding_survives_kill_9(env):
    user = "user6"
    env.enrol(user)
    rc, out, err = env.regsctl(["reset", user, "otp"], uid="carol", input="")
    check(rc == 0, "regsctl reset exit %d" % rc, out, err)
    crash(env)
    check(not env.is_bound(user), "a deleted OTP binding came back after kill -9")


def test_R2_2_pending_enrolment_survives_kill_9(env):
    user = "user7"
    uid = env.users[user]
    rc, out, err = env.dbus_call("BeginOtpEnrol", "string:" + user, uid=uid)
    check(rc == 0, "BeginOtpEnrol failed: %s" % err, out)
    handle, _uri, secret, _expires = parse_reply(out)
    crash(env)
    rc, out, err = env.dbus_call("ConfirmOtpEnrol", "string:" + handle,
                                 "string:" + env.totp(secret), "string:durability",
                                 "string:", uid=uid)
    check(rc == 0 and parse_reply(out)[0] == harness.R_OK,
          "the pending enrolment was lost over kill -9: rc %d" % rc, out, err)
    check(env.is_bound(user), "not bound after confirming the kept enrolment")


def test_R8_reset_code_survives_kill_9(env):
    user = "user8"
    env.enrol(user)
    address = "%s@example.org" % user
    rc, out, err = env.regsctl(["set-email", user, address], uid="carol", input="")
    check(rc == 0, "regsctl set-email exit %d" % rc, out, err)
    rc, out, err = env.regsctl(["reset-code", "request", "--no-wait"], uid=user, input="")
    check(rc == 0, "reset-code request exit %d" % rc, out, err, env.regsd_tail())
    code = env.last_code(address)
    crash(env)
    rc, out, err = env.regsctl(["reset-code", "redeem", code], uid=user, input="")
    check(rc == 0, "the e-mailed code was lost over kill -9 (redeem exit %d)" % rc, out, err,
          env.regsd_tail())
    check(not env.get_account(user)[0] & F_OTP_BOUND, "the redeemed code deleted no binding")


def test_R9_3_audit_row_survives_kill_9(env):
    user = "user9"
    env.enrol(user)
    env.login_ok(user, rhost="durability-host")
    crash(env)
    rc, out, err = env.regsctl(["log", "--json", "--user", user])
    check(rc == 0, "regsctl log exit %d" % rc, out, err)
    rows = harness.json_records(harness.load_json(out, "log --json"))
    check(any("durability-host" in str(r.values()) for r in rows),
          "the login's activity-log row was lost over kill -9", out)


def test_R9_6_settings_survive_kill_9(env):
    user = "user10"
    env.enrol(user)
    rc, out, err = env.regsctl(["language", "en"], uid=env.users[user], input="")
    check(rc == 0, "regsctl language exit %d" % rc, out, err)
    address = "%s@example.net" % user
    rc, out, err = env.regsctl(["set-email", user, address], uid="carol", input="")
    check(rc == 0, "regsctl set-email exit %d" % rc, out, err)
    rc, out, err = env.regsctl(["set-class", user, "institution"], uid="carol", input="")
    check(rc == 0, "regsctl set-class exit %d" % rc, out, err)
    crash(env)
    check(env.get_language(user)[0] == "en", "the language choice was lost over kill -9: %r"
          % (env.get_language(user),))
    check(env.call_ok("GetEmail", "string:" + user)[0] == address,
          "the e-mail address was lost over kill -9")
    check(env.get_account(user)[0] & harness.F_INSTITUTION,
          "the account class was lost over kill -9: %r" % (env.get_account(user),))

if __name__ == "__main__":
    harness.main(globals(), smtp=True, conf={"lock_threshold": str(THRESHOLD)})
