"""R11.1: logins through the real OpenSSH sshd with the real ssh client.

sshd runs as a site runs it (tests/integration/sshenv.py: a private mount namespace,
the shipped data/pam.d/sshd stack with the real pam_unix, UsePAM and
keyboard-interactive); the ssh client runs on a pty driven by pexpect, and every
assertion is on what the user saw on that terminal. One environment, one sshd and
one local mobile-ID service for the file; every test uses its own user.
"""

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
import harness  # noqa: E402
import sshenv  # noqa: E402
from harness import check, check_in  # noqa: E402

PASSWORD = "Password:"
OTP = "OTP code"
LOCKED = "Account locked after too many failed attempts. Try again in"
WRONG = "Wrong OTP code."
CLOSE = "Press Enter to end this login"
MENU_MOBILE = "mobile citizen certificate"
ENTER = "Press Enter after confirming, or q for a QR code ("
PENDING = "Not confirmed yet."
QR_BLOCKS = "▀▄█"
ZH_CLOSE = "請按 Enter 鍵結束本次登入"
ZH_CONTINUE = "請按 Enter 鍵繼續"
ZH_REPLAYED = "此 OTP 驗證碼已使用過，請等待 APP 產生下一組密碼。"
OCTAL = re.compile(r"\\[0-3][0-7][0-7]")  # how the client escapes a byte it will not print
HAN = re.compile(r"[\u4e00-\u9fff]")

# the mobile-ID service (as tests/integration/test_mobile.py)
TIME_LIMIT, POLL_SECONDS, WINDOW = 180, 4, 600
IDS = {"user30": "A123456789", "user31": "C123456781"}


class _State:
    sshd = None
    svc = None
    tmp = None
    conf = {}


S = _State()


def sshd(env):
    """The file's sshd. Its stack names the test copy of pam_regs.so, which reads its
    catalogue from tests/locale (the installed one reads $(localedir)): the same code."""
    if S.sshd is None:
        module = os.path.join(harness.BUILDDIR, "tests", ".libs", "pam_regs_test.so")
        check(os.path.exists(module), "%s is not built (make check builds it)" % module)
        # the sshd_config of README and pam_regs(8): no key of a user's own logs in alone
        S.sshd = sshenv.start_or_skip(env, module=module,
                                      options={"AuthorizedKeysFile": "none"})
    return S.sshd


def failures(env, user):
    return env.get_account(user)[2]


def pw(env, user):
    return env.password(user)


def after(text, needle):
    """What the user saw after the last needle (the whole text if it is not there)."""
    i = text.rfind(needle)
    return text[i + len(needle):] if i >= 0 else text


def client_lines(text):
    """Lines the ssh client writes itself (not a PAM text)."""
    return [l for l in text.split("\n") if l.strip() and (
        "Permission denied" in l or l.startswith("Warning: Permanently added") or
        "Connection closed" in l)]


# ---------------------------------------------------------------- password + OTP


def test_R11_1_password_and_otp_login_over_ssh(env):
    s = sshd(env)
    user = "user1"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    r = s.ssh(user, [(PASSWORD, pw(env, user)), (OTP, code)])
    check(r.ok, "password + OTP over ssh did not log in", r, s.log_tail(), env.regsd_tail())
    check(r.prompts == ["(user1@127.0.0.1) Password:", "(user1@127.0.0.1) OTP code:"],
          "the prompts the user saw: %r" % (r.prompts,), r)
    check(r.extra_prompts == [], "more prompts than password and code", r)
    check_in("Accepted keyboard-interactive/pam for user1", s.log(), "sshd's log")
    # the code was used (R2.4): the same one again is refused, with the reason
    r = s.ssh(user, [(PASSWORD, pw(env, user)), (OTP, code)], max_extra=0)
    check(not r.ok, "a used code logged in again over ssh", r)
    check_in("already been used", r.text, "the replay is said", r)


def test_R11_1_wrong_password_refused_and_counted(env):
    s = sshd(env)
    user = "user2"
    secret = env.enrol(user)
    seen = {}

    def right_password_after_one_failure(_text):
        seen["failures"] = failures(env, user)
        return pw(env, user)

    r = s.ssh(user, [(PASSWORD, "not-" + pw(env, user)),
                     (PASSWORD, right_password_after_one_failure),
                     (OTP, lambda _t: env.fresh_code(secret))])
    check(seen.get("failures") == 1, "the wrong password was counted once (R9.1): %r"
          % seen, r)
    check(r.prompts[:2] == ["(user2@127.0.0.1) Password:"] * 2,
          "the password is asked again, no code for the wrong one: %r" % (r.prompts,), r)
    check(r.ok, "the right password and code after a wrong password", r, s.log_tail())
    check(failures(env, user) == 0, "a login did not clear the failures",
          env.get_account(user))


def test_R11_1_wrong_code_refused_with_the_reason_legible(env):
    s = sshd(env)
    user = "user3"
    secret = env.enrol(user)
    env.advance(30)
    r = s.ssh(user, [(PASSWORD, pw(env, user)), (OTP, env.wrong_code(secret)),
                     (OTP, lambda _t: env.totp(secret))])
    check(r.ok, "a wrong code, then the right one in the same login", r, s.log_tail(),
          env.regsd_tail())
    # the refusal came with the next prompt, on the lines right above it (tries=3)
    check(len(r.screens) == 3 and r.screens[2].rstrip().endswith("OTP code:"),
          "the code was asked again", r)
    check_in(WRONG + " 2 more failed attempts will lock the account.", r.screens[2],
             "the refusal shown with the second code prompt", r)
    check(r.text.count(PASSWORD) == 1, "the password was asked again", r)
    check(failures(env, user) == 0, "success did not clear the count", env.get_account(user))
    # counted: three wrong codes lock (R9.1), and the lock text is what the user reads
    env.advance(30)
    r = s.ssh(user, [(PASSWORD, pw(env, user)), (OTP, env.wrong_code(secret)),
                     (OTP, env.wrong_code(secret)), (OTP, env.wrong_code(secret)),
                     (CLOSE, "")], default_client=True)
    check(env.is_locked(user), "three wrong codes over ssh did not lock",
          env.get_account(user), r)
    check(not r.ok and r.extra_prompts == [], "after the lock the client asked more", r)
    check_in(LOCKED, r.screens[-1], "the lock text comes with the last prompt", r)
    rest = after(r.text, CLOSE)
    check(all("Permission denied" in l for l in rest.split("\n")[1:] if l.strip()),
          "after the lock text the user reads only the client's own refusal", r)


# ---------------------------------------------------------------- the lock


def test_R11_1_locked_account_reads_the_lock_text_last(env):
    s = sshd(env)
    user = "user5"
    secret = env.enrol(user)
    env.advance(30)
    env.lock(user)
    for default_client in (True, False):
        r = s.ssh(user, [(CLOSE, "")], default_client=default_client)
        check(not r.ok, "a locked account logged in over ssh", r)
        check(len(r.screens) == 1 and LOCKED in r.screens[0] and CLOSE in r.prompts[0],
              "the lock text is shown with a prompt of its own: %r" % (r.screens,), r)
        check(PASSWORD not in r.text, "a locked account was asked for a password", r)
        check(r.extra_prompts == [] and not r.timed_out,
              "after the lock text the client asked for more: %r" % (r.extra_prompts,), r)
        rest = [l for l in after(r.text, CLOSE).split("\n")[1:] if l.strip()]
        check(rest == ["user5@127.0.0.1: Permission denied (publickey)."],
              "after the lock text only the client's closing line: %r" % (rest,), r)
    # the lock is still there and the code still right: nothing was counted twice
    check(env.is_locked(user), "the account is no longer locked")


def test_R11_1_third_wrong_password_reads_the_lock_text_last(env):
    s = sshd(env)
    user = "user6"
    env.enrol(user)
    # the default client asks the password three times in one connection
    r = s.ssh(user, [(PASSWORD, "wrong-1"), (PASSWORD, "wrong-2"), (PASSWORD, "wrong-3"),
                     (CLOSE, "")], default_client=True)
    check(env.is_locked(user), "three wrong passwords over ssh did not lock",
          env.get_account(user), r)
    check(OTP not in r.text, "a code was asked after a wrong password", r)
    check_in(LOCKED, r.screens[-1], "the lock text comes with the last prompt", r)
    check(r.extra_prompts == [] and not r.timed_out, "the client asked more after the lock", r)
    rest = [l for l in after(r.text, CLOSE).split("\n")[1:] if l.strip()]
    check(rest == ["user6@127.0.0.1: Permission denied (publickey)."],
          "after the lock text only the client's closing line: %r" % (rest,), r)


# ---------------------------------------------------------------- mobile citizen certificate


def mobile_service(env):
    import mobileid_server
    if S.svc is None:
        S.tmp = tempfile.mkdtemp(prefix="regs-sshmid-")
        S.svc = mobileid_server.MobileIdService(S.tmp, clock=lambda: time.time() + env.offset)
        for id_num in IDS.values():
            S.svc.add_phone(id_num)
        S.svc.start()
    url = S.svc.base_url + mobileid_server.PREFIX
    if env.conf_overrides.get("mobile_url") != url:  # each test starts from the set-up's conf
        env.write_conf(mobile_url=url,
                       mobile_service_id=S.svc.sp_service_id,
                       mobile_key_file=S.svc.key_file, mobile_anchors=S.svc.anchors_file,
                       mobile_ca_file=S.svc.ca_file, mobile_time_limit=TIME_LIMIT,
                       mobile_poll_seconds=POLL_SECONDS, mobile_attempt_window=WINDOW)
        env.restart_regsd()
    S.svc.result_mode = "good"
    return S.svc


def bind_mobile(env, user):
    svc = mobile_service(env)
    secret = env.secrets.get(user) or env.enrol(user)
    env.advance(WINDOW + 1)

    def approve(_out):
        svc.wait_transaction()
        svc.approve("push")
        env.advance(POLL_SECONDS + 1)
        return ""
    rc, out, err = env.regsctl_dialog(
        ["bind", "mobile", IDS[user]], uid=env.users[user],
        steps=[("OTP code (re-verification): ", lambda _o: env.fresh_code(secret)),
               (ENTER, approve)], timeout=60)
    check(rc == 0, "regsctl bind mobile as %s (rc %d)" % (user, rc), out, err,
          env.regsd_tail())
    return svc


def choose_mobile(text):
    m = re.findall(r"^\s*(\d+)\) " + re.escape(MENU_MOBILE), text, re.M)
    check(m, "the menu offers the mobile citizen certificate", text)
    return m[-1]


def test_R11_1_mobile_id_enter_asks_at_once(env):
    user = "user30"
    svc = bind_mobile(env, user)
    s = sshd(env)
    env.advance(WINDOW + 1)
    marks = {}

    def approve_and_press_enter(_text):
        svc.wait_transaction()
        check(svc.approve("push") == "0", "the phone's approval was refused")
        marks["enter"] = time.monotonic()
        return ""

    n = len(svc.requests)
    r = s.ssh(user, [("Choose a login method", choose_mobile),
                     ("National ID number", IDS[user]),
                     (ENTER, approve_and_press_enter)])
    took = time.monotonic() - marks.get("enter", time.monotonic())
    check(r.ok, "mobile login over ssh", r, s.log_tail(), env.regsd_tail())
    check(PENDING not in r.text, "approved, Enter at once, and the user read %r" % PENDING, r)
    check(r.extra_prompts == [], "asked again after the approval", r)
    # Behaviour, not speed: the login did not wait for the next scheduled poll.
    check(took < POLL_SECONDS - 0.5, "Enter after approving took %.1f s to log in: it "
          "waited for the next poll (every %d s)" % (took, POLL_SECONDS), r)
    polls = [q for q in svc.requests[n:] if q[0] == "getAthOrSignResult"]
    check(len(polls) == 1, "one poll for one Enter: %r" % [q[2] for q in polls])


def test_R11_1_mobile_enter_before_approval_keeps_the_poll_rate(env):
    user = "user30"
    svc = bind_mobile(env, user)
    s = sshd(env)
    env.advance(WINDOW + 1)
    marks = []

    def enter(_text):
        marks.append(time.monotonic())
        return ""

    def approve_and_enter(_text):
        svc.approve("push")
        marks.append(time.monotonic())
        return ""

    n = len(svc.requests)
    r = s.ssh(user, [("Choose a login method", choose_mobile),
                     ("National ID number", IDS[user]),
                     (ENTER, enter), (ENTER, approve_and_enter)])
    end = time.monotonic()
    check(r.ok, "mobile login after one early Enter", r, s.log_tail(), env.regsd_tail())
    check_in(PENDING, r.text, "an Enter before the approval says so", r)
    polls = [q for q in svc.requests[n:] if q[0] == "getAthOrSignResult"]
    check([q[2] for q in polls] == ["20002", "0"], "one pending poll, then the result: %r"
          % [q[2] for q in polls])
    check(end - marks[0] >= POLL_SECONDS - 0.5,
          "two polls %.1f s apart: faster than every %d s" % (end - marks[0], POLL_SECONDS))


def test_R11_1_mobile_qr_path_over_ssh(env):
    user = "user31"
    svc = bind_mobile(env, user)
    s = sshd(env)
    env.advance(WINDOW + 1)

    def approve_by_qr(_text):
        svc.approve("qr")
        return ""

    n = len(svc.transactions())
    r = s.ssh(user, [("Choose a login method", choose_mobile),
                     ("National ID number", IDS[user]),
                     (ENTER, "q"), (ENTER, approve_by_qr)])
    check(r.ok, "mobile login by QR over ssh", r, s.log_tail(), env.regsd_tail())
    check_in("Scan this QR code with the TW FidO app:", r.text, "the QR is announced", r)
    qr = after(r.text, "Scan this QR code")
    check(any(c in qr for c in QR_BLOCKS), "the terminal QR code reached the user", r)
    check(len(svc.transactions()) == n + 1, "one transaction")
    t = svc.transactions()[-1]
    check(t["channels"] == ["push", "qr"] and t["approved_by"] == "qr",
          "push and QR on one transaction, approved by QR", t)


# ---------------------------------------------------------------- the user's language (R9.6)


@contextlib.contextmanager
def site_language(env, language):
    """regs.conf's site default for a block (regsd restarted), none again afterwards."""
    env.write_conf(language=language)
    env.restart_regsd()
    try:
        yield
    finally:
        env.write_conf(language=None)
        env.restart_regsd()


def choose_language(env, user, language):
    rc, out, err = env.regsctl(["language", language], uid=user)
    check(rc == 0, "regsctl language %s as %s: rc %d" % (language, user, rc), out, err)


def zh_locale():
    try:
        import test_zh_tw
        test_zh_tw.ensure_zh_tw_locale()
        return test_zh_tw
    except RuntimeError as e:
        harness.skip("no zh_TW.UTF-8 locale: %s" % e)


def test_R9_6_ssh_user_who_chose_zh_TW_sees_chinese(env):
    zh = zh_locale()
    s = sshd(env)
    user = "user20"
    secret = env.enrol(user)
    choose_language(env, user, "zh_TW")
    with site_language(env, "en"):  # the account's choice wins over the site's
        env.advance(30)
        # The right code as typed: the replay below sends this one, whatever step the wall
        # clock has reached by then (after a step boundary, totp() is a fresh code).
        typed = []

        def right_code(_text):
            typed.append(env.totp(secret))
            return typed[-1]
        r = s.ssh(user, [(PASSWORD, pw(env, user)), (zh.ZH_OTP_PROMPT, env.wrong_code(secret)),
                         (zh.ZH_OTP_PROMPT, right_code)])
        check(r.ok, "password, a wrong code and the right one in Chinese", r, s.log_tail(),
              env.regsd_tail())
        check(zh.ZH_OTP_PROMPT in r.prompts[1] and OTP not in r.text,
              "the code is asked in Chinese: %r" % (r.prompts,), r)
        check_in(zh.ZH_WRONG % 2, r.screens[2], "the refusal reads in Chinese", r)
        check(not OCTAL.search(r.text), "escaped bytes on the screen", r)
        # a refusal after which the client asks again (a replayed code) comes with a
        # prompt too: alone, the client would print it as octal escapes
        used = typed[-1]
        r = s.ssh(user, [(PASSWORD, pw(env, user)), (zh.ZH_OTP_PROMPT, used),
                         (ZH_CONTINUE, "")], options={"NumberOfPasswordPrompts": "1"})
        check(not r.ok, "a replayed code logged in", r)
        check_in(ZH_REPLAYED, r.screens[-1], "the replay refusal reads in Chinese", r)
        check(not OCTAL.search(r.text), "escaped bytes on the screen", r)
        # a lock reads in Chinese too, as the last text (with its own prompt)
        env.advance(30)
        r = s.ssh(user, [(PASSWORD, pw(env, user))] +
                  [(zh.ZH_OTP_PROMPT, env.wrong_code(secret))] * 3 +
                  [(ZH_CLOSE, "")], default_client=True)
        check(env.is_locked(user), "three wrong codes did not lock", env.get_account(user), r)
        check_in(zh.ZH_LOCKED % 15, r.screens[-1], "the lock text reads in Chinese", r)
        check(not OCTAL.search(r.text), "escaped bytes on the screen", r)
        check(r.extra_prompts == [], "asked more after the lock", r)


def test_R9_6_ssh_user_who_chose_en_sees_english(env):
    zh = zh_locale()
    s = sshd(env)
    user = "user21"
    secret = env.enrol(user)
    choose_language(env, user, "en")
    other = "user22"  # no choice of their own: the site's Chinese, on the same host
    other_secret = env.enrol(other)
    with site_language(env, "zh_TW"):
        env.advance(30)
        r = s.ssh(user, [(PASSWORD, pw(env, user)), (OTP, env.wrong_code(secret)),
                         (OTP, lambda _t: env.totp(secret))])
        check(r.ok, "password, a wrong code and the right one in English", r, s.log_tail())
        check_in(WRONG + " 2 more failed attempts will lock the account.", r.screens[2],
                 "the refusal reads in English", r)
        check(not HAN.search(r.text), "Chinese shown to a user who chose English", r)
        r = s.ssh(other, [(PASSWORD, pw(env, other)),
                          (zh.ZH_OTP_PROMPT, lambda _t: env.totp(other_secret))])
        check(r.ok and zh.ZH_OTP_PROMPT in r.prompts[1],
              "the site's Chinese for a user without a choice: %r" % (r.prompts,), r)


# ---------------------------------------------------------------- the shipped stacks


def _stack_modules(text):
    mods = []
    for line in text.splitlines():
        f = line.split("#", 1)[0].split()
        if not f or f[0].startswith("@") or f[0].lstrip("-") not in (
                "auth", "account", "password", "session"):
            continue
        rest = f[1:]
        if len(rest) >= 2 and rest[0] in ("include", "substack"):
            mods.append(os.path.join("/etc/pam.d", rest[1]))  # another service's file
            continue
        if rest and rest[0].startswith("["):  # [a=b c=d] may hold spaces
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
        rest = rest[1:]
        if rest:
            mods.append(rest[0])
    return mods


def test_R11_1_example_stacks_use_installed_modules():
    d = os.path.join(harness.SRCDIR, "data", "pam.d")
    secdirs = ["/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security",
               "/lib/security", "/usr/lib/security", "/lib64/security"]
    missing = []
    names = sorted(os.listdir(d))
    check(names, "no example stacks in data/pam.d")
    for name in names:
        with open(os.path.join(d, name)) as f:
            mods = _stack_modules(f.read())
        check(mods, "no module lines found in data/pam.d/%s" % name)
        for m in mods:
            if m == "pam_regs.so":
                continue  # this project's own module
            if os.path.isabs(m):
                if not os.path.exists(m):
                    missing.append("%s: %s" % (name, m))
                continue
            if not any(os.path.exists(os.path.join(s, m)) for s in secdirs):
                missing.append("%s: %s" % (name, m))
    check(not missing, "modules the examples name that this machine does not have "
          "(PAM: 'Module is unknown'): %s" % missing)


def _cleanup():
    if S.svc:
        S.svc.stop()
    if S.tmp:
        shutil.rmtree(S.tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        harness.main(globals())
    finally:
        _cleanup()
