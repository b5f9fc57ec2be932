/* Attempts per key in a fixed window (R4.1: mobile-ID logins per account and per ID number). */
#ifndef REGSD_RATELIMIT_H
#define REGSD_RATELIMIT_H
#include <stddef.h>
#include <stdint.h>

struct rate_limit;

/* Live windows one caller (caller_quota_key) may open at once (R12.2). */
#define RATE_PER_OWNER 16

struct rate_limit *rate_limit_new(unsigned max, unsigned window_seconds);
void rate_limit_free(struct rate_limit *rl);
/* Counts one attempt for key (hashed: the key itself is not kept) and
 * returns 0; or, when key used up its attempts, counts nothing and returns
 * the seconds until it may try again. A key without a window opens one for
 * owner; when the table is full or owner holds RATE_PER_OWNER windows it is
 * refused the same way (nothing live is ever evicted). */
unsigned rate_limit_take(struct rate_limit *rl, const char *kind, const char *key,
                         const char *owner, int64_t now);
/* Like rate_limit_take without counting. */
unsigned rate_limit_wait(const struct rate_limit *rl, const char *kind, const char *key,
                         int64_t now);

#endif
