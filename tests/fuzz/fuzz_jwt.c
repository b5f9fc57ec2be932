/* ID tokens (lib/net/jwt.c). The input is the header JSON, a newline, and the payload JSON: the
 * harness encodes both and signs them RS256 with its own key, which the JWKS it passes holds
 * (kid "fuzz"), so the claim checks behind the signature are reached. The raw input is also
 * tried as a compact token itself (unsigned: the splitting and base64url decoding). */
#include "fuzz_util.h"
#include "net/jwt.h"
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "jwt";

static EVP_PKEY *key;
static struct jwks *keys;

static char *bn_b64url(const EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	if (!EVP_PKEY_get_bn_param(k, name, &bn))
		fuzz_fail("EVP_PKEY_get_bn_param");
	int n = BN_num_bytes(bn);
	uint8_t *bytes = malloc((size_t)n);
	if (bytes == NULL || BN_bn2bin(bn, bytes) != n)
		fuzz_fail("BN_bn2bin");
	char *out = fuzz_base64(bytes, (size_t)n, 1);
	free(bytes);
	BN_free(bn);
	return out;
}

static void setup(void)
{
	key = EVP_RSA_gen(2048);
	if (key == NULL)
		fuzz_fail("EVP_RSA_gen");
	char *n = bn_b64url(key, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64url(key, OSSL_PKEY_PARAM_RSA_E);
	char json[1024];
	int len = snprintf(json, sizeof(json),
	                   "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\","
	                   "\"kid\":\"fuzz\",\"n\":\"%s\",\"e\":\"%s\"}]}",
	                   n, e);
	free(n);
	free(e);
	if (len <= 0 || (size_t)len >= sizeof(json) ||
	    jwks_parse(json, (size_t)len, &keys) != REGS_OK)
		fuzz_fail("jwks_parse of the harness's own key");
}

/* b64url(header) "." b64url(payload) "." b64url(RS256 signature), malloc'd. */
static char *signed_token(const uint8_t *header, size_t header_len, const uint8_t *payload,
                          size_t payload_len)
{
	char *h = fuzz_base64(header, header_len, 1), *p = fuzz_base64(payload, payload_len, 1);
	size_t signed_len = strlen(h) + 1 + strlen(p);
	char *token = malloc(signed_len + 2 + 4 * 256 / 3 + 4);
	if (token == NULL)
		fuzz_fail("out of memory");
	snprintf(token, signed_len + 1, "%s.%s", h, p);
	uint8_t *sig;
	size_t sig_len;
	fuzz_sign(key, token, signed_len, &sig, &sig_len);
	char *s = fuzz_base64(sig, sig_len, 1);
	token[signed_len] = '.';
	strcpy(token + signed_len + 1, s);
	free(s);
	free(sig);
	free(h);
	free(p);
	return token;
}

static void verify(const char *token, int with_nonce)
{
	static const char *const issuers[] = {"https://accounts.google.com", "accounts.google.com",
	                                      NULL};
	struct jwt_expect x = {issuers, "fuzz-client.apps.googleusercontent.com", FUZZ_NOW, 60,
	                       600,     with_nonce ? "fuzz-nonce" : NULL};
	struct jwt_claims claims;
	char kid[JWT_KID_MAX];
	if (jwt_peek_kid(token, kid) == REGS_OK && memchr(kid, 0, sizeof(kid)) == NULL)
		fuzz_fail("jwt_peek_kid: kid not terminated");
	enum jwt_verdict v = jwt_verify(token, keys, &x, &claims);
	fuzz_note("jwt_verify", v);
	if (v == JWT_OK &&
	    (memchr(claims.sub, 0, sizeof(claims.sub)) == NULL || claims.sub[0] == '\0' ||
	     memchr(claims.email, 0, sizeof(claims.email)) == NULL))
		fuzz_fail("jwt_verify: JWT_OK with a bad subject or e-mail");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (keys == NULL)
		setup();
	const uint8_t *nl = memchr(data, '\n', size);
	size_t header_len = nl ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl ? nl + 1 : data + size;
	char *token = signed_token(data, header_len, payload, size - (size_t)(payload - data));
	verify(token, size & 1);
	free(token);
	char *raw = fuzz_strndup(data, size);
	verify(raw, 0);
	free(raw);
	ERR_clear_error();
	return 0;
}
