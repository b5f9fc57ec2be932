/* The one gate every login attempt goes through: begin (account loaded; locked? bound?), verify
 * (the method's own check), settle (count or clear, lock, audit one line, reply). R9.1, R9.3,
 * R7.1. */
#ifndef REGSD_GATE_H
#define REGSD_GATE_H
#include "daemon.h"

#define GATE_UNDECIDED UINT32_MAX           /* g->result: no verdict yet */
#define GATE_NO_SUCH_USER (UINT32_MAX - 1u) /* gate_method.unbound: the NoSuchUser error */

struct gate_attempt;

/* What a login method tells the gate; one constant per method. Like OpenSSH's monitor, the gate
 * refuses what the account's state does not permit before the method's code runs. */
struct gate_method {
	const char *name;  /* the method in the activity log: "otp", "card", ... */
	const char *event; /* "login" or "step-up" (a success grants g->purpose, R7.1) */
	uint32_t need;     /* REGS_F_* bindings the account must have */
	/* Verdict for an account that regsd does not know (nor NSS, with nss_account) or that lacks
	 * a binding in need: replied without the account, not counted, not audited. */
	uint32_t unbound;
	int nss_account; /* a user NSS knows gets a fresh record (saved with the attempt) */
	int partial;     /* a success is half a login (Google before its OTP, R5.3): audited as
	                    "approve", the count not cleared */
	/* The method's own check on an open (unlocked) account: a REGS_R_* verdict. */
	uint32_t (*verify)(struct request *r, struct gate_attempt *g);
	/* Whether a verdict other than REGS_R_OK and REGS_R_LOCKED counts toward the lock (R9.1).
	 */
	int (*counts)(uint32_t result);
	/* NULL: the verdict reply (u result, u lock seconds left, u failures left), with
	 * u valid_for after it for a step-up. */
	void (*reply)(struct request *r, const struct gate_attempt *g);
};

struct gate_attempt {
	const struct gate_method *m;
	const char *user;
	const char
	    *method; /* the name logged; m->name unless the caller names it (RecordFailure) */
	const char *service, *rhost;
	const char *purpose; /* step-up: the purpose a success grants */
	void *ctx;           /* the method's own arguments and state */
	uint32_t result;     /* GATE_UNDECIDED, or a verdict the request itself decided */
	int unjudged; /* set by verify: nothing judged (not counted, saved or audited); a verify
	                 that met an error sets it and replies with the error itself */
	int have_account;
	struct account_rec a;
};

/* An attempt on user's account by method m, its verdict still open. */
struct gate_attempt gate_attempt_new(const struct gate_method *m, const char *user,
                                     const char *service, const char *rhost, void *ctx);
/* Runs the attempt through begin, verify and settle; the reply is set at the end. A verdict
 * set before (g->result) skips the lock check and verify: it is settled as it is. */
void gate_run(struct request *r, struct gate_attempt *g);

/* Whether user may start a login that ends in the gate later (an out-of-band flow): known to
 * regsd or NSS, the REGS_F_* bindings in need, not locked. Otherwise sets the NotAllowed reply
 * (or the storage error) and returns 0. */
int gate_admit(struct request *r, const char *user, uint32_t need);

/* Replies (u result, u lock_seconds_left, u failures_left) for account a (NULL: zeros). */
void reply_verdict(struct request *r, uint32_t result, const struct account_rec *a);

#endif
