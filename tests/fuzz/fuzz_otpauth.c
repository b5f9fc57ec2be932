/* otpauth:// URIs (lib/otp/otpauth.c), built from an issuer and an account name a user or the
 * configuration chose: the input is issuer NUL account NUL secret. The URI must be one line of
 * printable ASCII (what the QR code and the terminal get) and carry the secret intact. */
#include "base/wipe.h"
#include "fuzz_util.h"
#include "otp/base32.h"
#include "otp/otpauth.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "otpauth";

static void check_uri(const char *uri, const uint8_t *secret, size_t len)
{
	for (const char *p = uri; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F)
			fuzz_fail("otpauth_uri: not printable ASCII");
	if (strncmp(uri, "otpauth://totp/", 15) != 0)
		fuzz_fail("otpauth_uri: not an otpauth://totp/ URI");
	const char *q = strchr(uri, '?');
	const char *s = q ? strstr(q, "secret=") : NULL;
	if (s == NULL)
		fuzz_fail("otpauth_uri: no secret");
	s += 7;
	size_t b32_len = strcspn(s, "&");
	char *b32 = fuzz_strndup((const uint8_t *)s, b32_len);
	uint8_t *got = malloc(len + 1);
	size_t n = 0;
	if (got == NULL || base32_decode(b32, got, len + 1, &n) != REGS_OK || n != len ||
	    (len > 0 && memcmp(got, secret, len) != 0))
		fuzz_fail("otpauth_uri: the secret does not decode back");
	free(got);
	free(b32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_strndup(data, size);
	char *issuer = buf;
	char *account = issuer + strlen(issuer) + 1;
	if (account > buf + size)
		account = buf + size;
	char *secret = account + strlen(account) + 1;
	if (secret > buf + size)
		secret = buf + size;
	size_t secret_len = (size_t)(buf + size - secret);
	char *uri = NULL;
	if (otpauth_uri(issuer, account, (const uint8_t *)secret, secret_len, &uri) == REGS_OK) {
		if (uri == NULL)
			fuzz_fail("otpauth_uri: REGS_OK without a URI");
		check_uri(uri, (const uint8_t *)secret, secret_len);
	}
	regs_free_secret_str(uri);
	free(buf);
	return 0;
}
