"""The card and QR plugin (pam_regs(8), "FILES"; issue 12): pam_regs.so needs only libc and
libpam, and loads its card (PC/SC, HiCOS, libcrypto) and QR (libqrencode) code from cardqr.so
only when a login uses a card or draws a QR code. A copy of the module outside the installed
location loads the cardqr.so beside it, and only under the rule for code: a regular file, no
symbolic link, owned by root or by the module file's owner, not writable by group or others.

Each test copies .libs/pam_regs.so and .libs/cardqr.so into a directory of its own, spoils the
plugin copy one way, and logs in through a stack naming that module copy:
- R3 (fail closed): a card login that cannot load the card code is refused with a clear
  message, before the card is touched (no APDU at all, so no PIN was sent);
- R1.4: an inline enrolment still offers the key and the otpauth URI as text, without a QR.
The control (the plugin intact beside the copy) logs in with the card and draws the QR, so the
refusals are the rule's and not the copy's. The set-up (private pcscd, virtual card, PKI, CRL
server) and the card helpers are test_card.py's.
"""

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_card as tc  # noqa: E402
from harness import BOUND_MSG, check, check_in  # noqa: E402
from procs import BUILDDIR  # noqa: E402
from totp import secret_from_uri  # noqa: E402

MSG_NO_CARD_SUPPORT = "card support is not installed on this computer, or was refused"
QR_GLYPHS = "█▀▄"
PLUGIN = "cardqr.so"


def module_copy(env, name, spoil=None):
    """A directory holding copies of the module and its plugin, spoil(plugin path) applied;
    returns the PAM service whose stack is env's "login" stack naming that module copy."""
    d = env.path("module-" + name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, mode=0o755)
    os.chmod(d, 0o755)
    mod = os.path.join(d, "pam_regs.so")
    for f in ("pam_regs.so", PLUGIN):
        shutil.copyfile(os.path.join(BUILDDIR, ".libs", f), os.path.join(d, f))
        os.chmod(os.path.join(d, f), 0o755)
    if spoil:
        spoil(os.path.join(d, PLUGIN))
    with open(env.path("pam.d", "login")) as f:
        stack = f.read()
    check(env.module in stack, "the login stack names %s" % env.module, stack)
    service = "login-" + name
    with open(env.path("pam.d", service), "w") as f:
        f.write(stack.replace(env.module, mod))
    with open(env.path("passdb"), "a") as f:  # pam_matrix's passwords are per service
        f.writelines("%s:%s:%s\n" % (u, env.password(u), service) for u in env.users)
    return service


def group_writable(path):
    os.chmod(path, 0o775)


def owned_by_another_user(path):
    os.chown(path, 2001, 2001)  # user1 (tests/integration/wrappers.py), not the module's owner


def absent(path):
    os.unlink(path)


def symbolic_link(path):
    os.rename(path, path + ".real")
    os.symlink(path + ".real", path)


def card_login(env, service):
    """alice (card-bound to "citizen") chooses the card with the card in the reader."""
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    tc.insert()
    return env.pam(service, "alice", ["1", tc.PIN])


def card_login_refused(env, service, why):
    r = card_login(env, service)
    tc.refused(env, r, MSG_NO_CARD_SUPPORT, "card login without its plugin")
    check(not tc.pin_prompts(r), "a PIN was asked for without the card code", r)
    check(not tc.card().apdu_log(), "the card was used without the card code",
          tc.card().apdu_log_text())
    check_in("card support not loaded", r.err, "the module's log line", r)
    check_in(why, r.err, "the log says why the plugin was not loaded", r)


def inline_enrolment(env, service, user):
    """The forced inline binding (R1.4) through service; returns (result, what was shown)."""
    shown = {}

    def answer(so_far):
        shown["secret"] = secret_from_uri(so_far.text)
        shown["code"] = env.totp(shown["secret"])
        shown["text"] = so_far.text
        return shown["code"]

    r = env.pam(service, user, [env.password(user), answer])
    check(r.auth == "PAM_SUCCESS", "password step refused", r, env.regsd_tail())
    check(shown.get("secret"), "no otpauth URI shown", r)
    check_in(BOUND_MSG, r.text, "inline enrolment bound the OTP", r)
    check(env.is_bound(user), "%s not bound after the inline enrolment" % user)
    env.secrets[user] = shown["secret"]
    env.used_codes.setdefault(user, []).append(shown["code"])
    return r, shown["text"]


def enrolment_as_text(env, service, user, why):
    r, text = inline_enrolment(env, service, user)
    check(not any(ch in text for ch in QR_GLYPHS), "a QR code was drawn without the plugin", r)
    check_in(env.secrets[user], text.replace(" ", ""), "the key is shown as text", r)
    check_in("QR code shown as text", r.err, "the module's log line", r)
    check_in(why, r.err, "the log says why the plugin was not loaded", r)


# ------------------------------------------------------------------ tests


def test_R3_plugin_beside_a_module_copy_logs_in_and_draws_the_qr(env):
    service = module_copy(env, "intact")
    r = card_login(env, service)
    tc.succeeded(env, r, "card login through the module copy")
    r, text = inline_enrolment(env, service, "user2")
    check(any(ch in text for ch in QR_GLYPHS), "no QR code drawn with the plugin", r)


def test_R3_plugin_group_writable_refused_card_login_refused_enrolment_as_text(env):
    service = module_copy(env, "group-writable", group_writable)
    card_login_refused(env, service, "writable by group or others")
    enrolment_as_text(env, service, "user3", "writable by group or others")


def test_R3_plugin_owned_by_another_user_refused_card_login_refused_enrolment_as_text(env):
    service = module_copy(env, "other-owner", owned_by_another_user)
    card_login_refused(env, service, "owned by uid 2001")
    enrolment_as_text(env, service, "user4", "owned by uid 2001")


def test_R3_plugin_symbolic_link_refused_card_login_refused(env):
    service = module_copy(env, "symlink", symbolic_link)
    card_login_refused(env, service, "a symbolic link")


def test_R3_plugin_absent_card_login_refused_enrolment_as_text(env):
    service = module_copy(env, "absent", absent)
    card_login_refused(env, service, "No such file or directory")
    enrolment_as_text(env, service, "user5", "No such file or directory")


if __name__ == "__main__":
    tc.main(globals())
