"""R3: a card login does not read the certificate from the card every time.

regsd keeps the bound certificate (table card_certs) and the serial (file 0900) of the card
that last logged in with it. The module reads the card's serial, asks regsd (CardKnown) and
reads the certificate only for a card regsd has not seen; it then logs in with
CardLoginSerial, with no certificate when regsd holds it. The card still signs regsd's fresh
challenge at every login, and regsd checks the signature against the held certificate and the
certificate's chain, validity and revocation as it does for a sent one. Another card with the
same serial (a different certificate) is caught by the signature: regsd answers
CARD_CERT_NEEDED (not counted), and the module reads that card's own certificate and logs in
with it on a new challenge, which is judged and counted once.

Counted with the virtual card's APDU log, through the real PAM stack, regsd and a real private
pcscd (tests/integration/cardenv.py, own mount namespace, needs root). The set-up and the
helpers are test_card.py's.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import test_card as tc  # noqa: E402
from harness import check  # noqa: E402

SERIAL_A = "54570000000000000A01"  # "TW" + 8 bytes
SERIAL_B = "54570000000000000B02"
SERIAL_C = "54570000000000000C03"
R_CARD_CERT_NEEDED = harness.R_CARD_CERT_NEEDED  # the bus contract
E_INVALID_ARGS = "tw.regs.Error.InvalidArgs"
E_ACCESS_DENIED = "tw.regs.Error.AccessDenied"
# A login with the certificate held by regsd, with the default virtual card (docs/card-profile.md):
# serial 4 (SELECT 3F00 5030 0900, READ BINARY), PIN status 4 (SELECT x3, 8C200001), VERIFY 4
# (SELECT x3, VERIFY), signature 11 (SELECT x3 + READ BINARY 4100 for the key reference, SELECT
# x3, 80EA82, 80EA02, GET RESPONSE, 80C1).
APDUS_HELD = 23


def certificate_read(log):
    """Whether the module read the certificate directory or the certificate file."""
    return any(cmd in ("80A40000024104", "80A400000208F2") for cmd, _ in log)


def signatures(log):
    return [i for i, (cmd, _) in enumerate(log) if cmd.startswith("80EA02")]


def login(env, user, name="citizen", serial=SERIAL_A, pin=tc.PIN, **opts):
    """user logs in with a fresh card (name's certificate and key, serial); (result, log)."""
    c = tc.insert(name, serial=serial, **opts)
    r = tc.card_login(env, user, pin)
    return r, c.apdu_log()


def fresh_binding(env, user, name):
    """user bound to name just now: regsd holds the certificate but has seen no card."""
    if env.get_account(user)[0] & harness.F_CARD_BOUND:
        tc.unbind(env, user)
    holder = tc.S.holder.get(name)
    if holder:
        tc.unbind(env, holder)
    tc.ensure_bound(env, user, name)


def seen(env, user="alice", name="citizen", serial=SERIAL_A):
    """Makes sure regsd has seen name's card with serial (one login, read or not)."""
    r, log = login(env, user, name, serial)
    tc.succeeded(env, r, "login that shows regsd the card")


def test_R3_4_certificate_read_once_per_card(env):
    tc.baseline(env, "alice")
    fresh_binding(env, "alice", "citizen")
    r, first = login(env, "alice")
    tc.succeeded(env, r, "first login with the card")
    check(certificate_read(first), "the first login did not read the certificate",
          tc.card().apdu_log_text())
    counts = []
    for i in range(2):
        r, log = login(env, "alice")
        tc.succeeded(env, r, "login %d with the card regsd has seen" % (i + 2))
        check(not certificate_read(log), "login %d read the certificate again" % (i + 2),
              tc.card().apdu_log_text())
        check(len(tc.verifies(log)) == 1, "one VERIFY", tc.card().apdu_log_text())
        check(len(signatures(log)) == 1, "the card signed the challenge (possession)",
              tc.card().apdu_log_text())
        check(any(cmd == "80A40000020900" for cmd, _ in log), "the card serial was read",
              tc.card().apdu_log_text())
        counts.append(len(log))
    harness._diag("APDUs per login: %d the first time (certificate read; %d of them the card "
                  "serial, new), %d after (certificate held by regsd)"
                  % (len(first), 4, counts[0]))
    check(counts == [APDUS_HELD, APDUS_HELD], "APDUs per login with the certificate held: %r, "
          "want %d" % (counts, APDUS_HELD), tc.card().apdu_log_text())
    check(len(first) - APDUS_HELD >= 10, "the certificate read was only %d APDUs"
          % (len(first) - APDUS_HELD))
    check(env.get_account("alice")[2] == 0, "failures after good logins: %r"
          % (env.get_account("alice"),))


def test_R3_4_another_card_serial_reads_the_certificate(env):
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    seen(env)
    r, log = login(env, "alice", serial=SERIAL_B)
    tc.succeeded(env, r, "the same certificate on a card with another serial")
    check(certificate_read(log), "another serial used the held certificate unread",
          tc.card().apdu_log_text())
    r, log = login(env, "alice", serial=SERIAL_B)
    tc.succeeded(env, r, "again with that card")
    check(not certificate_read(log), "read again", tc.card().apdu_log_text())


def test_R3_6_same_serial_other_certificate_is_read_and_refused(env):
    """bob's card (citizen2) with the serial of alice's card, at alice's login: the held
    certificate is alice's, the card's signature does not verify with it, so the module reads
    the card's own certificate and signs a new challenge: "not the card bound to this
    account", counted once. alice's held certificate and serial are untouched."""
    tc.baseline(env, "alice", "bob")
    tc.ensure_bound(env, "alice", "citizen")
    tc.ensure_bound(env, "bob", "citizen2")
    seen(env)
    before = env.get_account("alice")[2]
    r, log = login(env, "alice", "citizen2", SERIAL_A)
    tc.refused(env, r, tc.MSG_NOT_BOUND, "another certificate behind alice's card serial")
    sigs = signatures(log)
    check(len(sigs) == 2, "signed twice (held, then read certificate): %d" % len(sigs),
          tc.card().apdu_log_text())
    check(certificate_read(log[sigs[0]:sigs[1]]), "the certificate was not read between",
          tc.card().apdu_log_text())
    check(len(tc.verifies(log)) == 1, "one PIN for both signatures", tc.card().apdu_log_text())
    check(env.get_account("alice")[2] == before + 1, "counted once: %d -> %d"
          % (before, env.get_account("alice")[2]))
    env.call_ok("Unlock", "string:alice")
    r, log = login(env, "alice")
    tc.succeeded(env, r, "alice's own card afterwards")
    check(not certificate_read(log), "alice's held certificate was dropped",
          tc.card().apdu_log_text())


def test_R3_4_card_without_the_key_is_refused_with_a_held_certificate(env):
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    seen(env)
    before = env.get_account("alice")[2]
    r, log = login(env, "alice", fault="wrong-key")
    tc.refused(env, r, tc.MSG_BAD_SIG, "the right certificate, another key")
    check(env.get_account("alice")[2] == before + 1, "counted once: %d -> %d"
          % (before, env.get_account("alice")[2]))
    env.call_ok("Unlock", "string:alice")


def test_R3_5_certificate_revoked_since_it_was_held_is_refused(env):
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    seen(env)
    tc.S.dirty = True
    tc.publish(revoked=["0x%x" % tc.cert("citizen")["serial"]])
    tc.restart_regsd(env)
    try:
        r, log = login(env, "alice")
        tc.refused(env, r, tc.MSG_INVALID, "revoked after regsd kept it")
        check(not certificate_read(log), "refused only after reading the certificate",
              tc.card().apdu_log_text())
    finally:
        env.call_ok("Unlock", "string:alice")


def test_R3_5_certificate_expired_since_it_was_held_is_refused(env):
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    seen(env)
    delta = (365 * 8 + 30) * 86400
    env.advance(delta)
    try:
        r, log = login(env, "alice")
        tc.refused(env, r, tc.MSG_INVALID, "expired after regsd kept it")
        check(not certificate_read(log), "refused only after reading the certificate",
              tc.card().apdu_log_text())
    finally:
        env.advance(-delta)
        env.call_ok("Unlock", "string:alice")


def test_R3_4_held_certificate_over_the_bus(env):
    """CardKnown and CardLoginSerial as the account itself: the held certificate is used only
    for its own account and card serial, with a signature that verifies with it; otherwise
    CARD_CERT_NEEDED, not counted; challenges are still single use."""
    tc.baseline(env, "alice", "bob")
    tc.ensure_bound(env, "alice", "citizen")
    tc.ensure_bound(env, "bob", "citizen2")
    seen(env)
    seen(env, "bob", "citizen2", SERIAL_C)

    def login_serial(s, user, sig_name, serial, cert=()):
        err, v = s.call("CardChallenge", "ss", user, "login")
        check(err is None, "CardChallenge: %s %s" % (err, v))
        h, nonce = v[0], bytes(v[1])
        err, v = s.call("CardLoginSerial", "sayaysss", h, list(cert),
                        list(tc.sign(sig_name, nonce)), "test", "", serial)
        return h, nonce, err, v

    with env.bus_session("alice") as s, env.bus_session("bob") as sb:
        err, v = s.call("CardKnown", "ss", "alice", SERIAL_A)
        check(err is None and v[0] is True, "CardKnown(alice, her card): %s %s" % (err, v))
        err, v = s.call("CardKnown", "ss", "alice", SERIAL_B)
        check(err is None and v[0] is False, "CardKnown(alice, another serial): %s %s"
              % (err, v))
        err, v = s.call("CardKnown", "ss", "bob", SERIAL_C)
        check(err == E_ACCESS_DENIED, "alice asked about bob's card: %s %s" % (err, v))
        err, v = s.call("CardKnown", "ss", "alice", "12-34")
        check(err == E_INVALID_ARGS, "a serial that is not hex: %s %s" % (err, v))

        h, nonce, err, v = login_serial(s, "alice", "citizen", SERIAL_A)
        check(err is None and v[0] == harness.R_OK, "held certificate, right key: %s %s"
              % (err, v), env.regsd_tail())
        err, v = s.call("CardLoginSerial", "sayaysss", h, [], list(tc.sign("citizen", nonce)),
                        "test", "", SERIAL_A)
        check(err is None and v[0] == tc.R_BAD_CHALLENGE, "replayed challenge: %s %s"
              % (err, v))
        before = env.get_account("alice")[2]
        for sig_name, serial, what in (("citizen2", SERIAL_A, "another key, her serial"),
                                       ("citizen", SERIAL_B, "her key, another serial"),
                                       ("citizen", "", "no serial")):
            _, _, err, v = login_serial(s, "alice", sig_name, serial)
            check(err is None and v[0] == R_CARD_CERT_NEEDED, "%s: %s %s, want %d"
                  % (what, err, v, R_CARD_CERT_NEEDED), env.regsd_tail())
        check(env.get_account("alice")[2] == before, "CARD_CERT_NEEDED was counted")
        # bob never gets alice's held certificate, even with her serial and her key.
        _, _, err, v = login_serial(sb, "bob", "citizen", SERIAL_A)
        check(err is None and v[0] == R_CARD_CERT_NEEDED, "bob with alice's serial and key: "
              "%s %s" % (err, v), env.regsd_tail())
        _, _, err, v = login_serial(sb, "bob", "citizen", SERIAL_A, tc.der("citizen"))
        check(err is None and v[0] == tc.R_CARD_NOT_BOUND, "bob sending alice's certificate: "
              "%s %s" % (err, v), env.regsd_tail())
        # A sent certificate is judged as by CardLogin.
        _, _, err, v = login_serial(sb, "bob", "citizen2", SERIAL_C, tc.der("citizen2"))
        check(err is None and v[0] == harness.R_OK, "bob with his certificate: %s %s"
              % (err, v), env.regsd_tail())
    env.call_ok("Unlock", "string:bob")
    env.call_ok("Unlock", "string:alice")


if __name__ == "__main__":
    tc.main(globals())
