/* OpenID Connect device authorization grant (RFC 8628, R5.5): the provider's answers parsed into
 * plain structs. No network here: daemon/google.c sends the requests with http.h. */
#ifndef REGS_OIDC_H
#define REGS_OIDC_H
#include "base/error.h"
#include <stddef.h>

#define OIDC_URL_MAX 512
#define OIDC_CODE_MAX 512 /* device_code: a secret, held only by regsd */
#define OIDC_USER_CODE_MAX 64

struct oidc_endpoints {
	char issuer[OIDC_URL_MAX];
	char device_endpoint[OIDC_URL_MAX]; /* device_authorization_endpoint */
	char token_endpoint[OIDC_URL_MAX];
	char jwks_uri[OIDC_URL_MAX];
};

/* A discovery document (/.well-known/openid-configuration). REGS_ERR_INVALID
 * when it is not JSON, lacks token_endpoint / jwks_uri /
 * device_authorization_endpoint, an endpoint is not an https URL (http is
 * accepted only for loopback hosts when allow_http_loopback is set: 127.0.0.1,
 * [::1], localhost; never with user info), or its issuer is missing or
 * differs from expected_issuer (when that is non-empty). Nothing in out
 * changes unless REGS_OK. */
enum regs_err oidc_parse_discovery(const char *json, size_t len, const char *expected_issuer,
                                   int allow_http_loopback, struct oidc_endpoints *out);

/* The device authorization response. verification_uri, or Google's
 * verification_url, must be present; interval defaults to 5 and is raised to
 * at least 1 (over 3600 is refused); expires_in must be 1..3600 (a number, or
 * a string of digits as Azure AD v1 sends). Texts with control characters
 * (shown on a terminal) or too long for their field are REGS_ERR_INVALID. */
struct oidc_device {
	char device_code[OIDC_CODE_MAX];
	char user_code[OIDC_USER_CODE_MAX];
	char verification_uri[OIDC_URL_MAX];
	char verification_uri_complete[OIDC_URL_MAX]; /* "" when absent */
	unsigned expires_in, interval;
};
enum regs_err oidc_parse_device(const char *json, size_t len, struct oidc_device *out);

/* A token endpoint answer, read from its JSON whatever the HTTP status. */
enum oidc_poll {
	OIDC_POLL_TOKEN = 0, /* id_token present: *id_token is malloc'd (wipe and free it) */
	OIDC_POLL_PENDING,   /* authorization_pending */
	OIDC_POLL_SLOW_DOWN, /* slow_down: the caller adds 5 s to its interval */
	OIDC_POLL_DENIED,    /* access_denied */
	OIDC_POLL_EXPIRED,   /* expired_token, invalid_grant */
	OIDC_POLL_ERROR,     /* any other error, no id_token, or not JSON */
};
enum oidc_poll oidc_parse_token(const char *json, size_t len, char **id_token, char *err,
                                size_t errlen);

/* The form bodies, malloc'd (wipe and free: the poll carries the device code and secret). */
char *oidc_device_form(const char *client_id, const char *client_secret, const char *scope);
char *oidc_token_form(const char *client_id, const char *client_secret, const char *device_code);

#endif
