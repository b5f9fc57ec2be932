/* Mailed codes (R8): stored as salted hashes per account and kind, issued only once their mail is
 * out. */
#ifndef REGSD_CODES_H
#define REGSD_CODES_H
#include "account/record.h"
#include "daemon.h"

#define CODE_VERIFY "verify" /* e-mail address verification */

enum regs_err code_load(struct request *r, const char *user, const char *kind, struct code_rec *c);
void code_save(struct request *r, const char *user, const char *kind, const struct code_rec *c);
void code_delete(struct request *r, const char *user, const char *kind);
/* Kills every reset code of user (its address changed, R8.3). */
void codes_delete_resets(struct request *r, const char *user);

/* Makes a code for user/kind to be mailed to address, composes the mail and
 * stages it on r: the call is answered once the mail is out. Sets an error
 * reply and returns 0 when it cannot (mail not configured, bad address). */
int code_stage_mail(struct request *r, const char *user, const char *kind, const char *address,
                    const char *service, const char *rhost);

/* Checks input against the stored code of user/kind: expired, wrong (a try
 * used up; the last kills it) or ok (the code is deleted). address, when
 * not NULL, must still be the one the code was sent to. */
uint32_t code_redeem(struct request *r, const char *user, const char *kind, const char *input,
                     const char *address, struct code_rec *c, uint32_t *tries_left);

#endif
