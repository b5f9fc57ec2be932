/* The user's language for the module's messages (R9.6), without touching the program's locale. */
#ifndef PAM_REGS_USER_LOCALE_H
#define PAM_REGS_USER_LOCALE_H
#include <locale.h>
#include <security/pam_modules.h>

struct user_locale {
	locale_t mine;     /* made for this call; (locale_t)0 when none */
	locale_t previous; /* the thread's locale before */
};

/* Chooses the language from the PAM environment's LANG, else the process's
 * LC_ALL / LC_MESSAGES / LANG, and makes it this thread's locale for the
 * call (uselocale), so that sshd, which never calls setlocale(), still
 * speaks the user's language. Nothing is changed when none is set. */
void user_locale_enter(pam_handle_t *pamh, struct user_locale *ul);
void user_locale_leave(struct user_locale *ul);

#endif
