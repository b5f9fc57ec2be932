/* What the Google and mobile handlers share with the generic flow calls (oobcalls.c). */
#ifndef REGSD_OOBFLOW_H
#define REGSD_OOBFLOW_H
#include "daemon.h"

/* Begin of either kind: a flow for user on the caller's connection, its
 * BEGIN step queued, the reply deferred. NULL (reply set) when the table is
 * full. The caller holds the table lock. */
struct oob_flow *oob_flow_begin(struct request *r, enum oob_kind kind, const char *user, int bind,
                                const char *service, const char *rhost);

/* The account may start a flow: the gate admits it (gate_admit: known to regsd or NSS, not
 * locked, with the REGS_F_* bindings in need); a bind also needs a step-up for purpose (R7.1).
 * Otherwise sets the error reply and returns 0. A login's answer settles in the gate. */
int oob_account_ready(struct request *r, const char *user, uint32_t need, const char *purpose);

/* The kind-specific halves, run by the batch loop when a step finished. */
void google_begin_done(struct request *r, struct oob_flow *f);
/* The verified answer names the Google account / phone bound to the flow's account. */
int google_matches(struct request *r, const struct oob_flow *f);
uint32_t google_bind(struct request *r, struct oob_flow *f);
void mobile_begin_done(struct request *r, struct oob_flow *f);
void mobile_qr_done(struct request *r, struct oob_flow *f);
int mobile_matches(struct request *r, const struct oob_flow *f);
uint32_t mobile_bind(struct request *r, struct oob_flow *f);
/* A finished step of f, taken from the workers: replies to the waiting call. */
void oob_complete(struct request *r, struct oob_flow *f);

#endif
