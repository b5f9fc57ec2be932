/* The user's language for this call only: a thread locale from LANG, restored before returning. */
#include "user_locale.h"
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>

static const char *wanted_language(pam_handle_t *pamh)
{
	const char *names[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	const char *v = pam_getenv(pamh, "LANG");
	for (size_t i = 0; (!v || !*v) && i < sizeof(names) / sizeof(names[0]); i++)
		v = getenv(names[i]);
	return v && *v ? v : NULL;
}

void user_locale_enter(pam_handle_t *pamh, struct user_locale *ul)
{
	ul->mine = (locale_t)0;
	ul->previous = (locale_t)0;
	const char *lang = wanted_language(pamh);
	if (!lang || strcmp(lang, "C") == 0 || strcmp(lang, "POSIX") == 0)
		return;
	ul->mine = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, lang, (locale_t)0);
	if (ul->mine)
		ul->previous = uselocale(ul->mine);
}

void user_locale_leave(struct user_locale *ul)
{
	if (!ul->mine)
		return;
	uselocale(ul->previous);
	freelocale(ul->mine);
	ul->mine = (locale_t)0;
}
