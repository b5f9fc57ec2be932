/* RFC 4648 base32 through liboath (upper case, no padding on output; padding accepted on input),
 * with the caller's buffers. */
#ifndef REGS_BASE32_H
#define REGS_BASE32_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

/* Size of the encoded string for len bytes, without padding, plus the NUL. */
size_t base32_encoded_size(size_t len);
/* Encodes without '=' padding. out must hold base32_encoded_size(len). */
enum regs_err base32_encode(const uint8_t *in, size_t len, char *out, size_t outsz);
/* Decodes case-insensitively, ignoring spaces and trailing '=' (any number of them, with
 * spaces among them; nothing else may follow the first '='). On success *outlen is the number
 * of bytes written; more than outsz bytes is REGS_ERR_INVALID. liboath frees its upper-cased
 * copy of in without wiping it: nothing in regsd decodes a live secret (enrolment encodes). */
enum regs_err base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen);

#endif
