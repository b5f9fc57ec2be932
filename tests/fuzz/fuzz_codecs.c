/* The codecs of lib/base (base64.c, utf8.c) that read tickets, tokens, keys, signatures and the
 * text of request bodies: the input after its first byte is decoded under the flags that byte
 * names into exact-size heap buffers of the sizes just below and at the room it needs (so an
 * overrun is seen), what decodes must survive encoding and decoding again, and it is checked as
 * UTF-8. */
#include "base/base64.h"
#include "base/utf8.h"
#include "fuzz_util.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "codecs";

/* Decodes into a buffer of exactly cap bytes; what fits must round-trip. */
static void decode_into(const char *in, size_t len, unsigned flags, size_t cap)
{
	uint8_t *out = malloc(cap > 0 ? cap : 1);
	size_t n = 0;
	if (out == NULL)
		fuzz_fail("out of memory");
	enum regs_err err = base64_decode(in, len, flags, out, cap, &n);
	if (err == REGS_OK) {
		if (n > cap || !base64_well_formed(in, len, flags))
			fuzz_fail("base64_decode: accepted what it must refuse");
		char *enc = malloc(BASE64_ENCODED_SIZE(n));
		uint8_t *again = malloc(n > 0 ? n : 1);
		size_t m = 0;
		if (enc == NULL || again == NULL)
			fuzz_fail("out of memory");
		size_t enc_len = base64_encode(out, n, enc);
		if (enc_len != strlen(enc) ||
		    base64_decode(enc, enc_len, BASE64_CANONICAL, again, n, &m) != REGS_OK ||
		    m != n || (n > 0 && memcmp(out, again, n) != 0))
			fuzz_fail("base64: decode(encode(x)) != x");
		free(enc);
		free(again);
	} else if (err != REGS_ERR_INVALID && err != REGS_ERR_FULL) {
		fuzz_fail("base64_decode: an unexpected error");
	}
	free(out);
}

static void check_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int valid = 1;
	while (*p != '\0' && valid) {
		size_t n = utf8_char_length(p);
		if (n > 4)
			fuzz_fail("utf8_char_length: longer than 4");
		valid = n > 0;
		p += n;
	}
	if (utf8_valid(s) != valid)
		fuzz_fail("utf8_valid: disagrees with utf8_char_length");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0] & (BASE64_URL | BASE64_NO_PADDING | BASE64_CANONICAL);
	char *in = malloc(size - 1 > 0 ? size - 1 : 1); /* exact size: no NUL to lean on */
	if (in == NULL)
		fuzz_fail("out of memory");
	memcpy(in, data + 1, size - 1);
	size_t need = (size - 1) / 4 * 3 + 3;
	for (size_t cap = need > 8 ? need - 8 : 0; cap <= need; cap++)
		decode_into(in, size - 1, flags, cap);
	free(in);
	char *text = fuzz_strndup(data + 1, size - 1);
	check_utf8(text);
	free(text);
	return 0;
}
