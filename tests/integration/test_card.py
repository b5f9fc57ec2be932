"""End to end: citizen certificate card login (R3, R1.2, R9.1) through the real PAM
stack, regsd and a REAL private pcscd with the virtual card (tests/fixtures/vcard.py,
tests/integration/cardenv.py: own mount namespace, needs root).

One Env for the file. regs.conf has the test PKI's anchors (GRCA + MOICA for personal
accounts, XCA for institution accounts) and crl_urls pointing at a local HTTP server
(tests/fixtures/crl_server.py) that serves moica.crl and xca.crl and can go down, serve
garbage or truncate. A test that changes the CRLs, the server or regs.conf marks them
dirty; the next test's baseline() republishes clean CRLs, restarts regsd and waits for
its first fetch.

Bindings are made over the bus as the user (CardChallenge "bind" + BindCard, signed here
with the citizen key from the PKI, PKCS#1 v1.5 SHA-256 over the challenge bytes as the
card does), one connection per binding. One certificate binds to one account (R3.6):
alice holds "citizen", bob holds "citizen2", carol (institution class) "institution".
"""

import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cardenv  # noqa: E402
import harness  # noqa: E402
from harness import F_CARD_BOUND, F_LOCKED, check, check_in  # noqa: E402

cardenv._sys_path_fixtures()
import pki  # noqa: E402  (tests/fixtures)

PIN = "123456"
WRONG_PIN = "654321"
MENU = "Login methods:\n  1) citizen certificate card (自然人憑證)\n  2) password + OTP"
MENU_PROMPT = "Choose a login method [1]: "
INSERT = "Insert the citizen certificate card into the reader."
MSG_INVALID = ("Certificate invalid: check the card's status with the certificate authority "
               "(自然人憑證失效).")
MSG_UNTRUSTED = "not from the authority for this account"
MSG_NOT_BOUND = "not the one bound to this account"
MSG_NO_CRL = "revocation status cannot be checked right now"
MSG_LOCKED_CARD = "The card is locked after 3 wrong PINs: unlock it at the MOICA site"
MSG_UNKNOWN = "not a supported citizen certificate card"
MSG_SECOND_GEN = "Unsupported card generation"
MSG_REMOVED = "The card was removed during the login"
MSG_BAD_SIG = "signature could not be verified"
MSG_ACCOUNT_LOCKED = "Account locked after too many failed attempts"
# regsctl
MSG_REVERIFY_CARD = "Re-verify with your citizen certificate card."
MSG_CHECK_DONE = ("The card and its certificate can be read; regsd checks the certificate's "
                  "chain and revocation at login.")
MSG_NOT_THE_BOUND_CARD = "This is not the card bound to this account"
E_STEP_UP_REQUIRED = "tw.regs.Error.StepUpRequired"

# lib/proto/bus.h results 8..14
R_CERT_INVALID, R_CERT_UNTRUSTED, R_CARD_NOT_BOUND, R_CARD_BOUND_ELSEWHERE, \
    R_BAD_SIGNATURE, R_NO_FRESH_CRL, R_BAD_CHALLENGE = range(8, 15)

# regsctl card-check: 10 + number of the first failing check
EXIT_SERVICE, EXIT_READER, EXIT_CARD, EXIT_CERT, EXIT_PIN = range(11, 16)


class _State:
    server = None       # crl_server.CrlServer
    crl_dir = None      # what the server serves
    urls = []           # crl_urls
    conf = {}
    dirty = True        # CRLs / server / regs.conf need restoring (and regsd a restart)
    holder = {}         # certificate name -> user it is bound to


S = _State()


def card():
    return cardenv.current


def cert(name):
    return card().pki["certs"][name]


def der(name):
    return pki.cert_der(cert(name))


def sign(name, data):
    """What the card does with name's key (tests/fixtures/pki.py)."""
    return pki.card_sign(cert(name), data)


def pki_dir():
    return os.path.dirname(cert("moica")["der"])


# ------------------------------------------------------------------ CRLs and regsd


def publish(revoked=(), bulk=0, moica_issuer="moica"):
    """Writes moica.crl (signed by moica_issuer) and xca.crl into the served directory."""
    import pki  # tests/fixtures, on sys.path through cardenv
    pki.make_crl(pki_dir(), revoked=revoked, bulk=bulk, issuer=moica_issuer,
                 out=os.path.join(S.crl_dir, "moica.crl"))
    pki.make_crl(pki_dir(), issuer="xca_root", out=os.path.join(S.crl_dir, "xca.crl"))


def crl_lines(text, url):
    return re.findall(r"^.*CRL %s(?:: \d+ revoked serials| not refreshed: .*)$"
                      % re.escape(url), text, re.M)


def restart_regsd(env, timeout=90, kill=False):
    """Restarts regsd (stopped, or killed with SIGKILL) and waits until its first fetch
    reported on every URL; returns the log written since the start."""
    if kill:
        env.kill_regsd()
    else:
        env.stop_regsd()
    start = len(env.regsd_log())
    env.start_regsd()
    deadline = time.monotonic() + timeout
    while True:
        new = env.regsd_log()[start:]
        if all(crl_lines(new, u) for u in S.urls):
            return new
        check(time.monotonic() < deadline,
              "regsd did not report a CRL fetch for %s within %ss" % (S.urls, timeout),
              env.regsd_tail(30))
        time.sleep(0.1)


def cache_dir(env):
    return env.path("state", "crl")


def drop_cache(env):
    env.stop_regsd()
    shutil.rmtree(cache_dir(env), ignore_errors=True)


def baseline(env, *users):
    """Clean CRLs served, default regs.conf, regsd fresh; users unlocked."""
    S.server.mode = "serve"
    if not S.server.running():
        S.server.start()
    if S.dirty:
        publish()
        env.write_conf(crl_policy=None)
        log = restart_regsd(env)
        for u in S.urls:
            check(re.search(r"revoked serials", crl_lines(log, u)[-1]),
                  "the clean CRL at %s was not loaded" % u, log)
        S.dirty = False
    for u in users:
        flags, lock, failures = env.get_account(u)
        if flags & F_LOCKED or failures:
            env.call_ok("Unlock", "string:" + u)


# ------------------------------------------------------------------ binding


def bus_bind(env, user, name, sig_name=None, purpose="bind", between=None):
    """CardChallenge(bind) + BindCard as user on one connection; returns the result.
    between: called after the challenge, before BindCard (a barrier, for races)."""
    with env.bus_session(user) as s:
        err, v = s.call("CardChallenge", "ss", user, purpose)
        check(err is None, "CardChallenge(%s, %s) failed: %s %s" % (user, purpose, err, v))
        handle, nonce = v[0], bytes(v[1])
        check(len(nonce) >= 16, "challenge of %d bytes" % len(nonce))
        if between:
            between()
        err, v = s.call("BindCard", "sayay", handle, list(der(name)),
                        list(sign(sig_name or name, nonce)))
        check(err is None, "BindCard(%s, %s) failed: %s %s" % (user, name, err, v),
              env.regsd_tail())
        return v[0]


def unbind(env, user):
    env.call_ok("Reset", "string:" + user, "string:card")
    for k in [k for k, u in S.holder.items() if u == user]:
        del S.holder[k]


def ensure_bound(env, user, name):
    if S.holder.get(name) == user and env.get_account(user)[0] & F_CARD_BOUND:
        return
    prev = S.holder.get(name)
    if prev and prev != user:
        unbind(env, prev)
    if env.get_account(user)[0] & F_CARD_BOUND:
        unbind(env, user)
    r = bus_bind(env, user, name)
    check(r == harness.R_OK, "binding %s to %s gave result %d" % (name, user, r),
          env.regsd_tail())
    check(env.get_account(user)[0] & F_CARD_BOUND, "%s not marked card-bound" % user)
    S.holder[name] = user


# ------------------------------------------------------------------ the card, PAM


def insert(name="citizen", **opts):
    """(Re)starts the virtual card with name's certificate and key; empty APDU log."""
    c = card()
    opts.setdefault("tries_left", opts.get("tries", 3))
    c.start_card(cert=cert(name)["der"], key=cert(name)["key"], **opts)
    c.clear_apdu_log()
    return c


def card_login(env, user, pin=PIN, choose="1", **kw):
    answers = ([choose] if choose is not None else []) + ([pin] if pin is not None else [])
    return env.pam("login", user, answers, **kw)


def verifies(log=None):
    """VERIFY commands with data (a PIN was sent)."""
    log = card().apdu_log() if log is None else log
    return [(i, c) for i, (c, _) in enumerate(log) if c.startswith("8C20") and len(c) > 8]


def no_pin_sent(what, r=None):
    log = card().apdu_log()
    check(not verifies(log), "%s: a PIN was sent (VERIFY with data)" % what,
          card().apdu_log_text(), r or "")
    check(not [c for c, _ in log if c.startswith("0020")], "%s: a plain ISO VERIFY" % what,
          card().apdu_log_text())


def pin_prompts(r):
    return [p for p in r.prompts if p.startswith("PIN of the card")]


def refused(env, r, needle, what):
    check(r.auth != "PAM_SUCCESS", "%s: login accepted" % what, r, env.regsd_tail())
    check_in(needle, r.error_text, "%s: message" % what, r, env.regsd_tail())
    check(not any("assword" in p for p in r.prompts),
          "%s: a password prompt followed the card refusal" % what, r)


def succeeded(env, r, what):
    check(r.auth == "PAM_SUCCESS" and r.acct == "PAM_SUCCESS", "%s: login refused" % what, r,
          env.regsd_tail(), card().apdu_log_text()[-3000:])


# ------------------------------------------------------------------ tests


def test_R3_4_card_login_succeeds(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    c = insert()
    r = card_login(env, "alice")
    succeeded(env, r, "card + PIN")
    check(r.prompts and r.prompts[0] == MENU_PROMPT, "first prompt: the method menu", r)
    check_in(MENU, r.text, "menu text", r)
    check_in(INSERT, r.text, "insert-card text", r)
    check(pin_prompts(r) == ["PIN of the card (3 tries left before it locks): "],
          "one PIN prompt with the tries left", r)
    check(len(r.prompts) == 2, "menu and PIN only (no password, no OTP): %r" % r.prompts, r)
    log = c.apdu_log()
    vs = verifies(log)
    check(len(vs) == 1, "exactly one VERIFY with data, got %d" % len(vs), c.apdu_log_text())
    status = [i for i, (cmd, _) in enumerate(log) if cmd == "8C200001"]
    check(status and status[0] < vs[0][0], "the status query comes before the VERIFY",
          c.apdu_log_text())
    check(log[vs[0][0]][1] == "9000", "VERIFY answered 9000", c.apdu_log_text())
    check(any(cmd.startswith("80EA02") for cmd, _ in log), "the card signed", c.apdu_log_text())
    check(c.tries_left() == 3, "tries counter intact")
    # An empty answer is the default, the card.
    insert()
    r = card_login(env, "alice", choose="")
    succeeded(env, r, "default menu choice")
    check(env.get_account("alice")[2] == 0, "failures after successful logins: %r"
          % (env.get_account("alice"),))


def test_R1_3_password_login_disabled_goes_straight_to_card(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    env.call_ok("SetPasswordLogin", "string:alice", "boolean:false")
    try:
        insert()
        r = card_login(env, "alice", choose=None)
        succeeded(env, r, "card login with password login disabled")
        check(MENU_PROMPT not in r.prompts, "menu shown although password login is disabled",
              r)
        check(len(pin_prompts(r)) == 1, "PIN asked", r)
    finally:
        env.call_ok("SetPasswordLogin", "string:alice", "boolean:true")


def test_R3_3_wrong_pin_tries_decrease_message_shows_them(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    c = insert()
    r = card_login(env, "alice", WRONG_PIN)
    refused(env, r, "Wrong PIN. 2 tries left before the card locks.", "first wrong PIN")
    check(pin_prompts(r) == ["PIN of the card (3 tries left before it locks): "], "prompt 3", r)
    check(c.tries_left() == 2, "card counter 2, is %d" % c.tries_left())
    check(len(verifies()) == 1, "one VERIFY per login", c.apdu_log_text())
    c.clear_apdu_log()
    r = card_login(env, "alice", "000000")
    refused(env, r, "Wrong PIN. 1 try left before the card locks.", "second wrong PIN")
    check(pin_prompts(r) == ["PIN of the card (2 tries left before it locks): "], "prompt 2", r)
    check(len(verifies()) == 1, "one VERIFY per login", c.apdu_log_text())
    c.clear_apdu_log()
    r = card_login(env, "alice", PIN)
    check(pin_prompts(r) == ["PIN of the card (1 try left before it locks): "], "prompt 1", r)
    succeeded(env, r, "right PIN with one try left")
    check(c.tries_left() == 3, "a right PIN resets the card counter")


def test_R3_3_locked_card_gets_no_verify(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    insert(tries_left=0)
    r = card_login(env, "alice")
    refused(env, r, MSG_LOCKED_CARD, "locked card")
    check(not pin_prompts(r), "PIN asked for a locked card", r)
    no_pin_sent("locked card", r)
    insert(fault="locked")
    r = card_login(env, "alice")
    refused(env, r, MSG_LOCKED_CARD, "fault=locked")
    no_pin_sent("fault=locked", r)


def test_R3_1_unknown_card_no_verify(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    insert(fault="wrong-atr")
    r = card_login(env, "alice")
    refused(env, r, MSG_UNKNOWN, "wrong ATR")
    check(not pin_prompts(r), "PIN asked for an unknown card", r)
    no_pin_sent("wrong ATR", r)
    check(not [cmd for cmd, _ in card().apdu_log() if cmd.startswith("80")],
          "HiCOS commands sent to a card with another ATR", card().apdu_log_text())


def test_R3_1_second_generation_refused(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    insert(fault="second-generation")
    r = card_login(env, "alice")
    refused(env, r, MSG_SECOND_GEN, "second generation")
    check(not pin_prompts(r), "PIN asked for a second-generation card", r)
    no_pin_sent("second generation", r)


def test_R3_5_revoked_certificate_refused_with_message(env):
    baseline(env, "alice", "bob")
    ensure_bound(env, "bob", "citizen2")
    ensure_bound(env, "alice", "citizen")
    S.dirty = True
    publish(revoked=["0x%x" % cert("citizen2")["serial"]])
    log = restart_regsd(env)
    check(re.search(r": 1 revoked serials", crl_lines(log, S.urls[0])[-1]),
          "the CRL listing citizen2 was not loaded", log)
    insert("citizen2")
    r = card_login(env, "bob")
    refused(env, r, MSG_INVALID, "revoked certificate")
    insert("citizen")
    r = card_login(env, "alice")
    succeeded(env, r, "a certificate the CRL does not list")


def test_R3_5_expired_certificate_refused(env):
    baseline(env, "alice", "dave")
    # Binding an expired certificate is refused ...
    r = bus_bind(env, "dave", "citizen_expired")
    check(r == R_CERT_INVALID, "BindCard with an expired certificate gave %d, want %d"
          % (r, R_CERT_INVALID), env.regsd_tail())
    check(not env.get_account("dave")[0] & F_CARD_BOUND, "dave bound to an expired card")
    # ... and a bound certificate that expires is refused at login (regsd's clock moves).
    ensure_bound(env, "alice", "citizen")
    delta = (365 * 8 + 30) * 86400
    env.advance(delta)
    try:
        insert()
        r = card_login(env, "alice")
        refused(env, r, MSG_INVALID, "expired certificate")
    finally:
        env.advance(-delta)
        env.call_ok("Unlock", "string:alice")


def test_R1_2_untrusted_ca_refused(env):
    baseline(env, "alice", "dave")
    r = bus_bind(env, "dave", "untrusted")
    check(r == R_CERT_UNTRUSTED, "BindCard with a look-alike root's certificate gave %d, want %d"
          % (r, R_CERT_UNTRUSTED), env.regsd_tail())
    check(not env.get_account("dave")[0] & F_CARD_BOUND, "dave bound to an untrusted card")
    ensure_bound(env, "alice", "citizen")
    insert("untrusted")
    r = card_login(env, "alice")
    check(r.auth != "PAM_SUCCESS", "untrusted card accepted", r)
    check(MSG_UNTRUSTED in r.error_text or MSG_NOT_BOUND in r.error_text,
          "untrusted card: message", r)


def test_R3_6_certificate_bound_to_another_account_refused(env):
    baseline(env, "alice", "erin")
    ensure_bound(env, "alice", "citizen")
    r = bus_bind(env, "erin", "citizen")
    check(r == R_CARD_BOUND_ELSEWHERE, "BindCard of alice's certificate for erin gave %d, want %d"
          % (r, R_CARD_BOUND_ELSEWHERE), env.regsd_tail())
    check(not env.get_account("erin")[0] & F_CARD_BOUND, "erin bound to alice's card")
    check(env.get_account("alice")[0] & F_CARD_BOUND, "alice lost her binding")
    insert()
    r = card_login(env, "erin", choose=None)
    check(r.auth != "PAM_SUCCESS", "erin logged in with alice's card", r)
    insert()
    succeeded(env, card_login(env, "alice"), "alice after erin's attempt")


def test_R3_6_login_with_another_users_card_refused(env):
    baseline(env, "alice", "bob")
    ensure_bound(env, "alice", "citizen")
    ensure_bound(env, "bob", "citizen2")
    before = env.get_account("alice")[2]
    insert("citizen2")
    r = card_login(env, "alice")
    refused(env, r, MSG_NOT_BOUND, "bob's card for alice")
    check(env.get_account("alice")[2] == before + 1,
          "a wrong card counts toward the lock (R9.1): %r" % (env.get_account("alice"),))


def test_R1_2_moica_certificate_on_institution_account_refused(env):
    baseline(env, "alice", "carol", "erin")
    ensure_bound(env, "alice", "citizen")
    env.call_ok("SetClass", "string:alice", "string:institution")
    try:
        check(env.get_account("alice")[0] & harness.F_INSTITUTION, "class not set")
        insert()
        r = card_login(env, "alice")
        refused(env, r, MSG_UNTRUSTED, "MOICA card on an institution account")
    finally:
        env.call_ok("SetClass", "string:alice", "string:personal")
        env.call_ok("Unlock", "string:alice")
    # The other way round: an XCA certificate does not bind to a personal account ...
    r = bus_bind(env, "erin", "institution")
    check(r == R_CERT_UNTRUSTED, "institution certificate on a personal account gave %d" % r)
    # ... but binds to, and logs in, an institution account.
    env.call_ok("SetClass", "string:carol", "string:institution")
    ensure_bound(env, "carol", "institution")
    insert("institution")
    succeeded(env, card_login(env, "carol"), "XCA card on an institution account")


def test_R3_card_pulled_mid_login(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    c = insert(fault="pull-during-sign")
    r = card_login(env, "alice")
    refused(env, r, MSG_REMOVED, "card pulled while signing")
    check(c.apdu_log() and c.apdu_log()[-1][1] == "PULLED", "the card was pulled during EA 02",
          c.apdu_log_text())
    check(len(verifies()) == 1, "one VERIFY", c.apdu_log_text())
    # regsd holds the certificate of a card it has seen: a card serial it has not seen makes
    # the module read the certificate (before the PIN), where this card is pulled.
    c = insert(fault="pull-during-read", serial="545700000000DEADBEEF")
    r = card_login(env, "alice")
    refused(env, r, MSG_REMOVED, "card pulled while the certificate is read")
    check(not pin_prompts(r), "PIN asked after the card was pulled", r)
    no_pin_sent("card pulled while reading", r)
    c.stop_card()


def test_R3_4_forged_signature_refused(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    before = env.get_account("alice")[2]
    insert(fault="wrong-key")
    r = card_login(env, "alice")
    refused(env, r, MSG_BAD_SIG, "wrong-key signature")
    check(env.get_account("alice")[2] == before + 1,
          "a bad signature counts toward the lock: %r" % (env.get_account("alice"),))


def test_R3_4_replayed_challenge_refused(env):
    baseline(env, "alice", "bob")
    ensure_bound(env, "alice", "citizen")
    cdr = list(der("citizen"))
    with env.bus_session("alice") as s1, env.bus_session("alice") as s2:
        err, v = s1.call("CardChallenge", "ss", "alice", "login")
        check(err is None, "CardChallenge: %s %s" % (err, v))
        h, nonce = v[0], bytes(v[1])
        sig = list(sign("citizen", nonce))
        err, v = s1.call("CardLogin", "sayayss", h, cdr, sig, "test", "")
        check(err is None and v[0] == harness.R_OK, "first CardLogin: %s %s" % (err, v),
              env.regsd_tail())
        err, v = s1.call("CardLogin", "sayayss", h, cdr, sig, "test", "")
        check(err is None and v[0] == R_BAD_CHALLENGE,
              "replayed challenge gave %s %s, want result %d" % (err, v, R_BAD_CHALLENGE))
        # A challenge made for another connection.
        err, v = s2.call("CardChallenge", "ss", "alice", "login")
        check(err is None, "CardChallenge: %s %s" % (err, v))
        h2, n2 = v[0], bytes(v[1])
        err, v = s1.call("CardLogin", "sayayss", h2, cdr, list(sign("citizen", n2)), "test", "")
        check(err is None and v[0] == R_BAD_CHALLENGE,
              "another connection's challenge gave %s %s" % (err, v))
        # A bind challenge is not a login challenge.
        err, v = s1.call("CardChallenge", "ss", "alice", "bind")
        check(err is None, "CardChallenge bind: %s %s" % (err, v))
        h3, n3 = v[0], bytes(v[1])
        err, v = s1.call("CardLogin", "sayayss", h3, cdr, list(sign("citizen", n3)), "test", "")
        check(err is None and v[0] == R_BAD_CHALLENGE,
              "a bind challenge used for login gave %s %s" % (err, v))
        # A made-up handle.
        err, v = s1.call("CardLogin", "sayayss", "0" * 32, cdr, sig, "test", "")
        check(err is None and v[0] == R_BAD_CHALLENGE, "unknown handle gave %s %s" % (err, v))
        # Nobody asks for a login challenge for somebody else's account.
        err, v = s1.call("CardChallenge", "ss", "bob", "login")
        check(err == "tw.regs.Error.AccessDenied",
              "alice got a login challenge for bob: %s %s" % (err, v))
    env.call_ok("Unlock", "string:alice")


def test_R3_5_crl_server_down_with_cached_crl_still_works(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    cached = os.listdir(cache_dir(env)) if os.path.isdir(cache_dir(env)) else []
    check(len(cached) == len(S.urls), "CRL cache after a fetch: %r" % cached)
    S.dirty = True
    S.server.stop()
    log = restart_regsd(env)
    check("not refreshed" in crl_lines(log, S.urls[0])[-1], "fetch from a down server", log)
    insert()
    succeeded(env, card_login(env, "alice"), "login on the cached CRL")


def test_R3_5_crl_server_down_without_cache_denied(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    S.dirty = True
    S.server.stop()
    drop_cache(env)
    log = restart_regsd(env)
    check("not refreshed" in crl_lines(log, S.urls[0])[-1], "fetch from a down server", log)
    before = env.get_account("alice")[2]
    insert()
    r = card_login(env, "alice")
    refused(env, r, MSG_NO_CRL, "no CRL at all")
    harness._diag("failures before/after the no-CRL refusal: %d/%d"
                  % (before, env.get_account("alice")[2]))
    env.write_conf(crl_policy="allow")
    restart_regsd(env)
    insert()
    succeeded(env, card_login(env, "alice"), "crl_policy=allow without a CRL")


def test_R3_5_forged_crl_ignored(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    S.dirty = True
    # Signed by the look-alike root (same name as MOICA), listing alice's certificate.
    publish(revoked=["0x%x" % cert("citizen")["serial"]], moica_issuer="untrusted_root")
    with open(os.path.join(S.crl_dir, "moica.crl"), "rb") as f:
        forged = f.read()
    log = restart_regsd(env)
    check("not refreshed" in crl_lines(log, S.urls[0])[-1],
          "the forged CRL was accepted", log)
    insert()
    succeeded(env, card_login(env, "alice"), "forged CRL with a good cache")
    for n in os.listdir(cache_dir(env)):
        with open(os.path.join(cache_dir(env), n), "rb") as f:
            check(f.read() != forged, "the forged CRL was cached as %s" % n)
    # Without a cache the forged CRL must not revoke anything: no CRL at all.
    drop_cache(env)
    restart_regsd(env)
    insert()
    r = card_login(env, "alice")
    check(r.auth != "PAM_SUCCESS", "accepted without a valid CRL", r)
    check(MSG_INVALID not in r.error_text, "the forged CRL revoked the certificate", r)
    check_in(MSG_NO_CRL, r.error_text, "forged CRL only", r)


def test_R3_5_garbage_and_truncated_crl_ignored(env):
    for mode in ("garbage", "truncate", "404"):
        baseline(env, "alice")
        ensure_bound(env, "alice", "citizen")
        with open(os.path.join(S.crl_dir, "moica.crl"), "rb") as f:
            good = f.read()
        S.dirty = True
        S.server.mode = mode
        log = restart_regsd(env)
        check("not refreshed" in crl_lines(log, S.urls[0])[-1],
              "%s answer taken as a CRL" % mode, log)
        insert()
        succeeded(env, card_login(env, "alice"), "login on the cache after a %s answer" % mode)
        names = os.listdir(cache_dir(env))
        check(any(open(os.path.join(cache_dir(env), n), "rb").read() == good for n in names),
              "the good cached CRL was overwritten after a %s answer" % mode)


def test_R3_5_stale_crl_is_not_a_current_one(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    S.dirty = True
    import pki
    pki.make_crl(pki_dir(), stale=True, out=os.path.join(S.crl_dir, "moica.crl"))
    drop_cache(env)
    restart_regsd(env)
    insert()
    refused(env, card_login(env, "alice"), MSG_NO_CRL, "only a CRL past its nextUpdate")


def test_R3_5_older_crl_does_not_replace_a_newer_one(env):
    """CRLs come over plain http: whoever answers for the server can replay an older,
    properly signed CRL from before a revocation. regsd must keep the newer one."""
    baseline(env, "alice", "bob")
    ensure_bound(env, "bob", "citizen2")
    S.dirty = True
    import pki
    old = os.path.join(card().path("pki"), "old-moica.crl")
    pki.make_crl(pki_dir(), number=1, out=old)
    time.sleep(1.2)  # a later thisUpdate for the newer CRL
    pki.make_crl(pki_dir(), revoked=["0x%x" % cert("citizen2")["serial"]], number=2,
                 out=os.path.join(S.crl_dir, "moica.crl"))
    log = restart_regsd(env)
    check(re.search(r": 1 revoked serials", crl_lines(log, S.urls[0])[-1]), "CRL 2 loaded", log)
    insert("citizen2")
    refused(env, card_login(env, "bob"), MSG_INVALID, "revoked by CRL 2")
    shutil.copy(old, os.path.join(S.crl_dir, "moica.crl"))
    log = restart_regsd(env)
    harness._diag("after serving CRL 1: " + crl_lines(log, S.urls[0])[-1].strip())
    insert("citizen2")
    r = card_login(env, "bob")
    check(r.auth != "PAM_SUCCESS", "an older CRL (number 1) replaced CRL 2 and un-revoked "
          "citizen2", r, log)
    env.call_ok("Unlock", "string:bob")


def test_R3_5_400k_entry_crl_loads_and_answers(env):
    baseline(env, "alice", "bob")
    ensure_bound(env, "alice", "citizen")
    ensure_bound(env, "bob", "citizen2")
    S.dirty = True
    t = time.monotonic()
    publish(revoked=["0x%x" % cert("citizen2")["serial"]], bulk=400000)
    harness._diag("bulk CRL written in %.1f s (%d bytes)" % (
        time.monotonic() - t, os.path.getsize(os.path.join(S.crl_dir, "moica.crl"))))
    t = time.monotonic()
    log = restart_regsd(env, timeout=300)
    line = crl_lines(log, S.urls[0])[-1]
    harness._diag("regsd: %s (%.1f s after the start)" % (line.strip(), time.monotonic() - t))
    check(re.search(r": 400001 revoked serials", line), "400,001 entries loaded", line)
    insert()
    t = time.monotonic()
    r = card_login(env, "alice")
    took = time.monotonic() - t
    harness._diag("card login with the 400k CRL: %.2f s (the claim: bench/run --card)" % took)
    succeeded(env, r, "login with a 400k CRL")
    insert("citizen2")
    refused(env, card_login(env, "bob"), MSG_INVALID, "listed in the 400k CRL")


def test_R1_3_unknown_menu_choice_refused_with_a_hint(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    insert()
    r = card_login(env, "alice", choose="9", pin=None)
    refused(env, r, "Unknown choice", "menu answer 9")
    check(not pin_prompts(r), "a PIN was asked after an unknown choice", r)
    no_pin_sent("unknown menu choice", r)


def test_R9_1_wrong_pins_count_toward_account_lock(env):
    baseline(env, "alice")
    ensure_bound(env, "alice", "citizen")
    try:
        for i in range(3):
            insert()  # a fresh card counter each time: only the account counts
            r = card_login(env, "alice", WRONG_PIN)
            check(r.auth != "PAM_SUCCESS", "wrong PIN %d accepted" % (i + 1), r)
            check(env.get_account("alice")[2] == i + 1 or env.is_locked("alice"),
                  "failures after %d wrong PINs: %r" % (i + 1, env.get_account("alice")), r)
        check(env.is_locked("alice"), "not locked after 3 wrong PINs: %r"
              % (env.get_account("alice"),))
        check_in(MSG_ACCOUNT_LOCKED, r.error_text, "lock message on the third", r)
        check(r.auth == "PAM_MAXTRIES", "the locking wrong PIN: want PAM_MAXTRIES", r)
        c = insert()
        r = card_login(env, "alice", PIN)
        refused(env, r, MSG_ACCOUNT_LOCKED, "locked account, right PIN")
        no_pin_sent("locked account", r)
    finally:
        env.call_ok("Unlock", "string:alice")


def card_check(env, what, want, json=False):
    card().clear_apdu_log()
    rc, out, err = env.regsctl(["card-check"] + (["--json"] if json else []), timeout=60)
    check(rc == want, "card-check with %s: exit %d, want %d" % (what, rc, want), out, err)
    no_pin_sent("card-check with " + what)
    return out + err


def test_R3_2_card_check_reports_each_fault(env):
    c = card()
    insert()
    out = card_check(env, "a good card", 0)
    check_in(MSG_CHECK_DONE, out, "ok text", out)
    check("ready for login" not in out, "claims more than it checked", out)
    insert(tries_left=2)
    out = card_check(env, "a good card, 2 tries left", 0)
    check_in("2 tries left", out, "tries shown", out)
    c.stop_card()
    card_check(env, "no card", EXIT_CARD)
    insert(fault="wrong-atr")
    card_check(env, "wrong ATR", EXIT_CARD)
    insert(fault="second-generation")
    card_check(env, "second generation", EXIT_CARD)
    insert(fault="pull-during-read")
    card_check(env, "card pulled while reading the certificate", EXIT_CERT)
    insert(fault="locked")
    out = card_check(env, "locked card", EXIT_PIN)
    check_in("MOICA", out, "unlock hint", out)
    # No PC/SC service: stop the private pcscd, then bring it back.
    c.stop_card(wait=False)
    c.pcscd.terminate()
    c.pcscd.wait(10)
    try:
        rc, out, err = env.regsctl(["card-check"], timeout=60)
        check(rc == EXIT_SERVICE, "card-check without pcscd: exit %d, want %d"
              % (rc, EXIT_SERVICE), out, err)
    finally:
        c.start_pcscd()
    insert()
    card_check(env, "a good card after pcscd came back", 0)


def test_R3_2_card_check_fails_a_certificate_that_does_not_verify(env):
    """The self-check's "certificate readable" passes a certificate whose signature is
    broken (fault corrupt-cert): it cannot log in (R1.2/R3.5 refuse it), so "ready for
    login" misleads. The check that can tell is check 4, with the anchor bundles named in
    /etc/regs/regs.conf (shown to regsctl in this mount namespace only); without them it
    cannot tell, and only says what it checked."""
    insert(fault="corrupt-cert")
    out = card_check(env, "corrupt certificate, no regs.conf to check it with", 0)
    check("ready for login" not in out, "reported ready for login", out)
    check_in(MSG_CHECK_DONE, out, "what was checked", out)
    card().show_system_conf(env.path("regs.conf"))
    out = card_check(env, "corrupt certificate (signature does not verify)", EXIT_CERT)
    check("ready for login" not in out, "reported ready for login", out)
    check_in("does not verify", out, "what is wrong", out)
    check_in("damaged", out, "hint", out)
    insert()
    out = card_check(env, "a good card checked against the anchors", 0)
    check_in(MSG_CHECK_DONE, out, "ok text", out)


def test_R7_1_card_only_account_reverifies_with_the_card(env):
    """R7.1: entering the settings re-verifies with an already bound method; for an
    account whose only method is the card, that is the card (+ PIN)."""
    baseline(env, "bob")
    ensure_bound(env, "bob", "citizen2")
    check(not env.get_account("bob")[0] & harness.F_OTP_BOUND, "bob has OTP")
    c = insert("citizen2")
    try:
        rc, out, err = env.regsctl_dialog(["status"], uid="bob", steps=[("PIN", PIN)],
                                          timeout=20)
    except AssertionError as e:
        raise AssertionError("regsctl status as a card-only account never asked for the "
                             "card's PIN: %s" % e)
    check(rc == 0, "regsctl status as card-only bob: exit %d" % rc, out, err)
    check(len(verifies()) == 1, "one VERIFY", c.apdu_log_text())
    check_in(MSG_REVERIFY_CARD, err, "says it re-verifies with the card", err)
    check("OTP" not in err, "asked for an OTP code", err)


def test_R7_1_card_only_account_steps_up_with_the_card(env):
    """R7.1 with the card, through regsctl: a wrong PIN stops with exit 4 and nothing shown
    (the PIN sent once); a card that is not the bound one is refused (exit 4); and
    `regsctl bind card` on a card-only account re-verifies with the card it binds again,
    one PIN and one VERIFY for both signatures."""
    baseline(env, "bob")
    ensure_bound(env, "bob", "citizen2")
    check(not env.get_account("bob")[0] & harness.F_OTP_BOUND, "bob has OTP")
    try:
        c = insert("citizen2")
        rc, out, err = env.regsctl_dialog(["status"], uid="bob", steps=[("PIN", WRONG_PIN)],
                                          timeout=30)
        check(rc == 4, "status with a wrong PIN: exit %d, want 4" % rc, out, err)
        check_in("Wrong PIN. 2 tries left", err, "wrong-PIN message", err)
        check(not out.strip(), "status shown after a wrong PIN", out, err)
        check(len(verifies()) == 1, "the PIN sent once", c.apdu_log_text())

        insert("citizen")  # not bob's card
        rc, out, err = env.regsctl_dialog(["status"], uid="bob", steps=[("PIN", PIN)],
                                          timeout=30)
        check(rc == 4, "status with another card: exit %d, want 4" % rc, out, err,
              env.regsd_tail())
        check_in(MSG_NOT_THE_BOUND_CARD, err, "another card", err)
        check(not out.strip(), "status shown with another card", out, err)
        env.call_ok("Unlock", "string:bob")

        c = insert("citizen2")
        rc, out, err = env.regsctl_dialog(["bind", "card"], uid="bob", steps=[("PIN", PIN)],
                                          timeout=90)
        check(rc == 0, "bind card as card-only bob: exit %d" % rc, out, err, env.regsd_tail())
        check_in(MSG_REVERIFY_CARD, err, "re-verified with the card", err)
        check("OTP" not in err, "asked for an OTP code", err)
        check_in("Citizen certificate card bound", out, "bound", out, err)
        check(len([p for p in err.split("\n") if "PIN of the card" in p]) == 1,
              "one PIN prompt", err)
        check(len(verifies()) == 1, "one VERIFY for the step-up and the binding",
              c.apdu_log_text())
        check(env.get_account("bob")[0] & F_CARD_BOUND, "bob lost his card")
        insert("citizen2")
        succeeded(env, card_login(env, "bob"), "login with the card bound again")
    finally:
        env.call_ok("Unlock", "string:bob")


def test_R7_2_card_only_account_rebinds_card(env):
    """R7.2 for a card-only account: moving to a new card re-verifies with the bound (old)
    card, then binds the new one. regsctl bind card signs both with the card in the reader,
    so the swap is made over the bus on one connection: without re-verification BindCard
    is refused; the new card cannot re-verify; StepUpCard signed with the old key, then
    CardChallenge bind + BindCard with the new certificate."""
    baseline(env, "bob", "alice")
    ensure_bound(env, "bob", "citizen2")
    holder = S.holder.get("citizen")
    if holder and holder != "bob":
        unbind(env, holder)
    check(not env.get_account("bob")[0] & harness.F_OTP_BOUND, "bob has OTP")

    def challenge(s, purpose):
        err, v = s.call("CardChallenge", "ss", "", purpose)
        check(err is None, "CardChallenge(%s): %s %s" % (purpose, err, v), env.regsd_tail())
        return v[0], bytes(v[1])

    def step_up(s, name):
        handle, nonce = challenge(s, "step-up")
        err, v = s.call("StepUpCard", "sayays", handle, list(der(name)),
                        list(sign(name, nonce)), "card")
        check(err is None, "StepUpCard with %s: %s %s" % (name, err, v), env.regsd_tail())
        return v

    def bind(s, name):
        handle, nonce = challenge(s, "bind")
        return s.call("BindCard", "sayay", handle, list(der(name)), list(sign(name, nonce)))

    try:
        with env.bus_session("bob") as s:
            err, v = bind(s, "citizen")
            check(err == E_STEP_UP_REQUIRED, "BindCard without re-verification: %s %s"
                  % (err, v), env.regsd_tail())
            v = step_up(s, "citizen")
            check(v[0] == R_CARD_NOT_BOUND, "the new card re-verified: %r" % (v,))
            v = step_up(s, "citizen2")
            check(v[0] == harness.R_OK and v[3] > 0, "the old card did not re-verify: %r"
                  % (v,), env.regsd_tail())
            err, v = bind(s, "citizen")
            check(err is None and v[0] == harness.R_OK, "BindCard of the new card: %s %s"
                  % (err, v), env.regsd_tail())
        S.holder.pop("citizen2", None)
        S.holder["citizen"] = "bob"
        check(env.get_account("bob")[0] & F_CARD_BOUND, "bob not card-bound")
        insert("citizen")
        succeeded(env, card_login(env, "bob"), "login with the new card")
        insert("citizen2")
        refused(env, card_login(env, "bob"), MSG_NOT_BOUND, "the old card after the rebind")
    finally:
        env.call_ok("Unlock", "string:bob")


def test_R3_6_bind_through_regsctl_bind_card(env):
    rc, out, err = env.regsctl(["--help"])
    check_in("bind card", out + err, "regsctl --help lists 'bind card'")
    baseline(env, "erin")
    if env.get_account("erin")[0] & F_CARD_BOUND:
        unbind(env, "erin")
    holder = S.holder.get("citizen2")
    if holder:
        unbind(env, holder)
    c = insert("citizen2")
    rc, out, err = env.regsctl_dialog(["bind", "card"], uid="erin", steps=[("PIN", PIN)],
                                      timeout=90)
    check(rc == 0, "regsctl bind card exit %d" % rc, out, err, env.regsd_tail())
    check(env.get_account("erin")[0] & F_CARD_BOUND, "erin not card-bound", out, err)
    S.holder["citizen2"] = "erin"
    check(len(verifies()) == 1, "one VERIFY with data", c.apdu_log_text())
    insert("citizen2")
    succeeded(env, card_login(env, "erin"), "login with the card bound by regsctl")


def test_R3_card_binding_survives_kill_9(env):
    """regsd(8), DURABILITY: a binding regsd answered is kept over kill -9."""
    baseline(env, "dave")
    ensure_bound(env, "dave", "citizen")
    restart_regsd(env, kill=True)
    check(env.get_account("dave")[0] & F_CARD_BOUND, "the card binding was lost over kill -9")
    insert()
    succeeded(env, card_login(env, "dave"), "card login after kill -9")

# ------------------------------------------------------------------ set-up


def _setup(ce):
    """PKI, anchors and the CRL server, before the Env starts regsd."""
    cardenv._sys_path_fixtures()
    import crl_server  # noqa: E402
    S.crl_dir = ce.path("crl-www")
    os.makedirs(S.crl_dir, exist_ok=True)
    S.server = crl_server.CrlServer(S.crl_dir)
    S.server.start()
    ce.make_pki(crl_port=S.server.port)
    publish()
    S.urls = [S.server.url("moica.crl"), S.server.url("xca.crl")]
    S.conf = pki.anchor_conf(ce.pki["certs"], ce.path(), S.urls)


def main(test_globals):
    """Runs a card test file: a private pcscd namespace, this file's PKI, anchors and CRL
    server, then the tests in test_globals (test_card_cache.py and test_card_strict.py too)."""
    with cardenv.card_namespace() as ce:
        _setup(ce)
        try:
            harness.main(test_globals, conf=S.conf)
        finally:
            S.server.stop()


if __name__ == "__main__":
    main(globals())
