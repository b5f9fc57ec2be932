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

/* Reads the string arguments of r->msg (its signature is already checked). */
void request_strings(struct request *r, const char **out, int n);
/* Unseals an OTP secret bound to user; the caller wipes it. */
enum regs_err otp_unseal(struct request *r, const char *user, const uint8_t *sealed,
                         size_t sealed_len, uint8_t secret[20]);
/* Counts a failed attempt on a (saved by the caller); logs a lock it causes. */
void count_failure(struct request *r, const char *user, struct account_rec *a, const char *method,
                   const char *service, const char *rhost);

#endif
