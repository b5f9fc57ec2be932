/* ID tokens (R5.5): base64url, a JWKS of RSA keys, RS256 signatures (OpenSSL 3), then the claims
 * (json-c), checked the way mod_auth_openidc does. */
#include "net/jwt.h"

#include "base/base64.h"
#include "net/strictjson.h"
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#define JWT_TOKEN_MAX 65536       /* Google's ID tokens are about 1 KiB */
#define JWK_MIN_BITS 2048         /* RFC 7518 3.3: 2048 bits or larger */
#define JWK_MAX_BITS 8192         /* larger keys only cost verification time */
#define JWK_E_MAX_BYTES 8         /* e is 65537 in practice */
#define JWT_SKEW_MAX (24 * 3600)  /* a larger configured skew is clamped */
#define JWT_TIME_MAX 4102444800.0 /* 2100-01-01: a NumericDate beyond is not one */

struct jwk {
	char kid[JWT_KID_MAX];
	EVP_PKEY *key;
};

struct jwks {
	size_t n;
	struct jwk *keys;
};

/* The three parts of a JWS compact serialisation, pointing into the token. */
struct jws_parts {
	const char *part[3];
	size_t len[3];
};

/* ---- base64url (RFC 7515 2: no padding) ---- */

#define JWT_BASE64 (BASE64_URL | BASE64_NO_PADDING)

/* Decodes n characters into a malloc'd buffer, NUL-terminated for JSON. REGS_ERR_INVALID for a
 * character outside the alphabet (also '='), an impossible length or set unused bits. */
static enum regs_err b64url_decode(const char *s, size_t n, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	if (!base64_well_formed(s, n, JWT_BASE64))
		return REGS_ERR_INVALID;
	size_t cap = n / 4 * 3 + 2;
	uint8_t *buf = malloc(cap + 1);
	if (!buf)
		return REGS_ERR_NOMEM;
	size_t len = 0;
	if (base64_decode(s, n, JWT_BASE64 | BASE64_CANONICAL, buf, cap, &len) != REGS_OK) {
		free(buf);
		return REGS_ERR_INVALID;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return REGS_OK;
}

/* ---- JSON helpers ---- */

static int string_equals(json_object *v, const char *want)
{
	const char *s = sjson_plain_string(v);
	return s && want && strcmp(s, want) == 0;
}

/* 1 when the member is absent or is the string want. */
static int absent_or_equals(json_object *o, const char *key, const char *want)
{
	json_object *v = sjson_member(o, key);
	return !v || string_equals(v, want);
}

/* Copies a plain string that fits into dst (size bytes with the NUL); 0 otherwise. */
static int copy_string(json_object *v, char *dst, size_t size)
{
	const char *s = sjson_plain_string(v);
	if (!s || strlen(s) >= size)
		return 0;
	memcpy(dst, s, strlen(s) + 1);
	return 1;
}

/* ---- The key set ---- */

static int jwk_is_rs256_signing_key(json_object *jwk)
{
	return json_object_is_type(jwk, json_type_object) &&
	       string_equals(sjson_member(jwk, "kty"), "RSA") &&
	       absent_or_equals(jwk, "use", "sig") && absent_or_equals(jwk, "alg", "RS256");
}

static enum regs_err jwk_read_kid(json_object *jwk, char kid[JWT_KID_MAX])
{
	json_object *v = sjson_member(jwk, "kid");
	kid[0] = '\0';
	return !v || copy_string(v, kid, JWT_KID_MAX) ? REGS_OK : REGS_ERR_INVALID;
}

static enum regs_err jwk_bignum(json_object *jwk, const char *name, BIGNUM **out)
{
	const char *s = sjson_plain_string(sjson_member(jwk, name));
	uint8_t *bytes = NULL;
	size_t len = 0;
	if (!s || !*s)
		return REGS_ERR_INVALID;
	enum regs_err e = b64url_decode(s, strlen(s), &bytes, &len);
	if (e != REGS_OK)
		return e;
	if (len > INT_MAX / 2 || !(*out = BN_bin2bn(bytes, (int)len, NULL)))
		e = len > INT_MAX / 2 ? REGS_ERR_INVALID : REGS_ERR_NOMEM;
	free(bytes);
	return e;
}

/* A modulus of a sane size and an odd public exponent of at least 3. */
static int rsa_numbers_ok(const BIGNUM *n, const BIGNUM *e)
{
	int bits = BN_num_bits(n);
	return bits >= JWK_MIN_BITS && bits <= JWK_MAX_BITS && BN_is_odd(n) && BN_is_odd(e) &&
	       !BN_is_one(e) && BN_num_bytes(e) <= JWK_E_MAX_BYTES;
}

static EVP_PKEY *rsa_public_key(const BIGNUM *n, const BIGNUM *e)
{
	EVP_PKEY *key = NULL;
	OSSL_PARAM *params = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1 &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return key;
}

static enum regs_err jwk_parse_rsa(json_object *jwk, struct jwk *out)
{
	BIGNUM *n = NULL, *e = NULL;
	enum regs_err err = jwk_read_kid(jwk, out->kid);
	if (err == REGS_OK)
		err = jwk_bignum(jwk, "n", &n);
	if (err == REGS_OK)
		err = jwk_bignum(jwk, "e", &e);
	if (err == REGS_OK && !rsa_numbers_ok(n, e))
		err = REGS_ERR_INVALID;
	if (err == REGS_OK && !(out->key = rsa_public_key(n, e)))
		err = REGS_ERR_INVALID;
	BN_free(n);
	BN_free(e);
	return err;
}

static enum regs_err jwks_from_array(json_object *array, struct jwks **out)
{
	size_t count = json_object_array_length(array);
	struct jwks *k = calloc(1, sizeof(*k));
	if (!k || (count && !(k->keys = calloc(count, sizeof(*k->keys))))) {
		jwks_free(k);
		return REGS_ERR_NOMEM;
	}
	enum regs_err err = REGS_OK;
	for (size_t i = 0; i < count && err == REGS_OK; i++) {
		json_object *jwk = json_object_array_get_idx(array, i);
		if (!jwk_is_rs256_signing_key(jwk))
			continue;
		err = jwk_parse_rsa(jwk, &k->keys[k->n]);
		if (err == REGS_OK)
			k->n++;
	}
	if (err != REGS_OK) {
		jwks_free(k);
		return err;
	}
	*out = k;
	return REGS_OK;
}

enum regs_err jwks_parse(const char *json, size_t len, struct jwks **out)
{
	*out = NULL;
	json_object *root = sjson_parse_object(json, len);
	json_object *keys = sjson_member(root, "keys");
	enum regs_err err = REGS_ERR_INVALID;
	if (json_object_is_type(keys, json_type_array))
		err = jwks_from_array(keys, out);
	json_object_put(root);
	return err;
}

void jwks_free(struct jwks *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		EVP_PKEY_free(k->keys[i].key);
	free(k->keys);
	free(k);
}

size_t jwks_count(const struct jwks *k)
{
	return k ? k->n : 0;
}

/* With a kid, the key that has it; without, the only key of the set. */
static const struct jwk *jwks_find(const struct jwks *k, const char *kid)
{
	if (!k || k->n == 0)
		return NULL;
	if (!*kid)
		return k->n == 1 ? &k->keys[0] : NULL;
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0)
			return &k->keys[i];
	return NULL;
}

/* ---- The JWS ---- */

/* Exactly three non-empty parts of base64url text separated by dots (decoded only later: the
 * payload not before the signature verified). */
static int jws_split(const char *token, struct jws_parts *p)
{
	size_t total = token ? strnlen(token, JWT_TOKEN_MAX + 1) : 0;
	if (total == 0 || total > JWT_TOKEN_MAX)
		return 0;
	const char *start = token;
	for (int i = 0; i < 3; i++) {
		const char *dot = strchr(start, '.');
		const char *end = dot ? dot : token + total;
		if ((i < 2) != (dot != NULL) || end == start ||
		    !base64_well_formed(start, (size_t)(end - start), JWT_BASE64))
			return 0;
		p->part[i] = start;
		p->len[i] = (size_t)(end - start);
		start = end + 1;
	}
	return 1;
}

static json_object *decode_json_part(const char *s, size_t n)
{
	uint8_t *bytes = NULL;
	size_t len = 0;
	if (b64url_decode(s, n, &bytes, &len) != REGS_OK)
		return NULL;
	json_object *o = sjson_parse_object((const char *)bytes, len);
	free(bytes);
	return o;
}

/* Only RS256: never "none", never an HMAC keyed with the public key; no extension we would
 * have to understand (crit). */
static int header_acceptable(json_object *header)
{
	return string_equals(sjson_member(header, "alg"), "RS256") && !sjson_member(header, "crit");
}

/* The header's kid ("" when absent); 0 when the token or its header does not parse. With
 * acceptable set, the header must also pass header_acceptable. */
static int read_header(const char *token, struct jws_parts *p, char kid[JWT_KID_MAX],
                       int *acceptable)
{
	if (!jws_split(token, p))
		return 0;
	json_object *header = decode_json_part(p->part[0], p->len[0]);
	int ok = header && jwk_read_kid(header, kid) == REGS_OK;
	if (acceptable)
		*acceptable = ok && header_acceptable(header);
	json_object_put(header);
	return ok;
}

enum regs_err jwt_peek_kid(const char *token, char kid[JWT_KID_MAX])
{
	struct jws_parts p;
	kid[0] = '\0';
	return read_header(token, &p, kid, NULL) ? REGS_OK : REGS_ERR_INVALID;
}

static int rs256_verify(EVP_PKEY *key, const struct jws_parts *p, const uint8_t *sig,
                        size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t signed_len = p->len[0] + 1 + p->len[1]; /* "header.payload" as it stands */
	int ok = md && sig_len == (size_t)EVP_PKEY_get_size(key) &&
	         EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) == 1 &&
	         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
	         EVP_DigestVerify(md, sig, sig_len, (const uint8_t *)p->part[0], signed_len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* ---- The claims (read only after the signature verified) ---- */

static enum jwt_verdict check_issuer(json_object *c, const char *const *issuers,
                                     char iss[JWT_ISS_MAX])
{
	json_object *v = sjson_member(c, "iss");
	for (size_t i = 0; issuers && issuers[i]; i++)
		if (string_equals(v, issuers[i]))
			return copy_string(v, iss, JWT_ISS_MAX) ? JWT_OK : JWT_WRONG_ISSUER;
	return JWT_WRONG_ISSUER;
}

/* aud is a string or an array of strings; *count says how many audiences it names. */
static int audience_contains(json_object *aud, const char *client_id, size_t *count)
{
	*count = 1;
	if (json_object_is_type(aud, json_type_string))
		return string_equals(aud, client_id);
	if (!json_object_is_type(aud, json_type_array))
		return 0;
	int found = 0;
	*count = json_object_array_length(aud);
	for (size_t i = 0; i < *count; i++)
		found |= string_equals(json_object_array_get_idx(aud, i), client_id);
	return found;
}

/* OIDC Core 3.1.3.7 (3-5): our client_id among the audiences; azp, when present, is us, and
 * it must be present when there are several audiences. */
static enum jwt_verdict check_audience(json_object *c, const char *client_id)
{
	json_object *azp = sjson_member(c, "azp");
	size_t count = 0;
	if (!client_id || !*client_id ||
	    !audience_contains(sjson_member(c, "aud"), client_id, &count))
		return JWT_WRONG_AUDIENCE;
	if ((azp || count > 1) && !string_equals(azp, client_id))
		return JWT_WRONG_AUDIENCE;
	return JWT_OK;
}

/* A NumericDate: an integer, or a fraction (truncated). 0 when absent or not a date. */
static int read_time(json_object *c, const char *key, int64_t *out)
{
	json_object *v = sjson_member(c, key);
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!isfinite(d) || fabs(d) > JWT_TIME_MAX)
			return 0;
		*out = (int64_t)d;
		return 1;
	}
	return 0;
}

static int64_t skew_of(const struct jwt_expect *x)
{
	return x->skew <= 0 ? 0 : x->skew > JWT_SKEW_MAX ? JWT_SKEW_MAX : x->skew;
}

static enum jwt_verdict check_expiry(json_object *c, const struct jwt_expect *x, int64_t *exp)
{
	if (!read_time(c, "exp", exp) || *exp <= x->now - skew_of(x))
		return JWT_EXPIRED;
	return JWT_OK;
}

static enum jwt_verdict check_issued_at(json_object *c, const struct jwt_expect *x, int64_t *iat)
{
	if (!read_time(c, "iat", iat) || *iat > x->now + skew_of(x))
		return JWT_ISSUED_IN_FUTURE;
	if (x->max_age > 0 && *iat < x->now - x->max_age)
		return JWT_ISSUED_IN_FUTURE;
	return JWT_OK;
}

static enum jwt_verdict read_subject(json_object *c, char sub[JWT_SUB_MAX])
{
	if (!copy_string(sjson_member(c, "sub"), sub, JWT_SUB_MAX) || !*sub)
		return JWT_NO_SUBJECT;
	return JWT_OK;
}

static enum jwt_verdict check_nonce(json_object *c, const char *nonce)
{
	if (nonce && !string_equals(sjson_member(c, "nonce"), nonce))
		return JWT_WRONG_NONCE;
	return JWT_OK;
}

/* Informational only (the account key is sub): an e-mail too long to be one is left out. */
static void read_email(json_object *c, struct jwt_claims *out)
{
	json_object *verified = sjson_member(c, "email_verified");
	if (!copy_string(sjson_member(c, "email"), out->email, sizeof(out->email)))
		out->email[0] = '\0';
	/* some providers send the string "true" */
	out->email_verified = out->email[0] && (json_object_is_type(verified, json_type_boolean)
	                                            ? json_object_get_boolean(verified)
	                                            : string_equals(verified, "true"));
}

static enum jwt_verdict check_claims(json_object *c, const struct jwt_expect *x,
                                     struct jwt_claims *out)
{
	memset(out, 0, sizeof(*out));
	enum jwt_verdict v = check_issuer(c, x->issuers, out->iss);
	if (v == JWT_OK)
		v = check_audience(c, x->client_id);
	if (v == JWT_OK)
		v = check_expiry(c, x, &out->exp);
	if (v == JWT_OK)
		v = check_issued_at(c, x, &out->iat);
	if (v == JWT_OK)
		v = read_subject(c, out->sub);
	if (v == JWT_OK)
		v = check_nonce(c, x->nonce);
	if (v == JWT_OK)
		read_email(c, out);
	return v;
}

enum jwt_verdict jwt_verify(const char *token, const struct jwks *keys,
                            const struct jwt_expect *expect, struct jwt_claims *out)
{
	struct jws_parts p;
	struct jwt_claims claims;
	char kid[JWT_KID_MAX];
	int acceptable = 0;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	if (!read_header(token, &p, kid, &acceptable) || !acceptable ||
	    b64url_decode(p.part[2], p.len[2], &sig, &sig_len) != REGS_OK)
		return JWT_MALFORMED;
	const struct jwk *key = jwks_find(keys, kid);
	int verified = key && rs256_verify(key->key, &p, sig, sig_len);
	free(sig);
	if (!verified)
		return key ? JWT_BAD_SIGNATURE : JWT_UNKNOWN_KID;
	json_object *payload = decode_json_part(p.part[1], p.len[1]);
	if (!payload)
		return JWT_MALFORMED;
	enum jwt_verdict v = check_claims(payload, expect, &claims);
	json_object_put(payload);
	if (v == JWT_OK && out)
		*out = claims;
	return v;
}

const char *jwt_verdict_name(enum jwt_verdict v)
{
	switch (v) {
	case JWT_OK:
		return "ok";
	case JWT_MALFORMED:
		return "malformed";
	case JWT_UNKNOWN_KID:
		return "unknown kid";
	case JWT_BAD_SIGNATURE:
		return "bad signature";
	case JWT_WRONG_ISSUER:
		return "wrong issuer";
	case JWT_WRONG_AUDIENCE:
		return "wrong audience";
	case JWT_EXPIRED:
		return "expired";
	case JWT_ISSUED_IN_FUTURE:
		return "issued in the future or too long ago";
	case JWT_NO_SUBJECT:
		return "no subject";
	case JWT_WRONG_NONCE:
		return "wrong nonce";
	}
	return "unknown";
}
