"""Concurrent attempts on one account (R9.1, R2.4, R12.3).

Eight submissions released at once by a barrier, each on its own bus
connection (VerifyOtp as the PAM module or a verifier would send it) or
through a full PAM login (pamdrive, held at the code prompt until all eight
are there): wrong codes are counted exactly up to the lock, and one right
code lets exactly one login in without counting the replays against the
account.
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rawbus  # noqa: E402
from harness import check, check_in  # noqa: E402

N = 8
THRESHOLD = 3  # lock_threshold (regs.conf default)


def attackers(env, n_root, n_verifier=0):
    """n_root connections as root (like pam_regs) and n_verifier as dave (the
    verifier group, like a web application): separate bus connections."""
    conns = [rawbus.connect(env) for _ in range(n_root)]
    helper = None
    if n_verifier:
        helper = rawbus.Connector(env, "dave")
        conns += helper.open(n_verifier)
    return conns, helper


def _start(run, n):
    """n threads running run(i), started; returned for the caller to join."""
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads


def release(barrier, conns, user, codes, results, offset=0):
    """Threads that wait for barrier, then send VerifyOtp(user, codes[i]) on
    conns[i] and put the reply into results[offset + i]."""
    def run(i):
        try:
            barrier.wait(30)
            results[offset + i] = conns[i].call("VerifyOtp", "ssss",
                                                [user, codes[i], "race-%d" % i, ""])
        except Exception as e:  # judged by the caller
            results[offset + i] = e

    return _start(run, len(conns))


def pam_racers(env, barrier, user, codes, results, offset=0):
    """Threads running full PAM logins of user (right password), each held
    at the code prompt until barrier releases them all."""
    def run(i):
        def code(_so_far):
            barrier.wait(60)
            return codes[i]
        try:
            results[offset + i] = env.pam("login", user, [env.password(user), code],
                                          rhost="race-pam-%d" % i, timeout=90)
        except Exception as e:  # judged by the caller
            results[offset + i] = e

    return _start(run, len(codes))


def audit_results(env, user, event="login"):
    """The result column of user's activity log rows for event, oldest first."""
    root = rawbus.connect(env)
    r = root.call("GetLog", "stu", [user, 0, 1000])
    root.close()
    check(not r.error, "GetLog %s: %r" % (user, r))
    rows = r.values[0]
    return [row[6] for row in rows if row[2] == event and row[3] == "otp"]


def tally(v):
    """Like "1 ok, 3 replayed, 4 locked"."""
    names = {harness.R_OK: "ok", harness.R_WRONG: "wrong", harness.R_REPLAYED: "replayed",
             harness.R_LOCKED: "locked"}
    keys = sorted({names.get(x, repr(x)) for x in v})
    return ", ".join("%d %s" % (sum(1 for x in v if names.get(x, repr(x)) == k), k)
                     for k in keys)


def verdicts(results):
    return [r.values[0] if isinstance(r, rawbus.Reply) and not r.error else r for r in results]


def test_R9_1_eight_simultaneous_wrong_codes_count_exactly_three(env):
    user = "user11"
    secret = env.enrol(user)
    conns, helper = attackers(env, 5, 3)
    try:
        codes = [env.wrong_code(secret) for _ in range(N)]
        results = [None] * N
        for t in release(threading.Barrier(N), conns, user, codes, results):
            t.join(60)
    finally:
        for c in conns:
            c.close()
        helper.close()
    v = verdicts(results)
    harness._diag("8 simultaneous wrong codes: %s" % tally(v))
    check(all(x in (harness.R_WRONG, harness.R_LOCKED) for x in v),
          "a wrong code got neither 'wrong' nor 'locked'", results)
    check(v.count(harness.R_WRONG) == THRESHOLD,
          "%d wrong codes counted, want exactly %d" % (v.count(harness.R_WRONG), THRESHOLD), v)
    check(v.count(harness.R_LOCKED) == N - THRESHOLD, "the rest were not told 'locked'", v)
    flags, lock, failures = env.get_account(user)
    check(flags & harness.F_LOCKED and lock > 0, "account not locked: %r" % (flags,))
    check(failures == THRESHOLD, "failures %d, want exactly %d" % (failures, THRESHOLD))
    logged = audit_results(env, user)
    check(logged.count("wrong") == THRESHOLD and logged.count("locked") == N - THRESHOLD,
          "the activity log disagrees: %r" % (logged,))


def test_R12_3_eight_simultaneous_submissions_of_one_right_code_one_ok_no_lock(env):
    user = "user12"
    secret = env.enrol(user)
    conns, helper = attackers(env, 5, 3)
    try:
        code = env.fresh_code(secret)
        results = [None] * N
        for t in release(threading.Barrier(N), conns, user, [code] * N, results):
            t.join(60)
    finally:
        for c in conns:
            c.close()
        helper.close()
    v = verdicts(results)
    harness._diag("8 simultaneous submissions of one right code: %s" % tally(v))
    check(v.count(harness.R_OK) == 1, "%d submissions accepted, want exactly 1"
          % v.count(harness.R_OK), v)
    check(v.count(harness.R_REPLAYED) == N - 1,
          "R12.3: want 1 ok and 7 replayed, got %s" % tally(v), v)
    flags, lock, failures = env.get_account(user)
    check(not flags & harness.F_LOCKED and lock == 0,
          "R12.3: the account is locked after one good login and its replays", v,
          "GetAccount: %r" % ((flags, lock, failures),))
    check(failures == 0, "R12.3: replays counted as %d failures" % failures, v)
    env.login_ok(user)


def test_R12_3_eight_concurrent_pam_logins_with_one_code_one_succeeds_no_lock(env):
    user = "user13"
    secret = env.enrol(user)
    code = env.fresh_code(secret)
    results = [None] * N
    for t in pam_racers(env, threading.Barrier(N), user, [code] * N, results):
        t.join(120)
    for r in results:
        check(isinstance(r, harness.PamResult), "a PAM login failed to run: %r" % (r,))
    ok = [r for r in results if r.auth == "PAM_SUCCESS"]
    refused = [r for r in results if r.auth != "PAM_SUCCESS"]
    harness._diag("8 concurrent PAM logins with one code: %d succeeded; refusals: %r" % (
        len(ok), sorted({r.error_text.splitlines()[-1] if r.error_text else r.auth
                         for r in refused})))
    check(len(ok) == 1, "%d logins succeeded with one code, want exactly 1" % len(ok),
          *results)
    flags, lock, failures = env.get_account(user)
    check(not flags & harness.F_LOCKED and failures == 0,
          "R12.3: one good login and 7 replays left the account %s with %d failures"
          % ("locked" if flags & harness.F_LOCKED else "unlocked", failures),
          *[r.error_text for r in refused])
    for r in refused:
        check_in("already been used", r.error_text, "R2.4: a replay's message", r)
    flags, lock, failures = env.get_account(user)
    check(not flags & harness.F_LOCKED and failures == 0,
          "R12.3: after one good login and 7 replays: GetAccount %r"
          % ((flags, lock, failures),))
    env.login_ok(user)


def test_R9_1_concurrent_wrong_codes_over_pam_and_bus_count_exactly_three(env):
    user = "user14"
    secret = env.enrol(user)
    codes = [env.wrong_code(secret) for _ in range(N)]
    conns, helper = attackers(env, 2, 2)
    results = [None] * N
    barrier = threading.Barrier(N)
    try:
        threads = pam_racers(env, barrier, user, codes[:4], results)
        threads += release(barrier, conns, user, codes[4:], results, offset=4)
        for t in threads:
            t.join(120)
    finally:
        for c in conns:
            c.close()
        helper.close()
    pam, bus = results[:4], verdicts(results[4:])
    for r in pam:
        check(isinstance(r, harness.PamResult), "a PAM login failed to run: %r" % (r,))
        check(r.auth != "PAM_SUCCESS", "a wrong code let a PAM login in", r)
    check(all(x in (harness.R_WRONG, harness.R_LOCKED) for x in bus),
          "a direct wrong code got neither 'wrong' nor 'locked'", results[4:])
    harness._diag("PAM: %r; bus: %r" % ([r.error_text.splitlines()[-1:] for r in pam], bus))
    flags, lock, failures = env.get_account(user)
    check(flags & harness.F_LOCKED, "account not locked after 8 wrong codes: %r" % (flags,))
    check(failures == THRESHOLD, "failures %d, want exactly %d" % (failures, THRESHOLD))
    logged = audit_results(env, user)
    check(logged.count("wrong") == THRESHOLD,
          "%d wrong codes in the activity log, want %d: %r" % (
              logged.count("wrong"), THRESHOLD, logged))


if __name__ == "__main__":
    harness.main(globals())
