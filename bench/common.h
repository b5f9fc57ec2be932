/* Shared by the benchmark programs: user names, deterministic secrets, codes, sampling and
 * percentiles. */
#ifndef REGS_BENCH_COMMON_H
#define REGS_BENCH_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BENCH_SECRET_BYTES 20
#define BENCH_NAME_MAX 16
#define BENCH_DEFAULT_SEED "pam_regs-bench-v1"

/* "u0000001" for 1. */
void bench_user(char out[BENCH_NAME_MAX], unsigned index);
/* HMAC-SHA1(seed, user): the user's 20-byte TOTP secret (bench/code.c). */
void bench_secret(const char *seed, const char *user, uint8_t out[BENCH_SECRET_BYTES]);
/* The current 6-digit TOTP code of the user (RFC 6238, 30 s; bench/code.c). */
int bench_code(const char *seed, const char *user, char out[7]);
/* CLOCK_MONOTONIC in nanoseconds (inline: bench/pamonce uses it without common.c's OpenSSL). */
static inline int64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Picks count distinct indices in 1..n that are not listed in used_path (one
 * index a line; a missing file is empty), in random order, and appends them
 * to used_path. Returns a malloc'd array, or NULL with a message on stderr. */
unsigned *bench_pick_users(unsigned n, size_t count, const char *used_path, uint64_t rng_seed);

/* Sorts v in place; the nearest-rank percentile p (0..100). */
void bench_sort(int64_t *v, size_t n);
int64_t bench_percentile(const int64_t *sorted, size_t n, double p);

/* Parses a decimal unsigned value; exits with a message on error. */
unsigned long bench_parse_ulong(const char *what, const char *s);

#endif
