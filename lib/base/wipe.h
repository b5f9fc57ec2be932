/* Wiping secrets from memory. */
#ifndef REGS_WIPE_H
#define REGS_WIPE_H
#include <stddef.h>

void regs_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it; NULL is fine. */
void regs_free_secret_str(char *s);

#endif
