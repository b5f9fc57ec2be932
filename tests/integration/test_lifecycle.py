"""The account lifecycle end to end: re-verification (R7), password login and
password age (R6, R9.2), e-mail and emergency codes through a real SMTP
server on loopback (R8, R9.5), administration and its audit (R9.3, R9.4).
One environment (with an SMTP sink) for the file; every test uses its own user.
The test that moves the clock by months runs last."""

import email.utils
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BOUND_MSG, check, check_in, dbus_error_name  # noqa: E402

REVERIFY = "OTP code (re-verification): "
ENROL_PROMPT = "Enter the 6-digit code from the app: "
E_STEP_UP = "tw.regs.Error.StepUpRequired"
MUST_CHANGE_MSG = "Your password must be changed now"
EXPIRED_MSG = "not been changed for too long"
DAY = 86400


def addr(user, n=""):
    return "%s%s@example.org" % (user, n)


def admin_set_email(env, user, address=None):
    """An administrator (carol, group admins) sets a verified address."""
    address = address or addr(user)
    rc, out, err = env.regsctl(["set-email", user, address], uid="carol", input="")
    check(rc == 0, "admin set-email exit %d" % rc, out, err)
    return address


def request(env, user, password=False):
    """regsctl reset-code request --no-wait [--password] as user."""
    args = ["reset-code", "request", "--no-wait"] + (["--password"] if password else [])
    return env.regsctl(args, uid=user, input="")


def request_ok(env, user, password=False):
    """Requests a code; returns (prefix shown on screen, code from the newest mail)."""
    rc, out, err = request(env, user, password)
    check(rc == 0, "reset-code request exit %d" % rc, out, err, env.regsd_tail())
    m = re.search(r"prefix is ([A-Z]{2})-", out)
    check(m, "no prefix shown on screen", out)
    return m.group(1), env.last_code(env_address(env, user))


def env_address(env, user):
    a = env.call_ok("GetEmail", "string:" + user)
    check(a and a[0], "%s has no e-mail address: %r" % (user, a))
    return a[0]


def redeem(env, user, code, password=False):
    args = ["reset-code", "redeem", code] + (["--password"] if password else [])
    return env.regsctl(args, uid=user, input="")


def flags(env, user):
    return env.get_account(user)[0]


def other_digits(code):
    """The code with other digits: same prefix, certainly wrong."""
    prefix, digits = code.split("-")
    return "%s-%06d" % (prefix, (int(digits) + 1) % 1000000)


def bus_error(rc, err):
    return dbus_error_name(err) if rc != 0 else None


# ---------------------------------------------------------------- R7 step-up


def test_R7_1_status_needs_step_up(env):
    user = "user1"
    secret = env.enrol(user)
    rc, out, err = env.regsctl(["status"], uid=user, input="")
    check(rc == 4, "status without a code: exit %d, want 4" % rc, out, err)
    check_in(REVERIFY, err, "re-verification prompt on stderr", out, err)
    check(out.strip() == "", "status without a code showed something", out)
    rc, out, err = env.regsctl(["status"], uid=user, input=env.wrong_code(secret) + "\n")
    check(rc == 4, "status with a wrong code: exit %d, want 4" % rc, out, err)
    check("otp" not in out.lower(), "status with a wrong code showed the bindings", out)
    rc, out, err = env.regsctl(["status"], uid=user, input=env.fresh_code(secret) + "\n")
    check(rc == 0, "status with the right code: exit %d" % rc, out, err, env.regsd_tail())
    check_in("✔", harness.status_otp_line(out), "bound OTP line", out)
    rc, out, err = env.regsctl(["status", "--json"], uid=user,
                               input=env.fresh_code(secret) + "\n")
    check(rc == 0, "status --json with the right code: exit %d" % rc, out, err)
    doc = harness.load_json(out, "status --json")
    check(isinstance(doc.get("methods"), list) and isinstance(doc.get("email"), dict),
          "status --json is not {methods: [...], email: {...}}", out)
    otp = [m for m in doc["methods"] if m.get("method") == "otp"]
    check(otp and otp[0].get("bound") is True, "status --json: otp not bound", out)


def test_R7_1_step_up_proof_not_usable_from_another_connection(env):
    user = "user2"
    secret = env.enrol(user)
    v = env.call_ok("StepUp", "string:view", "string:" + env.fresh_code(secret),
                    "string:test", "string:", uid=user)
    check(v[0] == harness.R_OK, "StepUp with the right code: %r" % (v,))
    rc, out, err = env.dbus_call("GetStatus", "string:", uid=user)  # a new connection
    check(bus_error(rc, err) == E_STEP_UP,
          "GetStatus on another connection: want %s, got rc %d %s" % (E_STEP_UP, rc, err), out)
    with env.bus_session(user) as bus:  # control: the same connection may
        e, v = bus.call("StepUp", "ssss", "view", env.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp: %r %r" % (e, v))
        e, v = bus.call("GetStatus", "s", "")
        check(e is None, "GetStatus on the same connection after StepUp: %r %r" % (e, v))


def test_R7_1_step_up_expires(env):
    user = "user3"
    secret = env.enrol(user)
    with env.bus_session(user) as bus:
        e, v = bus.call("GetStatus", "s", "")
        check(e == E_STEP_UP, "GetStatus before StepUp: %r %r" % (e, v))
        e, v = bus.call("StepUp", "ssss", "view", env.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp: %r %r" % (e, v))
        valid = v[3]
        check(60 <= valid <= 900, "step-up valid for %r s, want a few minutes" % valid)
        env.advance(valid - 10)
        e, v = bus.call("GetStatus", "s", "")
        check(e is None, "GetStatus %d s after StepUp (valid %d s): %r %r"
              % (valid - 10, valid, e, v))
        env.advance(20)
        e, v = bus.call("GetStatus", "s", "")
        check(e == E_STEP_UP, "GetStatus after the proof expired: %r %r" % (e, v))


def test_R7_1_proof_is_per_purpose_and_consumed_by_a_change(env):
    user = "user27"
    secret = env.enrol(user)
    with env.bus_session(user) as bus:
        e, v = bus.call("StepUp", "ssss", "view", env.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp view: %r %r" % (e, v))
        e, v = bus.call("SetEmail", "ss", user, addr(user))
        check(e == E_STEP_UP, "SetEmail with a 'view' proof: %r %r" % (e, v))
        e, v = bus.call("StepUp", "ssss", "email", env.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp email: %r %r" % (e, v))
        e, v = bus.call("SetEmail", "ss", user, addr(user))
        check(e is None, "SetEmail with an 'email' proof: %r %r" % (e, v), env.regsd_tail())
        e, v = bus.call("SetEmail", "ss", user, addr(user, 2))
        check(e == E_STEP_UP, "second SetEmail with the consumed proof: %r %r" % (e, v))
    check(len(env.mails(addr(user))) == 1, "want one verification mail to %s" % addr(user))
    check(not env.mails(addr(user, 2)), "a mail went out without a proof")


def test_R7_2_status_table_shows_password_login_row(env):
    user = "user4"
    secret = env.enrol(user)
    rc, out, err = env.regsctl(["status"], uid=user, input=env.fresh_code(secret) + "\n")
    check(rc == 0, "status exit %d" % rc, out, err)
    rows = [l for l in out.splitlines() if "Disable password login" in l]
    check(len(rows) == 1, "want one 'Disable password login' row", out)
    check(re.search(r"\bdisable\b", rows[0]) and "✘" in rows[0] and "✔" not in rows[0],
          "password login row of an enabled account: want action 'disable' and ✘", out)
    for method in ("otp", "card", "google", "mobile"):
        check(re.search(r"\b%s\b" % method, out, re.I) or
              (method == "card" and "certificate" in out.lower()),
              "no row for %s" % method, out)
    check(re.search(r"^E-mail: none", out, re.M), "no e-mail line", out)


def test_R7_2_rebind_keeps_old_until_confirmed(env):
    user = "user5"
    old = env.enrol(user)
    rc, out, err = env.regsctl_dialog(
        ["rebind", "otp"], uid=user,
        steps=[(REVERIFY, env.fresh_code(old))] +
              [(ENROL_PROMPT, lambda t: env.wrong_code(harness.secret_from_uri(t)))] * 3)
    check(rc != 0, "rebind with wrong new codes exited 0", out, err)
    check("rebound" not in out + err, "rebind reported success", out, err)
    check(env.is_bound(user), "binding lost by a failed rebind")
    env.login_ok(user)  # the old phone still works

    new = {}

    def right(text):
        new["secret"] = harness.secret_from_uri(text)
        return env.totp(new["secret"])

    rc, out, err = env.regsctl_dialog(["rebind", "otp"], uid=user,
                                      steps=[(REVERIFY, env.fresh_code(old)),
                                             (ENROL_PROMPT, right)])
    check(rc == 0, "rebind with the right new code exit %d" % rc, out, err, env.regsd_tail())
    check_in("OTP rebound", out + err, "rebind success message", out, err)
    check(new["secret"] != old, "rebind reused the old secret")
    r = env.login(user, env.fresh_code(old))
    check(r.auth != "PAM_SUCCESS", "the old phone's code accepted after rebinding", r)
    env.secrets[user] = new["secret"]
    env.login_ok(user)


# ---------------------------------------------------------------- R6 password login


def test_R6_1_disable_password_login_needs_card_or_google(env):
    user = "user6"
    secret = env.enrol(user)
    rc, out, err = env.regsctl(["password-login", "disable", "--yes"], uid=user,
                               input=env.fresh_code(secret) + "\n")
    check(rc == 9, "disable with OTP only: exit %d, want 9" % rc, out, err)
    check_in("Bind a citizen certificate or a Google account first", err,
             "refusal message", out, err)
    check(not flags(env, user) & harness.F_PASSWORD_LOGIN_DISABLED, "password login disabled")
    # regsd itself refuses, not only regsctl: with a valid proof on one connection.
    with env.bus_session(user) as bus:
        e, v = bus.call("StepUp", "ssss", "password-login", env.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp: %r %r" % (e, v))
        e, v = bus.call("SetPasswordLogin", "sb", "", False)
        check(e == "tw.regs.Error.NotAllowed", "SetPasswordLogin(false) with OTP only: %r %r"
              % (e, v))
        check_in("citizen certificate", " ".join(map(str, v)), "NotAllowed message")
    check(not flags(env, user) & harness.F_PASSWORD_LOGIN_DISABLED, "password login disabled")
    env.login_ok(user)


def test_R6_4_reenable_forces_password_change(env):
    """Disabling needs a card or Google binding, which cannot be made yet, so
    the disabled state is out of reach: this checks that enabling an enabled
    account changes nothing, and the must-change mechanism R6.4 relies on
    (set here by a password reset code, R9.5): the account phase asks for a
    new password until PasswordChanged."""
    user = "user7"
    secret = env.enrol(user)
    rc, out, err = env.regsctl(["password-login", "enable", user], uid="carol", input="")
    check(rc == 0, "admin enable on an enabled account: exit %d" % rc, out, err)
    check_in("already enabled", out, "enabling an enabled account", out, err)
    check(not flags(env, user) & harness.F_MUST_CHANGE_PASSWORD,
          "enabling an enabled account forced a password change")
    env.call_ok("SetPasswordLogin", "string:" + user, "boolean:true")
    check(not flags(env, user) & harness.F_MUST_CHANGE_PASSWORD,
          "SetPasswordLogin(true) on an enabled account forced a password change")
    env.login_ok(user)

    admin_set_email(env, user)
    _, code = request_ok(env, user, password=True)
    rc, out, err = redeem(env, user, code, password=True)
    check(rc == 0, "redeem --password exit %d" % rc, out, err)
    check(flags(env, user) & harness.F_MUST_CHANGE_PASSWORD, "must-change flag not set")
    r = env.login(user, env.fresh_code(secret))
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_NEW_AUTHTOK_REQD",
          "want auth ok and account PAM_NEW_AUTHTOK_REQD", r)
    check_in(MUST_CHANGE_MSG, r.error_text, "must-change message", r)
    rc, out, err = env.dbus_call("PasswordChanged", "string:" + user, uid="alice")
    check(rc != 0, "PasswordChanged by an ordinary user accepted", out)
    check(flags(env, user) & harness.F_MUST_CHANGE_PASSWORD, "cleared by an ordinary user")
    env.call_ok("PasswordChanged", "string:" + user)
    check(not flags(env, user) & harness.F_MUST_CHANGE_PASSWORD, "PasswordChanged kept the flag")
    env.login_ok(user)


# ---------------------------------------------------------------- R8 e-mail and codes


def test_R8_1_email_verification_code_mailed_and_verified(env):
    user = "user8"
    secret = env.enrol(user)
    a = addr(user)
    rc, out, err = env.regsctl_dialog(["email", "set", a], uid=user,
                                      steps=[(REVERIFY, env.fresh_code(secret)),
                                             ("Verification code: ", lambda t: env.last_code(a))])
    check(rc == 0, "email set exit %d" % rc, out, err, env.regsd_tail())
    check_in("Your e-mail address is verified.", out, "verified message", out, err)
    mails = env.mails(a)
    check(len(mails) == 1, "want one mail to %s, got %d" % (a, len(mails)))
    m = re.search(r"code starts with ([A-Z]{2})-", out)
    check(m and env.last_code(a).startswith(m.group(1) + "-"),
          "prefix on screen does not match the mail", out)
    check_in("verification", mails[0][0].lower(), "subject names the purpose")
    v = env.call_ok("GetEmail", "string:" + user)
    check(v == [a, True, ""], "GetEmail after verification: %r" % (v,))
    check(flags(env, user) & harness.F_EMAIL_VERIFIED, "EMAIL_VERIFIED flag not set")


def test_R8_1_unverified_address_not_used_until_verified(env):
    user = "user28"
    secret = env.enrol(user)
    a = addr(user)
    rc, out, err = env.regsctl(["email", "set", a, "--no-wait"], uid=user,
                               input=env.fresh_code(secret) + "\n")
    check(rc == 0, "email set --no-wait exit %d" % rc, out, err)
    v = env.call_ok("GetEmail", "string:" + user)
    check(v == ["", False, a], "GetEmail before verification: %r" % (v,))
    rc, out, err = request(env, user)
    check(rc == 9, "reset code with only a pending address: exit %d, want 9" % rc, out, err)
    code = env.last_code(a)
    rc, out, err = env.regsctl(["email", "verify", other_digits(code)], uid=user, input="")
    check(rc == 4, "email verify with a wrong code: exit %d, want 4" % rc, out, err)
    check(env.call_ok("GetEmail", "string:" + user)[1] is False, "verified by a wrong code")
    rc, out, err = env.regsctl(["email", "verify", code], uid=user, input="")
    check(rc == 0, "email verify exit %d" % rc, out, err)
    check(env.call_ok("GetEmail", "string:" + user) == [a, True, ""], "not verified")


def test_R8_1_reset_needs_verified_email(env):
    user = "user17"
    secret = env.enrol(user)
    before = len(env.mails())
    rc, out, err = request(env, user)
    check(rc == 9, "reset code without an e-mail address: exit %d, want 9" % rc, out, err)
    check_in("e-mail", err.lower(), "message names the missing address", err)
    rc, out, err = env.dbus_call("RequestResetCode", "string:", "string:binding",
                                 "string:test", "string:", uid=user)
    check(bus_error(rc, err) == "tw.regs.Error.NoVerifiedEmail",
          "RequestResetCode without an address: %s" % err, out)
    check(len(env.mails()) == before, "a mail was sent")
    r = env.login(user, env.fresh_code(secret))
    check(r.ok, "login refused", r)
    check(not any("lost" in p for p in r.prompts),
          "'lost' offered without a verified e-mail address: %r" % r.prompts, r)


def test_R8_2_prefix_on_screen_matches_newest_mail(env):
    user = "user9"
    env.enrol(user)
    a = admin_set_email(env, user)
    prefix1, code1 = request_ok(env, user)
    check(code1.startswith(prefix1 + "-"), "screen prefix %s, mail code %s" % (prefix1, code1))
    check_in("(%s)" % prefix1, env.mails(a)[-1][0], "subject carries the prefix")
    env.advance(61)
    prefix2, code2 = request_ok(env, user)
    check(len(env.mails(a)) == 2, "want two mails")
    check(code2.startswith(prefix2 + "-"), "screen prefix %s, newest mail code %s"
          % (prefix2, code2))
    check(code1 != code2, "a resend mailed the same code")
    # The PAM prompt shows the prefix as well.
    env.advance(61)
    got = {}

    def mail_code(r):
        got["code"] = env.last_code(a)
        got["info"] = r.text
        return other_digits(got["code"])

    env.pam("login", user, [env.password(user), "lost", mail_code])
    m = re.search(r"prefix is ([A-Z]{2})-", got.get("info", ""))
    check(m and got["code"].startswith(m.group(1) + "-"),
          "the login prompt's prefix does not match the newest mail", got)


def test_R8_3_code_expires_after_5_minutes(env):
    user = "user10"
    env.enrol(user)
    admin_set_email(env, user)
    _, code = request_ok(env, user)
    env.advance(5 * 60 + 1)
    rc, out, err = redeem(env, user, code)
    check(rc == 4, "code redeemed after 5 minutes: exit %d, want 4" % rc, out, err)
    check(env.is_bound(user), "an expired code deleted the bindings")
    _, code = request_ok(env, user)
    env.advance(5 * 60 - 10)
    rc, out, err = redeem(env, user, code)
    check(rc == 0, "code refused within 5 minutes: exit %d" % rc, out, err)
    check(not env.is_bound(user), "still bound after a correct code")


def test_R8_3_wrong_code_three_times_kills_it(env):
    user = "user11"
    env.enrol(user)
    admin_set_email(env, user)
    _, code = request_ok(env, user)
    for i in range(3):
        rc, out, err = redeem(env, user, other_digits(code) if i % 2 == 0
                              else "%s-%06d" % (code[:2], (int(code[3:]) + 7) % 1000000))
        check(rc == 4, "wrong code %d: exit %d, want 4" % (i + 1, rc), out, err)
    rc, out, err = redeem(env, user, code)
    check(rc == 4, "the right code after 3 wrong ones: exit %d, want 4" % rc, out, err)
    check(env.is_bound(user), "a killed code deleted the bindings")


def test_R8_3_two_wrong_codes_leave_it_alive(env):
    user = "user29"
    env.enrol(user)
    admin_set_email(env, user)
    _, code = request_ok(env, user)
    for i in range(2):
        rc, out, err = redeem(env, user, other_digits(code))
        check(rc == 4, "wrong code %d: exit %d, want 4" % (i + 1, rc), out, err)
    rc, out, err = redeem(env, user, code[3:])  # the digits alone (prefix from the screen)
    check(rc == 0, "right code after 2 wrong ones: exit %d" % rc, out, err)
    check(not env.is_bound(user), "still bound")


def test_R8_3_resend_kills_previous_code(env):
    user = "user12"
    env.enrol(user)
    admin_set_email(env, user)
    _, first = request_ok(env, user)
    env.advance(61)
    _, second = request_ok(env, user)
    check(first != second, "same code twice")
    rc, out, err = redeem(env, user, first)
    check(rc == 4, "the previous code after a resend: exit %d, want 4" % rc, out, err)
    check(env.is_bound(user), "the previous code deleted the bindings")
    rc, out, err = redeem(env, user, second)
    check(rc == 0, "the newest code: exit %d" % rc, out, err)
    check(not env.is_bound(user), "still bound after the newest code")


def test_R8_3_resend_cooldown(env):
    user = "user13"
    env.enrol(user)
    a = admin_set_email(env, user)
    request_ok(env, user)
    rc, out, err = request(env, user)
    check(rc == 9, "second request at once: exit %d, want 9" % rc, out, err)
    check(re.search(r"\b\d+ ?s(ec(ond)?s?)?\b", err), "the seconds left are not given", err)
    rc, out, err = env.dbus_call("RequestResetCode", "string:", "string:binding",
                                 "string:test", "string:", uid=user)
    check(bus_error(rc, err) == "tw.regs.Error.TooSoon", "want TooSoon: %s" % err, out)
    check(len(env.mails(a)) == 1, "the cooldown let a mail out")
    env.advance(61)
    request_ok(env, user)
    check(len(env.mails(a)) == 2, "no mail after the cooldown")


def test_R8_3_email_change_kills_code(env):
    user = "user14"
    env.enrol(user)
    admin_set_email(env, user)
    _, code = request_ok(env, user)
    a2 = admin_set_email(env, user, addr(user, 2))
    rc, out, err = redeem(env, user, code)
    check(rc == 4, "a code for the old address after a change: exit %d, want 4" % rc, out, err)
    check(env.is_bound(user), "a dead code deleted the bindings")
    _, code2 = request_ok(env, user)  # no cooldown: the old code is gone
    check(env.mails(a2), "no mail to the new address")
    rc, out, err = redeem(env, user, code2)
    check(rc == 0, "code for the new address: exit %d" % rc, out, err)


def test_R8_4_lost_phone_at_login_deletes_bindings_and_forces_binding(env):
    user = "user15"
    old = env.enrol(user)
    a = admin_set_email(env, user)
    shown = {}

    def mail_code(r):
        return env.last_code(a)

    def enrol_code(r):
        shown["secret"] = harness.secret_from_uri(r.text)
        return env.totp(shown["secret"])

    env.advance(30)
    r = env.pam("login", user, [env.password(user), "lost", mail_code, enrol_code])
    check(len(r.prompts) >= 3, "want password, OTP and emergency code prompts", r)
    check_in("or 'lost' if you lost your phone", r.prompts[1], "OTP prompt offers 'lost'", r)
    check_in("Emergency code from the mail", r.prompts[2], "emergency code prompt", r)
    check(len(env.mails(a)) == 1, "want one mail")
    check(r.auth == "PAM_SUCCESS", "auth after a right emergency code", r, env.regsd_tail())
    check("otpauth://totp/" in r.text and "secret" in shown, "no inline enrolment shown", r)
    check_in(BOUND_MSG, r.text, "bound message", r)
    check(r.acct not in (None, "PAM_SUCCESS"), "account phase let in before a new login", r)
    check(shown["secret"] != old, "the new binding reuses the old secret")
    check(env.is_bound(user), "not bound after inline enrolment")
    r = env.login(user, env.fresh_code(old))
    check(r.auth != "PAM_SUCCESS", "the lost phone's codes still work", r)
    env.secrets[user] = shown["secret"]
    env.login_ok(user)


def test_R8_4_reset_code_via_regsctl(env):
    user = "user16"
    env.enrol(user)
    a = admin_set_email(env, user)
    rc, out, err = env.regsctl_dialog(["reset-code", "request"], uid=user,
                                      steps=[("Emergency code: ", lambda t: env.last_code(a))])
    check(rc == 0, "reset-code request exit %d" % rc, out, err, env.regsd_tail())
    check_in("All login bindings were deleted", out, "success message", out, err)
    check(not env.is_bound(user), "still bound")
    shown = {}

    def enrol_code(r):
        shown["secret"] = harness.secret_from_uri(r.text)
        return env.totp(shown["secret"])

    r = env.pam("login", user, [env.password(user), enrol_code])
    check(r.auth == "PAM_SUCCESS" and "otpauth://totp/" in r.text,
          "forced binding not offered after the reset", r)
    check(env.is_bound(user), "inline enrolment after the reset did not bind")


def test_R8_6_mail_subject_and_body(env):
    user = "user18"
    env.enrol(user)
    a = admin_set_email(env, user)
    _, code = request_ok(env, user)
    msg = env.mail_messages(a)[-1]
    subject, body = env.mails(a)[-1]
    check_in("pam_regs", subject, "subject names the system")
    check_in("Emergency code to reset login bindings", subject, "subject names the purpose")
    check_in("Do not share this code", body, "body says not to share")
    check_in(code, body, "body holds the code")
    date = email.utils.parsedate_to_datetime(msg["Date"])
    check(abs(date.timestamp() - env.now()) < 120, "Date %s is not now" % msg["Date"])
    check(re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(msg["Message-ID"]).strip()),
          "Message-ID: %r" % msg["Message-ID"])
    check(msg["MIME-Version"] == "1.0", "MIME-Version: %r" % msg["MIME-Version"])
    check(msg.get_content_type() == "text/plain" and
          (msg.get_content_charset() or "").lower() == "utf-8",
          "Content-Type: %r" % msg["Content-Type"])
    check_in(harness.MAIL_FROM, str(msg["From"]), "From")
    check(code not in str(msg), "the code travels unencoded (want base64 body)")
    env.advance(61)
    request_ok(env, user, password=True)
    check_in("reset your password", env.mails(a)[-1][0], "password code subject")
    # Codes are kept only as salted hashes: neither the state nor the log holds one.
    for root, _, files in os.walk(env.path("state")):
        for n in files:
            with open(os.path.join(root, n), "rb") as f:
                data = f.read()
            for c in (code, env.last_code(a)):
                check(c.encode() not in data and c[3:].encode() not in data,
                      "code %s stored in %s" % (c, n))
    check(code not in env.regsd_log(), "code in regsd's log")


def test_R8_smtp_down_user_told_no_code_live(env):
    user = "user19"
    env.enrol(user)
    a = admin_set_email(env, user)
    env.smtp.stop()
    try:
        rc, out, err = request(env, user)
        check(rc == 9, "request with the SMTP server down: exit %d, want 9" % rc, out, err)
        check_in("could not be sent", err, "mail failure message", err)
    finally:
        env.smtp.start()
    check(not env.mails(a), "a mail was delivered")
    _, code = request_ok(env, user)  # at once: a failed mail starts no cooldown
    rc, out, err = redeem(env, user, code)
    check(rc == 0, "the code mailed after the outage: exit %d" % rc, out, err)


def test_R8_3_failed_resend_leaves_no_code_live(env):
    """A resend whose mail fails is answered "no code is valid": the
    previous code must not work either (a resend kills it, R8.3)."""
    user = "user20"
    env.enrol(user)
    admin_set_email(env, user)
    _, first = request_ok(env, user)
    env.advance(61)
    env.smtp.stop()
    try:
        rc, out, err = request(env, user)
        check(rc == 9, "resend with the SMTP server down: exit %d, want 9" % rc, out, err)
        check_in("no code is valid", err, "mail failure message", err)
    finally:
        env.smtp.start()
    rc, out, err = redeem(env, user, first)
    check(rc == 4, "the previous code still works after 'no code is valid': exit %d" % rc,
          out, err)
    check(env.is_bound(user), "bindings deleted with a code the user was told is dead")


def _with_smtp(env, srv, **conf):
    """Restarts regsd with regs.conf pointing at srv (and conf); returns a restorer."""
    env.use_smtp(srv)
    env.smtp_conf.update(conf)
    env.write_conf()
    env.restart_regsd()

    def restore():
        env.use_smtp(env.smtp)
        env.restart_regsd()
    return restore


def test_R8_starttls_missing_when_required_refused(env):
    user = "user21"
    env.enrol(user)
    admin_set_email(env, user)
    plain = env.start_smtp("plain", tls=None)
    restore = _with_smtp(env, plain)
    try:
        rc, out, err = request(env, user)
        check(rc == 9, "request through a server without STARTTLS: exit %d, want 9" % rc,
              out, err)
        check(not env.mails(server=plain), "mail delivered without TLS")
    finally:
        restore()
    # Control: the same server is usable when TLS is only optional.
    restore = _with_smtp(env, plain, smtp_starttls="optional")
    try:
        rc, out, err = request(env, user)
        check(rc == 0, "request with smtp_starttls=optional: exit %d" % rc, out, err,
              env.regsd_tail())
        check(len(env.mails(server=plain)) == 1, "no mail with smtp_starttls=optional")
    finally:
        restore()
        plain.stop()


def test_R8_smtp_certificate_is_verified(env):
    user = "user30"
    env.enrol(user)
    a = admin_set_email(env, user)
    other_ca = env.path("other-ca")
    os.makedirs(other_ca, exist_ok=True)
    harness.subprocess.run(["sh", os.path.join(harness.FIXTURES, "make_certs.sh"), other_ca],
                           check=True, timeout=60)
    restore = _with_smtp(env, env.smtp, smtp_ca_file=os.path.join(other_ca, "ca.pem"))
    try:
        rc, out, err = request(env, user)
        check(rc == 9, "request to a server whose certificate the CA did not sign: exit %d"
              % rc, out, err)
        check(not env.mails(a), "mail delivered to an unverified server")
    finally:
        restore()
    request_ok(env, user)


# ---------------------------------------------------------------- R9 passwords and admin


def test_R9_5_forgot_password_code_forces_change_second_factor_still_required(env):
    user = "user22"
    secret = env.enrol(user)
    a = admin_set_email(env, user)
    rc, out, err = env.regsctl_dialog(["reset-code", "request", "--password"], uid=user,
                                      steps=[("Emergency code: ", lambda t: env.last_code(a))])
    check(rc == 0, "reset-code request --password exit %d" % rc, out, err, env.regsd_tail())
    check_in("Your password must be changed at your next login", out, "message", out, err)
    check_in("reset your password", env.mails(a)[-1][0], "password code subject")
    f = flags(env, user)
    check(f & harness.F_MUST_CHANGE_PASSWORD, "must-change flag not set: %#x" % f)
    check(f & harness.F_OTP_BOUND, "a password code deleted the OTP binding")
    r = env.login(user, env.wrong_code(secret))
    check(r.auth != "PAM_SUCCESS", "a wrong OTP code accepted after a password reset", r)
    r = env.login(user, env.fresh_code(secret))
    check(any("OTP code" in p for p in r.prompts), "OTP not asked after a password reset", r)
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_NEW_AUTHTOK_REQD",
          "want auth ok and account PAM_NEW_AUTHTOK_REQD", r)
    check_in(MUST_CHANGE_MSG, r.error_text, "must-change message", r)
    env.call_ok("PasswordChanged", "string:" + user)
    env.login_ok(user)


def test_R9_4_admin_set_class_and_list_filters(env):
    user, unbound = "user23", "user31"
    env.enrol(user)
    admin_set_email(env, unbound)  # known to regsd, nothing bound
    rc, out, err = env.regsctl(["set-class", user, "institution"], uid="carol", input="")
    check(rc == 0, "set-class exit %d" % rc, out, err)
    check(flags(env, user) & harness.F_INSTITUTION, "INSTITUTION flag not set")
    rc, out, err = env.regsctl(["set-class", user, "galaxy"], uid="carol", input="")
    check(rc == 1, "set-class with an unknown class: exit %d, want 1" % rc, out, err)
    check(flags(env, user) & harness.F_INSTITUTION, "class changed by a refused call")

    def listed(*opts):
        rc, out, err = env.regsctl(["list", "--json"] + list(opts), uid="carol", input="")
        check(rc == 0, "list --json %s exit %d" % (" ".join(opts), rc), out, err)
        return {r.get("user"): r for r in
                harness.json_records(harness.load_json(out, "list --json"))}

    every = listed()
    check(user in every and unbound in every, "list misses accounts", every.keys())
    check(every[user].get("class") == "institution", "class in list: %r" % every[user])
    check(every[unbound].get("email_verified") is True, "email_verified: %r" % every[unbound])
    otp = listed("--otp")
    check(user in otp and unbound not in otp, "--otp filter", sorted(otp))
    unb = listed("--unbound")
    check(unbound in unb and user not in unb, "--unbound filter", sorted(unb))
    dis = listed("--password-login-disabled")
    check(user not in dis and unbound not in dis, "--password-login-disabled filter",
          sorted(dis))
    rc, out, err = env.regsctl(["set-class", user, "personal"], uid="carol", input="")
    check(rc == 0 and not flags(env, user) & harness.F_INSTITUTION, "back to personal failed",
          out, err)
    check(listed()[user].get("class") == "personal", "class not personal in list")


def test_R9_4_non_admin_calling_admin_methods_refused(env):
    user = "user24"
    env.enrol(user)
    for args in (["set-email", user, addr(user)], ["set-class", user, "institution"],
                 ["password-login", "enable", user], ["list"], ["list", "--json"]):
        rc, out, err = env.regsctl(args, uid="alice", input="")
        check(rc == 3, "regsctl %s as alice: exit %d, want 3" % (" ".join(args), rc), out, err)
    check(env.call_ok("GetEmail", "string:" + user)[0] == "", "e-mail set by a non-admin")
    f = flags(env, user)
    check(not f & (harness.F_INSTITUTION | harness.F_MUST_CHANGE_PASSWORD),
          "state changed by a non-admin: %#x" % f)


def test_R9_3_admin_actions_logged_with_actor(env):
    user = "user25"
    admin_set_email(env, user)
    rc, out, err = env.regsctl(["set-class", user, "institution"], uid="carol", input="")
    check(rc == 0, "set-class exit %d" % rc, out, err)
    rc, out, err = env.regsctl(["log", "--json", user], uid="carol", input="")
    check(rc == 0, "log --json USER as admin exit %d" % rc, out, err)
    entries = harness.json_records(harness.load_json(out, "log --json"))
    carol = env.users["carol"]
    for event in ("email-set-by-admin", "class-institution"):
        hits = [e for e in entries if e.get("event") == event]
        check(hits, "no %s event in %s's log" % (event, user), out)
        check(hits[-1].get("actor_uid") == carol, "%s actor_uid %r, want %d (carol)"
              % (event, hits[-1].get("actor_uid"), carol), out)
        check(hits[-1].get("user") in (None, user), "event on the wrong account", out)
    rc, out, err = env.regsctl(["log", "--json"], uid=user, input="")
    check(rc == 0, "the user's own log exit %d" % rc, out, err)
    mine = harness.json_records(harness.load_json(out, "log --json"))
    check(any(e.get("event") == "class-institution" and e.get("actor_uid") == carol
              for e in mine), "the user does not see who changed the class", out)


def test_R9_2_password_older_than_90_days_must_change(env):
    """Runs last: the clock jumps by months for every account."""
    user = "user26"
    env.enrol(user)
    env.login_ok(user)
    env.advance(89 * DAY)
    check(not flags(env, user) & harness.F_PASSWORD_EXPIRED, "expired after 89 days")
    env.login_ok(user)
    env.advance(2 * DAY)
    check(flags(env, user) & harness.F_PASSWORD_EXPIRED, "not expired after 91 days")
    # As login does: the account phase asks for a new password, the password
    # module (pam_matrix here, pam_unix in production) changes it, and the
    # module's password phase tells regsd (PasswordChanged).
    pw = env.password(user)
    r = env.pam("login", user, [pw, env.fresh_code(env.secrets[user]), pw, pw, pw, pw],
                chauthtok=True)
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_NEW_AUTHTOK_REQD",
          "want auth ok and account PAM_NEW_AUTHTOK_REQD after 91 days", r)
    check_in(EXPIRED_MSG, r.error_text, "expiry message", r)
    check(r.chauthtok == "PAM_SUCCESS", "the password change itself failed", r)
    check(not flags(env, user) & harness.F_PASSWORD_EXPIRED,
          "the password phase did not record the change")
    env.login_ok(user)


if __name__ == "__main__":
    harness.main(globals(), smtp=True)
