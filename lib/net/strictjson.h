/* Reading untrusted JSON (OIDC, JWKS, ID tokens, mobile-ID answers) the one strict way. */
#ifndef REGS_STRICTJSON_H
#define REGS_STRICTJSON_H
#include <stddef.h>

struct json_object;

/* A JSON object (strict JSON, valid UTF-8, no NUL byte) filling exactly len
 * bytes, trailing whitespace allowed; NULL otherwise. Free with json_object_put. */
struct json_object *sjson_parse_object(const char *s, size_t len);
/* The member key of object o, or NULL (also when o is not an object). */
struct json_object *sjson_member(struct json_object *o, const char *key);
/* The string v without an embedded NUL (so C string functions see all of it), or NULL. */
const char *sjson_plain_string(struct json_object *v);
/* sjson_plain_string of member key. */
const char *sjson_string_member(struct json_object *o, const char *key);

#endif
