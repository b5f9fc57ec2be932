/* Attempts per key in a fixed window (R4.1: mobile-ID logins per account and per ID number). */
#ifndef REGSD_RATELIMIT_H
#define REGSD_RATELIMIT_H
#include <stddef.h>
#include <stdint.h>

struct rate_limit;

struct rate_limit *rate_limit_new(unsigned max, unsigned window_seconds);
void rate_limit_free(struct rate_limit *rl);
/* Counts one attempt for key (hashed: the key itself is not kept) and
 * returns 0; or, when key used up its attempts, counts nothing and returns
 * the seconds until it may try again. */
unsigned rate_limit_take(struct rate_limit *rl, const char *kind, const char *key, int64_t now);
/* Like rate_limit_take without counting. */
unsigned rate_limit_wait(const struct rate_limit *rl, const char *kind, const char *key,
                         int64_t now);

#endif
