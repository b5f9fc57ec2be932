"""R9.6: the module and regsctl speak Traditional Chinese under LANG=zh_TW.UTF-8.

One full flow (enrol with regsctl, log in, wrong codes, lock) and the refusal of an
unbound account run under LANG=zh_TW.UTF-8 and check the Chinese text of
po/zh_TW.po; LANG=C.UTF-8 gives English.

The installed pam_regs.so and regsctl bind their catalogue to $(localedir); these
tests use the copies built by `make check` (tests/.libs/pam_regs_test.so,
tests/regsctl-test) that read tests/locale, where make puts the catalogue compiled
from po/zh_TW.po.

pamdrive, like sshd, never calls setlocale(): the module picks the language from
LANG itself (a thread locale for the call, pam_regs/user_locale.c), which these
tests prove.
"""

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import BOUND_MSG, check, check_in  # noqa: E402

ZH = "zh_TW.UTF-8"
EN = "C.UTF-8"

# The wording of po/zh_TW.po (after the operation manual).
ZH_BOUND = "OTP 綁定成功，請使用已綁定方式重新登入。"
ZH_SCAN = "請以 Google Authenticator 或 Microsoft Authenticator 掃描 QR code"
ZH_ENROL_PROMPT = "請輸入 APP 產生的 6 位數密碼："
ZH_OTP_PROMPT = "OTP 驗證碼"
ZH_WRONG = "驗證失敗：OTP 驗證碼錯誤。再輸入錯誤 %d 次，將暫時停用帳號。"
ZH_LOCKED = "驗證失敗次數過多，帳號將暫時停用 %d 分鐘，請稍後再次登入。"
ZH_REFUSAL = "此帳號尚未綁定【OTP 驗證】或【自然人憑證】，未綁定將無法進行作業。"
ZH_INLINE = "此帳號尚未綁定雙因子認證，請立即綁定 OTP 驗證。"
ZH_STEPUP_PROMPT = "OTP 驗證碼（再次驗證）："

def _has_locale(name):
    want = name.lower().replace("-", "")  # zh_TW.UTF-8 is listed as zh_TW.utf8
    p = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    return any(l.strip().lower().replace("-", "") == want for l in p.stdout.splitlines())


def ensure_zh_tw_locale():
    """glibc gettext needs the locale itself: generate it when it is missing."""
    if _has_locale(ZH):
        return
    if os.geteuid() != 0:
        raise RuntimeError("locale %s is missing and only root can generate it "
                           "(localedef -i zh_TW -f UTF-8 %s; Debian package locales)" % (ZH, ZH))
    if not shutil.which("localedef"):
        raise RuntimeError("localedef not found (Debian package locales)")
    p = subprocess.run(["localedef", "-i", "zh_TW", "-f", "UTF-8", ZH],
                       capture_output=True, text=True, timeout=300)
    # localedef exits 1 on mere warnings: what counts is that the locale now exists.
    if not _has_locale(ZH):
        raise RuntimeError("localedef -i zh_TW -f UTF-8 %s failed (rc %d):\n%s%s"
                           % (ZH, p.returncode, p.stdout, p.stderr))


class ZhEnv(harness.Env):
    """The harness Env with the test copies of the module and regsctl and a
    LANG of choice for pamdrive and regsctl (see use_lang)."""

    lang = ZH

    @property
    def module(self):
        return os.path.join(harness.BUILDDIR, "tests", ".libs", "pam_regs_test.so")

    @property
    def regsctl_bin(self):
        return os.path.join(harness.BUILDDIR, "tests", "regsctl-test")

    def setup(self):
        for what, p in (("module", self.module), ("regsctl", self.regsctl_bin),
                        ("catalogue", os.path.join(harness.BUILDDIR, "tests", "locale", "zh_TW",
                                                   "LC_MESSAGES", "pam_regs.mo"))):
            if not os.path.exists(p):
                raise RuntimeError("test %s %s not built (make check builds it)" % (what, p))
        ensure_zh_tw_locale()
        super().setup()

    def base_env(self, preload=(harness.NSS_WRAPPER,)):
        e = super().base_env(preload)
        for k in list(e):
            if k.startswith("LC_"):
                del e[k]  # LC_ALL (set by the harness) would override LANG
        e["LANG"] = self.lang
        e["LANGUAGE"] = ""
        return e

    @contextlib.contextmanager
    def use_lang(self, lang):
        old, self.lang = self.lang, lang
        try:
            yield
        finally:
            self.lang = old


def _enrol(env, user):
    """regsctl enrol otp in the current language; returns (secret, stdout + stderr)."""
    secret, code, rc, out, err = env.enrol_run(user)
    check(secret is not None, "regsctl enrol otp printed no otpauth URI (rc %s)" % rc, out, err)
    check(rc == 0, "regsctl enrol otp as %s failed (rc %s)" % (user, rc), out, err)
    env.secrets[user] = secret
    env.used_codes.setdefault(user, []).append(code)
    return secret, out + err


def test_R9_6_enrol_and_login_in_traditional_chinese(env):
    user = "user1"
    secret, text = _enrol(env, user)
    check_in(ZH_SCAN, text, "enrolment instructions in Chinese", text)
    check_in(ZH_ENROL_PROMPT, text, "enrolment prompt in Chinese", text)
    check_in(ZH_BOUND, text, "binding success in Chinese (manual: OTP 綁定成功)", text)
    check(BOUND_MSG not in text, "English binding message under LANG=zh_TW.UTF-8", text)

    # Re-verification prompt and the status table of regsctl.
    rc, out, err = env.regsctl_dialog(
        ["status"], uid=user, steps=[(ZH_STEPUP_PROMPT, lambda _: env.fresh_code(secret))])
    check(rc == 0, "regsctl status rc %d" % rc, out, err)
    for word in ("授權方式", "授權狀態", "OTP 驗證", "自然人憑證", "Google 帳號",
                 "停用帳號密碼登入", "重新綁定"):
        check_in(word, out, "regsctl status in Chinese", out, err)

    # A good login: the OTP prompt in Chinese.
    r = env.login_ok(user)
    check(r.prompts and any(p.startswith(ZH_OTP_PROMPT) for p in r.prompts),
          "OTP prompt not in Chinese: %r" % (r.prompts,), r)
    check(not any("OTP code" in p for p in r.prompts), "English OTP prompt", r)

    # Wrong codes: the tries left, then the lock with its minutes.
    env.advance(30)
    for left in (2, 1):
        r = env.login(user, env.wrong_code(secret))
        check(r.auth != "PAM_SUCCESS", "wrong code accepted", r)
        check_in(ZH_WRONG % left, r.error_text, "wrong-code message in Chinese", r)
        check("Wrong OTP code" not in r.text, "English wrong-code message", r)
    r = env.login(user, env.wrong_code(secret))
    check(r.auth != "PAM_SUCCESS", "third wrong code accepted", r)
    check(env.is_locked(user), "not locked after 3 wrong codes: %r" % (env.get_account(user),))
    r = env.login(user, env.totp(secret))
    check(r.auth != "PAM_SUCCESS", "right code accepted while locked", r)
    check_in(ZH_LOCKED % 15, r.error_text, "lock message in Chinese (帳號將暫時停用 15 分鐘)", r)
    check("Try again in" not in r.text, "English lock message", r)


def test_R9_6_forced_binding_refusal_in_chinese(env):
    user = "user2"
    r = env.pam("login-refuse", user, [env.password(user)])
    check(r.auth == "PAM_SUCCESS", "password step refused", r, env.regsd_tail())
    check(r.acct not in (None, "PAM_SUCCESS"), "unbound account let in", r)
    check_in(ZH_REFUSAL, r.error_text, "refusal in Chinese", r)
    check_in("regsctl enrol otp", r.error_text, "refusal must say how to bind", r)
    check("no second factor" not in r.text, "English refusal", r)
    check(not env.is_bound(user), "bound without enrolment")


def test_R9_6_inline_binding_in_chinese(env):
    user = "user3"
    shown = {}

    def answer(so_far):
        shown["secret"] = harness.secret_from_uri(so_far.text)
        return env.totp(shown["secret"])

    r = env.pam("login", user, [env.password(user), answer])
    check_in(ZH_INLINE, r.text, "inline binding instructions in Chinese", r)
    check_in("QR code 僅供該次綁定使用", r.text, "QR code validity in Chinese", r)
    check_in(ZH_BOUND, r.text, "inline binding success in Chinese", r)
    check(env.is_bound(user), "not bound after inline enrolment", r)


def test_R9_6_english_by_default(env):
    user = "user4"
    with env.use_lang(EN):
        secret, text = _enrol(env, user)
        check_in(BOUND_MSG, text, "English binding message under LANG=C.UTF-8", text)
        check(not re.search(r"[\u4e00-\u9fff]", text), "Chinese under LANG=C.UTF-8", text)
        r = env.login_ok(user)
        check(any(p.startswith("OTP code") for p in r.prompts),
              "English OTP prompt under LANG=C.UTF-8: %r" % (r.prompts,), r)
        env.advance(30)
        r = env.login(user, env.wrong_code(secret))
        check_in("Wrong OTP code. 2 more failed attempts will lock the account.", r.error_text,
                 "English wrong-code message", r)
        r = env.pam("login-refuse", "user5", [env.password("user5")])
        check_in("This account has no second factor", r.error_text, "English refusal", r)
        check(not re.search(r"[\u4e00-\u9fff]", r.text), "Chinese under LANG=C.UTF-8", r)


def test_R9_6_catalogue_complete_for_every_source():
    """Every marked string of the sources is in po/zh_TW.po, translated, not fuzzy."""
    for tool in ("xgettext", "msgmerge", "msgfmt"):
        if not shutil.which(tool):
            harness.skip("%s not found (Debian package gettext)" % tool)
    src = harness.SRCDIR
    with open(os.path.join(src, "po", "POTFILES.in")) as f:
        listed = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    marked = set()
    for d in ("pam_regs", "tools", "lib", "client", "daemon"):
        for top, _dirs, names in os.walk(os.path.join(src, d)):
            for name in sorted(n for n in names if n.endswith(".c")):
                with open(os.path.join(top, name), errors="replace") as f:
                    if re.search(r"\b(_|N_|dgettext|dngettext)\(", f.read()):
                        marked.add(os.path.relpath(os.path.join(top, name), src))
    check(not marked - listed, "sources with translatable strings missing from po/POTFILES.in: "
          "%s" % sorted(marked - listed))
    tmp = tempfile.mkdtemp(prefix="regs-po-")
    try:
        pot, merged = os.path.join(tmp, "pam_regs.pot"), os.path.join(tmp, "zh_TW.po")
        p = subprocess.run(["xgettext", "--keyword=_", "--keyword=N_", "--from-code=UTF-8",
                            "--language=C", "-D", src, "-o", pot] + sorted(listed),
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, "xgettext failed: " + p.stderr)
        p = subprocess.run(["msgmerge", "--quiet", "-o", merged,
                            os.path.join(src, "po", "zh_TW.po"), pot],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, "msgmerge failed: " + p.stderr)
        p = subprocess.run(["msgfmt", "--statistics", "--check", "-o", os.devnull, merged],
                           capture_output=True, text=True, timeout=120)
        stats = (p.stdout + p.stderr).strip()
        check(p.returncode == 0, "msgfmt --check failed on po/zh_TW.po:\n" + stats)
        check("fuzzy" not in stats and "untranslated" not in stats,
              "po/zh_TW.po is not complete for the current sources (make -C po update-po, "
              "then translate): " + stats)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.Env = ZhEnv  # main() builds its Env from this name
    harness.main(globals())
