/* Cryptographically secure random bytes from the kernel (getrandom). */
#include "base/random.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

enum regs_err regs_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = getrandom(p + done, len - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return REGS_ERR_IO;
		}
		done += (size_t)n;
	}
	return REGS_OK;
}

enum regs_err regs_random_hex(char *out, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	/* Reuse the tail of out as the raw bytes: hex is written front to back,
	 * reading byte i only after writing chars < 2*i, which never overlap it. */
	uint8_t *raw = (uint8_t *)out + len;
	enum regs_err err = regs_random_bytes(raw, len);
	if (err != REGS_OK)
		return err;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = raw[i];
		out[2 * i] = digits[b >> 4];
		out[2 * i + 1] = digits[b & 0x0f];
	}
	out[2 * len] = '\0';
	return REGS_OK;
}
