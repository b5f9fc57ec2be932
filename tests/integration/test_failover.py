"""Failover (R10.3): a PostgreSQL primary with a synchronous streaming standby (both real
servers started by the test, fsync on: durability is what this proves), one regsd host
whose connection string names both (target_session_attrs=read-write). A load of logins
(right codes for some accounts, wrong codes for others) runs on its own connection while
the primary is stopped with `pg_ctl -m immediate` and the standby promoted. regsd goes on
with the new primary by itself; afterwards every used step, failure count and lock that a
reply acknowledged is still there: the last accepted code of each account is refused as
used (R2.4), each failure count is at least the number of wrong codes answered "wrong",
and each lock answered is still on. Some accounts get no more codes from the crash on (what
the old primary acknowledged must be on the new one); the others keep the load going
through the failover.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleetenv  # noqa: E402
import harness  # noqa: E402
from harness import F_LOCKED, check  # noqa: E402
import rawbus  # noqa: E402

THRESHOLD = 3           # lock_threshold (regs.conf default)
OK_USERS = ["user%d" % i for i in range(1, 5)]
FAIL_USERS = ["user%d" % i for i in range(11, 15)]
FAIL_START = 2          # FAIL_USERS[j] gets its first wrong code in round FAIL_START * j
# accounts left alone from the crash on: what they had acknowledged before it is checked
# after the failover, with nothing written for them since (the others prove the new primary)
FROZEN = OK_USERS[:2] + FAIL_USERS[:3]
ROUNDS_BEFORE = 5       # rounds acknowledged before the crash
ROUNDS_AFTER = 4        # rounds acknowledged on the promoted standby
MAX_ROUNDS = 16         # 30 s of test clock each: every lock (15 min) stays on
FAILOVER_DEADLINE = 90  # seconds for the rounds after the promotion to be acknowledged


class Load:
    """Rounds of VerifyOtp on one connection to the host, from a thread: in each round the
    right code of the round's time step for every OK_USERS account and a wrong code for
    each FAIL_USERS account whose turn has come. A round is done when every right code was
    answered; only then does the test clock move on (a step later). What the replies
    acknowledged is kept: accepted[user] = (clock offset, code) of the last accepted code,
    wrong[user] = codes answered "wrong", locked: accounts answered "locked"."""

    def __init__(self, host):
        self.host = host
        self.rounds = 0
        self.accepted = {}
        self.wrong = {u: 0 for u in FAIL_USERS}
        self.locked = set()
        self.lost = set()      # OK_USERS whose right code got no verdict in this round
        self.frozen = set()    # accounts that get no more codes (from the crash on)
        self.unanswered = []   # replies that were not a verdict (the database was away)
        self.stop = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run)

    def pending(self, done):
        """The OK_USERS still to be accepted in this round."""
        return [u for u in OK_USERS if u not in done and u not in self.frozen]

    def _verify(self, conn, user, code):
        r = conn.call("VerifyOtp", "ssss", [user, code, "failover", ""], timeout=60)
        if r.error:
            self.unanswered.append(r)
            time.sleep(0.05)
            return None
        return r.values[0]

    def _round(self, conn, done):
        h = self.host
        for user in self.pending(done):
            code = h.totp(h.secrets[user])
            unanswered = len(self.unanswered)
            v = self._verify(conn, user, code)
            if v == harness.R_OK:
                self.accepted[user] = (h.offset, code)
                done.add(user)
            elif v == harness.R_REPLAYED and user in self.lost:
                done.add(user)  # its unanswered try was kept: nothing was acknowledged
            elif v is not None:
                raise AssertionError("round %d: %s's right code got %r" % (self.rounds, user, v))
            elif len(self.unanswered) > unanswered:
                self.lost.add(user)
        for j, user in enumerate(FAIL_USERS):
            if self.rounds >= FAIL_START * j and user not in self.locked | self.frozen:
                v = self._verify(conn, user, h.wrong_code(h.secrets[user]))
                if v == harness.R_WRONG:
                    self.wrong[user] += 1
                    if self.wrong[user] >= THRESHOLD:
                        self.locked.add(user)
                elif v == harness.R_LOCKED:
                    self.locked.add(user)
                elif v is not None:
                    raise AssertionError("%s's wrong code got %r" % (user, v))

    def _run(self):
        conn = rawbus.connect(self.host)
        self.host.advance(30)  # past the step of the enrolment's code
        try:
            while not self.stop.is_set() and self.rounds < MAX_ROUNDS:
                done, self.lost = set(), set()
                while self.pending(done) and not self.stop.is_set():
                    self._round(conn, done)
                if not self.pending(done):
                    self.rounds += 1
                    self.host.advance(30)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            conn.close()

    def wait_rounds(self, n, timeout):
        deadline = time.monotonic() + harness.slow(timeout)
        while self.rounds < n and self.thread.is_alive():
            check(time.monotonic() < deadline, "the load acknowledged %d rounds in %ss, want %d"
                  % (self.rounds, timeout, n), self.unanswered[-3:])
            time.sleep(0.05)
        check(self.error is None, "the load failed: %r" % (self.error,))
        check(self.rounds >= n, "the load stopped after %d rounds" % self.rounds)


def enrol_all(host):
    for user in OK_USERS + FAIL_USERS:
        host.enrol(user)


def check_kept(host, load):
    for user in FAIL_USERS:
        flags, lock, failures = host.get_account(user)
        if user in load.locked:
            check(flags & F_LOCKED and lock > 0, "R10.3: the lock of %s, acknowledged, was "
                  "lost in the failover: %r" % (user, (flags, lock, failures)))
        check(failures >= min(load.wrong[user], THRESHOLD),
              "R10.3: %s has %d failures, %d acknowledged" % (user, failures,
                                                              load.wrong[user]))
    now = host.offset
    with rawbus.connect(host) as conn:
        for user, (offset, code) in sorted(load.accepted.items()):
            host.advance(offset - host.offset)  # back in the code's own time step
            r = conn.call("VerifyOtp", "ssss", [user, code, "failover-replay", ""])
            check(not r.error and r.values[0] == harness.R_REPLAYED,
                  "R10.3/R2.4: %s's last accepted code, replayed after the failover, got %r "
                  "(want replayed)" % (user, r))
    host.advance(now - host.offset)


def test_R10_3_failover_loses_no_acknowledged_step_failure_or_lock(env):
    host = env.a
    enrol_all(host)
    pid = host.regsd_proc.pid
    load = Load(host)
    load.thread.start()
    try:
        load.wait_rounds(ROUNDS_BEFORE, 60)
        load.frozen = set(FROZEN)  # what they were acknowledged now must survive the crash
        env.pg.stop("immediate")
        at_crash = load.rounds
        harness._diag("acknowledged before the crash: accepted %r, wrong %r, locked %s" % (
            {u: load.accepted.get(u) for u in FROZEN if u in OK_USERS},
            {u: load.wrong[u] for u in FROZEN if u in FAIL_USERS},
            sorted(load.locked & set(FROZEN))))
        env.standby.promote()
        load.wait_rounds(at_crash + ROUNDS_AFTER, FAILOVER_DEADLINE)
    finally:
        load.stop.set()
        load.thread.join(120)
    harness._diag("rounds: %d (%d before the crash); replies that were no verdict: %d %s"
                  % (load.rounds, at_crash, len(load.unanswered),
                     sorted({r.error for r in load.unanswered})))
    harness._diag("acknowledged: wrong %r, locked %s" % (load.wrong, sorted(load.locked)))
    check(host.regsd_running() and host.regsd_proc.pid == pid,
          "regsd was restarted or ended in the failover")
    check(load.locked, "the load locked no account (nothing to check)")
    check_kept(host, load)
    host.login_ok(OK_USERS[0])  # and the new primary takes writes


if __name__ == "__main__":
    fleetenv.main(globals(), hosts=("host-a",), fsync=True, standby=True)
