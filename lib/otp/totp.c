/* TOTP codes via liboath and the verification rules: window, replay (R2.4), drift hint (R2.5). */
#include "otp/totp.h"

#include "base/wipe.h"

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

static pthread_once_t totp_oath_once = PTHREAD_ONCE_INIT;
static int totp_oath_status = OATH_OK;

static void totp_oath_init(void)
{
	totp_oath_status = oath_init();
}

int64_t totp_step_at(int64_t now)
{
	/* Floor division: a time before the epoch still maps to the earlier step. */
	int64_t step = now / TOTP_STEP_SECONDS;
	if (now % TOTP_STEP_SECONDS != 0 && now < 0)
		step--;
	return step;
}

enum regs_err totp_code(const uint8_t *secret, size_t len, int64_t step, char out[TOTP_DIGITS + 1])
{
	if (secret == NULL || len == 0 || out == NULL || step < 0)
		return REGS_ERR_INVALID;
	if (pthread_once(&totp_oath_once, totp_oath_init) != 0 || totp_oath_status != OATH_OK)
		return REGS_ERR_CRYPTO;
	time_t at = (time_t)(step * TOTP_STEP_SECONDS);
	int rc = oath_totp_generate((const char *)secret, len, at, TOTP_STEP_SECONDS,
	                            OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS, out);
	if (rc != OATH_OK) {
		regs_wipe(out, TOTP_DIGITS + 1);
		return REGS_ERR_CRYPTO;
	}
	return REGS_OK;
}

int totp_code_well_formed(const char *code)
{
	if (code == NULL)
		return 0;
	for (size_t i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return code[TOTP_DIGITS] == '\0';
}

/* True when code matches the code at step; compared in constant time. */
static int totp_matches_step(const uint8_t *secret, size_t len, const char *code, int64_t step)
{
	char expected[TOTP_DIGITS + 1];
	int match = 0;
	if (step >= 0 && totp_code(secret, len, step, expected) == REGS_OK)
		match = CRYPTO_memcmp(expected, code, TOTP_DIGITS) == 0;
	regs_wipe(expected, sizeof(expected));
	return match;
}

/* Searches steps center-radius..center+radius, skipping |offset| <= skip
 * (skip < 0 skips nothing). Every step is computed so timing does not tell
 * which one matched; the highest matching step wins. Returns 1 on a match. */
static int totp_search(const uint8_t *secret, size_t len, const char *code, int64_t center,
                       unsigned radius, long skip, int64_t *found)
{
	int any = 0;
	for (long offset = -(long)radius; offset <= (long)radius; offset++) {
		long distance = offset < 0 ? -offset : offset;
		if (distance <= skip)
			continue;
		if (totp_matches_step(secret, len, code, center + offset)) {
			*found = center + offset;
			any = 1;
		}
	}
	return any;
}

static int step_used(const struct totp_params *p, int64_t step)
{
	if (step <= p->last_used_step)
		return 1;
	for (size_t i = 0; p->burned && i < p->n_burned; i++)
		if (p->burned[i] == step)
			return 1;
	return 0;
}

enum totp_outcome totp_verify(const uint8_t *secret, size_t len, const char *code,
                              const struct totp_params *p, int64_t *step_out)
{
	if (!totp_code_well_formed(code))
		return TOTP_MALFORMED;
	if (secret == NULL || len == 0 || p == NULL)
		return TOTP_NO_MATCH;
	int64_t center = totp_step_at(p->now);
	int64_t step = 0;
	if (totp_search(secret, len, code, center, p->window, -1, &step)) {
		if (step_out != NULL)
			*step_out = step;
		return step_used(p, step) ? TOTP_REPLAYED : TOTP_MATCH;
	}
	if (p->drift_window > p->window &&
	    totp_search(secret, len, code, center, p->drift_window, (long)p->window, &step)) {
		if (step_out != NULL)
			*step_out = step;
		return TOTP_DRIFTED;
	}
	return TOTP_NO_MATCH;
}

static void drop_burned(int64_t *burned, uint8_t *n, size_t i)
{
	burned[i] = burned[*n - 1];
	(*n)--;
}

void totp_burn(int64_t *burned, uint8_t *n, size_t max, int64_t *last_used_step, int64_t step,
               int64_t now_step, unsigned window)
{
	if (step <= now_step || step <= *last_used_step)
		return; /* a past step never comes back into the window */
	for (size_t i = *n; i-- > 0;) {
		if (burned[i] == step)
			return;
		if (burned[i] < now_step - (int64_t)window || burned[i] <= *last_used_step)
			drop_burned(burned, n, i);
	}
	if (*n >= max) {
		size_t low = 0;
		for (size_t i = 1; i < *n; i++)
			if (burned[i] < burned[low])
				low = i;
		*last_used_step = burned[low]; /* it and every step before it are spent */
		for (size_t i = *n; i-- > 0;)
			if (burned[i] <= *last_used_step)
				drop_burned(burned, n, i);
	}
	burned[(*n)++] = step;
}
