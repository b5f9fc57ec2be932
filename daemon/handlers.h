/* The method handlers: each reads its checked arguments, authorises, acts, and sets r->reply. */
#ifndef REGSD_HANDLERS_H
#define REGSD_HANDLERS_H
#include "daemon.h"

void handle_get_account(struct request *r);
void handle_verify_otp(struct request *r);
void handle_record_failure(struct request *r);
void handle_begin_otp_enrol(struct request *r);
void handle_confirm_otp_enrol(struct request *r);
void handle_cancel_otp_enrol(struct request *r);
void handle_get_status(struct request *r);
void handle_get_log(struct request *r);
void handle_list_accounts(struct request *r);
void handle_unlock(struct request *r);
void handle_reset(struct request *r);
void handle_step_up(struct request *r);
void handle_set_password_login(struct request *r);
void handle_password_changed(struct request *r);
void handle_set_class(struct request *r);
void handle_set_email(struct request *r);
void handle_verify_email(struct request *r);
void handle_get_email(struct request *r);
void handle_set_language(struct request *r);
void handle_request_reset_code(struct request *r);
void handle_redeem_reset_code(struct request *r);
void handle_card_challenge(struct request *r);
void handle_card_login(struct request *r);
void handle_card_login_serial(struct request *r);
void handle_card_known(struct request *r);
void handle_bind_card(struct request *r);
void handle_step_up_card(struct request *r);
void handle_google_begin(struct request *r);
void handle_google_login(struct request *r);
void handle_mobile_begin(struct request *r);
void handle_mobile_qr(struct request *r);
void handle_oob_wait(struct request *r);
void handle_oob_bind(struct request *r);
void handle_oob_cancel(struct request *r);
void handle_authorized_key(struct request *r);
/* The card bound to user (R3.6): REGS_OK, REGS_ERR_NOT_FOUND or a storage error. */
enum regs_err card_load(struct request *r, const char *user, struct card_rec *c);
void card_delete(struct request *r, const char *user);
/* A bound card's certificate for account a: chain to the anchors of a's class (R1.2),
 * validity at r->now and revocation (R3.5). */
enum x509_verdict card_certificate_verdict(struct request *r, const uint8_t *der, size_t len,
                                           const struct account_rec *a);
uint32_t card_result_of(enum x509_verdict v); /* enum regs_result */
/* Google and mobile bindings (oobstore.c): REGS_OK, REGS_ERR_NOT_FOUND or a storage error. */
enum regs_err google_load(struct request *r, const char *user, struct google_rec *g);
void google_delete(struct request *r, const char *user);
enum regs_err mobile_load(struct request *r, const char *user, struct mobile_rec *m);
void mobile_delete(struct request *r, const char *user);
/* The user bound to a Google account (R5.2) or a hashed ID number; "" when none. */
void google_owner(struct request *r, const char *iss, const char *sub, char *user, size_t size);
void mobile_owner(struct request *r, const char *hashed_id, char *user, size_t size);
void google_save(struct request *r, const char *user, const struct google_rec *g);
void mobile_save(struct request *r, const char *user, const struct mobile_rec *m);

/* Reads the string arguments of r->msg (its signature is already checked). */
void request_strings(struct request *r, const char **out, int n);
/* Unseals an OTP secret bound to user; the caller wipes it. */
enum regs_err otp_unseal(struct request *r, const char *user, const uint8_t *sealed,
                         size_t sealed_len, uint8_t secret[20]);
/* One OTP attempt (login or step-up); see login.c. */
int otp_attempt(struct request *r, const char *user, const char *code, const char *event,
                const char *service, const char *rhost, struct account_rec *a, uint32_t *result);
/* R7.1: the caller may act on user for purpose: an administrator acting on
 * another account, an account with nothing bound, or a step-up proof held
 * by this connection (consumed when consume is set). Otherwise sets the
 * StepUpRequired reply and returns 0. */
int require_step_up(struct request *r, const char *user, const char *purpose, int consume);
int stepup_purpose_known(const char *purpose);
/* Finishes a mailed-code call once its mail went out or failed (email.c). */
void mail_complete(struct request *r, struct mail_job *job);

/* Replies (u result, u lock_seconds_left, u failures_left) for account a (NULL: zeros). */
void reply_verdict(struct request *r, uint32_t result, const struct account_rec *a);
/* Counts a failed attempt on a (saved by the caller); logs a lock it causes. */
void count_failure(struct request *r, const char *user, struct account_rec *a, const char *method,
                   const char *service, const char *rhost);

#endif
