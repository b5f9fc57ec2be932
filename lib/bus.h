/* Names on the bus shared by regsd, pam_regs and regsctl: the one place they are spelled. */
#ifndef REGS_BUS_H
#define REGS_BUS_H

#define REGS_BUS_NAME "tw.regs.Daemon1"
#define REGS_BUS_PATH "/tw/regs/Daemon1"
#define REGS_BUS_IFACE "tw.regs.Daemon1"

/* Methods. Signatures are given as "in -> out". */
/* (s user) -> (u flags, u lock_seconds_left, u failures) */
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

/* Named errors. Verification outcomes are results, not errors. */
#define REGS_E_ACCESS_DENIED "tw.regs.Error.AccessDenied"
#define REGS_E_INVALID_ARGS "tw.regs.Error.InvalidArgs"
#define REGS_E_NO_SUCH_USER "tw.regs.Error.NoSuchUser"
#define REGS_E_ALREADY_BOUND "tw.regs.Error.AlreadyBound"
#define REGS_E_NO_SUCH_ENROLMENT "tw.regs.Error.NoSuchEnrolment"
#define REGS_E_STORAGE "tw.regs.Error.Storage"
#define REGS_E_UNKNOWN_METHOD "tw.regs.Error.UnknownMethod"

/* Account flags (GetAccount, ListAccounts). */
enum regs_account_flag {
	REGS_F_OTP_BOUND = 1u << 0,
	REGS_F_CARD_BOUND = 1u << 1,
	REGS_F_GOOGLE_BOUND = 1u << 2,
	REGS_F_MOBILE_BOUND = 1u << 3,
	REGS_F_PASSWORD_LOGIN_DISABLED = 1u << 4,
	REGS_F_LOCKED = 1u << 5,
	REGS_F_KNOWN = 1u << 6, /* regsd has a record for this account */
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
};

#endif
