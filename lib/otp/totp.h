/* TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s) and the verification rules R2.4 and R2.5. */
#ifndef REGS_TOTP_H
#define REGS_TOTP_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

#define TOTP_DIGITS 6
#define TOTP_STEP_SECONDS 30
#define TOTP_SECRET_BYTES 20 /* 160 bits */

enum totp_outcome {
	TOTP_MATCH, /* matched step *step_out within +-window */
	TOTP_NO_MATCH,
	TOTP_REPLAYED,  /* matched a step <= last_used_step (R2.4) */
	TOTP_DRIFTED,   /* matched only within +-drift_window (R2.5) */
	TOTP_MALFORMED, /* not exactly 6 ASCII digits */
};

struct totp_params {
	int64_t now;            /* seconds since epoch */
	int64_t last_used_step; /* highest step ever accepted; -1 if none */
	unsigned window;        /* accepted steps either side (1) */
	unsigned drift_window;  /* steps either side checked for the hint (e.g. 10) */
	const int64_t *burned;  /* future steps refused earlier as drift (R12.4); may be NULL */
	size_t n_burned;
};

int64_t totp_step_at(int64_t now);
/* Writes the 6-digit code for a step into out (7 bytes) via liboath. */
enum regs_err totp_code(const uint8_t *secret, size_t len, int64_t step, char out[TOTP_DIGITS + 1]);
/* Checks code against secret; comparisons are constant-time. *step_out gets
 * the matched step for TOTP_MATCH, TOTP_REPLAYED and TOTP_DRIFTED. A step
 * that is <= last_used_step or burned is TOTP_REPLAYED. */
enum totp_outcome totp_verify(const uint8_t *secret, size_t len, const char *code,
                              const struct totp_params *p, int64_t *step_out);
/* Burns a step that matched only as drift (R12.4) so that its code is never
 * accepted when the step comes: adds it to burned[] (n of max entries),
 * dropping entries already past the window; when every entry is still ahead,
 * raises *last_used_step to the lowest of them instead, which burns it and all
 * steps before it. Steps already in the past need no burning. */
void totp_burn(int64_t *burned, uint8_t *n, size_t max, int64_t *last_used_step, int64_t step,
               int64_t now_step, unsigned window);
/* True when code is exactly 6 ASCII digits. */
int totp_code_well_formed(const char *code);

#endif
