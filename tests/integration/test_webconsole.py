"""R11.2 under pam_wrapper: what `webconsole` and `text=ascii` send, conversation call
by conversation call (the same stacks through the real Cockpit and Chromium are in
test_cockpit.py)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in  # noqa: E402


def _service(env, name, extra):
    """The documented stack with extra on every pam_regs line. pam_matrix, which plays
    pam_unix here, has no use_first_pass: with webconsole it asks the password a second
    time (pam_unix use_first_pass does not; test_cockpit.py runs the real one)."""
    with open(env.path("pam.d", "login")) as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        if env.module in line and not line.startswith("password"):
            line += " " + extra
        out.append(line)
    with open(env.path("pam.d", name), "w") as f:
        f.write("\n".join(out) + "\n")
    return name


def _ascii_line(text):
    return all(0x20 <= ord(c) < 0x7f for c in text)


def test_R11_2_webconsole_reads_the_form_password_first(env):
    user = "user1"
    secret = env.enrol(user)
    svc = _service(env, "cockpit", "webconsole tries=3")
    pw = env.password(user)
    r = env.pam(svc, user, [pw, pw, env.wrong_code(secret), env.fresh_code(secret)])
    check(r.ok, "webconsole login refused", r, env.regsd_tail())
    check(r.convs[0] == [("PROMPT_OFF", "Password: ")],
          "the first question is not the password: %r" % r.convs[0], r)
    check(len(r.convs) == 4, "want pam_regs's and pam_matrix's password, 2 OTP prompts", r)
    # Every text is an error message (Cockpit shows infos only without errors).
    check(not r.infos, "informational texts in webconsole mode: %r" % r.infos, r)
    check_in("Wrong OTP code.", r.error_text, "refusal", r)


def test_R11_2_webconsole_refusal_ends_as_access_denied(env):
    """Cockpit shows the last text only for PAM_PERM_DENIED."""
    user = "user2"
    secret = env.enrol(user)
    svc = _service(env, "cockpit", "webconsole tries=3")
    pw = env.password(user)
    r = env.pam(svc, user, [pw, pw] + [env.wrong_code(secret)] * 3)
    check(r.auth == "PAM_PERM_DENIED", "lock in webconsole mode gave %s" % r.auth, r)
    check(r.errors and r.errors[-1].startswith("Account locked"), "the last text", r)
    r = env.pam(svc, user, [pw])
    check(r.auth == "PAM_PERM_DENIED", "locked account in webconsole mode gave %s" % r.auth, r)
    # A wrong password shows no text of ours: it stays an authentication failure.
    env.call_ok("Unlock", "string:" + user)
    r = env.pam(svc, user, ["not-the-password", "not-the-password"])
    check(r.auth not in ("PAM_SUCCESS", "PAM_PERM_DENIED"), "wrong password gave %s"
          % r.auth, r)


def test_R11_2_text_ascii_enrolment_key_grouped(env):
    user = "user3"
    svc = _service(env, "cockpit", "webconsole")
    seen = {}

    def first_code(res):
        info = res.errors[-1] if res.errors else ""
        m = re.search(r"type this key \(time based\): ((?:[A-Z2-7]{4} )*[A-Z2-7]{1,4}) -",
                      info)
        check(m, "no grouped key in %r" % info, res)
        seen["key"] = m.group(1).replace(" ", "")
        seen["text"] = info
        return env.totp(seen["key"])

    r = env.pam(svc, user, [env.password(user), env.password(user), first_code])
    check(r.acct == "PAM_PERM_DENIED" and env.is_bound(user),
          "enrolment by typing the key failed", r, env.regsd_tail())
    check(_ascii_line(seen["text"]), "enrolment text not one ASCII line: %r" % seen["text"])
    check("\u2580" not in r.text and "otpauth://" not in r.text, "a QR code or URI sent", r)
    check(r.errors[-1] == harness.BOUND_MSG, "bound text not last", r)


def test_R11_2_text_ascii_without_webconsole(env):
    """text=ascii alone: one line of ASCII, but prompts and return codes as usual."""
    user = "user4"
    svc = _service(env, "ascii", "text=ascii")
    r = env.pam(svc, user, [env.password(user), lambda res: "000000"])
    check(r.convs[0] == [("PROMPT_OFF", "Password: ")] or r.prompts[0].startswith("Password"),
          "first prompt", r)
    for kind, text in [m for c in r.convs for m in c]:
        check(_ascii_line(text), "%s not one ASCII line: %r" % (kind, text), r)
    check("\u2580" not in r.text, "a QR code in text=ascii", r)


def test_R11_2_text_mode_unknown_refused(env):
    user = "user5"
    env.enrol(user)
    svc = _service(env, "badtext", "text=latin1")
    r = env.pam(svc, user, [env.password(user), "123456"])
    check(r.auth == "3", "text=latin1 gave %s, want PAM_SERVICE_ERR (3)" % r.auth, r)


if __name__ == "__main__":
    harness.main(globals())
