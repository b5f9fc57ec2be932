"""R12.1-R12.4 end to end: whole user names, challenge tables nobody can flood, replays that are
not failures, and a clock-drift hint that hands out no future code. Real PAM stack, real
dbus-daemon, regsd on its LMDB."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in  # noqa: E402

# R12.1: a 63-byte name (the old cut) and names that begin with it.
VICTIM = "v" * 63
ATTACKER = VICTIM + "-evil"       # 68 bytes: was cut to VICTIM
ADMIN63 = "a" * 63                # an administrator
ADMIN_LOOKALIKE = ADMIN63 + "x"   # 64 bytes: was cut to ADMIN63 and inherited its group
LONGEST = "w" * 251 + "tail"      # 255 bytes: the platform's full length, handled whole
TOO_LONG = "w" * 256              # over LOGIN_NAME_MAX: refused clearly
LONG_USERS = [(VICTIM, 3001), (ATTACKER, 3002), (ADMIN63, 3003), (ADMIN_LOOKALIKE, 3004),
              (LONGEST, 3005), (TOO_LONG, 3006)]
R_BAD_CHALLENGE = harness.R_BAD_CHALLENGE


def _failures(env, user):
    return env.get_account(user)[2]


def test_R12_1_long_name_never_acts_on_the_account_of_its_prefix(env):
    check(not env.is_bound(VICTIM), "victim bound before the test")
    secret = env.enrol(ATTACKER)
    check(env.is_bound(ATTACKER), "the 68-byte account itself is not bound: %r"
          % (env.get_account(ATTACKER),))
    check(not env.is_bound(VICTIM), "enrolling the 68-byte name bound the 63-byte account %r"
          % (env.get_account(VICTIM),))
    r = env.login(ATTACKER, env.fresh_code(secret))
    check(r.ok, "the long-named user cannot log in with its own OTP", r, env.regsd_tail())
    r = env.login(VICTIM, env.totp(secret, 30))
    check(not r.ok, "the attacker's OTP opened the 63-byte account", r)
    rc, out, err = env.regsctl(["log", "--json"], uid=ATTACKER,
                               input=env.fresh_code(secret) + "\n")
    check(rc == 0, "regsctl log as the long-named user: rc %d" % rc, out, err)
    check(VICTIM + '"' not in out, "the long-named user reads the 63-byte account's log", out)
    check(ATTACKER in out, "the long name is not whole in its own log", out)


def test_R12_1_long_name_does_not_inherit_a_prefix_admin(env):
    for method, args in (("ListAccounts", ("string:",)), ("Unlock", ("string:alice",)),
                         ("GetAccount", ("string:alice",))):
        rc, out, err = env.dbus_call(method, *args, uid=ADMIN_LOOKALIKE)
        check(rc != 0 and "AccessDenied" in err,
              "%s by a name that begins with an admin's was not refused: %r %r"
              % (method, out, err))
    rc, out, err = env.dbus_call("ListAccounts", "string:", uid=ADMIN63)
    check(rc == 0, "the real admin was refused: %r" % err)


def test_R12_1_255_byte_name_works_whole(env):
    secret = env.enrol(LONGEST)
    r = env.login(LONGEST, env.fresh_code(secret))
    check(r.ok, "a 255-byte user name cannot log in", r, env.regsd_tail())
    flags, _, failures = env.get_account(LONGEST)
    check(flags & harness.F_OTP_BOUND and failures == 0, "GetAccount: %r" % ((flags, failures),))
    rc, out, err = env.regsctl(["log", LONGEST, "--json"])
    check(rc == 0 and ('"user": "%s"' % LONGEST) in out.replace('":"', '": "'),
          "the activity log does not hold the whole 255-byte name", out, err)


def test_R12_1_name_over_255_bytes_refused_clearly(env):
    r = env.pam("login", TOO_LONG, [env.password(TOO_LONG), "123456"])
    check(not r.ok, "a 256-byte name passed pam_regs", r)
    check_in("too long", r.text + r.err, "no clear refusal for a 256-byte name", r)
    rc, out, err = env.dbus_call("GetAccount", "string:" + TOO_LONG)
    check(rc != 0 and "longer than 255" in err, "GetAccount of a 256-byte name: %r %r"
          % (out, err))
    rc, out, err = env.dbus_call("BeginOtpEnrol", "string:", uid=TOO_LONG)
    check(rc != 0 and "longer than 255" in err,
          "a caller whose own name is 256 bytes was not refused clearly: %r %r" % (out, err))


def test_R12_3_replayed_code_not_counted(env):
    user = "user1"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    r = env.login(user, code)
    check(r.ok, "first use refused", r, env.regsd_tail())
    for i in range(4):
        r = env.login(user, code)
        check(not r.ok, "replay %d accepted" % i, r)
        check_in("already been used", r.error_text, "replay message", r)
    check(_failures(env, user) == 0 and not env.is_locked(user),
          "replays of a right code counted toward the lock: %r" % (env.get_account(user),))
    # A direct caller sees the same: replayed, not counted.
    for _ in range(4):
        v = env.call_ok("VerifyOtp", "string:" + user, "string:" + code, "string:test",
                        "string:")
        check(v[0] == harness.R_REPLAYED, "VerifyOtp replay gave %r" % (v,))
    check(_failures(env, user) == 0, "VerifyOtp replays counted: %r" % (env.get_account(user),))
    env.login_ok(user)


def test_R12_3_wrong_codes_still_counted(env):
    user = "user2"
    secret = env.enrol(user)
    env.login_ok(user)
    r = env.login(user, env.wrong_code(secret))
    check(not r.ok and _failures(env, user) == 1, "a wrong code was not counted: %r"
          % (env.get_account(user),), r)


def test_R12_4_drifted_code_never_accepted_when_its_step_comes(env):
    user = "user3"
    secret = env.enrol(user)
    # To the start of the next step: the guess must still be for the step reached by
    # advancing 150 s below, however long the login in between takes (a sanitizer build).
    env.advance(30 - env.now() % 30)
    guess = env.totp(secret, 150)  # 5 steps ahead
    r = env.login(user, guess)
    check(not r.ok, "a code 5 steps ahead accepted", r)
    check_in("Set Automatically", r.error_text, "no clock hint", r)
    hint = r
    check(_failures(env, user) == 1, "a drift match is not counted: %r"
          % (env.get_account(user),))
    env.advance(150)
    check(env.totp(secret) == guess, "test set-up: the guess is not the current code")
    r = env.login(user, guess)
    check(not r.ok, "the drifted code was accepted when its step came (R12.4 oracle)", r)
    check_in("already been used", r.error_text, "burned step message", r)
    env.login_ok(user)  # the steps after it are untouched
    check_in("more failed attempt", hint.error_text, "the hint hides that it counted", hint)


def test_R12_4_drift_guesses_lock_like_wrong_codes(env):
    user = "user4"
    secret = env.enrol(user)
    env.advance(30)
    for ahead in (4, 6, 8):
        r = env.login(user, env.totp(secret, 30 * ahead))
        check(not r.ok, "drift guess %d accepted" % ahead, r)
    check(env.is_locked(user), "3 drift matches did not lock: %r" % (env.get_account(user),))


def test_R12_4_steps_between_now_and_a_burned_step_stay_usable(env):
    user = "user5"
    secret = env.enrol(user)
    env.advance(30)
    r = env.login(user, env.totp(secret, 30 * 6))
    check(not r.ok, "a code 6 steps ahead accepted", r)
    for _ in range(3):  # the next three steps each log in once
        env.login_ok(user)


def test_R12_2_flood_of_challenges_does_not_void_another_login(env):
    with env.bus_session() as root, env.bus_session("alice") as flooder:
        err, v = root.call("CardChallenge", "ss", "bob", "login")
        check(err is None, "CardChallenge for bob: %s %s" % (err, v))
        handle = v[0]
        refused = 0
        for _ in range(300):
            err, v = flooder.call("CardChallenge", "ss", "", "bind")
            refused += err is not None
            if err is not None:
                check(err == "tw.regs.Error.TooSoon", "refusal is %s %s" % (err, v))
                check_in("try again in", v[0], "refusal text")
        check(refused >= 300 - 4, "one user made %d challenges" % (300 - refused))
        err, v = root.call("CardLogin", "sayayss", handle, [0x30, 0x03, 1, 2, 3], [1] * 256,
                           "test", "")
        check(not (err is None and v[0] == R_BAD_CHALLENGE),
              "bob's login challenge was voided by another user's flood: %s %s" % (err, v))


if __name__ == "__main__":
    harness.main(globals(), extra_users=LONG_USERS, admins=[ADMIN63])
