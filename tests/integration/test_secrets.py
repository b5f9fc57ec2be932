"""Secret hygiene (issue 9): regsd's secret files pass one rule, and the process that
holds the seal key and client secrets is kept out of core dumps and ptrace."""

import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, check_in  # noqa: E402

SECRET = "s3cr3t-GOCSPX-value"
TEST_USER, TEST_UID = "erin", 1005  # runs a second regsd in test_..._not_dumpable

# Each secret file regsd reads: the regs.conf lines that make it read the file, and the
# file's content.
SECRET_FILES = {
    "seal_key_file": ({}, os.urandom(32)),
    "smtp_password_file": ({"smtp_user": "regs"}, (SECRET + "\n").encode()),
    "oidc_client_file": ({}, ("client_id = x\nclient_secret = %s\n" % SECRET).encode()),
    "mobile_key_file": ({"mobile_url": "https://mobile.test.invalid/api"},
                        b"c2VjcmV0LWtleS1ub3QtcmVhbGx5LXVzZWQtaGVyZQ==\n"),
}


def _regsd():
    p = os.path.join(harness.BUILDDIR, "regsd")
    if not os.access(p, os.X_OK):
        harness.skip("regsd is not built")
    return p


def _write(path, data, mode):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def _check_config(tmp, key, mode):
    """regsd --check-config with the secret file of key at mode: (rc, output)."""
    extra, content = SECRET_FILES[key]
    state = os.path.join(tmp, "state")
    os.makedirs(state, mode=0o700, exist_ok=True)
    secret = os.path.join(tmp, key)
    _write(secret, content, mode)
    conf = {"state_dir": state, "seal_key_file": os.path.join(state, "seal.key"), key: secret}
    conf.update(extra)
    path = os.path.join(tmp, "regs.conf")
    _write(path, "".join("%s = %s\n" % kv for kv in conf.items()).encode(), 0o600)
    p = subprocess.run([_regsd(), "-c", path, "--check-config"], capture_output=True,
                       text=True, timeout=30)
    os.unlink(secret)
    return p.returncode, p.stdout + p.stderr, secret


def test_secret_hygiene_every_secret_file_readable_by_others_refused():
    with tempfile.TemporaryDirectory(prefix="regs-secrets-") as tmp:
        for key in SECRET_FILES:
            rc, out, path = _check_config(tmp, key, 0o600)
            check(rc == 0, "%s at 0600 refused by --check-config (rc %d)" % (key, rc), out)
            for mode in (0o644, 0o640, 0o604):
                rc, out, path = _check_config(tmp, key, mode)
                check(rc != 0, "%s at %04o accepted by --check-config" % (key, mode), out)
                check_in(path, out, "%s at %04o: the refusal names the file" % (key, mode))
                check(SECRET not in out, "%s: the refusal shows the secret" % key, out)


def test_secret_hygiene_regsd_start_refuses_a_readable_oidc_client_file(env):
    path = env.path("oidc-client")
    _write(path, ("client_id = x\nclient_secret = %s\n" % SECRET).encode(), 0o644)
    env.stop_regsd()
    env.write_conf(oidc_issuer="https://issuer.test.invalid", oidc_client_file=path)
    try:
        try:
            env.start_regsd(timeout=5)
            started = True
        except RuntimeError:
            started = False
        check(not started, "regsd started with a world-readable OpenID client file")
        check_in(path, env.regsd_log(), "the refusal names the file", env.regsd_tail())
        check_in("group or others", env.regsd_log(), "the refusal says why", env.regsd_tail())
        check(SECRET not in env.regsd_log(), "the secret reached the log", env.regsd_tail())
    finally:
        env.kill_regsd()
        env.write_conf(oidc_issuer=None, oidc_client_file=None)
        env.start_regsd()


def _core_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                return line.split()[4:6]
    raise AssertionError("no core limit in /proc/%d/limits" % pid)


def test_secret_hygiene_regsd_dumps_no_core(env):
    pid = env.regsd_proc.pid
    limits = _core_limit(pid)
    print("# /proc/%d/limits: Max core file size %s" % (pid, " ".join(limits)))
    check(limits == ["0", "0"], "regsd may dump core: soft and hard limits %s" % limits)


def _as_test_user(*cmd):
    return ["setpriv", "--reuid=%d" % TEST_UID, "--regid=%d" % TEST_UID, "--clear-groups",
            "--"] + list(cmd)


def _environ_readable(env, pid):
    """Whether another process of the test user can read /proc/PID/environ: a dumpable
    process of the same uid can be read (and ptraced); a non-dumpable one cannot."""
    p = subprocess.run(_as_test_user("head", "-c", "1", "/proc/%d/environ" % pid),
                       capture_output=True, text=True, env=env.base_env(), timeout=10)
    return p.returncode == 0, p.stderr.strip()


def _start_user_regsd(env):
    """A second regsd, run as the test user (the bus lets that user own the name, see
    below): the kernel's dumpable rule can only be seen between processes of one uid
    without CAP_SYS_PTRACE."""
    state = env.path("user-state")
    os.makedirs(state, mode=0o700, exist_ok=True)
    os.chown(state, TEST_UID, TEST_UID)
    conf = env.path("user-regs.conf")
    _write(conf, ("state_dir = %s\nseal_key_file = %s/seal.key\n" % (state, state)).encode(),
           0o600)
    os.chown(conf, TEST_UID, TEST_UID)
    log = open(env.path("user-regsd.log"), "ab")
    proc = subprocess.Popen(_as_test_user(env.regsd_bin, "-c", conf, "--stderr"),
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            env=env.base_env())
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None and not env.name_has_owner():
        time.sleep(0.05)
    with open(env.path("user-regsd.log"), errors="replace") as f:
        text = f.read()
    check(proc.poll() is None and env.name_has_owner(),
          "regsd as %s did not start" % TEST_USER, text[-2000:])
    return proc


def test_secret_hygiene_regsd_is_not_dumpable(env):
    control = subprocess.Popen(_as_test_user("sleep", "30"), env=env.base_env())
    env.stop_regsd()
    proc = None
    try:
        readable, why = _environ_readable(env, control.pid)
        check(readable, "the probe cannot read a dumpable process of its own uid: %s" % why)
        proc = _start_user_regsd(env)
        readable, why = _environ_readable(env, proc.pid)
        print("# reading /proc/%d/environ of regsd as the same uid: %s" % (
            proc.pid, "read" if readable else why))
        check(not readable, "regsd is dumpable: a process of its uid read /proc/PID/environ "
              "(so it could ptrace it and read the seal key)")
        check_in("Permission denied", why, "refused for want of permission")
    finally:
        control.kill()
        control.wait()
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        env._wait_name_gone()
        env.start_regsd()


# The bus of this file's Env also lets the test user own regsd's name (for
# test_secret_hygiene_regsd_is_not_dumpable); every other rule is the project's policy.
_project_policy = harness.Env.policy_file


def _policy_with_test_user(self):
    path = self.path("policy-with-%s.conf" % TEST_USER)
    with open(path, "w") as f:
        f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"'
                '\n "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                "<busconfig>\n  <include>%s</include>\n"
                '  <policy user="%s"><allow own="%s"/></policy>\n</busconfig>\n'
                % (_project_policy(self), TEST_USER, harness.BUS_NAME))
    return path


harness.Env.policy_file = _policy_with_test_user

if __name__ == "__main__":
    harness.main(globals())
