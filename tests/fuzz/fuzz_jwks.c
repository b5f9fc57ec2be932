/* JSON Web Key Sets (lib/net/jwt.c): any input as a JWKS, then a token the harness signed with its
 * own key (kid "fuzz") verified against the parsed set, so key lookup and the RSA key building
 * run on whatever keys the input holds. */
#include "fuzz_util.h"
#include "net/jwt.h"
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "jwks";

static char *token;

/* A token signed by a fresh key: with the input's keys it verifies only if the input has it. */
static void setup(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	if (key == NULL)
		fuzz_fail("EVP_RSA_gen");
	static const char header[] = "{\"alg\":\"RS256\",\"kid\":\"fuzz\",\"typ\":\"JWT\"}";
	static const char payload[] = "{\"iss\":\"https://accounts.google.com\",\"aud\":\"fuzz\","
	                              "\"sub\":\"1\",\"iat\":1700000000,\"exp\":1700003600}";
	char *h = fuzz_base64((const uint8_t *)header, strlen(header), 1);
	char *p = fuzz_base64((const uint8_t *)payload, strlen(payload), 1);
	size_t signed_len = strlen(h) + 1 + strlen(p);
	char *t = malloc(signed_len + 1);
	if (t == NULL)
		fuzz_fail("out of memory");
	strcpy(t, h);
	strcat(t, ".");
	strcat(t, p);
	uint8_t *sig;
	size_t sig_len;
	fuzz_sign(key, t, signed_len, &sig, &sig_len);
	char *s = fuzz_base64(sig, sig_len, 1);
	token = malloc(signed_len + 2 + strlen(s));
	if (token == NULL)
		fuzz_fail("out of memory");
	strcpy(token, t);
	strcat(token, ".");
	strcat(token, s);
	free(s);
	free(sig);
	free(t);
	free(h);
	free(p);
	EVP_PKEY_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (token == NULL)
		setup();
	static const char *const issuers[] = {"https://accounts.google.com", NULL};
	struct jwt_expect x = {issuers, "fuzz", FUZZ_NOW, 60, 0, NULL};
	struct jwt_claims claims;
	struct jwks *keys = NULL;
	if (jwks_parse((const char *)data, size, &keys) == REGS_OK) {
		if (keys == NULL)
			fuzz_fail("jwks_parse: REGS_OK without a set");
		(void)jwks_count(keys);
		(void)jwt_verify(token, keys, &x, &claims);
	}
	jwks_free(keys);
	ERR_clear_error();
	return 0;
}
