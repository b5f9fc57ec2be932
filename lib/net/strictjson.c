/* Strict JSON reading with json-c: one parser setting, one definition of a usable string. */
#include "net/strictjson.h"
#include <json-c/json.h>
#include <limits.h>
#include <string.h>

static int only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

struct json_object *sjson_parse_object(const char *s, size_t len)
{
	if (!s || len == 0 || len > INT_MAX || memchr(s, '\0', len))
		return NULL;
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, s, (int)len);
	size_t end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) != json_tokener_success || end > len ||
	    !only_space(s + end, len - end) || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

struct json_object *sjson_member(struct json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

const char *sjson_plain_string(struct json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	return s && strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

const char *sjson_string_member(struct json_object *o, const char *key)
{
	return sjson_plain_string(sjson_member(o, key));
}
