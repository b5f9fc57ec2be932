/* Unit tests for the national ID number check (R4.1). The valid numbers below
 * were computed with an independent Python implementation of the official
 * letter table and weights (A=10 ... H=17, I=34, J=18 ... N=22, O=35,
 * P=23 ... V=29, W=32, X=30, Y=31, Z=33; weights 1 9 8 7 6 5 4 3 2 1 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ui/twid.h"

/* Every letter once, so a wrong table entry shows: the letter's two digits
 * weigh 1 and 9, and no two letters share a value. */
static const char *const all_letters[] = {
    "A123456789", "B123456780", "C123456781", "D123456782", "E123456783", "F123456784",
    "G123456785", "H123456786", "I123456781", "J123456787", "K123456788", "L123456788",
    "M123456789", "N123456780", "O123456782", "P123456781", "Q123456782", "R123456783",
    "S123456784", "T123456785", "U123456786", "V123456787", "W123456789", "X123456787",
    "Y123456788", "Z123456780", "A281357907", "I281357909", "O281357900", "W281357907",
    "Z281357908",
};

static void test_R4_1_valid_ids_accepted(void **state)
{
	(void)state;
	assert_true(twid_valid("A123456789")); /* the well-known example */
	assert_true(twid_valid("F131104093"));
	for (size_t i = 0; i < sizeof(all_letters) / sizeof(all_letters[0]); i++) {
		if (!twid_valid(all_letters[i]))
			fail_msg("%s refused", all_letters[i]);
	}
}

/* Resident certificate numbers since 2021: second character 8 or 9. */
static void test_R4_1_new_resident_numbers_accepted(void **state)
{
	(void)state;
	assert_true(twid_valid("A800000014"));
	assert_true(twid_valid("Z900000008"));
	assert_false(twid_valid("A800000015"));
}

static void test_R4_1_bad_checksum_refused(void **state)
{
	(void)state;
	assert_false(twid_valid("A123456788"));
	assert_false(twid_valid("F131104094"));
	/* Every other check digit is wrong (weight 1: each one changes the sum). */
	char id[] = "A123456789";
	for (char c = '0'; c <= '9'; c++) {
		id[9] = c;
		assert_int_equal(twid_valid(id), c == '9');
	}
	/* Swapping two neighbours of different weights changes the sum. */
	assert_false(twid_valid("A123456879"));
	assert_false(twid_valid("A213456789"));
	/* Another letter with the same digits. */
	assert_false(twid_valid("B123456789"));
	/* Valid only if the table ran alphabetically (I=18, J=19, ... Z=35). */
	static const char *const alphabetical[] = {"I123456787", "J123456788", "P123456783",
	                                           "X123456780", "Z123456782"};
	for (size_t i = 0; i < sizeof(alphabetical) / sizeof(alphabetical[0]); i++)
		assert_false(twid_valid(alphabetical[i]));
}

static void test_R4_1_second_digit_must_be_1_2_8_9(void **state)
{
	(void)state;
	/* Checksums are right; the second character is not allowed. */
	assert_false(twid_valid("A300000005"));
	assert_false(twid_valid("A000000009"));
}

static void test_R4_1_lowercase_or_short_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "a123456789",
	    "f131104093",
	    "A12345678",
	    "A1234567890",
	    "",
	    "A",
	    "1123456789",
	    "AA23456789",
	    " A123456789",
	    "A123456789 ",
	    "A12345678\n",
	    "A12345-789",
	    "A12345678X",
	    "A123456789\n",
	    ("A\xef\xbc\x91"
	     "23456789"), /* a full-width digit one */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (twid_valid(bad[i]))
			fail_msg("bad id %zu accepted", i);
	}
	assert_false(twid_valid(NULL));
	/* Exactly ten characters: a NUL inside ends the string. */
	const char with_nul[] = {'A', '1', '2', '3', '4', '\0', '6', '7', '8', '9', '\0'};
	assert_false(twid_valid(with_nul));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R4_1_valid_ids_accepted),
	    cmocka_unit_test(test_R4_1_new_resident_numbers_accepted),
	    cmocka_unit_test(test_R4_1_bad_checksum_refused),
	    cmocka_unit_test(test_R4_1_second_digit_must_be_1_2_8_9),
	    cmocka_unit_test(test_R4_1_lowercase_or_short_refused),
	};
	return cmocka_run_group_tests_name("twid", tests, NULL, NULL);
}
