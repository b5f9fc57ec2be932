/* Free text from outside made safe: valid UTF-8, no control characters, bounded length. */
#include "base/text.h"
#include "base/utf8.h"

#include <string.h>

char *text_sanitize(const char *in, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t n = 0;
	if (outsz == 0)
		return out;
	while (*p) {
		size_t len = utf8_char_length(p);
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
