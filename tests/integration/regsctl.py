"""regsctl for the integration tests: runs it as a user, answers its prompts
(regsctl_dialog), enrols OTP through it (enrol_run, enrol) and reads its
status table."""

import re
import shutil
import subprocess

from procs import Pipes, slow
from tap import check
from totp import secret_from_uri

BOUND_MSG = "OTP bound; log in again with a bound method."
BOUND_MSG_ZH = "OTP 綁定成功，請使用已綁定方式重新登入。"  # regsctl in the site's zh_TW (R9.6)


def status_otp_line(text):
    """The line of a `regsctl status` table about OTP."""
    for line in text.splitlines():
        if re.search(r"\botp\b", line, re.I):
            return line
    raise AssertionError("no OTP line in regsctl status output:\n" + text)


def _type(p, answer, close):
    """Types answer and Enter into p's standard input (closed after it if close)."""
    try:
        p.stdin.write((str(answer) + "\n").encode())
        p.stdin.flush()
        if close:
            p.stdin.close()
    except BrokenPipeError:
        pass


class Regsctl:
    """Env's part for regsctl: self.regsctl_bin; self.secrets and
    self.used_codes record what enrol() made. Needs self.as_user(),
    self.base_env() and self.totp()."""

    def regsctl_dialog(self, args, uid=None, steps=(), timeout=30):
        """Runs regsctl ARGS and answers its prompts: steps is a list of
        (text, answer); once text appears (stdout or stderr) after the previous
        one, answer is typed: a string, or a callable given the output so far
        (stdout + stderr) that returns one.
        Standard input is closed after the last answer. Returns (rc, out, err)."""
        p = self._regsctl_popen(args, uid)
        pipes = Pipes(p, timeout)
        steps = list(steps)
        seen = {pipes.out_fd: 0, pipes.err_fd: 0}
        if not steps:
            p.stdin.close()

        def answer_prompts():
            while steps:
                want = steps[0][0].encode()
                hit = None
                for fd, buf in ((pipes.out_fd, pipes.out), (pipes.err_fd, pipes.err)):
                    i = buf.find(want, seen[fd])
                    if i >= 0:
                        hit = (fd, i + len(want))
                if not hit:
                    return
                seen[hit[0]] = hit[1]
                answer = steps.pop(0)[1]
                if callable(answer):
                    answer = answer("\n".join(pipes.text()))
                _type(p, answer, close=not steps)

        def timed_out():
            return "regsctl %s timed out waiting for %r\nstdout:\n%s\nstderr:\n%s" % (
                (" ".join(args), steps[0][0] if steps else None) + pipes.text())

        rc = pipes.run(answer_prompts, timed_out)
        return (rc,) + pipes.text()

    def _regsctl_popen(self, args, uid):
        """regsctl ARGS as uid with pipes, its stdout line-buffered (in case it does not
        flush before reading)."""
        cmd = self.as_user(uid)
        if shutil.which("stdbuf"):
            cmd += ["stdbuf", "-oL"]
        cmd += [self.regsctl_bin] + list(args)
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.base_env())

    def regsctl(self, args, uid=None, input=None, timeout=30):
        """Runs regsctl ARGS (as uid if given); returns (rc, stdout, stderr)."""
        cmd = self.as_user(uid) + [self.regsctl_bin] + list(args)
        p = subprocess.run(cmd, input=input, capture_output=True, text=True,
                           env=self.base_env(), timeout=slow(timeout))
        return p.returncode, p.stdout, p.stderr

    def enrol_run(self, user, code_fn=None, timeout=30):
        """Runs `regsctl enrol otp` as user; when the otpauth URI appears,
        answers with code_fn(secret) (default: the right code).
        Returns (secret, code, rc, stdout, stderr)."""
        if code_fn is None:
            code_fn = self.totp
        p = self._regsctl_popen(["enrol", "otp"], user)
        pipes = Pipes(p, timeout)
        got = {}

        def answer_uri():
            both = pipes.out + pipes.err
            if "secret" not in got and re.search(rb"otpauth://totp/\S+\s", both):
                got["secret"] = secret_from_uri(both.decode(errors="replace"))
                got["code"] = code_fn(got["secret"])
                _type(p, got["code"], close=True)

        def timed_out():
            return ("regsctl enrol otp timed out (does it flush stdout before reading the "
                    "code?)\nstdout:\n%s\nstderr:\n%s" % pipes.text())

        rc = pipes.run(answer_uri, timed_out)
        return (got.get("secret"), got.get("code"), rc) + pipes.text()

    def enrol(self, user, timeout=30):
        """regsctl enrol otp as user with the right code; returns the secret."""
        secret, code, rc, out, err = self.enrol_run(user, timeout=timeout)
        check(secret is not None, "regsctl enrol otp printed no otpauth URI (rc %s)" % rc,
              out, err)
        check(rc == 0 and (BOUND_MSG in out + err or BOUND_MSG_ZH in out + err),
              "regsctl enrol otp as %s failed (rc %s)" % (user, rc), out, err)
        self.secrets[user] = secret
        self.used_codes.setdefault(user, []).append(code)
        return secret

