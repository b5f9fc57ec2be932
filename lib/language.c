/* The shipped languages (R9.6) and the locale each one is shown in. */
#include "language.h"
#include <stddef.h>
#include <string.h>

const char *const regs_languages[] = {"zh_TW", "en", NULL};

static const char *const locales[] = {"zh_TW.UTF-8", "C"};

static int language_index(const char *tag)
{
	for (int i = 0; tag && regs_languages[i]; i++)
		if (strcmp(tag, regs_languages[i]) == 0)
			return i;
	return -1;
}

int regs_language_known(const char *tag)
{
	return language_index(tag) >= 0;
}

const char *regs_language_locale(const char *tag)
{
	int i = language_index(tag);
	return i >= 0 ? locales[i] : NULL;
}
