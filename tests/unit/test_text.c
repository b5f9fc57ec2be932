/* Unit tests for text_sanitize: what reaches the activity log from outside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/text.h"

static void test_R9_3_plain_text_kept(void **state)
{
	char out[TEXT_FIELD_MAX];
	(void)state;
	assert_string_equal(text_sanitize("sshd", out, sizeof(out)), "sshd");
	assert_string_equal(text_sanitize("2001:db8::1", out, sizeof(out)), "2001:db8::1");
	assert_string_equal(text_sanitize("台北.example", out, sizeof(out)), "台北.example");
	assert_string_equal(text_sanitize(NULL, out, sizeof(out)), "");
}

static void test_R9_3_control_characters_replaced(void **state)
{
	char out[TEXT_FIELD_MAX];
	(void)state;
	assert_string_equal(text_sanitize("a\nb\tc\033[2Jd\x7f", out, sizeof(out)), "a?b?c?[2Jd?");
	/* C1 controls (U+0080..U+009F) as well. */
	assert_string_equal(text_sanitize("x\xc2\x9by", out, sizeof(out)), "x?y");
}

static void test_R9_3_invalid_utf8_replaced(void **state)
{
	char out[TEXT_FIELD_MAX];
	(void)state;
	assert_string_equal(text_sanitize("\xff\xfe", out, sizeof(out)), "??");
	assert_string_equal(text_sanitize("\xc0\xaf", out, sizeof(out)), "??");      /* overlong */
	assert_string_equal(text_sanitize("\xed\xa0\x80", out, sizeof(out)), "???"); /* surrogate */
	assert_string_equal(text_sanitize("\xe5\x8f", out, sizeof(out)), "??");      /* truncated */
	assert_string_equal(text_sanitize("\xf4\x90\x80\x80", out, sizeof(out)),
	                    "????"); /* > U+10FFFF */
}

static void test_R9_3_long_text_cut_at_character_boundary(void **state)
{
	char in[400], out[TEXT_FIELD_MAX];
	(void)state;
	memset(in, 'h', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(strlen(text_sanitize(in, out, sizeof(out))), TEXT_FIELD_MAX - 1);
	/* 3-byte characters: never half of one at the end. */
	in[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(in, "台");
	size_t len = strlen(text_sanitize(in, out, sizeof(out)));
	assert_true(len <= TEXT_FIELD_MAX - 1);
	assert_int_equal(len % 3, 0);
	char tiny[3];
	assert_string_equal(text_sanitize("台", tiny, sizeof(tiny)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R9_3_plain_text_kept),
	    cmocka_unit_test(test_R9_3_control_characters_replaced),
	    cmocka_unit_test(test_R9_3_invalid_utf8_replaced),
	    cmocka_unit_test(test_R9_3_long_text_cut_at_character_boundary),
	};
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
