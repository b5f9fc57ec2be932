/* The D-Bus client of regsd shared by pam_regs and regsctl (no PAM types here). */
#ifndef REGS_CLIENT_H
#define REGS_CLIENT_H
#include "proto/bus.h"
#include <stddef.h>
#include <stdint.h>

enum regs_client_err {
	RC_OK = 0,
	RC_UNREACHABLE, /* no bus, or regsd not running / not answering */
	RC_DENIED,      /* tw.regs.Error.AccessDenied */
	RC_INVALID,     /* tw.regs.Error.InvalidArgs */
	RC_NO_SUCH_USER,
	RC_ALREADY_BOUND,
	RC_NO_ENROLMENT,
	RC_STORAGE,
	RC_PROTOCOL, /* unexpected reply signature or other error */
	RC_NOMEM,
	RC_STEP_UP_REQUIRED, /* tw.regs.Error.StepUpRequired (R7.1) */
	RC_NOT_ALLOWED,      /* tw.regs.Error.NotAllowed (R6.1): the message says why */
	RC_CONTACT_ADMIN,    /* tw.regs.Error.ContactAdministrator (R8.5) */
	RC_NO_VERIFIED_EMAIL,
	RC_MAIL_FAILED,          /* the mail could not be sent: no code is live */
	RC_TOO_SOON,             /* resend cooldown, rate limit */
	RC_PROVIDER_UNREACHABLE, /* tw.regs.Error.ServiceUnreachable: OIDC / mobile-ID service */
	RC_NOT_CONFIGURED,       /* the method is not set up in regs.conf */
	RC_UNAVAILABLE,          /* tw.regs.Error.Unavailable: regsd's database is unreachable */
};

struct regs_client;

#define REGS_CLIENT_DEFAULT_TIMEOUT_MS 25000

/* Opens a connection to regsd: its direct socket ($REGS_DIRECT_SOCKET, else the built-in path;
 * the environment is ignored in set-id processes), else the system bus ($DBUS_SYSTEM_BUS_ADDRESS,
 * likewise). timeout_ms bounds every call (0: REGS_CLIENT_DEFAULT_TIMEOUT_MS). */
enum regs_client_err regs_client_open(int timeout_ms, struct regs_client **out);
/* The same through the system bus only. */
enum regs_client_err regs_client_open_bus(int timeout_ms, struct regs_client **out);
/* 1 when the connection is the direct socket, 0 when it is the bus. */
int regs_client_direct(const struct regs_client *c);
void regs_client_close(struct regs_client *c);
/* The last D-Bus error name and message (or connection error), for logs. */
const char *regs_client_error_name(const struct regs_client *c);
const char *regs_client_error_message(const struct regs_client *c);
/* The seconds to wait that the last error carried (tw.regs.Error.TooSoon): 1 with *seconds set
 * when it carried them, 0 when it did not (the message may still say "shortly"). */
int regs_client_error_wait(const struct regs_client *c, uint32_t *seconds);

/* A language tag ("zh_TW", "en") with its NUL, or "". */
#define REGS_CLIENT_LANGUAGE_MAX 16

struct regs_account_info {
	uint32_t flags;        /* enum regs_account_flag */
	uint32_t lock_seconds; /* left; 0 when not locked */
	uint32_t failures;
	char language[REGS_CLIENT_LANGUAGE_MAX];      /* the account's own choice; "" none (R9.6) */
	char site_language[REGS_CLIENT_LANGUAGE_MAX]; /* regs.conf's language; "" none */
};
enum regs_client_err regs_get_account(struct regs_client *c, const char *user,
                                      struct regs_account_info *out);
/* The account's own language (R9.6): "zh_TW", "en", or "" for none (the site default). */
enum regs_client_err regs_set_language(struct regs_client *c, const char *user,
                                       const char *language);

struct regs_verdict {
	uint32_t result;        /* enum regs_result */
	uint32_t lock_seconds;  /* left, for REGS_R_LOCKED or when this attempt locked */
	uint32_t failures_left; /* before a lock (enrolment: tries left) */
};
enum regs_client_err regs_verify_otp(struct regs_client *c, const char *user, const char *code,
                                     const char *service, const char *rhost,
                                     struct regs_verdict *out);
enum regs_client_err regs_record_failure(struct regs_client *c, const char *user,
                                         const char *method, const char *service, const char *rhost,
                                         struct regs_verdict *out);

struct regs_enrolment {
	char *handle;
	char *uri;    /* secret inside: wiped by regs_enrolment_clear */
	char *secret; /* base32 */
	uint32_t expires_in;
};
enum regs_client_err regs_begin_otp_enrol(struct regs_client *c, const char *user,
                                          struct regs_enrolment *out);
enum regs_client_err regs_confirm_otp_enrol(struct regs_client *c, const char *handle,
                                            const char *code, const char *service,
                                            const char *rhost, struct regs_verdict *out);
enum regs_client_err regs_cancel_otp_enrol(struct regs_client *c, const char *handle);
void regs_enrolment_clear(struct regs_enrolment *e);

struct regs_method_status {
	char method[16]; /* "otp", "card", "google", "mobile" */
	int bound;
	int64_t since;
};
enum regs_client_err regs_get_status(struct regs_client *c, const char *user,
                                     struct regs_method_status **out, size_t *n);

struct regs_log_entry {
	int64_t time;
	char user[REGS_USER_NAME_MAX + 1];
	char event[32];
	char method[16];
	char service[128];
	char rhost[128];
	char result[16]; /* "ok", "wrong", "replayed", "drift", "locked", ... */
	uint32_t actor_uid;
	char host[64]; /* the regsd that recorded it (regs.conf host_name); "" in older records */
};
enum regs_client_err regs_get_log(struct regs_client *c, const char *user, int64_t since,
                                  uint32_t limit, struct regs_log_entry **out, size_t *n);

struct regs_account_row {
	char user[REGS_USER_NAME_MAX + 1];
	uint32_t flags;
	uint32_t failures;
	uint32_t lock_seconds;
};
enum regs_client_err regs_list_accounts(struct regs_client *c, const char *filter,
                                        struct regs_account_row **out, size_t *n);
enum regs_client_err regs_unlock(struct regs_client *c, const char *user);
enum regs_client_err regs_reset(struct regs_client *c, const char *user, const char *method);

/* Step-up (R7.1): proves the caller with a code; the proof stays with this
 * connection for valid_for seconds. */
struct regs_step_up {
	struct regs_verdict verdict;
	uint32_t valid_for;
};
enum regs_client_err regs_step_up(struct regs_client *c, const char *purpose, const char *code,
                                  const char *service, const char *rhost, struct regs_step_up *out);
enum regs_client_err regs_set_password_login(struct regs_client *c, const char *user, int enabled);
enum regs_client_err regs_password_changed(struct regs_client *c, const char *user);

struct regs_code_sent {
	char prefix[8]; /* "KX": matches the newest mail (R8.2); "" when none was sent */
	uint32_t expires_in;
	uint32_t resend_after; /* reset codes: seconds before another may be sent */
};
enum regs_client_err regs_set_email(struct regs_client *c, const char *user, const char *address,
                                    struct regs_code_sent *out);
struct regs_code_verdict {
	uint32_t result; /* enum regs_result: ok, wrong, malformed, expired */
	uint32_t tries_left;
};
enum regs_client_err regs_verify_email(struct regs_client *c, const char *code,
                                       struct regs_code_verdict *out);
struct regs_email {
	char address[256];
	int verified;
	char pending[256];
};
enum regs_client_err regs_get_email(struct regs_client *c, const char *user,
                                    struct regs_email *out);
/* purpose REGS_RESET_BINDING or REGS_RESET_PASSWORD (bus.h) */
enum regs_client_err regs_request_reset_code(struct regs_client *c, const char *user,
                                             const char *purpose, const char *service,
                                             const char *rhost, struct regs_code_sent *out);
enum regs_client_err regs_redeem_reset_code(struct regs_client *c, const char *user,
                                            const char *purpose, const char *code,
                                            const char *service, const char *rhost,
                                            struct regs_code_verdict *out);
enum regs_client_err regs_set_class(struct regs_client *c, const char *user, const char *cls);

/* Citizen certificate card (R3): a challenge to sign, then the login or the binding. */
struct regs_card_challenge {
	char handle[40];
	uint8_t nonce[64];
	size_t nonce_len;
	uint32_t expires_in;
};
enum regs_client_err regs_card_challenge(struct regs_client *c, const char *user,
                                         const char *purpose, struct regs_card_challenge *out);
enum regs_client_err regs_card_login(struct regs_client *c, const char *handle, const uint8_t *cert,
                                     size_t cert_len, const uint8_t *sig, size_t sig_len,
                                     const char *service, const char *rhost,
                                     struct regs_verdict *out);
/* The certificate cache (R3): whether regsd holds user's bound certificate for the card with
 * card_serial (then a login may send none), and the login with the card's serial (cert may be
 * NULL, cert_len 0: the held one; REGS_R_CARD_CERT_NEEDED: send it on a new challenge). */
enum regs_client_err regs_card_known(struct regs_client *c, const char *user,
                                     const char *card_serial, int *known);
enum regs_client_err regs_card_login_serial(struct regs_client *c, const char *handle,
                                            const char *card_serial, const uint8_t *cert,
                                            size_t cert_len, const uint8_t *sig, size_t sig_len,
                                            const char *service, const char *rhost,
                                            struct regs_verdict *out);
/* R7.1 with the card: a challenge made for REGS_CARD_STEP_UP, signed by the bound card. */
enum regs_client_err regs_step_up_card(struct regs_client *c, const char *handle,
                                       const uint8_t *cert, size_t cert_len, const uint8_t *sig,
                                       size_t sig_len, const char *purpose,
                                       struct regs_step_up *out);
enum regs_client_err regs_bind_card(struct regs_client *c, const char *handle, const uint8_t *cert,
                                    size_t cert_len, const uint8_t *sig, size_t sig_len,
                                    uint32_t *result);

/* sshd's AuthorizedKeysCommand (R11.4): the OpenSSH key line of user's bound card in line
 * (size bytes; "" unless *result is REGS_R_OK). user "" = the caller. */
enum regs_client_err regs_authorized_key(struct regs_client *c, const char *user, uint32_t *result,
                                         char *line, size_t size);

/* Out-of-band logins (R4, R5). These calls wait for the network: they use
 * the longer of the client's timeout and REGS_CLIENT_NET_TIMEOUT_MS. */
#define REGS_CLIENT_NET_TIMEOUT_MS 90000
struct regs_oob_start {
	char handle[40];
	char uri[512];          /* Google: where to approve */
	char user_code[64];     /* Google: the code to type there */
	char uri_complete[512]; /* Google: the URI with the code in it ("" when none) */
	uint32_t expires_in;
};
enum regs_client_err regs_google_begin(struct regs_client *c, const char *user, const char *purpose,
                                       const char *service, const char *rhost,
                                       struct regs_oob_start *out);
enum regs_client_err regs_google_login(struct regs_client *c, const char *handle, const char *code,
                                       const char *service, const char *rhost,
                                       struct regs_verdict *out);
enum regs_client_err regs_mobile_begin(struct regs_client *c, const char *user, const char *id_num,
                                       const char *purpose, const char *service, const char *rhost,
                                       struct regs_oob_start *out);
/* The QR content of the same transaction; *ticket is malloc'd. */
enum regs_client_err regs_mobile_qr(struct regs_client *c, const char *handle, char **ticket);
struct regs_oob_status {
	uint32_t state; /* enum regs_oob_state */
	uint32_t seconds_left;
	uint32_t lock_seconds;
};
enum regs_client_err regs_oob_wait(struct regs_client *c, const char *handle,
                                   struct regs_oob_status *out);
enum regs_client_err regs_oob_bind(struct regs_client *c, const char *handle, uint32_t *result);
enum regs_client_err regs_oob_cancel(struct regs_client *c, const char *handle);

#include "base/result.h" /* regs_result_name() */

#endif
