/* Unit tests for the one-line ASCII texts sent to web consoles (R11.2, pam_regs/plaintext.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plaintext.h"

static void fold_is(const char *in, const char *want)
{
	char *out = plaintext_fold(in);
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_R11_2_fold_joins_lines(void **state)
{
	(void)state;
	fold_is("Login methods:\n  1) Google account + OTP\n  2) password + OTP",
	        "Login methods: 1) Google account + OTP 2) password + OTP");
	fold_is("a\t\tb\r\n", "a b");
	fold_is("", "");
	fold_is(NULL, "");
}

static void test_R11_2_fold_drops_non_ascii_and_empty_brackets(void **state)
{
	(void)state;
	fold_is("citizen certificate card (\xe8\x87\xaa\xe7\x84\xb6\xe4\xba\xba\xe6\x86\x91"
	        "\xe8\xad\x89)",
	        "citizen certificate card");
	fold_is("mobile (\xe8\xa1\x8c) card\n", "mobile card");
	fold_is("\xe2\x96\x80\xe2\x96\x80 QR\n\xe2\x96\x84", "QR");
	fold_is("(kept) and ( )", "(kept) and");
	fold_is("\xe6\xad\xa4\xe5\xb8\xb3\xe8\x99\x9f", "");
}

static void test_R11_2_fold_makes_json_safe(void **state)
{
	(void)state;
	/* Cockpit 287 copies the last error text into JSON without escaping it. */
	fold_is("say \"lost\" or C:\\x\x01", "say 'lost' or C:/x?");
}

static void test_R11_2_key_grouped_by_four(void **state)
{
	char out[64];
	(void)state;
	plaintext_group_key("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", out, sizeof(out));
	assert_string_equal(out, "ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567");
	plaintext_group_key("ABCDEF", out, sizeof(out));
	assert_string_equal(out, "ABCD EF");
	plaintext_group_key("ABCDEFGH", out, 7); /* cut, never overrun */
	assert_string_equal(out, "ABCD E");
	plaintext_group_key("", out, sizeof(out));
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R11_2_fold_joins_lines),
	    cmocka_unit_test(test_R11_2_fold_drops_non_ascii_and_empty_brackets),
	    cmocka_unit_test(test_R11_2_fold_makes_json_safe),
	    cmocka_unit_test(test_R11_2_key_grouped_by_four),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
