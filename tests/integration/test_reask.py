"""R11.2 under pam_wrapper: a wrong OTP code is asked again in the same login
(tries=N), the refusal sent in the same conversation call as the next prompt,
each try counted toward the lock (R9.1), and the re-ask ends at a lock, a
replayed code or an unreachable regsd. The same rules through the real
cockpit-ws are in test_cockpit.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in  # noqa: E402


def _service(env, name, tries):
    """The documented stack with tries=N on the otp line only."""
    with open(env.path("pam.d", "login")) as f:
        text = f.read()
    mod = env.module
    text = text.replace("%s otp\n" % mod, "%s otp tries=%d\n" % (mod, tries))
    check("tries=%d" % tries in text, "otp line not found in the login stack", text)
    with open(env.path("pam.d", name), "w") as f:
        f.write(text)
    return name


def _otp_convs(r):
    """The conversation calls that asked for an OTP code."""
    return [c for c in r.convs if any(k == "PROMPT_OFF" and "OTP code" in t for k, t in c)]


def test_R11_2_wrong_code_reasked_in_same_login(env):
    user = "user1"
    secret = env.enrol(user)
    svc = _service(env, "login-tries3", 3)
    env.advance(30)
    right = env.fresh_code(secret)
    r = env.pam(svc, user, [env.password(user), env.wrong_code(secret), right])
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS",
          "wrong then right code in one login refused", r, env.regsd_tail())
    convs = _otp_convs(r)
    check(len(convs) == 2, "want 2 OTP prompts, got %d" % len(convs), r)
    # The refusal travels with the second prompt, in ONE conversation call.
    kinds = [k for k, _ in convs[1]]
    check(kinds == ["ERROR", "PROMPT_OFF"], "refusal not sent with the prompt: %r" % convs[1], r)
    check_in("Wrong", convs[1][0][1], "refusal text", r)
    check_in("2", convs[1][0][1], "tries left not said", r)
    check(convs[0] == [("PROMPT_OFF", convs[0][0][1])], "first prompt carries a refusal", r)
    # The password was asked once: the user does not retype it.
    pw = [t for t in r.prompts if "assword" in t]
    check(len(pw) == 1, "password asked %d times" % len(pw), r)
    check(env.get_account(user)[2] == 0, "failures not reset by the success: %r"
          % (env.get_account(user),))


def test_R11_2_default_is_one_try(env):
    """Without tries=N the module behaves as before: one code per login."""
    user = "user2"
    secret = env.enrol(user)
    r = env.pam("login", user, [env.password(user), env.wrong_code(secret),
                                env.fresh_code(secret)])
    check(r.auth != "PAM_SUCCESS", "second code accepted without tries=N", r)
    check(len(_otp_convs(r)) == 1, "default stack asked more than once", r)
    check_in("Wrong", r.error_text, "refusal not shown", r)


def test_R11_2_each_try_counted_toward_lock(env):
    user = "user3"
    secret = env.enrol(user)
    svc = _service(env, "login-tries3", 3)
    # Two wrong codes, then the client gives up (EOF): two failures are counted.
    r = env.pam(svc, user, [env.password(user), env.wrong_code(secret), env.wrong_code(secret)])
    check(r.auth != "PAM_SUCCESS", "login without a right code passed", r)
    check(len(_otp_convs(r)) == 3, "third try not offered", r)
    check(env.get_account(user)[2] == 2, "two wrong tries counted as %r"
          % (env.get_account(user),))
    # One more wrong code in a new login locks (3 in a row, R9.1).
    r = env.pam("login", user, [env.password(user), env.wrong_code(secret)])
    check(env.is_locked(user), "not locked after 2 + 1 wrong codes: %r"
          % (env.get_account(user),), r)
    check_in("locked", r.error_text, "lock not said", r)


def test_R11_2_reask_stops_at_lock(env):
    user = "user4"
    secret = env.enrol(user)
    svc = _service(env, "login-tries5", 5)
    r = env.pam(svc, user, [env.password(user)] + [env.wrong_code(secret) for _ in range(5)])
    check(r.auth == "PAM_MAXTRIES", "lock during the re-ask gave %s" % r.auth, r)
    check(len(_otp_convs(r)) == 3, "asked %d codes: the lock must end the re-ask"
          % len(_otp_convs(r)), r)
    check(env.is_locked(user), "not locked after 3 wrong codes", r)
    check_in("locked", r.error_text.splitlines()[-1] if r.errors else "",
             "the last text is not the lock", r)
    # The right code is refused now without being asked.
    env.advance(30)
    r = env.pam(svc, user, [env.password(user), env.fresh_code(secret)])
    check(r.auth != "PAM_SUCCESS" and not _otp_convs(r), "locked account was asked a code", r)


def test_R11_2_reask_stops_at_replay(env):
    user = "user5"
    secret = env.enrol(user)
    svc = _service(env, "login-tries3", 3)
    code = env.fresh_code(secret)
    r = env.pam(svc, user, [env.password(user), code])
    check(r.ok, "first login failed", r, env.regsd_tail())
    r = env.pam(svc, user, [env.password(user), code, env.fresh_code(secret)])
    check(r.auth != "PAM_SUCCESS", "replayed code then a new code passed", r)
    check(len(_otp_convs(r)) == 1, "re-asked after a replayed code", r)
    check_in("already been used", r.error_text, "replay not said", r)
    check(env.get_account(user)[2] == 0, "replay counted: %r" % (env.get_account(user),))


def test_R11_2_reask_stops_when_regsd_unreachable(env):
    user = "user6"
    secret = env.enrol(user)
    svc = _service(env, "login-tries3", 3)

    def kill_then_answer(_):
        env.kill_regsd()
        return env.wrong_code(secret)

    try:
        r = env.pam(svc, user, [env.password(user), kill_then_answer,
                                env.wrong_code(secret), env.fresh_code(secret)])
    finally:
        env.start_regsd()
    check(r.auth not in ("PAM_SUCCESS", None), "login passed without regsd", r)
    check(len(_otp_convs(r)) == 1, "re-asked with regsd gone", r)
    check_in("not reachable", r.error_text.lower(), "unreachable not said", r)


def test_R11_2_tries_out_of_range_refused(env):
    user = "user7"
    env.enrol(user)
    for bad in ("tries=0", "tries=11", "tries=x"):
        with open(env.path("pam.d", "login"), encoding="utf-8") as f:
            text = f.read()
        text = text.replace("%s otp\n" % env.module, "%s otp %s\n" % (env.module, bad))
        with open(env.path("pam.d", "login-bad"), "w", encoding="utf-8") as f:
            f.write(text)
        r = env.pam("login-bad", user, [env.password(user), "123456"])  # 3: PAM_SERVICE_ERR
        check(r.auth == "3", "%s gave %s" % (bad, r.auth), r)


if __name__ == "__main__":
    harness.main(globals())
