/* Loading and saving an account's records inside the request's transaction. */
#ifndef REGSD_ACCOUNT_H
#define REGSD_ACCOUNT_H
#include "account/record.h"
#include "daemon.h"

/* REGS_OK, REGS_ERR_NOT_FOUND, or a storage error. */
enum regs_err account_load(struct request *r, const char *user, struct account_rec *a);
/* Like account_load, but makes a fresh record for a user NSS knows
 * (REGS_ERR_NOT_FOUND when it does not). Not saved until account_save. */
enum regs_err account_load_or_new(struct request *r, const char *user, struct account_rec *a);
void account_save(struct request *r, const char *user, const struct account_rec *a);
/* account_load_or_new for a change: on failure sets NoSuchUser or the
 * storage error reply and returns 0. */
int account_open_for_change(struct request *r, const char *user, struct account_rec *a);

enum regs_err otp_load(struct request *r, const char *user, struct otp_rec *o);
void otp_save(struct request *r, const char *user, const struct otp_rec *o);
void otp_delete(struct request *r, const char *user);

enum regs_err pending_load(struct request *r, const char *user, struct pending_rec *p);
void pending_save(struct request *r, const struct pending_rec *p);
void pending_delete(struct request *r, const char *user);

/* The REGS_F_* flags of an account (a may be NULL for an unknown account). */
uint32_t account_flags(struct request *r, const char *user, const struct account_rec *a);

#endif
