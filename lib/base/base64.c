/* Base64 for the keys, tickets, tokens and signatures regsd reads, and the text it writes. */
#include "base/base64.h"

static const char base64_standard[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of c in the alphabet flags name, or -1 ('=' included). */
static int base64_value(unsigned char c, unsigned flags)
{
	int url = (flags & BASE64_URL) != 0;
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

size_t base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = base64_standard[v >> 18];
		out[o++] = base64_standard[(v >> 12) & 63];
		out[o++] = i + 1 < n ? base64_standard[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? base64_standard[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/* The length without the padding, or (size_t)-1 when the padding is not allowed here. */
static size_t base64_unpadded_length(const char *in, size_t len, unsigned flags)
{
	size_t pad = 0;
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (pad > 0 && ((flags & BASE64_NO_PADDING) || (len + pad) % 4 != 0))
		return (size_t)-1;
	return len;
}

int base64_well_formed(const char *in, size_t len, unsigned flags)
{
	if (in == NULL && len > 0)
		return 0;
	len = base64_unpadded_length(in, len, flags);
	if (len == (size_t)-1 || len % 4 == 1)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (base64_value((unsigned char)in[i], flags) < 0)
			return 0;
	return 1;
}

/* Writes the bytes of a well-formed text of len characters (padding removed). */
static void base64_decode_into(const char *in, size_t len, unsigned flags, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 6) | (uint32_t)base64_value((unsigned char)in[i], flags);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
}

enum regs_err base64_decode(const char *in, size_t len, unsigned flags, uint8_t *out, size_t cap,
                            size_t *out_len)
{
	if (!base64_well_formed(in, len, flags) || out_len == NULL)
		return REGS_ERR_INVALID;
	len = base64_unpadded_length(in, len, flags);
	size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	if (n > cap || (n > 0 && out == NULL))
		return REGS_ERR_FULL;
	if (flags & BASE64_CANONICAL) {
		/* the last character alone: its low bits beyond the last byte must be zero */
		unsigned spare = (unsigned)(len * 6 - n * 8);
		int last = len > 0 ? base64_value((unsigned char)in[len - 1], flags) : 0;
		if ((last & ((1 << spare) - 1)) != 0)
			return REGS_ERR_INVALID;
	}
	base64_decode_into(in, len, flags, out);
	*out_len = n;
	return REGS_OK;
}
