/* HTTP(S) requests with libcurl for regsd's network flows (OIDC, mobile ID): TLS always verified,
 * size-capped, time-limited; the body of the answer is returned whatever its status. */
#ifndef REGS_HTTP_H
#define REGS_HTTP_H
#include "base/error.h"
#include <stddef.h>

struct http_opts {
	const char *ca_file;  /* CA bundle for https ("" or NULL = the system's) */
	long timeout_seconds; /* whole request; 0 = 20 */
	size_t max_bytes;     /* largest body accepted; 0 = 1 MiB */
};

struct http_response {
	long status;
	char *body; /* NUL-terminated (the NUL is not counted in len); wiped when freed */
	size_t len;
	long max_age; /* from Cache-Control: max-age=N; -1 when absent or no-store/no-cache */
};

/* One request: http and https only (no other scheme, also not on redirect; at
 * most 3 redirects, GET only), certificates and host names verified. REGS_OK
 * when a whole answer arrived, whatever its HTTP status (the caller reads the
 * status and the body); REGS_ERR_IO when the server cannot be reached, the
 * connection broke, TLS failed, the time ran out, or the body was cut short;
 * REGS_ERR_FULL when the body is larger than max_bytes. err gets a short
 * reason without any secret (never the request body). */
enum regs_err http_get(const struct http_opts *o, const char *url, struct http_response *out,
                       char *err, size_t errlen);
/* POST with Content-Type application/x-www-form-urlencoded; form is already encoded. */
enum regs_err http_post_form(const struct http_opts *o, const char *url, const char *form,
                             struct http_response *out, char *err, size_t errlen);
/* POST with Content-Type application/json. */
enum regs_err http_post_json(const struct http_opts *o, const char *url, const char *json,
                             struct http_response *out, char *err, size_t errlen);
/* Wipes and frees the body; the struct may be reused. */
void http_response_free(struct http_response *r);

/* Appends "name=value" (both percent-encoded, "&" between pairs) to a
 * malloc'd form string; *form may start NULL. REGS_ERR_NOMEM on failure
 * (then *form is wiped and freed, and NULL); REGS_ERR_INVALID, the same way,
 * when name or value is NULL. The old buffer is wiped, never realloc'd. */
enum regs_err http_form_add(char **form, const char *name, const char *value);

/* Calls curl_global_init once; call before starting threads. */
void http_global_init(void);

#endif
