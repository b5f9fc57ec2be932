"""regsctl: status, list, reset, help, exit codes (0 ok, 1 usage, 2 regsd unreachable,
3 not allowed)."""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in  # noqa: E402

COMMANDS = ["status", "enrol", "log", "list", "unlock", "reset"]


def _otp_bound_in_json(doc):
    """True/False when the status document says whether OTP is bound, else None.
    Accepts {"methods":[{"method":"otp","bound":true}]}, {"otp":{"bound":true}},
    {"otp":true}."""
    for o in harness.walk_json(doc):
        if not isinstance(o, dict):
            continue
        if "otp" in o:
            v = o["otp"]
            if isinstance(v, bool):
                return v
            if isinstance(v, dict) and isinstance(v.get("bound"), bool):
                return v["bound"]
        if "otp" in [str(x).lower() for x in o.values() if isinstance(x, str)] \
                and isinstance(o.get("bound"), bool):
            return o["bound"]
    return None


def test_status_table_unbound_user(env):
    rc, out, err = env.regsctl(["status"], uid="dave")
    check(rc == 0, "status exit %d" % rc, out, err)
    check_in("✘", harness.status_otp_line(out), "unbound OTP line", out)


def _erin_bound(env):
    """erin with OTP bound (each test starts from a fresh database)."""
    return env.secrets.get("erin") or env.enrol("erin")


def test_status_table_bound_user(env):
    secret = _erin_bound(env)
    # R7.1: a bound account re-verifies (OTP code on stdin) before seeing its bindings.
    rc, out, err = env.regsctl(["status"], uid="erin", input=env.fresh_code(secret) + "\n")
    check(rc == 0, "status exit %d" % rc, out, err)
    line = harness.status_otp_line(out)
    check_in("✔", line, "bound OTP line", out)
    check("✘" not in line, "bound OTP line also shows ✘", out)


def test_status_json_shows_otp_bound(env):
    rc, out, err = env.regsctl(["status", "--json"], uid="erin",
                               input=env.fresh_code(_erin_bound(env)) + "\n")
    check(rc == 0, "status --json exit %d" % rc, out, err)
    doc = harness.load_json(out, "status --json")
    check(isinstance(doc, dict) and isinstance(doc.get("methods"), list)
          and isinstance(doc.get("email"), dict),
          "status --json is not {\"methods\": [...], \"email\": {...}}", out)
    check(_otp_bound_in_json(doc) is True, "status --json does not say otp bound", out)
    rc, out, err = env.regsctl(["status", "--json"], uid="dave")
    check(rc == 0, "status --json exit %d" % rc, out, err)
    check(_otp_bound_in_json(harness.load_json(out)) is False,
          "status --json for an unbound user does not say otp unbound", out)


def test_list_json_as_admin_shows_users_with_flags(env):
    _erin_bound(env)
    rc, out, err = env.regsctl(["list", "--json"], uid="carol")
    check(rc == 0, "list --json as admin exit %d" % rc, out, err)
    recs = harness.json_records(harness.load_json(out, "list --json"))
    erin = [r for r in recs if "erin" in r.values()]
    check(erin, "erin (bound) not listed", out)
    rec = erin[0]
    flags = rec.get("flags")
    if isinstance(flags, int):
        check(flags & harness.F_OTP_BOUND, "erin's flags lack OTP bound: %r" % rec)
    else:
        check("otp" in str(rec).lower(), "erin's record does not show OTP: %r" % rec)


def test_list_as_non_admin_refused(env):
    rc, out, err = env.regsctl(["list"], uid="alice")
    check(rc == 3, "list as non-admin exit %d, want 3" % rc, out, err)


def test_reset_as_admin_unbinds(env):
    user = "user1"
    env.enrol(user)
    check(env.is_bound(user), "enrolment did not bind")
    rc, out, err = env.regsctl(["reset", user], uid="alice")
    check(rc == 3, "reset as non-admin exit %d, want 3" % rc, out, err)
    check(env.is_bound(user), "non-admin reset unbound the user")
    rc, out, err = env.regsctl(["reset", user], uid="carol")
    check(rc == 0, "reset as admin exit %d" % rc, out, err)
    check(not env.is_bound(user), "still bound after reset: %r" % (env.get_account(user),))
    env.enrol(user)  # forced binding again works (R8.4 / R1.4)


def test_help_lists_every_command():
    p = harness.subprocess.run([os.path.join(harness.BUILDDIR, "regsctl"), "--help"],
                               capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "--help exit %d" % p.returncode, p.stdout, p.stderr)
    for c in COMMANDS:
        check_in(c, p.stdout, "--help does not mention %s" % c, p.stdout)


def test_unknown_command_exit_1(env):
    rc, out, err = env.regsctl(["frobnicate"], uid="alice")
    check(rc == 1, "unknown command exit %d, want 1" % rc, out, err)
    check(err.strip(), "unknown command: nothing on stderr")


def test_regsd_down_exit_2(env):
    env.stop_regsd()
    try:
        rc, out, err = env.regsctl(["status"], uid="alice")
        check(rc == 2, "status with regsd down exit %d, want 2" % rc, out, err)
        check(err.strip(), "regsd down: nothing on stderr")
    finally:
        env.start_regsd()


def test_R7_1_step_up_code_not_echoed(env):
    """The re-verification code is hidden on a terminal, as the login hides it."""
    import pexpect
    user = "user31"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    cmd = env.as_user(user) + [env.regsctl_bin, "status"]
    child = pexpect.spawn(cmd[0], cmd[1:], env=env.base_env(), timeout=harness.slow(20),
                          encoding="utf-8")
    try:
        child.expect("re-verification")
        child.expect(": ")
        child.sendline(code)
        child.expect(pexpect.EOF)
        seen = child.before
    finally:
        child.close()
    check(child.exitstatus == 0, "status after re-verification exit %s" % child.exitstatus, seen)
    check(code not in seen, "the step-up code %s was echoed on the terminal" % code, seen)


def test_R9_3_wrong_password_logged_as_wrong_password(env):
    user = "user32"
    env.enrol(user)
    r = env.pam("login", user, ["not-the-password"])
    check(r.auth != "PAM_SUCCESS", "a wrong password was refused", r)
    rc, out, err = env.regsctl(["log"], uid=user, input="")
    check(rc == 0, "log exit %d" % rc, out, err)
    rows = [l for l in out.splitlines() if "password" in l]
    check(rows and "wrong password" in rows[-1], "the failed password reads wrong password",
          out)
    check("wrong code" not in rows[-1], "a wrong password is not a wrong code", out)


def test_R9_3_own_log_needs_no_reverification(env):
    """regsctl help log and regsctl(1) say so; log must agree (no code asked)."""
    user = "user33"
    env.enrol(user)
    rc, out, err = env.regsctl(["log"], uid=user, input="")
    check(rc == 0, "log without a code exit %d" % rc, out, err)
    check("re-verification" not in err, "log asked for a re-verification", out, err)
    rc, hout, herr = env.regsctl(["help", "log"])
    check_in("needs no re-verification", hout + herr, "help log says what log does")



def _log_hosts(env, user):
    """(host, event, result) of user's activity-log entries, oldest first, read by root."""
    rc, out, err = env.regsctl(["log", "--json", "--user", user])
    check(rc == 0, "log --json exit %d" % rc, out, err)
    entries = harness.json_records(harness.load_json(out, "regsctl log --json"))
    check(entries and all("host" in e for e in entries), "entries without a host", out)
    return [(e["host"], e.get("event"), e.get("result")) for e in entries]


def test_R10_1_log_names_the_host_of_each_event(env):
    """Every record names the regsd that made it: regs.conf host_name, or the machine's name
    when it is not set; regsctl log shows it in a Host column and as "host" in --json."""
    user = "user35"
    machine = socket.gethostname()[:63]
    env.enrol(user)
    env.login_ok(user)
    before = _log_hosts(env, user)
    check(before and all(h == machine for h, _, _ in before),
          "without host_name the log should name %r: %r" % (machine, before))
    env.write_conf(host_name="school-a")
    env.restart_regsd()
    env.login_ok(user)
    r = env.login(user, env.wrong_code(env.secrets[user]))
    check(r.auth != "PAM_SUCCESS", "a wrong code was accepted", r)
    after = _log_hosts(env, user)[len(before):]
    check(("school-a", "login", "ok") in after and ("school-a", "login", "wrong") in after,
          "the logins on host school-a are not logged as school-a's: %r" % after)
    check(all(h == "school-a" for h, _, _ in after), "an event names another host: %r" % after)
    check(_log_hosts(env, user)[:len(before)] == before, "older records changed host")
    rc, out, err = env.regsctl(["log"], uid=user, input="")
    check(rc == 0, "log exit %d" % rc, out, err)
    lines = out.splitlines()
    check(lines and "Host" in lines[0], "the table has no Host column", out)
    check(sum("school-a" in line for line in lines) >= 2 and machine in out,
          "the table does not show each event's host", out)

if __name__ == "__main__":
    harness.main(globals())
