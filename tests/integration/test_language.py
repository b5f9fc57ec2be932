"""R9.6: the user's language. Which language a login speaks (pam_regs(8)):
the account's own choice (regsctl language, or an administrator's
regsctl set-language), else the application's locale where it hands one to PAM
(the PAM environment's LC_ALL / LC_MESSAGES / LANG; C, POSIX and C.UTF-8 are no
choice), else the site default of regs.conf (language = zh_TW), else the
process's environment.

Like sshd's auth phase, pamdrive's process environment here says nothing
(LANG=C.UTF-8); `pamdrive --env LANG=...` is an application that hands PAM its
locale. The module and regsctl are the test copies that read tests/locale (see
test_zh_tw.py). The account's language and the site default reach the module in
the GetAccount answer it already asks for at the start of every login.
"""

import contextlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in, dbus_error_name  # noqa: E402
from test_zh_tw import ZH, EN, ZH_LOCKED, ZH_OTP_PROMPT, ZH_WRONG, ZhEnv  # noqa: E402

EN_OTP_PROMPT = "OTP code"
EN_WRONG = "Wrong OTP code. %d more failed attempts will lock the account."
HAN = re.compile(r"[\u4e00-\u9fff]")
ADMIN = "carol"


class LanguageEnv(ZhEnv):
    """The test copies of the module and regsctl; the processes' own locale is English."""

    lang = EN


def site_default(env, language):
    """Rewrites regs.conf's language (None: not set) and restarts regsd to read it."""
    env.write_conf(language=language)
    env.restart_regsd()


@contextlib.contextmanager
def site(env, language):
    """The site default language for a block; none again afterwards, also on failure."""
    site_default(env, language)
    try:
        yield
    finally:
        site_default(env, None)


def enrolled(env, user):
    if user not in env.secrets:
        env.enrol(user)
    return env.secrets[user]


def login_speaks(env, user, language, pam_vars=(), what=""):
    """A good login and a wrong code of user: both in language ("zh_TW" or "en")."""
    secret = enrolled(env, user)
    r = env.login(user, env.fresh_code(secret), pam_vars=pam_vars)
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS", "login of %s failed" % user,
          r, env.regsd_tail())
    env.advance(30)
    bad = env.login(user, env.wrong_code(secret), pam_vars=pam_vars)
    check(bad.auth != "PAM_SUCCESS", "wrong code accepted", bad)
    if language == "zh_TW":
        check(any(p.startswith(ZH_OTP_PROMPT) for p in r.prompts),
              "%s: OTP prompt not in Chinese: %r" % (what, r.prompts), r)
        check_in(ZH_WRONG % 2, bad.error_text, "%s: refusal not in Chinese" % what, bad)
        check("Wrong OTP code" not in bad.text, "%s: English refusal" % what, bad)
    else:
        check(any(p.startswith(EN_OTP_PROMPT) for p in r.prompts),
              "%s: OTP prompt not in English: %r" % (what, r.prompts), r)
        check_in(EN_WRONG % 2, bad.error_text, "%s: refusal not in English" % what, bad)
        check(not HAN.search(r.text + bad.text), "%s: Chinese in an English login" % what,
              r, bad)
    env.call_ok("Unlock", "string:" + user)  # the wrong code counted; start afresh


def set_own(env, user, language):
    rc, out, err = env.regsctl(["language", language], uid=user)
    check(rc == 0, "regsctl language %s as %s: rc %d" % (language, user, rc), out, err)
    return out


def test_R9_6_site_default_when_nothing_chosen(env):
    user = "user1"
    check(env.get_language(user) == ("", ""), "the harness sets no language: %r"
          % (env.get_language(user),))
    login_speaks(env, user, "en", what="no site default, English process")
    with site(env, "zh_TW"):
        check(env.get_language(user) == ("", "zh_TW"), "GetAccount: %r"
              % (env.get_language(user),))
        login_speaks(env, user, "zh_TW", what="site default zh_TW")
        # A refusal before any code: an account with nothing bound, in the site's language.
        r = env.pam("login-refuse", "user2", [env.password("user2")])
        check(r.acct not in (None, "PAM_SUCCESS"), "unbound account let in", r)
        check(HAN.search(r.error_text) and "no second factor" not in r.text,
              "forced-binding refusal not in Chinese", r)
        # C and C.UTF-8 from the application choose nothing: the site default still speaks.
        login_speaks(env, user, "zh_TW", pam_vars=["LANG=C.UTF-8"],
                     what="application LANG=C.UTF-8")
        login_speaks(env, user, "zh_TW", pam_vars=["LC_ALL=C"], what="application LC_ALL=C")


def test_R9_6_application_locale_wins_over_site_default(env):
    user = "user3"
    with site(env, "en"):
        login_speaks(env, user, "en", what="site default en")
        login_speaks(env, user, "zh_TW", pam_vars=["LANG=" + ZH], what="application LANG zh_TW")
        login_speaks(env, user, "zh_TW", pam_vars=["LC_MESSAGES=" + ZH],
                     what="application LC_MESSAGES zh_TW")
        # LC_ALL is read before LANG, as setlocale does; C.UTF-8 there chooses nothing.
        login_speaks(env, user, "en", pam_vars=["LANG=" + ZH, "LC_ALL=C.UTF-8"],
                     what="application LC_ALL=C.UTF-8 over LANG")


def test_R9_6_account_choice_wins_over_application_locale(env):
    user = "user4"
    enrolled(env, user)
    with site(env, "zh_TW"):
        out = set_own(env, user, "en")
        # regsctl spoke the site's language: no choice yet when it started.
        check_in("您的語言已設為英文 (en)", out, "regsctl language en says what was chosen", out)
        check(env.get_language(user) == ("en", "zh_TW"), "GetAccount: %r"
              % (env.get_language(user),))
        login_speaks(env, user, "en", pam_vars=["LANG=" + ZH],
                     what="chose en; application zh_TW; site zh_TW")
    set_own(env, user, "zh_TW")
    with site(env, "en"):
        _chose_zh_tw_with_site_en(env, user)


def _chose_zh_tw_with_site_en(env, user):
    login_speaks(env, user, "zh_TW", pam_vars=["LANG=" + EN],
                 what="chose zh_TW; application C.UTF-8; site en")
    rc, out, err = env.regsctl(["language"], uid=user)
    check(rc == 0, "regsctl language (show): rc %d" % rc, out, err)
    check_in("您的語言：繁體中文 (zh_TW)", out, "own choice shown, in it", out)
    check_in("系統預設語言：英文 (en)", out, "site default shown", out)
    # Back to no choice of one's own: the application's locale speaks again.
    out = set_own(env, user, "default")
    check(env.get_language(user) == ("", "en"), "default: %r" % (env.get_language(user),))
    login_speaks(env, user, "zh_TW", pam_vars=["LANG=" + ZH], what="default again; app zh_TW")
    rc, out, err = env.regsctl(["language"], uid=user)
    check_in("Your language: not chosen", out, "no choice shown", out)


def test_R9_6_regsctl_speaks_the_account_language(env):
    """regsctl follows the same order as a login: its messages are the user's too."""
    user = "user8"
    set_own(env, user, "zh_TW")
    rc, out, err = env.regsctl(["status"], uid=user)  # nothing bound: no re-verification
    check(rc == 0, "regsctl status: rc %d" % rc, out, err)
    for word in ("授權方式", "授權狀態", "OTP 驗證"):
        check_in(word, out, "regsctl status in the chosen language", out, err)
    rc, out, err = env.regsctl(["language", "fr"], uid=user)
    check_in("不支援的語言「fr」", err, "regsctl's refusal in the chosen language", err)
    with env.use_lang(ZH):
        set_own(env, user, "en")
        rc, out, err = env.regsctl(["status"], uid=user)
        check(rc == 0 and "Method" in out and not HAN.search(out),
              "chose en, terminal zh_TW: regsctl status not in English", out, err)
        set_own(env, user, "default")
        rc, out, err = env.regsctl(["status"], uid=user)
        check(HAN.search(out), "no choice, terminal zh_TW: not in Chinese", out, err)
    with site(env, "zh_TW"):
        rc, out, err = env.regsctl(["status"], uid=user)
        check(HAN.search(out), "no choice, terminal C.UTF-8, site zh_TW: not in Chinese",
              out, err)


def test_R9_6_admin_sets_language_for_user(env):
    user = "user5"
    enrolled(env, user)
    rc, out, err = env.regsctl(["set-language", user, "zh_TW"], uid=ADMIN)
    check(rc == 0, "set-language by an administrator: rc %d" % rc, out, err)
    check_in("The language of %s is now" % user, out, "set-language says what it did", out)
    check(env.get_language(user) == ("zh_TW", ""), "GetAccount: %r" % (env.get_language(user),))
    login_speaks(env, user, "zh_TW", what="set by the administrator, no site default")
    # Audited like other administrator changes: event, account and the administrator's uid.
    log = env.call_ok("GetLog", "string:" + user, "uint64:0", "uint32:100")
    check("language-zh_TW" in log, "no language-zh_TW entry in %s's log: %r" % (user, log))
    i = log.index("language-zh_TW")
    check(env.users[ADMIN] in log[i:i + 8], "the administrator's uid not logged: %r" % log[i:i + 8])
    rc, out, err = env.regsctl(["set-language", user, "default"], uid=ADMIN)
    check(rc == 0, "set-language default: rc %d" % rc, out, err)
    check(env.get_language(user) == ("", ""), "GetAccount: %r" % (env.get_language(user),))
    login_speaks(env, user, "en", what="back to no choice")
    # The user's own choice is recorded too.
    set_own(env, user, "en")
    log = env.call_ok("GetLog", "string:" + user, "uint64:0", "uint32:100")
    check("language-en" in log, "no language-en entry: %r" % log)


def test_R9_6_user_cannot_set_anothers_language(env):
    victim = "bob"
    before = env.get_language(victim)
    rc, out, err = env.regsctl(["set-language", victim, "zh_TW"], uid="alice")
    check(rc == 3, "set-language by a user: rc %d, want 3 (access denied)" % rc, out, err)
    check_in("access denied", err, "says access denied", err)
    rc, out, err = env.dbus_call("SetLanguage", "string:" + victim, "string:zh_TW", uid="alice")
    check(rc != 0 and dbus_error_name(err) == "tw.regs.Error.AccessDenied",
          "SetLanguage of another account on the bus: %r" % err)
    rc, out, err = env.dbus_call("GetAccount", "string:" + victim, uid="alice")
    check(rc != 0, "a user read another's account: %r" % out)
    check(env.get_language(victim) == before, "bob's language changed: %r"
          % (env.get_language(victim),))
    # Their own, though, needs no re-verification (not a security setting).
    secret = enrolled(env, "alice")
    check(secret, "alice enrolled")
    set_own(env, "alice", "zh_TW")
    check(env.get_language("alice")[0] == "zh_TW", "alice's own choice not kept")


def test_R9_6_bad_language_refused_clearly(env):
    user = "user6"
    for bad in ("fr", "zh_TW.UTF-8", "ZH_tw", ""):
        rc, out, err = env.regsctl(["language", bad], uid=user)
        check(rc == 1, "regsctl language %r: rc %d, want 1" % (bad, rc), out, err)
        check_in("unknown language '%s': use zh_TW, en or default" % bad, err,
                 "regsctl names the languages", err)
    rc, out, err = env.regsctl(["set-language", user, "de"], uid=ADMIN)
    check(rc == 1 and "unknown language 'de'" in err, "set-language de: rc %d" % rc, out, err)
    rc, out, err = env.dbus_call("SetLanguage", "string:", "string:fr", uid=user)
    check(rc != 0 and dbus_error_name(err) == "tw.regs.Error.InvalidArgs"
          and "zh_TW, en" in err, "SetLanguage fr on the bus: %r" % err)
    check(env.get_language(user) == ("", ""), "a bad language was stored: %r"
          % (env.get_language(user),))
    # regs.conf: regsd refuses to start and says which languages there are.
    env.stop_regsd()
    env.write_conf(language="fr")
    try:
        env.start_regsd()
        started = True
    except RuntimeError as e:
        started = False
        text = str(e)
    finally:
        env.write_conf(language=None)
    if started:
        env.restart_regsd()
    check(not started, "regsd started with language = fr")
    check_in("value for 'language' is not one of: zh_TW, en", text,
             "regsd's refusal names the languages", text)
    env.start_regsd()
    check(env.get_language(user) == ("", ""), "regsd back without a site default")


def test_R9_6_choice_survives_regsd_restart(env):
    user = "user7"
    enrolled(env, user)
    set_own(env, user, "zh_TW")
    env.restart_regsd()
    check(env.get_language(user) == ("zh_TW", ""), "after a restart: %r"
          % (env.get_language(user),))
    env.kill_regsd()
    env.start_regsd()
    check(env.get_language(user) == ("zh_TW", ""), "after kill -9: %r"
          % (env.get_language(user),))
    login_speaks(env, user, "zh_TW", what="after restarts")
    # The line that counts wrong passwords asks regsd nothing about the account: it speaks
    # the language the pre-check line of the same transaction was told.
    for i in range(3):
        r = env.pam("login", user, ["not-" + env.password(user)])
        check(r.auth != "PAM_SUCCESS", "wrong password %d accepted" % (i + 1), r)
    check(env.is_locked(user), "not locked after 3 wrong passwords")
    check_in(ZH_LOCKED % 15, r.error_text, "lock after wrong passwords not in Chinese", r)
    env.call_ok("Unlock", "string:" + user)


def test_R9_6_before_regsd_answers_the_application_locale_speaks(env):
    """Texts shown before regsd told the account's language follow the application's
    locale, else the process's: here, regsd not reachable."""
    user = "user7"
    enrolled(env, user)
    set_own(env, user, "zh_TW")
    check(env.get_language(user)[0] == "zh_TW", "user7 chose zh_TW")
    env.stop_regsd()
    try:
        r = env.pam("login", user, [env.password(user)])
        check(r.auth != "PAM_SUCCESS", "login without regsd accepted", r)
        check_in("(regsd) is not reachable", r.error_text, "unreachable text in English", r)
        r = env.pam("login", user, [env.password(user)], pam_vars=["LANG=" + ZH])
        check(HAN.search(r.error_text) and "not reachable" not in r.error_text,
              "unreachable text not in the application's zh_TW", r)
    finally:
        env.start_regsd()


if __name__ == "__main__":
    harness.Env = LanguageEnv  # main() builds its Env from this name
    harness.main(globals())
