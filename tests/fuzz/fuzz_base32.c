/* base32 (lib/otp/base32.c, liboath behind our buffers), which reads the secrets of otpauth URIs
 * and stored keys: any input decoded into an output buffer of every small size (an exact-size heap
 * buffer, so an overrun is seen), and what decodes must survive encoding and decoding again. */
#include "fuzz_util.h"
#include "otp/base32.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "base32";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t outsz = data[0];
	char *in = fuzz_strndup(data + 1, size - 1);
	uint8_t *out = malloc(outsz > 0 ? outsz : 1);
	size_t n = 0;
	if (out == NULL)
		fuzz_fail("out of memory");
	if (base32_decode(in, out, outsz, &n) == REGS_OK) {
		if (n > outsz)
			fuzz_fail("base32_decode: more bytes than room");
		size_t encsz = base32_encoded_size(n);
		char *enc = malloc(encsz);
		uint8_t *again = malloc(n > 0 ? n : 1);
		size_t m = 0;
		if (enc == NULL || again == NULL)
			fuzz_fail("out of memory");
		if (base32_encode(out, n, enc, encsz) != REGS_OK ||
		    base32_decode(enc, again, n, &m) != REGS_OK || m != n ||
		    (n > 0 && memcmp(out, again, n) != 0))
			fuzz_fail("base32: decode(encode(x)) != x");
		free(enc);
		free(again);
	}
	/* Encoding into a buffer one byte short must be refused, not overrun. */
	size_t encsz = base32_encoded_size(size - 1);
	char *enc = malloc(encsz);
	if (enc == NULL)
		fuzz_fail("out of memory");
	if (base32_encode(data + 1, size - 1, enc, encsz - 1) == REGS_OK)
		fuzz_fail("base32_encode: wrote into a buffer too small");
	free(enc);
	free(out);
	free(in);
	return 0;
}
