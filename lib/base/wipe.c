/* Wiping secrets from memory so the compiler cannot optimise the stores away. */
#include "base/wipe.h"

#include <stdlib.h>
#include <string.h>

void regs_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void regs_free_secret_str(char *s)
{
	if (s == NULL)
		return;
	regs_wipe(s, strlen(s));
	free(s);
}
