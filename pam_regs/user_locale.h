/* The user's language for the module's messages (R9.6), without touching the program's locale. */
#ifndef PAM_REGS_USER_LOCALE_H
#define PAM_REGS_USER_LOCALE_H
#include <locale.h>
#include <security/pam_modules.h>

#define USER_LOCALE_NAME_MAX 64

struct user_locale {
	locale_t mine;                   /* made for this call; (locale_t)0 when none */
	locale_t previous;               /* the thread's locale before */
	char name[USER_LOCALE_NAME_MAX]; /* what mine was made from; "" when none */
	int pinned;                      /* English whatever is chosen (text=ascii) */
};

/* Before regsd has answered: the application's locale (the PAM environment's LC_ALL,
 * LC_MESSAGES or LANG), else the process's, made this thread's locale for the call
 * (uselocale), so that sshd, which never calls setlocale(), still speaks the user's
 * language. Nothing is changed when none is set. */
void user_locale_enter(pam_handle_t *pamh, struct user_locale *ul);

/* Once regsd told the account's language and the site default (tags of lib/base/language.h,
 * "" for none), the language of the rest of the call, first that applies (pam_regs(8)):
 * 1. the account's own choice; 2. the application's locale in the PAM environment (C,
 * POSIX and C.UTF-8 are no choice); 3. the site default; 4. the process's locale. */
void user_locale_choose(pam_handle_t *pamh, struct user_locale *ul, const char *account,
                        const char *site);

/* text=ascii: the client cannot show Chinese (Cockpit 287 turns each byte into '?'), so
 * English for the rest of the call, whatever user_locale_choose is told later. */
void user_locale_pin_english(struct user_locale *ul);

/* Restores the thread's locale from before user_locale_enter. */
void user_locale_leave(struct user_locale *ul);

#endif
