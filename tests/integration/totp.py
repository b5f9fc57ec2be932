"""TOTP for the integration tests: codes from the independent oathtool, the
test clock regsd reads (REGS_TEST_CLOCK_FILE), right, wrong and fresh codes."""

import base64
import hashlib
import hmac
import os
import random
import re
import struct
import subprocess
import time
import urllib.parse

OATHTOOL = os.environ.get("OATHTOOL") or "oathtool"


def totp_at(secret_b32, epoch):
    """The code for epoch, computed by the independent oathtool."""
    secret = secret_b32.strip().upper()
    cmd = [OATHTOOL, "--totp", "-b", secret, "--now", "@%d" % int(epoch)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if p.returncode != 0:
        # Older oathtool parses --now like date -d without "@": use a date string.
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(epoch)))
        cmd[-1] = when
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    if p.returncode != 0 or not re.fullmatch(r"\d{6}", p.stdout.strip()):
        raise RuntimeError("oathtool failed: %r %r" % (p.stdout, p.stderr))
    return p.stdout.strip()


def _py_totp(secret_b32, step):
    # Only used to pick codes that are certainly wrong; oathtool is the oracle.
    s = secret_b32.strip().upper()
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def secret_from_uri(text):
    """The base32 secret of the first otpauth:// URI in text."""
    m = re.search(r"otpauth://totp/\S+", text)
    if not m:
        raise AssertionError("no otpauth://totp/ URI in output:\n" + text)
    q = urllib.parse.urlparse(m.group(0)).query
    vals = urllib.parse.parse_qs(q).get("secret")
    if not vals:
        raise AssertionError("otpauth URI without secret: " + m.group(0))
    return vals[0]


class Clock:
    """Env's part for time and codes: offset seconds ahead of the real clock,
    written to <tmp>/clock for regsd-testclock. Needs self.path()."""

    offset = 0

    def _write_clock(self):
        tmp = self.path("clock.new")
        with open(tmp, "w") as f:
            f.write("%d\n" % self.offset)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.path("clock"))

    def advance(self, seconds):
        """Moves regsd's clock (and totp()) forward by seconds."""
        self.offset += int(seconds)
        self._write_clock()

    def now(self):
        return int(time.time()) + self.offset

    def totp(self, secret_b32, offset_seconds=0):
        return totp_at(secret_b32, self.now() + offset_seconds)

    def wrong_code(self, secret_b32):
        """A 6-digit code that matches no step within +-20 steps of now."""
        step = self.now() // 30
        near = {_py_totp(secret_b32, s) for s in range(step - 20, step + 21)}
        while True:
            c = "%06d" % random.randrange(1000000)
            if c not in near:
                return c

    def fresh_code(self, secret_b32):
        """Moves the clock one step on and returns the code for then, so
        successive logins never reuse a step (R2.4)."""
        self.advance(30)
        return self.totp(secret_b32)

