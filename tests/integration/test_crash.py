"""kill -9 of regsd under a login load, 30 times (R2.4, R9.1: locks survive restarts).

Eight clients, each on its own bus connection as root (like pam_regs), send
VerifyOtp for their own account in a loop: four send wrong codes only, four
send wrong codes and, once per time step, the right one. regsd is killed with
SIGKILL at a random moment and started again on the same state directory.
Every reply a client got is an acknowledged fact: a step answered "ok" is used
for good, a failure answered is counted, a lock answered stays. After each
restart the database must show each account in the state of its last
acknowledged reply, or in the state one step further if the call in flight at
the kill was committed but not answered; and every code acknowledged as ok is
refused as replayed.
"""

import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rawbus  # noqa: E402
from harness import check  # noqa: E402

KILLS = 30
THRESHOLD = 40  # lock_threshold: long enough that kills land while failures are counted
WRONG_ONLY = ["user25", "user26", "user27", "user28"]
WITH_RIGHT = ["user21", "user22", "user23", "user24"]


class Account:
    """What the clients were told about one account: (failures, locked)."""

    def __init__(self):
        self.failures, self.locked = 0, False

    def after(self, kind):
        """The state one attempt of kind ("wrong"/"right") further on."""
        n = Account()
        n.failures, n.locked = self.failures, self.locked
        if self.locked:
            return n
        if kind == "right":
            n.failures = 0
        else:
            n.failures += 1
            n.locked = n.failures >= THRESHOLD
        return n

    def key(self):
        return (self.failures, self.locked)


class Client(threading.Thread):
    """Sends attempts for its own account until stopped or refused by the bus;
    checks every reply against the acknowledged state."""

    def __init__(self, conn, user, right_code, wrong_codes, right_at, stop, state):
        super().__init__()
        self.conn, self.user, self.stop = conn, user, stop
        self.plan = list(wrong_codes)
        if right_code:
            self.plan.insert(right_at, right_code)
        self.right_code = right_code
        self.state = state          # Account: last acknowledged
        self.in_flight = None       # kind of the call whose reply never came
        self.acked_ok = None        # the right code, once acknowledged
        self.acks = 0
        self.error = None

    def run(self):
        try:
            for code in self.plan:
                if self.stop.is_set():
                    return
                kind = "right" if code == self.right_code else "wrong"
                self.in_flight = kind
                r = self.conn.call("VerifyOtp", "ssss", [self.user, code, "crash", ""],
                                   timeout=20)
                if r.error:  # regsd died with it, or was gone: not acknowledged
                    return
                self.in_flight = None
                self.acknowledge(kind, code, r.values)
        except Exception as e:  # reported by the test
            self.error = "%s: %r" % (self.user, e)

    def acknowledge(self, kind, code, values):
        result, lock, left = values
        want = self.state.after(kind)
        if self.state.locked:
            ok = result == harness.R_LOCKED
        elif kind == "right":
            ok = result == harness.R_OK
        else:
            ok = (result == harness.R_WRONG and (lock > 0) == want.locked
                  and left == (0 if want.locked else THRESHOLD - want.failures))
        if not ok:
            raise AssertionError("reply %r to a %s code does not follow from %r"
                                 % (values, kind, self.state.key()))
        self.state = want
        self.acks += 1
        if result == harness.R_OK:
            self.acked_ok = code


def wrong_codes(env, secret, n, rng):
    """n codes that match no step within +-20 steps of now (no drift hint either)."""
    step = env.now() // 30
    near = {harness._py_totp(secret, s) for s in range(step - 20, step + 21)}
    out = []
    while len(out) < n:
        c = "%06d" % rng.randrange(1000000)
        if c not in near:
            out.append(c)
    return out


def unlock_all(root, users):
    for u in users:
        r = root.call("Unlock", "s", [u])
        check(not r.error, "Unlock %s: %r" % (u, r))


def test_R2_4_R9_1_thirty_kill_9_under_load_lose_nothing_acknowledged(env):
    users = WRONG_ONLY + WITH_RIGHT
    for u in users:
        env.enrol(u)
    root = rawbus.connect(env)  # survives regsd's restarts: it is a bus connection
    conns = {u: rawbus.connect(env) for u in users}
    rng = random.Random(int(os.environ.get("REGS_CRASH_SEED", time.time())))
    states = {u: Account() for u in users}
    replay = []  # (user, code, kill, step) acknowledged ok, still inside the window
    stats = {"acks": 0, "ok": 0, "mid_count": 0, "committed_unacked": 0, "replays": 0}
    t_start = time.monotonic()
    try:
        for k in range(KILLS):
            env.advance(30)  # a new time step: new right codes
            now_step = env.now() // 30
            replay = [e for e in replay if e[3] >= now_step - 1]  # inside the +-1 window
            stop = threading.Event()
            clients = []
            for u in users:
                right = harness.totp_at(env.secrets[u], now_step * 30) if u in WITH_RIGHT \
                    else None
                wrong = wrong_codes(env, env.secrets[u], THRESHOLD + 200, rng)
                clients.append(Client(conns[u], u, right, wrong, rng.randrange(6), stop,
                                      states[u]))
            for c in clients:
                c.start()
            # Kill after a random number of replies, not a random time: the
            # moment falls inside the counting on a fast machine as on a slow one.
            target, deadline = rng.randrange(4, 8 * (THRESHOLD + 10)), time.monotonic() + 10
            while (sum(c.acks for c in clients) < target and time.monotonic() < deadline
                   and any(c.is_alive() for c in clients)):
                time.sleep(0.001)
            env.kill_regsd()
            stop.set()
            for c in clients:
                c.join(30)
                check(not c.is_alive(), "client %s hangs after the kill" % c.user)
                check(c.error is None, "cycle %d: %s" % (k, c.error))
            env.start_regsd()
            for c in clients:
                stats["acks"] += c.acks
                if 0 < c.state.failures < THRESHOLD:
                    stats["mid_count"] += 1
                flags, lock, failures = env.get_account(c.user)
                got = (failures, bool(flags & harness.F_LOCKED))
                allowed = {c.state.key()}
                if c.in_flight:
                    allowed.add(c.state.after(c.in_flight).key())
                check(got in allowed, "kill %d: %s has (failures, locked) %r after the "
                      "restart; acknowledged %r, call in flight: %s"
                      % (k + 1, c.user, got, c.state.key(), c.in_flight))
                if got != c.state.key():
                    stats["committed_unacked"] += 1
                if c.acked_ok:
                    replay.append((c.user, c.acked_ok, k, now_step))
                    stats["ok"] += 1
            # Every code acknowledged ok in this step or the one before is used.
            unlock_all(root, users)
            now_step = env.now() // 30  # real time may have crossed a step meanwhile
            for u, code, cycle, step in replay:
                if step < now_step - 1:
                    continue
                r = root.call("VerifyOtp", "ssss", [u, code, "crash-replay", ""])
                if (not r.error and r.values[0] == harness.R_CLOCK_DRIFT
                        and env.now() // 30 > step + 1):
                    continue  # real time left the code's window during the call
                check(not r.error and r.values[0] == harness.R_REPLAYED,
                      "kill %d: %s's code acknowledged ok at kill %d is not refused as "
                      "replayed after the restart: %r" % (k + 1, u, cycle + 1, r))
                stats["replays"] += 1
            unlock_all(root, users)
            states = {u: Account() for u in users}
            for c in clients:
                c.state = states[c.user]
    finally:
        root.close()
        for c in conns.values():
            c.close()
    elapsed = time.monotonic() - t_start
    harness._diag("%d kills in %.1f s: %d replies acknowledged, %d right codes acknowledged "
                  "ok, %d replays refused, %d accounts caught mid-count, %d calls committed "
                  "but unanswered at a kill" % (
                      KILLS, elapsed, stats["acks"], stats["ok"], stats["replays"],
                      stats["mid_count"], stats["committed_unacked"]))
    check(stats["ok"] >= KILLS, "too few right codes acknowledged (%d) for a real test"
          % stats["ok"])
    check(stats["mid_count"] >= KILLS, "too few kills landed while failures were being "
          "counted (%d)" % stats["mid_count"])
    env.login_ok(WITH_RIGHT[0])


if __name__ == "__main__":
    harness.main(globals(), conf={"lock_minutes": "1440", "lock_threshold": str(THRESHOLD)})
