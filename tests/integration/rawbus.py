"""A small D-Bus wire client (python3 stdlib) for the attack tests.

dbus-send makes one connection per call and only sends well-typed, valid
messages; the hostile, crash and concurrency tests need many connections at
once, pipelined floods, any signature with any arguments, and connections
that belong to another uid.

    conn = rawbus.connect(env)                  # as this process (root)
    with rawbus.Connector(env, "user30") as c:  # as another uid
        conns = c.open(250)
    reply = conn.call("VerifyOtp", "ssss", ["alice", "123456", "svc", ""])
    reply.error, reply.values

Marshalling is _Wire below (little endian, the D-Bus specification's
alignment rules), written by hand on purpose: a client library (bus.py uses
python3-jeepney) refuses to send the malformed messages these tests need.
Authentication is SASL EXTERNAL: the bus takes the uid from the kernel
(SO_PEERCRED) at connect(), so a connection made by a helper running as another uid stays that uid's connection when its file descriptor is
handed to the test over SCM_RIGHTS (Connector).
"""

import json
import os
import select
import socket
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from busnames import BUS_IFACE, BUS_NAME, BUS_PATH  # noqa: E402

DBUS_NAME = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"

METHOD_CALL, METHOD_RETURN, ERROR, SIGNAL = 1, 2, 3, 4
NO_REPLY_EXPECTED = 0x1


class _Wire:
    """D-Bus marshalling (little endian), enough for regsd's signatures."""

    FIXED = {"y": ("B", 1), "b": ("I", 4), "n": ("h", 2), "q": ("H", 2), "i": ("i", 4),
             "u": ("I", 4), "x": ("q", 8), "t": ("Q", 8), "d": ("d", 8), "h": ("I", 4)}
    ALIGN = {"s": 4, "o": 4, "g": 1, "a": 4, "(": 8, "{": 8, "v": 1}

    @staticmethod
    def split(sig):
        """A signature into its complete types."""
        out, i = [], 0
        while i < len(sig):
            j = _Wire._end(sig, i)
            out.append(sig[i:j])
            i = j
        return out

    @staticmethod
    def _end(sig, i):
        c = sig[i]
        if c == "a":
            return _Wire._end(sig, i + 1)
        if c in "({":
            depth, j = 0, i
            while True:
                if sig[j] in "({":
                    depth += 1
                elif sig[j] in ")}":
                    depth -= 1
                    if depth == 0:
                        return j + 1
                j += 1
        return i + 1

    @staticmethod
    def align_of(t):
        return _Wire.FIXED[t[0]][1] if t[0] in _Wire.FIXED else _Wire.ALIGN[t[0]]

    def __init__(self, data=b""):
        self.buf = bytearray(data)
        self.pos = 0

    def pad(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def put(self, t, v):
        c = t[0]
        if c in self.FIXED:
            fmt, n = self.FIXED[c]
            self.pad(n)
            self.buf += struct.pack("<" + fmt, int(bool(v)) if c == "b" else v)
        elif c in "so":
            b = v.encode()
            self.pad(4)
            self.buf += struct.pack("<I", len(b)) + b + b"\0"
        elif c == "g":
            b = v.encode()
            self.buf += struct.pack("<B", len(b)) + b + b"\0"
        elif c == "v":
            sig, val = v
            self.put("g", sig)
            self.put(sig, val)
        elif c == "a":
            self.pad(4)
            at = len(self.buf)
            self.buf += b"\0\0\0\0"
            self.pad(self.align_of(t[1:]))
            start = len(self.buf)
            for x in v:
                self.put(t[1:], x)
            struct.pack_into("<I", self.buf, at, len(self.buf) - start)
        elif c in "({":
            self.pad(8)
            for sub, x in zip(self.split(t[1:-1]), v):
                self.put(sub, x)
        else:
            raise ValueError("cannot marshal %r" % t)

    def skip_to(self, n):
        self.pos += (-self.pos) % n

    def get(self, t):
        c = t[0]
        if c in self.FIXED:
            fmt, n = self.FIXED[c]
            self.skip_to(n)
            v = struct.unpack_from("<" + fmt, self.buf, self.pos)[0]
            self.pos += n
            return bool(v) if c == "b" else v
        if c in "so":
            self.skip_to(4)
            n = struct.unpack_from("<I", self.buf, self.pos)[0]
            v = bytes(self.buf[self.pos + 4:self.pos + 4 + n]).decode(errors="replace")
            self.pos += 5 + n
            return v
        if c == "g":
            n = self.buf[self.pos]
            v = bytes(self.buf[self.pos + 1:self.pos + 1 + n]).decode()
            self.pos += 2 + n
            return v
        if c == "v":
            sig = self.get("g")
            return self.get(sig)
        if c == "a":
            self.skip_to(4)
            n = struct.unpack_from("<I", self.buf, self.pos)[0]
            self.pos += 4
            self.skip_to(self.align_of(t[1:]))
            end, out = self.pos + n, []
            while self.pos < end:
                out.append(self.get(t[1:]))
            return out
        if c in "({":
            self.skip_to(8)
            return [self.get(sub) for sub in self.split(t[1:-1])]
        raise ValueError("cannot unmarshal %r" % t)


class BusClosed(Exception):
    """The bus closed the connection (it does so for messages it finds invalid)."""


class Reply:
    """A method return (error None) or an error (its name; values[0] is the message)."""

    def __init__(self, error, values):
        self.error, self.values = error, values

    @property
    def message(self):
        return self.values[0] if self.error and self.values else ""

    def __repr__(self):
        if self.error:
            return "Error(%s: %.200r)" % (self.error, self.message)
        return "Return(%.300r)" % (self.values,)


def socket_path(env):
    addr = env.bus_address
    return addr.split("path=", 1)[1].split(",")[0]


def _read_line(sock):
    line = b""
    while not line.endswith(b"\r\n"):
        d = sock.recv(1)
        if not d:
            raise BusClosed("bus closed during authentication")
        line += d
    return line


def _authenticate(sock, uid):
    sock.sendall(b"\0AUTH EXTERNAL " + str(uid).encode().hex().encode() + b"\r\n")
    line = _read_line(sock)
    if not line.startswith(b"OK"):
        raise RuntimeError("bus refused authentication as uid %d: %r" % (uid, line))
    sock.sendall(b"BEGIN\r\n")


class _FastWire(_Wire):
    """_Wire with byte arrays marshalled in one piece (1 MB certificates)."""

    def put(self, t, v):
        if t == "ay" and isinstance(v, (bytes, bytearray)):
            self.pad(4)
            self.buf += struct.pack("<I", len(v)) + v
        else:
            super().put(t, v)


def encode_call(serial, member, sig, args, dest=BUS_NAME, path=BUS_PATH,
                iface=BUS_IFACE, flags=0):
    """The bytes of one method call; args are marshalled as sig says."""
    body = _FastWire()
    for t, v in zip(_Wire.split(sig), args):
        body.put(t, v)
    fields = [[1, ["o", path]], [3, ["s", member]]]
    if dest:
        fields.append([6, ["s", dest]])
    if iface:
        fields.append([2, ["s", iface]])
    if sig:
        fields.append([8, ["g", sig]])
    h = _Wire()
    h.buf += struct.pack("<BBBBII", ord("l"), METHOD_CALL, flags, 1, len(body.buf), serial)
    h.put("a(yv)", fields)
    h.pad(8)
    return bytes(h.buf) + bytes(body.buf)


class Conn:
    """One authenticated connection to the bus (Hello done once ready())."""

    def __init__(self, sock, unique_name=None):
        self.sock = sock
        self.unique_name = unique_name
        self.serial = 0
        self.rbuf = bytearray()
        self.replies = {}  # serial -> Reply, read while waiting for another

    # -- framing
    def _fill(self, n, timeout):
        while len(self.rbuf) < n:
            if timeout is not None:
                r, _, _ = select.select([self.sock], [], [], timeout)
                if not r:
                    raise TimeoutError("no message from the bus within %ss" % timeout)
            try:
                d = self.sock.recv(1 << 20)
            except ConnectionResetError:
                d = b""
            if not d:
                raise BusClosed("the bus closed the connection")
            self.rbuf.extend(d)

    def read_message(self, timeout=30):
        """(type, header fields, body values) of the next message."""
        self._fill(16, timeout)
        body_len, _, fields_len = struct.unpack_from("<III", self.rbuf, 4)
        total = 16 + fields_len + (-(16 + fields_len) % 8) + body_len
        self._fill(total, timeout)
        raw = bytes(self.rbuf[:total])
        del self.rbuf[:total]
        w = _Wire(raw)
        w.pos = 12
        fields = {code: val for code, val in w.get("a(yv)")}
        w.skip_to(8)
        body = _Wire(w.buf[w.pos:])
        vals = [body.get(t) for t in _Wire.split(fields.get(8, ""))]
        return raw[1], fields, vals

    # -- calls
    def send(self, member, sig="", args=(), **kw):
        """Sends one call without waiting; returns its serial."""
        self.serial += 1
        self.sock.sendall(encode_call(self.serial, member, sig, list(args), **kw))
        return self.serial

    def send_raw(self, data):
        self.sock.sendall(data)

    def reply(self, serial, timeout=30):
        """Waits for the reply to serial (keeps others that arrive meanwhile)."""
        while serial not in self.replies:
            mtype, f, vals = self.read_message(timeout)
            if mtype in (METHOD_RETURN, ERROR) and 5 in f:
                self.replies[f[5]] = Reply(f.get(4) if mtype == ERROR else None, vals)
        return self.replies.pop(serial)

    def call(self, member, sig="", args=(), timeout=30, **kw):
        return self.reply(self.send(member, sig, args, **kw), timeout)

    def pipeline(self, calls, window=64, timeout=60):
        """Sends calls [(member, sig, args)] keeping at most window unanswered;
        returns their replies in order."""
        serials, out, head = [], [], 0
        for member, sig, args in calls:
            serials.append(self.send(member, sig, args))
            while len(serials) - head >= window:
                out.append(self.reply(serials[head], timeout))
                head += 1
        while head < len(serials):
            out.append(self.reply(serials[head], timeout))
            head += 1
        return out

    def hello(self):
        r = self.call("Hello", dest=DBUS_NAME, path=DBUS_PATH, iface=DBUS_NAME)
        if r.error:
            raise RuntimeError("Hello refused: %r" % r)
        self.unique_name = r.values[0]
        return self.unique_name

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _open_as_self(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    _authenticate(s, os.getuid())
    c = Conn(s)
    c.hello()
    return c


def connect(env):
    """A connection as this process's uid (root in the tests: admin and verifier)."""
    return _open_as_self(socket_path(env))


class Connector:
    """Makes connections that belong to another uid: a helper running as that
    uid connects, authenticates and says Hello, then hands each socket over
    (SCM_RIGHTS). The helper lives until close(), so the connections' pid stays
    a live process of that uid."""

    def __init__(self, env, uid):
        self.env = env
        self.uid = env.users[uid] if isinstance(uid, str) else uid
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.chan = mine
        code = "import sys; sys.path.insert(0, %r); import rawbus; rawbus._helper(%d)" % (
            HERE, theirs.fileno())
        self.proc = subprocess.Popen(env.as_user(self.uid) + [sys.executable, "-c", code],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, pass_fds=[theirs.fileno()],
                                     env=env.base_env())
        theirs.close()

    def open(self, n=1, timeout=60):
        """n new connections of the uid, each ready (Hello answered)."""
        self.proc.stdin.write(b"%d\n" % n)
        self.proc.stdin.flush()
        out = []
        while len(out) < n:
            r, _, _ = select.select([self.chan], [], [], timeout)
            if not r:
                raise RuntimeError("rawbus helper sent %d of %d connections: %s" % (
                    len(out), n, self._stderr()))
            msg, fds, _, _ = socket.recv_fds(self.chan, 4096, 1)
            if not fds:
                raise RuntimeError("rawbus helper failed: %s" % self._stderr())
            info = json.loads(msg.decode())
            c = Conn(socket.socket(fileno=fds[0]), info["name"])
            c.rbuf = bytearray(bytes.fromhex(info["rest"]))  # read by the helper already
            out.append(c)
        return out

    def _stderr(self):
        if self.proc.poll() is None:
            return "(helper still running)"
        return self.proc.stderr.read().decode(errors="replace")[-2000:]

    def close(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()
        self.chan.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _helper(chan_fd):
    """Runs as the other uid: for each number n read on stdin, makes n ready
    connections and sends them over chan_fd, then closes its own copies."""
    chan = socket.socket(fileno=chan_fd)
    path = os.environ["DBUS_SYSTEM_BUS_ADDRESS"].split("path=", 1)[1].split(",")[0]
    for line in sys.stdin:
        for _ in range(int(line)):
            c = _open_as_self(path)
            info = {"name": c.unique_name, "rest": bytes(c.rbuf).hex()}
            socket.send_fds(chan, [json.dumps(info).encode()], [c.sock.fileno()])
            c.close()


def vm_rss_kb(pid):
    """VmRSS of a process in kB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)
