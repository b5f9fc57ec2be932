#!/usr/bin/env python3
"""End-to-end demo: the production regsd on a private D-Bus system bus with its
embedded LMDB, an account enrolled with `regsctl enrol otp`, then real PAM
logins through the documented stack (libpam under pam_wrapper, password
checked by pam_matrix in place of pam_unix). oathtool plays the phone.
Then alice binds a Google account with `regsctl bind google` and logs in
with it + OTP, against a local OpenID Connect provider over HTTPS on
loopback (tests/fixtures/oidc_provider.py plays Google and the user's
approval on the phone)."""

import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "fixtures"))
import harness  # noqa: E402
import oidc_provider  # noqa: E402


class DemoEnv(harness.Env):
    @property
    def regsd_bin(self):  # the production daemon: no test clock inside
        return os.path.join(harness.BUILDDIR, "regsd")


def show(title, text):
    print("\n=== " + title)
    print(text.rstrip())


def transcript(result):
    lines = []
    for call in result.convs:
        for kind, text in call:
            lines.append("%-10s %s" % (kind, text))
    lines.append("pam_authenticate -> %s" % result.auth)
    if result.acct:
        lines.append("pam_acct_mgmt    -> %s" % result.acct)
    return "\n".join(lines)


def wait_next_step():
    left = 30 - int(time.time()) % 30 + 1
    print("\n(waiting %d s for the app's next code: each code is accepted once, R2.4)" % left)
    time.sleep(left)


def start_provider():
    """The local OpenID provider and regs.conf's lines for it."""
    d = tempfile.mkdtemp(prefix="regs-demo-oidc-")
    op = oidc_provider.OidcProvider(d)
    op.start()
    client = os.path.join(d, "oidc-client")
    fd = os.open(client, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("client_id = %s\nclient_secret = %s\n" % (op.client_id, op.client_secret))
    return op, {"oidc_issuer": op.issuer, "oidc_client_file": client,
                "oidc_ca_file": op.ca_file}


def approve(op):
    """A prompt answer: the user approves on the phone, then presses Enter."""
    def answer(_out):
        op.wait_flow()
        op.approve(sub="demo-sub-alice", email="alice@example.edu")
        return ""
    return answer


def google_part(env, op, secret):
    """R5: bind the Google account (re-verifying with OTP), then log in with it + OTP."""
    wait_next_step()
    rc, out, err = env.regsctl_dialog(
        ["bind", "google"], uid=env.users["alice"], timeout=90,
        steps=[("OTP code (re-verification): ", lambda _o: env.totp(secret)),
               ("Press Enter after approving", approve(op))])
    show("alice runs `regsctl bind google` (approves on the phone, presses Enter)", err + out)
    wait_next_step()
    r = env.pam("login", "alice", ["1", approve(op), lambda _r: env.totp(secret)],
                rhost="192.0.2.10", timeout=90)
    show("login as alice: Google account + OTP (menu, URL + code + QR, Enter, OTP)",
         transcript(r))
    show("regsctl status --user alice (as root)",
         env.regsctl(["status", "--user", "alice"])[1])
    return rc == 0 and r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS"


def main():
    op, conf = start_provider()
    try:
        return run(op, conf)
    finally:
        op.stop()


def run(op, conf):
    with DemoEnv(conf=conf) as env:
        print("private bus: " + env.path("bus"))
        print("database:    " + env.path("state") + " (LMDB, sealed TOTP secrets)")
        print("PAM stack:\n" + open(env.path("pam.d", "login")).read())
        secret, code, rc, out, err = env.enrol_run("alice")
        show("alice runs `regsctl enrol otp` (the phone scans the QR code, types %s)" % code,
             out + err)
        if rc != 0:
            sys.exit("demo: enrolment failed")
        env.secrets["alice"] = secret
        wait_next_step()
        r = env.pam("login", "alice", [env.password("alice"), env.totp(secret)],
                    rhost="192.0.2.10")
        show("login as alice: password + OTP", transcript(r))
        r2 = env.pam("login", "alice", [env.password("alice"), env.totp(secret)])
        show("the same code again (replay)", transcript(r2))
        r3 = env.pam("login", "alice", [env.password("alice"), "000000"])
        show("a wrong code", transcript(r3))
        # alice herself would re-verify with a new code first (R7.1); root need not.
        show("regsctl status --user alice (as root)",
             env.regsctl(["status", "--user", "alice"])[1])
        show("regsctl log (as alice)", env.regsctl(["log"], uid="alice")[1])
        ok = r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS" and r2.auth != "PAM_SUCCESS"
        google_ok = ok and google_part(env, op, secret)
        print("\ndemo: %s" % ("login with password + OTP succeeded; replay refused; "
                              "Google account bound and Google + OTP login succeeded"
                              if google_ok else "FAILED"))
        return 0 if google_ok else 1


if __name__ == "__main__":
    sys.exit(main())
