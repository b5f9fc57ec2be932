/* Unit tests for lib/base/utf8.c: what may go into the activity log (R9.3) and into a mobile-ID
 * request body (R4.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/utf8.h"

static size_t length(const char *s)
{
	return utf8_char_length((const unsigned char *)s);
}

static void test_well_formed_characters_measured(void **state)
{
	(void)state;
	assert_int_equal(length("a"), 1);
	assert_int_equal(length(""), 1); /* the NUL is ASCII */
	assert_int_equal(length("\xc2\x80"), 2);
	assert_int_equal(length("台"), 3);
	assert_int_equal(length("\xef\xbf\xbf"), 3);
	assert_int_equal(length("\xf0\x9f\x98\x80"), 4);
	assert_int_equal(length("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
}

static void test_ill_formed_characters_refused(void **state)
{
	static const char *const bad[] = {
	    "\x80",             /* a continuation byte alone */
	    "\xc0\xaf",         /* overlong '/' */
	    "\xc1\xbf",         /* overlong */
	    "\xe0\x80\xaf",     /* overlong, 3 bytes */
	    "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
	    "\xed\xa0\x80",     /* a surrogate */
	    "\xf4\x90\x80\x80", /* past U+10FFFF */
	    "\xf8\x88\x80\x80\x80",
	    "\xff",
	    "\xe5\x8f", /* cut short by the NUL */
	    "\xe5\x8fx",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(length(bad[i]), 0);
		assert_false(utf8_valid(bad[i]));
	}
}

static void test_whole_strings_checked(void **state)
{
	(void)state;
	assert_true(utf8_valid(""));
	assert_true(utf8_valid("sshd 台北 \xf0\x9f\x98\x80 end"));
	assert_false(utf8_valid("ok\xffok"));
	assert_false(utf8_valid("台北\xe5"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_well_formed_characters_measured),
	    cmocka_unit_test(test_ill_formed_characters_refused),
	    cmocka_unit_test(test_whole_strings_checked),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
