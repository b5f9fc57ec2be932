"""R11.5: a citizen card that follows docs/hicos-card.md strictly still logs in.

The document has no PIN status query; the module asks `8C 20 00 01` (no data) before the
PIN, and the project's virtual card answers it with 63 Cx (docs/card-profile.md,
assumption 1). A card written from the document alone answers it with an error: 67 00
(wrong length), 6D 00 (unknown instruction) or 6A 86 (wrong P1/P2) -- vcard.py
--pin-status. Any answer other than 63 Cx / 69 83 means "tries unknown": the PIN is asked
for without a count, sent once, and the VERIFY answer tells the tries (63 Cx) or the lock
(69 83). Through the real PAM stack, regsd and a real private pcscd (tests/integration/
cardenv.py, own mount namespace, needs root), and with the real regsctl.

The set-up (PKI, anchors, CRL server) and the helpers are test_card.py's.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_card as tc  # noqa: E402
from harness import F_CARD_BOUND, check, check_in  # noqa: E402

STRICT_ANSWERS = ("6700", "6D00", "6A86")
PROMPT_UNKNOWN = "PIN of the card (it locks after 3 wrong PINs): "
MSG_CHECK_UNKNOWN = "not reported by the card"


def status_queries(log=None):
    log = tc.card().apdu_log() if log is None else log
    return [(i, sw) for i, (cmd, sw) in enumerate(log) if cmd == "8C200001"]


def strict_login(env, answer):
    """alice logs in with her bound card answering the status query with answer."""
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    c = tc.insert(pin_status=answer)
    r = tc.card_login(env, "alice")
    tc.succeeded(env, r, "card answering %s to the PIN status query" % answer)
    check(tc.pin_prompts(r) == [PROMPT_UNKNOWN], "one PIN prompt without a count: %r"
          % tc.pin_prompts(r), r)
    log = c.apdu_log()
    queries = status_queries(log)
    check(queries and all(sw == answer for _, sw in queries),
          "the card answered the status query %s" % answer, c.apdu_log_text())
    vs = tc.verifies(log)
    check(len(vs) == 1, "exactly one VERIFY with data, got %d" % len(vs), c.apdu_log_text())
    check(log[vs[0][0]][1] == "9000", "VERIFY answered 9000", c.apdu_log_text())
    check(not [cmd for cmd, _ in log if cmd.startswith("0020")], "a plain ISO VERIFY",
          c.apdu_log_text())
    check(c.tries_left() == 3, "the card's counter is intact")


def test_R11_5_card_answering_6700_to_pin_status_logs_in(env):
    strict_login(env, "6700")


def test_R11_5_card_answering_6D00_to_pin_status_logs_in(env):
    strict_login(env, "6D00")


def test_R11_5_card_answering_6A86_to_pin_status_logs_in(env):
    strict_login(env, "6A86")


def test_R11_5_wrong_pin_on_strict_card_reports_tries_from_verify(env):
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    try:
        c = tc.insert(pin_status="6700")
        r = tc.card_login(env, "alice", tc.WRONG_PIN)
        tc.refused(env, r, "Wrong PIN. 2 tries left before the card locks.", "wrong PIN")
        check(tc.pin_prompts(r) == [PROMPT_UNKNOWN], "prompt without a count", r)
        check(len(tc.verifies()) == 1, "one VERIFY", c.apdu_log_text())
        check(c.tries_left() == 2, "card counter 2, is %d" % c.tries_left())
        c.clear_apdu_log()
        r = tc.card_login(env, "alice", tc.PIN)
        tc.succeeded(env, r, "right PIN after a wrong one")
        check(c.tries_left() == 3, "a right PIN resets the card counter")
    finally:
        env.call_ok("Unlock", "string:alice")


def test_R11_5_blocked_pin_on_strict_card_reported_as_blocked(env):
    """The last wrong PIN locks the card (VERIFY 69 83): reported as locked, not as an
    unreadable card. A card already locked cannot be told before the PIN: the one VERIFY
    it gets is answered 69 83 before the PIN is looked at (the document), and the user is
    told it is locked."""
    tc.baseline(env, "alice")
    tc.ensure_bound(env, "alice", "citizen")
    try:
        c = tc.insert(pin_status="6D00", tries_left=1)
        r = tc.card_login(env, "alice", tc.WRONG_PIN)
        tc.refused(env, r, tc.MSG_LOCKED_CARD, "the wrong PIN that locks the card")
        check(c.tries_left() == 0, "the card is locked")
        check(len(tc.verifies()) == 1, "one VERIFY", c.apdu_log_text())
        env.call_ok("Unlock", "string:alice")
        c = tc.insert(pin_status="6A86", tries_left=0)
        r = tc.card_login(env, "alice", tc.PIN)
        tc.refused(env, r, tc.MSG_LOCKED_CARD, "a locked card")
        check("could not be read" not in r.error_text, "told the card cannot be read", r)
        vs = tc.verifies()
        check(len(vs) == 1 and c.apdu_log()[vs[0][0]][1] == "6983",
              "one VERIFY, answered 6983", c.apdu_log_text())
        check(c.tries_left() == 0, "still locked")
    finally:
        env.call_ok("Unlock", "string:alice")


def test_R11_5_card_check_passes_on_strict_card(env):
    for answer in STRICT_ANSWERS:
        tc.insert(pin_status=answer)
        out = tc.card_check(env, "a card answering %s to the PIN status query" % answer, 0)
        check_in(tc.MSG_CHECK_DONE, out, "every check passed (%s)" % answer, out)
        check_in(MSG_CHECK_UNKNOWN, out, "row 5 says the card does not report the tries", out)
        check(status_queries(), "the status query was sent", tc.card().apdu_log_text())
    tc.insert(pin_status="6700")
    out = tc.card_check(env, "strict card, --json", 0, json=True)
    check('"pin_tries_left": null' in out or '"pin_tries_left":null' in out,
          "tries unknown in the JSON", out)


def test_R11_5_bind_card_on_strict_card(env):
    tc.baseline(env, "erin")
    if env.get_account("erin")[0] & F_CARD_BOUND:
        tc.unbind(env, "erin")
    holder = tc.S.holder.get("citizen2")
    if holder:
        tc.unbind(env, holder)
    c = tc.insert("citizen2", pin_status="6700")
    rc, out, err = env.regsctl_dialog(["bind", "card"], uid="erin",
                                      steps=[("PIN of the card", tc.PIN)], timeout=90)
    check(rc == 0, "regsctl bind card on a strict card: exit %d" % rc, out, err,
          env.regsd_tail())
    check_in("it locks after 3 wrong PINs", err, "the PIN prompt without a count", err)
    check(env.get_account("erin")[0] & F_CARD_BOUND, "erin not card-bound", out, err)
    tc.S.holder["citizen2"] = "erin"
    check(len(tc.verifies()) == 1, "one VERIFY with data", c.apdu_log_text())
    tc.insert("citizen2", pin_status="6D00")
    tc.succeeded(env, tc.card_login(env, "erin"), "login with the card bound on a strict card")


if __name__ == "__main__":
    tc.main(globals())
