/* Unit tests for lib/net/jsonout.c, which writes the mobile-ID request bodies (R4.5): the JSON
 * must parse back to the same strings, and text that is not UTF-8 or too long gives nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/wipe.h"
#include "net/jsonout.h"
#include "net/strictjson.h"
#include <json-c/json.h>

static void test_R4_5_members_written_in_order(void **state)
{
	struct jsonout j;
	(void)state;
	jsonout_begin(&j, 1024);
	char *empty = jsonout_finish(&j);
	assert_string_equal(empty, "{}");
	regs_free_secret_str(empty);
	jsonout_begin(&j, 1024);
	jsonout_member(&j, "transaction_id", "t-1");
	jsonout_member(&j, "hint", "台北");
	char *s = jsonout_finish(&j);
	assert_string_equal(s, "{\"transaction_id\":\"t-1\",\"hint\":\"台北\"}");
	regs_free_secret_str(s);
}

static void test_R4_5_special_characters_escaped(void **state)
{
	static const char value[] = "a\"b\\c\nd\x01\x7f/";
	struct jsonout j;
	(void)state;
	jsonout_begin(&j, 1024);
	jsonout_member(&j, "v", value);
	char *s = jsonout_finish(&j);
	assert_string_equal(s, "{\"v\":\"a\\\"b\\\\c\\u000ad\\u0001\x7f/\"}");
	struct json_object *o = sjson_parse_object(s, strlen(s));
	assert_non_null(o);
	assert_string_equal(sjson_string_member(o, "v"), value);
	json_object_put(o);
	regs_free_secret_str(s);
}

static void test_R4_5_text_not_utf8_refused(void **state)
{
	struct jsonout j;
	(void)state;
	jsonout_begin(&j, 1024);
	jsonout_member(&j, "hint", "ok");
	jsonout_member(&j, "id_num", "A12345678\xff");
	jsonout_member(&j, "later", "ok");
	assert_null(jsonout_finish(&j));
	jsonout_begin(&j, 1024);
	jsonout_member(&j, "\xc0\xaf", "ok");
	assert_null(jsonout_finish(&j));
}

static void test_R4_5_body_over_its_limit_refused(void **state)
{
	struct jsonout j;
	(void)state;
	jsonout_begin(&j, 12); /* {"a":"1234"} is exactly 12 */
	jsonout_member(&j, "a", "1234");
	char *s = jsonout_finish(&j);
	assert_string_equal(s, "{\"a\":\"1234\"}");
	regs_free_secret_str(s);
	jsonout_begin(&j, 12);
	jsonout_member(&j, "a", "12345");
	assert_null(jsonout_finish(&j));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R4_5_members_written_in_order),
	    cmocka_unit_test(test_R4_5_special_characters_escaped),
	    cmocka_unit_test(test_R4_5_text_not_utf8_refused),
	    cmocka_unit_test(test_R4_5_body_over_its_limit_refused),
	};
	return cmocka_run_group_tests_name("jsonout", tests, NULL, NULL);
}
