"""A hostile local user on the bus (R12.1, R12.2, R9.4, R7.1, R2.4).

An unprivileged user (neither admin nor verifier) calls every method of
regsd's bus contract with wrong types and counts, other users' names, 1 MB
strings and odd characters, floods it, and holds 250 connections. Every bad
call must be answered with a refusal, regsd must keep serving a legitimate
PAM login meanwhile, its memory must stay bounded, and no other account may
change (GetAccount, GetStatus, GetLog, GetEmail, ListAccounts as root).
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rawbus  # noqa: E402
from harness import check  # noqa: E402

HOSTILE = "user30"      # uid 2030: in neither the admin nor the verifier group
VICTIM = "alice"        # OTP bound, 2 failures counted: one more would lock it
LOCKED_VICTIM = "bob"   # OTP bound and locked: an unlock would show
CARD_USER = "user20"    # holds a card login challenge through the flood (R12.2)
LEGIT = "user2"         # logs in through PAM while the attack runs
HANDLE = "0123456789abcdef0123456789abcdef"  # the shape of a challenge/flow handle
MB = 1 << 20

# Methods whose first value is a verification result (the bus contract's Result values).
RESULT_METHODS = {"VerifyOtp", "RecordFailure", "ConfirmOtpEnrol", "StepUp", "CardLogin",
                  "BindCard", "StepUpCard", "GoogleLogin", "OobBind", "VerifyEmail",
                  "RedeemResetCode", "CardLoginSerial", "AuthorizedKey"}
OOB_GONE = harness.OOB_GONE

# Characters a name, code, handle or free text must survive (all valid UTF-8:
# the bus itself drops a connection that sends invalid UTF-8 or a NUL).
ODD = ["\x01\x02\x7f", "\x1b[2J\x1b]0;owned\x07", "%s%n%x%p%99999999d", "../../../etc/shadow",
       "*", "alice\n", " alice", "alice ", "ALICE", "alice:", ":alice", "alice:" + HANDLE,
       "\u202ealice", "\ufeffalice", "\uff41\uff4c\uff49\uff43\uff45", "alice\u0301",
       "al\u0131ce", "\U0001f600" * 40, "a" * 63, "a" * 64, "a" * 300, "alice\r\nbob",
       "'; DROP TABLE accounts; --", "\\x00\\xff", "-" * 5 + "alice", "123456\n", "12345\u0661"]


def _victim_args():
    """For each method, calls that name another user's account or objects."""
    V, L = VICTIM, LOCKED_VICTIM
    code = _ctx.get("code", "123456")
    return {
        "GetAccount": [[V]],
        "VerifyOtp": [[V, code, "hostile", ""]],
        "RecordFailure": [[V, "otp", "hostile", ""], [L, "password", "hostile", ""]],
        "BeginOtpEnrol": [[V], [L]],
        "ConfirmOtpEnrol": [[V + ":" + HANDLE, code, "hostile", ""]],
        "CancelOtpEnrol": [[V + ":" + HANDLE]],
        "GetStatus": [[V]],
        "GetLog": [[V, 0, 100], ["*", 0, 100]],
        "ListAccounts": [[""], ["locked"]],
        "Unlock": [[L]],
        "Reset": [[V, ""], [L, "otp"]],
        "StepUp": [["otp", code, "hostile", ""]],
        "SetPasswordLogin": [[V, False], [L, True]],
        "PasswordChanged": [[V]],
        "SetClass": [[V, "institution"]],
        "SetEmail": [[V, "hostile@example.invalid"]],
        "VerifyEmail": [[code]],
        "GetEmail": [[V]],
        "SetLanguage": [[V, "zh_TW"], [L, ""]],
        "RequestResetCode": [[V, "binding", "hostile", ""], [V, "password", "hostile", ""]],
        "RedeemResetCode": [[V, "binding", "AB-123456", "hostile", ""]],
        "CardChallenge": [[V, "login"]],
        "CardLogin": [[HANDLE, b"\x30\x00", b"\x01", "hostile", ""]],
        "CardLoginSerial": [[HANDLE, b"", b"\x01", "hostile", "", "54570000000000000A01"]],
        "CardKnown": [[V, "54570000000000000A01"]],
        "BindCard": [[HANDLE, b"\x30\x00", b"\x01"]],
        "StepUpCard": [[HANDLE, b"\x30\x00", b"\x01", "card"]],
        "AuthorizedKey": [[V]],
        "GoogleBegin": [[V, "login", "hostile", ""], [V, "bind", "hostile", ""]],
        "GoogleLogin": [[HANDLE, code, "hostile", ""]],
        "MobileBegin": [[V, "A123456789", "login", "hostile", ""]],
        "MobileQr": [[HANDLE]],
        "OobWait": [[HANDLE]],
        "OobBind": [[HANDLE]],
        "OobCancel": [[HANDLE]],
    }


def _own_args(args):
    """The same call on the hostile user's own account (so odd values get past
    the access check and reach the parsers behind it)."""
    out = []
    for a in args:
        if isinstance(a, str) and a in (VICTIM, LOCKED_VICTIM):
            a = HOSTILE
        elif isinstance(a, str) and a.startswith(VICTIM + ":"):
            a = HOSTILE + a[len(VICTIM):]
        out.append(a)
    return out


def contract(env):
    """{method: in signature} of the bus contract (data/tw.regs.Daemon1.xml, from which regsd's
    method table takes its names and signatures; the build checks the table has them all)."""
    table = {name: sig_in for name, (sig_in, _) in harness.METHODS.items()}
    check(len(table) >= 30, "the bus contract's methods not found", table)
    return table


def refused(method, reply):
    """An error, or a reply that grants nothing."""
    if reply.error:
        return True
    if method in RESULT_METHODS:
        return bool(reply.values) and reply.values[0] != harness.R_OK
    if method == "OobWait":
        return bool(reply.values) and reply.values[0] == OOB_GONE
    if method == "CardKnown":  # no certificate held for this caller's card
        return reply.values == [False]
    return method == "OobCancel" and reply.values == []


def retype(sig, args):
    """Wrong-type variants of (sig, args): each argument of another type, and
    every argument as uint32."""
    subst = {"s": ("u", 7), "t": ("s", "0"), "u": ("s", "7"), "b": ("s", "true"),
             "y": ("s", "x")}
    types = rawbus._Wire.split(sig)
    out = []
    for i, t in enumerate(types):
        if t == "ay":
            alts = [("s", "x" * 10), ("as", ["a"]), ("ai", [1, 2])]
        else:
            alts = [subst.get(t, ("u", 1)), ("ay", b"x"), ("v", ("s", "x")),
                    ("a{sv}", [["k", ["s", "v"]]]), ("(ss)", ["a", "b"])]
        for nt, nv in alts:
            out.append(("".join(types[:i] + [nt] + types[i + 1:]),
                        args[:i] + [nv] + args[i + 1:]))
    out.append(("u" * len(types), [1] * len(types)))
    return out


def recount(sig, args):
    """Too few and too many arguments."""
    types = rawbus._Wire.split(sig)
    out = [("", [])]
    if len(types) > 1:
        out.append(("".join(types[:-1]), args[:-1]))
    out.append((sig + "s", args + ["extra"]))
    out.append((sig + sig, args + args))
    return out


# ---------------------------------------------------------------- set-up and checks


_ctx = {}


def ready(env):
    """Enrols the accounts once per fresh state: the victims get counted failures and a lock."""
    if "before" in _ctx and _ctx["generation"] == env.generation:
        return _ctx
    for u in (VICTIM, LOCKED_VICTIM, LEGIT, HOSTILE):
        env.enrol(u)
    # The code sent as the hostile user's own: right for no step of the run.
    step = env.now() // 30
    near = {harness._py_totp(env.secrets[HOSTILE], s) for s in range(step - 10, step + 100)}
    _ctx["code"] = next(c for c in ("%06d" % n for n in range(123456, 1000000))
                        if c not in near)
    root = rawbus.connect(env)
    for _ in range(2):
        r = root.call("VerifyOtp", "ssss", [VICTIM, env.wrong_code(env.secrets[VICTIM]),
                                             "setup", ""])
        check(r.values and r.values[0] == harness.R_WRONG, "set-up failure: %r" % r)
    for _ in range(3):
        root.call("VerifyOtp", "ssss", [LOCKED_VICTIM,
                                         env.wrong_code(env.secrets[LOCKED_VICTIM]), "setup", ""])
    r = root.call("SetEmail", "ss", [VICTIM, "alice@example.invalid"])
    check(not r.error, "admin SetEmail: %r" % r)
    check(env.get_account(VICTIM)[2] == 2, "victim set-up: %r" % (env.get_account(VICTIM),))
    check(env.is_locked(LOCKED_VICTIM), "locked victim set-up: %r"
          % (env.get_account(LOCKED_VICTIM),))
    _ctx.update(root=root, contract=contract(env), before=snapshot(env, root),
                generation=env.generation)
    return _ctx


def snapshot(env, root):
    """What root sees of the other accounts (lock as a flag: the seconds run on)."""
    out = {}
    rows = root.call("ListAccounts", "s", [""])
    check(not rows.error, "ListAccounts: %r" % rows)
    for u in (VICTIM, LOCKED_VICTIM, LEGIT):
        acc = root.call("GetAccount", "s", [u]).values
        st = root.call("GetStatus", "s", [u])
        log = root.call("GetLog", "stu", [u, 0, 10000])
        em = root.call("GetEmail", "s", [u])
        check(not (st.error or log.error or em.error), "root snapshot of %s" % u, st, log, em)
        row = [[r[0], r[1], r[2], r[3] > 0] for r in rows.values[0] if r[0] == u]
        out[u] = {"flags": acc[0], "locked": acc[1] > 0, "failures": acc[2], "language": acc[3],
                  "status": st.values, "log": log.values[0], "email": em.values, "row": row}
    out[LEGIT] = {k: v for k, v in out[LEGIT].items() if k == "status"}  # it logs in meanwhile
    return out


def check_unchanged(env, what):
    ctx = _ctx
    after = snapshot(env, ctx["root"])
    for u, b in ctx["before"].items():
        for k, v in b.items():
            check(after[u][k] == v, "%s: %s of %s changed" % (what, k, u),
                  "before: %r" % (v,), "after:  %r" % (after[u][k],))
    check(env.regsd_proc.poll() is None, "%s: regsd exited" % what, env.regsd_tail())


def rss(env):
    """(VmRSS, RssAnon) of regsd in kB."""
    vals = {}
    with open("/proc/%d/status" % env.regsd_proc.pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon"):
                vals[k] = int(v.split()[0])
    return vals["VmRSS"], vals["RssAnon"]


def under_asan(env):
    """True when regsd is built with AddressSanitizer: its quarantine keeps
    freed memory resident on purpose, so RSS says nothing about leaks there
    (LeakSanitizer checks them in that pass instead)."""
    with open("/proc/%d/maps" % env.regsd_proc.pid) as f:
        if "libasan" in f.read():  # gcc: the runtime is a shared library
            return True
    with open(env.regsd_bin, "rb") as f:  # clang: linked into the program
        return b"__asan_init" in f.read()


def check_memory(env, grew_kb, anon_kb, what):
    """The bounds of the flood: a leak of 1 KB per call breaks them."""
    if under_asan(env):
        harness._diag("%s: memory bound not asserted, regsd runs under AddressSanitizer"
                      % what)
        return
    check(grew_kb <= 3072, "regsd VmRSS grew %d kB over %s" % (grew_kb, what))
    check(anon_kb <= 2048, "regsd anonymous memory grew %d kB over %s" % (anon_kb, what))


def legit_login(env):
    """A real PAM login (password + fresh code) of the legitimate user."""
    t = time.monotonic()
    r = env.login(LEGIT, env.fresh_code(env.secrets[LEGIT]), timeout=30)
    check(r.ok, "the legitimate login failed under attack", r, env.regsd_tail())
    return time.monotonic() - t


def send_all(conn, calls, what):
    """Pipelines [(method, sig, args)] on conn; every reply must refuse."""
    replies = conn.pipeline([(m, s, a) for m, s, a in calls])
    bad = [(m, s, repr(a)[:120], r) for (m, s, a), r in zip(calls, replies)
           if not refused(m, r)]
    check(not bad, "%s: %d of %d calls were not refused" % (what, len(bad), len(calls)),
          *bad[:10])
    return replies


# ---------------------------------------------------------------- the tests


def test_R12_2_every_method_wrong_types_and_counts_get_invalid_args(env):
    ctx = ready(env)
    check(set(ctx["contract"]) == set(_victim_args()),
          "the bus contract and this test disagree: add the new method here",
          sorted(set(ctx["contract"]) ^ set(_victim_args())))
    with rawbus.Connector(env, HOSTILE) as k:
        conn, = k.open(1)
        calls = []
        for method, sig in ctx["contract"].items():
            args = _own_args(_victim_args()[method][0])
            for s, a in retype(sig, args) + recount(sig, args):
                calls.append((method, s, a))
        replies = send_all(conn, calls, "wrong types and counts")
        wrong = [(m, s, r) for (m, s, _), r in zip(calls, replies)
                 if r.error != "tw.regs.Error.InvalidArgs"]
        check(not wrong, "%d calls with a wrong signature were not InvalidArgs" % len(wrong),
              *wrong[:10])
        harness._diag("%d wrong-signature calls over %d methods: all InvalidArgs"
                      % (len(calls), len(ctx["contract"])))
        # Not our interface or object: refused too, by name.
        r = conn.call("GetAccount", "s", [VICTIM], iface="org.example.Other")
        check(r.error == "tw.regs.Error.UnknownMethod", "other interface: %r" % r)
        r = conn.call("GetAccount", "s", [VICTIM], path="/tw/regs/Other")
        check(r.error, "other object path answered: %r" % r)
        # Introspection is open to everyone and read-only: the contract, nothing else
        # (test_contract.py compares it method by method).
        r = conn.call("Introspect", "", [], iface="org.freedesktop.DBus.Introspectable")
        check(not r.error and '<interface name="%s">' % harness.BUS_IFACE in r.values[0],
              "introspection did not answer the contract: %r" % r)
        r = conn.call("Introspect", "s", ["x"], iface="org.freedesktop.DBus.Introspectable")
        check(r.error == "org.freedesktop.DBus.Error.InvalidArgs",
              "Introspect with an argument: %r" % r)
        conn.close()
    legit_login(env)
    check_unchanged(env, "wrong types")


def test_R9_4_R7_1_other_users_names_refused_and_nothing_changes(env):
    ctx = ready(env)
    with rawbus.Connector(env, HOSTILE) as k:
        conn, = k.open(1)
        calls = [(m, ctx["contract"][m], a) for m, variants in _victim_args().items()
                 for a in variants]
        replies = send_all(conn, calls, "other users' names")
        errors = {}
        for (m, _, _), r in zip(calls, replies):
            errors[r.error or "result"] = errors.get(r.error or "result", 0) + 1
        harness._diag("%d calls naming other accounts: %r" % (len(calls), errors))
        for method in ("GetAccount", "GetStatus", "GetLog", "GetEmail", "Unlock", "Reset",
                       "SetClass", "SetEmail", "SetLanguage", "VerifyOtp", "BeginOtpEnrol"):
            r = [r for (m, _, _), r in zip(calls, replies) if m == method][0]
            check(r.error in ("tw.regs.Error.AccessDenied",
                              "org.freedesktop.DBus.Error.AccessDenied"),
                  "%s on %s: want AccessDenied, got %r" % (method, VICTIM, r))
        conn.close()
    check_unchanged(env, "other users' names")


def test_R12_1_odd_characters_in_every_string_refused(env):
    ctx = ready(env)
    with rawbus.Connector(env, HOSTILE) as k:
        conn, = k.open(1)
        calls = []
        for method, sig in ctx["contract"].items():
            types = rawbus._Wire.split(sig)
            for base in (_victim_args()[method][0], _own_args(_victim_args()[method][0])):
                for i, t in enumerate(types):
                    if t != "s":
                        continue
                    for odd in ODD:
                        calls.append((method, sig, base[:i] + [odd] + base[i + 1:]))
        send_all(conn, calls, "odd characters")
        harness._diag("%d calls with odd characters in a string: all refused" % len(calls))
        conn.close()
    # What the bus itself refuses (invalid UTF-8, a NUL): it drops that
    # connection; regsd must not notice.
    for bad in (b"alice\xff\xfe", b"ali\x00ce", b"\xc0\xaf"):
        with rawbus.Connector(env, HOSTILE) as k:
            conn, = k.open(1)
            raw = bytearray(rawbus.encode_call(conn.serial + 1, "GetAccount", "s",
                                               ["X" * len(bad)]))
            at = raw.rfind(b"X" * len(bad))
            raw[at:at + len(bad)] = bad
            conn.send_raw(bytes(raw))
            try:
                r = conn.reply(conn.serial + 1, timeout=10)
                check(r.error, "an invalid string was answered: %r" % r)
            except rawbus.BusClosed:
                pass
            conn.close()
    legit_login(env)
    check_unchanged(env, "odd characters")


def test_R12_1_one_megabyte_strings_refused(env):
    ctx = ready(env)
    big, big_bytes = "A" * MB, b"\x30" * MB
    with rawbus.Connector(env, HOSTILE) as k:
        conn, = k.open(1)
        n = 0
        for method, sig in ctx["contract"].items():
            types = rawbus._Wire.split(sig)
            for base in (_victim_args()[method][0], _own_args(_victim_args()[method][0])):
                calls = []
                for i, t in enumerate(types):
                    if t in ("s", "ay"):
                        calls.append((method, sig, base[:i] + [big if t == "s" else big_bytes]
                                      + base[i + 1:]))
                calls.append((method, sig, [big if t == "s" else big_bytes if t == "ay"
                                            else v for t, v in zip(types, base)]))
                send_all(conn, calls, "1 MB arguments")
                n += len(calls)
        harness._diag("%d calls with 1 MB arguments: all refused" % n)
        conn.close()
    legit_login(env)
    check_unchanged(env, "1 MB strings")


def _flood_calls(ctx):
    """One round of the flood: every method, with others' names, odd values and
    wrong types, and the card challenges a user may ask for itself."""
    calls = []
    for method, sig in ctx["contract"].items():
        for a in _victim_args()[method]:
            calls.append((method, sig, a))
            calls.append((method, sig, _own_args(a)))
        args = _own_args(_victim_args()[method][0])
        calls.append((method, "u" * len(rawbus._Wire.split(sig)), [1] * len(args)))
        for odd in ODD[:6]:
            calls.append((method, sig, [odd if isinstance(v, str) else v for v in args]))
    calls += [("CardChallenge", "ss", ["", "bind"]), ("CardChallenge", "ss", ["", "step-up"])]
    return calls


def _flood(env, ctx, conns, total):
    """Sends about total flood calls spread over conns (one thread each); the
    replies are counted (progress[i] as they come), not judged: a quota may
    refuse the card challenges."""
    base = _flood_calls(ctx)
    per = total // len(conns)
    progress, errs = [0] * len(conns), []

    def run(i, conn):
        calls = [base[(j + i) % len(base)] for j in range(per)]
        try:
            for at in range(0, per, 500):
                progress[i] += len(conn.pipeline(calls[at:at + 500], window=64, timeout=60))
        except Exception as e:  # judged below
            errs.append(repr(e))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    return threads, progress, errs


def test_R12_2_flood_keeps_serving_and_memory_bounded(env):
    ctx = ready(env)
    total = 12000
    with rawbus.Connector(env, HOSTILE) as k:
        conns = k.open(4)
        # Warm-up: the same mix once, so caches and the allocator reach their
        # working size before the baseline is taken.
        threads, progress, errs = _flood(env, ctx, conns, 2000)
        for t in threads:
            t.join(60)
        check(not errs and sum(progress) == 2000, "warm-up flood: %r" % errs, progress)
        rss0, anon0 = rss(env)
        t0 = time.monotonic()
        threads, progress, errs = _flood(env, ctx, conns, total)
        during = []  # (seconds, flood calls answered when the login ended)
        while any(t.is_alive() for t in threads) and len(during) < 10:
            took = legit_login(env)
            during.append((took, sum(progress)))
        for t in threads:
            t.join(90)
        elapsed = time.monotonic() - t0
        check(not errs, "flood calls went unanswered: %r" % errs[:3])
        check(sum(progress) == total, "flood: %d of %d calls answered" % (sum(progress), total))
        rss1, anon1 = rss(env)
        for c in conns:
            c.close()
    after = legit_login(env)
    harness._diag("flood: %d calls in %.1f s (%.0f/s); legitimate logins during it "
                  "(seconds, flood calls answered by then): %s; after: %.2f s" % (
                      total, elapsed, total / elapsed,
                      ", ".join("%.2f/%d" % d for d in during), after))
    check(any(n < total for _, n in during),
          "no legitimate login completed while the flood ran", during)
    harness._diag("regsd VmRSS %d -> %d kB, RssAnon %d -> %d kB over %d calls"
                  % (rss0, rss1, anon0, anon1, total))
    # A leak of 1 KB per call would add about 12 MB; allow 3 MB (256 B per call)
    # for the allocator, LMDB pages of the hostile's own audit rows and the like.
    check_memory(env, rss1 - rss0, anon1 - anon0, "%d flood calls" % total)
    check_unchanged(env, "flood")


def test_R12_2_flood_of_250_connections_keeps_serving(env):
    ctx = ready(env)
    rss0, anon0 = rss(env)
    with rawbus.Connector(env, HOSTILE) as k:
        t = time.monotonic()
        conns = k.open(250)
        opened = time.monotonic() - t
        # Every connection asks something at once; every one is answered.
        serials = [(c, c.send("GetAccount", "s", [VICTIM]), c.send("GetAccount", "s", [""]),
                    c.send("CardChallenge", "ss", ["", "bind"])) for c in conns]
        login = legit_login(env)  # while all 250 are open and waiting
        for c, s1, s2, s3 in serials:
            r1, r2, r3 = c.reply(s1), c.reply(s2), c.reply(s3)
            check(r1.error == "tw.regs.Error.AccessDenied", "GetAccount(victim): %r" % r1)
            check(not r2.error and len(r2.values) == 5, "GetAccount(own): %r" % r2)
            check(r3 is not None, "CardChallenge unanswered")
        rss_open, _ = rss(env)
        for c in conns:
            c.close()
    time.sleep(0.5)  # regsd sees the connections leave (NameOwnerChanged)
    login2 = legit_login(env)
    rss1, anon1 = rss(env)
    harness._diag("250 connections opened in %.1f s; logins took %.2f s (while open) and "
                  "%.2f s (after); VmRSS %d -> %d (open) -> %d kB; RssAnon %d -> %d kB"
                  % (opened, login, login2, rss0, rss_open, rss1, anon0, anon1))
    check_memory(env, rss1 - rss0, anon1 - anon0, "250 connections")
    check_unchanged(env, "250 connections")


def test_R12_2_card_flood_does_not_evict_another_users_challenge(env):
    """The module (root) holds a login challenge for CARD_USER; the hostile
    user then asks for 300 card challenges of its own, more than the table
    has slots (256). The module's challenge must still be there: CardLogin
    with it is judged on the card, not refused as an unknown challenge
    (REGS_R_BAD_CHALLENGE)."""
    ready(env)
    env.advance(121)  # every challenge of the earlier tests has expired (120 s)
    module = rawbus.connect(env)
    r = module.call("CardChallenge", "ss", [CARD_USER, "login"])
    check(not r.error, "CardChallenge for the module: %r" % r)
    handle = r.values[0]
    env.advance(1)  # the hostile user comes a second later: the module's is the oldest
    with rawbus.Connector(env, HOSTILE) as k:
        conn, = k.open(1)
        replies = conn.pipeline([("CardChallenge", "ss", ["", "bind"])] * 300)
        granted = sum(1 for x in replies if not x.error)
        conn.close()
    r = module.call("CardLogin", "sayayss", [handle, b"\x30\x00", b"\x01", "login", ""])
    module.close()
    harness._diag("hostile got %d of 300 card challenges; the module's CardLogin: %r"
                  % (granted, r))
    check(not r.error and r.values[0] != harness.R_OK, "CardLogin with a bogus card: %r" % r)
    check(r.values[0] != 14, "the hostile user's challenges evicted another user's login "
          "challenge (REGS_R_BAD_CHALLENGE)", r)
    check_unchanged(env, "card challenge flood")


if __name__ == "__main__":
    harness.main(globals(), conf={"lock_minutes": "1440"})
