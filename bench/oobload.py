#!/usr/bin/env python3
"""bench/oobload.py: does a slow OpenID provider hold up other logins? (bench/run --oob)

Runs the production regsd on a private bus (tests/integration/harness.py's Env, with
bin regsd instead of regsd-testclock) against tests/fixtures/oidc_provider.py, and
measures while a paced VerifyOtp prober (bench/otpprobe: one kept connection, RATE
calls/s, distinct users, correct codes) runs the whole time:

  warm-up     one Google flow end to end (discovery and JWKS fetched and cached)
  baseline    no flows
  k4 fast     4 flows (one per worker): GoogleBegin, approve, wait until the poll is due,
              OobWait, GoogleLogin (OTP); the provider answers at once
  k4 slow     the same with provider.delay = 2 (POST /device/code and /token take 2 s)
  k32 begin   32 flows from 32 bus connections: GoogleBegin at once, delay 2 s
  k32 idle    approved at the provider, waiting until each poll is due (no network)
  k32 wait    OobWait on all 32 at once, delay 2 s; then GoogleLogin on each
  after       no flows again
  newconn     5 times: 32 new bus connections make their first call (GetAccount) at once,
              no flows (regsd's blocking caller lookup; see bench/README.md)

Accounts: bench/populate writes u0000001.. (OTP, secret HMAC-SHA1(seed, user)) and Google
bindings (iss = the provider, sub = bench-sub-USER) for the first 64 into the store before
regsd starts. Flow users come from u0000001..u0000064, the prober's from 1001.. .

Writes key=value lines to --out and the formatted part of the table to --table.
Run as root (regsd, the store, the root-only client file). Needs REGS_BUILDDIR (or this
tree) with `make` and `make bench` done.
"""

import argparse
import hashlib
import hmac
import json
import math
import os
import select
import shutil
import struct
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "tests", "fixtures"))
import harness  # noqa: E402
import oidc_provider  # noqa: E402

BUILD = harness.BUILDDIR
GOOGLE_USERS = 64
PROBE_FIRST = 1001
OOB_APPROVED = 1
R_OK = 0


def log(msg):
    print("[oobload %5.1fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


T0 = time.monotonic()


def bench_user(i):
    return "u%07d" % i


def bench_code(seed, user, at=None):
    """The TOTP code of a bench user (bench/common.c: secret HMAC-SHA1(seed, user))."""
    key = hmac.new(seed.encode(), user.encode(), hashlib.sha1).digest()
    step = int((time.time() if at is None else at) // 30)
    h = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def percentile(sorted_v, p):
    """Nearest rank, as bench/common.c."""
    if not sorted_v:
        return 0
    rank = max(1, min(len(sorted_v), int(math.ceil(p / 100.0 * len(sorted_v)))))
    return sorted_v[rank - 1]


class BenchEnv(harness.Env):
    """The harness's private bus and nss_wrapper, with the production regsd."""

    @property
    def regsd_bin(self):
        return os.path.join(BUILD, "regsd")


def proc_cpu_ticks(pid):
    """utime + stime of a process, all its threads, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def host_cpu():
    """(busy, total) jiffies of all CPUs (/proc/stat): other work on the machine shows here."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return sum(v) - v[3] - v[4], sum(v)


class Run:
    def __init__(self, args):
        self.a = args
        self.session_pids = []  # the bus helpers of the flows running now
        self.newconn_s = []
        self.env = None
        self.op = None
        self.probe = None
        self.windows = []  # (name, t0_ns, t1_ns, regsd cpu ticks, others' CPU %)
        self.flows = {}    # label -> dict
        self.seed = os.environ.get("BENCH_SEED") or "pam_regs-bench-v1"
        self.next_user = 1
        self.hz = os.sysconf("SC_CLK_TCK")

    # ------------------------------------------------------------ set-up
    def setup(self):
        a = self.a
        conf = {}
        if a.state_dir:
            conf = {"state_dir": a.state_dir,
                    "seal_key_file": os.path.join(a.state_dir, "seal.key")}
        if a.net_workers:
            conf["net_workers"] = str(a.net_workers)
        self.env = BenchEnv(conf=conf, regsd=False).__enter__()
        env = self.env
        self.state = a.state_dir or env.path("state")
        self.op = oidc_provider.OidcProvider(env.path("oidc"), clock=time.time)
        self.op.start()
        client = env.path("oidc-client")
        fd = os.open(client, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("client_id = %s\nclient_secret = %s\n" % (self.op.client_id,
                                                             self.op.client_secret))
        env.write_conf(oidc_issuer=self.op.issuer, oidc_client_file=client,
                       oidc_ca_file=self.op.ca_file)
        populate = os.path.join(BUILD, "bench", "populate")
        t = time.monotonic()
        subprocess.run([populate, "regs", self.state, os.path.join(self.state, "seal.key"), "1",
                        str(a.accounts)], check=True)
        subprocess.run([populate, "google", self.state, "1", str(GOOGLE_USERS), self.op.issuer],
                       check=True)
        log("%d accounts, %d Google bindings in %s (%.1f s)" % (
            a.accounts, GOOGLE_USERS, self.state, time.monotonic() - t))
        env.start_regsd()
        self.regsd_pid = env.regsd_proc.pid
        log("regsd (pid %d) on %s; provider %s" % (self.regsd_pid, env.bus_address,
                                                   self.op.issuer))

    def cleanup(self):
        if self.probe and self.probe.poll() is None:
            self.probe.kill()
            self.probe.wait()
        if self.op:
            self.op.stop()
        if self.env:
            self.env.__exit__(None, None, None)

    # ------------------------------------------------------------ the prober
    def start_probe(self):
        e = dict(os.environ)
        e.pop("DBUS_SESSION_BUS_ADDRESS", None)
        e["DBUS_SYSTEM_BUS_ADDRESS"] = self.env.bus_address
        self.probe_out = self.env.path("otpprobe.txt")
        self.probe = subprocess.Popen(
            [os.path.join(BUILD, "bench", "otpprobe"), "--from", str(PROBE_FIRST), "--to",
             str(self.a.accounts), "--rate", str(self.a.rate), "--out", self.probe_out],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=e, text=True)
        r, _, _ = select.select([self.probe.stdout], [], [], 15)
        line = self.probe.stdout.readline().strip() if r else ""
        if line != "ready":
            raise RuntimeError("otpprobe did not start: %r" % line)
        log("otpprobe: VerifyOtp at %d calls/s" % self.a.rate)

    def stop_probe(self):
        self.probe.stdin.close()
        summary = self.probe.stdout.read().strip()
        self.probe.wait(30)
        log(summary)
        if self.a.samples:
            shutil.copyfile(self.probe_out, self.a.samples)
        samples = []
        with open(self.probe_out) as f:
            for line in f:
                t, lat, res = line.split()
                samples.append((int(t), int(lat), int(res)))
        return samples

    # ------------------------------------------------------------ windows
    def window(self, name, fn):
        """Runs fn, marking its span (monotonic ns, the prober's clock) and regsd's CPU."""
        ours = [self.env.dbus_proc.pid, self.probe.pid, os.getpid()] + self.session_pids
        h0, o0 = host_cpu(), sum(proc_cpu_ticks(p) for p in ours)
        c0, t0 = proc_cpu_ticks(self.regsd_pid), time.monotonic_ns()
        r = fn()
        t1, c1 = time.monotonic_ns(), proc_cpu_ticks(self.regsd_pid)
        o1, h1 = sum(proc_cpu_ticks(p) for p in ours), host_cpu()
        total = h1[1] - h0[1]
        other = (h1[0] - h0[0]) - (o1 - o0) - (c1 - c0)
        self.windows.append((name, t0, t1, c1 - c0, 100.0 * max(0, other) / total if total
                             else 0))
        return r

    # ------------------------------------------------------------ flows
    def users(self, k):
        u = [bench_user(self.next_user + i) for i in range(k)]
        self.next_user += k
        if self.next_user > GOOGLE_USERS + 1:
            raise RuntimeError("more flow users than Google bindings")
        return u

    @staticmethod
    def fanout(sessions, method, sig, arglists, timeout=120):
        """Sends one call on every session at once; [(seconds, error, values)] per session."""
        t0 = time.monotonic()
        for s, args in zip(sessions, arglists):
            s.proc.stdin.write(json.dumps([method, sig, list(args)]) + "\n")
            s.proc.stdin.flush()
        pending = {s.proc.stdout.fileno(): i for i, s in enumerate(sessions)}
        out = [None] * len(sessions)
        while pending:
            left = t0 + timeout - time.monotonic()
            r, _, _ = select.select(list(pending), [], [], max(0, left))
            if not r:
                raise RuntimeError("%s: %d of %d calls unanswered after %d s" % (
                    method, len(pending), len(sessions), timeout))
            for fd in r:
                i = pending.pop(fd)
                line = sessions[i].proc.stdout.readline()
                t = time.monotonic() - t0
                if not line:
                    raise RuntimeError("a bus helper died")
                res = json.loads(line)
                out[i] = (t, res["error"], res["values"] if res["error"] is None
                          else [res["message"]])
        return out

    def flow_round(self, label, k, delay, windows=True):
        """k Google login flows at once, each on its own connection (as root, like the PAM
        module): GoogleBegin, approve, wait until the poll is due, OobWait, GoogleLogin."""
        users = self.users(k)
        sessions = [self.env.bus_session() for _ in users]
        self.session_pids = [s.proc.pid for s in sessions]
        try:
            self.op.delay = delay

            def begin():
                return self.fanout(sessions, "GoogleBegin", "ssss",
                                   [(u, "login", "login", "") for u in users])
            began = self.window(label + "_begin", begin) if windows else begin()
            bad = [(u, r) for u, r in zip(users, began) if r[1]]
            if bad:
                raise RuntimeError("GoogleBegin failed: %r\n%s" % (bad[:3],
                                                                   self.env.regsd_tail(20)))
            last_reply = time.time()
            handles = [r[2][0] for r in began]
            codes = [r[2][2] for r in began]
            for u, c in zip(users, codes):
                self.op.approve(c, sub="bench-sub-" + u, email=u + "@bench.invalid")
            # regsd polls no sooner than its whole-second clock + interval + 1 after the
            # device code came: wait past that, so that OobWait times only the token request.
            due = math.floor(last_reply) + self.op.interval + 1 + 0.5

            def idle():
                time.sleep(max(0.0, due - time.time()))
            if windows:
                self.window(label + "_idle", idle)
            else:
                idle()

            def wait():
                return self.fanout(sessions, "OobWait", "s", [(h,) for h in handles])
            waited = self.window(label + "_wait", wait) if windows else wait()
            self.op.delay = 0
            approved = sum(1 for r in waited if not r[1] and r[2][0] == OOB_APPROVED)
            logins = self.fanout(sessions, "GoogleLogin", "ssss",
                                 [(h, bench_code(self.seed, u), "login", "")
                                  for h, u in zip(handles, users)])
            logins_ok = sum(1 for r in logins if not r[1] and r[2][0] == R_OK)
        finally:
            self.op.delay = 0
            for s in sessions:
                s.close()
            self.session_pids = []
        ids = {f["user_code"]: f["id"] for f in self.op.flows()}
        mine = {ids[c] for c in codes}
        answers = [p[2] for p in self.op.polls if p[0] in mine]
        rec = {
            "k": k, "delay": delay,
            "begin_s": sorted(r[0] for r in began),
            "wait_s": sorted(r[0] for r in waited),
            "approved": approved, "logins_ok": logins_ok,
            "polls": len(answers), "token_polls": answers.count("token"),
        }
        self.flows[label] = rec
        log("%s: %d flows, delay %s s: GoogleBegin %.2f..%.2f s, OobWait %.2f..%.2f s, "
            "%d approved, %d GoogleLogin ok, %d polls (%d token)" % (
                label, k, delay, rec["begin_s"][0], rec["begin_s"][-1], rec["wait_s"][0],
                rec["wait_s"][-1], approved, logins_ok, rec["polls"], rec["token_polls"]))
        if approved != k or logins_ok != k:
            self.failed = True
            log("FAILED: not every flow was approved and logged in\n" +
                self.env.regsd_tail(20))
        return rec

    def newconn_round(self, i, k):
        """k new bus connections (as root) make their first call, GetAccount, at once, with no
        flow running: regsd identifies each new caller with a blocking round trip to the bus
        (daemon/caller.c) inside its batch. Returns the seconds until the last answer."""
        sessions = [self.env.bus_session() for _ in range(k)]
        self.session_pids = [s.proc.pid for s in sessions]
        try:
            time.sleep(0.5)

            def first_calls():
                out = self.fanout(sessions, "GetAccount", "s",
                                  [(bench_user(PROBE_FIRST - 1),)] * k)
                time.sleep(0.3)
                return out
            out = self.window("newconn_%d" % i, first_calls)
        finally:
            for s in sessions:
                s.close()
            self.session_pids = []
        bad = [r for r in out if r[1]]
        if bad:
            raise RuntimeError("GetAccount failed: %r" % bad[:2])
        return max(r[0] for r in out)

    # ------------------------------------------------------------ the run
    def run(self):
        a = self.a
        self.failed = False
        self.setup()
        self.flow_round("warmup", 1, 0, windows=False)
        self.start_probe()
        self.window("baseline", lambda: time.sleep(a.baseline))
        self.flow_round("k%d_fast" % a.workers, a.workers, 0)
        self.flow_round("k%d_slow" % a.workers, a.workers, a.delay)
        self.flow_round("k%d" % a.k, a.k, a.delay)
        self.window("after", lambda: time.sleep(a.baseline))
        self.newconn_s = [self.newconn_round(i, a.k) for i in range(a.newconn)]
        log("%d new connections' first calls at once, %d times: last answer after %s s" % (
            a.k, a.newconn, ", ".join("%.3f" % x for x in self.newconn_s)))
        samples = self.stop_probe()
        return self.report(samples)

    # ------------------------------------------------------------ output
    def window_stats(self, samples):
        out = {}
        for name, t0, t1, ticks, host in self.windows:
            inw = [s for s in samples if t0 <= s[0] < t1]
            lat = sorted(s[1] / 1000.0 for s in inw)
            secs = (t1 - t0) / 1e9
            out[name] = {
                "t0_ns": t0, "t1_ns": t1, "seconds": secs, "calls": len(inw),
                "failures": sum(1 for s in inw if s[2] != R_OK),
                "p50_us": percentile(lat, 50), "p99_us": percentile(lat, 99),
                "max_us": lat[-1] if lat else 0,
                "mean_us": sum(lat) / len(lat) if lat else 0,
                "regsd_cpu_ms": ticks * 1000.0 / self.hz,
                "regsd_cpu_pct": ticks * 100.0 / self.hz / secs if secs else 0,
                "other_cpu_pct": host,
            }
        return out

    def report(self, samples):
        a = self.a
        ws = self.window_stats(samples)
        lines = []
        for name, st in ws.items():
            lines.append("oobload: window=%s seconds=%.1f calls=%d failures=%d p50_us=%.0f "
                         "p99_us=%.0f max_us=%.0f mean_us=%.0f regsd_cpu_ms=%.0f other_cpu_pct=%.0f t0_ns=%d t1_ns=%d" % (
                             name, st["seconds"], st["calls"], st["failures"], st["p50_us"],
                             st["p99_us"], st["max_us"], st["mean_us"], st["regsd_cpu_ms"],
                             st["other_cpu_pct"], st["t0_ns"], st["t1_ns"]))
        for label, r in self.flows.items():
            lines.append("oobload: flows=%s k=%d delay=%s approved=%d logins_ok=%d polls=%d "
                         "token_polls=%d begin_s=%s wait_s=%s" % (
                             label, r["k"], r["delay"], r["approved"], r["logins_ok"], r["polls"],
                             r["token_polls"], ",".join("%.3f" % x for x in r["begin_s"]),
                             ",".join("%.3f" % x for x in r["wait_s"])))
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")

        fails = sum(st["failures"] for st in ws.values())
        t = []
        t.append("VerifyOtp latency while Google flows wait on the provider: one kept connection, "
                 "%d calls/s paced," % a.rate)
        t.append("distinct users, correct codes (bench/otpprobe); regsd net_workers=%d, "
                 "provider /device/code and /token delay %s s" % (a.workers, a.delay))
        hdr = "%-44s | %-5s | %-5s | %-8s | %-8s | %-8s | %-5s | %-5s" % (
            "window", "secs", "calls", "p50", "p99", "max", "regsd", "other")
        t.append(hdr)
        t.append("-" * 45 + "+-------+-------+----------+----------+----------+-------+------")
        k = "k%d" % a.k
        kf, ks = "k%d_fast" % a.workers, "k%d_slow" % a.workers
        names = [("baseline", "(a) no flows"),
                 (k + "_begin", "(b) %d GoogleBegin, device endpoint %s s" % (a.k, a.delay)),
                 (k + "_idle", "    %d flows approved, waiting for the poll" % a.k),
                 (k + "_wait", "(b) %d OobWait, token endpoint %s s" % (a.k, a.delay)),
                 (ks + "_wait", "    %d OobWait, token endpoint %s s" % (a.workers, a.delay)),
                 ("after", "(a') no flows, after")]
        for key, label in names:
            st = ws.get(key)
            if not st:
                continue
            t.append("%-44s | %-5.1f | %-5d | %-8s | %-8s | %-8s | %-5s | %-5s" % (
                label, st["seconds"], st["calls"], fmt_us(st["p50_us"]), fmt_us(st["p99_us"]),
                fmt_us(st["max_us"]), "%.0f%%" % st["regsd_cpu_pct"],
                "%.0f%%" % st["other_cpu_pct"]))
        t.append("regsd: its CPU time over the window in % of one core; other: CPU time of "
                 "processes not of this run")
        t.append("(busy in /proc/stat less regsd, dbus-daemon, otpprobe, the provider) in %% of "
                 "all %d cores." % os.cpu_count())
        t.append("VerifyOtp failures in all windows: %d of %d" % (fails, len(samples)))
        t.append("")
        t.append("OobWait answer time, poll due, flow approved at the provider (token, ID token "
                 "verified):")
        for label, what in ((kf, "provider answers at once"), (ks, "token after %s s" % a.delay)):
            r = self.flows.get(label)
            if r:
                w = r["wait_s"]
                t.append("  %d flows at once, %-24s: %s" % (
                    r["k"], what, ", ".join(fmt_s(x) for x in w)))
        r = self.flows.get(k)
        if r:
            t.append("")
            t.append("%d flows at once on %d workers, %s s per provider answer: answers by rank "
                     "(expected ceil(rank/%d) x %s s)" % (a.k, a.workers, a.delay, a.workers,
                                                        a.delay))
            for what, v in (("GoogleBegin", r["begin_s"]), ("OobWait", r["wait_s"])):
                groups = []
                for g in range(0, len(v), a.workers):
                    chunk = v[g:g + a.workers]
                    groups.append("%s-%s" % (fmt_s(chunk[0]), fmt_s(chunk[-1])))
                t.append("  %-11s: %s" % (what, " | ".join(groups)))
                t.append("  %-11s  last %s (expected %s)" % (
                    "", fmt_s(v[-1]), fmt_s(math.ceil(len(v) / a.workers) * a.delay)))
            t.append("  approved %d/%d, GoogleLogin (OTP) ok %d/%d, token polls %d of %d polls" % (
                r["approved"], r["k"], r["logins_ok"], r["k"], r["token_polls"], r["polls"]))
        if self.newconn_s:
            nc = [ws["newconn_%d" % i] for i in range(len(self.newconn_s))]
            t.append("")
            t.append("New callers, no flows: %d new bus connections send their first call "
                     "(GetAccount) at once, %d times:" % (a.k, len(nc)))
            t.append("  slowest VerifyOtp meanwhile: %s" % ", ".join(fmt_us(w["max_us"])
                                                                    for w in nc))
            t.append("  last GetAccount answer after: %s" % ", ".join(
                "%.0f ms" % (x * 1000) for x in self.newconn_s))
        with open(a.table, "w") as f:
            f.write("\n".join(t) + "\n")
        return 1 if self.failed or fails else 0


def fmt_us(us):
    if us >= 100000:
        return "%.0f ms" % (us / 1000)
    if us >= 10000:
        return "%.1f ms" % (us / 1000)
    return "%.2f ms" % (us / 1000)


def fmt_s(s):
    return "%.2f s" % s


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--state-dir", help="regsd's state directory (default: in the Env's temp)")
    p.add_argument("--out", required=True, help="key=value results")
    p.add_argument("--table", required=True, help="the formatted table part")
    p.add_argument("--samples", help="copy the prober's raw samples here (start_ns latency_ns "
                   "result)")
    p.add_argument("--k", type=int, default=32, help="concurrent Google flows (32)")
    p.add_argument("--delay", type=float, default=2, help="provider answer delay, s (2)")
    p.add_argument("--rate", type=int, default=200, help="VerifyOtp calls/s of the prober")
    p.add_argument("--accounts", type=int, default=40000, help="OTP accounts (40000)")
    p.add_argument("--baseline", type=float, default=10, help="seconds of each flow-free window")
    p.add_argument("--newconn", type=int, default=5,
                   help="times K new connections make their first call at once (5)")
    p.add_argument("--net-workers", type=int, default=0,
                   help="set regsd's net_workers (default: regsd's own, 4)")
    a = p.parse_args()
    a.workers = a.net_workers or 4
    if a.delay == int(a.delay):
        a.delay = int(a.delay)
    if a.k + 2 * a.workers + 1 > GOOGLE_USERS:
        p.error("at most %d flows in all" % GOOGLE_USERS)
    run = Run(a)
    try:
        rc = run.run()
    finally:
        run.cleanup()
    sys.exit(rc)


if __name__ == "__main__":
    main()
