"""The bus contract: regsd answers org.freedesktop.DBus.Introspectable with
data/tw.regs.Daemon1.xml, the one description of its interface, to every caller (the bus
policy allows Introspect), as gdbus and busctl show it; and its TooSoon errors carry the
seconds to wait as a typed value, which regsctl prints. Real dbus-daemon, regsd on its LMDB."""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rawbus  # noqa: E402
from harness import check, check_in  # noqa: E402

INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"


def _interface(root, name):
    found = [i for i in root.iter("interface") if i.get("name") == name]
    check(len(found) == 1, "interface %s %d times in the introspection" % (name, len(found)))
    return found[0]


def _methods(iface):
    """{method: [(arg name, type, direction)]} of an <interface> element."""
    return {m.get("name"): [(a.get("name"), a.get("type"), a.get("direction", "in"))
                            for a in m.iter("arg")]
            for m in iface.iter("method")}


def _annotations(iface):
    return {a.get("name"): a.get("value") for a in iface if a.tag == "annotation"}


def _introspect(conn, path=harness.BUS_PATH):
    r = conn.call("Introspect", "", [], iface=INTROSPECTABLE, path=path)
    check(not r.error and len(r.values) == 1, "Introspect on %s: %r" % (path, r))
    return ET.fromstring(r.values[0])


def _contract():
    return _interface(ET.parse(harness.CONTRACT_XML).getroot(), harness.BUS_IFACE)


def test_contract_introspect_answers_every_method_and_signature_of_the_xml(env):
    conn = rawbus.connect(env)
    try:
        root = _introspect(conn)
    finally:
        conn.close()
    want, got = _contract(), _interface(root, harness.BUS_IFACE)
    differ = sorted(m for m in set(_methods(got)) | set(_methods(want))
                    if _methods(got).get(m) != _methods(want).get(m))
    check(not differ, "the methods regsd describes are not the contract's", differ)
    check(_annotations(got) == _annotations(want), "errors, flags or results differ",
          sorted(set(_annotations(got).items()) ^ set(_annotations(want).items())))
    check(len(_methods(got)) == len(harness.METHODS) >= 30,
          "%d methods described, %d in busnames" % (len(_methods(got)), len(harness.METHODS)))
    for name in ("org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Peer"):
        _interface(root, name)


def test_contract_introspect_is_open_to_any_user_and_lists_the_path_down(env):
    with rawbus.Connector(env, "alice") as k:
        conn, = k.open(1)
        root = _introspect(conn)
        _interface(root, harness.BUS_IFACE)
        path, parts = "/", harness.BUS_PATH.strip("/").split("/")
        for part in parts:
            children = [n.get("name") for n in _introspect(conn, path).iter("node")
                        if n.get("name") and not n.get("name").startswith("/")]
            check(children == [part], "Introspect %s: children %r, want [%r]"
                  % (path, children, part))
            path = path.rstrip("/") + "/" + part
        r = conn.call("Introspect", "", [], iface=INTROSPECTABLE, path="/tw/other")
        check(r.error, "an object regsd does not have was described: %r" % r)
        r = conn.call("GetAccount", "s", ["bob"])
        check(r.error == harness.ERRORS["ACCESS_DENIED"],
              "introspection opened another account to alice: %r" % r)
        conn.close()


def _gdbus(env, *args):
    p = subprocess.run(["gdbus", "introspect", "--system", "--dest", harness.BUS_NAME] +
                       list(args), capture_output=True, text=True, env=env.base_env(),
                       timeout=harness.slow(30))
    check(p.returncode == 0, "gdbus introspect %s: exit %d" % (" ".join(args), p.returncode),
          p.stdout, p.stderr)
    return p.stdout


def test_contract_gdbus_introspect_shows_every_method_with_its_arguments(env):
    if not shutil.which("gdbus"):
        raise harness.Skip("gdbus (libglib2.0-bin) not installed")
    # gdbus puts one argument a line, aligned: compared with the spaces folded.
    out = re.sub(r"\s+", " ", _gdbus(env, "--object-path", harness.BUS_PATH))
    check_in("interface %s {" % harness.BUS_IFACE, out, "gdbus introspect")
    for name, args in _methods(_contract()).items():
        line = "%s(%s);" % (name, ", ".join("%s %s %s" % (d, t, n) for n, t, d in args))
        check_in(line, out, "gdbus introspect shows %s" % name)
    out = _gdbus(env, "--object-path", "/", "--recurse")
    check(re.search(r"node %s \{" % re.escape(harness.BUS_PATH), out) and
          "interface %s {" % harness.BUS_IFACE in out,
          "gdbus introspect --recurse from / does not reach regsd's object", out)


def test_contract_busctl_introspect_shows_every_method(env):
    if not shutil.which("busctl"):
        raise harness.Skip("busctl not installed")
    p = subprocess.run(["busctl", "--system", "introspect", "--no-pager", harness.BUS_NAME,
                        harness.BUS_PATH, harness.BUS_IFACE], capture_output=True, text=True,
                       env=env.base_env(), timeout=harness.slow(30))
    if p.returncode != 0 and "Transport endpoint" in p.stderr:
        raise harness.Skip("busctl cannot reach the test bus: %s" % p.stderr.strip())
    check(p.returncode == 0, "busctl introspect: exit %d" % p.returncode, p.stdout, p.stderr)
    for name, (sig_in, sig_out) in harness.METHODS.items():
        check(re.search(r"^\.%s\s+method\s+%s\s+%s\s" % (name, re.escape(sig_in or "-"),
                                                         re.escape(sig_out or "-")),
                        p.stdout, re.M), "busctl introspect: %s (%s) -> (%s)"
              % (name, sig_in, sig_out), p.stdout)


def test_contract_regsd_replies_with_the_signatures_of_the_contract(env):
    """regsd logs a reply whose signature is not the contract's (daemon/service.c); the
    read-only methods, as root, for an account with and without bindings."""
    env.enrol("alice")
    conn = rawbus.connect(env)
    try:
        calls = [("GetAccount", ["alice"]), ("GetAccount", ["nobody"]), ("GetStatus", ["alice"]),
                 ("GetLog", ["*", 0, 10]), ("ListAccounts", [""]), ("GetEmail", ["alice"]),
                 ("AuthorizedKey", ["alice"]), ("CardKnown", ["alice", "00"]),
                 ("OobWait", ["nohandle"])]
        for method, args in calls:
            r = conn.call(method, harness.METHODS[method][0], args)
            check(not r.error, "%s%r: %r" % (method, tuple(args), r))
    finally:
        conn.close()
    check("bus contract:" not in env.regsd_log(), "regsd replied outside the contract",
          env.regsd_log()[-3000:])


def test_contract_too_soon_carries_the_seconds_to_wait_typed(env):
    user = "bob"
    env.enrol(user)
    env.call_ok("SetEmail", "string:" + user, "string:%s@example.test" % user)
    with rawbus.Connector(env, user) as k:
        conn, = k.open(1)
        r = conn.call("RequestResetCode", "ssss", ["", "binding", "test", ""])
        check(not r.error, "first reset code: %r" % r)
        r = conn.call("RequestResetCode", "ssss", ["", "binding", "test", ""])
        conn.close()
    check(r.error == harness.ERRORS["TOO_SOON"], "a second code at once: %r" % r)
    v = r.values
    check(len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], int) and 0 < v[1] <= 3600,
          "TooSoon's body is not (s message, u seconds_to_wait): %r" % (v,))
    rc, out, err_text = env.regsctl(["reset-code", "request", "--no-wait"], uid=user, input="")
    m = re.search(r"try again in (\d+) s\b", err_text)
    check(m and 0 < int(m.group(1)) <= v[1], "regsctl does not print the typed wait (%d s)"
          % v[1], out, err_text)


if __name__ == "__main__":
    harness.main(globals(), smtp=True)
