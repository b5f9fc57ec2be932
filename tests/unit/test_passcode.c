/* Unit tests for splitting a password and an OTP code typed in one answer (R11.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ui/passcode.h"

static void test_R11_3_code_is_the_last_six_digits(void **state)
{
	(void)state;
	size_t n = 99;
	assert_int_equal(passcode_split("secret123456", &n), PASSCODE_OK);
	assert_int_equal(n, 6);
	/* A password that ends in digits: still the last six. */
	assert_int_equal(passcode_split("pw-999999123456", &n), PASSCODE_OK);
	assert_int_equal(n, 9);
	assert_int_equal(passcode_split("x000000", &n), PASSCODE_OK);
	assert_int_equal(n, 1);
	/* A space belongs to the password: the code follows directly. */
	assert_int_equal(passcode_split("pw 123456", &n), PASSCODE_OK);
	assert_int_equal(n, 3);
}

static void test_R11_3_no_code_refused(void **state)
{
	(void)state;
	size_t n = 99;
	/* Full-width digits (an input method's), in one literal on purpose. */
	static const char fullwidth[] = "secret\uff11\uff12\uff13\uff14\uff15\uff16";
	const char *no_code[] = {"",        "secret",       "12345", "secret12345a", "secret 12345",
	                         fullwidth, "secret123456 "};
	for (size_t i = 0; i < sizeof(no_code) / sizeof(no_code[0]); i++) {
		n = 99;
		if (passcode_split(no_code[i], &n) != PASSCODE_NO_CODE || n != 0)
			fail_msg("answer %zu not refused as without a code", i);
	}
}

static void test_R11_3_code_alone_refused(void **state)
{
	(void)state;
	size_t n = 99;
	assert_int_equal(passcode_split("123456", &n), PASSCODE_NO_PASSWORD);
	assert_int_equal(n, 0);
}

static void test_R11_3_long_answer_refused_not_cut(void **state)
{
	(void)state;
	char answer[PASSCODE_MAX + 2];
	size_t n = 99;
	memset(answer, 'x', sizeof(answer));
	memcpy(answer + PASSCODE_MAX - 6, "123456", 6);
	answer[PASSCODE_MAX] = '\0';
	assert_int_equal(passcode_split(answer, &n), PASSCODE_OK);
	assert_int_equal(n, PASSCODE_MAX - 6);
	memcpy(answer + PASSCODE_MAX - 5, "123456", 6);
	answer[PASSCODE_MAX + 1] = '\0';
	assert_int_equal(passcode_split(answer, &n), PASSCODE_TOO_LONG);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R11_3_code_is_the_last_six_digits),
	    cmocka_unit_test(test_R11_3_no_code_refused),
	    cmocka_unit_test(test_R11_3_code_alone_refused),
	    cmocka_unit_test(test_R11_3_long_answer_refused_not_cut),
	};
	return cmocka_run_group_tests_name("passcode", tests, NULL, NULL);
}
