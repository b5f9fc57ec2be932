"""R10.5: a single host's LMDB database copied into the shared PostgreSQL one and back
(`regsctl store copy FROM TO`, which runs `regsd --copy-store`) without losing a record.

The set-up builds one database with the real regsd and every kind of record the fixtures
make: accounts, OTP bindings, a used time step, a failure count, a lock, a pending
enrolment, an e-mail verification code and an emergency code, a language choice, activity-log
rows, and a Google and a mobile-ID binding with their indexes (the provider and the service
of test_google.py and test_mobile.py). Card bindings need the card namespace
(test_card.py); the copy treats every table alike, and tests/unit/test_storecopy.c fills
every table. regsd is stopped before each test, which starts from that database. The seal
key's check value travels with the records, so the copy demands the same key (R10.4).

The PostgreSQL server is tests/integration/pgserver.py's: started once for the file, as
nobody, Unix socket only; each test copies into a new database of it.
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (F_GOOGLE_BOUND, F_LOCKED, F_MOBILE_BOUND, F_OTP_BOUND,  # noqa: E402
                     check, check_in, parse_reply, skip)
import pgserver  # noqa: E402
import test_google as google_fixture  # noqa: E402
import test_keyid as keyid_fixture  # noqa: E402
import test_mobile as mobile_fixture  # noqa: E402

# The tables the set-up fills (the card ones stay empty: see above).
FILLED = ("accounts", "otp", "pending", "audit", "audit_by_user", "codes", "google",
          "google_index", "mobile", "mobile_index")
NOT_EMPTY = "TO is not empty: nothing copied"


class _State:
    pg = None
    databases = 0
    used = None  # (user, code, time) of the set-up's last login


S = _State()


class CopyEnv(harness.Env):
    """The harness Env whose set-up leaves a database with every kind of record, regsd
    stopped (so every test starts from it with regsd stopped)."""

    def setup(self):
        super().setup()
        populate(self)
        self.stop_regsd()


def populate(env):
    google_fixture.use(env)
    google_fixture.bound(env, "bob")
    mobile_fixture.use(env)
    mobile_fixture.bound(env, "bob")
    alice = env.enrol("alice")
    rc, out, err = env.regsctl(["language", "en"], uid="alice", input="")
    check(rc == 0, "regsctl language exit %d" % rc, out, err)
    failing = env.enrol("user2")
    env.login("user2", env.wrong_code(failing))
    env.enrol("user3")
    env.lock("user3")
    rc, out, err = env.dbus_call("BeginOtpEnrol", "string:user7", uid=env.users["user7"])
    check(rc == 0, "BeginOtpEnrol failed: %s" % err, out)
    rc, out, err = env.regsctl(["email", "set", "user7@example.org", "--no-wait"],
                               uid="user7", input="")
    check(rc == 0, "email set exit %d" % rc, out, err, env.regsd_tail())
    env.enrol("user8")
    rc, out, err = env.regsctl(["set-email", "user8", "user8@example.org"], uid="carol",
                               input="")
    check(rc == 0, "set-email exit %d" % rc, out, err)
    rc, out, err = env.regsctl(["reset-code", "request", "--no-wait"], uid="user8", input="")
    check(rc == 0, "reset-code request exit %d" % rc, out, err, env.regsd_tail())
    code = env.fresh_code(alice)
    r = env.login("alice", code, rhost="copy-host")
    check(r.auth == "PAM_SUCCESS", "alice's login failed", r, env.regsd_tail())
    S.used = ("alice", code, env.now())


# -- helpers

def pg():
    """The file's PostgreSQL server, started at first use."""
    why = pgserver.available()
    if why:
        skip(why)
    if S.pg is None:
        S.pg = pgserver.PgServer(fsync=False, name="storecopy")
        S.pg.start()
    return S.pg


def new_database():
    """A new, empty database of the file's server; its connection string."""
    S.databases += 1
    name = "regs_copy_%d" % S.databases
    pg().psql("CREATE DATABASE %s" % name, db="postgres")
    return pg().conninfo(db=name)


def store_copy(env, src, dst, uid=None):
    """regsctl store copy SRC DST (as uid), the build tree's regsd run through the test hook;
    returns (rc, out, err)."""
    e = env.base_env()
    e["REGS_TEST_REGSD"] = env.regsd_bin
    cmd = env.as_user(uid) + [env.regsctl_bin, "store", "copy", src, dst]
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=harness.slow(300))
    return p.returncode, p.stdout, p.stderr


def copy_ok(env, src, dst):
    rc, out, err = store_copy(env, src, dst)
    check(rc == 0 and out.rstrip().endswith("verified"),
          "store copy %s -> %s: exit %d" % (src.split(":")[0], dst.split(":")[0], rc), out, err)
    return counts(out)


def counts(out):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(\w+) (\d+) records$", out, re.M)}


def lmdb(path):
    return "lmdb:" + path


def postgresql(conninfo):
    return "postgresql:" + conninfo


def dump(state):
    """Every table of the LMDB database in state, as mdb_dump -a prints its records:
    {table: [key line, value line, ...]} (the headers, which name the map size, left out)."""
    p = subprocess.run(["mdb_dump", "-a", state], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "mdb_dump -a %s failed" % state, p.stderr)
    tables, current = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("database="):
            current = tables.setdefault(line[len("database="):], [])
        elif line.startswith(" ") and current is not None:
            current.append(line)
    return tables


def fresh_dir(env, name):
    path = env.path(name)
    shutil.rmtree(path, ignore_errors=True)
    return path


def use_state(env, state):
    """regsd's state directory becomes state, with the seal key of the original."""
    orig = env.path("state")
    shutil.copy2(os.path.join(orig, "seal.key"), os.path.join(state, "seal.key"))
    env.write_conf(state_dir=state, seal_key_file=os.path.join(state, "seal.key"))


def replay_used_code(env):
    """The set-up's last code again, at the time it was used: refused as already used."""
    user, code, at = S.used
    env.advance(at - env.now())
    r = env.login(user, code)
    check(r.auth != "PAM_SUCCESS", "the used code was accepted again on the copy", r)
    check_in("already been used", r.error_text, "the replay message", r, env.regsd_tail())


def check_history(env):
    """What the set-up did is all there, as regsd reads it."""
    flags, lock_left, _ = env.get_account("bob")
    check(flags & F_GOOGLE_BOUND and flags & F_MOBILE_BOUND and flags & F_OTP_BOUND,
          "bob's bindings on the copy: %#x" % flags)
    check(env.get_account("user2")[2] == 1, "user2's failure: %r" % (env.get_account("user2"),))
    check(env.get_account("user3")[0] & F_LOCKED, "user3's lock was not copied")
    check(env.get_language("alice")[0] == "en", "alice's language was not copied")
    rc, out, err = env.regsctl(["log", "--json", "--user", "alice"])
    check(rc == 0, "regsctl log exit %d" % rc, out, err)
    rows = harness.json_records(harness.load_json(out, "log --json"))
    check(any("copy-host" in str(r.values()) for r in rows),
          "alice's login from copy-host is not in the log of the copy", out)


def check_every_kind_copied(counted):
    for table in FILLED:
        check(counted.get(table, 0) > 0, "no %s record was copied: %r" % (table, counted))


def check_same_dump(before, after):
    for table in FILLED:
        check(before.get(table), "mdb_dump shows no %s record: %r" % (table, sorted(before)))
    check(sorted(after) == sorted(before), "other tables: %r, %r" % (sorted(before),
                                                                     sorted(after)))
    for table in before:
        check(after[table] == before[table], "table %s differs after the copy" % table)


def check_regsd_on_copy(env, copy_dir):
    """regsd on the copy: the used code refused, a new one logs in, the history is there."""
    use_state(env, copy_dir)
    env.start_regsd()
    replay_used_code(env)
    env.login_ok("alice")
    check_history(env)


# -- the tests

def test_R10_5_copy_lmdb_to_postgresql_and_back_loses_no_record(env):
    state = env.path("state")
    before = dump(state)
    conninfo = new_database()
    there = copy_ok(env, lmdb(state), postgresql(conninfo))
    check_every_kind_copied(there)
    back_dir = fresh_dir(env, "back")
    back = copy_ok(env, postgresql(conninfo), lmdb(back_dir))
    check(back == there, "the copy back counts other records", there, back)
    check_same_dump(before, dump(back_dir))
    check_regsd_on_copy(env, back_dir)


def test_R10_5_copy_between_lmdb_databases_loses_no_record(env):
    state = env.path("state")
    before = dump(state)
    copy_dir = fresh_dir(env, "copy")
    check_every_kind_copied(copy_ok(env, lmdb(state), lmdb(copy_dir)))
    check_same_dump(before, dump(copy_dir))
    check_regsd_on_copy(env, copy_dir)


def test_R10_5_copy_refuses_a_non_empty_destination(env):
    state = env.path("state")
    conninfo = new_database()
    copy_ok(env, lmdb(state), postgresql(conninfo))
    kept = dump(state)
    env.start_regsd()
    env.login_ok("alice")  # FROM changes: a second copy would change TO
    env.stop_regsd()
    rc, out, err = store_copy(env, lmdb(state), postgresql(conninfo))
    check(rc == 9, "a copy into a non-empty PostgreSQL database: exit %d, want 9" % rc, out,
          err)
    check_in(NOT_EMPTY, err, "the refusal", out, err)
    back_dir = fresh_dir(env, "back")
    copy_ok(env, postgresql(conninfo), lmdb(back_dir))
    check(dump(back_dir) == kept, "the refused copy changed the PostgreSQL database")
    mine = dump(state)
    rc, out, err = store_copy(env, postgresql(conninfo), lmdb(state))
    check(rc == 9, "a copy into a non-empty LMDB database: exit %d, want 9" % rc, out, err)
    check_in(NOT_EMPTY, err, "the refusal", out, err)
    check(dump(state) == mine, "the refused copy changed the LMDB database")


def test_R10_5_copy_needs_root(env):
    target = fresh_dir(env, "target")
    rc, out, err = store_copy(env, lmdb(env.path("state")), lmdb(target), uid="alice")
    check(rc == 3, "store copy as a normal user: exit %d, want 3" % rc, out, err)
    check_in("root only", err, "the refusal", out, err)
    check(not os.path.exists(target), "the refused copy made its destination")


def test_R10_5_regsctl_links_no_database_code():
    regsctl = os.path.join(harness.BUILDDIR, "regsctl")
    p = subprocess.run(["ldd", regsctl], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "ldd regsctl failed", p.stderr)
    for lib in ("liblmdb", "libpq"):
        check(lib not in p.stdout, "regsctl links %s" % lib, p.stdout)


def test_R10_5_copied_fleet_database_logs_in_on_postgresql(env):
    conninfo = new_database()
    copy_ok(env, lmdb(env.path("state")), postgresql(conninfo))
    env.write_conf(store="postgresql", postgresql=conninfo)
    env.start_regsd()
    replay_used_code(env)
    env.login_ok("alice")
    check_history(env)


def test_R10_4_copied_database_demands_the_same_seal_key(env):
    """The seal key's check value travels with the copy: a regsd with another key refuses the
    copied PostgreSQL database and says why."""
    conninfo = new_database()
    copy_ok(env, lmdb(env.path("state")), postgresql(conninfo))
    env.write_conf(store="postgresql", postgresql=conninfo)
    keyid_fixture.start_refused_with_another_key(env, keyid_fixture.read_key(env))


def main():
    conf = {}
    for fixture in (google_fixture, mobile_fixture):
        fixture._setup()
        conf.update(fixture.S.conf)
    harness.Env = CopyEnv  # main() builds its Env from this name
    try:
        harness.main(globals(), conf=conf, smtp=True)
    finally:
        if S.pg:
            S.pg.cleanup()
        google_fixture.S.op.stop()
        mobile_fixture.S.svc.stop()
        for fixture in (google_fixture, mobile_fixture):
            shutil.rmtree(fixture.S.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
