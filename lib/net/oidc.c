/* OpenID Connect device authorization grant (RFC 8628, R5.5): the provider's JSON answers read into
 * plain structs (json-c), and the form bodies of the requests. */
#include "net/oidc.h"
#include "base/wipe.h"
#include "net/http.h"

#include "net/strictjson.h"
#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OIDC_EXPIRES_MAX 3600
#define OIDC_INTERVAL_DEFAULT 5
#define OIDC_INTERVAL_MAX 3600
#define OIDC_ERROR_CODE_MAX 64
#define OIDC_DEFAULT_SCOPE "openid email"
#define OIDC_DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

/* ---- JSON helpers ---- */

/* Control characters could drive the terminal the user code and URL are shown on. */
static int has_control_character(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

/* Copies a string member into dst (size bytes with the NUL). An absent member leaves "" and is
 * an error only when required; one that is not a string, too long (never truncated), empty when
 * required, or holds a control character is REGS_ERR_INVALID. */
static enum regs_err copy_text(json_object *o, const char *key, char *dst, size_t size,
                               int required)
{
	json_object *v = sjson_member(o, key);
	const char *s = sjson_plain_string(v);
	dst[0] = '\0';
	if (!v)
		return required ? REGS_ERR_INVALID : REGS_OK;
	if (!s || strlen(s) >= size || (required && !*s) || has_control_character(s))
		return REGS_ERR_INVALID;
	memcpy(dst, s, strlen(s) + 1);
	return REGS_OK;
}

/* An integer member (some providers send it as a string of digits). REGS_ERR_NOT_FOUND when
 * absent, REGS_ERR_INVALID when it is not an integer. */
static enum regs_err read_integer(json_object *o, const char *key, int64_t *out)
{
	json_object *v = sjson_member(o, key);
	const char *s = sjson_plain_string(v);
	if (!v)
		return REGS_ERR_NOT_FOUND;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return REGS_OK;
	}
	if (!s || !*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
		return REGS_ERR_INVALID;
	*out = strtoll(s, NULL, 10);
	return REGS_OK;
}

/* The member's characters are overwritten before json-c frees them: it holds a secret. */
static void wipe_member(json_object *o, const char *key)
{
	json_object *v = sjson_member(o, key);
	if (json_object_is_type(v, json_type_string))
		regs_wipe((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* ---- Discovery ---- */

static int is_loopback_host(const char *host, size_t n)
{
	static const char *const loopback[] = {"127.0.0.1", "[::1]", "localhost"};
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
		if (n == strlen(loopback[i]) && strncasecmp(host, loopback[i], n) == 0)
			return 1;
	return 0;
}

/* The host of an authority of n characters: up to the port, an IPv6 literal with its brackets. */
static size_t host_length(const char *authority, size_t n)
{
	if (n > 0 && authority[0] == '[') {
		const char *close = memchr(authority, ']', n);
		size_t len = close ? (size_t)(close - authority) + 1 : 0;
		return len && (len == n || authority[len] == ':') ? len : 0;
	}
	const char *colon = memchr(authority, ':', n);
	return colon ? (size_t)(colon - authority) : n;
}

/* https with a host; http only to a loopback host and only when allowed. No user info (which
 * could dress up another host as 127.0.0.1), no spaces or control characters. */
static int endpoint_url_ok(const char *url, int allow_http_loopback)
{
	int http = strncasecmp(url, "http://", 7) == 0;
	if ((!http && strncasecmp(url, "https://", 8) != 0) || has_control_character(url) ||
	    strchr(url, ' '))
		return 0;
	const char *rest = url + (http ? 7 : 8);
	size_t authority = strcspn(rest, "/?#");
	size_t host = host_length(rest, authority);
	if (host == 0 || memchr(rest, '@', authority))
		return 0;
	return !http || (allow_http_loopback && is_loopback_host(rest, host));
}

static enum regs_err copy_endpoint(json_object *o, const char *key, char dst[OIDC_URL_MAX],
                                   int allow_http_loopback)
{
	enum regs_err e = copy_text(o, key, dst, OIDC_URL_MAX, 1);
	if (e == REGS_OK && !endpoint_url_ok(dst, allow_http_loopback))
		e = REGS_ERR_INVALID;
	return e;
}

static enum regs_err read_discovery(json_object *o, const char *expected_issuer,
                                    int allow_http_loopback, struct oidc_endpoints *out)
{
	enum regs_err e = copy_text(o, "issuer", out->issuer, sizeof(out->issuer), 1);
	if (e == REGS_OK && expected_issuer && *expected_issuer &&
	    strcmp(out->issuer, expected_issuer) != 0)
		e = REGS_ERR_INVALID;
	if (e == REGS_OK)
		e = copy_endpoint(o, "device_authorization_endpoint", out->device_endpoint,
		                  allow_http_loopback);
	if (e == REGS_OK)
		e = copy_endpoint(o, "token_endpoint", out->token_endpoint, allow_http_loopback);
	if (e == REGS_OK)
		e = copy_endpoint(o, "jwks_uri", out->jwks_uri, allow_http_loopback);
	return e;
}

enum regs_err oidc_parse_discovery(const char *json, size_t len, const char *expected_issuer,
                                   int allow_http_loopback, struct oidc_endpoints *out)
{
	struct oidc_endpoints found = {0};
	json_object *o = sjson_parse_object(json, len);
	enum regs_err e =
	    o ? read_discovery(o, expected_issuer, allow_http_loopback, &found) : REGS_ERR_INVALID;
	json_object_put(o);
	if (e == REGS_OK)
		*out = found;
	return e;
}

/* ---- Device authorization response ---- */

static enum regs_err read_device_times(json_object *o, struct oidc_device *out)
{
	int64_t expires_in = 0, interval = OIDC_INTERVAL_DEFAULT;
	enum regs_err e = read_integer(o, "expires_in", &expires_in);
	if (e != REGS_OK || expires_in < 1 || expires_in > OIDC_EXPIRES_MAX)
		return REGS_ERR_INVALID;
	e = read_integer(o, "interval", &interval);
	if ((e != REGS_OK && e != REGS_ERR_NOT_FOUND) || interval > OIDC_INTERVAL_MAX)
		return REGS_ERR_INVALID;
	out->expires_in = (unsigned)expires_in;
	out->interval = interval < 1 ? 1 : (unsigned)interval;
	return REGS_OK;
}

/* RFC 8628 3.2 says verification_uri; Google says verification_url. */
static enum regs_err read_verification_uri(json_object *o, struct oidc_device *out)
{
	const char *key =
	    sjson_member(o, "verification_uri") ? "verification_uri" : "verification_url";
	enum regs_err e = copy_text(o, key, out->verification_uri, OIDC_URL_MAX, 1);
	if (e == REGS_OK)
		e = copy_text(o, "verification_uri_complete", out->verification_uri_complete,
		              OIDC_URL_MAX, 0);
	return e;
}

static enum regs_err read_device(json_object *o, struct oidc_device *out)
{
	enum regs_err e = copy_text(o, "device_code", out->device_code, OIDC_CODE_MAX, 1);
	if (e == REGS_OK)
		e = copy_text(o, "user_code", out->user_code, OIDC_USER_CODE_MAX, 1);
	if (e == REGS_OK)
		e = read_verification_uri(o, out);
	if (e == REGS_OK)
		e = read_device_times(o, out);
	return e;
}

enum regs_err oidc_parse_device(const char *json, size_t len, struct oidc_device *out)
{
	struct oidc_device found = {0};
	json_object *o = sjson_parse_object(json, len);
	enum regs_err e = o ? read_device(o, &found) : REGS_ERR_INVALID;
	wipe_member(o, "device_code");
	json_object_put(o);
	if (e == REGS_OK)
		*out = found;
	regs_wipe(&found, sizeof(found));
	return e;
}

/* ---- Token endpoint answer ---- */

static const struct {
	const char *code;
	enum oidc_poll poll;
	const char *reason;
} poll_errors[] = {
    {"authorization_pending", OIDC_POLL_PENDING, "authorization pending"},
    {"slow_down", OIDC_POLL_SLOW_DOWN, "polling too fast"},
    {"access_denied", OIDC_POLL_DENIED, "the user denied the request"},
    {"expired_token", OIDC_POLL_EXPIRED, "the device code expired"},
    {"invalid_grant", OIDC_POLL_EXPIRED, "the device code is no longer valid"},
};

/* The provider's error code for the log, reduced to characters that cannot mislead it. */
static void describe_unknown_error(const char *code, char *err, size_t errlen)
{
	char safe[OIDC_ERROR_CODE_MAX];
	size_t n = 0;
	for (; code && code[n] && n + 1 < sizeof(safe); n++) {
		char c = code[n];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
		safe[n] = plain ? c : '?';
	}
	safe[n] = '\0';
	snprintf(err, errlen, "token endpoint error: %s", n ? safe : "(not a string)");
}

static enum oidc_poll poll_error(json_object *error, char *err, size_t errlen)
{
	const char *code = sjson_plain_string(error);
	for (size_t i = 0; code && i < sizeof(poll_errors) / sizeof(poll_errors[0]); i++)
		if (strcmp(code, poll_errors[i].code) == 0) {
			snprintf(err, errlen, "%s", poll_errors[i].reason);
			return poll_errors[i].poll;
		}
	describe_unknown_error(code, err, errlen);
	return OIDC_POLL_ERROR;
}

static enum oidc_poll take_id_token(json_object *o, char **id_token, char *err, size_t errlen)
{
	const char *token = sjson_plain_string(sjson_member(o, "id_token"));
	if (!token || !*token) {
		snprintf(err, errlen, "no id_token in the token endpoint's answer");
		return OIDC_POLL_ERROR;
	}
	if (!(*id_token = strdup(token))) {
		snprintf(err, errlen, "out of memory");
		return OIDC_POLL_ERROR;
	}
	snprintf(err, errlen, "%s", "");
	return OIDC_POLL_TOKEN;
}

enum oidc_poll oidc_parse_token(const char *json, size_t len, char **id_token, char *err,
                                size_t errlen)
{
	static const char *const secrets[] = {"id_token", "access_token", "refresh_token"};
	enum oidc_poll poll = OIDC_POLL_ERROR;
	json_object *o = sjson_parse_object(json, len);
	json_object *error = sjson_member(o, "error");
	*id_token = NULL;
	if (!o)
		snprintf(err, errlen, "the token endpoint's answer is not JSON");
	else if (error) /* an error wins over any token sent with it */
		poll = poll_error(error, err, errlen);
	else
		poll = take_id_token(o, id_token, err, errlen);
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		wipe_member(o, secrets[i]);
	json_object_put(o);
	return poll;
}

/* ---- Form bodies ---- */

char *oidc_device_form(const char *client_id, const char *client_secret, const char *scope)
{
	char *form = NULL;
	if (!client_id || !*client_id)
		return NULL;
	/* http_form_add frees the form when it fails */
	if (http_form_add(&form, "client_id", client_id) != REGS_OK ||
	    (client_secret && *client_secret &&
	     http_form_add(&form, "client_secret", client_secret) != REGS_OK) ||
	    http_form_add(&form, "scope", scope && *scope ? scope : OIDC_DEFAULT_SCOPE) != REGS_OK)
		return NULL;
	return form;
}

char *oidc_token_form(const char *client_id, const char *client_secret, const char *device_code)
{
	char *form = NULL;
	if (!client_id || !*client_id || !device_code || !*device_code)
		return NULL;
	if (http_form_add(&form, "grant_type", OIDC_DEVICE_GRANT) != REGS_OK ||
	    http_form_add(&form, "device_code", device_code) != REGS_OK ||
	    http_form_add(&form, "client_id", client_id) != REGS_OK ||
	    (client_secret && *client_secret &&
	     http_form_add(&form, "client_secret", client_secret) != REGS_OK))
		return NULL;
	return form;
}
