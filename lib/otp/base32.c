/* RFC 4648 base32 through liboath, with our buffers: upper-case output without padding. */
#include "otp/base32.h"
#include "base/wipe.h"

#include <liboath/oath.h>
#include <stdlib.h>
#include <string.h>

size_t base32_encoded_size(size_t len)
{
	return (len * 8 + 4) / 5 + 1;
}

enum regs_err base32_encode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	if (out == NULL || (in == NULL && len > 0) || outsz < base32_encoded_size(len))
		return REGS_ERR_INVALID;
	out[0] = '\0';
	if (len == 0)
		return REGS_OK;
	char *padded = NULL;
	size_t padded_len = 0;
	if (oath_base32_encode((const char *)in, len, &padded, &padded_len) != OATH_OK)
		return REGS_ERR_NOMEM; /* liboath fails only to allocate */
	size_t n = padded_len;
	while (n > 0 && padded[n - 1] == '=')
		n--;
	enum regs_err err = n < outsz ? REGS_OK : REGS_ERR_INVALID;
	if (err == REGS_OK) {
		memcpy(out, padded, n);
		out[n] = '\0';
	}
	regs_wipe(padded, padded_len);
	free(padded);
	return err;
}

/* Length of in up to its padding, or -1 when anything but '=' and spaces follows the first
 * '=' (liboath wants the padding complete or absent; we accept any amount of it). */
static long base32_data_length(const char *in)
{
	size_t data = strcspn(in, "=");
	for (const char *s = in + data; *s != '\0'; s++)
		if (*s != '=' && *s != ' ')
			return -1;
	return (long)data;
}

enum regs_err base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen)
{
	if (in == NULL || out == NULL || outlen == NULL)
		return REGS_ERR_INVALID;
	long data = base32_data_length(in);
	if (data < 0)
		return REGS_ERR_INVALID;
	char *bytes = NULL;
	size_t n = 0;
	/* liboath skips spaces and takes lower case. */
	int rc = oath_base32_decode(in, (size_t)data, &bytes, &n);
	if (rc != OATH_OK)
		return rc == OATH_MALLOC_ERROR ? REGS_ERR_NOMEM : REGS_ERR_INVALID;
	enum regs_err err = n <= outsz ? REGS_OK : REGS_ERR_INVALID;
	if (err == REGS_OK && n > 0)
		memcpy(out, bytes, n);
	if (err == REGS_OK)
		*outlen = n;
	if (bytes != NULL)
		regs_wipe(bytes, n);
	free(bytes);
	return err;
}
