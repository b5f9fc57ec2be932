"""End to end: password + OTP through the real PAM stack, regsd and regsctl.
One environment for the file; every test uses its own user."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BOUND_MSG, check, check_in  # noqa: E402

RHOST = "203.0.113.7"


def _no_otp_prompt(r):
    return not any("OTP code" in p for p in r.prompts)


def test_R2_3_enrol_binds_only_after_correct_code(env):
    user = "user1"
    secret, code, rc, out, err = env.enrol_run(user, code_fn=env.wrong_code)
    check(secret is not None, "no otpauth URI printed", out, err)
    check(rc != 0, "regsctl enrol otp with a wrong code exited 0", out, err)
    check(BOUND_MSG not in out + err, "wrong code reported as bound", out, err)
    check(not env.is_bound(user), "bound after a wrong code: %r" % (env.get_account(user),))
    rc, out, err = env.regsctl(["status"], uid=user)
    check(rc == 0, "regsctl status rc %d" % rc, out, err)
    check_in("✘", harness.status_otp_line(out), "unbound OTP not marked ✘", out)

    secret = env.enrol(user)
    check(env.is_bound(user), "not bound after the right code: %r" % (env.get_account(user),))
    # R7.1: a bound account re-verifies before seeing its bindings.
    rc, out, err = env.regsctl(["status"], uid=user, input=env.fresh_code(secret) + "\n")
    check(rc == 0, "regsctl status rc %d" % rc, out, err)
    check_in("✔", harness.status_otp_line(out), "bound OTP not marked ✔", out)


def test_R2_2_abandoned_enrolment_leaves_nothing_bound(env):
    user = "user2"
    handle, uri, secret, expires = env.call_ok("BeginOtpEnrol", "string:" + user, uid=user)
    check(secret in uri, "secret not in the URI: %r %r" % (uri, secret))
    check(0 < expires <= 300, "expires_in %r not in (0, 300]" % expires)
    env.advance(expires + 1)
    v = env.call_ok("ConfirmOtpEnrol", "string:" + handle, "string:" + env.totp(secret),
                    "string:regsctl", "string:", uid=user)
    check(v[0] == harness.R_EXPIRED, "confirm after expiry gave %r, want result 7 (expired)"
          % (v,))
    check(not env.is_bound(user), "bound by an expired enrolment: %r"
          % (env.get_account(user),))


def test_R2_2_new_enrolment_new_secret(env):
    user = "user3"
    h1, _, s1, _ = env.call_ok("BeginOtpEnrol", "string:" + user, uid=user)
    h2, _, s2, _ = env.call_ok("BeginOtpEnrol", "string:" + user, uid=user)
    check(s1 != s2, "two enrolments gave the same secret %s" % s1)
    check(h1 != h2, "two enrolments gave the same handle %s" % h1)
    check(len(s1) >= 16, "secret too short: %r" % s1)  # >= 80 bits of base32
    env.dbus_call("CancelOtpEnrol", "string:" + h1, uid=user)
    env.dbus_call("CancelOtpEnrol", "string:" + h2, uid=user)
    check(not env.is_bound(user), "bound without a code")


def test_R2_1_login_with_password_and_otp(env):
    user = "user4"
    env.enrol(user)
    r = env.login(user, env.fresh_code(env.secrets[user]))
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS", "login refused", r,
          env.regsd_tail())
    check(len(r.prompts) == 2, "want a password and an OTP prompt: %r" % r.prompts, r)
    check_in("OTP code", r.prompts[-1], "second prompt", r)


def test_R2_1_wrong_password_refused_before_otp(env):
    user = "user5"
    env.enrol(user)
    r = env.pam("login", user, ["not-the-password", env.totp(env.secrets[user])])
    check(r.auth != "PAM_SUCCESS", "wrong password accepted", r)
    check(_no_otp_prompt(r), "OTP asked after a wrong password", r)
    check(r.acct is None, "account phase ran after failed auth", r)


def test_R2_4_code_is_one_time(env):
    user = "user6"
    env.enrol(user)
    code = env.fresh_code(env.secrets[user])
    r = env.login(user, code)
    check(r.ok, "first use refused", r, env.regsd_tail())
    r = env.login(user, code)
    check(r.auth != "PAM_SUCCESS", "code accepted twice", r)
    check_in("already been used", r.error_text, "replay message", r)


def test_R2_5_drifted_code_refused_with_clock_hint(env):
    user = "user7"
    env.enrol(user)
    env.advance(30)
    r = env.login(user, env.totp(env.secrets[user], 150))
    check(r.auth != "PAM_SUCCESS", "code 5 steps ahead accepted", r)
    check_in("clock", r.error_text, "drift message", r)
    check_in("Set Automatically", r.error_text, "drift message", r)
    env.login_ok(user)


def test_R9_1_three_wrong_codes_lock_for_15_minutes(env):
    user = "user8"
    secret = env.enrol(user)
    env.advance(30)
    env.lock(user)
    r = env.login(user, env.totp(secret))
    check(r.auth != "PAM_SUCCESS", "right code accepted while locked", r)
    check_in("Try again in 15 minute", r.error_text, "lock message", r)
    env.advance(14 * 60)
    r = env.login(user, env.totp(secret))
    check(r.auth != "PAM_SUCCESS", "login accepted after 14 minutes", r)
    check_in("Try again in", r.error_text, "lock message", r)
    check(env.is_locked(user), "not locked after 14 minutes")
    env.advance(60 + 5)
    env.login_ok(user)
    check(not env.is_locked(user), "still locked after success")


def test_R9_1_wrong_passwords_count_toward_lock(env):
    user = "user9"
    secret = env.enrol(user)
    for i in range(3):
        r = env.pam("login", user, ["wrong-%d" % i, env.totp(secret)])
        check(r.auth != "PAM_SUCCESS", "wrong password accepted", r)
    check(env.is_locked(user), "not locked after 3 wrong passwords: %r"
          % (env.get_account(user),))
    r = env.login(user, env.fresh_code(secret))
    check(r.auth != "PAM_SUCCESS", "locked account logged in", r)
    check_in("Try again in", r.error_text, "lock message", r)


def test_R9_1_odd_remote_host_cannot_dodge_lockout(env):
    """A remote host name that is long, has control characters or is not
    UTF-8 (sshd with UseDNS, a web application's header) still counts and
    is stored cleaned."""
    user = "user16"
    secret = env.enrol(user)
    hosts = ["h" * 300, "evil\x1b[2J\nhost", "caf\udce9-latin1"]  # the last: byte 0xE9 alone, not UTF-8
    for host in hosts:
        r = env.pam("login", user, ["wrong", env.totp(secret)], rhost=host)
        check(r.auth != "PAM_SUCCESS", "wrong password accepted", r)
    check(env.is_locked(user), "odd remote hosts dodged the lock: %r" % (env.get_account(user),))
    rc, out, err = env.regsctl(["log", "--json", "--user", user])
    check(rc == 0, "regsctl log failed: %s" % err)
    check("\x1b" not in out and "\\u001b" not in out, "control character stored", out)
    check("h" * 128 not in out, "remote host not cut to the field size", out)


def test_R9_1_success_clears_failure_count(env):
    user = "user10"
    secret = env.enrol(user)
    env.advance(30)
    for _ in range(2):
        r = env.login(user, env.wrong_code(secret))
        check(r.auth != "PAM_SUCCESS", "wrong code accepted", r)
    env.login_ok(user)
    check(env.get_account(user)[2] == 0, "failures not cleared: %r"
          % (env.get_account(user),))
    for _ in range(2):
        r = env.login(user, env.wrong_code(secret))
        check(r.auth != "PAM_SUCCESS", "wrong code accepted", r)
    check(not env.is_locked(user), "locked after 2+1ok+2: %r" % (env.get_account(user),))
    env.login_ok(user)


def test_R9_1_lock_survives_restart(env):
    user = "user11"
    secret = env.enrol(user)
    env.advance(30)
    env.lock(user)
    rc = env.stop_regsd()
    check(rc == 0, "regsd exit status on SIGTERM: %r" % rc, env.regsd_tail())
    env.start_regsd()
    check(env.is_locked(user), "lock lost over a restart: %r" % (env.get_account(user),))
    r = env.login(user, env.fresh_code(secret))
    check(r.auth != "PAM_SUCCESS", "locked account logged in after restart", r)
    check_in("Try again in", r.error_text, "lock message", r)


def test_R9_4_admin_unlocks(env):
    user = "user12"
    env.enrol(user)
    env.advance(30)
    env.lock(user)
    rc, out, err = env.regsctl(["unlock", user], uid="alice")
    check(rc == 3, "non-admin unlock exit %d, want 3" % rc, out, err)
    check(env.is_locked(user), "unlocked by a non-admin")
    rc, out, err = env.regsctl(["unlock", user], uid="carol")
    check(rc == 0, "admin (group admins) unlock exit %d" % rc, out, err)
    check(not env.is_locked(user), "still locked after admin unlock")
    env.login_ok(user)


def test_R1_4_unbound_account_forced_to_bind_inline(env):
    user = "user13"
    check(not env.is_bound(user), "fresh user already bound")
    shown = {}

    def answer(so_far):
        shown["secret"] = harness.secret_from_uri(so_far.text)
        shown["code"] = env.totp(shown["secret"])
        return shown["code"]

    r = env.pam("login", user, [env.password(user), answer])
    check(r.auth == "PAM_SUCCESS", "password step refused", r, env.regsd_tail())
    conv = [c for c in r.convs if any("otpauth://totp/" in t for _, t in c)]
    check(len(conv) == 1, "want the otpauth URI in one conversation call", r)
    kinds = [k for k, _ in conv[0]]
    check(any(k.startswith("PROMPT") for k in kinds),
          "URI and code prompt not in the same conversation call: %r" % kinds, r)
    qr = "\n".join(t for _, t in conv[0])
    check(any(ch in qr for ch in "█▀▄") or "##" in qr, "no QR code shown with the URI", r)
    check_in(BOUND_MSG, r.text, "inline enrolment success message", r)
    check(r.acct not in (None, "PAM_SUCCESS"),
          "account phase must end the session after binding (R2.3 'log in again')", r)
    check(env.is_bound(user), "not bound after inline enrolment")
    env.secrets[user] = shown["secret"]
    env.used_codes.setdefault(user, []).append(shown["code"])
    env.login_ok(user)


def test_R1_4_unbound_account_refused_with_instructions(env):
    user = "user14"
    r = env.pam("login-refuse", user, [env.password(user)])
    check(r.auth == "PAM_SUCCESS", "password step refused", r, env.regsd_tail())
    check(r.acct not in (None, "PAM_SUCCESS"), "unbound account let in", r)
    check_in("regsctl enrol otp", r.error_text, "refusal must say how to bind", r)
    check("otpauth://" not in r.text, "refusing service offered enrolment", r)
    check(not env.is_bound(user), "bound without enrolment")


def test_R9_3_activity_log_records_attempts_without_secrets(env):
    user = "user15"
    secret = env.enrol(user)
    good = env.fresh_code(secret)
    r = env.login(user, good, rhost=RHOST)
    check(r.ok, "login refused", r, env.regsd_tail())
    r = env.login(user, env.wrong_code(secret), rhost=RHOST)
    check(r.auth != "PAM_SUCCESS", "wrong code accepted", r)
    r = env.login(user, good, rhost=RHOST)
    check(r.auth != "PAM_SUCCESS", "replayed code accepted", r)

    rc, out, err = env.regsctl(["log", "--json"], uid=user)
    check(rc == 0, "regsctl log --json exit %d" % rc, out, err)
    entries = harness.json_records(harness.load_json(out, "regsctl log --json"))
    mine = [e for e in entries if e.get("rhost") == RHOST]
    check(mine, "no log entries with rhost %s" % RHOST, out)
    for e in mine:
        check(e.get("service") == "login", "entry without service name: %r" % e)
    results = {e.get("result") for e in mine}
    for want in ("ok", "wrong", "replayed"):
        check(want in results, "no %r result in the log: %r" % (want, results), out)
    others = [e for e in entries if e.get("user") not in (None, user)]
    check(not others, "the user's log shows other accounts: %r" % others[:3])

    rc, plain, err = env.regsctl(["log"], uid=user)
    check(rc == 0, "regsctl log exit %d" % rc, plain, err)
    check(RHOST in plain, "plain log lacks the remote host", plain)
    texts = {"regsd.log": env.regsd_log(), "regsctl log --json": out, "regsctl log": plain}
    for where, text in texts.items():
        check(secret not in text, "the secret appears in %s" % where)
        check(env.password(user) not in text, "the password appears in %s" % where)
        for code in env.used_codes[user]:
            check(not re.search(r"(?<!\d)%s(?!\d)" % code, text),
                  "code %s appears in %s" % (code, where), text[-2000:])


def test_R9_3_user_reads_only_own_log(env):
    rc, out, err = env.regsctl(["log", "--user", "bob"], uid="alice")
    check(rc == 3, "alice reading bob's log: exit %d, want 3" % rc, out, err)
    rc, out, err = env.regsctl(["log"], uid="alice")
    check(rc == 0, "alice reading her own log: exit %d" % rc, out, err)
    rc, out, err = env.regsctl(["log", "--user", "bob"], uid="carol")
    check(rc == 0, "admin reading bob's log: exit %d" % rc, out, err)


if __name__ == "__main__":
    harness.main(globals())
