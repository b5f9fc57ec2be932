/* The card, Google and mobile-ID bindings of an account, read and written in the batch's
 * transaction (cards.c, oobstore.c), and what a bound certificate is worth (R3.5). */
#ifndef REGSD_BINDINGS_H
#define REGSD_BINDINGS_H
#include "daemon.h"
#include "pki/x509.h"

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

#endif
