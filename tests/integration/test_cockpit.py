"""R11.2 with the real Cockpit web console: Debian's cockpit-ws / cockpit-session /
cockpit-bridge on loopback (no systemd), driven by a real headless Chromium through
selenium, PAM in the setuid-root cockpit-session with service `cockpit` in a private
mount namespace (tests/integration/cockpitenv.py), regsd on the harness's private bus.

The stack is the shipped data/pam.d/cockpit (its pam_regs and pam_unix lines; the
module by absolute path). Every test asserts what the page shows (the texts a user
reads) and saves a screenshot of each page in test_cockpit.shots/ beside the log.

What Cockpit 287 (Debian 12) does with a PAM conversation, read in its source
(src/session/session.c, src/common/cockpitjsonprint.c, pkg/static/login.js) and
measured here:
- the first PAM_PROMPT_ECHO_OFF of the transaction, whichever module sends it, is
  answered with the password of the login form; every later prompt is shown;
- info and error texts are collected (joined with line breaks) until the next prompt
  and shown with it: the errors if there are any, else the infos;
- in those texts every non-ASCII byte becomes "?"; the prompt itself arrives byte for
  byte but the page decodes it as Latin-1; line breaks are folded by the page;
- at the end of a login the collected error text is shown only for "access denied"
  (PAM_PERM_DENIED); other refusals read "Authentication failed", and any other
  code an "internal-error" page.
"""

import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import harness  # noqa: E402
from harness import check, check_in  # noqa: E402
import cockpitenv  # noqa: E402

OTP_PROMPT = "OTP code"
LOCKED = "Account locked after too many failed attempts. Try again in 15 minutes."
BOUND = "OTP bound; log in again with a bound method."
SHOTS = os.path.join(harness.BUILDDIR, "tests", "integration", "test_cockpit.shots")


class _State:
    ws = None
    browser = None
    setup_error = None
    seen = []  # every text the page showed: (test, field, text)
    test = ""


S = _State()


def cockpit_stack(env, extra=""):
    """data/pam.d/cockpit's pam_regs and pam_unix lines (module by absolute path), with
    pam_unix for account and session."""
    with open(os.path.join(harness.SRCDIR, "data", "pam.d", "cockpit")) as f:
        shipped = f.read()
    lines = []
    for line in shipped.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if " pam_regs.so" in line or " pam_unix.so" in line:
            line = line.replace(" pam_regs.so", " " + env.module)
            if extra and env.module in line:
                line += " " + extra
            lines.append(line)
    check(any("webconsole" in ln for ln in lines), "shipped cockpit stack lost webconsole",
          shipped)
    lines += ["account required pam_unix.so", "session required pam_unix.so"]
    return "\n".join(lines) + "\n"


def stack_without_webconsole(env):
    """The stack an administrator would write from the ssh example (no webconsole)."""
    text = cockpit_stack(env).replace(" webconsole", "").replace("use_first_pass", "")
    return text


def ws(env):
    """The running Cockpit and browser (started once for the file), or a TAP skip."""
    if S.setup_error:
        raise harness.Skip(S.setup_error)
    if S.ws is None:
        why = cockpitenv.unavailable(env.module)
        if why:
            S.setup_error = why
            raise harness.Skip(why)
        shutil.rmtree(SHOTS, ignore_errors=True)
        try:
            S.ws = cockpitenv.Cockpit(env, cockpit_stack(env))
        except Exception as e:  # outside the project: namespace, cockpit-ws
            S.setup_error = "cockpit-ws could not start: %s" % e
            raise harness.Skip(S.setup_error)
        try:
            S.browser = cockpitenv.Browser(SHOTS)
        except Exception as e:
            S.setup_error = "headless Chromium could not start: %s" % str(e).splitlines()[0]
            raise harness.Skip(S.setup_error)
    S.ws.set_stack(cockpit_stack(env))
    return S.ws


def record(st, test=None):
    for field in ("prompt", "message", "error", "fatal"):
        if st.get(field):
            S.seen.append((test or S.test, field, st[field]))
    return st


def login(env, user, password=None, test=""):
    S.test = test
    st = S.browser.login(S.ws.url, user, env.password(user) if password is None else password)
    return record(st)


def answer(text):
    return record(S.browser.answer(text))


def shot(name):
    S.browser.shot(name)


def check_shell(st, user):
    """After a login: the Cockpit shell for user, not the login page."""
    st = S.browser.wait(lambda s: s["kind"] == "shell" and ("%s@" % user) in s["title"],
                        30, "the Cockpit shell after login")
    check_in("Overview", st["body"], "the shell's navigation is not shown", st)
    return st


def check_prompt(st, prompt, what):
    check(st["kind"] == "prompt", "%s: want a prompt, the page shows %r" % (what, st))
    check_in(prompt, st["prompt"], what, st)


def failures(env, user):
    return env.get_account(user)[2]


# ---------------------------------------------------------------- the tests


def test_R11_2_password_and_otp_in_cockpit(env):
    ws(env)
    secret = env.enrol("alice")
    st = login(env, "alice", test="password_and_otp")
    shot("password-otp-prompt")
    check_prompt(st, OTP_PROMPT, "after the login form")
    check(st["message"] == "", "text shown above the OTP prompt: %r" % st["message"])
    check(st["echo"] is False, "the OTP code is echoed", st)
    st = answer(env.fresh_code(secret))
    st = check_shell(st, "alice")
    shot("password-otp-shell")
    check(failures(env, "alice") == 0, "a failure was counted: %r" % (env.get_account("alice"),))


def test_R11_2_wrong_password_refused(env):
    ws(env)
    secret = env.secrets.get("alice") or env.enrol("alice")
    before = failures(env, "alice")
    st = login(env, "alice", password="not-the-password", test="wrong_password")
    shot("wrong-password")
    check(st["kind"] == "error", "a wrong password was not refused: %r" % st)
    check(OTP_PROMPT not in st["prompt"], "OTP asked after a wrong password", st)
    check(failures(env, "alice") == before + 1, "the wrong password was not counted (R9.1)")
    env.call_ok("Unlock", "string:alice")
    del secret


def test_R11_2_wrong_code_then_right_code_in_one_login(env):
    ws(env)
    secret = env.enrol("bob")
    st = login(env, "bob", test="wrong_then_right")
    check_prompt(st, OTP_PROMPT, "first OTP prompt")
    st = answer(env.wrong_code(secret))
    shot("wrong-code-reasked")
    check_prompt(st, OTP_PROMPT, "the OTP code is not asked again after a wrong one")
    check(st["message"] == "Wrong OTP code. 2 more failed attempts will lock the account.",
          "the refusal is not shown with the new prompt: %r" % st["message"], st)
    check(failures(env, "bob") == 1, "the wrong try was not counted: %r"
          % (env.get_account("bob"),))
    st = answer(env.fresh_code(secret))
    check_shell(st, "bob")
    shot("wrong-then-right-shell")
    check(failures(env, "bob") == 0, "failures not reset by the right code")


def test_R11_2_lock_message_shown(env):
    ws(env)
    secret = env.enrol("dave")
    st = login(env, "dave", test="lock")
    for i in range(3):
        check_prompt(st, OTP_PROMPT, "OTP prompt %d" % (i + 1))
        st = answer(env.wrong_code(secret))
        shot("lock-wrong-%d" % (i + 1))
    check(st["kind"] == "error", "the third wrong code did not end the login: %r" % st)
    check(st["error"] == LOCKED, "the page does not say the account is locked: %r" % st)
    check(env.is_locked("dave"), "dave not locked after 3 wrong codes")
    # Logging in again: the lock is said at once, no code asked, the right code useless.
    st = login(env, "dave", test="lock")
    shot("lock-login-again")
    check(st["kind"] == "error" and st["error"] == LOCKED,
          "a locked account's login does not say why: %r" % st)
    check(failures(env, "dave") == 3, "the refused login was counted")
    del secret


def test_R11_2_enrolment_by_typing_the_key(env):
    ws(env)
    user = "erin"
    check(not env.is_bound(user), "erin is already bound")
    st = login(env, user, test="enrolment")
    shot("enrolment-key")
    check(st["kind"] == "prompt" and st["echo"] is True,
          "no first-code prompt for an unbound account: %r" % st)
    m = re.search(r"type this key \(time based\): ((?:[A-Z2-7]{4} )*[A-Z2-7]{1,4}) ",
                  st["message"])
    check(m, "the key is not shown grouped for typing: %r" % st["message"], st)
    key = m.group(1).replace(" ", "")
    check(len(key) == 32, "the key is not the 160-bit secret: %r" % key)
    check("otpauth://" not in st["message"] and "\u2580" not in st["message"],
          "a QR code or URI in a one-line text", st)
    # A wrong first code: refused, and the key is still on the page for the next try.
    st = answer("000000" if harness.totp_at(key, env.now()) != "000000" else "111111")
    shot("enrolment-wrong-code")
    check(st["kind"] == "prompt", "a wrong first code ended the enrolment: %r" % st)
    check_in("wrong", st["message"].lower(), "the wrong first code is not said", st)
    check_in(m.group(1), st["message"], "the key is gone after a wrong first code", st)
    st = answer(env.totp(key))
    shot("enrolment-bound")
    check(st["kind"] == "error" and st["error"] == BOUND,
          "after the right first code the page does not say what to do: %r" % st)
    check(env.is_bound(user), "not bound after the typed key's code")
    env.secrets[user] = key
    st = login(env, user, test="enrolment")
    check_prompt(st, OTP_PROMPT, "login after binding")
    st = answer(env.fresh_code(key))
    check_shell(st, user)
    shot("enrolment-login-shell")


def test_R11_2_google_and_otp_in_cockpit(env):
    ws(env)
    if not G.op:
        raise harness.Skip("the OIDC provider fixture did not start: %s" % G.error)
    import test_google as tg
    tg.use(env)
    user = "carol"
    tg.bound(env, user)
    secret = env.secrets[user]
    before = failures(env, user)
    log_before = len(env.regsd_log())
    st = login(env, user, test="google")
    shot("google-menu")
    check_prompt(st, "Choose a login method", "the method menu")
    check(st["echo"] is True, "the menu answer is hidden", st)
    check_in("1) Google account + OTP", st["message"], "the menu does not offer Google", st)
    check_in("2) password + OTP", st["message"].replace("Password", "password"),
             "the menu does not offer the password", st)
    st = answer("1")
    shot("google-device-code")
    flow = tg.S.op.wait_flow()
    flow = tg.S.op.flows()[-1]
    check_prompt(st, "Press Enter after approving", "the Google prompt")
    check_in(flow["user_code"], st["message"], "the user code is not on the page", st)
    check_in(tg.S.op.issuer, st["message"], "the verification URL is not on the page", st)
    tg.S.op.approve(sub=tg.sub(user))
    env.advance(6)
    st = answer("")
    shot("google-otp-prompt")
    check_prompt(st, OTP_PROMPT, "the OTP prompt after Google approved")
    st = answer(env.fresh_code(secret))
    check_shell(st, user)
    shot("google-shell")
    check(failures(env, user) == before, "something was counted as a failure: %r"
          % (env.get_account(user),))
    new_log = env.regsd_log()[log_before:]
    check(env.password(user) not in new_log, "the form password reached regsd's log")
    check("malformed" not in new_log.lower(), "regsd saw a malformed code", new_log)


def test_R11_2_mobile_certificate_in_cockpit(env):
    ws(env)
    if not M.svc:
        raise harness.Skip("the mobile-ID service fixture did not start: %s" % M.error)
    import test_mobile as tm
    tm.use(env)
    user = "alice"
    tm.bound(env, user)
    tm.new_window(env)
    st = login(env, user, test="mobile")
    shot("mobile-menu")
    check_prompt(st, "Choose a login method", "the method menu")
    m = re.search(r"(\d)\) mobile citizen certificate(?= \d\)|$)", st["message"])
    check(m, "the menu does not offer the mobile certificate on one clean line: %r"
          % st["message"], st)
    st = answer(m.group(1))
    shot("mobile-id-prompt")
    check(st["kind"] == "prompt" and st["prompt"] == "National ID number:",
          "the ID prompt is not plain: %r" % st, st)
    st = answer(tm.IDS[user])
    shot("mobile-pushed")
    check(st["kind"] == "prompt" and re.fullmatch(r"Press Enter after confirming \((?:3:00|2:59)"
                                                  r" left\):", st["prompt"]),
          "the wait prompt offers a QR code that cannot be shown: %r" % st, st)
    check("type q" not in st["message"], "a QR code is offered: %r" % st["message"], st)
    check_in("A login request was sent to the TW FidO app on your phone", st["message"],
             "the push is not said", st)
    tm.S.svc.wait_transaction()
    check(tm.S.svc.approve("push") == "0", "the phone could not approve")
    env.advance(tm.POLL)
    st = answer("")
    check_shell(st, user)
    shot("mobile-shell")
    check(tm.IDS[user] not in S.ws.log(), "the ID number is in cockpit's log")


def test_R11_2_form_password_is_never_a_code(env):
    """Without webconsole (an ssh-style stack) Cockpit answers the Google path's OTP
    prompt with the form password: that is the bug webconsole fixes. With webconsole the
    password is read first; a 6-digit password is not counted as a wrong code."""
    ws(env)
    if not G.op:
        raise harness.Skip("the OIDC provider fixture did not start: %s" % G.error)
    import test_google as tg
    tg.use(env)
    user = "carol"
    if user not in env.secrets:
        tg.bound(env, user)
    S.ws.set_stack(stack_without_webconsole(env))
    before = failures(env, user)
    st = login(env, user, test="no_webconsole")
    check_prompt(st, "Choose a login method", "menu (no webconsole)")
    st = answer("1")
    tg.S.op.wait_flow()
    tg.S.op.approve(sub=tg.sub(user))
    env.advance(6)
    st = answer("")
    shot("no-webconsole-google")
    # The OTP prompt was answered by Cockpit with the password: the login fails
    # without the user ever seeing the OTP prompt.
    check(not (st["kind"] == "prompt" and OTP_PROMPT in st["prompt"]),
          "the OTP prompt was shown without webconsole: Cockpit changed", st)
    check(st["kind"] == "error", "want a refusal without webconsole: %r" % st)
    env.call_ok("Unlock", "string:" + user)
    S.ws.set_stack(cockpit_stack(env))
    del before


def test_R11_2_cockpit_mangles_utf8_without_plain_text(env):
    """What Cockpit 287 does to UTF-8 (measured, so the fallback is needed): without
    text=ascii the enrolment QR code arrives as "?" for every byte."""
    ws(env)
    S.ws.set_stack(stack_without_webconsole(env))
    user = "user1"
    st = login(env, user, test="utf8")
    shot("utf8-enrolment-mangled")
    S.ws.set_stack(cockpit_stack(env))
    check(st["kind"] == "prompt", "no enrolment prompt: %r" % st)
    check("????" in st["message"], "Cockpit passed the block QR through: %r" % st["message"])
    check("\n" not in st["message"], "Cockpit kept a line break: %r" % st["message"])


def test_R11_2_no_text_arrives_garbled(env):
    """Every text the page showed with webconsole (all the tests above) is one line of
    printable ASCII, without "?" where a character was lost."""
    ws(env)
    plain = [s for s in S.seen if s[0] not in ("utf8", "no_webconsole")]
    check(len(plain) >= 10, "too few texts seen to judge: %r" % plain)
    for test, field, text in plain:
        check(all(0x20 <= ord(c) < 0x7f for c in text),
              "%s: the %s has non-ASCII or control characters: %r" % (test, field, text))
        check("??" not in text and "(?" not in text, "%s: lost characters in the %s: %r"
              % (test, field, text))
        check("()" not in text, "%s: empty brackets left in the %s: %r" % (test, field, text))
    menus = [t for _, f, t in plain if "1) Google account + OTP" in t]
    check(menus, "the method menu was not among the texts seen")


# ---------------------------------------------------------------- the Google provider


class _G:
    op = None
    error = ""


G = _G()


def _start_provider():
    """tests/fixtures/oidc_provider.py as in test_google.py; the regs.conf values."""
    try:
        import test_google as tg
        tg._setup()
        G.op = tg.S.op
        return tg.S.conf
    except Exception as e:  # a missing python3-cryptography or openssl: reported as a skip
        G.error = str(e)
        return {}


class _M:
    svc = None
    error = ""


M = _M()


def _start_mobile_service():
    """tests/fixtures/mobileid_server.py as in test_mobile.py; the regs.conf values."""
    try:
        import test_mobile as tm
        tm._setup()
        M.svc = tm.S.svc
        return tm.S.conf
    except Exception as e:
        M.error = str(e)
        return {}


if __name__ == "__main__":
    conf = _start_provider()
    conf.update(_start_mobile_service())
    try:
        harness.main(globals(), conf=conf)
    finally:
        if S.browser:
            S.browser.quit()
        if S.ws:
            S.ws.stop()
        if G.op:
            G.op.stop()
            import test_google as tg
            shutil.rmtree(tg.S.tmp, ignore_errors=True)
        if M.svc:
            M.svc.stop()
            import test_mobile as tm
            shutil.rmtree(tm.S.tmp, ignore_errors=True)
