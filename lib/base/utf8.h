/* Well-formed UTF-8 (RFC 3629): what the logs, the mails and the JSON we send may hold. */
#ifndef REGS_UTF8_H
#define REGS_UTF8_H
#include <stddef.h>

/* The length (1..4) of the well-formed character at p, or 0 when there is none: a stray
 * continuation byte, an overlong form, a surrogate, a code point past U+10FFFF, or a sequence
 * cut short (also by the NUL). An ASCII byte, the NUL included, is 1. */
size_t utf8_char_length(const unsigned char *p);

/* 1 when the NUL-terminated s is well-formed UTF-8 throughout. */
int utf8_valid(const char *s);

#endif
