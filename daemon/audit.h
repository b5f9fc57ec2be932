/* The activity log (R9.3): one record per attempt and per binding change, never a code or secret.
 */
#ifndef REGSD_AUDIT_H
#define REGSD_AUDIT_H
#include "daemon.h"
#include <stdint.h>
#include <time.h>

struct audit_event {
	const char *user;
	const char *event;   /* "login", "enrol", "lock", "unlock", "reset", ... */
	const char *method;  /* "otp", "password", ... */
	const char *service; /* PAM service, or "regsctl" */
	const char *rhost;
	uint32_t result; /* enum regs_result */
};

/* Every record names the host whose regsd made it (R10.1: hosts may share one log): regs.conf
 * host_name, which this sets to the machine's name (gethostname) when the file leaves it empty. */
void audit_host_default(struct regs_config *cfg);
void audit_record(struct request *r, const struct audit_event *e);

/* Audit keys are (time, seq). Hosts that share a database (R10.1) must never make the same
 * key, or one record would replace another's: seq counts in steps of AUDIT_SEQ_STEP from the
 * start-up time in ns (so a host's records keep their order, across restarts too), and its low
 * bits are a random number drawn at start-up, one per host. */
#define AUDIT_SEQ_STEP ((uint64_t)1 << 16)
uint64_t audit_seq_start(const struct timespec *now);
/* Deletes records older than cutoff, at most max per call. */
void audit_expire(struct daemon *d, struct store_txn *txn, int64_t cutoff, unsigned max);

/* Calls fn for each record of user ("" = all accounts) from since on, oldest first. */
typedef int (*audit_visit_fn)(void *ctx, const struct audit_rec *rec);
void audit_scan(struct store_txn *txn, const char *user, int64_t since, audit_visit_fn fn,
                void *ctx);

#endif
