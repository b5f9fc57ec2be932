/* Names on the bus shared by regsd, pam_regs and regsctl: the one place they are spelled. */
#ifndef REGS_BUS_H
#define REGS_BUS_H

#define REGS_BUS_NAME "tw.regs.Daemon1"
#define REGS_BUS_PATH "/tw/regs/Daemon1"
#define REGS_BUS_IFACE "tw.regs.Daemon1"

/* The longest user name anywhere in pam_regs, in bytes without the NUL (R12.1): Linux's
 * LOGIN_NAME_MAX (256 with the NUL), which LDAP/SSSD fully-qualified names may use. A longer
 * name is refused clearly, never cut: a cut name could be another account's. */
#define REGS_USER_NAME_MAX 255

/* Methods. Signatures are given as "in -> out". */
/* (s user) -> (u flags, u lock_seconds_left, u failures, s language, s site_language)
 * language: the account's own choice (R9.6), "" when none; site_language: regs.conf's
 * language, "" when none is set. Both are tags of lib/base/language.h ("zh_TW", "en"). */
#define REGS_M_GET_ACCOUNT "GetAccount"
/* (s user, s code, s service, s rhost) -> (u result, u lock_seconds_left, u failures_left) */
#define REGS_M_VERIFY_OTP "VerifyOtp"
/* (s user, s method, s service, s rhost) -> (u result, u lock_seconds_left, u failures_left) */
#define REGS_M_RECORD_FAILURE "RecordFailure"
/* (s user) -> (s handle, s uri, s secret_base32, u expires_in) ; user "" = caller */
#define REGS_M_BEGIN_OTP_ENROL "BeginOtpEnrol"
/* (s handle, s code, s service, s rhost) -> (u result, u lock_seconds_left, u tries_left)
 * handle is "user:token"; one pending enrolment per account (a new one replaces it). */
#define REGS_M_CONFIRM_OTP_ENROL "ConfirmOtpEnrol"
/* (s handle) -> () */
#define REGS_M_CANCEL_OTP_ENROL "CancelOtpEnrol"
/* (s user) -> (a(sbt) methods: name, bound, since) ; user "" = caller */
#define REGS_M_GET_STATUS "GetStatus"
/* (s user, t since, u limit) -> a(tssssssu): time, user, event, method,
 * service, rhost, result, actor uid ; user "" = caller, "*" = all (admin) */
#define REGS_M_GET_LOG "GetLog"
/* admin: (s filter) -> a(suuu): user, flags, failures, lock_seconds_left; filter "", "locked",
 * "otp", "unbound" */
#define REGS_M_LIST_ACCOUNTS "ListAccounts"
/* admin: (s user) -> () */
#define REGS_M_UNLOCK "Unlock"
/* admin: (s user, s method) -> () ; method "" = all bindings */
#define REGS_M_RESET "Reset"

/* Step-up (R7.1) for the caller's own account with a bound method (OTP):
 * (s purpose, s code, s service, s rhost)
 *   -> (u result, u lock_seconds_left, u failures_left, u valid_for)
 * On REGS_R_OK the caller's bus connection holds a proof for that purpose
 * for valid_for seconds. A change consumes its proof; "view" does not. */
#define REGS_M_STEP_UP "StepUp"
#define REGS_PURPOSE_VIEW "view"                     /* GetStatus of one's own account */
#define REGS_PURPOSE_OTP "otp"                       /* rebind OTP */
#define REGS_PURPOSE_PASSWORD_LOGIN "password-login" /* disable or enable password login */
#define REGS_PURPOSE_EMAIL "email"                   /* set the e-mail address */
/* (s user, b enabled) -> () ; self needs proof "password-login" (disable
 * also needs a card or Google binding, R6.1); admins for anyone. Enabling
 * forces a password change at the next password login (R6.4). */
#define REGS_M_SET_PASSWORD_LOGIN "SetPasswordLogin"
/* (s user) -> () ; root or verifier: pam_regs's password phase after a
 * successful change (R9.2, R6.4). */
#define REGS_M_PASSWORD_CHANGED "PasswordChanged"
/* (s user, s address) -> (s prefix, u expires_in) ; self with proof
 * "email": a verification code is mailed, the address is used once
 * verified (R8.6); admins set a verified address directly (prefix ""). */
#define REGS_M_SET_EMAIL "SetEmail"
/* (s code) -> (u result, u tries_left) ; the caller's own pending address */
#define REGS_M_VERIFY_EMAIL "VerifyEmail"
/* (s user, s purpose, s service, s rhost) -> (s prefix, u expires_in, u resend_after)
 * purpose REGS_RESET_BINDING (lost phone, R8) or REGS_RESET_PASSWORD (R9.5);
 * user "" = caller; root may ask for another account (the login prompt). */
#define REGS_M_REQUEST_RESET_CODE "RequestResetCode"
/* (s user, s purpose, s code, s service, s rhost) -> (u result, u tries_left) */
#define REGS_M_REDEEM_RESET_CODE "RedeemResetCode"
#define REGS_RESET_BINDING "binding"
#define REGS_RESET_PASSWORD "password"
/* admin: (s user, s class) -> () ; class "personal" or "institution" (R1.2) */
#define REGS_M_SET_CLASS "SetClass"
/* (s user) -> (s address, b verified, s pending_address) ; self or admin */
#define REGS_M_GET_EMAIL "GetEmail"
/* (s user, s language) -> () ; language "zh_TW", "en", or "" for none (the site default
 * applies); user "" = caller. Self or admin; no step-up: it is not a security setting (R9.6). */
#define REGS_M_SET_LANGUAGE "SetLanguage"

/* Citizen certificate card (R3). A challenge is random, single use, short-lived
 * and bound to the account and purpose it was made for:
 * (s user, s purpose "login"|"bind"|"step-up") -> (s handle, ay challenge, u expires_in)
 * login: root or the verifier group (the module), or the account itself;
 * bind: the account itself (BindCard then needs a step-up for "card"). */
#define REGS_M_CARD_CHALLENGE "CardChallenge"
/* (s handle, ay certificate, ay signature, s service, s rhost)
 *   -> (u result, u lock_seconds_left, u failures_left)
 * The card's RSA PKCS#1 v1.5 SHA-256 signature over the challenge (R3.4); the
 * certificate must be the one bound to the account (R3.6), chain to the
 * anchors of the account's class (R1.2), be valid and not revoked (R3.5).
 * Failures count toward the lock like wrong codes (R9.1). */
#define REGS_M_CARD_LOGIN "CardLogin"
/* The certificate cache (R3): a login need not read the certificate from the card each time.
 * (s user, s card_serial) -> (b known)
 * Whether regsd holds the certificate bound to user and the card with card_serial (hex of the
 * card's serial file) last logged in with it; callers as for a login challenge. */
#define REGS_M_CARD_KNOWN "CardKnown"
/* (s handle, ay certificate, ay signature, s service, s rhost, s card_serial)
 *   -> (u result, u lock_seconds_left, u failures_left)
 * CardLogin with the card's serial. An empty certificate stands for the one regsd holds for
 * this account and card serial: the signature must verify with it (R3.4), and its chain,
 * validity and revocation are checked at every login as for a sent one (R1.2, R3.5). When
 * regsd holds none for that serial, or the signature does not verify with it (another card
 * with the same serial), REGS_R_CARD_CERT_NEEDED, not counted: the caller reads the
 * certificate and logs in with it on a new challenge, and that verdict is counted. After a
 * successful login with a certificate regsd keeps it and the card serial. */
#define REGS_M_CARD_LOGIN_SERIAL "CardLoginSerial"
/* (s handle, ay certificate, ay signature) -> (u result) ; binds or rebinds
 * the card (R3.6: one certificate, one account; R7.1 step-up "card"). */
#define REGS_M_BIND_CARD "BindCard"
/* Step-up (R7.1) with the bound card, for accounts that have no OTP:
 * (s handle, ay certificate, ay signature, s purpose)
 *   -> (u result, u lock_seconds_left, u failures_left, u valid_for)
 * over a challenge made for REGS_CARD_STEP_UP. */
#define REGS_M_STEP_UP_CARD "StepUpCard"
#define REGS_CARD_STEP_UP "step-up"
#define REGS_CARD_LOGIN "login"
#define REGS_CARD_BIND "bind"
#define REGS_PURPOSE_CARD "card" /* step-up for binding a card */
/* sshd's AuthorizedKeysCommand (R11.4): (s user) -> (u result, s key_line)
 * key_line is the OpenSSH public key of the account's bound card ("ssh-rsa AAAA...")
 * when result is REGS_R_OK: the certificate chains to the anchors of the account's
 * class, is within its validity, is not revoked and the account is not locked, the
 * same checks as CardLogin. Otherwise "" and why: REGS_R_CARD_NOT_BOUND (none, or
 * bound before regsd kept certificates and not used for a card login since: log in
 * with the card once, or rebind), REGS_R_CERT_INVALID,
 * REGS_R_CERT_UNTRUSTED, REGS_R_NO_FRESH_CRL, REGS_R_LOCKED. Callers: root, admins,
 * the account itself (user "" = caller), and regs.conf's authorized_keys_user. */
#define REGS_M_AUTHORIZED_KEY "AuthorizedKey"

/* Out-of-band logins (R4, R5): regsd runs the network flow with the
 * provider; the caller holds only a handle, which works on the bus
 * connection that made it and nowhere else. Purposes: */
#define REGS_OOB_LOGIN "login"
#define REGS_OOB_BIND "bind"
/* Google / any OpenID Connect provider, device authorization grant (R5.5):
 * (s user, s purpose, s service, s rhost)
 *   -> (s handle, s verification_uri, s user_code, s verification_uri_complete, u expires_in)
 * login: root, the verifier group or the account itself; the account must
 * have Google and OTP bound (R5.3, R5.4), else NotAllowed. bind: the
 * caller's own account with OTP bound (R5.1) and a step-up "google" (R7.1).
 * The reply waits for the provider's device endpoint; the device code never
 * leaves regsd. */
#define REGS_M_GOOGLE_BEGIN "GoogleBegin"
/* Google login (R5.3): an approved flow and the OTP code, in one call:
 * (s handle, s code, s service, s rhost) -> (u result, u lock_seconds_left, u failures_left)
 * The flow is used up by the call, whatever its result. */
#define REGS_M_GOOGLE_LOGIN "GoogleLogin"
/* Mobile citizen certificate (R4): (s user, s id_num, s purpose, s service, s rhost)
 *   -> (s handle, u expires_in)
 * The ID number is checked (R4.1) before anything is sent, attempts are
 * rate-limited per account and per ID number (TooSoon), then a push goes to
 * the phone. login needs a bound mobile certificate; bind a step-up "mobile". */
#define REGS_M_MOBILE_BEGIN "MobileBegin"
/* (s handle) -> (s sp_ticket): the QR content for the same transaction (R4.2, R4.4). */
#define REGS_M_MOBILE_QR "MobileQr"
/* (s handle) -> (u state, u seconds_left, u lock_seconds_left): the flow's state
 * (enum regs_oob_state) once the provider has been asked again — at most one
 * polling interval later. A mobile login is complete when this says
 * REGS_OOB_APPROVED. */
#define REGS_M_OOB_WAIT "OobWait"
/* (s handle) -> (u result): binds the Google account or phone of an
 * approved bind flow to the caller's account (R5.2, R7.1). */
#define REGS_M_OOB_BIND "OobBind"
/* (s handle) -> () ; ends a flow (no error when it is already gone). */
#define REGS_M_OOB_CANCEL "OobCancel"
#define REGS_PURPOSE_GOOGLE "google" /* step-up for binding a Google account */
#define REGS_PURPOSE_MOBILE "mobile" /* step-up for binding a mobile certificate */

enum regs_oob_state {
	REGS_OOB_PENDING = 0,     /* not approved yet */
	REGS_OOB_APPROVED = 1,    /* verified (Google: the OTP comes next; mobile login: done) */
	REGS_OOB_DENIED = 2,      /* refused on the phone / at the provider */
	REGS_OOB_EXPIRED = 3,     /* the time ran out (R4.3) */
	REGS_OOB_UNREACHABLE = 4, /* the provider cannot be reached or answered nonsense */
	REGS_OOB_REFUSED = 5,     /* the answer failed verification (signature, issuer, ...) */
	REGS_OOB_NOT_BOUND = 6,   /* not the Google account / phone bound to this account (R5.4) */
	REGS_OOB_LOCKED = 7,      /* the account is locked (R9.1) */
	REGS_OOB_GONE = 8,        /* no such flow on this connection (used, cancelled, unknown) */
};

/* Named errors. Verification outcomes are results, not errors. */
#define REGS_E_ACCESS_DENIED "tw.regs.Error.AccessDenied"
#define REGS_E_INVALID_ARGS "tw.regs.Error.InvalidArgs"
#define REGS_E_NO_SUCH_USER "tw.regs.Error.NoSuchUser"
#define REGS_E_ALREADY_BOUND "tw.regs.Error.AlreadyBound"
#define REGS_E_NO_SUCH_ENROLMENT "tw.regs.Error.NoSuchEnrolment"
#define REGS_E_STORAGE "tw.regs.Error.Storage"
#define REGS_E_UNKNOWN_METHOD "tw.regs.Error.UnknownMethod"
#define REGS_E_STEP_UP_REQUIRED "tw.regs.Error.StepUpRequired"    /* R7.1 */
#define REGS_E_NOT_ALLOWED "tw.regs.Error.NotAllowed"             /* R6.1; message says why */
#define REGS_E_CONTACT_ADMIN "tw.regs.Error.ContactAdministrator" /* R8.5 */
#define REGS_E_NO_VERIFIED_EMAIL "tw.regs.Error.NoVerifiedEmail"  /* R8.1, R9.5 */
#define REGS_E_MAIL_FAILED "tw.regs.Error.MailFailed"             /* no code is live */
#define REGS_E_TOO_SOON "tw.regs.Error.TooSoon"                   /* resend cooldown, rate limit */
#define REGS_E_UNREACHABLE "tw.regs.Error.ServiceUnreachable"     /* OIDC / mobile-ID service */
#define REGS_E_NOT_CONFIGURED "tw.regs.Error.NotConfigured"       /* the method is not set up */

/* Account flags (GetAccount, ListAccounts). */
enum regs_account_flag {
	REGS_F_OTP_BOUND = 1u << 0,
	REGS_F_CARD_BOUND = 1u << 1,
	REGS_F_GOOGLE_BOUND = 1u << 2,
	REGS_F_MOBILE_BOUND = 1u << 3,
	REGS_F_PASSWORD_LOGIN_DISABLED = 1u << 4,
	REGS_F_LOCKED = 1u << 5,
	REGS_F_KNOWN = 1u << 6,                /* regsd has a record for this account */
	REGS_F_MUST_CHANGE_PASSWORD = 1u << 7, /* re-enabled or reset (R6.4, R9.5) */
	REGS_F_PASSWORD_EXPIRED = 1u << 8,     /* older than password_max_age_days (R9.2) */
	REGS_F_EMAIL_VERIFIED = 1u << 9,
	REGS_F_INSTITUTION = 1u << 10, /* account class (R1.2); personal otherwise */
};

/* Verification results (VerifyOtp, RecordFailure, ConfirmOtpEnrol). */
enum regs_result {
	REGS_R_OK = 0,
	REGS_R_WRONG = 1,       /* code does not match */
	REGS_R_REPLAYED = 2,    /* code's time step was already used (R2.4) */
	REGS_R_CLOCK_DRIFT = 3, /* matches only outside +-1 step (R2.5) */
	REGS_R_LOCKED = 4,      /* account locked (R9.1) */
	REGS_R_NOT_BOUND = 5,   /* no OTP bound */
	REGS_R_MALFORMED = 6,   /* not 6 digits */
	REGS_R_EXPIRED = 7,     /* enrolment expired */
	/* citizen certificate card (R3) */
	REGS_R_CERT_INVALID = 8,          /* revoked or outside its validity (R3.5) */
	REGS_R_CERT_UNTRUSTED = 9,        /* not from the authority of the account's class */
	REGS_R_CARD_NOT_BOUND = 10,       /* not the card bound to this account */
	REGS_R_CARD_BOUND_ELSEWHERE = 11, /* the certificate is bound to another account */
	REGS_R_BAD_SIGNATURE = 12,        /* the signature does not verify (R3.4) */
	REGS_R_NO_FRESH_CRL = 13,         /* no current revocation list and policy denies */
	REGS_R_BAD_CHALLENGE = 14,        /* unknown, used, expired or for another account */
	/* out-of-band logins (R4, R5) */
	REGS_R_OOB_REFUSED = 15,   /* the provider's answer failed verification */
	REGS_R_OOB_NOT_BOUND = 16, /* not the Google account / phone bound to this account */
	REGS_R_OOB_BOUND_ELSEWHERE =
	    17, /* that Google account / phone is bound to another (R5.2) */
	REGS_R_OOB_NOT_APPROVED =
	    18,                   /* the flow was not approved (pending, denied, expired, gone) */
	REGS_R_OTP_REQUIRED = 19, /* R5.1: bind OTP before a Google account */
	REGS_R_CARD_CERT_NEEDED = 20, /* CardLoginSerial: send the certificate (not counted) */
};

#endif
