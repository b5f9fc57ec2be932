"""The fleet (R10.1, R10.2): two regsd "hosts" (each its own private bus, temp dir and regsd,
tests/integration/fleetenv.py) share one real PostgreSQL that the test starts itself
(pgserver.py: initdb + pg_ctl as nobody, Unix socket only) and one seal key. Every rule that
holds on one host holds across both: a used code, the failure count and the lock, bindings
and their one-to-one indexes, enrolment, e-mailed codes, the activity log; what belongs to a
connection (a step-up proof) stays on its host. Concurrent attempts on both hosts are
released at once by a barrier (the helpers of test_concurrency.py); a card is bound over
the bus as test_card.py does it (CardChallenge + BindCard signed with the test PKI's key, no
reader needed). With PostgreSQL down a login is refused with the "unavailable" text and
nothing is counted; regsd reconnects by itself.
"""

import os
import re
import shutil
import sys
import tempfile
import threading
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleetenv  # noqa: E402
import harness  # noqa: E402
from harness import F_CARD_BOUND, F_LOCKED, check, check_in  # noqa: E402
import rawbus  # noqa: E402
import test_card as card  # noqa: E402
import test_concurrency as race  # noqa: E402
import test_google as google  # noqa: E402
import test_lifecycle as lifecycle  # noqa: E402
import test_mobile as mobile  # noqa: E402

THRESHOLD = 3  # lock_threshold (regs.conf default)
ROUNDS = 5
MSG_USED = "already been used"
MSG_UNAVAILABLE = "unavailable"
E_STEP_UP = "tw.regs.Error.StepUpRequired"
E_UNAVAILABLE = harness.ERRORS["UNAVAILABLE"]


class _State:
    crl = None    # the CRL server of the card tests
    tmp = None    # the test PKI's directory
    missing = {}  # binding kind -> why its provider could not be set up


S = _State()


# ---------------------------------------------------------------- helpers


def connections(fleet, per_host):
    """per_host bus connections (as root, like pam_regs) to each host, A's first."""
    return [rawbus.connect(h) for h in fleet.hosts for _ in range(per_host)]


def race_codes(fleet, user, codes, per_host):
    """codes[i] sent as VerifyOtp(user, codes[i]) on connection i (per_host connections to
    each host, A's first), all released at once; returns the verdicts (result numbers, or
    the reply / exception when there was none)."""
    conns = connections(fleet, per_host)
    results = [None] * len(conns)
    try:
        for t in race.release(threading.Barrier(len(conns)), conns, user, codes, results):
            t.join(60)
    finally:
        for c in conns:
            c.close()
    return race.verdicts(results)


def on_both(fleet, what):
    """what(host) on A and on B."""
    return [what(h) for h in fleet.hosts]


def check_account_on_both(fleet, user, locked, failures, why):
    for h, (flags, lock, count) in zip(fleet.hosts, on_both(fleet, lambda h: h.get_account(user))):
        name = h.conf_values()["host_name"]
        check(bool(flags & F_LOCKED) == locked and (lock > 0) == locked,
              "%s: %s says the account is %slocked: %r" % (why, name, "" if flags & F_LOCKED
                                                           else "not ", (flags, lock, count)))
        check(count == failures, "%s: %s counts %d failures, want %d" % (why, name, count,
                                                                          failures))


def wait_reconnected(host, user, timeout=30):
    """Waits until host answers GetAccount again (regsd tries the database at most once a
    second after a failed try): R10.2, it reconnects by itself, without a restart."""
    deadline = time.monotonic() + harness.slow(timeout)
    while True:
        rc, out, err = host.dbus_call("GetAccount", "string:" + user)
        if rc == 0:
            return
        check(harness.dbus_error_name(err) == E_UNAVAILABLE,
              "GetAccount after the database came back: %s" % err.strip())
        check(time.monotonic() < deadline, "R10.2: %s did not reconnect within %ss of the "
              "database's return" % (host.conf_values()["host_name"], timeout),
              host.regsd_tail())
        time.sleep(0.2)


def only_results(v, allowed, what):
    names = {harness.R_OK: "ok", harness.R_WRONG: "wrong", harness.R_REPLAYED: "replayed",
             harness.R_LOCKED: "locked"}
    bad = [x for x in v if x not in allowed]
    check(not bad, "%s: a reply that is not %s (a storage or unavailable error reached the "
          "caller?)" % (what, "/".join(names[a] for a in allowed)), bad)


# ---------------------------------------------------------------- R2.4 across hosts


def test_R10_1_R2_4_code_accepted_on_a_is_refused_on_b(env):
    user = "user1"
    env.a.enrol(user)
    code = env.a.fresh_code(env.a.secrets[user])
    r = env.a.login(user, code, rhost="fleet-a")
    check(r.ok, "the fresh code was refused on host A", r, env.regsd_tail())
    r = env.b.login(user, code, rhost="fleet-b")
    check(r.auth != "PAM_SUCCESS", "R2.4: the code used on host A let a login in on host B", r)
    check_in(MSG_USED, r.error_text, "host B's message for a code used on A", r)
    check_account_on_both(env, user, False, 0, "R12.3: a replay on the other host")
    env.b.login_ok(user)


def test_R10_1_R2_4_same_code_at_both_hosts_at_once_is_accepted_exactly_once(env):
    user = "user2"
    secret = env.a.enrol(user)
    for rnd in range(ROUNDS):
        code = env.a.fresh_code(secret)
        v = race_codes(env, user, [code] * 4, per_host=2)
        harness._diag("round %d, one code at both hosts at once: %s" % (rnd, race.tally(v)))
        only_results(v, (harness.R_OK, harness.R_REPLAYED), "round %d" % rnd)
        check(v.count(harness.R_OK) == 1, "round %d: the code was accepted %d times over "
              "two hosts, want exactly once" % (rnd, v.count(harness.R_OK)), v)
    # and through the real module on both hosts at once
    code = env.a.fresh_code(secret)
    results = [None] * 4
    barrier = threading.Barrier(4)
    threads = race.pam_racers(env.a, barrier, user, [code] * 2, results)
    threads += race.pam_racers(env.b, barrier, user, [code] * 2, results, offset=2)
    for t in threads:
        t.join(120)
    for r in results:
        check(isinstance(r, harness.PamResult), "a PAM login failed to run: %r" % (r,))
    ok = [r for r in results if r.auth == "PAM_SUCCESS"]
    check(len(ok) == 1, "%d PAM logins on two hosts succeeded with one code, want 1"
          % len(ok), *results)
    for r in results:
        if r.auth != "PAM_SUCCESS":
            check_in(MSG_USED, r.error_text, "the other logins are told the code was used", r)
    check_account_on_both(env, user, False, 0, "R12.3: replays over two hosts")


# ---------------------------------------------------------------- R9.1 across hosts


def test_R10_1_R9_1_failures_on_a_and_b_add_up(env):
    user = "user3"
    secret = env.a.enrol(user)
    for n, host in enumerate((env.a, env.b), 1):
        r = host.login(user, host.wrong_code(secret))
        check(r.auth != "PAM_SUCCESS", "a wrong code let a login in", r)
        check_account_on_both(env, user, False, n, "after %d wrong codes" % n)
    r = env.a.login(user, env.a.wrong_code(secret))
    check(r.auth != "PAM_SUCCESS", "the third wrong code let a login in", r)
    check_account_on_both(env, user, True, THRESHOLD,
                          "R9.1: wrong codes on B, A and A (one on B) lock the account")
    r = env.b.login(user, env.b.fresh_code(secret))
    check(r.auth != "PAM_SUCCESS", "host B let the right code in on an account locked on A", r)
    check_in("Try again in", r.error_text, "host B's lock message", r)


def test_R10_1_R9_1_eight_concurrent_wrong_attempts_over_two_hosts_lock_after_exactly_three(
        env):
    user = "user4"
    secret = env.a.enrol(user)
    n = 8
    v = race_codes(env, user, [env.a.wrong_code(secret) for _ in range(n)], per_host=n // 2)
    harness._diag("8 wrong codes over two hosts at once: %s" % race.tally(v))
    only_results(v, (harness.R_WRONG, harness.R_LOCKED), "8 wrong codes")
    check(v.count(harness.R_WRONG) == THRESHOLD, "%d wrong codes counted over two hosts, want "
          "exactly %d" % (v.count(harness.R_WRONG), THRESHOLD), v)
    check(v.count(harness.R_LOCKED) == n - THRESHOLD, "the rest were not told 'locked'", v)
    check_account_on_both(env, user, True, THRESHOLD, "8 wrong codes over two hosts")
    for h in env.hosts:
        logged = race.audit_results(h, user)
        check(logged.count("wrong") == THRESHOLD and logged.count("locked") == n - THRESHOLD,
              "the activity log read on %s disagrees: %r" % (h.conf_values()["host_name"],
                                                             logged))


def test_R10_1_conflicting_batches_are_never_surfaced(env):
    """Both hosts' batches touch one account at once, again and again: 3 submissions of the
    right code and 1 wrong code per host per round. Each round: one ok, five replays, two
    wrong, nothing else (no storage or unavailable error), never a lock; the activity log
    has each attempt exactly once."""
    user = "user5"
    secret = env.a.enrol(user)
    for rnd in range(ROUNDS):
        code = env.a.fresh_code(secret)
        codes = [code, code, code, env.a.wrong_code(secret)] * 2
        v = race_codes(env, user, codes, per_host=4)
        harness._diag("round %d, one account, both hosts: %s" % (rnd, race.tally(v)))
        only_results(v, (harness.R_OK, harness.R_REPLAYED, harness.R_WRONG), "round %d" % rnd)
        check(v.count(harness.R_OK) == 1 and v.count(harness.R_REPLAYED) == 5,
              "round %d: want 1 ok and 5 replayed for the right code" % rnd, v)
        check([v[3], v[7]] == [harness.R_WRONG] * 2, "round %d: a wrong code was not "
              "counted as wrong" % rnd, v)
        flags, _, failures = env.b.get_account(user)
        check(not flags & F_LOCKED and failures <= 2, "round %d: %d failures after two "
              "wrong codes and a success" % (rnd, failures))
        env.a.call_ok("Unlock", "string:" + user)
    for h in env.hosts:
        logged = race.audit_results(h, user)
        check(logged.count("ok") == ROUNDS and logged.count("wrong") == 2 * ROUNDS,
              "%s's activity log: %d ok, %d wrong; want %d and %d" % (
                  h.conf_values()["host_name"], logged.count("ok"), logged.count("wrong"),
                  ROUNDS, 2 * ROUNDS), logged)
    check_account_on_both(env, user, False, 0, "after the last round's unlock")
    env.b.login_ok(user)


# ---------------------------------------------------------------- the account, shared


def test_R10_1_enrol_on_a_login_on_b(env):
    user = "user6"
    env.a.enrol(user)
    check(env.b.is_bound(user), "host B does not see the OTP bound on host A")
    env.b.login_ok(user)
    rc, out, err = env.b.regsctl(["status"], uid=user,
                                 input=env.b.fresh_code(env.b.secrets[user]) + "\n")
    check(rc == 0, "regsctl status on host B: exit %d" % rc, out, err)
    check_in("✔", harness.status_otp_line(out), "host B's status of the OTP bound on A", out)


def test_R10_1_unlock_on_b_frees_lock_made_on_a(env):
    user = "user7"
    env.a.enrol(user)
    env.a.lock(user)
    check(env.b.is_locked(user), "host B does not see the lock made on host A")
    rc, out, err = env.b.regsctl(["unlock", user], uid="carol", input="")
    check(rc == 0, "regsctl unlock on host B: exit %d" % rc, out, err)
    check_account_on_both(env, user, False, 0, "after the unlock on host B")
    env.a.login_ok(user)


def test_R10_1_reset_code_requested_on_a_redeemed_on_b(env):
    user = "user8"
    env.a.enrol(user)
    lifecycle.admin_set_email(env.a, user)
    _, code = lifecycle.request_ok(env.a, user)
    rc, out, err = lifecycle.redeem(env.b, user, code)
    check(rc == 0, "the code mailed by host A was refused on host B (exit %d)" % rc, out, err,
          env.regsd_tail())
    check(not any(on_both(env, lambda h: h.is_bound(user))),
          "the code redeemed on host B deleted no binding")
    rc, out, err = lifecycle.redeem(env.a, user, code)
    check(rc != 0, "the code redeemed on host B was taken again on host A", out, err)


def logins_on_both_hosts(env, user):
    """user enrolled, logged in on A then on B (rhost "from-<host>.example"); returns, per
    host, (its name, the rows of `regsctl log --json --user user` read there, the output)."""
    env.a.enrol(user)
    for h in env.hosts:
        h.login_ok(user, rhost="from-%s.example" % h.conf_values()["host_name"])
    seen = []
    for h in env.hosts:
        name = h.conf_values()["host_name"]
        rc, out, err = h.regsctl(["log", "--json", "--user", user])
        check(rc == 0, "regsctl log on %s: exit %d" % (name, rc), out, err)
        seen.append((name, harness.json_records(harness.load_json(out, "log --json")), out))
    return seen


def test_R10_1_log_on_either_host_shows_the_whole_fleet(env):
    user = "user9"
    for name, rows, out in logins_on_both_hosts(env, user):
        for made_on in env.host_names:
            check([r for r in rows if r.get("rhost") == "from-%s.example" % made_on],
                  "regsctl log on %s misses the login made on %s" % (name, made_on), out)
    for h in env.hosts:
        rc, out, err = h.regsctl(["list", "--json"], uid="carol", input="")
        check(rc == 0 and user in out, "regsctl list on %s misses %s"
              % (h.conf_values()["host_name"], user), out, err)


def test_R10_1_log_names_the_host_of_each_event(env):
    for name, rows, out in logins_on_both_hosts(env, "user14"):
        for made_on in env.host_names:
            mine = [r for r in rows if r.get("rhost") == "from-%s.example" % made_on]
            check(mine and made_on in mine[-1].values(), "the activity log read on %s: the "
                  "row of a login made on %s does not name that host" % (name, made_on),
                  mine, out)


def test_R10_1_step_up_proof_stays_on_its_host(env):
    user = "user10"
    secret = env.a.enrol(user)
    with env.a.bus_session(user) as on_a, env.b.bus_session(user) as on_b:
        e, v = on_b.call("GetStatus", "s", "")
        check(e == E_STEP_UP, "host B showed the OTP-bound account's status without a "
              "step-up: %r %r" % (e, v))
        e, v = on_a.call("StepUp", "ssss", "view", env.a.fresh_code(secret), "test", "")
        check(e is None and v[0] == harness.R_OK, "StepUp on host A: %r %r" % (e, v))
        e, v = on_a.call("GetStatus", "s", "")
        check(e is None, "GetStatus on host A with A's proof: %r %r" % (e, v))
        e, v = on_b.call("GetStatus", "s", "")
        check(e == E_STEP_UP, "R10.1: a step-up proof made on host A opened GetStatus on "
              "host B: %r %r" % (e, v))


# ---------------------------------------------------------------- one-to-one indexes


def at_once(fleet, users, barrier, bind):
    """bind(host, user) for users[0] on host A and users[1] on host B, each in its own
    thread, bind waiting on barrier where the race is; returns their results (the exception
    where a bind failed to run, the barrier then broken so the other does not wait)."""
    results = [None, None]

    def run(i):
        try:
            results[i] = bind(fleet.hosts[i], users[i])
        except Exception as e:  # judged by the caller
            barrier.abort()
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def bind_race(fleet, users, name):
    """users[0] on host A and users[1] on host B bind certificate name at once: each gets its
    challenge on its own connection, then both BindCard calls are released together; returns
    their results."""
    barrier = threading.Barrier(2)
    return at_once(fleet, users, barrier, lambda h, u: card.bus_bind(
        h, u, name, between=lambda: barrier.wait(30)))


def test_R10_1_R3_6_one_card_bound_at_both_hosts_at_once_binds_one_account(env):
    needs("card")
    for h in env.hosts:
        card.restart_regsd(h)  # each host has fetched the CRLs
    users = ("user11", "user12")
    for rnd in range(3):
        results = bind_race(env, users, "citizen")
        harness._diag("round %d, one card bound as %s on A and %s on B: %r"
                      % (rnd, users[0], users[1], results))
        check(sorted(results) == [harness.R_OK, card.R_CARD_BOUND_ELSEWHERE],
              "round %d: want one bound and one 'already bound to another account' (%d), "
              "got %r" % (rnd, card.R_CARD_BOUND_ELSEWHERE, results), env.regsd_tail())
        winner = users[results.index(harness.R_OK)]
        for u in users:
            flags = on_both(env, lambda h: bool(h.get_account(u)[0] & F_CARD_BOUND))
            check(flags == [u == winner] * 2, "round %d: %s card-bound per host: %r (the "
                  "winner is %s)" % (rnd, u, flags, winner))
        env.b.call_ok("Reset", "string:" + winner, "string:card")
        check(not env.a.get_account(winner)[0] & F_CARD_BOUND, "the card unbound on B is "
              "still bound on A")


def test_R10_1_R5_2_google_account_bound_on_a_is_refused_to_another_account_on_b(env):
    needs("google")
    google.use(env.a, "alice")
    rc, out, err = google.bind_google(env.b, "bob", google.sub("alice"))
    check(rc == 7, "binding on host B the Google account bound to alice on host A: exit 7, "
          "got %d" % rc, out, err, env.regsd_tail())
    check(not any(on_both(env, lambda h: h.get_account("bob")[0] & harness.F_GOOGLE_BOUND)),
          "bob got alice's Google account")
    google.bound(env.b, "bob")  # his own is fine
    r = google.google_login(env.a, "bob", [google.approve_then(google.sub("bob"))])
    check(r.ok, "bob's Google account bound on B logs him in on A", r, env.regsd_tail())


def google_bind_race(env, users, shared_sub):
    """users[0] on host A and users[1] on host B run `regsctl bind google` at once; each
    approves its own device flow as shared_sub, and both press Enter together. Returns
    [(rc, out, err)] per user."""
    for u in users:
        google.ensure_otp(env.a, u)
    env.a.advance(30)  # a step no enrolment code used
    barrier = threading.Barrier(2, action=lambda: env.a.advance(6))  # the poll interval

    def approve_mine(out):
        m = re.search(r"enter the code ([A-Z0-9-]+)", out)
        check(m, "regsctl bind google showed no user code", out)
        google.S.op.approve(user_code=m.group(1), sub=shared_sub)
        barrier.wait(60)
        return ""

    return at_once(env, users, barrier, lambda h, u: h.regsctl_dialog(
        ["bind", "google"], uid=h.users[u], timeout=90,
        steps=[(google.STEP_UP, lambda _o: h.totp(h.secrets[u])),
               (google.ENTER, approve_mine)]))


def test_R10_1_R5_2_one_google_account_bound_at_both_hosts_at_once_binds_one_account(env):
    needs("google")
    google.use(env.a)
    users = ("user15", "user16")
    results = google_bind_race(env, users, "sub-shared")
    one_bound(env, users, results, "Google account", harness.F_GOOGLE_BOUND)


def one_bound(env, users, results, what, flag, exit_bound=7):
    """results of `regsctl bind` by users[0] on A and users[1] on B at once: one bound (exit
    0), the other told "already bound to another account" (exit_bound); the flag set for the
    winner only, as both hosts see it."""
    for r in results:
        check(isinstance(r, tuple), "a regsctl bind failed to run: %r" % (r,))
    rcs = [r[0] for r in results]
    harness._diag("one %s bound as %s on A and %s on B at once: exit %r"
                  % (what, users[0], users[1], rcs))
    check(sorted(rcs) == [0, exit_bound], "want one bound (exit 0) and one 'already bound to "
          "another account' (exit %d), got %r" % (exit_bound, rcs),
          *[r[1] + r[2] for r in results])
    winner = users[rcs.index(0)]
    loser = results[rcs.index(exit_bound)]
    check_in("bound to another account", loser[1] + loser[2], "the loser is told why", loser)
    for u in users:
        bound = on_both(env, lambda h: bool(h.get_account(u)[0] & flag))
        check(bound == [u == winner] * 2, "%s bound per host: %r (the winner is %s)"
              % (u, bound, winner))


def test_R10_1_R4_phone_bound_on_a_is_refused_to_another_account_on_b(env):
    needs("mobile")
    mobile.use(env.a, "alice")
    rc, out, err = mobile.bind_mobile(env.b, "bob", mobile.IDS["alice"])
    check(rc == mobile.EXIT_ALREADY_BOUND, "binding on host B the phone bound to alice on "
          "host A: exit %d, got %d" % (mobile.EXIT_ALREADY_BOUND, rc), out, err,
          env.regsd_tail())
    check_in("bound to another account", err, "says why", out, err)
    check(not any(on_both(env, lambda h: h.get_account("bob")[0] & harness.F_MOBILE_BOUND)),
          "bob got alice's phone")
    r = mobile.mobile_login(env.b, "alice", [mobile.approve_then()])
    check(r.ok, "alice's phone bound on A logs her in on B", r, env.regsd_tail())


def test_R10_1_R4_one_phone_bound_at_both_hosts_at_once_binds_one_account(env):
    needs("mobile")
    svc = mobile.use(env.a)
    users = ("user17", "user18")
    for u in users:
        mobile.ensure_otp(env.a, u)
    mobile.new_window(env.a)  # past the enrolments' steps and any rate limit
    before = len(svc.transactions())

    def approve_both():
        svc.wait_transaction(count=before + 2)
        for t in svc.transactions()[before:]:
            check(svc.approve("push", transaction_id=t["id"]) == "0", "approval of %r" % t)
        env.a.advance(mobile.POLL)

    barrier = threading.Barrier(2, action=approve_both)
    results = at_once(env, users, barrier, lambda h, u: h.regsctl_dialog(
        ["bind", "mobile", mobile.IDS["alice"]], uid=h.users[u], timeout=90,
        steps=[(mobile.STEP_UP, lambda _o: h.totp(h.secrets[u])),
               (mobile.ENTER, lambda _o: barrier.wait(60) or "")]))
    one_bound(env, users, results, "phone", harness.F_MOBILE_BOUND, mobile.EXIT_ALREADY_BOUND)


# ---------------------------------------------------------------- R10.2


def test_R10_2_database_down_refuses_login_counts_nothing_and_reconnects(env):
    user = "user13"
    secret = env.a.enrol(user)
    r = env.a.login(user, env.a.wrong_code(secret))
    check(r.auth != "PAM_SUCCESS", "a wrong code let a login in", r)
    check_account_on_both(env, user, False, 1, "one wrong code before the outage")
    pids = on_both(env, lambda h: h.regsd_proc.pid)
    env.pg.stop()
    try:
        attempts = [(env.a, env.a.wrong_code(secret)), (env.b, env.b.fresh_code(secret)),
                    (env.a, env.a.wrong_code(secret))]
        for h, code in attempts:
            r = h.login(user, code)
            check(r.auth != "PAM_SUCCESS", "R10.2: a login got in with the database down", r)
            check_in(MSG_UNAVAILABLE, r.error_text.lower(),
                     "R10.2: the refusal with the database down says the service is "
                     "unavailable", r, env.regsd_tail())
    finally:
        env.pg.start(create_db=False)
    check(all(on_both(env, lambda h: h.regsd_running())) and
          on_both(env, lambda h: h.regsd_proc.pid) == pids, "a regsd ended with the database")
    for h in env.hosts:
        wait_reconnected(h, user)
    check_account_on_both(env, user, False, 1,
                          "R10.2: attempts made while the database was down counted")
    env.a.login_ok(user)
    env.b.login_ok(user)


# ---------------------------------------------------------------- set-up


def _card_setup():
    """The test PKI and a CRL server for both hosts (test_card.py's, with no card reader:
    cards are bound over the bus); returns the regs.conf lines naming anchors and CRLs."""
    import crl_server  # tests/fixtures, on sys.path through test_card
    S.tmp = tempfile.mkdtemp(prefix="regs-fleet-pki-")
    os.chmod(S.tmp, 0o755)
    card.S.crl_dir = os.path.join(S.tmp, "crl-www")
    os.makedirs(card.S.crl_dir)
    S.crl = crl_server.CrlServer(card.S.crl_dir)
    S.crl.start()
    cardenv = card.cardenv
    cardenv.current = types.SimpleNamespace(
        pki=card.pki.make(os.path.join(S.tmp, "pki"), crl_port=S.crl.port))
    card.publish()
    card.S.urls = [S.crl.url("moica.crl"), S.crl.url("xca.crl")]
    return card.pki.anchor_conf(cardenv.current.pki["certs"], S.tmp, card.S.urls)


def _card_teardown():
    if S.crl:
        S.crl.stop()
    if S.tmp:
        shutil.rmtree(S.tmp, ignore_errors=True)


def _provider(module, server):
    """The set-up and teardown of a test file's provider (test_google.py's OpenID provider
    S.op, test_mobile.py's mobile-ID service S.svc): its _setup(), S.conf, S.tmp."""
    def setup():
        module._setup()
        return module.S.conf

    def teardown():
        if getattr(module.S, server):
            getattr(module.S, server).stop()
        if module.S.tmp:
            shutil.rmtree(module.S.tmp, ignore_errors=True)
    return setup, teardown


# what each binding kind needs besides the fleet: its set-up returns regs.conf lines
PROVIDERS = {"card": (_card_setup, _card_teardown), "google": _provider(google, "op"),
             "mobile": _provider(mobile, "svc")}


def needs(kind):
    """Skips the test when the provider of a binding kind could not be set up."""
    if kind in S.missing:
        harness.skip("the %s fixture could not be set up: %s" % (kind, S.missing[kind]))


def main():
    conf = {}
    try:
        for kind, (setup, _) in PROVIDERS.items():
            try:
                conf.update(setup())
            except Exception as e:  # only the tests of that kind need it
                S.missing[kind] = "%s: %s" % (type(e).__name__, e)
        fleetenv.main(globals(), conf=conf, smtp=True)
    finally:
        for _, teardown in PROVIDERS.values():
            teardown()


if __name__ == "__main__":
    main()
