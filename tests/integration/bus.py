"""The bus for the integration tests: a private system dbus-daemon with the
project's policy, regsd's replies read through dbus-send, and BusSession, one
connection (python3-jeepney) kept open across calls, as any uid."""

import json
import os
import re
import select
import subprocess
import sys
import time

from busnames import BUS_IFACE, BUS_NAME, BUS_PATH, F_LOCKED, F_OTP_BOUND
from procs import BUILDDIR, HERE, SRCDIR, python_with, slow, stop
from tap import check

_DBUS_SCALAR = re.compile(
    r"^\s*(string|object path|signature|uint16|int16|uint32|int32|uint64|int64|boolean|double|byte)"
    r" (.*)$")


def parse_reply(out):
    """Scalars of a dbus-send --print-reply output, in order (arrays flattened)."""
    vals = []
    for line in out.splitlines():
        m = _DBUS_SCALAR.match(line)
        if not m:
            continue
        kind, v = m.groups()
        if kind in ("string", "object path", "signature"):
            v = v[1:-1] if len(v) >= 2 and v[0] == '"' and v[-1] == '"' else v
        elif kind == "boolean":
            v = v == "true"
        elif kind == "double":
            v = float(v)
        else:
            v = int(v)
        vals.append(v)
    return vals


def dbus_error_name(err):
    m = re.search(r"Error ([A-Za-z0-9_.]+)", err)
    return m.group(1) if m else None


def _plain(value):
    """A reply value as JSON: byte arrays and structs as lists, dicts as [key, value] lists."""
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    if isinstance(value, dict):
        return [[_plain(k), _plain(v)] for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _bus_child():
    """Runs in a child (as the test user): one connection to the bus; reads
    JSON requests [method, signature, args] on stdin, answers JSON lines
    {"error": name|null, "values": [...]} (an error's values: its message)."""
    from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    regsd = DBusAddress(BUS_PATH, bus_name=BUS_NAME, interface=BUS_IFACE)
    with open_dbus_connection(bus="SYSTEM") as conn:
        print(json.dumps({"ready": conn.unique_name}), flush=True)
        for req in sys.stdin:
            method, sig, args = json.loads(req)
            reply = conn.send_and_get_reply(new_method_call(regsd, method, sig or None,
                                                            tuple(args)))
            error = None
            if reply.header.message_type == MessageType.error:
                error = reply.header.fields.get(HeaderFields.error_name)
            print(json.dumps({"error": error, "values": _plain(reply.body)}), flush=True)


class BusSession:
    """One connection to the bus as uid, kept open across calls (a child
    process runs _bus_child). call() returns (error_name or None, values);
    for an error, values is [its message]."""

    python = None  # the interpreter with jeepney, found once

    def __init__(self, env, uid=None):
        code = "import sys; sys.path.insert(0, %r); import bus; bus._bus_child()" % HERE
        if BusSession.python is None:
            BusSession.python = python_with("jeepney", "BusSession")
        self.proc = subprocess.Popen(env.as_user(uid) + [BusSession.python, "-c", code],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env.base_env(), text=True)
        first = self._line()
        self.unique_name = json.loads(first)["ready"]

    def _line(self, timeout=30):
        r, _, _ = select.select([self.proc.stdout], [], [], slow(timeout))
        line = self.proc.stdout.readline() if r else ""
        if not line:
            self.close()
            raise AssertionError("D-Bus helper failed: " + (self.proc.stderr.read() or "")[-2000:])
        return line

    def call(self, method, signature="", *args):
        self.proc.stdin.write(json.dumps([method, signature, list(args)]) + "\n")
        self.proc.stdin.flush()
        r = json.loads(self._line())
        if r["error"] is None:
            return None, r["values"]
        return r["error"], [r["values"][0] if r["values"] else ""]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            stop(self.proc, terminate=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Bus:
    """Env's part for the bus: self.dbus_proc, self.bus_address. Needs
    self.path(), self.base_env() and self.as_user()."""

    dbus_proc = None
    bus_address = None

    # -- dbus-daemon
    def policy_file(self):
        for p in (os.path.join(BUILDDIR, "data", "tw.regs.Daemon1.conf"),
                  os.path.join(SRCDIR, "data", "tw.regs.Daemon1.conf.in")):
            if os.path.exists(p):
                return p
        raise RuntimeError("no D-Bus policy: data/tw.regs.Daemon1.conf (run make) "
                           "or data/tw.regs.Daemon1.conf.in")

    def _start_dbus(self):
        sock = self.path("bus")
        conf = self.path("bus.conf")
        with open(conf, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"/>
  </policy>
  <include>%s</include>
</busconfig>
""" % (sock, self.policy_file()))
        log = open(self.path("dbus.log"), "ab")
        self.dbus_proc = subprocess.Popen(
            ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile",
             "--print-address=1"],
            stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
            env=self.base_env())
        log.close()
        r, _, _ = select.select([self.dbus_proc.stdout], [], [], 10)
        line = self.dbus_proc.stdout.readline().decode().strip() if r else ""
        if not line.startswith("unix:"):
            raise RuntimeError("dbus-daemon did not start: %r\n%s" % (
                line, open(self.path("dbus.log")).read()))
        self.bus_address = "unix:path=" + sock

    def name_has_owner(self):
        p = subprocess.run(
            ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
             "string:" + BUS_NAME],
            capture_output=True, text=True, env=self.base_env(), timeout=10)
        return p.returncode == 0 and parse_reply(p.stdout) == [True]

    def ping_regsd(self):
        """Sends org.freedesktop.DBus.Peer.Ping to regsd without waiting for the answer."""
        subprocess.run(["dbus-send", "--system", "--dest=" + BUS_NAME, "/",
                        "org.freedesktop.DBus.Peer.Ping"], capture_output=True,
                       env=self.base_env(), timeout=10)

    def _wait_name_gone(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.name_has_owner():
            time.sleep(0.05)

    def dbus_call(self, method, *typed_args, uid=None, timeout=30):
        """dbus-send to regsd; typed_args like "string:alice", "uint32:3"."""
        cmd = self.as_user(uid) + [
            "dbus-send", "--system", "--print-reply", "--reply-timeout=%d" % slow(20000),
            "--dest=" + BUS_NAME, BUS_PATH, BUS_IFACE + "." + method] + list(typed_args)
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.base_env(),
                           timeout=slow(timeout))
        return p.returncode, p.stdout, p.stderr

    def call_ok(self, method, *typed_args, uid=None):
        """dbus_call that must succeed; returns the parsed scalars."""
        rc, out, err = self.dbus_call(method, *typed_args, uid=uid)
        check(rc == 0, "%s %s failed: %s" % (method, typed_args, err.strip()))
        return parse_reply(out)

    def get_account_reply(self, user):
        """(flags, lock_seconds, failures, language, site_language) from GetAccount, as root."""
        v = self.call_ok("GetAccount", "string:" + user)
        check(len(v) == 5, "GetAccount reply: %r" % (v,))
        return tuple(v)

    def get_account(self, user):
        """(flags, lock_seconds, failures) from GetAccount, as root."""
        return self.get_account_reply(user)[:3]

    def get_language(self, user):
        """(the account's language, the site default) from GetAccount; "" for none (R9.6)."""
        return self.get_account_reply(user)[3:]

    def is_bound(self, user):
        return bool(self.get_account(user)[0] & F_OTP_BOUND)

    def is_locked(self, user):
        return bool(self.get_account(user)[0] & F_LOCKED)

    def bus_session(self, uid=None):
        """One D-Bus connection to regsd (as uid) that stays open across calls."""
        return BusSession(self, uid)
