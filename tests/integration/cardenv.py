"""A private pcscd with the virtual citizen card, for the card tests (stdlib only).

pcscd's socket path is fixed (/run/pcscd/pcscd.comm), so the tests get their own
mount namespace with a tmpfs on /run/pcscd: a system pcscd, if any, is neither seen
nor disturbed. Use it around harness.main, at module level:

    import cardenv
    ...
    def test_R3_1_something(env):            # harness Env (regsd etc.), if needed
        card = cardenv.current                # the CardEnv below
        card.start_card(fault="none", pin="123456")
        ...
    if __name__ == "__main__":
        with cardenv.card_namespace():
            harness.main(globals())

card_namespace() re-executes the test file under `unshare -m --propagation private`
when it is not already inside (environment marker REGS_CARD_NS=1); it needs root
(CI runs as root). Without root or unshare it prints a TAP "1..0 # SKIP" plan and
exits. Inside, it mounts the tmpfs, writes a reader.conf for vpcd on a free pair of
ports (vpcd opens two slots: PORT and PORT+1; the card uses PORT, reader
"Virtual PCD 00 00"), starts `pcscd --foreground --config <reader.conf>` and waits
for its socket.

CardEnv:
    pki                 index of tests/fixtures/pki.py's PKI (made on first use in
                        tmp/pki; make_pki(crl_port=...) to choose the CRL port first)
    start_card(**opts)  starts tests/fixtures/vcard.py (options: cert, key, keyx_cert,
                        keyx_key, ca_chain, pin, tries, state, fault, verify_key,
                        response_mode, eof_mode, pin_status, serial, pulled, tries_left)
                        and waits until pcscd reports
                        the card present (unless pulled=True)
    pull_card()         SIGUSR1: the card leaves; waits until pcscd reports the reader empty
    insert_card()       SIGUSR2: the card comes back; waits until present
    stop_card()         ends the card process (a removal too)
    set_tries(n)        writes the persistent tries counter (card stopped)
    tries_left()        reads it
    apdu_log()          [(command hex, SW hex)] received by the card so far
    apdu_log_full()     [(command hex, SW hex, response data hex)]
    clear_apdu_log()
    scriptor(apdus)     sends APDUs (hex strings) in one PC/SC session with pcsc-tools'
                        scriptor; returns [(SW hex, data bytes)]
    pcsc()              a small ctypes PC/SC client (Pcsc below) on libpcsclite
Set REGS_PCSCD_DEBUG=1 for a verbose pcscd log (tmp/pcscd.log, with APDUs);
REGS_KEEP=1 keeps the temp dir.
"""

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("REGS_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(SRCDIR, "tests", "fixtures")
MARKER = "REGS_CARD_NS"
PCSCD_DIR = "/run/pcscd"
# regs.conf where the built regsctl looks: $(sysconfdir)/regs (make check passes it)
ETC_REGS = os.path.join(os.environ.get("REGS_SYSCONFDIR") or "/etc", "regs")
PCSCD_SOCKET = os.path.join(PCSCD_DIR, "pcscd.comm")
VPCD_LIBS = ["/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
             "/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so"]
READER = "Virtual PCD 00 00"
SLOW = max(1.0, float(os.environ.get("REGS_SLOW") or 1))  # as in procs.py

current = None  # the CardEnv of card_namespace()


def _skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(0)


def _vpcd_lib():
    for p in VPCD_LIBS:
        if os.path.exists(p):
            return p
    return None


def _missing():
    if os.geteuid() != 0:
        return "needs root for a private mount namespace (CI runs as root)"
    for tool in ("unshare", "mount", "pcscd"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            return "%s not installed" % tool
    if not _vpcd_lib():
        return "vsmartcard-vpcd not installed"
    return None


def _reexec():
    why = _missing()
    if why:
        _skip_all(why)
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        _skip_all("unshare -m failed: %s" % probe.stderr.strip())
    env = dict(os.environ)
    env[MARKER] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    argv = ["unshare", "-m", "--propagation", "private", sys.executable,
            os.path.abspath(sys.argv[0])] + sys.argv[1:]
    os.execvpe("unshare", argv, env)


@contextlib.contextmanager
def card_namespace():
    """Yields a CardEnv inside a private mount namespace (re-executing if needed)."""
    global current
    if os.environ.get(MARKER) != "1":
        _reexec()  # does not return
    ce = CardEnv()
    try:
        ce.setup()
        current = ce
        yield ce
    finally:
        current = None
        ce.cleanup()


def _free_port_pair():
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p >= 65535:
            continue
        ok = True
        for q in (p, p + 1):
            t = socket.socket()
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                t.bind(("0.0.0.0", q))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            return p
    raise RuntimeError("no free pair of ports")


def _die_with_parent():
    """preexec_fn: SIGTERM the child (pcscd, the card) if the test process dies, so
    nothing outlives a killed test inside the namespace."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _sys_path_fixtures():
    if FIXTURES not in sys.path:
        sys.path.insert(0, FIXTURES)


class CardEnv:
    def __init__(self):
        self.tmp = None
        self.port = None
        self.pcscd = None
        self.card = None
        self.card_args = None
        self._pki = None
        self.reader = READER
        self.etc_regs_mounted = False  # show_system_conf()
        self.etc_regs_made = False

    # -------------------------------------------------------------- lifecycle
    def setup(self):
        self.tmp = tempfile.mkdtemp(prefix="regs-card-")
        os.makedirs(PCSCD_DIR, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", PCSCD_DIR],
                       check=True)
        self.port = _free_port_pair()
        self.conf = self.path("reader.conf")
        with open(self.conf, "w") as f:
            f.write('FRIENDLYNAME "Virtual PCD"\n'
                    "DEVICENAME   /dev/null:0x%04X\n"
                    "LIBPATH      %s\n"
                    "CHANNELID    0x%04X\n" % (self.port, _vpcd_lib(), self.port))
        self.apdu_log_path = self.path("apdu.log")
        self.state_path = self.path("card-state.json")
        self.start_pcscd()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def show_system_conf(self, conf):
        """Puts a copy of the regs.conf at conf in /etc/regs for this mount namespace only (a
        tmpfs over /etc/regs, which is made if missing): regsctl card-check reads the anchor
        bundles named there."""
        if not self.etc_regs_mounted:
            if not os.path.isdir(ETC_REGS):
                os.makedirs(ETC_REGS, mode=0o755)
                self.etc_regs_made = True
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", ETC_REGS],
                           check=True)
            self.etc_regs_mounted = True
        dst = os.path.join(ETC_REGS, "regs.conf")
        shutil.copyfile(conf, dst)
        os.chmod(dst, 0o644)

    def start_pcscd(self, timeout=15):
        args = ["pcscd", "--foreground", "--config", self.conf]
        if os.environ.get("REGS_PCSCD_DEBUG") == "1":
            args += ["--debug", "--apdu"]
        log = open(self.path("pcscd.log"), "ab")
        self.pcscd = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        log.close()
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if self.pcscd.poll() is not None:
                raise RuntimeError("pcscd exited %s:\n%s" % (self.pcscd.returncode,
                                                             self.pcscd_log()))
            if os.path.exists(PCSCD_SOCKET) and self._vpcd_listening():
                return
            time.sleep(0.05)
        raise RuntimeError("pcscd did not come up:\n" + self.pcscd_log())

    def _vpcd_listening(self):
        try:
            with open("/proc/net/tcp") as f:
                return any((":%04X " % self.port) in line and line.split()[3] == "0A"
                           for line in f)
        except OSError:
            return True

    def pcscd_log(self, n=40):
        try:
            with open(self.path("pcscd.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def cleanup(self):
        with contextlib.suppress(Exception):
            self.stop_card(wait=False)
        if self.pcscd and self.pcscd.poll() is None:
            self.pcscd.terminate()
            try:
                self.pcscd.wait(10)
            except subprocess.TimeoutExpired:
                self.pcscd.kill()
                self.pcscd.wait()
        subprocess.run(["umount", PCSCD_DIR], capture_output=True)
        if self.etc_regs_mounted:
            subprocess.run(["umount", ETC_REGS], capture_output=True)
            if self.etc_regs_made:
                with contextlib.suppress(OSError):
                    os.rmdir(ETC_REGS)
        if self.tmp and os.environ.get("REGS_KEEP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -------------------------------------------------------------- PKI
    def make_pki(self, crl_port=None):
        _sys_path_fixtures()
        import pki  # noqa: E402
        self._pki = pki.make(self.path("pki"), crl_port=crl_port)
        return self._pki

    @property
    def pki(self):
        if self._pki is None:
            self.make_pki()
        return self._pki

    def cert(self, name):
        return self.pki["certs"][name]

    # -------------------------------------------------------------- the card
    def start_card(self, wait=True, timeout=15, **o):
        if self.card is not None:
            self.stop_card()
        c = self.pki["certs"]
        args = [sys.executable, os.path.join(FIXTURES, "vcard.py"), "--port", str(self.port),
                "--cert", o.pop("cert", c["citizen"]["der"]),
                "--key", o.pop("key", c["citizen"]["key"]),
                "--apdu-log", self.apdu_log_path,
                "--state", o.pop("state", self.state_path)]
        keyx_cert = o.pop("keyx_cert", c["citizen_keyx"]["der"])
        keyx_key = o.pop("keyx_key", c["citizen_keyx"]["key"])
        if keyx_cert:
            args += ["--keyx-cert", keyx_cert]
        if keyx_key:
            args += ["--keyx-key", keyx_key]
        chain = o.pop("ca_chain", None)
        if chain:
            args += ["--ca-chain"] + list(chain)
        tries_left = o.pop("tries_left", None)
        if tries_left is not None:
            self.set_tries(tries_left, int(o.get("tries", 3)))
        pulled = o.pop("pulled", False)
        if pulled:
            args.append("--pulled")
        for k in ("pin", "tries", "fault", "verify_key", "response_mode", "eof_mode",
                  "pin_status", "serial"):
            if k in o:
                args += ["--" + k.replace("_", "-"), str(o.pop(k))]
        if o:
            raise TypeError("unknown card options: %s" % ", ".join(o))
        self.card_args = args
        for attempt in (1, 2):
            err = open(self.path("vcard.err"), "ab")
            self.card = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         preexec_fn=_die_with_parent)
            err.close()
            if not wait or pulled:
                break
            try:
                self.wait_present(True, timeout)
                break
            except RuntimeError:
                # vpcd sometimes keeps the slot of a card pulled just before: a
                # second connection of the virtual card clears it. Only once.
                if attempt == 2:
                    raise
                self.stop_card(wait=False)
                time.sleep(1)
        return self.card

    def _card_alive(self):
        if self.card is None or self.card.poll() is not None:
            raise RuntimeError("the virtual card is not running:\n" + self._tail("vcard.err"))

    def pull_card(self, wait=True, timeout=15):
        self._card_alive()
        self.card.send_signal(signal.SIGUSR1)
        if wait:
            self.wait_present(False, timeout)

    def insert_card(self, wait=True, timeout=15):
        self._card_alive()
        self.card.send_signal(signal.SIGUSR2)
        if wait:
            self.wait_present(True, timeout)

    def stop_card(self, wait=True, timeout=15):
        if self.card is None:
            return
        if self.card.poll() is None:
            self.card.terminate()
            try:
                self.card.wait(10)
            except subprocess.TimeoutExpired:
                self.card.kill()
                self.card.wait()
        self.card = None
        if wait:
            self.wait_present(False, timeout)

    def wait_present(self, present, timeout=15):
        """Waits until pcscd reports the card present (or the reader empty)."""
        deadline = time.time() + timeout * SLOW
        with Pcsc() as p:
            while True:
                st = p.state(self.reader, timeout_ms=200)
                if st is not None and bool(st & Pcsc.STATE_PRESENT) == present:
                    return
                if time.time() > deadline:
                    raise RuntimeError("pcscd never reported the card %s (state %r)\n%s"
                                       % ("present" if present else "absent", st,
                                          self.pcscd_log(15)))
                if present and self.card is not None and self.card.poll() is not None:
                    raise RuntimeError("vcard.py exited:\n" + self._tail("vcard.err"))
                time.sleep(0.05)

    def set_tries(self, n, max_tries=3):
        with open(self.state_path, "w") as f:
            json.dump({"tries": n, "max": max_tries}, f)

    def tries_left(self):
        with open(self.state_path) as f:
            return json.load(f)["tries"]

    def _tail(self, name, n=30):
        try:
            with open(self.path(name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -------------------------------------------------------------- what the card saw
    def apdu_log_full(self):
        out = []
        try:
            with open(self.apdu_log_path) as f:
                for line in f:
                    if not line.strip() or line.startswith("#"):
                        continue
                    parts = line.split()
                    out.append((parts[0], parts[1], "" if parts[2] == "-" else parts[2]))
        except FileNotFoundError:
            pass
        return out

    def apdu_log(self):
        return [(c, s) for c, s, _ in self.apdu_log_full()]

    def apdu_log_text(self):
        try:
            with open(self.apdu_log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def clear_apdu_log(self):
        with open(self.apdu_log_path, "w"):
            pass

    # -------------------------------------------------------------- clients
    def scriptor(self, apdus, timeout=30):
        """Sends APDUs (hex strings, spaces allowed) with scriptor in one session.
        Returns [(SW hex, data bytes)], one per APDU answered; raises when scriptor
        cannot connect at all."""
        lines = []
        for a in apdus:
            h = re.sub(r"\s+", "", a)
            lines.append(" ".join(h[i:i + 2] for i in range(0, len(h), 2)))
        p = subprocess.run(["scriptor", "-r", self.reader], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, timeout=timeout)
        return parse_scriptor(p.stdout), p

    def pcsc(self):
        return Pcsc()


def parse_scriptor(out):
    """[(SW hex, data bytes)] from scriptor's output ('< xx xx ... : text' blocks)."""
    res = []
    cur = None
    for line in out.splitlines():
        if line.startswith("< "):
            if cur is not None:
                res.append(cur)
            cur = line[2:]
        elif line.startswith("> ") or line.startswith("Using") or not line.strip():
            if cur is not None:
                res.append(cur)
                cur = None
        elif cur is not None:
            cur += " " + line
    if cur is not None:
        res.append(cur)
    parsed = []
    for r in res:
        hexpart = r.split(":", 1)[0]
        b = bytes.fromhex("".join(hexpart.split()))
        parsed.append((b[-2:].hex().upper(), b[:-2]))
    return parsed


# ------------------------------------------------------------------ ctypes PC/SC


class _ReaderState(ctypes.Structure):
    _fields_ = [("szReader", ctypes.c_char_p), ("pvUserData", ctypes.c_void_p),
                ("dwCurrentState", ctypes.c_ulong), ("dwEventState", ctypes.c_ulong),
                ("cbAtr", ctypes.c_ulong), ("rgbAtr", ctypes.c_ubyte * 33)]


class _IoRequest(ctypes.Structure):
    _fields_ = [("dwProtocol", ctypes.c_ulong), ("cbPciLength", ctypes.c_ulong)]


class PcscError(Exception):
    def __init__(self, what, rv):
        super().__init__("%s: 0x%08X" % (what, rv))
        self.rv = rv


class Pcsc:
    """Minimal PC/SC client over libpcsclite (Linux DWORD = unsigned long)."""
    STATE_EMPTY = 0x10
    STATE_PRESENT = 0x20
    E_TIMEOUT = 0x8010000A
    E_NO_SMARTCARD = 0x8010000C
    W_REMOVED_CARD = 0x80100069
    W_RESET_CARD = 0x80100068
    E_READER_UNAVAILABLE = 0x80100017

    def __init__(self):
        self.lib = ctypes.CDLL("libpcsclite.so.1")
        self.lib.SCardEstablishContext.restype = ctypes.c_long
        self.lib.SCardGetStatusChange.restype = ctypes.c_long
        self.lib.SCardConnect.restype = ctypes.c_long
        self.lib.SCardTransmit.restype = ctypes.c_long
        self.lib.SCardDisconnect.restype = ctypes.c_long
        self.lib.SCardReleaseContext.restype = ctypes.c_long
        self.lib.SCardStatus.restype = ctypes.c_long
        self.ctx = ctypes.c_long()
        rv = self.lib.SCardEstablishContext(2, None, None, ctypes.byref(self.ctx)) & 0xFFFFFFFF
        if rv:
            raise PcscError("SCardEstablishContext", rv)
        self.handle = None
        self.protocol = ctypes.c_ulong()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.handle is not None:
            self.disconnect()
        if self.ctx is not None:
            self.lib.SCardReleaseContext(self.ctx)
            self.ctx = None

    def state(self, reader=READER, timeout_ms=0):
        """The reader's event state bits, or None when pcscd does not know it."""
        rs = _ReaderState()
        rs.szReader = reader.encode()
        rs.dwCurrentState = 0
        rv = self.lib.SCardGetStatusChange(self.ctx, ctypes.c_ulong(timeout_ms),
                                           ctypes.byref(rs), ctypes.c_ulong(1)) & 0xFFFFFFFF
        if rv == 0:
            return rs.dwEventState
        if rv == self.E_TIMEOUT:
            return rs.dwEventState or None
        return None

    def connect(self, reader=READER):
        h = ctypes.c_long()
        rv = self.lib.SCardConnect(self.ctx, reader.encode(), ctypes.c_ulong(2),
                                   ctypes.c_ulong(3), ctypes.byref(h),
                                   ctypes.byref(self.protocol)) & 0xFFFFFFFF
        if rv:
            raise PcscError("SCardConnect", rv)
        self.handle = h
        return self

    def atr(self):
        name = ctypes.create_string_buffer(256)
        nlen = ctypes.c_ulong(256)
        st, proto = ctypes.c_ulong(), ctypes.c_ulong()
        atr = (ctypes.c_ubyte * 33)()
        alen = ctypes.c_ulong(33)
        rv = self.lib.SCardStatus(self.handle, name, ctypes.byref(nlen), ctypes.byref(st),
                                  ctypes.byref(proto), atr, ctypes.byref(alen)) & 0xFFFFFFFF
        if rv:
            raise PcscError("SCardStatus", rv)
        return bytes(atr[:alen.value])

    def transmit(self, apdu):
        """Response APDU bytes; raises PcscError (e.g. W_REMOVED_CARD)."""
        if isinstance(apdu, str):
            apdu = bytes.fromhex(re.sub(r"\s+", "", apdu))
        pci = _IoRequest(self.protocol.value, ctypes.sizeof(_IoRequest))
        buf = (ctypes.c_ubyte * 65538)()
        n = ctypes.c_ulong(len(buf))
        rv = self.lib.SCardTransmit(self.handle, ctypes.byref(pci), apdu,
                                    ctypes.c_ulong(len(apdu)), None, buf,
                                    ctypes.byref(n)) & 0xFFFFFFFF
        if rv:
            raise PcscError("SCardTransmit", rv)
        return bytes(buf[:n.value])

    def disconnect(self, disposition=0):
        if self.handle is not None:
            self.lib.SCardDisconnect(self.handle, ctypes.c_ulong(disposition))
            self.handle = None
