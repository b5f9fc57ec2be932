/* otpauth://totp/ provisioning URIs (R2.1) for Google and Microsoft Authenticator. */
#include "otp/otpauth.h"

#include "base/wipe.h"
#include "otp/base32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3986 unreserved characters pass through; everything else is %XX. */
static int otpauth_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Returns a malloc'd percent-encoded copy of s, or NULL when out of memory. */
static char *otpauth_percent_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1);
	if (out == NULL)
		return NULL;
	char *w = out;
	for (const unsigned char *r = (const unsigned char *)s; *r != '\0'; r++) {
		if (otpauth_unreserved(*r)) {
			*w++ = (char)*r;
		} else {
			*w++ = '%';
			*w++ = hex[*r >> 4];
			*w++ = hex[*r & 0x0f];
		}
	}
	*w = '\0';
	return out;
}

enum regs_err otpauth_uri(const char *issuer, const char *account, const uint8_t *secret,
                          size_t len, char **out)
{
	if (issuer == NULL || account == NULL || secret == NULL || len == 0 || out == NULL)
		return REGS_ERR_INVALID;
	*out = NULL;
	enum regs_err err = REGS_ERR_NOMEM;
	size_t b32size = base32_encoded_size(len);
	char *b32 = malloc(b32size);
	char *enc_issuer = otpauth_percent_encode(issuer);
	char *enc_account = otpauth_percent_encode(account);
	if (b32 == NULL || enc_issuer == NULL || enc_account == NULL)
		goto out;
	err = base32_encode(secret, len, b32, b32size);
	if (err != REGS_OK)
		goto out;
	if (asprintf(out,
	             "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30",
	             enc_issuer, enc_account, b32, enc_issuer) < 0) {
		*out = NULL;
		err = REGS_ERR_NOMEM;
	}
out:
	if (b32 != NULL)
		regs_wipe(b32, b32size);
	free(b32);
	free(enc_issuer);
	free(enc_account);
	return err;
}
