"""A real PostgreSQL 15 for the fleet tests (R10), started by the test itself: a temp
directory owned by `nobody`, initdb and pg_ctl run as nobody, no system service, Unix socket
only (listen_addresses=''). Role `regs` (superuser, trust), database `regs`.

    pg = PgServer(fsync=False)       # fsync=False: quick, for tests that do not crash it
    pg.start()
    pg.conninfo()                    # "host=DIR port=PORT dbname=regs user=regs"
    pg.psql("SELECT 1")              # [("1",)]
    standby = pg.make_standby()      # a synchronous streaming standby: commits wait for it
    pg.stop("immediate"); standby.promote()
    pg.cleanup(); standby.cleanup()  # every server stopped, directories removed

A failover test keeps fsync on: durability is what it proves.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time

from procs import free_port, slow

PG_BIN = os.environ.get("REGS_PG_BIN") or "/usr/lib/postgresql/15/bin"
PSQL = "/usr/bin/psql" if os.path.exists("/usr/bin/psql") else os.path.join(PG_BIN, "psql")
ROLE, DBNAME = "regs", "regs"
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
STANDBY_NAME = "regs_standby"


def available():
    """Why the fixture cannot run here, or None."""
    for prog in ("initdb", "pg_ctl", "pg_basebackup"):
        if not os.access(os.path.join(PG_BIN, prog), os.X_OK):
            return "PostgreSQL 15 server programs not found in %s (Debian: postgresql-15)" % PG_BIN
    if os.geteuid() != 0:
        return "the PostgreSQL fixture runs initdb as nobody, which needs root"
    return None


def _run(cmd, timeout=60, check=True):
    p = subprocess.run(AS_NOBODY + cmd, capture_output=True, text=True, cwd="/",
                       timeout=slow(timeout), env=_pg_env())
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s%s" % (" ".join(cmd), p.returncode,
                                                            p.stdout, p.stderr))
    return p


def _pg_env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    e.pop("LD_PRELOAD", None)
    e.update({"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC"})
    return e


class PgServer:
    """One PostgreSQL cluster in its own directory: DIR/data, DIR/log, its socket in DIR."""

    def __init__(self, fsync=True, name="pg"):
        self.fsync = fsync
        self.name = name
        self.dir = None
        self.port = None
        self.standbys = []

    # -- paths
    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def log_path(self):
        return os.path.join(self.dir, "log")

    def _make_dir(self):
        self.dir = tempfile.mkdtemp(prefix="regs-%s-" % self.name, dir="/tmp")
        nobody = pwd.getpwnam("nobody")
        os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
        os.chmod(self.dir, 0o700)
        self.port = free_port()

    # -- the cluster
    def init(self):
        """initdb (role regs, trust) with the settings the fixture needs."""
        self._make_dir()
        _run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust", "-U", ROLE,
              "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"], timeout=120)
        self._append_conf(["wal_level = replica", "max_wal_senders = 4",
                           "fsync = %s" % ("on" if self.fsync else "off")])
        self._ensure_replication_hba()

    def _append_conf(self, lines):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("# tests/integration/pgserver.py\n" + "".join(ln + "\n" for ln in lines))

    def _ensure_replication_hba(self):
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba) as f:
            text = f.read()
        if "local replication %s trust" % ROLE not in text:
            with open(hba, "a") as f:
                f.write("local replication %s trust\n" % ROLE)

    def start(self, create_db=True):
        """initdb on first use, then pg_ctl start (waits until it accepts connections)."""
        if self.dir is None:
            self.init()
        opts = "-k %s -p %d -c listen_addresses=''" % (self.dir, self.port)
        _run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log_path,
              "-o", opts, "-w", "-t", "%d" % slow(60), "start"], timeout=90)
        if create_db and not self.psql("SELECT 1 FROM pg_database WHERE datname = '%s'"
                                       % DBNAME, db="postgres"):
            self.psql("CREATE DATABASE %s" % DBNAME, db="postgres")

    def running(self):
        if not self.dir or not os.path.exists(os.path.join(self.data, "postmaster.pid")):
            return False
        p = _run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "status"], check=False)
        return p.returncode == 0

    def stop(self, mode="fast"):
        """pg_ctl stop -m mode (fast or immediate); nothing when it is not running."""
        if self.running():
            _run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t",
                  "%d" % slow(60), "stop"], timeout=90)

    def cleanup(self):
        """Stops this server and its standbys (immediately) and removes their directories."""
        for s in self.standbys:
            s.cleanup()
        self.standbys = []
        if self.dir:
            try:
                self.stop("immediate")
            finally:
                if os.environ.get("REGS_KEEP") == "1":
                    print("# kept %s" % self.dir, flush=True)
                else:
                    shutil.rmtree(self.dir, ignore_errors=True)
                self.dir = None

    # -- clients
    def conninfo(self, db=DBNAME):
        return "host=%s port=%d dbname=%s user=%s" % (self.dir, self.port, db, ROLE)

    def psql(self, sql, db=DBNAME, timeout=60):
        """Runs sql (a statement, or a list run one after another, each in its own
        transaction) with psql as nobody; returns the rows printed, as tuples of strings."""
        cmd = [PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
               "-h", self.dir, "-p", str(self.port), "-U", ROLE, "-d", db]
        for statement in [sql] if isinstance(sql, str) else sql:
            cmd += ["-c", statement]
        p = _run(cmd, timeout=timeout)
        return [tuple(line.split("\t")) for line in p.stdout.splitlines() if line != ""]

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except (FileNotFoundError, TypeError):
            return ""

    # -- database snapshots (fresh state per test)
    def save_db(self, as_name):
        """A copy of the regs database as a template (nobody may be connected to it)."""
        self.psql(["DROP DATABASE IF EXISTS %s" % as_name,
                   "CREATE DATABASE %s TEMPLATE %s" % (as_name, DBNAME)], db="postgres")

    def restore_db(self, from_name):
        """The regs database replaced by the copy save_db() made (connections dropped)."""
        self.psql(["DROP DATABASE IF EXISTS %s WITH (FORCE)" % DBNAME,
                   "CREATE DATABASE %s TEMPLATE %s" % (DBNAME, from_name)], db="postgres")

    # -- a synchronous standby
    def make_standby(self, timeout=60):
        """A streaming standby of this (running) server, started, and named in this server's
        synchronous_standby_names: from now on a commit returns once the standby has it."""
        sb = PgServer(fsync=self.fsync, name=self.name + "-standby")
        sb._make_dir()
        _run([os.path.join(PG_BIN, "pg_basebackup"), "-h", self.dir, "-p", str(self.port),
              "-U", ROLE, "-D", sb.data, "-R", "-X", "stream", "--no-sync",
              "--checkpoint=fast"], timeout=120)
        with open(os.path.join(sb.data, "postgresql.auto.conf"), "a") as f:
            f.write("primary_conninfo = 'host=%s port=%d user=%s application_name=%s'\n"
                    % (self.dir, self.port, ROLE, STANDBY_NAME))
        self.standbys.append(sb)
        sb.start(create_db=False)
        self.set_synchronous_standby(STANDBY_NAME)
        self._wait_sync(timeout)
        return sb

    def set_synchronous_standby(self, name):
        self.psql(["ALTER SYSTEM SET synchronous_standby_names = '%s'" % name,
                   "SELECT pg_reload_conf()"], db="postgres")

    def _wait_sync(self, timeout):
        deadline = time.monotonic() + slow(timeout)
        while time.monotonic() < deadline:
            rows = self.psql("SELECT sync_state FROM pg_stat_replication WHERE "
                             "application_name = '%s'" % STANDBY_NAME, db="postgres")
            if rows and rows[0][0] == "sync":
                return
            time.sleep(0.1)
        raise RuntimeError("the standby did not become synchronous within %ss:\n%s"
                           % (timeout, self.log()[-3000:]))

    def is_primary(self):
        return self.psql("SELECT pg_is_in_recovery()", db="postgres") == [("f",)]

    def promote(self, timeout=60):
        """pg_ctl promote; then synchronous_standby_names cleared here, else every commit on
        the new primary would wait forever for a standby it does not have."""
        _run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w", "-t", "%d" % slow(timeout),
              "promote"], timeout=timeout + 30)
        self.set_synchronous_standby("")
        deadline = time.monotonic() + slow(timeout)
        while not self.is_primary():
            if time.monotonic() > deadline:
                raise RuntimeError("the promoted standby is still in recovery")
            time.sleep(0.1)
