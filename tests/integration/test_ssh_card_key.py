"""R11.4: the citizen certificate card over ssh.

The card is offered in the login menu only where a reader can be at the user's side: a login
with no remote host (PAM_RHOST unset or empty), or a service whose module line says card=yes;
card=no never offers it. Proved through the real libpam under pam_wrapper.

Over ssh the card is used the way ssh users use any smart card: public-key authentication with
the card's key, through the client's agent. The real sshd (tests/integration/sshenv.py: own
mount namespace, the documented stack) asks `regsctl authorized-keys %u` as its
AuthorizedKeysCommand, run as the unprivileged AuthorizedKeysCommandUser `regskeys` (named in
regs.conf's authorized_keys_user). regsd prints the key of the bound certificate only while it
chains to the anchors of the account's class, is within its validity and is not revoked (the
CRL served by tests/fixtures/crl_server.py and fetched by regsd). The real ssh client's
ssh-agent holds the citizen private key (the PKCS#8 PEM of tests/fixtures/pki.py, as a card's
PKCS#11 module would offer it).

sshd checks that the AuthorizedKeysCommand program and every directory above it are root-owned
and not writable by others; the build tree is not under such a path (/tmp), so the command is
`/usr/bin/env <builddir>/regsctl authorized-keys %u` (sshd checks the first word only).
"""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import harness  # noqa: E402
import pki  # noqa: E402
import sshenv  # noqa: E402
from harness import F_CARD_BOUND, check, check_in  # noqa: E402

sys.path.insert(0, harness.FIXTURES)

KEYS_USER, KEYS_UID = "regskeys", 1990
MENU_HEADER = "Login methods:"
CARD_LABEL = "citizen certificate card"
INSERT = "Insert the citizen certificate card into the reader."
PASSWORD_PROMPT = "Password: "
NOT_HERE = "The citizen certificate card can only be read at this computer."
R_CERT_INVALID, R_CERT_UNTRUSTED = 8, 9


class _State:
    server = None
    crl_dir = None
    pki = None
    conf = {}
    urls = []
    dirty = True  # the CRLs need (re)loading before the next test: regsd just started


S = _State()


def cert(name):
    return S.pki["certs"][name]


def der(name):
    return pki.cert_der(cert(name))


def sign(name, data):
    """What the card does with name's key (tests/fixtures/pki.py)."""
    return pki.card_sign(cert(name), data)


def publish(revoked=()):
    import pki
    d = os.path.dirname(cert("moica")["der"])
    pki.make_crl(d, revoked=revoked, out=os.path.join(S.crl_dir, "moica.crl"))
    pki.make_crl(d, issuer="xca_root", out=os.path.join(S.crl_dir, "xca.crl"))


def restart_regsd(env, timeout=60):
    """Restarts regsd and waits until it has fetched every CRL; returns its new log."""
    env.stop_regsd()
    start = len(env.regsd_log())
    env.start_regsd()
    deadline = time.monotonic() + harness.slow(timeout)
    while True:
        new = env.regsd_log()[start:]
        if all(re.search(r"CRL %s: \d+ revoked serials" % re.escape(u), new) for u in S.urls):
            return new
        check(time.monotonic() < deadline, "regsd did not fetch the CRLs", env.regsd_tail(30))
        time.sleep(0.1)


def baseline(env):
    """Clean CRLs loaded, the clock back, accounts unlocked and personal."""
    if S.dirty:
        publish()
        restart_regsd(env)
        S.dirty = False
    for u in ("alice", "bob"):
        env.call_ok("Unlock", "string:" + u)
        env.call_ok("SetClass", "string:" + u, "string:personal")


def bind(env, user, name):
    """CardChallenge(bind) + BindCard as user on one connection (as regsctl bind card does)."""
    if env.get_account(user)[0] & F_CARD_BOUND:
        return
    with env.bus_session(user) as s:
        err, v = s.call("CardChallenge", "ss", user, "bind")
        check(err is None, "CardChallenge: %s %s" % (err, v))
        err, v = s.call("BindCard", "sayay", v[0], list(der(name)), list(sign(name, bytes(v[1]))))
        check(err is None and v[0] == harness.R_OK, "BindCard(%s, %s): %s %s" % (user, name, err, v),
              env.regsd_tail())


def openssh_line(name):
    """The OpenSSH key line of name's certificate, made by ssh-keygen itself."""
    pub = subprocess.run(["openssl", "x509", "-in", cert(name)["pem"], "-pubkey", "-noout"],
                         capture_output=True, text=True, check=True).stdout
    p = os.path.join(os.path.dirname(S.crl_dir), "%s.pub.pem" % name)
    with open(p, "w") as f:
        f.write(pub)
    out = subprocess.run(["ssh-keygen", "-i", "-m", "PKCS8", "-f", p], capture_output=True,
                         text=True, check=True).stdout.strip()
    return out


def authorized_keys(env, user, uid=KEYS_USER):
    return env.regsctl(["authorized-keys", user], uid=uid)


# ------------------------------------------------------------------ the menu (pam_wrapper)


def add_service(env, name, first_line_args):
    """A copy of the harness's login stack named name, with args on its first pam_regs line."""
    with open(env.path("pam.d", "login")) as f:
        lines = f.read().split("\n")
    lines[0] += " " + first_line_args
    with open(env.path("pam.d", name), "w") as f:
        f.write("\n".join(lines))
    with open(env.path("passdb"), "a") as f:
        for user in env.users:
            f.write("%s:pw-%s:%s\n" % (user, user, name))


def menu_offers_card(r):
    return MENU_HEADER in r.text and CARD_LABEL in r.text


def test_R11_4_card_offered_to_a_local_login(env):
    baseline(env)
    bind(env, "alice", "citizen")
    r = env.pam("login", "alice", ["2", env.password("alice")])
    check(menu_offers_card(r), "no rhost: the menu offers the card", r)
    check(r.prompts and r.prompts[0].startswith("Choose a login method"), "menu prompt first", r)


def test_R11_4_card_not_offered_to_a_remote_login(env):
    baseline(env)
    bind(env, "alice", "citizen")
    for rhost in ("192.0.2.7", "127.0.0.1", "::1"):
        # "1" would pick the card from a menu; here there is none: it is the password.
        r = env.pam("login", "alice", ["1"], rhost=rhost)
        check(not menu_offers_card(r) and MENU_HEADER not in r.text,
              "rhost %s: a menu was shown" % rhost, r)
        check(INSERT not in r.text, "rhost %s: the card was asked for" % rhost, r)
        check(r.prompts and r.prompts[0] == PASSWORD_PROMPT,
              "rhost %s: the first prompt is the password's" % rhost, r)
        check(r.auth != "PAM_SUCCESS", "rhost %s: '1' as a password logged in" % rhost, r)
        env.call_ok("Unlock", "string:alice")
    # With the right password the OTP step says why the card is not asked for here.
    r = env.pam("login", "alice", [env.password("alice")], rhost="192.0.2.7")
    check(r.auth != "PAM_SUCCESS", "card-only account logged in with a password alone", r)
    check_in(NOT_HERE, r.error_text, "remote card-only account: the reason", r)


def test_R11_4_card_yes_offers_it_remotely_card_no_never(env):
    baseline(env)
    bind(env, "alice", "citizen")
    add_service(env, "remote-card", "card=yes")
    add_service(env, "no-card", "card=no")
    r = env.pam("remote-card", "alice", ["2", env.password("alice")], rhost="192.0.2.7")
    check(menu_offers_card(r), "card=yes with an rhost: the menu offers the card", r)
    r = env.pam("no-card", "alice", [env.password("alice")])
    check(not menu_offers_card(r) and INSERT not in r.text,
          "card=no on a local login: the card was offered", r)
    check(r.prompts and r.prompts[0] == PASSWORD_PROMPT, "card=no: password first", r)
    add_service(env, "bad-card", "card=maybe")
    r = env.pam("bad-card", "alice", [env.password("alice")])
    check(r.auth != "PAM_SUCCESS", "card=maybe (a bad argument) did not fail closed", r)


def test_R11_4_password_login_disabled_remote_says_use_the_key(env):
    baseline(env)
    bind(env, "alice", "citizen")
    env.call_ok("SetPasswordLogin", "string:alice", "boolean:false")
    try:
        r = env.pam("login", "alice", [], rhost="192.0.2.7")
        check(r.auth != "PAM_SUCCESS", "logged in with nothing", r)
        check(INSERT not in r.text, "the card was asked for remotely", r)
        check_in(NOT_HERE, r.error_text, "the reason names the card's key", r)
    finally:
        env.call_ok("SetPasswordLogin", "string:alice", "boolean:true")
        env.call_ok("PasswordChanged", "string:alice")  # R6.4's forced change: done


# ------------------------------------------------------------------ regsctl authorized-keys


def test_R11_4_authorized_keys_prints_the_bound_card_key(env):
    baseline(env)
    bind(env, "alice", "citizen")
    want = openssh_line("citizen")
    check(want.startswith("ssh-rsa AAAA"), "ssh-keygen's line: %r" % want)
    t0 = time.monotonic()
    rc, out, err = authorized_keys(env, "alice")
    took = time.monotonic() - t0
    check(rc == 0 and out == want + "\n", "regsctl authorized-keys alice as %s: rc %d" % (
        KEYS_USER, rc), out, err, env.regsd_tail())
    print("# regsctl authorized-keys (setpriv + bus + chain + CRL lookup): %.3f s" % took,
          flush=True)
    # The account itself and an administrator may ask too.
    for who, user in (("alice", ""), ("alice", "alice"), ("carol", "alice"), ("root", "alice")):
        rc, out, err = env.regsctl(["authorized-keys"] + ([user] if user else []), uid=who)
        check(rc == 0 and out == want + "\n", "%s asking for %r: rc %d" % (who, user, rc),
              out, err)


def test_R11_4_unbound_account_prints_nothing(env):
    baseline(env)
    rc, out, err = authorized_keys(env, "bob")
    check(rc == 0 and out == "", "unbound bob: rc %d, printed %r" % (rc, out), err)
    check_in("no citizen certificate card is bound", err, "the reason on stderr", err)
    rc, out, err = authorized_keys(env, "nosuchuser")
    check(rc == 0 and out == "", "unknown user: rc %d, printed %r" % (rc, out), err)


def test_R11_4_other_users_cannot_read_someone_elses_key(env):
    baseline(env)
    bind(env, "alice", "citizen")
    for who in ("bob", "dave"):  # dave is in the verifier group: still no
        rc, out, err = env.regsctl(["authorized-keys", "alice"], uid=who)
        check(rc == 3 and out == "", "%s asking for alice's key: rc %d" % (who, rc), out, err)
        check_in("access denied", err, "%s: the refusal" % who, err)
    rc, out, err = env.regsctl(["authorized-keys", "bob"], uid=KEYS_USER)
    check(rc == 0, "the keys user asking for bob: rc %d" % rc, err)
    rc, out, err = env.regsctl(["authorized-keys", "../alice"], uid=KEYS_USER)
    check(rc != 0 and out == "", "a malformed name: rc %d" % rc, out, err)


def test_R11_4_locked_account_gets_no_key(env):
    baseline(env)
    bind(env, "alice", "citizen")
    for _ in range(3):
        env.call_ok("RecordFailure", "string:alice", "string:password", "string:sshd",
                    "string:192.0.2.7")
    check(env.is_locked("alice"), "alice not locked")
    try:
        rc, out, err = authorized_keys(env, "alice")
        check(rc == 0 and out == "", "locked alice: rc %d, printed %r" % (rc, out), err)
        check_in("locked", err, "the reason", err)
    finally:
        env.call_ok("Unlock", "string:alice")


def lmdb_delete(state_dir, table, key):
    """Deletes key from a named table of regsd's LMDB environment (regsd stopped), through
    liblmdb itself: what a database written before that table existed looks like."""
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("lmdb") or "liblmdb.so.0")

    class Val(ctypes.Structure):
        _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.c_void_p)]

    envp, txn, dbi = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_uint()
    check(lib.mdb_env_create(ctypes.byref(envp)) == 0, "mdb_env_create")
    try:
        lib.mdb_env_set_maxdbs(envp, 32)
        lib.mdb_env_set_mapsize(envp, ctypes.c_size_t(4096 << 20))
        check(lib.mdb_env_open(envp, state_dir.encode(), 0, 0o600) == 0, "mdb_env_open")
        check(lib.mdb_txn_begin(envp, None, 0, ctypes.byref(txn)) == 0, "mdb_txn_begin")
        check(lib.mdb_dbi_open(txn, table.encode(), 0, ctypes.byref(dbi)) == 0, "mdb_dbi_open")
        k = ctypes.create_string_buffer(key.encode(), len(key))
        kv = Val(len(key), ctypes.cast(k, ctypes.c_void_p))
        rc = lib.mdb_del(txn, dbi, ctypes.byref(kv), None)
        check(rc == 0, "mdb_del(%s, %s): %d" % (table, key, rc))
        check(lib.mdb_txn_commit(txn) == 0, "mdb_txn_commit")
    finally:
        lib.mdb_env_close(envp)


def test_R11_4_card_bound_before_keys_were_kept_gives_no_key_until_bound_again(env):
    baseline(env)
    bind(env, "alice", "citizen")
    env.stop_regsd()
    lmdb_delete(env.path("state"), "card_certs", "alice")  # as bound by an older regsd
    restart_regsd(env)
    check(env.get_account("alice")[0] & F_CARD_BOUND, "alice lost her card binding")
    rc, out, err = authorized_keys(env, "alice")
    check(rc == 0 and out == "", "old binding: rc %d, printed %r" % (rc, out), err)
    check_in("bind it again with 'regsctl bind card'", err, "the hint", err)
    check(re.search(r"ssh key of alice withheld .*: the card was bound before regsd kept "
                    r"certificates: rebind it", env.regsd_log()), "regsd's log line",
          env.regsd_tail())
    env.call_ok("Reset", "string:alice", "string:card")
    bind(env, "alice", "citizen")
    rc, out, err = authorized_keys(env, "alice")
    check(rc == 0 and out == openssh_line("citizen") + "\n", "after binding again: %r" % out,
          err)


# ------------------------------------------------------------------ the real ssh client


class _Ssh:
    sshd = None
    key = None


SSH = _Ssh()


def sshd(env):
    if SSH.sshd is None:
        command = "/usr/bin/env %s authorized-keys %%u" % env.regsctl_bin
        SSH.sshd = sshenv.start_or_skip(env, options={
            "AuthorizedKeysCommand": command,
            "AuthorizedKeysCommandUser": KEYS_USER,
            "AuthorizedKeysFile": "none",
        })
        SSH.key = env.path("sshclient-citizen.key")
        shutil.copyfile(cert("citizen")["key"], SSH.key)
        os.chmod(SSH.key, 0o600)
    return SSH.sshd


def ssh_key_login(env, user="alice"):
    """A public-key login only (no keyboard fallback) with the citizen key in the agent."""
    return sshd(env).ssh(user, key=SSH.key, options={"PreferredAuthentications": "publickey"})


def test_R11_4_ssh_login_with_card_key(env):
    baseline(env)
    bind(env, "alice", "citizen")
    s = sshd(env)
    t0 = time.monotonic()
    r = ssh_key_login(env)
    took = time.monotonic() - t0
    check(r.ok, "public-key login with the card's key refused", r, s.log_tail(), env.regsd_tail())
    print("# ssh public-key login with the card's key (agent, sshd asking regsctl twice): "
          "%.2f s" % took, flush=True)
    check(re.search(r"Accepted publickey for alice .* RSA SHA256:", s.log()),
          "sshd did not log the public-key acceptance", s.log_tail())
    check(not r.prompts and not r.extra_prompts, "prompts during a key login", r)
    # Another user with no card has no key: the same key is refused.
    r = ssh_key_login(env, "bob")
    check(not r.ok and "Permission denied" in r.text, "bob logged in with alice's card key", r)


def test_R11_4_regsd_unreachable_no_key_fail_closed(env):
    baseline(env)
    bind(env, "alice", "citizen")
    env.stop_regsd()
    try:
        rc, out, err = authorized_keys(env, "alice")
        check(rc == 2 and out == "", "regsd down: rc %d, printed %r" % (rc, out), err)
        r = ssh_key_login(env)
        check(not r.ok, "logged in with the key while regsd was down", r)
        check(re.search(r"AuthorizedKeysCommand .* failed, status 2", SSH.sshd.log()),
              "sshd did not log the failed command", SSH.sshd.log_tail())
    finally:
        S.dirty = True
        env.start_regsd()


def test_R11_4_revoked_certificate_key_refused(env):
    baseline(env)
    bind(env, "alice", "citizen")
    S.dirty = True
    publish(revoked=["0x%x" % cert("citizen")["serial"]])
    log = restart_regsd(env)
    check(re.search(r"moica.crl: 1 revoked serials", log), "the CRL listing citizen not loaded",
          log)
    r = ssh_key_login(env)
    check(not r.ok and "Permission denied (publickey" in r.text,
          "the revoked certificate's key logged in", r, SSH.sshd.log_tail())
    check(re.search(r"ssh key of alice withheld .*: revoked", env.regsd_log()),
          "regsd did not log why the key was withheld", env.regsd_tail())
    rc, out, err = authorized_keys(env, "alice")
    check(rc == 0 and out == "", "revoked: printed %r" % out, err)
    # A clean CRL again: the key works again.
    publish()
    restart_regsd(env)
    S.dirty = False
    check(ssh_key_login(env).ok, "the key after the certificate left the CRL",
          SSH.sshd.log_tail(), env.regsd_tail())


def test_R11_4_expired_certificate_key_refused(env):
    baseline(env)
    bind(env, "alice", "citizen")
    delta = (365 * 8 + 30) * 86400  # past the citizen certificate's notAfter
    env.advance(delta)
    try:
        r = ssh_key_login(env)
        check(not r.ok, "the expired certificate's key logged in", r)
        check(re.search(r"ssh key of alice withheld .*: expired", env.regsd_log()),
              "regsd did not log 'expired'", env.regsd_tail())
    finally:
        env.advance(-delta)
    check(ssh_key_login(env).ok, "the key once the clock is back", env.regsd_tail())


def test_R11_4_certificate_not_chaining_to_class_anchors_refused(env):
    baseline(env)
    bind(env, "alice", "citizen")
    env.call_ok("SetClass", "string:alice", "string:institution")  # anchors: XCA only
    try:
        r = ssh_key_login(env)
        check(not r.ok, "a MOICA certificate's key logged in to an institution account", r)
        check(re.search(r"ssh key of alice withheld .*: untrusted", env.regsd_log()),
              "regsd did not log 'untrusted'", env.regsd_tail())
        rc, out, err = authorized_keys(env, "alice")
        check(rc == 0 and out == "", "untrusted: printed %r" % out, err)
    finally:
        env.call_ok("SetClass", "string:alice", "string:personal")


def test_R11_4_unbound_account_key_refused_after_reset(env):
    baseline(env)
    bind(env, "alice", "citizen")
    env.call_ok("Reset", "string:alice", "string:card")
    r = ssh_key_login(env)
    check(not r.ok, "the key of a card no longer bound logged in", r)
    rc, out, err = authorized_keys(env, "alice")
    check(rc == 0 and out == "", "after reset: printed %r" % out, err)


# ------------------------------------------------------------------ set-up


def _setup(tmp):
    import crl_server
    import pki
    S.crl_dir = os.path.join(tmp, "crl-www")
    os.makedirs(S.crl_dir)
    S.server = crl_server.CrlServer(S.crl_dir)
    S.server.start()
    S.pki = pki.make(os.path.join(tmp, "pki"), crl_port=S.server.port)
    publish()
    S.urls = [S.server.url("moica.crl"), S.server.url("xca.crl")]
    S.conf = pki.anchor_conf(S.pki["certs"], tmp, S.urls)
    S.conf["authorized_keys_user"] = KEYS_USER


if __name__ == "__main__":
    import tempfile
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("1..0 # SKIP python3-cryptography is not installed (the test PKI)")
        sys.exit(0)
    tmp = tempfile.mkdtemp(prefix="regs-sshkey-")
    os.chmod(tmp, 0o755)
    try:
        _setup(tmp)
        harness.main(globals(), conf=S.conf, extra_users=[(KEYS_USER, KEYS_UID)])
    finally:
        if S.server:
            S.server.stop()
        if os.environ.get("REGS_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
