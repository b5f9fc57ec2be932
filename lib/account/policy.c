/* Lockout rules (R9.1): a lock starts at the threshold, lapses by itself, and survives restarts
 * because it is stored. */
#include "account/policy.h"

uint32_t policy_lock_seconds_left(const struct account_rec *a, int64_t now)
{
	if (a->locked_until <= now)
		return 0;
	int64_t left = a->locked_until - now;
	return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

uint32_t policy_minutes(uint32_t seconds)
{
	return (uint32_t)(((uint64_t)seconds + 59) / 60);
}

/* A lapsed lock starts a fresh count. */
static void expire_lock(struct account_rec *a, int64_t now)
{
	if (a->locked_until != 0 && a->locked_until <= now) {
		a->locked_until = 0;
		a->failures = 0;
	}
}

int policy_record_failure(struct account_rec *a, const struct lock_policy *p, int64_t now)
{
	expire_lock(a, now);
	if (a->locked_until > now)
		return 0;
	if (a->failures < UINT32_MAX)
		a->failures++;
	if (a->failures < p->threshold)
		return 0;
	a->locked_until = now + p->lock_seconds;
	return 1;
}

void policy_clear(struct account_rec *a)
{
	a->failures = 0;
	a->locked_until = 0;
}

uint32_t policy_failures_left(const struct account_rec *a, const struct lock_policy *p, int64_t now)
{
	if (a->locked_until != 0 && a->locked_until <= now)
		return p->threshold;
	return a->failures >= p->threshold ? 0 : p->threshold - a->failures;
}
