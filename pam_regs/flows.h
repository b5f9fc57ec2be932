/* What each module mode does, given a connected regsd client. */
#ifndef PAM_REGS_FLOWS_H
#define PAM_REGS_FLOWS_H
#include "base/text.h"
#include "client.h"
#include "options.h"
#include "user_locale.h"
#include <security/pam_modules.h>

struct flow {
	pam_handle_t *pamh;
	const char *user;
	char service[TEXT_FIELD_MAX]; /* cleaned: valid UTF-8, no control characters */
	char rhost[TEXT_FIELD_MAX];
	struct module_options opt;
	struct regs_client *client; /* NULL: regsd is not reachable */
	int pam_flags;              /* the flags of the pam_sm_* call */
	struct user_locale *locale; /* the language of this call's messages (R9.6) */
};

/* Fills f from the PAM handle and connects to regsd; the messages of the call are in locale.
 * Returns a PAM code. */
int flow_start(struct flow *f, pam_handle_t *pamh, int argc, const char **argv,
               struct user_locale *locale);
/* Ends the call; returns rc, or for webconsole a refusal whose text was just shown as
 * PAM_PERM_DENIED: Cockpit shows the last text only for "access denied". */
int flow_end(struct flow *f, int rc);
/* text=ascii (or webconsole): no block QR codes, keys grouped for typing. */
int flow_plain(const struct flow *f);

/* The lock and how long it lasts, as an error message (R9.1). */
void flow_show_locked(struct flow *f, uint32_t seconds);

int flow_select(struct flow *f);
int flow_authfail(struct flow *f);
int flow_otp(struct flow *f);
int flow_account(struct flow *f);
int flow_password(struct flow *f);
/* Authentication passes on the password alone because nothing is bound (or
 * was just reset): the account phase then forces binding (R1.4, R8.4). */
int flow_password_only(struct flow *f);
/* "lost" at the OTP prompt: an emergency code by e-mail (R8). */
int flow_lost_phone(struct flow *f);
/* The citizen certificate card (R3): PIN, then the card signs regsd's challenge. */
int flow_card_login(struct flow *f);
/* Google account + OTP (R5.3) and the mobile citizen certificate (R4). */
int flow_google_login(struct flow *f);
int flow_mobile_login(struct flow *f);
/* R9.6 (account_language.c): the rest of the call in the language regsd's GetAccount answer
 * chose (user_locale_choose), remembered for later pam_regs lines of the same transaction;
 * flow_recall_language applies a language remembered for this user, if any. */
void flow_use_account_language(struct flow *f, const struct regs_account_info *info);
void flow_recall_language(struct flow *f);

/* Single-prompt clients (R11.3): the split line reads "password + code" in one answer, hands
 * the password on in PAM_AUTHTOK and keeps the code, which the otp line then verifies
 * without asking. */
int flow_split(struct flow *f);
int flow_split_pending(struct flow *f);
int flow_split_otp(struct flow *f);
/* regsd answered with an error or not at all: the refusal (failmode applies). */
int flow_call_failed(struct flow *f, enum regs_client_err err);

#endif
