"""regsd's direct socket (regsd(8), DIRECT SOCKET): pam_regs reaches regsd peer to peer,
without dbus-daemon, by the same contract (data/tw.regs.Daemon1.xml); the caller is the uid
the kernel gives for the socket. The bus stays: the module falls back to it, regsctl uses it.

Independent clients speak to the socket here, not only our own: jeepney's authenticator and
message code (python3-jeepney) and GLib's gdbus."""

import contextlib
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from busnames import BUS_IFACE, BUS_NAME, BUS_PATH  # noqa: E402
from harness import check, check_in  # noqa: E402

UNREACHABLE = "not reachable"
NOWHERE = "/nonexistent/regs-test.sock"

# A p2p client written with jeepney, run as any uid: prints the reply's body or error name.
JEEPNEY_CALL = r"""
import socket, sys
from jeepney import DBusAddress, new_method_call
from jeepney.auth import Authenticator, BEGIN
from jeepney.low_level import Parser, MessageType
path, method, sig, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
auth = Authenticator()
for req in auth:
    s.sendall(req)
    auth.feed(s.recv(1024))
s.sendall(BEGIN)
addr = DBusAddress("%s", bus_name="tw.regs.Daemon1", interface="%s")
s.sendall(new_method_call(addr, method, sig, tuple(args)).serialise(serial=1))
p = Parser()
while True:
    data = s.recv(65536)
    if not data:
        print("CLOSED"); break
    p.add_data(data)
    m = p.get_next_message()
    if m:
        if m.header.message_type == MessageType.error:
            print("ERROR", m.header.fields.get(4))
        else:
            print("OK", m.body)
        break
"""


def _jeepney(env, uid, method, sig="", *args):
    code = JEEPNEY_CALL % (BUS_PATH, BUS_IFACE)
    cmd = env.as_user(uid) + ["/usr/bin/python3", "-c", code, env.direct_socket, method, sig]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30,
                       env=env.base_env())
    return (p.stdout + p.stderr).strip()


@contextlib.contextmanager
def _pam_env(env, **overrides):
    """Module processes with some variables changed (where the module looks for regsd)."""
    orig = env.pam_env

    def patched():
        e = orig()
        e.update(overrides)
        return e
    env.pam_env = patched
    try:
        yield
    finally:
        del env.pam_env


def _raw(env):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(harness.slow(5))
    s.connect(env.direct_socket)
    return s


def _auth(s, uid_text=None):
    """EXTERNAL authentication claiming uid_text (default: this process's uid); the answer."""
    uid_text = str(os.getuid()) if uid_text is None else uid_text
    s.sendall(b"\0AUTH EXTERNAL " + uid_text.encode().hex().encode() + b"\r\n")
    return s.recv(256)


def _closed(s):
    """True when regsd closed the connection (reads to the end)."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def _enrolled(env, user):
    if user not in env.secrets:
        env.enrol(user)
    return env.secrets[user]


def test_R2_1_login_over_the_direct_socket_without_the_bus(env):
    user = "user1"
    _enrolled(env, user)
    with _pam_env(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
        r = env.login(user, env.fresh_code(env.secrets[user]))
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS",
          "login over the direct socket alone refused", r, env.regsd_tail())


def test_R2_1_login_falls_back_to_the_bus_without_the_direct_socket(env):
    user = "user2"
    _enrolled(env, user)
    with _pam_env(env, REGS_DIRECT_SOCKET=NOWHERE):
        r = env.login(user, env.fresh_code(env.secrets[user]))
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS",
          "login over the bus alone refused", r, env.regsd_tail())


def test_R10_2_neither_path_refuses_the_login_clearly(env):
    user = "user3"
    _enrolled(env, user)
    with _pam_env(env, REGS_DIRECT_SOCKET=NOWHERE,
                  DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
        r = env.login(user, env.fresh_code(env.secrets[user]))
    check(r.auth != "PAM_SUCCESS", "login passed with regsd unreachable", r)
    check_in(UNREACHABLE, r.out + r.err, "no clear message", r)


def test_R2_4_replayed_code_refused_across_both_paths(env):
    """One truth behind both doors: a code used over the direct socket is spent on the bus."""
    user = "user4"
    secret = _enrolled(env, user)
    code = env.fresh_code(secret)
    with _pam_env(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
        r = env.login(user, code)
    check(r.auth == "PAM_SUCCESS", "first use refused", r, env.regsd_tail())
    with _pam_env(env, REGS_DIRECT_SOCKET=NOWHERE):
        r = env.login(user, code)
    check(r.auth != "PAM_SUCCESS", "the same code passed again over the bus", r)


def test_R9_4_R7_1_direct_caller_is_the_kernel_uid(env):
    """jeepney as alice: her own account answers, bob's is refused as on the bus."""
    out = _jeepney(env, "alice", "GetAccount", "s", "alice")
    check(out.startswith("OK"), "alice's own GetAccount over the direct socket: %s" % out)
    out = _jeepney(env, "alice", "GetAccount", "s", "bob")
    check_in("AccessDenied", out, "alice read bob's account over the direct socket")


def test_R9_4_forged_uid_in_authentication_rejected(env):
    cmd = env.as_user("alice") + ["/usr/bin/python3", "-c", (
        "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]);"
        "s.sendall(b'\\0AUTH EXTERNAL '+b'0'.hex().encode()+b'\\r\\n');"
        "print(s.recv(256))"), env.direct_socket]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env.base_env())
    check_in("REJECTED", p.stdout, "alice claiming uid 0 was not rejected", p.stderr)
    s = _raw(env)
    check(_auth(s).startswith(b"OK "), "root's true uid was not accepted")
    s.close()


def test_R12_6_garbage_on_the_direct_socket_ends_only_that_connection(env):
    user = "user5"
    _enrolled(env, user)
    s = _raw(env)
    s.sendall(os.urandom(4096))
    check(_closed(s), "garbage before authentication did not close the connection")
    s = _raw(env)
    check(_auth(s).startswith(b"OK "), "authentication refused")
    s.sendall(b"BEGIN\r\n" + b"l\x01\x00\x01" + os.urandom(200))
    check(_closed(s), "a malformed message did not close the connection")
    s = _raw(env)
    _auth(s)
    big = struct.pack("<4sIII", b"l\x01\x00\x01", 100 << 20, 1, 0)
    s.sendall(b"BEGIN\r\n" + big)
    check(_closed(s), "a message claiming 100 MiB did not close the connection")
    with _pam_env(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
        r = env.login(user, env.fresh_code(env.secrets[user]))
    check(r.auth == "PAM_SUCCESS", "login after garbage refused", r, env.regsd_tail())


def test_R12_2_one_user_cannot_crowd_out_logins(env):
    """alice holds as many connections as she can; root's logins still get through."""
    user = "user6"
    _enrolled(env, user)
    code = ("import os, socket, sys, time\nheld = []\n"
            "for i in range(80):\n"
            "    s = socket.socket(socket.AF_UNIX)\n"
            "    s.settimeout(5)\n"
            "    try:\n"
            "        s.connect(sys.argv[1])\n"
            "        s.sendall(b'\\0AUTH EXTERNAL ' + str(os.getuid()).encode().hex().encode()"
            " + b'\\r\\n')\n"
            "        if s.recv(64).startswith(b'OK'):\n"
            "            held.append(s)\n"
            "    except OSError:\n"
            "        pass\n"
            "print(len(held), flush=True)\ntime.sleep(30)\n")
    p = subprocess.Popen(env.as_user("alice") + ["/usr/bin/python3", "-c", code,
                                                  env.direct_socket],
                         stdout=subprocess.PIPE, text=True, env=env.base_env())
    try:
        held = int(p.stdout.readline() or "0")
        check(0 < held <= 32, "alice holds %d direct connections (at most 32 per uid)" % held)
        with _pam_env(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
            r = env.login(user, env.fresh_code(env.secrets[user]))
        check(r.auth == "PAM_SUCCESS", "root's login refused while alice holds connections",
              r, env.regsd_tail())
    finally:
        p.kill()
        p.wait()


def test_R10_2_full_direct_socket_sends_the_login_to_the_bus(env):
    """At regsd's limit a new direct connection is closed before it authenticates, so
    nothing it sent was done: the module sends the call over the bus instead."""
    user = "user10"
    _enrolled(env, user)
    held = []
    try:
        for _ in range(600):
            s = _raw(env)
            try:
                if not _auth(s).startswith(b"OK "):
                    s.close()
                    break
            except OSError:
                s.close()
                break
            held.append(s)
        check(len(held) == 512, "regsd took %d direct connections (512 at most)" % len(held))
        with _pam_env(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
            r = env.login(user, env.fresh_code(env.secrets[user]))
        check(r.auth != "PAM_SUCCESS", "a login passed a full direct socket without the bus", r)
        check_in(UNREACHABLE, r.out + r.err, "no clear message", r)
        r = env.login(user, env.fresh_code(env.secrets[user]))
        check(r.auth == "PAM_SUCCESS", "the login did not go over the bus", r,
              env.regsd_tail())
        check_in("its client uses the bus", env.regsd_log(), "the refusal was not logged")
    finally:
        for s in held:
            s.close()


def test_R10_2_stale_socket_after_kill_is_replaced(env):
    user = "user7"
    _enrolled(env, user)
    env.kill_regsd()
    check(os.path.exists(env.direct_socket), "kill -9 left no socket behind (test premise)")
    env.start_regsd()
    with _pam_env(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
        r = env.login(user, env.fresh_code(env.secrets[user]))
    check(r.auth == "PAM_SUCCESS", "login after restart refused", r, env.regsd_tail())


def test_R9_4_socket_in_a_writable_directory_refused(env):
    """Whoever may write the directory could put their own socket in its place: regsd does
    not listen there, says so, and serves on the bus."""
    user = "user8"
    _enrolled(env, user)
    d = env.path("open-dir")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)
    env.stop_regsd()
    sock = os.path.join(d, "regsd.sock")
    env.write_conf(direct_socket=sock)
    try:
        env.start_regsd(direct=False)
        check(not os.path.exists(sock), "regsd listens in a world-writable directory")
        check_in("not writable by group or others", env.regsd_log(), "no clear log line")
        check_in("serving on the bus only", env.regsd_log(), "no clear log line")
        with _pam_env(env, REGS_DIRECT_SOCKET=sock):
            r = env.login(user, env.fresh_code(env.secrets[user]))
        check(r.auth == "PAM_SUCCESS", "login over the bus refused", r, env.regsd_tail())
    finally:
        env.stop_regsd()
        env.write_conf(direct_socket=env.direct_socket)
        env.start_regsd()


def test_R9_4_module_refuses_a_direct_socket_not_served_by_root(env):
    """Only root may own regsd's bus name; likewise only a root process is taken for regsd on
    the direct socket. alice's impostor answering every call would be asked nothing."""
    user = "user9"
    _enrolled(env, user)
    d = env.path("alice-dir")
    os.makedirs(d, exist_ok=True)
    os.chown(d, env.users["alice"], env.users["alice"])
    fake = os.path.join(d, "fake.sock")
    code = ("import socket,sys,os\ns=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])\n"
            "os.chmod(sys.argv[1], 0o666); s.listen(8); print('up', flush=True)\n"
            "while True:\n    c, _ = s.accept(); c.recv(4096)\n"
            "    c.sendall(b'OK 0123456789abcdef0123456789abcdef\\r\\n')\n")
    p = subprocess.Popen(env.as_user("alice") + ["/usr/bin/python3", "-c", code, fake],
                         stdout=subprocess.PIPE, text=True, env=env.base_env())
    try:
        check(p.stdout.readline().strip() == "up", "impostor did not start")
        with _pam_env(env, REGS_DIRECT_SOCKET=fake):
            r = env.login(user, env.fresh_code(env.secrets[user]))
        check(r.auth == "PAM_SUCCESS", "login did not go to the real regsd over the bus", r,
              env.regsd_tail())
        with _pam_env(env, REGS_DIRECT_SOCKET=fake,
                      DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + NOWHERE):
            r = env.login(user, env.fresh_code(env.secrets[user]))
        check(r.auth != "PAM_SUCCESS", "a login passed through alice's impostor", r)
    finally:
        p.kill()
        p.wait()


def test_R9_4_socket_is_root_s_and_open_to_all_callers(env):
    st = os.stat(env.direct_socket)
    check(oct(st.st_mode & 0o777) == oct(0o666), "socket mode %o" % (st.st_mode & 0o777))
    check(st.st_uid == 0, "socket owned by uid %d" % st.st_uid)


def test_R11_1_gdbus_introspects_over_the_direct_socket(env):
    """GLib's own D-Bus client (authentication, fd negotiation, messages) against regsd."""
    p = subprocess.run(["gdbus", "introspect", "--address", "unix:path=" + env.direct_socket,
                        "--dest", BUS_NAME, "--object-path", BUS_PATH],
                       capture_output=True, text=True,
                       timeout=30, env=env.base_env())
    check(p.returncode == 0, "gdbus introspect failed", p.stdout, p.stderr)
    check_in("VerifyOtp", p.stdout, "the contract was not introspected")


def test_R10_2_regsd_removes_its_socket_on_stop(env):
    env.stop_regsd()
    gone = not os.path.exists(env.direct_socket)
    env.start_regsd()
    check(gone, "the socket stayed after a clean stop")


if __name__ == "__main__":
    harness.main(globals())
