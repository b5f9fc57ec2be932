/* The strict JSON reader (lib/net/strictjson.c) every untrusted JSON answer goes through: any input
 * as an object, then every member read back as plain strings. */
#include "fuzz_util.h"
#include "net/strictjson.h"
#include <json-c/json.h>
#include <string.h>

const char fuzz_target_name[] = "strictjson";

static void walk(struct json_object *o, int depth)
{
	if (depth > 64 || !json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, value)
	{
		if (sjson_member(o, key) != value) /* json-c's null is NULL */
			fuzz_fail("sjson_member: not the member's value");
		const char *s = sjson_plain_string(value);
		if (s != NULL && strlen(s) != (size_t)json_object_get_string_len(value))
			fuzz_fail("sjson_plain_string: an embedded NUL");
		(void)sjson_string_member(o, key);
		walk(value, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = sjson_parse_object((const char *)data, size);
	if (o != NULL && !json_object_is_type(o, json_type_object))
		fuzz_fail("sjson_parse_object: not an object");
	walk(o, 0);
	(void)sjson_member(o, "keys");
	(void)sjson_string_member(o, "error");
	json_object_put(o);
	return 0;
}
