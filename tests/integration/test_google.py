"""End to end: Google account (any OpenID Connect provider) + OTP login (R5, R7.1, R9.1)
through the real PAM stack, regsd and a local provider over HTTPS on loopback
(tests/fixtures/oidc_provider.py: discovery, JWKS with key rotation, RFC 8628 device and
token endpoints, RS256 ID tokens signed with keys made at test time).

One Env and one provider for the file. The provider's clock is regsd's test clock, so a
test moves both with env.advance(): regsd polls the token endpoint only once its interval
has passed (by that clock), and the provider answers slow_down to a poll that comes early.
Google bindings are made with `regsctl bind google` as the user (re-verification with an
OTP code first, R7.1). The Google `sub` of each user: "sub-<user>".
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import harness  # noqa: E402
from harness import F_GOOGLE_BOUND, check, check_in  # noqa: E402
import oidc_provider  # noqa: E402
import tlsserver  # noqa: E402

MENU_PROMPT = "Choose a login method [1]: "
MENU_GOOGLE = "Google account + OTP"
ENTER = "Press Enter after approving"
OTP_PROMPT = "OTP code: "
STEP_UP = "OTP code (re-verification): "
MSG_DENIED = "The Google login was denied."
MSG_EXPIRED = "expired before it was confirmed"
MSG_UNREACHABLE = "The Google login service cannot be reached"
MSG_REFUSED = "The answer could not be verified; login refused."
MSG_NOT_BOUND = "This Google account is not the one bound to this account."
MSG_PENDING = "Not confirmed yet."
E_STEP_UP = "tw.regs.Error.StepUpRequired"
E_NOT_ALLOWED = "tw.regs.Error.NotAllowed"


class _State:
    env = None
    op = None
    tmp = None
    conf = {}


S = _State()


def clock():
    return time.time() + (S.env.offset if S.env else 0)


def sub(user):
    return "sub-" + user


def use(env, *bound_to_google):
    """The provider as each test expects it; bound_to_google: the users the test expects
    with Google bound (each test starts from a fresh database)."""
    S.env = env
    S.op.token_mode = "good"
    S.op.mode = "serve"
    S.op.path_modes = {}
    S.op.slow_down_next = 0
    S.op.google_style = False
    if not S.op.running():
        S.op.start()
    for user in bound_to_google:
        if not env.get_account(user)[0] & F_GOOGLE_BOUND:
            bound(env, user)
    return S.op


def ensure_otp(env, user):
    if user not in env.secrets:
        env.enrol(user)
    return env.secrets[user]


def approve_then(sub_value, advance=6):
    """A prompt answer: approves the newest flow as sub_value, lets the interval pass (5 s + 1)."""
    def answer(_out):
        S.op.wait_flow()
        S.op.approve(sub=sub_value)
        S.env.advance(advance)
        return ""
    return answer


def bind_google(env, user, sub_value=None):
    """regsctl bind google as user: re-verification, then approval as sub_value."""
    secret = ensure_otp(env, user)
    uid = env.users[user]
    return env.regsctl_dialog(
        ["bind", "google"], uid=uid,
        steps=[(STEP_UP, lambda _o: env.fresh_code(secret)),
               (ENTER, approve_then(sub_value or sub(user)))], timeout=60)


def bound(env, user, sub_value=None):
    rc, out, err = bind_google(env, user, sub_value)
    check(rc == 0 and "Google account bound." in out, "bind google as %s failed" % user,
          out, err, env.regsd_tail())
    check(env.get_account(user)[0] & F_GOOGLE_BOUND, "Google not bound after regsctl")


def google_login(env, user, enter_answers, otp=True):
    """PAM login choosing Google: menu "1", then the Enter answers, then the OTP code."""
    answers = ["1"] + list(enter_answers)
    if otp:
        answers.append(lambda _r: env.fresh_code(env.secrets[user]))
    return env.pam("login", user, answers, timeout=90)


def failures(env, user):
    return env.get_account(user)[2]


def unlock(env, user):
    env.call_ok("Unlock", "string:" + user)


def refused_by_token(env, user, mode):
    S.op.token_mode = mode
    before = failures(env, user)
    r = google_login(env, user, [approve_then(sub(user))], otp=False)
    check(r.auth != "PAM_SUCCESS", "%s token accepted" % mode, r)
    check_in(MSG_REFUSED, r.error_text, "%s token: message" % mode, r)
    check(OTP_PROMPT not in r.prompts, "OTP asked after a %s token" % mode, r)
    check(failures(env, user) == before + 1, "a %s token counts as a failure (R9.1)" % mode)
    unlock(env, user)


# ---------------------------------------------------------------- binding


def test_R5_1_google_bind_needs_otp_first(env):
    use(env)
    rc, out, err = env.regsctl(["bind", "google"], uid=env.users["dave"])
    check(rc == 9, "bind google without OTP: exit 9, got %d" % rc, out, err)
    check_in("bind OTP before a Google account", err, "says why", out, err)
    check(not S.op.flows(), "a device flow was started for an account without OTP")


def test_R7_1_google_bind_needs_step_up(env):
    use(env)
    ensure_otp(env, "alice")
    rc, out, err = env.dbus_call("GoogleBegin", "string:", "string:bind", "string:regsctl",
                                 "string:", uid=env.users["alice"])
    check(rc != 0 and E_STEP_UP in err, "GoogleBegin bind without re-verification", out, err)


def test_R5_5_bind_then_login_with_google_and_otp(env):
    use(env)
    bound(env, "alice")
    rc, out, err = env.regsctl(["status", "--json"], uid=env.users["alice"],
                               input=env.fresh_code(env.secrets["alice"]) + "\n")
    check(rc == 0 and '"google"' in out, "status after binding", out, err)
    r = google_login(env, "alice", [approve_then(sub("alice"))])
    check(r.ok, "Google + OTP login", r, env.regsd_tail())
    check_in(MENU_GOOGLE, r.text, "the menu offers Google", r)
    check(r.prompts[0] == MENU_PROMPT, "first prompt is the menu", r)
    check(len(r.prompts) == 3, "menu, Enter and OTP only (no password): %r" % r.prompts, r)
    check_in(S.op.flows()[-1]["user_code"], r.text, "the user code is shown", r)
    check_in(S.op.issuer, r.text, "the verification URL is shown", r)
    check_in("▀", r.text, "a QR code is shown", r)
    enter = [m for c in r.convs for m in c]
    i = next(k for k, m in enumerate(enter) if m[1].startswith(ENTER))
    check(enter[i - 1][0] == "INFO" and "enter the code" in enter[i - 1][1],
          "the URL and code come in the same conversation as the prompt (sshd)", r)
    check_in("left)", enter[i][1], "the prompt shows a countdown", r)


def test_R5_5_pending_then_approved_shows_status(env):
    use(env, "alice")

    def not_yet(_r):
        S.op.wait_flow()
        S.env.advance(6)
        return ""
    r = google_login(env, "alice", [not_yet, approve_then(sub("alice"))])
    check(r.ok, "login after one pending round", r, env.regsd_tail())
    check_in(MSG_PENDING, r.text, "pending is said", r)
    polls = [p for p in S.op.polls if p[0] == S.op.flows()[-1]["id"]]
    check([p[2] for p in polls] == ["authorization_pending", "token"],
          "one pending poll, then the token: %r" % polls)


def test_R5_3_google_approval_alone_is_not_enough(env):
    use(env, "alice")
    before = failures(env, "alice")
    r = env.pam("login", "alice", ["1", approve_then(sub("alice")),
                                   lambda _r: env.wrong_code(env.secrets["alice"])],
                timeout=90)
    check(r.auth != "PAM_SUCCESS", "Google approval with a wrong OTP code accepted", r)
    check(failures(env, "alice") == before + 1, "the wrong code counts (R9.1)")
    unlock(env, "alice")
    rc, out, err = env.dbus_call("GoogleLogin", "string:" + "0" * 32, "string:123456",
                                 "string:login", "string:")
    check(rc == 0 and "uint32 18" in out, "GoogleLogin without an approved flow", out, err)


def test_R5_5_denied_on_the_provider(env):
    use(env, "alice")
    before = failures(env, "alice")

    def deny(_r):
        S.op.wait_flow()
        S.op.deny()
        S.env.advance(6)
        return ""
    r = google_login(env, "alice", [deny], otp=False)
    check(r.auth != "PAM_SUCCESS", "denied login accepted", r)
    check_in(MSG_DENIED, r.error_text, "denied message", r)
    check(failures(env, "alice") == before, "a denial is not a failed attempt")


def test_R5_5_expired_device_code(env):
    use(env, "alice")

    def expire(_r):
        S.op.wait_flow()
        S.op.expire()
        S.env.advance(6)
        return ""
    r = google_login(env, "alice", [expire], otp=False)
    check(r.auth != "PAM_SUCCESS", "expired login accepted", r)
    check_in(MSG_EXPIRED, r.error_text, "expired message", r)

    def too_late(_r):
        S.op.wait_flow()
        S.env.advance(S.op.expires_in + 10)
        return ""
    r = google_login(env, "alice", [too_late], otp=False)
    check(r.auth != "PAM_SUCCESS", "login after the code's lifetime accepted", r)
    check_in(MSG_EXPIRED, r.error_text, "expired by time", r)


def test_R5_5_slow_down_adds_five_seconds(env):
    use(env, "alice")
    S.op.slow_down_next = 1

    def early(_r):
        S.op.wait_flow()
        S.env.advance(6)
        return ""

    def after(_r):
        S.op.approve(sub=sub("alice"))
        S.env.advance(5)  # only 5 of the 10 s: regsd must wait the rest itself
        return ""
    r = google_login(env, "alice", [early, after])
    check(r.ok, "login after slow_down", r, env.regsd_tail(), S.op.polls[-4:])
    fid = S.op.flows()[-1]["id"]
    polls = [p for p in S.op.polls if p[0] == fid]
    check([p[2] for p in polls] == ["slow_down", "token"],
          "slow_down then the token, no early poll: %r" % polls)
    check(polls[1][1] - polls[0][1] >= 10,
          "the poll after slow_down came %.1f s later (interval 5 + 5)"
          % (polls[1][1] - polls[0][1]))


def test_R5_5_bad_signature_refused(env):
    use(env, "alice")
    refused_by_token(env, "alice", "bad_signature")


def test_R5_5_wrong_issuer_refused(env):
    use(env, "alice")
    refused_by_token(env, "alice", "wrong_issuer")


def test_R5_5_wrong_audience_refused(env):
    use(env, "alice")
    refused_by_token(env, "alice", "wrong_audience")
    refused_by_token(env, "alice", "several_audiences_no_azp")


def test_R5_5_expired_token_refused(env):
    use(env, "alice")
    refused_by_token(env, "alice", "expired")
    refused_by_token(env, "alice", "future_iat")


def test_R5_5_token_without_sub_or_signature_refused(env):
    use(env, "alice")
    refused_by_token(env, "alice", "no_sub")
    refused_by_token(env, "alice", "alg_none")


def test_R5_5_unknown_kid_refetches_jwks_once(env):
    use(env, "alice")
    fetched = S.op.jwks_fetches
    S.op.rotate_keys()
    r = google_login(env, "alice", [approve_then(sub("alice"))])
    check(r.ok, "login with a token signed by the rotated key", r, env.regsd_tail())
    check(S.op.jwks_fetches == fetched + 1, "JWKS fetched once more after rotation (%d -> %d)"
          % (fetched, S.op.jwks_fetches))
    r = google_login(env, "alice", [approve_then(sub("alice"))])
    check(r.ok and S.op.jwks_fetches == fetched + 1, "the new keys are cached", r)
    refused_by_token(env, "alice", "unknown_kid")
    check(S.op.jwks_fetches == fetched + 2, "one refetch for an unknown kid, no more")


def test_R5_2_google_account_bound_elsewhere(env):
    use(env, "alice")
    rc, out, err = bind_google(env, "bob", sub("alice"))
    check(rc == 7, "binding alice's Google account to bob: exit 7, got %d" % rc, out, err)
    check(not env.get_account("bob")[0] & F_GOOGLE_BOUND, "bob got a Google binding")
    bound(env, "bob")
    before = failures(env, "bob")
    r = google_login(env, "bob", [approve_then(sub("alice"))], otp=False)
    check(r.auth != "PAM_SUCCESS", "bob logged in with alice's Google account", r)
    check_in(MSG_NOT_BOUND, r.error_text, "not the bound account", r)
    check(failures(env, "bob") == before + 1, "counts as a failed attempt")
    unlock(env, "bob")


def test_R5_4_account_without_google_cannot_use_it(env):
    use(env)
    ensure_otp(env, "carol")
    rc, out, err = env.dbus_call("GoogleBegin", "string:carol", "string:login",
                                 "string:login", "string:")
    check(rc != 0 and E_NOT_ALLOWED in err, "GoogleBegin for an account without Google",
          out, err)
    r = env.login("carol", env.fresh_code(env.secrets["carol"]))
    check(r.ok and MENU_GOOGLE not in r.text, "no Google in carol's login", r)


def test_R5_3_google_not_offered_without_otp(env):
    use(env)
    bound(env, "erin")
    env.call_ok("Reset", "string:erin", "string:otp")
    r = env.pam("login", "erin", [env.password("erin")], timeout=60)
    check(MENU_GOOGLE not in r.text, "Google offered although OTP is not bound (R5.3)", r)
    check(not r.ok, "the password alone logged in (Google is no second factor, R1.4)", r)
    rc, out, err = env.dbus_call("GoogleBegin", "string:erin", "string:login",
                                 "string:login", "string:")
    check(rc != 0 and E_NOT_ALLOWED in err, "GoogleBegin without OTP bound", out, err)


def test_R5_5_provider_unreachable_clear_message_no_lockout(env):
    use(env, "alice")
    S.op.stop()
    before = failures(env, "alice")
    r = env.pam("login", "alice", ["1"], timeout=60)
    S.op.start()
    check(r.auth != "PAM_SUCCESS", "login with the provider down", r)
    check_in(MSG_UNREACHABLE, r.error_text, "clear message", r)
    check(failures(env, "alice") == before, "an unreachable provider is not a failure")


def test_R5_5_garbage_and_truncated_answers(env):
    use(env, "alice")
    for mode in ("garbage", "truncate", "500"):
        S.op.path_modes = {"/device/code": mode}
        r = env.pam("login", "alice", ["1"], timeout=60)
        check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
              "device endpoint answering %s" % mode, r)
        S.op.path_modes = {"/token": mode}
        r = google_login(env, "alice", [approve_then(sub("alice"))], otp=False)
        check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
              "token endpoint answering %s" % mode, r)
    S.op.path_modes = {}
    check(env.name_has_owner(), "regsd survived")
    check(failures(env, "alice") == 0, "nothing counted", env.get_account("alice"))


def test_R5_5_google_style_answers(env):
    use(env, "alice")
    S.op.google_style = True
    r = google_login(env, "alice", [approve_then(sub("alice"))])
    check(r.ok, "verification_url and HTTP 428/403 answers (Google's dialect)", r,
          env.regsd_tail())


def test_R5_5_device_code_never_leaves_regsd(env):
    use(env, "alice")
    r = google_login(env, "alice", [approve_then(sub("alice"))])
    check(r.ok, "login", r)
    codes = [f.device_code for f in S.op._flows]
    log = env.regsd_log()
    for c in codes:
        check(c not in r.out and c not in log, "a device code was shown or logged")
    check(S.op.client_secret not in log, "the client secret was logged")


def test_R5_5_jwks_unreachable_is_not_a_failed_attempt(env):
    use(env, "alice")
    S.op.rotate_keys()  # the cached keys no longer match: regsd must fetch
    S.op.path_modes = {"/jwks": "500"}
    before = failures(env, "alice")
    r = google_login(env, "alice", [approve_then(sub("alice"))], otp=False)
    check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
          "an ID token with no keys to check it against", r)
    check(failures(env, "alice") == before, "the provider's JWKS outage counted against alice")
    S.op.path_modes = {}
    r = google_login(env, "alice", [approve_then(sub("alice"))])
    check(r.ok, "login once the JWKS is back", r, env.regsd_tail())


def test_R5_5_one_account_cannot_fill_the_flow_table(env):
    """alice keeps one connection open (so her flows are not ended by her leaving the bus)
    and begins more flows than the table has places: at most 2 stay hers."""
    use(env, "alice", "bob")
    with env.bus_session(env.users["alice"]) as bus:
        for i in range(130):  # the table has 128 places
            e, v = bus.call("GoogleBegin", "ssss", "alice", "login", "login", "")
            check(e is None, "GoogleBegin %d refused: %s %s" % (i + 1, e, v))
        first = v[0]
        r = google_login(env, "bob", [approve_then(sub("bob"))])
        check(r.ok, "bob's Google login while alice began 130 flows", r, env.regsd_tail())
        e, v = bus.call("OobWait", "s", first)
        check(e is None and v[0] in (0, 8), "alice's newest flow: %s %s" % (e, v))


def test_R5_5_flow_ends_when_its_connection_leaves(env):
    use(env, "alice")
    before = env.regsd_log().count("the connection left the bus")
    rc, out, err = env.dbus_call("GoogleBegin", "string:alice", "string:login",
                                 "string:login", "string:", uid=env.users["alice"])
    check(rc == 0, "GoogleBegin", out, err)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and \
            env.regsd_log().count("the connection left the bus") == before:
        time.sleep(0.05)
    check(env.regsd_log().count("the connection left the bus") == before + 1,
          "the flow of a caller that left the bus was not ended", env.regsd_tail())


def test_R5_5_google_attempts_rate_limited_per_host(env):
    use(env, "alice")
    env.write_conf(oidc_max_attempts="2")
    env.restart_regsd()
    try:
        for _ in range(2):
            r = env.pam("login", "alice", ["1"], rhost="198.51.100.7", timeout=60)
            check("Too many attempts" not in r.error_text, "refused below the limit", r)
        r = env.pam("login", "alice", ["1"], rhost="198.51.100.7", timeout=60)
        check_in("Too many attempts", r.error_text, "the third from one host", r)
        r = google_login(env, "alice", [approve_then(sub("alice"))], otp=True)
        check(r.ok, "another host is not held up by the first one's attempts", r)
    finally:
        env.write_conf(oidc_max_attempts="1000")
        env.restart_regsd()


def test_R5_5_rebind_replaces_the_google_account(env):
    use(env)
    bound(env, "alice", "sub-alice-new")
    r = google_login(env, "alice", [approve_then(sub("alice"))], otp=False)
    check(r.auth != "PAM_SUCCESS" and MSG_NOT_BOUND in r.error_text,
          "the old Google account still logs in", r)
    unlock(env, "alice")
    r = google_login(env, "alice", [approve_then("sub-alice-new")])
    check(r.ok, "the new Google account logs in", r)
    rc, out, err = bind_google(env, "bob", sub("alice"))
    check(rc == 0, "the freed Google account binds to bob now", out, err)


def test_R5_5_tls_certificate_verified(env):
    use(env, "alice")
    other = tempfile.mkdtemp(prefix="regs-otherca-", dir=env.tmp)
    tlsserver.make_tls_files(other)
    env.write_conf(oidc_ca_file=os.path.join(other, "ca.pem"))
    env.restart_regsd()
    try:
        r = env.pam("login", "alice", ["1"], timeout=60)
        check(r.auth != "PAM_SUCCESS" and MSG_UNREACHABLE in r.error_text,
              "a provider whose certificate the configured CA did not sign", r)
    finally:
        env.write_conf(oidc_ca_file=S.op.ca_file)
        env.restart_regsd()


def test_R5_google_binding_survives_kill_9(env):
    """regsd(8), DURABILITY: a binding regsd answered is kept over kill -9."""
    use(env)
    bound(env, "bob")
    env.kill_regsd()
    env.start_regsd()
    check(env.get_account("bob")[0] & F_GOOGLE_BOUND, "the Google binding was lost over kill -9")
    r = google_login(env, "bob", [approve_then(sub("bob"))])
    check(r.ok, "Google + OTP login after kill -9", r, env.regsd_tail())

def _setup():
    S.tmp = tempfile.mkdtemp(prefix="regs-oidc-")
    S.op = oidc_provider.OidcProvider(S.tmp, clock=clock)
    S.op.start()
    client = os.path.join(S.tmp, "oidc-client")
    fd = os.open(client, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("client_id = %s\nclient_secret = %s\n" % (S.op.client_id, S.op.client_secret))
    # Tests log in many times a minute; test_R5_5_google_attempts_rate_limited_per_host
    # sets the limit low on purpose.
    S.conf = {"oidc_issuer": S.op.issuer, "oidc_client_file": client,
              "oidc_ca_file": S.op.ca_file, "oidc_max_attempts": "1000"}


if __name__ == "__main__":
    _setup()
    try:
        harness.main(globals(), conf=S.conf)
    finally:
        S.op.stop()
