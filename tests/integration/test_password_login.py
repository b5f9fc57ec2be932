"""R6 and R8.5 with a citizen certificate bound: disabling password login,
what it refuses, re-enabling, and the e-mail reset refused to such accounts.

The card is bound through the bus with the test PKI's key (the signature the
card would make): these rules are about the account, not the reader, so no
pcscd is needed here. Card logins themselves are in test_card.py."""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import harness  # noqa: E402
import pki  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from harness import check, check_in  # noqa: E402

PKI_DIR = tempfile.mkdtemp(prefix="regs-pki-")
PKI = pki.make(PKI_DIR)
ANCHORS = os.path.join(PKI_DIR, "anchors-personal.pem")
with open(ANCHORS, "w") as out:
    for name in ("grca", "moica"):
        with open(PKI["certs"][name]["pem"]) as f:
            out.write(f.read())
os.chmod(ANCHORS, 0o644)
DAY = 86400


def flags(env, user):
    return env.get_account(user)[0]


def cert_and_key(name):
    c = PKI["certs"][name]
    with open(c["der"], "rb") as f:
        der = f.read()
    with open(c["key"], "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    return der, key


def bind_card(env, user, name="citizen", secret=None):
    """CardChallenge + BindCard on one connection, signed as the card signs (R3.4)."""
    der, key = cert_and_key(name)
    with env.bus_session(user) as bus:
        if secret:
            e, v = bus.call("StepUp", "ssss", "card", env.fresh_code(secret), "test", "")
            check(e is None and v[0] == harness.R_OK, "StepUp for card: %r %r" % (e, v))
        e, v = bus.call("CardChallenge", "ss", "", "bind")
        check(e is None, "CardChallenge: %r" % e)
        handle, nonce = v[0], bytes(v[1])
        sig = key.sign(nonce, padding.PKCS1v15(), hashes.SHA256())
        e, v = bus.call("BindCard", "sayay", handle, list(der), list(sig))
        check(e is None and v[0] == harness.R_OK, "BindCard: %r %r" % (e, v))
    check(flags(env, user) & harness.F_CARD_BOUND, "card not bound")


def disable(env, user, secret, expect_rc=0):
    rc, out, err = env.regsctl(["password-login", "disable", "--yes"], uid=user,
                               input=env.fresh_code(secret) + "\n")
    check(rc == expect_rc, "password-login disable: exit %d, want %d" % (rc, expect_rc), out,
          err)
    return out + err


def test_R6_1_disable_password_login_with_card_bound(env):
    user = "user20"
    secret = env.enrol(user)
    bind_card(env, user, secret=secret)
    text = disable(env, user, secret)
    check(flags(env, user) & harness.F_PASSWORD_LOGIN_DISABLED, "not disabled", text)
    rc, out, err = env.regsctl(["status", "--json"], uid=user,
                               input=env.fresh_code(secret) + "\n")
    check(rc == 0, "status: %d" % rc, out, err)
    rows = {m["method"]: m for m in json.loads(out)["methods"]}
    check(rows["password-login"]["bound"] and rows["password-login"].get("since"),
          "status does not show password login disabled with its date", out)
    check(rows["card"]["bound"], "status does not show the card", out)


def test_R6_2_confirmation_text_depends_on_what_is_bound(env):
    user = "user21"
    secret = env.enrol(user)
    bind_card(env, user, name="citizen2", secret=secret)
    text = disable(env, user, secret)
    check_in("citizen certificate", text, "card-only confirmation (R6.2)")
    check_in("Google", text, "the advice to bind Google too (R6.2)")


def test_R6_3_password_path_refused_and_no_expiry_while_disabled(env):
    user = "user22"
    secret = env.enrol(user)
    der, _ = cert_and_key("citizen")
    env.call_ok("Reset", "string:user20", "string:card")  # free the certificate (R3.6)
    bind_card(env, user, secret=secret)
    disable(env, user, secret)
    r = env.login(user, env.fresh_code(secret), service="otponly")
    check(r.auth != "PAM_SUCCESS", "password + OTP accepted while password login is disabled", r)
    check_in("Password login is disabled", r.error_text, "R6.3 refusal names the way out", r)
    env.advance(91 * DAY)
    check(not flags(env, user) & harness.F_PASSWORD_EXPIRED,
          "a disabled password still expires (R6.3)")


def test_R6_4_reenable_forces_password_change(env):
    user = "user23"
    secret = env.enrol(user)
    env.call_ok("Reset", "string:user22", "string:card")
    bind_card(env, user, secret=secret)
    disable(env, user, secret)
    rc, out, err = env.regsctl(["password-login", "enable", user], uid="carol", input="")
    check(rc == 0, "admin enable: exit %d" % rc, out, err)
    check(flags(env, user) & harness.F_MUST_CHANGE_PASSWORD, "re-enabling did not force a change")
    pw = env.password(user)
    r = env.pam("login", user, ["2", pw, env.fresh_code(secret), pw, pw, pw, pw],
                chauthtok=True)
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_NEW_AUTHTOK_REQD",
          "want the password path to ask for a new password", r)
    check(r.chauthtok == "PAM_SUCCESS", "password change failed", r)
    check(not flags(env, user) & harness.F_MUST_CHANGE_PASSWORD, "change not recorded")


def test_R8_5_reset_code_refused_when_password_login_disabled(env):
    user = "user24"
    secret = env.enrol(user)
    env.call_ok("SetEmail", "string:" + user, "string:%s@test.invalid" % user)
    env.call_ok("Reset", "string:user23", "string:card")
    bind_card(env, user, secret=secret)
    disable(env, user, secret)
    rc, out, err = env.regsctl(["reset-code", "request", "--no-wait"], uid=user)
    check(rc == 9, "reset code with password login disabled: exit %d" % rc, out, err)
    check_in("contact an administrator", (out + err).lower(), "R8.5 message", out, err)


def test_R8_5_reset_code_refused_when_only_a_card_is_bound(env):
    user = "user25"
    env.call_ok("SetEmail", "string:" + user, "string:%s@test.invalid" % user)
    env.call_ok("Reset", "string:user24", "string:card")
    bind_card(env, user)  # the first binding: no step-up (R1.4)
    rc, out, err = env.regsctl(["reset-code", "request", "--no-wait"], uid=user)
    check(rc == 9, "reset code with only a card: exit %d" % rc, out, err)
    check_in("contact an administrator", (out + err).lower(), "R8.5 message", out, err)


def test_R7_1_adding_otp_next_to_a_card_needs_step_up(env):
    user = "user26"
    env.call_ok("Reset", "string:user25", "string:card")
    bind_card(env, user)  # the first binding needs none (R1.4)
    rc, out, err = env.dbus_call("BeginOtpEnrol", "string:", uid=user)
    check(rc != 0 and harness.dbus_error_name(err) == "tw.regs.Error.StepUpRequired",
          "OTP added next to a card without re-verification: %r" % err, out)
    check(not flags(env, user) & harness.F_OTP_BOUND, "OTP bound")


def test_R6_1_admin_card_reset_reopens_password_login(env):
    """Password login stays disabled only while a card can log in: removing
    the card re-enables it, with a new password required (R6.4)."""
    user = "user27"
    secret = env.enrol(user)
    env.call_ok("Reset", "string:user26", "string:card")
    bind_card(env, user, secret=secret)
    disable(env, user, secret)
    env.call_ok("Reset", "string:" + user, "string:card")
    f = flags(env, user)
    check(not f & harness.F_PASSWORD_LOGIN_DISABLED, "no card left, yet password login disabled")
    check(f & harness.F_MUST_CHANGE_PASSWORD, "re-enabled without a forced password change")


if __name__ == "__main__":
    harness.main(globals(), conf={"anchors_personal": ANCHORS, "crl_policy": "allow"})
