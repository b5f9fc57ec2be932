/* Unit tests for the device authorization grant's messages (R5.5, RFC 8628): discovery, the
 * device answer, the token endpoint's answers as Google and other providers send them, forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/wipe.h"
#include "net/http.h"
#include "net/oidc.h"

#define GOOGLE "https://accounts.google.com"
#define ID_TOKEN "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
#define DEVICE_CODE "AH-1Ng2Ks5ZqYwTJrV1JQdH8sW3cAqT0yRtu"

/* Google's discovery document, shortened. */
static const char google_discovery[] =
    "{\n"
    " \"issuer\": \"https://accounts.google.com\",\n"
    " \"authorization_endpoint\": \"https://accounts.google.com/o/oauth2/v2/auth\",\n"
    " \"device_authorization_endpoint\": \"https://oauth2.googleapis.com/device/code\",\n"
    " \"token_endpoint\": \"https://oauth2.googleapis.com/token\",\n"
    " \"jwks_uri\": \"https://www.googleapis.com/oauth2/v3/certs\",\n"
    " \"response_types_supported\": [\"code\", \"token\", \"id_token\"],\n"
    " \"id_token_signing_alg_values_supported\": [\"RS256\"]\n"
    "}\n";

/* A discovery document with the three endpoints given; NULL leaves one out. */
static const char *discovery(const char *issuer, const char *device, const char *token,
                             const char *jwks)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), "{\"issuer\":\"%s\"", issuer);
	if (device)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		         ",\"device_authorization_endpoint\":\"%s\"", device);
	if (token)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ",\"token_endpoint\":\"%s\"",
		         token);
	if (jwks)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ",\"jwks_uri\":\"%s\"",
		         jwks);
	strcat(buf, "}");
	return buf;
}

static enum regs_err parse_discovery(const char *json, const char *expected, int loopback,
                                     struct oidc_endpoints *out)
{
	return oidc_parse_discovery(json, strlen(json), expected, loopback, out);
}

static enum regs_err parse_local(const char *url, int loopback)
{
	struct oidc_endpoints e;
	const char *json = discovery("http://127.0.0.1:8080", url, url, url);
	return parse_discovery(json, "http://127.0.0.1:8080", loopback, &e);
}

static enum regs_err parse_device(const char *json, struct oidc_device *out)
{
	return oidc_parse_device(json, strlen(json), out);
}

/* Parses a token answer and checks that err never carries the token. */
static enum oidc_poll parse_token(const char *json, char **id_token, char *err, size_t errlen)
{
	enum oidc_poll p = oidc_parse_token(json, strlen(json), id_token, err, errlen);
	assert_null(strstr(err, "eyJ"));
	assert_null(strstr(err, DEVICE_CODE));
	return p;
}

/* ---- Discovery ---- */

static void test_R5_5_discovery_accepted(void **state)
{
	(void)state;
	struct oidc_endpoints e;
	assert_int_equal(parse_discovery(google_discovery, GOOGLE, 0, &e), REGS_OK);
	assert_string_equal(e.issuer, GOOGLE);
	assert_string_equal(e.device_endpoint, "https://oauth2.googleapis.com/device/code");
	assert_string_equal(e.token_endpoint, "https://oauth2.googleapis.com/token");
	assert_string_equal(e.jwks_uri, "https://www.googleapis.com/oauth2/v3/certs");
	assert_int_equal(parse_discovery(google_discovery, "", 0, &e), REGS_OK);
	assert_int_equal(parse_discovery(google_discovery, NULL, 0, &e), REGS_OK);
}

static void test_R5_5_discovery_wrong_issuer_refused(void **state)
{
	(void)state;
	struct oidc_endpoints e;
	memset(&e, 0, sizeof(e));
	assert_int_equal(parse_discovery(google_discovery, "https://login.example.org", 0, &e),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_discovery(google_discovery, GOOGLE "/", 0, &e), REGS_ERR_INVALID);
	assert_string_equal(e.token_endpoint, ""); /* nothing filled in */
	const char *no_issuer = "{\"device_authorization_endpoint\":\"https://a.example/d\","
	                        "\"token_endpoint\":\"https://a.example/t\","
	                        "\"jwks_uri\":\"https://a.example/k\"}";
	assert_int_equal(parse_discovery(no_issuer, GOOGLE, 0, &e), REGS_ERR_INVALID);
}

static void test_R5_5_discovery_missing_endpoint_refused(void **state)
{
	(void)state;
	struct oidc_endpoints e;
	const char *d = "https://idp.example/device", *t = "https://idp.example/token",
	           *k = "https://idp.example/jwks";
	const char *i = "https://idp.example";
	assert_int_equal(parse_discovery(discovery(i, d, t, k), i, 0, &e), REGS_OK);
	assert_int_equal(parse_discovery(discovery(i, NULL, t, k), i, 0, &e), REGS_ERR_INVALID);
	assert_int_equal(parse_discovery(discovery(i, d, NULL, k), i, 0, &e), REGS_ERR_INVALID);
	assert_int_equal(parse_discovery(discovery(i, d, t, NULL), i, 0, &e), REGS_ERR_INVALID);
	assert_int_equal(parse_discovery(discovery(i, d, t, ""), i, 0, &e), REGS_ERR_INVALID);
}

static void test_R5_5_discovery_http_endpoint_refused(void **state)
{
	(void)state;
	struct oidc_endpoints e;
	const char *i = "https://idp.example";
	const char *json = discovery(i, "https://idp.example/device", "http://idp.example/token",
	                             "https://idp.example/jwks");
	assert_int_equal(parse_discovery(json, i, 0, &e), REGS_ERR_INVALID);
	assert_int_equal(parse_discovery(json, i, 1, &e), REGS_ERR_INVALID);
	assert_int_equal(parse_local("http://127.0.0.1:8080/token", 0), REGS_ERR_INVALID);
	assert_int_equal(parse_local("ftp://idp.example/token", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("https://", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("idp.example/token", 1), REGS_ERR_INVALID);
}

static void test_R5_5_discovery_http_loopback_accepted_when_allowed(void **state)
{
	(void)state;
	assert_int_equal(parse_local("http://127.0.0.1:8080/token", 1), REGS_OK);
	assert_int_equal(parse_local("http://127.0.0.1/token", 1), REGS_OK);
	assert_int_equal(parse_local("http://localhost:9000/token", 1), REGS_OK);
	assert_int_equal(parse_local("http://[::1]:9000/token", 1), REGS_OK);
	assert_int_equal(parse_local("https://127.0.0.1:8443/token", 0), REGS_OK);
}

static void test_R5_5_discovery_loopback_lookalikes_refused(void **state)
{
	(void)state;
	assert_int_equal(parse_local("http://127.0.0.1@evil.example/token", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("http://127.0.0.1.evil.example/token", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("http://localhost.evil.example/token", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("http://evil.example/127.0.0.1", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("http://[::1].evil/token", 1), REGS_ERR_INVALID);
	assert_int_equal(parse_local("https://idp.example/a b", 1), REGS_ERR_INVALID);
}

static void test_R5_5_discovery_not_json_refused(void **state)
{
	(void)state;
	struct oidc_endpoints e;
	size_t half = strlen(google_discovery) / 2;
	assert_int_equal(oidc_parse_discovery(google_discovery, half, GOOGLE, 0, &e),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_discovery("<html>502 Bad Gateway</html>", GOOGLE, 0, &e),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_discovery("[]", GOOGLE, 0, &e), REGS_ERR_INVALID);
	assert_int_equal(oidc_parse_discovery("", 0, GOOGLE, 0, &e), REGS_ERR_INVALID);
}

static void test_R5_5_discovery_overlong_url_refused(void **state)
{
	(void)state;
	struct oidc_endpoints e;
	char url[OIDC_URL_MAX + 32] = "https://idp.example/";
	size_t used = strlen(url);
	memset(url + used, 'a', OIDC_URL_MAX - used);
	url[OIDC_URL_MAX] = '\0'; /* one byte too long for the field with its NUL */
	const char *i = "https://idp.example";
	assert_int_equal(parse_discovery(discovery(i, url, url, url), i, 0, &e), REGS_ERR_INVALID);
	url[OIDC_URL_MAX - 1] = '\0'; /* fits exactly */
	assert_int_equal(parse_discovery(discovery(i, url, url, url), i, 0, &e), REGS_OK);
	assert_string_equal(e.jwks_uri, url);
}

/* ---- The device authorization answer ---- */

static void test_R5_5_device_answer_google_verification_url(void **state)
{
	(void)state;
	struct oidc_device d;
	const char *json = "{\n  \"device_code\": \"" DEVICE_CODE "\",\n"
	                   "  \"user_code\": \"GQVQ-JKEC\",\n"
	                   "  \"verification_url\": \"https://www.google.com/device\",\n"
	                   "  \"expires_in\": 1800,\n  \"interval\": 5\n}";
	assert_int_equal(parse_device(json, &d), REGS_OK);
	assert_string_equal(d.device_code, DEVICE_CODE);
	assert_string_equal(d.user_code, "GQVQ-JKEC");
	assert_string_equal(d.verification_uri, "https://www.google.com/device");
	assert_string_equal(d.verification_uri_complete, "");
	assert_int_equal(d.expires_in, 1800);
	assert_int_equal(d.interval, 5);
}

static void test_R5_5_device_answer_verification_uri(void **state)
{
	(void)state;
	struct oidc_device d;
	const char *json = "{\"device_code\":\"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS\","
	                   "\"user_code\":\"WDJB-MJHT\","
	                   "\"verification_uri\":\"https://example.com/device\","
	                   "\"verification_uri_complete\":\"https://example.com/device?user_code="
	                   "WDJB-MJHT\",\"expires_in\":1800,\"interval\":7}";
	assert_int_equal(parse_device(json, &d), REGS_OK);
	assert_string_equal(d.verification_uri, "https://example.com/device");
	assert_string_equal(d.verification_uri_complete,
	                    "https://example.com/device?user_code=WDJB-MJHT");
	assert_int_equal(d.interval, 7);
}

static void test_R5_5_device_answer_missing_field_refused(void **state)
{
	(void)state;
	struct oidc_device d;
	assert_int_equal(parse_device("{\"device_code\":\"x\",\"verification_uri\":\"https://e/d\","
	                              "\"expires_in\":600}",
	                              &d),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_device("{\"user_code\":\"A-B\",\"verification_uri\":\"https://e/d\","
	                              "\"expires_in\":600}",
	                              &d),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_device("{\"device_code\":\"x\",\"user_code\":\"A-B\","
	                              "\"expires_in\":600}",
	                              &d),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_device("{\"device_code\":\"x\",\"user_code\":\"A-B\","
	                              "\"verification_uri\":\"https://e/d\"}",
	                              &d),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_device("{\"device_code\":\"x\",\"user_code\":\"\","
	                              "\"verification_uri\":\"https://e/d\",\"expires_in\":600}",
	                              &d),
	                 REGS_ERR_INVALID);
}

/* A device answer with the given expires_in and interval members (raw JSON, or NULL). */
static enum regs_err parse_times(const char *expires_in, const char *interval,
                                 struct oidc_device *d)
{
	char json[512];
	snprintf(json, sizeof(json),
	         "{\"device_code\":\"x\",\"user_code\":\"A-B\",\"verification_uri\":\"https://e/d\""
	         "%s%s%s%s}",
	         expires_in ? ",\"expires_in\":" : "", expires_in ? expires_in : "",
	         interval ? ",\"interval\":" : "", interval ? interval : "");
	return parse_device(json, d);
}

static void test_R5_5_device_expires_in_range(void **state)
{
	(void)state;
	struct oidc_device d;
	assert_int_equal(parse_times("0", NULL, &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("-5", NULL, &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("3601", NULL, &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("99999999999999999999", NULL, &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("\"soon\"", NULL, &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("1.5", NULL, &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("3600", NULL, &d), REGS_OK);
	assert_int_equal(d.expires_in, 3600);
	assert_int_equal(parse_times("\"900\"", NULL, &d), REGS_OK); /* Azure AD v1 sends strings */
	assert_int_equal(d.expires_in, 900);
}

static void test_R5_5_device_interval_default_5(void **state)
{
	(void)state;
	struct oidc_device d;
	assert_int_equal(parse_times("600", NULL, &d), REGS_OK);
	assert_int_equal(d.interval, 5);
	assert_int_equal(parse_times("600", "0", &d), REGS_OK);
	assert_int_equal(d.interval, 1);
	assert_int_equal(parse_times("600", "-3", &d), REGS_OK);
	assert_int_equal(d.interval, 1);
	assert_int_equal(parse_times("600", "\"fast\"", &d), REGS_ERR_INVALID);
	assert_int_equal(parse_times("600", "100000", &d), REGS_ERR_INVALID);
}

static void test_R5_5_device_overlong_or_control_refused(void **state)
{
	(void)state;
	struct oidc_device d;
	char code[OIDC_CODE_MAX + 1];
	char json[OIDC_CODE_MAX + 256];
	memset(code, 'c', OIDC_CODE_MAX);
	code[OIDC_CODE_MAX] = '\0';
	snprintf(json, sizeof(json),
	         "{\"device_code\":\"%s\",\"user_code\":\"A-B\","
	         "\"verification_uri\":\"https://e/d\",\"expires_in\":600}",
	         code);
	assert_int_equal(parse_device(json, &d), REGS_ERR_INVALID);
	/* an escape sequence in what the terminal shows */
	assert_int_equal(parse_device("{\"device_code\":\"x\",\"user_code\":\"\\u001b[2JA-B\","
	                              "\"verification_uri\":\"https://e/d\",\"expires_in\":600}",
	                              &d),
	                 REGS_ERR_INVALID);
	assert_int_equal(parse_device("not json", &d), REGS_ERR_INVALID);
}

/* ---- The token endpoint's answers ---- */

static void test_R5_5_token_authorization_pending(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	/* Google answers 428 with this body: the status is not what we read */
	const char *json = "{\n  \"error\": \"authorization_pending\",\n"
	                   "  \"error_description\": \"Precondition Required\"\n}";
	assert_int_equal(parse_token(json, &token, err, sizeof(err)), OIDC_POLL_PENDING);
	assert_null(token);
}

static void test_R5_5_token_slow_down(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	const char *json = "{\"error\":\"slow_down\",\"error_description\":\"Forbidden\"}";
	assert_int_equal(parse_token(json, &token, err, sizeof(err)), OIDC_POLL_SLOW_DOWN);
	assert_null(token);
}

static void test_R5_5_token_access_denied(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	const char *json = "{\"error\":\"access_denied\",\"error_description\":\"Forbidden\"}";
	assert_int_equal(parse_token(json, &token, err, sizeof(err)), OIDC_POLL_DENIED);
	assert_null(token);
}

static void test_R5_5_token_expired(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	assert_int_equal(parse_token("{\"error\":\"expired_token\"}", &token, err, sizeof(err)),
	                 OIDC_POLL_EXPIRED);
	assert_int_equal(parse_token("{\"error\":\"invalid_grant\",\"error_description\":\"Bad "
	                             "Request\"}",
	                             &token, err, sizeof(err)),
	                 OIDC_POLL_EXPIRED);
	assert_null(token);
}

static void test_R5_5_token_other_error(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	assert_int_equal(parse_token("{\"error\":\"invalid_client\",\"error_description\":"
	                             "\"The OAuth client was not found.\"}",
	                             &token, err, sizeof(err)),
	                 OIDC_POLL_ERROR);
	assert_non_null(strstr(err, "invalid_client"));
	assert_int_equal(
	    parse_token("{\"error\":\"\\u001b]0;owned\\u0007\"}", &token, err, sizeof(err)),
	    OIDC_POLL_ERROR);
	assert_null(strchr(err, '\x1b'));
	assert_int_equal(parse_token("{\"error\":42}", &token, err, sizeof(err)), OIDC_POLL_ERROR);
	assert_null(token);
}

static void test_R5_5_token_id_token_present(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	const char *json = "{\"access_token\":\"ya29.a0AfH6SMB\",\"expires_in\":3599,"
	                   "\"refresh_token\":\"1//0gdX\",\"scope\":\"openid "
	                   "https://www.googleapis.com/auth/userinfo.email\","
	                   "\"token_type\":\"Bearer\",\"id_token\":\"" ID_TOKEN "\"}";
	assert_int_equal(parse_token(json, &token, err, sizeof(err)), OIDC_POLL_TOKEN);
	assert_non_null(token);
	assert_string_equal(token, ID_TOKEN);
	regs_free_secret_str(token);
}

static void test_R5_5_token_error_wins_over_id_token(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	const char *json = "{\"error\":\"access_denied\",\"id_token\":\"" ID_TOKEN "\"}";
	assert_int_equal(parse_token(json, &token, err, sizeof(err)), OIDC_POLL_DENIED);
	assert_null(token);
}

static void test_R5_5_token_without_id_token_refused(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	assert_int_equal(
	    parse_token("{\"access_token\":\"ya29.a0AfH6SMB\",\"token_type\":\"Bearer\"}", &token,
	                err, sizeof(err)),
	    OIDC_POLL_ERROR);
	assert_int_equal(parse_token("{\"id_token\":\"\"}", &token, err, sizeof(err)),
	                 OIDC_POLL_ERROR);
	assert_int_equal(parse_token("{\"id_token\":17}", &token, err, sizeof(err)),
	                 OIDC_POLL_ERROR);
	assert_null(token);
}

static void test_R5_5_token_garbage_refused(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	const char *answers[] = {"<html><body>Service Unavailable</body></html>", "", "null",
	                         "\"authorization_pending\"", "{'error':'slow_down'}"};
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		assert_int_equal(parse_token(answers[i], &token, err, sizeof(err)),
		                 OIDC_POLL_ERROR);
		assert_null(token);
	}
}

static void test_R5_5_token_truncated_json_refused(void **state)
{
	(void)state;
	char *token = NULL, err[128];
	const char *json = "{\"access_token\":\"ya29\",\"id_token\":\"" ID_TOKEN "\"}";
	for (size_t len = 1; len < strlen(json); len++) {
		assert_int_equal(oidc_parse_token(json, len, &token, err, sizeof(err)),
		                 OIDC_POLL_ERROR);
		assert_null(token);
		assert_null(strstr(err, "eyJ"));
	}
}

/* ---- Form bodies ---- */

static void test_R5_5_form_encodes_special_characters(void **state)
{
	(void)state;
	char *form = NULL;
	assert_int_equal(http_form_add(&form, "a&b", "x=y z"), REGS_OK);
	assert_string_equal(form, "a%26b=x%3Dy%20z");
	assert_int_equal(http_form_add(&form, "name", "王小明+/?#%"), REGS_OK);
	assert_string_equal(form,
	                    "a%26b=x%3Dy%20z&name=%E7%8E%8B%E5%B0%8F%E6%98%8E%2B%2F%3F%23%25");
	regs_free_secret_str(form);
	form = NULL;
	assert_int_equal(http_form_add(&form, "u", "AZaz09-._~"), REGS_OK);
	assert_string_equal(form, "u=AZaz09-._~");
	assert_int_equal(http_form_add(&form, "empty", ""), REGS_OK);
	assert_string_equal(form, "u=AZaz09-._~&empty=");
	regs_free_secret_str(form);
}

static void test_R5_5_device_form(void **state)
{
	(void)state;
	char *form = oidc_device_form("1234-abcd.apps.googleusercontent.com", NULL, "openid email");
	assert_non_null(form);
	assert_string_equal(form,
	                    "client_id=1234-abcd.apps.googleusercontent.com&scope=openid%20email");
	regs_free_secret_str(form);
	form = oidc_device_form("id", "s&e=c r", "openid");
	assert_non_null(form);
	assert_string_equal(form, "client_id=id&client_secret=s%26e%3Dc%20r&scope=openid");
	regs_free_secret_str(form);
	assert_null(oidc_device_form("", NULL, "openid"));
	assert_null(oidc_device_form(NULL, NULL, "openid"));
}

static void test_R5_5_token_form(void **state)
{
	(void)state;
	char *form = oidc_token_form("id", "GOCSPX-s3cr3t&x", DEVICE_CODE);
	assert_non_null(form);
	assert_string_equal(form,
	                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
	                    "&device_code=" DEVICE_CODE "&client_id=id"
	                    "&client_secret=GOCSPX-s3cr3t%26x");
	regs_free_secret_str(form);
	form = oidc_token_form("id", "", "a b");
	assert_non_null(form);
	assert_string_equal(form,
	                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
	                    "&device_code=a%20b&client_id=id");
	regs_free_secret_str(form);
	assert_null(oidc_token_form("id", NULL, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R5_5_discovery_accepted),
	    cmocka_unit_test(test_R5_5_discovery_wrong_issuer_refused),
	    cmocka_unit_test(test_R5_5_discovery_missing_endpoint_refused),
	    cmocka_unit_test(test_R5_5_discovery_http_endpoint_refused),
	    cmocka_unit_test(test_R5_5_discovery_http_loopback_accepted_when_allowed),
	    cmocka_unit_test(test_R5_5_discovery_loopback_lookalikes_refused),
	    cmocka_unit_test(test_R5_5_discovery_not_json_refused),
	    cmocka_unit_test(test_R5_5_discovery_overlong_url_refused),
	    cmocka_unit_test(test_R5_5_device_answer_google_verification_url),
	    cmocka_unit_test(test_R5_5_device_answer_verification_uri),
	    cmocka_unit_test(test_R5_5_device_answer_missing_field_refused),
	    cmocka_unit_test(test_R5_5_device_expires_in_range),
	    cmocka_unit_test(test_R5_5_device_interval_default_5),
	    cmocka_unit_test(test_R5_5_device_overlong_or_control_refused),
	    cmocka_unit_test(test_R5_5_token_authorization_pending),
	    cmocka_unit_test(test_R5_5_token_slow_down),
	    cmocka_unit_test(test_R5_5_token_access_denied),
	    cmocka_unit_test(test_R5_5_token_expired),
	    cmocka_unit_test(test_R5_5_token_other_error),
	    cmocka_unit_test(test_R5_5_token_id_token_present),
	    cmocka_unit_test(test_R5_5_token_error_wins_over_id_token),
	    cmocka_unit_test(test_R5_5_token_without_id_token_refused),
	    cmocka_unit_test(test_R5_5_token_garbage_refused),
	    cmocka_unit_test(test_R5_5_token_truncated_json_refused),
	    cmocka_unit_test(test_R5_5_form_encodes_special_characters),
	    cmocka_unit_test(test_R5_5_device_form),
	    cmocka_unit_test(test_R5_5_token_form),
	};
	return cmocka_run_group_tests_name("oidc", tests, NULL, NULL);
}
