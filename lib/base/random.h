/* Cryptographically secure random bytes (getrandom). */
#ifndef REGS_RANDOM_H
#define REGS_RANDOM_H
#include "base/error.h"
#include <stddef.h>

enum regs_err regs_random_bytes(void *buf, size_t len);
/* Writes 2*len lowercase hex characters and a NUL into out (size >= 2*len+1). */
enum regs_err regs_random_hex(char *out, size_t len);

#endif
