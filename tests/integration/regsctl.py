"""regsctl for the integration tests: runs it as a user, answers its prompts
(regsctl_dialog), enrols OTP through it (enrol_run, enrol) and reads its
status table."""

import re
import select
import shutil
import subprocess
import time

from procs import _end_child, _read_avail, _set_nonblock, slow
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
        cmd = self.as_user(uid)
        if shutil.which("stdbuf"):
            cmd += ["stdbuf", "-oL"]
        cmd += [self.regsctl_bin] + list(args)
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.base_env())
        out_fd, err_fd = p.stdout.fileno(), p.stderr.fileno()
        _set_nonblock(out_fd)
        _set_nonblock(err_fd)
        out, err = b"", b""
        steps = list(steps)
        seen = {out_fd: 0, err_fd: 0}
        open_fds = {out_fd, err_fd}
        deadline = time.monotonic() + slow(timeout)
        if not steps:
            p.stdin.close()
        try:
            while open_fds:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("regsctl %s timed out waiting for %r\nstdout:\n%s\n"
                                         "stderr:\n%s" % (" ".join(args),
                                                          steps[0][0] if steps else None,
                                                          out.decode(errors="replace"),
                                                          err.decode(errors="replace")))
                r, _, _ = select.select(list(open_fds), [], [], left)
                for fd in r:
                    data, eof = _read_avail(fd)
                    if fd == out_fd:
                        out += data
                    else:
                        err += data
                    if eof:
                        open_fds.discard(fd)
                while steps:
                    want = steps[0][0].encode()
                    hit = None
                    for fd, buf in ((out_fd, out), (err_fd, err)):
                        i = buf.find(want, seen[fd])
                        if i >= 0:
                            hit = (fd, i + len(want))
                    if not hit:
                        break
                    seen[hit[0]] = hit[1]
                    answer = steps.pop(0)[1]
                    if callable(answer):
                        answer = answer(out.decode(errors="replace") + "\n"
                                        + err.decode(errors="replace"))
                    try:
                        p.stdin.write((str(answer) + "\n").encode())
                        p.stdin.flush()
                        if not steps:
                            p.stdin.close()
                    except BrokenPipeError:
                        pass
            rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            _end_child(p)
        return rc, out.decode(errors="replace"), err.decode(errors="replace")

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
        cmd = self.as_user(user)
        if shutil.which("stdbuf"):
            cmd += ["stdbuf", "-oL"]  # in case regsctl does not flush before reading
        cmd += [self.regsctl_bin, "enrol", "otp"]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.base_env())
        out_fd, err_fd = p.stdout.fileno(), p.stderr.fileno()
        _set_nonblock(out_fd)
        _set_nonblock(err_fd)
        out, err, secret, code = b"", b"", None, None
        open_fds = {out_fd, err_fd}
        deadline = time.monotonic() + slow(timeout)
        try:
            while open_fds:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("regsctl enrol otp timed out (does it flush stdout "
                                         "before reading the code?)\nstdout:\n%s\nstderr:\n%s"
                                         % (out.decode(errors="replace"),
                                            err.decode(errors="replace")))
                r, _, _ = select.select(list(open_fds), [], [], left)
                for fd in r:
                    data, eof = _read_avail(fd)
                    if fd == out_fd:
                        out += data
                    else:
                        err += data
                    if eof:
                        open_fds.discard(fd)
                if secret is None and re.search(rb"otpauth://totp/\S+\s", out + err):
                    secret = secret_from_uri((out + err).decode(errors="replace"))
                    code = code_fn(secret)
                    try:
                        p.stdin.write((code + "\n").encode())
                        p.stdin.close()
                    except BrokenPipeError:
                        pass
            rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            _end_child(p)
        return (secret, code, rc, out.decode(errors="replace"), err.decode(errors="replace"))

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

