/* Unit tests for TOTP codes (RFC 6238) and the verification rules R2.4 (replay) and R2.5 (drift).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/random.h"
#include "base/wipe.h"
#include "otp/base32.h"
#include "otp/totp.h"

static const uint8_t rfc_secret[] = "12345678901234567890";
#define RFC_SECRET_LEN 20
/* A fixed instant for the verification tests, so that no random collision can flip a result. */
#define VERIFY_NOW ((int64_t)1234567890)

struct totp_vector {
	int64_t time;
	const char *code;
};

/* RFC 6238 appendix B, SHA1: the last 6 digits of the published 8-digit values. */
static const struct totp_vector rfc6238_vectors[] = {
    {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
    {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
};

static struct totp_params params_at(int64_t now, int64_t last_used, unsigned window, unsigned drift)
{
	struct totp_params p = {
	    .now = now, .last_used_step = last_used, .window = window, .drift_window = drift};
	return p;
}

/* The code at VERIFY_NOW's step plus offset. */
static void code_at_offset(long offset, char out[TOTP_DIGITS + 1])
{
	int64_t step = totp_step_at(VERIFY_NOW) + offset;
	assert_int_equal(totp_code(rfc_secret, RFC_SECRET_LEN, step, out), REGS_OK);
}

static void test_R2_1_rfc6238_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc6238_vectors) / sizeof(rfc6238_vectors[0]); i++) {
		const struct totp_vector *v = &rfc6238_vectors[i];
		char code[TOTP_DIGITS + 1];
		int64_t step = totp_step_at(v->time);
		assert_int_equal(totp_code(rfc_secret, RFC_SECRET_LEN, step, code), REGS_OK);
		assert_string_equal(code, v->code);

		struct totp_params p = params_at(v->time, -1, 1, 10);
		int64_t matched = -1;
		assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, v->code, &p, &matched),
		                 TOTP_MATCH);
		assert_int_equal(matched, step);
	}
}

static void test_totp_step_at_is_floor_of_30_seconds(void **state)
{
	(void)state;
	assert_int_equal(totp_step_at(0), 0);
	assert_int_equal(totp_step_at(29), 0);
	assert_int_equal(totp_step_at(30), 1);
	assert_int_equal(totp_step_at(59), 1);
	assert_int_equal(totp_step_at(1111111109), 37037036);
	assert_int_equal(totp_step_at(-1), -1);
}

/* Runs oathtool for secret_b32 at time t; returns 0 when it is not installed. */
static int oathtool_code(const char *secret_b32, int64_t t, char out[TOTP_DIGITS + 1])
{
	const char *tool = getenv("OATHTOOL");
	char cmd[256];
	char line[64] = "";
	if (tool == NULL || *tool == '\0')
		tool = "oathtool";
	snprintf(cmd, sizeof(cmd), "'%s' --totp -b %s -N @%lld 2>/dev/null", tool, secret_b32,
	         (long long)t);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *got = fgets(line, sizeof(line), p);
	int status = pclose(p);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return 0;
	assert_non_null(got);
	assert_int_equal(status, 0);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strlen(line), TOTP_DIGITS);
	memcpy(out, line, TOTP_DIGITS + 1);
	return 1;
}

static void test_R2_1_codes_match_oathtool_for_random_secret(void **state)
{
	(void)state;
	uint8_t secret[TOTP_SECRET_BYTES];
	char b32[64];
	uint32_t jitter = 0;
	assert_int_equal(regs_random_bytes(secret, sizeof(secret)), REGS_OK);
	assert_int_equal(regs_random_bytes(&jitter, sizeof(jitter)), REGS_OK);
	assert_int_equal(base32_encode(secret, sizeof(secret), b32, sizeof(b32)), REGS_OK);
	const int64_t times[] = {59, 1700000000 + (int64_t)(jitter % 100000000), 4102444799};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char ours[TOTP_DIGITS + 1];
		char theirs[TOTP_DIGITS + 1];
		if (!oathtool_code(b32, times[i], theirs))
			skip();
		assert_int_equal(totp_code(secret, sizeof(secret), totp_step_at(times[i]), ours),
		                 REGS_OK);
		assert_string_equal(ours, theirs);
	}
	regs_wipe(secret, sizeof(secret));
}

static void test_R2_4_fresh_step_accepted(void **state)
{
	(void)state;
	char code[TOTP_DIGITS + 1];
	int64_t step = totp_step_at(VERIFY_NOW);
	int64_t matched = -1;
	code_at_offset(0, code);
	struct totp_params p = params_at(VERIFY_NOW, step - 1, 1, 10);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched), TOTP_MATCH);
	assert_int_equal(matched, step);
}

static void test_R2_4_replayed_step_refused(void **state)
{
	(void)state;
	char code[TOTP_DIGITS + 1];
	int64_t step = totp_step_at(VERIFY_NOW);
	int64_t matched = -1;
	/* The same code twice: the second time last_used_step is its step. */
	code_at_offset(0, code);
	struct totp_params p = params_at(VERIFY_NOW, step, 1, 10);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched),
	                 TOTP_REPLAYED);
	assert_int_equal(matched, step);
}

static void test_R2_4_older_step_than_last_used_refused(void **state)
{
	(void)state;
	char code[TOTP_DIGITS + 1];
	int64_t step = totp_step_at(VERIFY_NOW);
	int64_t matched = -1;
	/* The previous step's code is in the window but a later step was already used. */
	code_at_offset(-1, code);
	struct totp_params p = params_at(VERIFY_NOW, step, 1, 10);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched),
	                 TOTP_REPLAYED);
	assert_int_equal(matched, step - 1);
}

static void test_R2_5_drift_gives_hint_not_acceptance(void **state)
{
	(void)state;
	static const long offsets[] = {2, -2, 5, -7, 10, -10};
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		char code[TOTP_DIGITS + 1];
		int64_t matched = -1;
		code_at_offset(offsets[i], code);
		struct totp_params p = params_at(VERIFY_NOW, -1, 1, 10);
		assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched),
		                 TOTP_DRIFTED);
		assert_int_equal(matched, totp_step_at(VERIFY_NOW) + offsets[i]); /* to burn it */
	}
}

/* R12.4: a guess that matched 5 steps ahead is burned, and refused when its step comes. */
static void test_R12_4_drifted_step_refused_when_its_time_comes(void **state)
{
	(void)state;
	char code[TOTP_DIGITS + 1];
	int64_t now_step = totp_step_at(VERIFY_NOW), matched = -1, last_used = now_step - 3;
	int64_t burned[4];
	uint8_t n = 0;
	code_at_offset(5, code);
	struct totp_params p = params_at(VERIFY_NOW, last_used, 1, 10);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched), TOTP_DRIFTED);
	totp_burn(burned, &n, 4, &last_used, matched, now_step, 1);
	assert_int_equal(n, 1);
	assert_int_equal(last_used, now_step - 3); /* the steps in between stay usable */

	struct totp_params later = params_at(VERIFY_NOW + 5 * TOTP_STEP_SECONDS, last_used, 1, 10);
	later.burned = burned;
	later.n_burned = n;
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &later, &matched),
	                 TOTP_REPLAYED);
	/* Without the burn the same code would have been accepted: the oracle R12.4 closes. */
	later.n_burned = 0;
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &later, &matched),
	                 TOTP_MATCH);
	/* The current step's code is not affected by the burn. */
	code_at_offset(0, code);
	p.burned = burned;
	p.n_burned = n;
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched), TOTP_MATCH);
}

static void test_R12_4_burn_table_full_spends_the_lowest(void **state)
{
	(void)state;
	int64_t burned[4], last_used = 100;
	uint8_t n = 0;
	for (int64_t step = 203; step <= 206; step++)
		totp_burn(burned, &n, 4, &last_used, step, 200, 1);
	assert_int_equal(n, 4);
	assert_int_equal(last_used, 100);
	totp_burn(burned, &n, 4, &last_used, 207, 200, 1); /* full: 203 and all before it spent */
	assert_int_equal(last_used, 203);
	assert_int_equal(n, 4);
	for (uint8_t i = 0; i < n; i++)
		assert_true(burned[i] > 203 && burned[i] <= 207);
	totp_burn(burned, &n, 4, &last_used, 207, 200, 1); /* already burned: no change */
	assert_int_equal(n, 4);
	assert_int_equal(last_used, 203);
}

static void test_R12_4_burn_forgets_steps_that_passed(void **state)
{
	(void)state;
	int64_t burned[4], last_used = -1;
	uint8_t n = 0;
	totp_burn(burned, &n, 4, &last_used, 195, 200, 1); /* past: can never come back */
	assert_int_equal(n, 0);
	for (int64_t step = 203; step <= 206; step++)
		totp_burn(burned, &n, 4, &last_used, step, 200, 1);
	totp_burn(burned, &n, 4, &last_used, 220, 210, 1); /* 203..206 are now past the window */
	assert_int_equal(n, 1);
	assert_int_equal(burned[0], 220);
	assert_int_equal(last_used, -1);
}

static void test_R2_5_beyond_drift_window_no_match(void **state)
{
	(void)state;
	static const long offsets[] = {11, -11, 40};
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		char code[TOTP_DIGITS + 1];
		code_at_offset(offsets[i], code);
		struct totp_params p = params_at(VERIFY_NOW, -1, 1, 10);
		assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, NULL),
		                 TOTP_NO_MATCH);
	}
}

static void test_totp_window_accepts_adjacent_steps(void **state)
{
	(void)state;
	int64_t step = totp_step_at(VERIFY_NOW);
	for (long offset = -1; offset <= 1; offset++) {
		char code[TOTP_DIGITS + 1];
		int64_t matched = -1;
		code_at_offset(offset, code);
		struct totp_params p = params_at(VERIFY_NOW, -1, 1, 10);
		assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &p, &matched),
		                 TOTP_MATCH);
		assert_int_equal(matched, step + offset);
	}
}

static void test_totp_window_zero_only_current_step(void **state)
{
	(void)state;
	char code[TOTP_DIGITS + 1];
	code_at_offset(1, code);
	struct totp_params hint = params_at(VERIFY_NOW, -1, 0, 10);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &hint, NULL), TOTP_DRIFTED);
	/* With no wider drift window there is no hint either. */
	struct totp_params no_hint = params_at(VERIFY_NOW, -1, 0, 0);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, code, &no_hint, NULL),
	                 TOTP_NO_MATCH);
}

static void test_totp_wrong_code_no_match(void **state)
{
	(void)state;
	/* Find a code that is none of the 21 codes within the drift window. */
	char codes[21][TOTP_DIGITS + 1];
	for (long offset = -10; offset <= 10; offset++)
		code_at_offset(offset, codes[offset + 10]);
	char wrong[TOTP_DIGITS + 1] = "000000";
	for (unsigned candidate = 0;; candidate++) {
		snprintf(wrong, sizeof(wrong), "%06u", candidate);
		int used = 0;
		for (size_t i = 0; i < 21; i++)
			used |= strcmp(wrong, codes[i]) == 0;
		if (!used)
			break;
	}
	struct totp_params p = params_at(VERIFY_NOW, -1, 1, 10);
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, wrong, &p, NULL), TOTP_NO_MATCH);
}

static void test_totp_malformed_codes(void **state)
{
	(void)state;
	static const char *const bad[] = {"",        "12345",    "1234567", "12a456",      " 12345",
	                                  "123456 ", "123456\n", "-12345",  "１２３４５６"};
	struct totp_params p = params_at(VERIFY_NOW, -1, 1, 10);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(totp_code_well_formed(bad[i]));
		assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, bad[i], &p, NULL),
		                 TOTP_MALFORMED);
	}
	assert_false(totp_code_well_formed(NULL));
	assert_int_equal(totp_verify(rfc_secret, RFC_SECRET_LEN, NULL, &p, NULL), TOTP_MALFORMED);
	assert_true(totp_code_well_formed("000000"));
	assert_true(totp_code_well_formed("999999"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R2_1_rfc6238_vectors),
	    cmocka_unit_test(test_totp_step_at_is_floor_of_30_seconds),
	    cmocka_unit_test(test_R2_1_codes_match_oathtool_for_random_secret),
	    cmocka_unit_test(test_R2_4_fresh_step_accepted),
	    cmocka_unit_test(test_R2_4_replayed_step_refused),
	    cmocka_unit_test(test_R2_4_older_step_than_last_used_refused),
	    cmocka_unit_test(test_R2_5_drift_gives_hint_not_acceptance),
	    cmocka_unit_test(test_R12_4_drifted_step_refused_when_its_time_comes),
	    cmocka_unit_test(test_R12_4_burn_table_full_spends_the_lowest),
	    cmocka_unit_test(test_R12_4_burn_forgets_steps_that_passed),
	    cmocka_unit_test(test_R2_5_beyond_drift_window_no_match),
	    cmocka_unit_test(test_totp_window_accepts_adjacent_steps),
	    cmocka_unit_test(test_totp_window_zero_only_current_step),
	    cmocka_unit_test(test_totp_wrong_code_no_match),
	    cmocka_unit_test(test_totp_malformed_codes),
	};
	return cmocka_run_group_tests_name("totp", tests, NULL, NULL);
}
