/* Base64 (RFC 4648), the standard and the URL-safe alphabet: strict decoding and padded encoding.
 */
#ifndef REGS_BASE64_H
#define REGS_BASE64_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

/* Decoding flags; 0 is the standard alphabet with optional '=' padding. */
#define BASE64_URL 1u        /* '-' and '_' instead of '+' and '/' (RFC 4648 5) */
#define BASE64_NO_PADDING 2u /* '=' refused, as in JWS (RFC 7515 2) */
#define BASE64_CANONICAL 4u  /* the unused low bits of the last character must be zero */

/* Bytes base64_encode writes for n bytes, with the NUL. */
#define BASE64_ENCODED_SIZE(n) (4 * (((n) + 2) / 3) + 1)

/* The standard alphabet with '=' padding (as MIME and OpenSSH write it) into out, which holds
 * BASE64_ENCODED_SIZE(n) bytes; returns the length without the NUL. */
size_t base64_encode(const uint8_t *in, size_t n, char *out);

/* 1 when the len characters are base64 text under flags: only the alphabet's characters, a
 * length that is whole bytes (never 4k + 1), and padding only as flags allow: at most two
 * '=', at the end, and then making the length a multiple of 4. No whitespace. */
int base64_well_formed(const char *in, size_t len, unsigned flags);

/* Decodes the len characters into out (cap bytes) and sets *out_len. REGS_ERR_INVALID when
 * the text is not well formed (base64_well_formed, and BASE64_CANONICAL); REGS_ERR_FULL when
 * it decodes into more than cap bytes. Nothing is written to out on failure. */
enum regs_err base64_decode(const char *in, size_t len, unsigned flags, uint8_t *out, size_t cap,
                            size_t *out_len);

#endif
