"""The seal key is one per fleet (R10.4): the database keeps its key check value and a regsd
with another key refuses to start; every sealed OTP secret names the key that sealed it, and
secrets sealed before key ids existed (version 1) still open. Read and written directly in
regsd's LMDB with mdb_dump / mdb_load (lmdb-utils) while regsd is stopped."""

import base64
import hashlib
import hmac
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import pgserver  # noqa: E402
from harness import check, check_in  # noqa: E402

CHECK_LABEL = b"pam_regs seal key check"
SEAL_V1, SEAL_V2 = 1, 2


def key_check(key):
    return hmac.new(key, CHECK_LABEL, hashlib.sha256).digest()


def key_path(env):
    return env.conf_values()["seal_key_file"]


def read_key(env):
    with open(key_path(env), "rb") as f:
        return f.read()


def write_key(env, key):
    """Replaces the key file with another valid one (0600, 32 bytes), as a copy would."""
    path = key_path(env)
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    os.rename(tmp, path)


def dump_table(env, table):
    """The table's records as {key: value} (bytes), from mdb_dump's hex output."""
    out = subprocess.run(["mdb_dump", "-s", table, env.conf_values()["state_dir"]],
                         check=True, capture_output=True, text=True).stdout
    lines = out.split("HEADER=END\n", 1)[1].split("DATA=END", 1)[0].split()
    return {bytes.fromhex(k): bytes.fromhex(v) for k, v in zip(lines[0::2], lines[1::2])}


def load_record(env, table, key, value):
    """Writes one record (overwriting) with mdb_load."""
    text = ("VERSION=3\nformat=bytevalue\ndatabase=%s\ntype=btree\nHEADER=END\n %s\n %s\n"
            "DATA=END\n" % (table, key.hex(), value.hex()))
    subprocess.run(["mdb_load", "-s", table, env.conf_values()["state_dir"]], input=text,
                   check=True, capture_output=True, text=True)


def otp_sealed(record):
    """The OTP record's parts: (head: version, bound_at, last_step; sealed blob; the rest)."""
    check(record[0] == 1, "OTP record of version %d, want 1" % record[0])
    n = record[17]
    return record[:17], record[18:18 + n], record[18 + n:]


def enrolled_and_stopped(env, user):
    env.enrol(user)
    env.stop_regsd()
    return read_key(env)


def test_R10_4_sealed_records_name_their_key(env):
    user = "user1"
    key = enrolled_and_stopped(env, user)
    meta = dump_table(env, "meta")
    check(meta.get(b"seal_key_check") == key_check(key),
          "the database does not keep the host key's check value: %r" % meta)
    check(key not in b"".join(meta.values()), "the seal key itself is in the database")
    _, sealed, _ = otp_sealed(dump_table(env, "otp")[user.encode()])
    check(sealed[0] == SEAL_V2, "sealed OTP secret of version %d, want 2" % sealed[0])
    check(sealed[1:5] == key_check(key)[:4], "the sealed secret names key id %s, the host's is "
          "%s" % (sealed[1:5].hex(), key_check(key)[:4].hex()))
    check(len(sealed) == 1 + 4 + 12 + 20 + 16, "sealed secret of %d bytes" % len(sealed))
    env.start_regsd()
    env.login_ok(user)


def start_refused_with_another_key(env, fleet_key):
    """Starts regsd (stopped) with a new valid key in place of the fleet's: it must exit
    nonzero and log that the keys differ, naming both ids. Returns those log lines."""
    other_key = os.urandom(32)
    write_key(env, other_key)
    seen = len(env.regsd_log())
    try:
        env.start_regsd()
        started = True
    except RuntimeError:
        started = False
    check(not started, "regsd started with a seal key that is not the database's",
          env.regsd_tail())
    check(env.regsd_proc.returncode not in (0, None),
          "regsd exited with %r" % env.regsd_proc.returncode)
    log = env.regsd_log()[seen:]
    check_in("is not the one the database was sealed with", log, "the log names no key mismatch")
    check_in("id %s" % key_check(other_key)[:4].hex(), log, "this host's key id not logged")
    check_in("id %s" % key_check(fleet_key)[:4].hex(), log, "the database's key id not logged")
    check_in("seal_key_file", log, "the log does not say what to copy")
    return log


def test_R10_4_host_with_another_seal_key_refuses_to_start(env):
    user = "user2"
    fleet_key = enrolled_and_stopped(env, user)
    before = {t: dump_table(env, t) for t in ("meta", "accounts", "otp")}
    start_refused_with_another_key(env, fleet_key)
    after = {t: dump_table(env, t) for t in ("meta", "accounts", "otp")}
    check(before == after, "the refused start changed the database")
    write_key(env, fleet_key)
    env.start_regsd()
    env.login_ok(user)


def seal_v1(key, secret, user):
    """A secret sealed the way builds before key ids did: version 1, nonce, ciphertext and
    tag, with the account name alone as AAD."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nonce = os.urandom(12)
    return bytes([SEAL_V1]) + nonce + AESGCM(key).encrypt(nonce, secret, user.encode())


def test_R10_4_old_sealed_records_still_open(env):
    user = "user3"
    key = enrolled_and_stopped(env, user)
    secret = base64.b32decode(env.secrets[user].upper() + "=" * (-len(env.secrets[user]) % 8))
    head, sealed, rest = otp_sealed(dump_table(env, "otp")[user.encode()])
    old = seal_v1(key, secret, user)
    load_record(env, "otp", user.encode(), head + bytes([len(old)]) + old + rest)
    _, stored, _ = otp_sealed(dump_table(env, "otp")[user.encode()])
    check(stored == old and stored[0] == SEAL_V1, "the version 1 record was not written")
    env.start_regsd()
    env.login_ok(user)
    r = env.login(user, env.wrong_code(env.secrets[user]))
    check(r.auth != "PAM_SUCCESS", "a wrong code was accepted with a version 1 record", r)



def test_R10_4_postgresql_host_with_another_seal_key_refuses_to_start(env):
    """The fleet's database keeps the first host's key check value; a host with another key
    is refused at connection and says which keys differ."""
    why = pgserver.available()
    if why:
        harness.skip(why)
    env.stop_regsd()
    fleet_key = read_key(env)
    pg = pgserver.PgServer(fsync=False, name="keyid")
    try:
        pg.start()
        env.write_conf(store="postgresql", postgresql=pg.conninfo())
        seen = len(env.regsd_log())
        env.start_regsd()
        env.stop_regsd()
        check_in("storage: PostgreSQL connected", env.regsd_log()[seen:],
                 "regsd did not use PostgreSQL")
        log = start_refused_with_another_key(env, fleet_key)
        check_in("PostgreSQL refused", log, "not refused by PostgreSQL")
        write_key(env, fleet_key)
        env.start_regsd()
        env.stop_regsd()
    finally:
        pg.cleanup()

if __name__ == "__main__":
    harness.main(globals())
