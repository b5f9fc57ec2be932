"""The storage interface's contract on both backends (R10): tests/store/storecheck runs the
same transactions on LMDB and on a real PostgreSQL (pgserver.py: initdb/pg_ctl in a temp
directory, Unix socket only) and the two transcripts must be equal (key order with prefixes,
NUL and 0xff bytes, scans from a start, a transaction's own writes, an abort, 5,000 writes in
one transaction, no empty key). Then what only a shared database can get wrong: concurrent
read-modify-write batches from several processes (no update lost or doubled), a newer schema
refused with a clear error, and a password in regs.conf refused.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import pgserver  # noqa: E402
from harness import BUILDDIR, check, check_in, skip  # noqa: E402

STORECHECK = os.path.join(BUILDDIR, "tests", "store", "storecheck")
_pg = []


def pg():
    """One server for the file (fsync off: nothing here crashes it), stopped at exit."""
    why = pgserver.available()
    if why:
        skip(why)
    if not _pg:
        server = pgserver.PgServer(fsync=False, name="store")
        atexit.register(server.cleanup)
        server.start()
        _pg.append(server)
    return _pg[0]


def fresh_db(name):
    server = pg()
    server.psql("DROP DATABASE IF EXISTS %s" % name, db="postgres")
    server.psql("CREATE DATABASE %s" % name, db="postgres")
    return server.conninfo(db=name)


def storecheck(*args, timeout=120):
    return subprocess.run([STORECHECK] + list(args), capture_output=True, text=True,
                          timeout=harness.slow(timeout))


def test_R10_1_store_contract_is_the_same_on_lmdb_and_postgresql():
    tmp = tempfile.mkdtemp(prefix="regs-storecheck-")
    try:
        lm = storecheck("lmdb", os.path.join(tmp, "db"))
        pq = storecheck("postgresql", fresh_db("contract"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check(lm.returncode == 0, "LMDB broke the contract", lm.stderr)
    check(pq.returncode == 0, "PostgreSQL broke the contract", pq.stderr)
    check(len(lm.stdout.splitlines()) > 40, "the transcript is too short", lm.stdout)
    check(lm.stdout == pq.stdout, "the backends answered differently",
          "--- lmdb\n" + lm.stdout, "--- postgresql\n" + pq.stdout)


def concurrent_counts(db, modes):
    """One process per mode (count: plain write batches; count-accounts: account batches),
    150 increments each of one account's counter; returns the counter."""
    conninfo = fresh_db(db)
    procs = [subprocess.Popen([STORECHECK, mode, "postgresql", conninfo, "150"],
                              stderr=subprocess.PIPE, text=True) for mode in modes]
    errors = [p.communicate(timeout=harness.slow(300))[1] for p in procs]
    check(all(p.returncode == 0 for p in procs), "a batch failed", errors)
    return pg().psql("SELECT encode(v, 'hex') FROM regs_kv WHERE tb = 1 AND k = "
                     "'counter'::bytea", db=db)


def test_R10_1_concurrent_batches_lose_or_double_no_update():
    rows = concurrent_counts("counter", ["count"] * 4)
    check(rows == [("%016x" % 600,)], "4 x 150 increments did not make 600: %r" % (rows,))


def test_R10_1_account_batches_beside_plain_batches_lose_or_double_no_update():
    """Account batches (the fleet lock shared, then the account's own) of one account, mixed
    with plain write batches (the fleet lock alone), on four connections at once."""
    rows = concurrent_counts("accounts", ["count-accounts"] * 3 + ["count"])
    check(rows == [("%016x" % 600,)], "4 x 150 increments did not make 600: %r" % (rows,))


def test_R10_1_newer_schema_is_refused_with_a_clear_error(env):
    conninfo = fresh_db("newer")
    first = storecheck("count", "postgresql", conninfo, "1")
    check(first.returncode == 0, "a fresh database was not set up", first.stderr)
    pg().psql("UPDATE regs_kv SET v = '\\x00000063'::bytea WHERE tb = 0 AND k = "
              "'schema'::bytea", db="newer")
    again = storecheck("count", "postgresql", conninfo, "1")
    check(again.returncode != 0, "a database of schema 99 was used", again.stdout)
    check_in("schema", again.stderr, "the refusal names the schema")
    env.stop_regsd()
    env.write_conf(store="postgresql", postgresql=conninfo)
    try:
        env.start_regsd()
        started = True
    except RuntimeError as e:
        started = False
        out = str(e)
    check(not started, "regsd started on a database of a newer schema")
    check_in("newer regsd wrote it", out, "regsd's refusal says why")


def test_R10_2_password_in_regs_conf_is_refused(env):
    env.write_conf(store="postgresql",
                   postgresql="host=/nonexistent dbname=regs user=regs password=secret")
    p = subprocess.run([env.regsd_bin, "-c", env.path("regs.conf"), "--check-config"],
                       capture_output=True, text=True, timeout=harness.slow(30))
    check(p.returncode != 0, "a password in regs.conf passed --check-config", p.stdout)
    check_in("passfile", p.stderr, "the refusal says where the password goes")
    check("secret" not in p.stderr, "the password was printed", p.stderr)


harness.main(globals())
