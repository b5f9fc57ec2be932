/* The shipped languages (R9.6) and the locale each one is shown in. */
#include "base/language.h"
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

int regs_locale_chooses_language(const char *name)
{
	static const char *const none[] = {"C", "POSIX", "C.UTF-8", "C.utf8"};
	if (!name || !*name)
		return 0;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (strcmp(name, none[i]) == 0)
			return 0;
	return 1;
}
