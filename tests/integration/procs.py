"""Child processes for the integration tests: the tree's paths, waits stretched for slow
builds, driving a child's pipes without blocking, free ports, process trees."""

import errno
import fcntl
import os
import select
import socket
import subprocess
import sys
import time

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
    out, pending = [], [pid]
    while pending:
        kids = children.get(pending.pop(), [])
        out += kids
        pending += kids
    return out



def python_with(module, who):
    """A python that imports module: this one, else the system's /usr/bin/python3 (where
    the Debian package python3-<module> puts it); who: what needs it, for the error."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and subprocess.run([py, "-c", "import " + module], capture_output=True,
                                 timeout=30).returncode == 0:
            return py
    raise RuntimeError("%s is not installed (Debian: python3-%s); %s needs it"
                       % (module, module, who))


def stop(p, timeout=5, terminate=True):
    """Ends p: SIGTERM (terminate=False: only waits, its input being closed), then
    SIGKILL if it still runs after timeout seconds."""
    if p.poll() is not None:
        return
    if terminate:
        p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class Pipes:
    """A child's stdout and stderr, read without blocking as they come (self.out and
    self.err: the bytes so far) until both close or the time-out runs out."""

    def __init__(self, p, timeout):
        self.p = p
        self.out_fd, self.err_fd = p.stdout.fileno(), p.stderr.fileno()
        _set_nonblock(self.out_fd)
        _set_nonblock(self.err_fd)
        self.out = self.err = b""
        self.open_fds = {self.out_fd, self.err_fd}
        self.deadline = time.monotonic() + slow(timeout)

    def read(self, fd):
        """Adds what fd has now to out or err."""
        data, eof = _read_avail(fd)
        if fd == self.out_fd:
            self.out += data
        else:
            self.err += data
        if eof:
            self.open_fds.discard(fd)

    def text(self):
        return self.out.decode(errors="replace"), self.err.decode(errors="replace")

    def run(self, react, timed_out):
        """Calls react() after every read; raises AssertionError(timed_out()) at the
        time-out. Returns the exit status; the child is gone afterwards in any case."""
        try:
            while self.open_fds:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(timed_out())
                ready, _, _ = select.select(list(self.open_fds), [], [], left)
                for fd in ready:
                    self.read(fd)
                react()
            return self.p.wait(timeout=max(1, self.deadline - time.monotonic()))
        finally:
            _end_child(self.p)
