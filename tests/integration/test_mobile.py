"""End to end: mobile citizen certificate login and binding (R4.1-R4.5, R7.1, R9.1)
through the real PAM stack, regsd and a local mobile-ID service over HTTPS on loopback
(tests/fixtures/mobileid_server.py: the TW FidO style relying-party API of
docs/twfido.md, AES-256-GCM checksums, and results signed by phone keys that a test CA
made at test time certifies).

One Env and one service for the file. The service's clock is regsd's test clock, so a
test moves both with env.advance(): regsd polls getAthOrSignResult only once
mobile_poll_seconds + 1 s have passed by that clock (POLL), and a transaction lives
mobile_time_limit (180 s) by it. Attempts are limited to mobile_max_attempts per account
and per ID number in a fixed window (R4.1): every login and binding here first moves the
clock past the window, except in the rate-limit test.

Phones: every user below has one at the service (bob's has an EC key, the others RSA).
Bindings are made with `regsctl bind mobile ID` as the user (re-verification with an OTP
code first, R7.1): alice and bob are bound to their own phones; erin's phone is never
bound (it is "another phone"); carol and dave have no mobile binding.
"""

import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import harness  # noqa: E402
from harness import F_MOBILE_BOUND, check, check_in  # noqa: E402
import mobileid_server  # noqa: E402
import tlsserver  # noqa: E402

MENU_PROMPT = "Choose a login method [1]: "
MENU_MOBILE = "mobile citizen certificate (行動自然人憑證)"
ID_PROMPT = "National ID number (身分證統一編號): "
ENTER = "Press Enter after confirming, or q for a QR code ("
MSG_PUSHED = "A login request was sent to the TW FidO app on your phone"
MSG_QR = "Scan this QR code with the TW FidO app:"
MSG_BAD_ID = "That is not a valid national ID number (one letter and nine digits)."
MSG_PENDING = "Not confirmed yet."
MSG_DENIED = "The login was refused on the phone."
MSG_EXPIRED = "The login request expired before it was confirmed. Please start again."
MSG_UNREACHABLE = "The mobile citizen certificate service cannot be reached"
MSG_REFUSED = "The answer could not be verified; login refused."
MSG_NOT_BOUND = "This mobile citizen certificate is not the one bound to this account."
MSG_LOCKED = "Account locked after too many failed attempts"
MSG_TOO_MANY = "Too many attempts; please wait a few minutes and try again."
OTP_PROMPT = "OTP code: "
PASSWORD_PROMPT = "Password: "
STEP_UP = "OTP code (re-verification): "
BIND_SENT = "A request was sent to the TW FidO app on your phone; confirm it there."
BOUND = "Mobile citizen certificate bound."
E_STEP_UP = "tw.regs.Error.StepUpRequired"
E_NOT_ALLOWED = "tw.regs.Error.NotAllowed"
E_INVALID = "tw.regs.Error.InvalidArgs"
E_TOO_SOON = "tw.regs.Error.TooSoon"
EXIT_USAGE, EXIT_VERIFY, EXIT_ALREADY_BOUND = 1, 4, 7
OOB_PENDING, OOB_APPROVED = harness.OOB_PENDING, harness.OOB_APPROVED

# regs.conf
TIME_LIMIT = 180
POLL_SECONDS = 4
POLL = POLL_SECONDS + 1  # regsd's margin: a poll comes this long after the last one
MAX_ATTEMPTS = 5
WINDOW = 600

# Valid national ID numbers (lib/ui/twid.c), one per user, each with a phone at the service.
IDS = {"alice": "A123456789", "bob": "C123456781", "carol": "D223456784",
       "erin": "E111111117"}
NO_PHONE_ID = "G135724681"  # valid, but the service knows no phone for it
BAD_IDS = ("A123456788", "a123456789", "A12345678", "A1234567890", "Z023456789")
QR_BLOCKS = "▀▄█"
# The countdown at the start: 3:00, or 2:59 when regsd's whole-second clock ticked
# between the push and the reply.
START = r"(?:3:00|2:59)"


class _State:
    env = None
    svc = None
    tmp = None
    conf = {}


S = _State()


def clock():
    return time.time() + (S.env.offset if S.env else 0)


def use(env, *bound_to_mobile):
    """The service as each test expects it; bound_to_mobile: the users the test expects
    with their phone bound (each test starts from a fresh database)."""
    S.env = env
    S.svc.result_mode = "good"
    S.svc.mode = "serve"
    if not S.svc.running():
        S.svc.start()
    for user in bound_to_mobile:
        if not env.get_account(user)[0] & F_MOBILE_BOUND:
            bound(env, user)
    return S.svc


def new_window(env):
    """Moves the clock past the rate-limit window (R4.1) so the next attempt is allowed."""
    env.advance(WINDOW + 1)


def ensure_otp(env, user):
    if user not in env.secrets:
        env.enrol(user)
    return env.secrets[user]


def failures(env, user):
    return env.get_account(user)[2]


def unlock(env, user):
    env.call_ok("Unlock", "string:" + user)


def sent(endpoint=None):
    """The requests the service got (of one endpoint)."""
    return [q for q in S.svc.requests if endpoint is None or q[0] == endpoint]


def polls_of(txn):
    return [q for q in sent("getAthOrSignResult")
            if isinstance(q[1], dict) and q[1].get("transaction_id") == txn]


def newest():
    return S.svc.transactions()[-1]


def choose(label):
    """A prompt answer: the menu number of label."""
    def answer(r):
        m = re.search(r"^\s*(\d+)\) " + re.escape(label) + "$", r.text, re.M)
        check(m is not None, "the menu offers %r" % label, r)
        return m.group(1)
    return answer


def approve_then(channel="push", advance=POLL):
    """A prompt answer: the phone approves the newest transaction; the poll interval passes."""
    def answer(_out):
        S.svc.wait_transaction()
        got = S.svc.approve(channel)
        check(got == "0", "approval by %s answered %r" % (channel, got))
        S.env.advance(advance)
        return ""
    return answer


def then(action, advance=POLL):
    """A prompt answer: action() at the service, then the poll interval passes."""
    def answer(_out):
        S.svc.wait_transaction()
        action()
        S.env.advance(advance)
        return ""
    return answer


def mobile_login(env, user, enter_answers, id_num=None, fresh=True, timeout=120):
    """PAM login choosing the mobile citizen certificate: menu, ID number, then the answers
    to the Enter prompts."""
    if fresh:
        new_window(env)
    id_num = id_num or IDS[user]
    r = env.pam("login", user, answers=[choose(MENU_MOBILE), id_num] + list(enter_answers),
                timeout=timeout)
    check(id_num not in r.out + r.err, "the ID number was shown or logged (syslog)", r)
    return r


def bind_mobile(env, user, id_num, enter=None):
    """regsctl bind mobile ID as user: re-verification, then the phone approves (or
    enter: a list of answers to the Enter prompts)."""
    secret = ensure_otp(env, user)
    new_window(env)
    steps = [(STEP_UP, lambda _o: env.fresh_code(secret))]
    steps += [(ENTER, a) for a in (enter or [approve_then()])]
    return env.regsctl_dialog(["bind", "mobile", id_num], uid=env.users[user], steps=steps,
                              timeout=90)


def bound(env, user):
    before = len(S.svc.transactions())
    rc, out, err = bind_mobile(env, user, IDS[user])
    check(rc == 0 and BOUND in out, "bind mobile as %s failed (rc %d)" % (user, rc), out, err,
          env.regsd_tail())
    check_in(BIND_SENT, out + err, "regsctl says where to confirm", out, err)
    check(re.search(re.escape(ENTER) + START + r" left\)", out + err),
          "regsctl shows the countdown", out, err)
    check(len(S.svc.transactions()) == before + 1, "one transaction for the binding")
    check(env.get_account(user)[0] & F_MOBILE_BOUND, "mobile not bound after regsctl")


def refused_by_result(env, user, mode):
    """A login whose verified-looking answer must be refused and counted (R4.5, R9.1)."""
    S.svc.result_mode = mode
    before = failures(env, user)
    r = mobile_login(env, user, [approve_then()])
    S.svc.result_mode = "good"
    check(r.auth != "PAM_SUCCESS", "a %s result was accepted" % mode, r, env.regsd_tail())
    check_in(MSG_REFUSED, r.error_text, "%s result: message" % mode, r, env.regsd_tail())
    check(newest()["state"] == "approved" and newest()["result_mode"] == mode,
          "the service answered the %s result" % mode, newest())
    check(PASSWORD_PROMPT not in r.prompts and OTP_PROMPT not in r.prompts,
          "asked for more after a %s result" % mode, r)
    check(failures(env, user) == before + 1, "a %s result counts as a failure (R9.1)" % mode,
          env.get_account(user))
    unlock(env, user)


def mobile_log(env, user, since):
    """GetLog entries of user's mobile logins since (regsd's clock), as root."""
    with env.bus_session() as bus:
        e, v = bus.call("GetLog", "stu", user, since, 200)
    check(e is None, "GetLog failed: %s %s" % (e, v))
    return [x for x in v[0] if x[2] == "login" and x[3] == "mobile"]


def flat(r):
    return [m for c in r.convs for m in c]


# ---------------------------------------------------------------- binding (R4, R7.1)


def test_R7_1_mobile_bind_needs_step_up(env):
    use(env)
    ensure_otp(env, "alice")
    new_window(env)
    n = len(sent())
    rc, out, err = env.dbus_call("MobileBegin", "string:", "string:" + IDS["alice"],
                                 "string:bind", "string:regsctl", "string:",
                                 uid=env.users["alice"])
    check(rc != 0 and E_STEP_UP in err, "MobileBegin bind without re-verification", out, err)
    check(len(sent()) == n, "something was sent to the service without re-verification",
          sent()[n:])
    # regsctl asks for the re-verification first; a wrong code binds nothing
    rc, out, err = env.regsctl_dialog(
        ["bind", "mobile", IDS["alice"]], uid=env.users["alice"],
        steps=[(STEP_UP, lambda _o: env.wrong_code(env.secrets["alice"]))], timeout=60)
    check(rc != 0, "bind mobile with a wrong re-verification code", out, err)
    check(len(sent()) == n, "a push was sent after a wrong re-verification code")
    check(not env.get_account("alice")[0] & F_MOBILE_BOUND, "alice got a mobile binding")
    unlock(env, "alice")


def test_R4_login_needs_a_bound_phone(env):
    use(env)
    n = len(sent())
    rc, out, err = env.dbus_call("MobileBegin", "string:carol", "string:" + IDS["carol"],
                                 "string:login", "string:login", "string:")
    check(rc != 0 and E_NOT_ALLOWED in err, "MobileBegin login for an account without "
          "a mobile binding", out, err)
    check(len(sent()) == n, "a push was sent for an account without a mobile binding")
    secret = ensure_otp(env, "dave")
    r = env.login("dave", env.fresh_code(secret))
    check(r.ok, "password + OTP login of dave", r)
    check(MENU_MOBILE not in r.text and ID_PROMPT not in r.prompts,
          "mobile offered to an account without a mobile binding", r)


def test_R4_bind_stores_hash_not_id(env):
    use(env)
    n = len(sent())
    bound(env, "alice")
    pushes = [q for q in sent("requestAthOrSignPush")[-1:]]
    check(pushes and pushes[0][1]["id_num_present"] and
          pushes[0][1]["hashed_id_num"] == mobileid_server.hashed_id(IDS["alice"]),
          "the push named alice's ID number", sent()[n:])
    txn = newest()
    check(txn["channels"] == ["push"] and txn["approved_by"] == "push",
          "the binding's transaction", txn)
    raw = IDS["alice"].encode()
    check(raw not in env.regsd_log().encode(), "the raw ID number is in the regsd log")
    found = []
    for root, _dirs, files in os.walk(env.path("state")):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            if raw in data or raw.lower() in data:
                found.append(name)
    check(os.path.exists(env.path("state", "data.mdb")), "no LMDB data file in the state dir",
          os.listdir(env.path("state")))
    check(not found, "the raw ID number is stored in %s" % found)
    rc, out, err = env.regsctl(["status", "--json"], uid=env.users["alice"],
                               input=env.fresh_code(env.secrets["alice"]) + "\n")
    check(rc == 0 and '"mobile"' in out, "status after binding", out, err)
    check(IDS["alice"] not in out + err, "status shows the raw ID number", out)
    # the hash the service returned is what logs alice in (R4.2)
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "login with the phone just bound", r, env.regsd_tail())


def test_R4_phone_bound_elsewhere_refused(env):
    use(env, "alice")
    rc, out, err = bind_mobile(env, "bob", IDS["alice"])
    check(rc == EXIT_ALREADY_BOUND, "binding alice's phone to bob: exit %d, got %d"
          % (EXIT_ALREADY_BOUND, rc), out, err, env.regsd_tail())
    check_in("bound to another account", err, "says why", out, err)
    check(not env.get_account("bob")[0] & F_MOBILE_BOUND, "bob got alice's phone")
    check(env.get_account("alice")[0] & F_MOBILE_BOUND, "alice lost her phone")
    bound(env, "bob")  # bob's own phone (an EC key)
    r = mobile_login(env, "bob", [approve_then()])
    check(r.ok, "bob logs in with his phone (ECDSA)", r, env.regsd_tail())
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "alice still logs in with hers", r, env.regsd_tail())


def test_R4_2_bind_by_qr_and_denied_bind(env):
    use(env)
    rc, out, err = bind_mobile(env, "carol", IDS["carol"], enter=[then(S.svc.deny)])
    check(rc == EXIT_VERIFY, "a binding denied on the phone: exit %d, got %d"
          % (EXIT_VERIFY, rc), out, err)
    check_in("denied", err, "says why", out, err)
    check(not env.get_account("carol")[0] & F_MOBILE_BOUND, "bound although denied")
    n = len(sent())
    rc, out, err = bind_mobile(env, "carol", IDS["carol"], enter=["q", approve_then("qr")])
    check(rc == 0 and BOUND in out, "binding by QR (rc %d)" % rc, out, err, env.regsd_tail())
    check_in(MSG_QR, out + err, "the QR is announced", out, err)
    check(any(c in out + err for c in QR_BLOCKS), "a terminal QR code is shown", out, err)
    txn = newest()
    check(txn["channels"] == ["push", "qr"] and txn["approved_by"] == "qr",
          "push and QR on one transaction, approved by QR", txn)
    check({x[1]["transaction_id"] for x in sent()[n:]} == {txn["id"]},
          "one transaction id for the binding", sent()[n:])
    check(env.get_account("carol")[0] & F_MOBILE_BOUND, "carol not bound")
    r = mobile_login(env, "carol", [approve_then()])
    check(r.ok, "carol logs in with the phone bound by QR", r, env.regsd_tail())


# ---------------------------------------------------------------- R4.1 ID number, rate limit


def test_R4_1_bad_id_checksum_nothing_sent(env):
    use(env, "alice")
    for bad in BAD_IDS:
        n = len(sent())
        r = mobile_login(env, "alice", [], id_num=bad)
        check(r.auth != "PAM_SUCCESS", "login with the bad ID number %r" % bad, r)
        check_in(MSG_BAD_ID, r.error_text, "bad ID number %r: message" % bad, r)
        check(ID_PROMPT in r.prompts, "the ID number was asked", r)
        check(not any(p.startswith(ENTER) for p in r.prompts),
              "waited for a phone after a bad ID number %r" % bad, r)
        check(len(sent()) == n, "something was sent for the bad ID number %r" % bad,
              sent()[n:])
    n = len(sent())
    rc, out, err = env.dbus_call("MobileBegin", "string:alice", "string:" + BAD_IDS[0],
                                 "string:login", "string:login", "string:")
    check(rc != 0 and E_INVALID in err, "MobileBegin with a bad ID number", out, err)
    rc, out, err = env.regsctl(["bind", "mobile", BAD_IDS[0]], uid=env.users["alice"],
                               input="")
    check(rc == EXIT_USAGE, "regsctl bind mobile with a bad ID number: exit %d, got %d"
          % (EXIT_USAGE, rc), out, err)
    check_in("not a valid national ID number", err, "says why", out, err)
    check(len(sent()) == n, "something was sent for a bad ID number", sent()[n:])
    check(failures(env, "alice") == 0, "a bad ID number counted as a failure")
    check(env.get_account("alice")[0] & F_MOBILE_BOUND, "the binding survived")


def test_R4_1_attempts_rate_limited(env):
    use(env, "alice", "bob")
    new_window(env)
    with env.bus_session() as bus:
        for i in range(MAX_ATTEMPTS):
            e, v = bus.call("MobileBegin", "sssss", "alice", IDS["alice"], "login", "login", "")
            check(e is None, "attempt %d of %d refused: %s %s" % (i + 1, MAX_ATTEMPTS, e, v))
            bus.call("OobCancel", "s", v[0])
        n = len(sent())
        e, v = bus.call("MobileBegin", "sssss", "alice", IDS["alice"], "login", "login", "")
        check(e == E_TOO_SOON, "attempt %d allowed: %s %s" % (MAX_ATTEMPTS + 1, e, v))
    r = mobile_login(env, "alice", [], fresh=False)
    check(r.auth != "PAM_SUCCESS", "login over the limit", r)
    check_in(MSG_TOO_MANY, r.error_text, "rate limit message", r)
    # per ID number: bob's account is fresh, alice's number is not
    r = mobile_login(env, "bob", [], id_num=IDS["alice"], fresh=False)
    check_in(MSG_TOO_MANY, r.error_text, "the ID number's limit holds for another account", r)
    # per account: alice with a number that is fresh
    r = mobile_login(env, "alice", [], id_num=IDS["carol"], fresh=False)
    check_in(MSG_TOO_MANY, r.error_text, "the account's limit holds for another number", r)
    check(len(sent()) == n, "something was sent over the limit", sent()[n:])
    check(failures(env, "alice") == 0 and failures(env, "bob") == 0,
          "the rate limit counted failures")
    env.advance(WINDOW + 1)
    r = mobile_login(env, "alice", [approve_then()], fresh=False)
    check(r.ok, "login after the window", r, env.regsd_tail())


def _valid_ids(letter, n):
    """n valid national ID numbers (letter, then 1, then digits with the check digit)."""
    codes = {c: v for c, v in zip("ABCDEFGHJKLMNPQRSTUVXYWZIO",
                                  list(range(10, 36)))}
    out, base = [], 2345678
    while len(out) < n:
        body = "1%07d" % base
        base += 1
        v = codes[letter]
        digits = [v // 10, v % 10] + [int(c) for c in body]
        weights = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1]
        total = sum(d * w for d, w in zip(digits, weights))
        out.append(letter + body + str((10 - total % 10) % 10))
    return out


def test_R4_1_numbers_without_a_phone_do_not_use_up_the_account(env):
    """Only a push that went out counts for the account; the attempts of a stranger who
    types made-up numbers for alice count only for those numbers."""
    use(env, "alice")
    new_window(env)
    strangers = _valid_ids("K", MAX_ATTEMPTS + 1)
    with env.bus_session() as bus:
        for id_num in strangers:
            e, v = bus.call("MobileBegin", "sssss", "alice", id_num, "login", "login",
                            "203.0.113.9")
            check(e == "tw.regs.Error.NotAllowed" and "USER_NF" in str(v),
                  "a number without a phone: refused by the service, not rate-limited: %s %s"
                  % (e, v))
    r = mobile_login(env, "alice", [approve_then()], fresh=False)
    check(r.ok, "alice's own login after a stranger's %d made-up numbers" % len(strangers), r,
          env.regsd_tail())


# ---------------------------------------------------------------- R4.2 push and QR


def test_R4_2_push_approved(env):
    use(env, "alice")
    n = len(sent())
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "mobile login", r, env.regsd_tail())
    check(r.prompts[0] == MENU_PROMPT, "first prompt is the menu", r)
    check_in("Login methods:", r.text, "the menu header", r)
    check(r.prompts[1] == ID_PROMPT, "then the ID number", r)
    check(len(r.prompts) == 3 and r.prompts[2].startswith(ENTER),
          "menu, ID number and Enter only (no password, no OTP): %r" % r.prompts, r)
    msgs = flat(r)
    i = next(k for k, m in enumerate(msgs) if m[1].startswith(ENTER))
    check(msgs[i - 1][0] == "INFO" and MSG_PUSHED in msgs[i - 1][1],
          "the push is announced in the same conversation as the prompt (sshd)", r)
    check(msgs[i - 2][0] == "PROMPT_ON" and msgs[i - 2][1] == ID_PROMPT,
          "the ID number is asked with echo on", r)
    q = sent()[n:]
    check([x[0] for x in q] == ["requestAthOrSignPush", "getAthOrSignResult"],
          "one push and one poll: %r" % [x[0] for x in q])
    push = q[0][1]
    check(push["hashed_id_num"] == mobileid_server.hashed_id(IDS["alice"]) and
          push["op_code"] == "ATH" and push["sp_service_id"] == S.svc.sp_service_id,
          "the push request", push)
    check(push["transaction_id"] == q[1][1]["transaction_id"] == newest()["id"],
          "the poll is for the push's transaction", q)
    check(q[1][2] == "0" and newest()["state"] == "approved", "the approval was fetched", q)
    check(failures(env, "alice") == 0, "a good login left failures", env.get_account("alice"))


def test_R4_2_polls_no_faster_than_every_4_seconds(env):
    use(env, "alice")
    marks = []

    def at_once(_r):
        marks.append(time.monotonic())
        return ""

    def approve_now(_r):
        marks.append(time.monotonic())
        S.svc.approve("push")
        return ""
    r = mobile_login(env, "alice", [at_once, approve_now])
    end = time.monotonic()
    check(r.ok, "login after one pending round", r, env.regsd_tail())
    check_in(MSG_PENDING, r.text, "pending is said", r)
    check(sum(1 for p in r.prompts if p.startswith(ENTER)) == 2, "asked twice", r)
    polls = polls_of(newest()["id"])
    check([p[2] for p in polls] == ["20002", "0"], "one pending poll, then the result: %r"
          % [p[2] for p in polls])
    check(end - marks[1] >= POLL_SECONDS - 0.5,
          "the second poll came %.1f s after the first (at least %d s)"
          % (end - marks[1], POLL_SECONDS))


def test_R4_2_qr_approved_same_transaction(env):
    use(env, "alice")
    n = len(sent())
    r = mobile_login(env, "alice", ["q", approve_then("qr")])
    check(r.ok, "login by QR", r, env.regsd_tail())
    check_in(MSG_QR, r.text, "the QR is announced", r)
    check(any(c in r.text for c in QR_BLOCKS), "a terminal QR code is shown", r)
    msgs = flat(r)
    i = next(k for k, m in enumerate(msgs) if m[0] == "INFO" and MSG_QR in m[1])
    check(msgs[i + 1][1].startswith(ENTER), "the QR comes with the prompt again", r)
    txn = newest()
    check(txn["channels"] == ["push", "qr"] and txn["approved_by"] == "qr",
          "push and QR on one transaction, approved by QR", txn)
    kinds = [x[0] for x in sent()[n:]]
    check(kinds == ["requestAthOrSignPush", "getSpTicket", "getAthOrSignResult"],
          "push, ticket, poll: %r" % kinds)
    tids = {x[1]["transaction_id"] for x in sent()[n:]}
    check(tids == {txn["id"]}, "one transaction id for all: %r" % tids)
    ticket_req = sent()[n + 1][1]
    check(ticket_req["op_mode"] == "I-SCAN" and ticket_req["id_num_present"],
          "the ticket request", ticket_req)
    # over the bus: the QR content is the sp_ticket of that same transaction (R4.4)
    new_window(env)
    with env.bus_session() as bus:
        e, v = bus.call("MobileBegin", "sssss", "alice", IDS["alice"], "login", "login", "")
        check(e is None, "MobileBegin: %s %s" % (e, v))
        handle, expires_in = v
        check(expires_in in (TIME_LIMIT, TIME_LIMIT - 1), "expires_in %d" % expires_in)
        e, q = bus.call("MobileQr", "s", handle)
        check(e is None, "MobileQr: %s %s" % (e, q))
        t = mobileid_server.parse_sp_ticket(q[0])
        check(t["transaction_id"] == newest()["id"] and t["op_mode"] == "I-SCAN" and
              t["sp_ticket_id"] == newest()["sp_ticket_id"],
              "the QR names the push's transaction", t, newest())
        e, q2 = bus.call("MobileQr", "s", handle)
        check(e is None and q2 == q, "asking again gives the same QR: %s %s" % (e, q2))
        check(len(S.svc.transactions()) == len(set(x["id"] for x in S.svc.transactions())),
              "transactions are unique")
        check(newest()["channels"] == ["push", "qr"], "still one transaction", newest())
        with env.bus_session() as other:
            e, x = other.call("MobileQr", "s", handle)
            check(e is not None, "another connection got the QR of this flow: %s" % x)
            e, x = other.call("OobWait", "s", handle)
            check(e is not None or x[0] != OOB_APPROVED, "another connection used the flow")
        bus.call("OobCancel", "s", handle)


def test_R4_4_push_and_qr_one_winner_no_late_logout(env):
    use(env, "alice")
    since = env.now()

    def both(_r):
        S.svc.approve("push")
        got = S.svc.approve("qr")
        check(got == "20005", "the QR after the push: %r, not 20005 (cancelled)" % got)
        S.env.advance(POLL)
        return ""
    r = mobile_login(env, "alice", ["q", both])
    check(r.ok, "login with push and QR both used", r, env.regsd_tail())
    txn = newest()
    check(txn["channels"] == ["push", "qr"] and txn["approved_by"] == "push" and
          txn["cancelled"] == ["qr"], "one transaction, the push won, the QR was cancelled",
          txn)
    polls = len(polls_of(txn["id"]))
    logged = mobile_log(env, "alice", since)
    check(len([x for x in logged if x[6] == "ok"]) == 1 and len(logged) == 1,
          "exactly one successful mobile login: %r" % logged)
    # three minutes on (the manual's defect: a logout then); regsd has nothing left to do
    env.advance(200)
    time.sleep(1.5)
    check(len(polls_of(txn["id"])) == polls, "the finished transaction was polled again")
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "the next login", r, env.regsd_tail())
    logged = mobile_log(env, "alice", since)
    check([x[6] for x in logged] == ["ok", "ok"],
          "two logins, both ok, nothing else: %r" % logged)
    check(failures(env, "alice") == 0 and not env.is_locked("alice"),
          "the double approval counted", env.get_account("alice"))


# ---------------------------------------------------------------- R4.3 countdown


def test_R4_3_countdown_and_expiry(env):
    use(env, "alice")
    lefts = []

    def wait_a_minute(r):
        env.advance(60)
        return ""

    def too_late(r):
        lefts.append(r.prompts[-1])
        env.advance(TIME_LIMIT)
        return ""
    n = len(sent())
    r = mobile_login(env, "alice", [wait_a_minute, too_late])
    check(r.auth != "PAM_SUCCESS", "login after the time ran out", r)
    check_in(MSG_EXPIRED, r.error_text, "expired message", r)
    check(re.search(r"\(valid for %s\)" % START, r.text), "the validity is said", r)
    enters = [p for p in r.prompts if p.startswith(ENTER)]
    check(enters and re.fullmatch(re.escape(ENTER) + START + r" left\): ", enters[0]),
          "the countdown starts at 3:00", r)
    m = re.search(r"\((\d+):(\d\d) left\)", lefts[0])
    check(m is not None, "the countdown in the second prompt: %r" % lefts[0])
    left = int(m.group(1)) * 60 + int(m.group(2))
    check(TIME_LIMIT - 60 - 3 <= left <= TIME_LIMIT - 60,
          "after a minute the countdown shows %d s" % left, r)
    check_in(MSG_PENDING, r.text, "pending in between", r)
    push = [x for x in sent()[n:] if x[0] == "requestAthOrSignPush"]
    check(push and int(push[0][1]["time_limit"]) == TIME_LIMIT,
          "time_limit sent to the service", push)
    check(failures(env, "alice") == 0, "an expiry counted as a failure")

    # the brief's case: 181 s at the first Enter
    def later(_r):
        env.advance(TIME_LIMIT + 1)
        return ""
    r = mobile_login(env, "alice", [later])
    check(r.auth != "PAM_SUCCESS" and MSG_EXPIRED in r.error_text,
          "Enter after 3:01", r)
    # the service says the transaction expired
    r = mobile_login(env, "alice", [then(S.svc.expire)])
    check(r.auth != "PAM_SUCCESS", "login of an expired transaction", r)
    check_in(MSG_EXPIRED, r.error_text, "expired at the service", r)
    check(failures(env, "alice") == 0, "an expiry counted as a failure")


# ---------------------------------------------------------------- R4.5 verification


def test_R4_5_forged_signed_response_refused(env):
    use(env, "alice")
    refused_by_result(env, "alice", "forged_signature")


def test_R4_5_wrong_idp_checksum_refused(env):
    use(env, "alice")
    refused_by_result(env, "alice", "wrong_checksum")


def test_R4_5_untrusted_certificate_refused(env):
    use(env, "alice")
    refused_by_result(env, "alice", "untrusted_cert")


def test_R4_5_expired_certificate_refused(env):
    use(env, "alice")
    refused_by_result(env, "alice", "expired_cert")


def test_R4_5_other_transaction_refused(env):
    use(env, "alice")
    refused_by_result(env, "alice", "other_transaction")
    refused_by_result(env, "alice", "wrong_hashed_id")


def test_R4_5_denied_on_phone(env):
    use(env, "alice")
    before = failures(env, "alice")
    r = mobile_login(env, "alice", [then(S.svc.deny)])
    check(r.auth != "PAM_SUCCESS", "denied login accepted", r)
    check_in(MSG_DENIED, r.error_text, "denied message", r)
    check(newest()["state"] == "denied", "the service denied", newest())
    check(failures(env, "alice") == before, "a denial is not a failed attempt")


def test_R4_5_service_unreachable_no_lockout(env):
    use(env, "alice")
    before = failures(env, "alice")
    n = len(sent())
    S.svc.stop()
    try:
        r = mobile_login(env, "alice", [])
    finally:
        S.svc.start()
    check(r.auth != "PAM_SUCCESS", "login with the service down", r)
    check_in(MSG_UNREACHABLE, r.error_text, "clear message", r)
    check(not any(p.startswith(ENTER) for p in r.prompts), "waited for a phone", r)
    check(len(sent()) == n, "the service got something while down")

    def down(_r):
        S.svc.wait_transaction()
        S.svc.stop()
        env.advance(POLL)
        return ""
    try:
        r = mobile_login(env, "alice", [down])
    finally:
        S.svc.start()
    check(r.auth != "PAM_SUCCESS", "login with the service gone after the push", r)
    check_in(MSG_UNREACHABLE, r.error_text, "clear message when polling", r)
    check(failures(env, "alice") == before, "an unreachable service counted as a failure")
    check(not env.is_locked("alice"), "locked by an unreachable service")


def test_R4_5_garbage_answers(env):
    use(env, "alice")
    for mode in ("garbage", "truncate", "500"):
        S.svc.mode = mode
        r = mobile_login(env, "alice", [])
        S.svc.mode = "serve"
        check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
              "push answered with %s" % mode, r, env.regsd_tail())
        check(not any(p.startswith(ENTER) for p in r.prompts), "waited after %s" % mode, r)

        def spoil(_r, mode=mode):
            S.svc.wait_transaction()
            S.svc.mode = mode
            env.advance(POLL)
            return ""
        r = mobile_login(env, "alice", [spoil])
        S.svc.mode = "serve"
        check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
              "result answered with %s" % mode, r, env.regsd_tail())
    check(env.name_has_owner(), "regsd survived")
    check(failures(env, "alice") == 0, "nothing counted", env.get_account("alice"))
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "a good login afterwards", r, env.regsd_tail())


# ---------------------------------------------------------------- one phone, one account


def test_R4_other_phone_not_bound_counts_failure(env):
    use(env, "alice", "bob")
    before = failures(env, "alice")
    r = mobile_login(env, "alice", [approve_then()], id_num=IDS["erin"])
    check(r.auth != "PAM_SUCCESS", "alice logged in with erin's phone", r)
    check_in(MSG_NOT_BOUND, r.error_text, "not the bound phone", r)
    check(newest()["state"] == "approved" and newest()["hashed_id_num"] ==
          mobileid_server.hashed_id(IDS["erin"]), "erin's phone approved", newest())
    check(failures(env, "alice") == before + 1, "counts as a failed attempt",
          env.get_account("alice"))
    r = mobile_login(env, "alice", [approve_then()], id_num=IDS["bob"])
    check(MSG_NOT_BOUND in r.error_text, "bob's phone (bound to bob) for alice", r)
    unlock(env, "alice")
    # a valid number without a phone at the service: refused, not counted
    r = mobile_login(env, "alice", [], id_num=NO_PHONE_ID)
    check(r.auth != "PAM_SUCCESS", "a number without a phone", r)
    check(r.errors, "no message for a number without a phone", r)
    check(failures(env, "alice") == 0, "a number without a phone counted",
          env.get_account("alice"))


def test_R9_1_mobile_failures_lock_the_account(env):
    use(env, "alice")
    threshold = 3
    for i in range(threshold):
        mode = ("forged_signature", "wrong_checksum", None)[i]
        if mode:
            S.svc.result_mode = mode
        r = mobile_login(env, "alice", [approve_then()],
                         id_num=None if mode else IDS["erin"])
        S.svc.result_mode = "good"
        check(r.auth != "PAM_SUCCESS", "failure %d accepted" % (i + 1), r)
        if i < threshold - 1:
            check(failures(env, "alice") == i + 1, "failure %d counted" % (i + 1),
                  env.get_account("alice"))
    check_in(MSG_LOCKED, r.error_text, "the failure that locks says so", r)
    check(r.auth == "PAM_MAXTRIES", "PAM_MAXTRIES when locked, got %s" % r.auth, r)
    check(env.is_locked("alice"), "alice not locked", env.get_account("alice"))
    n = len(sent())
    # refused before the menu, the lock text with a prompt of its own (R11.1)
    r = env.pam("login", "alice", [""], timeout=60)
    check(r.auth != "PAM_SUCCESS" and MSG_LOCKED in r.error_text, "login while locked", r)
    check(ID_PROMPT not in r.prompts and MENU_PROMPT not in r.prompts,
          "a locked account was offered a login: %r" % (r.prompts,), r)
    rc, out, err = env.dbus_call("MobileBegin", "string:alice", "string:" + IDS["alice"],
                                 "string:login", "string:login", "string:")
    check(rc != 0, "MobileBegin for a locked account", out, err)
    check(len(sent()) == n, "something was sent for a locked account", sent()[n:])
    unlock(env, "alice")
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "login after unlock", r, env.regsd_tail())


# ---------------------------------------------------------------- transport


def test_R4_5_tls_certificate_verified(env):
    use(env, "alice")
    other = tempfile.mkdtemp(prefix="regs-otherca-", dir=env.tmp)
    tlsserver.make_tls_files(other)
    n = len(sent())
    env.write_conf(mobile_ca_file=os.path.join(other, "ca.pem"))
    env.restart_regsd()
    try:
        r = mobile_login(env, "alice", [])
        check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
              "a service whose certificate the configured CA did not sign", r)
        check(len(sent()) == n, "the request reached the service")
    finally:
        env.write_conf(mobile_ca_file=S.svc.ca_file)
        env.restart_regsd()
    r = mobile_login(env, "alice", [approve_then()])
    check(r.ok, "login with the right CA again", r, env.regsd_tail())


def test_R4_id_numbers_never_logged_or_stored(env):
    use(env, "alice")
    check(len(sent("requestAthOrSignPush")) > 20, "the file's tests sent pushes")
    texts = {"regsd.log": env.regsd_log().encode()}
    for root, _dirs, files in os.walk(env.path("state")):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                texts[name] = f.read()
    for id_num in list(IDS.values()) + [NO_PHONE_ID]:
        for name, data in texts.items():
            check(id_num.encode() not in data, "%s holds the ID number %s" % (name, id_num))


def test_R4_mobile_binding_survives_kill_9(env):
    """regsd(8), DURABILITY: a binding regsd answered is kept over kill -9."""
    use(env, "bob")
    env.kill_regsd()
    env.start_regsd()
    check(env.get_account("bob")[0] & F_MOBILE_BOUND, "the mobile binding was lost over kill -9")
    r = mobile_login(env, "bob", [approve_then()])
    check(r.ok, "mobile login after kill -9", r, env.regsd_tail())

def _setup():
    S.tmp = tempfile.mkdtemp(prefix="regs-mobileid-")
    S.svc = mobileid_server.MobileIdService(S.tmp, clock=clock)
    for user, id_num in IDS.items():
        S.svc.add_phone(id_num, key="ec" if user == "bob" else "rsa")
    S.svc.start()
    S.conf = {"mobile_url": S.svc.base_url + mobileid_server.PREFIX,
              "mobile_service_id": S.svc.sp_service_id,
              "mobile_key_file": S.svc.key_file,
              "mobile_anchors": S.svc.anchors_file,
              "mobile_ca_file": S.svc.ca_file,
              "mobile_time_limit": TIME_LIMIT,
              "mobile_poll_seconds": POLL_SECONDS,
              "mobile_max_attempts": MAX_ATTEMPTS,
              "mobile_attempt_window": WINDOW}


if __name__ == "__main__":
    _setup()
    try:
        harness.main(globals(), conf=S.conf)
    finally:
        S.svc.stop()
        shutil.rmtree(S.tmp, ignore_errors=True)
