/* The benchmark users' deterministic secrets and current codes (bench/common.h): OpenSSL and
 * libregs' totp_code, kept out of bench/common.c so that bench/pambench loads neither. */
#include "common.h"
#include "otp/totp.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void bench_secret(const char *seed, const char *user, uint8_t out[BENCH_SECRET_BYTES])
{
	unsigned int len = BENCH_SECRET_BYTES;
	if (!HMAC(EVP_sha1(), seed, (int)strlen(seed), (const unsigned char *)user, strlen(user),
	          out, &len) ||
	    len != BENCH_SECRET_BYTES) {
		fprintf(stderr, "bench: HMAC-SHA1 failed\n");
		exit(1);
	}
}

int bench_code(const char *seed, const char *user, char out[7])
{
	uint8_t secret[BENCH_SECRET_BYTES];
	bench_secret(seed, user, secret);
	return totp_code(secret, sizeof(secret), totp_step_at((int64_t)time(NULL)), out) == REGS_OK
	           ? 0
	           : -1;
}
