/* Free text from outside made safe: valid UTF-8, no control characters, bounded length. */
#include "base/text.h"
#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *p)
{
	size_t len;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, cp = p[0] & 0x1Fu;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, cp = p[0] & 0x0Fu;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3Fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0; /* overlong, out of range, or a surrogate */
	return len;
}

char *text_sanitize(const char *in, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = 0;
	if (outsz == 0)
		return out;
	while (*p) {
		size_t len = utf8_sequence(p);
		int bad = len == 0 || (len == 1 && (*p < 0x20 || *p == 0x7F)) ||
		          (len == 2 && p[0] == 0xC2 && p[1] < 0xA0); /* C1 controls */
		size_t put = bad ? 1 : len;
		if (n + put >= outsz)
			break;
		if (bad)
			out[n] = '?';
		else
			memcpy(out + n, p, len);
		n += put;
		p += len ? len : 1;
	}
	out[n] = '\0';
	return out;
}
