/* Unit tests for the e-mailed one-time codes: form, randomness, salted hash, matching (R8.2, R8.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otp/resetcode.h"

#define ALPHABET "ABCDEFGHJKLMNPQRSTUVWXYZ"
#define SAMPLE_COUNT 2000

static const uint8_t test_salt[RESETCODE_SALT_SIZE] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                       8, 9, 10, 11, 12, 13, 14, 15};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void test_R8_2_code_is_two_letters_and_six_digits(void **state)
{
	char code[RESETCODE_SIZE], prefix[RESETCODE_PREFIX_SIZE];
	(void)state;
	assert_int_equal(resetcode_generate(code, prefix), REGS_OK);
	assert_int_equal(strlen(code), 9);
	assert_non_null(strchr(ALPHABET, code[0]));
	assert_non_null(strchr(ALPHABET, code[1]));
	assert_int_equal(code[2], '-');
	for (int i = 3; i < 9; i++)
		assert_true(is_digit(code[i]));
	/* The prefix shown on screen is the code's two letters (R8.2). */
	assert_int_equal(strlen(prefix), 2);
	assert_memory_equal(prefix, code, 2);
	assert_true(resetcode_well_formed(code));
}

static int compare_codes(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Counts letters per position and digits per position over many codes. */
static void tally_codes(char (*codes)[RESETCODE_SIZE], unsigned letters[2][26],
                        unsigned digits[6][10])
{
	for (int n = 0; n < SAMPLE_COUNT; n++) {
		char prefix[RESETCODE_PREFIX_SIZE];
		assert_int_equal(resetcode_generate(codes[n], prefix), REGS_OK);
		for (int i = 0; i < 2; i++) {
			assert_non_null(strchr(ALPHABET, codes[n][i]));
			letters[i][codes[n][i] - 'A']++;
		}
		for (int i = 0; i < 6; i++)
			digits[i][codes[n][3 + i] - '0']++;
	}
}

static void test_R8_2_codes_are_spread_over_the_alphabet_and_digits(void **state)
{
	char(*codes)[RESETCODE_SIZE] = calloc(SAMPLE_COUNT, RESETCODE_SIZE);
	unsigned letters[2][26] = {{0}}, digits[6][10] = {{0}};
	(void)state;
	assert_non_null(codes);
	tally_codes(codes, letters, digits);
	/* Expected 2000/24 = 83 per letter (sd 9), 200 per digit (sd 13): the
	 * bounds sit about six deviations out, so only a broken generator fails. */
	for (int i = 0; i < 2; i++)
		for (int c = 0; c < 26; c++) {
			if (c == 'I' - 'A' || c == 'O' - 'A')
				assert_int_equal(letters[i][c], 0);
			else
				assert_in_range(letters[i][c], 30, 140);
		}
	for (int i = 0; i < 6; i++)
		for (int d = 0; d < 10; d++)
			assert_in_range(digits[i][d], 120, 280);
	/* 576 million codes: a repeat among 2000 has odds of 1 in 300, two
	 * repeats 1 in 200000, three never in practice. */
	qsort(codes, SAMPLE_COUNT, RESETCODE_SIZE, compare_codes);
	int repeats = 0;
	for (int n = 1; n < SAMPLE_COUNT; n++)
		repeats += strcmp(codes[n - 1], codes[n]) == 0;
	assert_true(repeats <= 2);
	free(codes);
}

static void test_R8_2_well_formed_variants_accepted(void **state)
{
	static const char *const good[] = {
	    "KX-125770",     "kx-125770",     "Kx125770",  "KX125770",
	    "  KX-125770\t", "KX-125770\r\n", "KX 125770", " ab-000000 ",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(resetcode_well_formed(good[i]));
}

static void test_R8_2_malformed_codes_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "KX-12577",
	    "KX-1257701",
	    "K1-125770",
	    "KXX-125770",
	    "KX--125770",
	    "KX- 125770",
	    "KX-125 770",
	    "1X-125770",
	    "KX_125770",
	    "KX-12577a",
	    "KX-125770 x",
	    "X-125770",
	    "KX-１２５７７０",
	    "\xc3\x84X-125770",
	};
	(void)state;
	assert_false(resetcode_well_formed(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(resetcode_well_formed(bad[i]));
}

static void test_R8_3_hash_is_sha256_of_salt_and_normal_form(void **state)
{
	/* SHA-256(00..0f || "KX125770"), computed with Python's hashlib. */
	static const uint8_t expected[RESETCODE_HASH_SIZE] = {
	    0xaf, 0x10, 0x40, 0x8a, 0x6b, 0x9f, 0x65, 0x33, 0xb2, 0xe8, 0x22,
	    0x9a, 0x19, 0x0c, 0x3a, 0xb4, 0x1e, 0x81, 0x27, 0x0d, 0x6f, 0x09,
	    0x2a, 0x98, 0x0d, 0xe1, 0x43, 0x3f, 0x99, 0xcf, 0x60, 0x53};
	uint8_t hash[RESETCODE_HASH_SIZE];
	(void)state;
	assert_int_equal(resetcode_hash(test_salt, "KX-125770", hash), REGS_OK);
	assert_memory_equal(hash, expected, sizeof(hash));
	assert_int_equal(resetcode_hash(test_salt, " kx125770 ", hash), REGS_OK);
	assert_memory_equal(hash, expected, sizeof(hash));
}

static void test_R8_3_hash_only_and_matches(void **state)
{
	char code[RESETCODE_SIZE], prefix[RESETCODE_PREFIX_SIZE], lower[RESETCODE_SIZE];
	char spaced[RESETCODE_SIZE + 4], nodash[RESETCODE_SIZE];
	uint8_t hash[RESETCODE_HASH_SIZE];
	(void)state;
	assert_int_equal(resetcode_generate(code, prefix), REGS_OK);
	assert_int_equal(resetcode_hash(test_salt, code, hash), REGS_OK);
	/* What is stored says nothing readable about the code. */
	assert_null(memmem(hash, sizeof(hash), code + 3, 6));
	assert_true(resetcode_matches(test_salt, hash, code));
	strcpy(lower, code);
	lower[0] = (char)(lower[0] | 0x20);
	lower[1] = (char)(lower[1] | 0x20);
	assert_true(resetcode_matches(test_salt, hash, lower));
	snprintf(spaced, sizeof(spaced), "  %s\n", code);
	assert_true(resetcode_matches(test_salt, hash, spaced));
	snprintf(nodash, sizeof(nodash), "%.2s%s", code, code + 3);
	assert_true(resetcode_matches(test_salt, hash, nodash));
}

static void test_R8_3_wrong_code_does_not_match(void **state)
{
	uint8_t hash[RESETCODE_HASH_SIZE], other_salt[RESETCODE_SALT_SIZE];
	(void)state;
	assert_int_equal(resetcode_hash(test_salt, "KX-125770", hash), REGS_OK);
	assert_false(resetcode_matches(test_salt, hash, "KX-125771"));
	assert_false(resetcode_matches(test_salt, hash, "KY-125770"));
	assert_false(resetcode_matches(test_salt, hash, "KX-12577"));
	assert_false(resetcode_matches(test_salt, hash, ""));
	assert_false(resetcode_matches(test_salt, hash, NULL));
	memcpy(other_salt, test_salt, sizeof(other_salt));
	other_salt[15] ^= 1;
	assert_false(resetcode_matches(other_salt, hash, "KX-125770"));
}

static void test_R8_3_malformed_input_hashes_to_nothing(void **state)
{
	static const uint8_t zero[RESETCODE_HASH_SIZE] = {0};
	uint8_t hash[RESETCODE_HASH_SIZE];
	(void)state;
	memset(hash, 0xaa, sizeof(hash));
	assert_int_equal(resetcode_hash(test_salt, "KX-12", hash), REGS_ERR_INVALID);
	assert_memory_equal(hash, zero, sizeof(hash));
	/* An all-zero stored hash (a failed hash) never matches anything. */
	assert_false(resetcode_matches(test_salt, zero, "KX-12"));
	assert_false(resetcode_matches(test_salt, zero, "KX-125770"));
}

static void test_R8_2_prefix_of_a_code(void **state)
{
	char prefix[RESETCODE_PREFIX_SIZE];
	(void)state;
	resetcode_prefix("KX-125770", prefix);
	assert_string_equal(prefix, "KX");
	resetcode_prefix(" kx125770", prefix);
	assert_string_equal(prefix, "KX");
	resetcode_prefix("KX-1", prefix);
	assert_string_equal(prefix, "");
	resetcode_prefix(NULL, prefix);
	assert_string_equal(prefix, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R8_2_code_is_two_letters_and_six_digits),
	    cmocka_unit_test(test_R8_2_codes_are_spread_over_the_alphabet_and_digits),
	    cmocka_unit_test(test_R8_2_well_formed_variants_accepted),
	    cmocka_unit_test(test_R8_2_malformed_codes_refused),
	    cmocka_unit_test(test_R8_2_prefix_of_a_code),
	    cmocka_unit_test(test_R8_3_hash_is_sha256_of_salt_and_normal_form),
	    cmocka_unit_test(test_R8_3_hash_only_and_matches),
	    cmocka_unit_test(test_R8_3_wrong_code_does_not_match),
	    cmocka_unit_test(test_R8_3_malformed_input_hashes_to_nothing),
	};
	return cmocka_run_group_tests_name("resetcode", tests, NULL, NULL);
}
