"""A fleet for the R10 tests: one real PostgreSQL (pgserver.py) shared by two regsd "hosts",
each a harness Env (env.py) with its own private bus, temp dir and regsd, regs.conf naming
`store = postgresql`, the server's connection string and its host_name. The hosts share one
seal key (host A's, copied to host B's seal_key_file before B starts, as an administrator
does) and one test clock (host A's), and the test's record of OTP secrets.

    fleet.a, fleet.b    the hosts (Env: login(), enrol(), regsctl(), get_account(), ...)
    fleet.pg            the PgServer (fleet.pg.stop() / start() for R10.2)

Fresh state per test, as Env's (tap.run): snapshot() also keeps a copy of the database
(a template), reset() puts it back with both regsds stopped.
"""

import os
import shutil

from env import Env, SetUpAndCleanUp
from pgserver import DBNAME, ROLE, PgServer, available
import tap

SNAPSHOT_DB = "regs_snapshot"


class FleetHost(Env):
    """A host of the fleet: an Env whose test clock is the leader's (regsd reads the
    leader's clock file; advance() moves every host)."""

    def __init__(self, leader=None, **kw):
        self.leader = leader
        super().__init__(**kw)

    @property
    def offset(self):
        return self.leader.offset if self.leader else self.__dict__.get("_offset", 0)

    @offset.setter
    def offset(self, value):
        if self.leader:
            self.leader.offset = value
        else:
            self.__dict__["_offset"] = value

    def _write_clock(self):
        if self.leader:
            self.leader._write_clock()
        else:
            super()._write_clock()

    def base_env(self, *args, **kw):
        e = super().base_env(*args, **kw)
        if self.leader and self.leader.tmp:
            e["REGS_TEST_CLOCK_FILE"] = self.leader.path("clock")
        return e

    def share_records(self):
        """The leader's record of secrets and codes is this host's too."""
        if self.leader:
            self.secrets = self.leader.secrets
            self.used_codes = self.leader.used_codes

    def copy_seal_key_from(self, other):
        """other's seal key as this host's seal_key_file (0600 root), as the README tells an
        administrator to copy it; before this host's regsd starts."""
        src = other.conf_values()["seal_key_file"]
        dst = self.conf_values()["seal_key_file"]
        os.makedirs(os.path.dirname(dst), mode=0o700, exist_ok=True)
        shutil.copyfile(src, dst)
        os.chown(dst, 0, 0)
        os.chmod(dst, 0o600)


class Fleet(SetUpAndCleanUp):
    """PostgreSQL and the hosts; a context manager like Env. fsync=False makes a quick
    server for tests that do not crash it; standby=True adds a synchronous streaming standby
    (fleet.standby) and gives regsd the connection string of both, read-write first."""

    def __init__(self, hosts=("host-a", "host-b"), conf=None, smtp=False, fsync=False,
                 standby=False):
        self.host_names = list(hosts)
        self.conf = dict(conf or {})
        self.smtp = smtp
        self.pg = None
        self.standby = None
        self.fsync = fsync
        self.want_standby = standby
        self.hosts = []
        self.tmp = None
        self.generation = 0

    @property
    def a(self):
        return self.hosts[0]

    @property
    def b(self):
        return self.hosts[1]

    def conninfo(self):
        servers = [self.pg] + ([self.standby] if self.standby else [])
        if len(servers) == 1:
            return self.pg.conninfo()
        return "host=%s port=%s dbname=%s user=%s target_session_attrs=read-write" % (
            ",".join(s.dir for s in servers), ",".join(str(s.port) for s in servers),
            DBNAME, ROLE)

    def host_conf(self, name):
        c = {"store": "postgresql", "postgresql": self.conninfo(), "host_name": name}
        c.update(self.conf)
        return c

    def setup(self):
        self.pg = PgServer(fsync=self.fsync)
        self.pg.start()
        if self.want_standby:
            self.standby = self.pg.make_standby()
        leader = None
        for i, name in enumerate(self.host_names):
            host = FleetHost(leader=leader, conf=self.host_conf(name), regsd=False,
                             smtp=self.smtp if i == 0 else False)
            self.hosts.append(host)
            host.setup()
            if leader:
                host.share_records()
                host.copy_seal_key_from(leader)
            host.start_regsd()
            leader = leader or host
        self.tmp = self.a.tmp

    def cleanup(self):
        for host in self.hosts:
            try:
                host.cleanup()
            except Exception as e:  # the others and PostgreSQL are stopped all the same
                print("# cleanup of a host failed: %s" % e, flush=True)
        if self.pg:
            self.pg.cleanup()  # and its standby

    # -- fresh state for every test
    def stop_all_regsd(self):
        for host in self.hosts:
            if host.regsd_running():
                try:
                    host.stop_regsd(wake=True)
                except AssertionError:
                    host.kill_regsd()

    def snapshot(self):
        for host in self.hosts:
            host.snapshot()
        self.stop_all_regsd()
        self.pg.save_db(SNAPSHOT_DB)
        for host in self.hosts:
            host.start_regsd()

    def reset(self):
        self.generation += 1
        self.stop_all_regsd()
        if not self.pg.running():
            self.pg.start(create_db=False)
        self.pg.restore_db(SNAPSHOT_DB)
        for host in self.hosts:
            host.reset()
            host.share_records()

    # -- what tap.run prints after a failure
    def regsd_tail(self, n=20):
        return "\n".join("%s %s" % (h.conf_values()["host_name"], h.regsd_tail(n))
                         for h in self.hosts) + "\n--- postgresql log (tail):\n" + \
            "\n".join(self.pg.log().splitlines()[-n:])


def main(g, **fleet_kwargs):
    """Runs the test_* functions of the module dict g (tap.run) with a Fleet(**fleet_kwargs)
    as their env; all skipped when this machine cannot run PostgreSQL for the test."""
    why = available()
    if why:
        print("1..0 # SKIP %s" % why, flush=True)
        return
    tap.run(g, lambda: Fleet(**fleet_kwargs))
