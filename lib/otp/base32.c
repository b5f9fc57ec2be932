/* RFC 4648 base32: upper-case output without padding, lenient input. */
#include "otp/base32.h"

#include <ctype.h>

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t base32_encoded_size(size_t len)
{
	return (len * 8 + 4) / 5 + 1;
}

enum regs_err base32_encode(const uint8_t *in, size_t len, char *out, size_t outsz)
{
	if (out == NULL || (in == NULL && len > 0) || outsz < base32_encoded_size(len))
		return REGS_ERR_INVALID;
	uint32_t buffer = 0;
	unsigned bits = 0;
	size_t pos = 0;
	for (size_t i = 0; i < len; i++) {
		buffer = (buffer << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[pos++] = base32_alphabet[(buffer >> bits) & 0x1f];
		}
	}
	if (bits > 0)
		out[pos++] = base32_alphabet[(buffer << (5 - bits)) & 0x1f];
	out[pos] = '\0';
	return REGS_OK;
}

/* Value of one base32 character, or -1 if it is not in the alphabet. */
static int base32_value(char c)
{
	int u = toupper((unsigned char)c);
	if (u >= 'A' && u <= 'Z')
		return u - 'A';
	if (u >= '2' && u <= '7')
		return u - '2' + 26;
	return -1;
}

/* True when s holds only '=' and spaces: the accepted padding tail. */
static int base32_only_padding(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != '=' && *s != ' ')
			return 0;
	return 1;
}

enum regs_err base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen)
{
	if (in == NULL || out == NULL || outlen == NULL)
		return REGS_ERR_INVALID;
	uint32_t buffer = 0;
	unsigned bits = 0;
	size_t pos = 0;
	for (const char *s = in; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		if (*s == '=') {
			if (!base32_only_padding(s))
				return REGS_ERR_INVALID;
			break;
		}
		int v = base32_value(*s);
		if (v < 0)
			return REGS_ERR_INVALID;
		buffer = (buffer << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (pos >= outsz)
				return REGS_ERR_INVALID;
			out[pos++] = (uint8_t)(buffer >> bits);
		}
	}
	/* Leftover bits must be fewer than a byte's worth of a valid length. */
	if (bits >= 5)
		return REGS_ERR_INVALID;
	*outlen = pos;
	return REGS_OK;
}
