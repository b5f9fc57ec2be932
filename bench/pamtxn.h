/* One whole PAM transaction (pam_start, pam_authenticate, pam_end) answering the OTP prompt,
 * timed part by part: shared by bench/pambench (in process) and bench/pamonce (fresh process). */
#ifndef REGS_BENCH_PAMTXN_H
#define REGS_BENCH_PAMTXN_H
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC nanoseconds spent in each call of one transaction. */
struct pamtxn_times {
	int64_t start_ns, auth_ns, end_ns;
};

/* Runs pam_start(service, user) + pam_authenticate + pam_end, answering every prompt with
 * code. Returns 0 when pam_authenticate succeeded after exactly one prompt (none when code is
 * "-": the pam_permit baseline), else -1 with the
 * reason in why. pam_start failing is also -1 (t->auth_ns and t->end_ns are then 0). */
int pamtxn_login(const char *service, const char *user, const char *code, struct pamtxn_times *t,
                 char *why, size_t why_len);

#endif
