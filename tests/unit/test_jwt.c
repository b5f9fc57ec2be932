/* Unit tests for ID token verification (R5.5): RSA keys made and tokens signed at test time, so
 * every refusal is of a real RS256 token that would otherwise pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "net/jwt.h"

#define T_NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 UTC */
#define SKEW 60
#define GOOGLE "https://accounts.google.com"
#define GOOGLE_BARE "accounts.google.com"
#define CLIENT_ID "1234-abcd.apps.googleusercontent.com"
#define OTHER_CLIENT "5678-efgh.apps.googleusercontent.com"
#define SUBJECT "110169484474386276334"
#define HEADER_K1 "{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}"
#define HEADER_K2 "{\"alg\":\"RS256\",\"kid\":\"k2\",\"typ\":\"JWT\"}"

static const char *const issuers[] = {GOOGLE, GOOGLE_BARE, NULL};

struct fixture {
	EVP_PKEY *key;        /* kid k1, in the set */
	EVP_PKEY *other_key;  /* kid k2, not in the set until the provider rotates */
	struct jwks *keys;    /* k1 */
	struct jwks *rotated; /* k1 and k2 */
};

/* The claims of a token; NULL or has_* = 0 leaves a claim out. */
struct claims_spec {
	const char *iss;
	const char *aud_json; /* a raw JSON value: a string or an array */
	const char *azp;
	const char *sub;
	const char *nonce;
	int has_exp, has_iat;
	int64_t exp, iat;
	const char *extra; /* raw members appended */
};

/* ---- Making keys, key sets and tokens ---- */

static char *b64url(const uint8_t *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	assert_non_null(out);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	assert_true(n >= 0);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

static char *b64url_str(const char *s)
{
	return b64url((const uint8_t *)s, strlen(s));
}

static char *key_number(EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
	int n = BN_num_bytes(bn);
	uint8_t *bytes = malloc((size_t)n);
	assert_non_null(bytes);
	assert_int_equal(BN_bn2bin(bn, bytes), n);
	char *out = b64url(bytes, (size_t)n);
	free(bytes);
	BN_free(bn);
	return out;
}

/* One JWK as the provider publishes it. */
static void append_jwk(char *buf, size_t size, EVP_PKEY *key, const char *kid)
{
	char *n = key_number(key, OSSL_PKEY_PARAM_RSA_N);
	char *e = key_number(key, OSSL_PKEY_PARAM_RSA_E);
	size_t used = strlen(buf);
	snprintf(buf + used, size - used,
	         "%s{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\",\"n\":\"%s\","
	         "\"e\":\"%s\"}",
	         buf[used - 1] == '[' ? "" : ",", kid, n, e);
	free(n);
	free(e);
}

static struct jwks *make_jwks(EVP_PKEY *k1, EVP_PKEY *k2)
{
	char json[8192] = "{\"keys\":[";
	struct jwks *set = NULL;
	append_jwk(json, sizeof(json), k1, "k1");
	if (k2)
		append_jwk(json, sizeof(json), k2, "k2");
	strcat(json, "]}");
	assert_int_equal(jwks_parse(json, strlen(json), &set), REGS_OK);
	return set;
}

static uint8_t *rs256_sign(EVP_PKEY *key, const char *input, size_t *len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, NULL, len, (const uint8_t *)input, strlen(input)), 1);
	uint8_t *sig = malloc(*len);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(md, sig, len, (const uint8_t *)input, strlen(input)), 1);
	EVP_MD_CTX_free(md);
	return sig;
}

/* "header.payload" of the two JSON texts. */
static char *signing_input(const char *header, const char *payload)
{
	char *h = b64url_str(header), *p = b64url_str(payload);
	size_t size = strlen(h) + strlen(p) + 2;
	char *out = malloc(size);
	assert_non_null(out);
	snprintf(out, size, "%s.%s", h, p);
	free(h);
	free(p);
	return out;
}

static char *join_signature(char *input, const uint8_t *sig, size_t len)
{
	char *s = b64url(sig, len);
	size_t size = strlen(input) + strlen(s) + 2;
	char *out = malloc(size);
	assert_non_null(out);
	snprintf(out, size, "%s.%s", input, s);
	free(s);
	free(input);
	return out;
}

/* A token signed with key; flip_byte >= 0 corrupts that byte of the signature. */
static char *sign_token(EVP_PKEY *key, const char *header, const char *payload, int flip_byte)
{
	char *input = signing_input(header, payload);
	size_t len = 0;
	uint8_t *sig = rs256_sign(key, input, &len);
	if (flip_byte >= 0)
		sig[flip_byte] ^= 0x01;
	char *token = join_signature(input, sig, len);
	free(sig);
	return token;
}

static void append_member(char *buf, size_t size, const char *name, const char *raw_value)
{
	size_t used = strlen(buf);
	snprintf(buf + used, size - used, "%s\"%s\":%s", used > 1 ? "," : "", name, raw_value);
}

static void append_string(char *buf, size_t size, const char *name, const char *value)
{
	char quoted[1024];
	snprintf(quoted, sizeof(quoted), "\"%s\"", value);
	append_member(buf, size, name, quoted);
}

static char *payload_json(const struct claims_spec *c)
{
	static char buf[4096];
	char number[32];
	snprintf(buf, sizeof(buf), "{");
	if (c->iss)
		append_string(buf, sizeof(buf), "iss", c->iss);
	if (c->aud_json)
		append_member(buf, sizeof(buf), "aud", c->aud_json);
	if (c->azp)
		append_string(buf, sizeof(buf), "azp", c->azp);
	if (c->sub)
		append_string(buf, sizeof(buf), "sub", c->sub);
	if (c->nonce)
		append_string(buf, sizeof(buf), "nonce", c->nonce);
	snprintf(number, sizeof(number), "%lld", (long long)c->exp);
	if (c->has_exp)
		append_member(buf, sizeof(buf), "exp", number);
	snprintf(number, sizeof(number), "%lld", (long long)c->iat);
	if (c->has_iat)
		append_member(buf, sizeof(buf), "iat", number);
	if (c->extra)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ",%s", c->extra);
	strcat(buf, "}");
	return buf;
}

/* What Google issues for a device login: every check passes. */
static struct claims_spec good_claims(void)
{
	return (struct claims_spec){
	    .iss = GOOGLE,
	    .aud_json = "\"" CLIENT_ID "\"",
	    .azp = CLIENT_ID,
	    .sub = SUBJECT,
	    .has_exp = 1,
	    .exp = T_NOW + 3600,
	    .has_iat = 1,
	    .iat = T_NOW - 5,
	    .extra = "\"email\":\"wang@example.com\",\"email_verified\":true",
	};
}

static struct jwt_expect expect_google(void)
{
	return (struct jwt_expect){
	    .issuers = issuers, .client_id = CLIENT_ID, .now = T_NOW, .skew = SKEW};
}

/* Signs the claims with k1 and verifies them against the set with k1. */
static enum jwt_verdict verify_claims(const struct fixture *f, const struct claims_spec *c)
{
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	char *token = sign_token(f->key, HEADER_K1, payload_json(c), -1);
	enum jwt_verdict v = jwt_verify(token, f->keys, &x, &out);
	free(token);
	return v;
}

static enum jwt_verdict verify_token(const struct fixture *f, const char *token)
{
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	return jwt_verify(token, f->keys, &x, &out);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->key = EVP_RSA_gen(2048);
	f->other_key = EVP_RSA_gen(2048);
	assert_non_null(f->key);
	assert_non_null(f->other_key);
	f->keys = make_jwks(f->key, NULL);
	f->rotated = make_jwks(f->key, f->other_key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	jwks_free(f->keys);
	jwks_free(f->rotated);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other_key);
	free(f);
	return 0;
}

/* ---- A good token ---- */

static void test_R5_5_valid_token_accepted(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_OK);
	assert_string_equal(out.sub, SUBJECT);
	assert_string_equal(out.iss, GOOGLE);
	assert_string_equal(out.email, "wang@example.com");
	assert_int_equal(out.email_verified, 1);
	assert_int_equal(out.exp, T_NOW + 3600);
	assert_int_equal(out.iat, T_NOW - 5);
	free(token);
}

static void test_R5_5_google_issuer_without_scheme_accepted(void **state)
{
	struct claims_spec c = good_claims();
	c.iss = GOOGLE_BARE;
	assert_int_equal(verify_claims(*state, &c), JWT_OK);
}

static void test_R5_5_email_optional(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	c.extra = "\"email_verified\":\"true\"";
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_OK);
	assert_string_equal(out.email, "");
	assert_int_equal(out.email_verified, 0);
	free(token);
}

/* ---- The signature ---- */

static void test_R5_5_bad_signature_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	const int bytes[] = {0, 100, 255};
	for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
		char *token = sign_token(f->key, HEADER_K1, payload_json(&c), bytes[i]);
		assert_int_equal(verify_token(f, token), JWT_BAD_SIGNATURE);
		free(token);
	}
}

static void test_R5_5_payload_changed_after_signing_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	c.sub = "999999999999999999999"; /* another account's sub, same signature */
	char *forged_input = signing_input(HEADER_K1, payload_json(&c));
	char *forged = malloc(strlen(token) + strlen(forged_input));
	assert_non_null(forged);
	sprintf(forged, "%s%s", forged_input, strrchr(token, '.'));
	assert_int_equal(verify_token(f, forged), JWT_BAD_SIGNATURE);
	free(forged);
	free(forged_input);
	free(token);
}

static void test_R5_5_other_key_under_known_kid_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *token = sign_token(f->other_key, HEADER_K1, payload_json(&c), -1);
	assert_int_equal(verify_token(f, token), JWT_BAD_SIGNATURE);
	free(token);
}

static void test_R5_5_truncated_signature_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *input = signing_input(HEADER_K1, payload_json(&c));
	size_t len = 0;
	uint8_t *sig = rs256_sign(f->key, input, &len);
	char *token = join_signature(input, sig, len - 3);
	assert_int_equal(verify_token(f, token), JWT_BAD_SIGNATURE);
	free(token);
	free(sig);
}

/* ---- Keys ---- */

static void test_R5_5_unknown_kid_reported(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char kid[JWT_KID_MAX];
	char *token = sign_token(f->other_key, HEADER_K2, payload_json(&c), -1);
	assert_int_equal(verify_token(f, token), JWT_UNKNOWN_KID);
	assert_int_equal(jwt_peek_kid(token, kid), REGS_OK);
	assert_string_equal(kid, "k2");
	free(token);
}

static void test_R5_5_rotated_key_accepted_after_refetch(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	char *token = sign_token(f->other_key, HEADER_K2, payload_json(&c), -1);
	assert_int_equal(jwt_verify(token, f->rotated, &x, &out), JWT_OK);
	assert_string_equal(out.sub, SUBJECT);
	free(token);
}

static void test_R5_5_no_kid_needs_exactly_one_key(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	char kid[JWT_KID_MAX] = "stale";
	char *token = sign_token(f->key, "{\"alg\":\"RS256\"}", payload_json(&c), -1);
	assert_int_equal(jwt_peek_kid(token, kid), REGS_OK);
	assert_string_equal(kid, "");
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_OK);
	assert_int_equal(jwt_verify(token, f->rotated, &x, &out), JWT_UNKNOWN_KID);
	assert_int_equal(jwt_verify(token, NULL, &x, &out), JWT_UNKNOWN_KID);
	free(token);
}

/* ---- The header ---- */

static void test_R5_5_alg_none_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *input = signing_input("{\"alg\":\"none\",\"kid\":\"k1\"}", payload_json(&c));
	size_t size = strlen(input) + 2;
	char *unsigned_token = malloc(size);
	assert_non_null(unsigned_token);
	snprintf(unsigned_token, size, "%s.", input);
	assert_int_equal(verify_token(f, unsigned_token), JWT_MALFORMED);
	free(unsigned_token);
	free(input);
	/* and with a real signature under the header */
	char *token = sign_token(f->key, "{\"alg\":\"none\",\"kid\":\"k1\"}", payload_json(&c), -1);
	assert_int_equal(verify_token(f, token), JWT_MALFORMED);
	free(token);
}

/* The classic confusion: HMAC keyed with the public key the verifier holds. */
static void test_R5_5_hs256_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *input = signing_input("{\"alg\":\"HS256\",\"kid\":\"k1\"}", payload_json(&c));
	char *n = key_number(f->key, OSSL_PKEY_PARAM_RSA_N);
	uint8_t mac[32];
	unsigned mac_len = sizeof(mac);
	assert_non_null(HMAC(EVP_sha256(), n, (int)strlen(n), (const uint8_t *)input, strlen(input),
	                     mac, &mac_len));
	char *token = join_signature(input, mac, mac_len);
	assert_int_equal(verify_token(f, token), JWT_MALFORMED);
	free(token);
	free(n);
}

static void test_R5_5_alg_must_be_exactly_rs256(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	const char *headers[] = {"{\"alg\":\"rs256\",\"kid\":\"k1\"}",
	                         "{\"alg\":\"RS512\",\"kid\":\"k1\"}",
	                         "{\"alg\":\"PS256\",\"kid\":\"k1\"}", "{\"kid\":\"k1\"}",
	                         "{\"alg\":[\"RS256\"],\"kid\":\"k1\"}"};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		char *token = sign_token(f->key, headers[i], payload_json(&c), -1);
		assert_int_equal(verify_token(f, token), JWT_MALFORMED);
		free(token);
	}
}

static void test_R5_5_crit_header_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *token = sign_token(f->key, "{\"alg\":\"RS256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}",
	                         payload_json(&c), -1);
	assert_int_equal(verify_token(f, token), JWT_MALFORMED);
	free(token);
}

static void test_R5_5_bad_base64_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	char *bad = strdup(token);
	assert_non_null(bad);
	bad[strchr(bad, '.') - bad + 3] = '!'; /* in the payload */
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	strcpy(bad, token);
	bad[2] = '+'; /* base64, not base64url, in the header */
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	free(bad);
	size_t size = strlen(token) + 3;
	bad = malloc(size);
	assert_non_null(bad);
	snprintf(bad, size, "%s==", token); /* padding */
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	/* 256 bytes leave 4 unused bits in the last character: set, they make another encoding */
	snprintf(bad, size, "%s", token);
	assert_int_equal(strlen(strrchr(bad, '.') + 1) % 4, 2);
	bad[strlen(bad) - 1] = 'B';
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	free(bad);
	free(token);
}

static void test_R5_5_not_three_parts_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	size_t size = strlen(token) + 8;
	char *bad = malloc(size);
	assert_non_null(bad);
	snprintf(bad, size, "%s.AAAA", token); /* four parts */
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	snprintf(bad, size, "%s", token);
	*strrchr(bad, '.') = '\0'; /* two parts */
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	snprintf(bad, size, ".%s", strchr(token, '.') + 1); /* empty header */
	assert_int_equal(verify_token(f, bad), JWT_MALFORMED);
	assert_int_equal(verify_token(f, ""), JWT_MALFORMED);
	assert_int_equal(verify_token(f, NULL), JWT_MALFORMED);
	assert_int_equal(verify_token(f, ".."), JWT_MALFORMED);
	free(bad);
	free(token);
}

static void test_R5_5_payload_not_json_refused(void **state)
{
	struct fixture *f = *state;
	const char *payloads[] = {"not json", "[1,2,3]", "{\"sub\":\"1\"", "{\"sub\":\"1\"} x"};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *token = sign_token(f->key, HEADER_K1, payloads[i], -1);
		assert_int_equal(verify_token(f, token), JWT_MALFORMED);
		free(token);
	}
}

static void test_R5_5_header_not_json_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	char kid[JWT_KID_MAX];
	char *token = sign_token(f->key, "RS256 k1", payload_json(&c), -1);
	assert_int_equal(verify_token(f, token), JWT_MALFORMED);
	assert_int_equal(jwt_peek_kid(token, kid), REGS_ERR_INVALID);
	assert_int_equal(jwt_peek_kid("garbage", kid), REGS_ERR_INVALID);
	free(token);
}

/* ---- The claims ---- */

static void test_R5_5_wrong_issuer_refused(void **state)
{
	struct claims_spec c = good_claims();
	const char *wrong[] = {"https://accounts.google.com.evil.example", "https://evil.example",
	                       "http://accounts.google.com", "https://accounts.google.com/", ""};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		c.iss = wrong[i];
		assert_int_equal(verify_claims(*state, &c), JWT_WRONG_ISSUER);
	}
	c.iss = NULL;
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_ISSUER);
}

static void test_R5_5_wrong_audience_refused(void **state)
{
	struct claims_spec c = good_claims();
	c.azp = NULL;
	c.aud_json = "\"" OTHER_CLIENT "\"";
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
	c.aud_json = "[\"" OTHER_CLIENT "\"]";
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
	c.aud_json = "[]";
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
	c.aud_json = "42";
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
	c.aud_json = NULL;
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
}

static void test_R5_5_azp_required_with_several_audiences(void **state)
{
	struct claims_spec c = good_claims();
	c.aud_json = "[\"" CLIENT_ID "\",\"" OTHER_CLIENT "\"]";
	assert_int_equal(verify_claims(*state, &c), JWT_OK);
	c.azp = NULL;
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
	c.azp = OTHER_CLIENT;
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
}

static void test_R5_5_single_audience_in_array_accepted(void **state)
{
	struct claims_spec c = good_claims();
	c.azp = NULL;
	c.aud_json = "[\"" CLIENT_ID "\"]";
	assert_int_equal(verify_claims(*state, &c), JWT_OK);
}

static void test_R5_5_azp_of_another_client_refused(void **state)
{
	struct claims_spec c = good_claims();
	c.azp = OTHER_CLIENT;
	assert_int_equal(verify_claims(*state, &c), JWT_WRONG_AUDIENCE);
}

static void test_R5_5_expired_token_refused(void **state)
{
	struct claims_spec c = good_claims();
	c.exp = T_NOW - SKEW - 1;
	assert_int_equal(verify_claims(*state, &c), JWT_EXPIRED);
	c.exp = T_NOW - SKEW; /* exp + skew <= now */
	assert_int_equal(verify_claims(*state, &c), JWT_EXPIRED);
	c.exp = T_NOW - SKEW + 1; /* within the tolerated skew */
	assert_int_equal(verify_claims(*state, &c), JWT_OK);
	c.has_exp = 0;
	assert_int_equal(verify_claims(*state, &c), JWT_EXPIRED);
	c.extra = "\"exp\":\"1900000000\"";
	assert_int_equal(verify_claims(*state, &c), JWT_EXPIRED);
}

static void test_R5_5_iat_in_future_refused(void **state)
{
	struct claims_spec c = good_claims();
	c.iat = T_NOW + SKEW + 1;
	assert_int_equal(verify_claims(*state, &c), JWT_ISSUED_IN_FUTURE);
	c.iat = T_NOW + SKEW; /* a clock a little ahead is tolerated */
	assert_int_equal(verify_claims(*state, &c), JWT_OK);
	c.has_iat = 0;
	assert_int_equal(verify_claims(*state, &c), JWT_ISSUED_IN_FUTURE);
}

static void test_R5_5_iat_older_than_max_age_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	x.max_age = 600;
	c.iat = T_NOW - 601;
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_ISSUED_IN_FUTURE);
	x.max_age = 0;
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_OK);
	free(token);
}

static void test_R5_5_missing_sub_refused(void **state)
{
	struct claims_spec c = good_claims();
	char long_sub[JWT_SUB_MAX + 1];
	memset(long_sub, '7', JWT_SUB_MAX);
	long_sub[JWT_SUB_MAX] = '\0';
	c.sub = NULL;
	assert_int_equal(verify_claims(*state, &c), JWT_NO_SUBJECT);
	c.sub = "";
	assert_int_equal(verify_claims(*state, &c), JWT_NO_SUBJECT);
	c.sub = long_sub; /* never truncated into another account's key */
	assert_int_equal(verify_claims(*state, &c), JWT_NO_SUBJECT);
	c.sub = NULL;
	c.extra = "\"sub\":110169484474386276334";
	assert_int_equal(verify_claims(*state, &c), JWT_NO_SUBJECT);
	c.extra = "\"sub\":\"1101\\u00004\"";
	assert_int_equal(verify_claims(*state, &c), JWT_NO_SUBJECT);
}

static void test_R5_5_nonce_checked_when_expected(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	x.nonce = "n-0S6_WzA2Mj";
	c.nonce = "n-0S6_WzA2Mj";
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_OK);
	x.nonce = "another";
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_WRONG_NONCE);
	free(token);
}

static void test_R5_5_claims_not_filled_when_refused(void **state)
{
	struct fixture *f = *state;
	struct claims_spec c = good_claims();
	struct jwt_expect x = expect_google();
	struct jwt_claims out;
	memset(&out, 0x5a, sizeof(out));
	c.exp = T_NOW - 3600;
	char *token = sign_token(f->key, HEADER_K1, payload_json(&c), -1);
	assert_int_equal(jwt_verify(token, f->keys, &x, &out), JWT_EXPIRED);
	assert_int_equal((unsigned char)out.sub[0], 0x5a);
	free(token);
}

/* ---- The key set ---- */

static enum regs_err parse_jwks(const char *json, size_t *count)
{
	struct jwks *set = NULL;
	enum regs_err e = jwks_parse(json, strlen(json), &set);
	*count = jwks_count(set);
	jwks_free(set);
	return e;
}

static void test_R5_5_jwks_skips_keys_not_for_rs256_signing(void **state)
{
	struct fixture *f = *state;
	char *n = key_number(f->key, OSSL_PKEY_PARAM_RSA_N);
	char json[4096];
	size_t count = 99;
	snprintf(json, sizeof(json),
	         "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
	         "{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"a\",\"n\":\"%s\",\"e\":\"AQAB\"},"
	         "{\"kty\":\"RSA\",\"alg\":\"RS512\",\"kid\":\"b\",\"n\":\"%s\",\"e\":\"AQAB\"},"
	         "\"not a key\","
	         "{\"kty\":\"RSA\",\"kid\":\"c\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
	         n, n, n);
	assert_int_equal(parse_jwks(json, &count), REGS_OK);
	assert_int_equal(count, 1);
	assert_int_equal(parse_jwks("{\"keys\":[]}", &count), REGS_OK);
	assert_int_equal(count, 0);
	free(n);
}

static void test_R5_5_jwks_malformed_refused(void **state)
{
	struct fixture *f = *state;
	char *n = key_number(f->key, OSSL_PKEY_PARAM_RSA_N);
	const char *bad_e[] = {"AQAB=", "AQ+B", "", "AQ", "Aw=="};
	char json[4096];
	size_t count = 0;
	assert_int_equal(parse_jwks("not json", &count), REGS_ERR_INVALID);
	assert_int_equal(parse_jwks("{\"keys\":{}}", &count), REGS_ERR_INVALID);
	assert_int_equal(parse_jwks("{}", &count), REGS_ERR_INVALID);
	assert_int_equal(parse_jwks("{\"keys\":[]", &count), REGS_ERR_INVALID);
	for (size_t i = 0; i < sizeof(bad_e) / sizeof(bad_e[0]); i++) {
		snprintf(json, sizeof(json),
		         "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}]}", n, bad_e[i]);
		assert_int_equal(parse_jwks(json, &count), REGS_ERR_INVALID);
	}
	snprintf(json, sizeof(json), "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\"}]}");
	assert_int_equal(parse_jwks(json, &count), REGS_ERR_INVALID);
	free(n);
}

static void test_R5_5_jwks_short_rsa_key_refused(void **state)
{
	(void)state;
	EVP_PKEY *weak = EVP_RSA_gen(1024);
	assert_non_null(weak);
	char json[4096] = "{\"keys\":[";
	size_t count = 0;
	append_jwk(json, sizeof(json), weak, "weak");
	strcat(json, "]}");
	assert_int_equal(parse_jwks(json, &count), REGS_ERR_INVALID);
	EVP_PKEY_free(weak);
}

static void test_jwt_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(jwt_verdict_name(JWT_OK), "ok");
	assert_string_equal(jwt_verdict_name(JWT_BAD_SIGNATURE), "bad signature");
	assert_string_equal(jwt_verdict_name(JWT_UNKNOWN_KID), "unknown kid");
	assert_string_equal(jwt_verdict_name(JWT_WRONG_AUDIENCE), "wrong audience");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R5_5_valid_token_accepted),
	    cmocka_unit_test(test_R5_5_google_issuer_without_scheme_accepted),
	    cmocka_unit_test(test_R5_5_email_optional),
	    cmocka_unit_test(test_R5_5_bad_signature_refused),
	    cmocka_unit_test(test_R5_5_payload_changed_after_signing_refused),
	    cmocka_unit_test(test_R5_5_other_key_under_known_kid_refused),
	    cmocka_unit_test(test_R5_5_truncated_signature_refused),
	    cmocka_unit_test(test_R5_5_unknown_kid_reported),
	    cmocka_unit_test(test_R5_5_rotated_key_accepted_after_refetch),
	    cmocka_unit_test(test_R5_5_no_kid_needs_exactly_one_key),
	    cmocka_unit_test(test_R5_5_alg_none_refused),
	    cmocka_unit_test(test_R5_5_hs256_refused),
	    cmocka_unit_test(test_R5_5_alg_must_be_exactly_rs256),
	    cmocka_unit_test(test_R5_5_crit_header_refused),
	    cmocka_unit_test(test_R5_5_bad_base64_refused),
	    cmocka_unit_test(test_R5_5_not_three_parts_refused),
	    cmocka_unit_test(test_R5_5_payload_not_json_refused),
	    cmocka_unit_test(test_R5_5_header_not_json_refused),
	    cmocka_unit_test(test_R5_5_wrong_issuer_refused),
	    cmocka_unit_test(test_R5_5_wrong_audience_refused),
	    cmocka_unit_test(test_R5_5_azp_required_with_several_audiences),
	    cmocka_unit_test(test_R5_5_single_audience_in_array_accepted),
	    cmocka_unit_test(test_R5_5_azp_of_another_client_refused),
	    cmocka_unit_test(test_R5_5_expired_token_refused),
	    cmocka_unit_test(test_R5_5_iat_in_future_refused),
	    cmocka_unit_test(test_R5_5_iat_older_than_max_age_refused),
	    cmocka_unit_test(test_R5_5_missing_sub_refused),
	    cmocka_unit_test(test_R5_5_nonce_checked_when_expected),
	    cmocka_unit_test(test_R5_5_claims_not_filled_when_refused),
	    cmocka_unit_test(test_R5_5_jwks_skips_keys_not_for_rs256_signing),
	    cmocka_unit_test(test_R5_5_jwks_malformed_refused),
	    cmocka_unit_test(test_R5_5_jwks_short_rsa_key_refused),
	    cmocka_unit_test(test_jwt_verdict_names),
	};
	return cmocka_run_group_tests_name("jwt", tests, setup, teardown);
}
