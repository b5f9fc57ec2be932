/* Lockout rules (R9.1): pure functions over the account record and the clock. */
#ifndef REGS_POLICY_H
#define REGS_POLICY_H
#include "account/record.h"
#include <stdint.h>

struct lock_policy {
	uint32_t threshold;   /* consecutive failures that lock */
	int64_t lock_seconds; /* how long a lock lasts */
};

/* Seconds the account stays locked at now; 0 when it is not locked. */
uint32_t policy_lock_seconds_left(const struct account_rec *a, int64_t now);
/* Whole minutes to tell the user, rounded up. */
uint32_t policy_minutes(uint32_t seconds);
/* Counts a failure; returns 1 when this failure locked the account. */
int policy_record_failure(struct account_rec *a, const struct lock_policy *p, int64_t now);
/* Clears the count and any lock: a success (callers check the lock first) or an administrator's
 * unlock. */
void policy_clear(struct account_rec *a);
/* Failures still allowed before a lock (a lapsed lock allows a full count). */
uint32_t policy_failures_left(const struct account_rec *a, const struct lock_policy *p,
                              int64_t now);

#endif
