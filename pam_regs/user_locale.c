/* The user's language for this call only: a thread locale, restored before returning (R9.6). */
#include "user_locale.h"
#include "base/language.h"
#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const locale_variables[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
#define N_LOCALE_VARIABLES (sizeof(locale_variables) / sizeof(locale_variables[0]))

/* The locale the application handed to PAM (the first of LC_ALL, LC_MESSAGES, LANG that is
 * set, as setlocale would read them), or NULL when it gave none or one with no language. */
static const char *application_locale(pam_handle_t *pamh)
{
	for (size_t i = 0; i < N_LOCALE_VARIABLES; i++) {
		const char *v = pam_getenv(pamh, locale_variables[i]);
		if (v && *v)
			return regs_locale_chooses_language(v) ? v : NULL;
	}
	return NULL;
}

/* The process's own locale variables, the same way; NULL when none is set. */
static const char *process_locale(void)
{
	for (size_t i = 0; i < N_LOCALE_VARIABLES; i++) {
		const char *v = getenv(locale_variables[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

static void drop_locale(struct user_locale *ul)
{
	if (ul->mine) {
		uselocale(ul->previous);
		freelocale(ul->mine);
	}
	ul->mine = (locale_t)0;
	ul->name[0] = '\0';
}

/* Makes name (NULL: none) this thread's locale for messages and characters. The C
 * locale (English: the messages are their own texts, and gettext then also ignores
 * LANGUAGE) is made too: the program's own locale may be another language. */
static void use_locale(struct user_locale *ul, const char *name)
{
	if (name && strcmp(name, ul->name) == 0)
		return;
	drop_locale(ul);
	if (!name || strlen(name) >= sizeof(ul->name))
		return;
	ul->mine = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, name, (locale_t)0);
	if (!ul->mine)
		return; /* not installed (zh_TW.UTF-8 needs localedef): the program's locale */
	ul->previous = uselocale(ul->mine);
	snprintf(ul->name, sizeof(ul->name), "%s", name);
}

void user_locale_enter(pam_handle_t *pamh, struct user_locale *ul)
{
	ul->mine = (locale_t)0;
	ul->previous = (locale_t)0;
	ul->name[0] = '\0';
	ul->pinned = 0;
	const char *name = application_locale(pamh);
	if (!name)
		name = process_locale();
	if (regs_locale_chooses_language(name))
		use_locale(ul, name);
}

void user_locale_choose(pam_handle_t *pamh, struct user_locale *ul, const char *account,
                        const char *site)
{
	if (ul->pinned)
		return;
	const char *name = regs_language_locale(account);
	if (!name)
		name = application_locale(pamh);
	if (!name)
		name = regs_language_locale(site);
	if (name) {
		use_locale(ul, name);
		return;
	}
	/* Nothing chosen anywhere: the process's locale, as user_locale_enter found it. */
	name = process_locale();
	if (regs_locale_chooses_language(name))
		use_locale(ul, name);
	else
		drop_locale(ul);
}

void user_locale_pin_english(struct user_locale *ul)
{
	use_locale(ul, "C");
	ul->pinned = 1;
}

void user_locale_leave(struct user_locale *ul)
{
	drop_locale(ul);
}
