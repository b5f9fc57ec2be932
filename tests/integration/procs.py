"""Child processes for the integration tests: the tree's paths, waits stretched for slow
builds, driving a child's pipes without blocking, free ports, process trees."""

import errno
import fcntl
import os
import socket

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("REGS_SRCDIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
BUILDDIR = os.environ.get("REGS_BUILDDIR") or SRCDIR
# tests/sanitize.sh: the ASan + UBSan build runs 2-3x slower, so every wait below is
# multiplied by REGS_SLOW (default 1). Only waits: what a test asserts about speed
# (R3.5's login time, R4.2's poll interval) stays as it is.
SLOW = max(1.0, float(os.environ.get("REGS_SLOW") or 1))


def slow(seconds):
    """A wait of seconds, stretched for a slower (sanitizer) build."""
    return seconds * SLOW


FIXTURES = os.path.join(SRCDIR, "tests", "fixtures")


def _end_child(p):
    """Closes a driven child's stdin and kills it if it still runs (a test gave up on it)."""
    if p.stdin and not p.stdin.closed:
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
    if p.poll() is None:
        p.kill()
        p.wait()


def _set_nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _read_avail(fd):
    """Reads what is available; returns (data, eof)."""
    chunks = []
    while True:
        try:
            d = os.read(fd, 65536)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return b"".join(chunks), False
            raise
        if not d:
            return b"".join(chunks), True
        chunks.append(d)


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port free right now (TCP, or UDP with socket.SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """The pids of every living descendant of pid (from /proc): the processes a server
    started in other sessions or as other users (sshd's and cockpit-ws's children)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        out += kids
        todo += kids
    return out

