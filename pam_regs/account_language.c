/* The account's language (R9.6): applied once regsd answered GetAccount, and remembered for the
 * later pam_regs lines of the same PAM transaction, which then need no extra call. */
#include "flows.h"
#include "proto/bus.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANGUAGE_KEY "pam_regs_language"

struct remembered_language {
	char user[REGS_USER_NAME_MAX + 1];
	char account[REGS_CLIENT_LANGUAGE_MAX];
	char site[REGS_CLIENT_LANGUAGE_MAX];
};

static void free_remembered(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh, (void)error_status;
	free(data);
}

void flow_use_account_language(struct flow *f, const struct regs_account_info *info)
{
	user_locale_choose(f->pamh, f->locale, info->language, info->site_language);
	struct remembered_language *r = calloc(1, sizeof(*r));
	if (!r)
		return; /* only the later lines fall back to the application's language */
	snprintf(r->user, sizeof(r->user), "%s", f->user);
	snprintf(r->account, sizeof(r->account), "%s", info->language);
	snprintf(r->site, sizeof(r->site), "%s", info->site_language);
	if (pam_set_data(f->pamh, LANGUAGE_KEY, r, free_remembered) != PAM_SUCCESS)
		free(r);
}

void flow_recall_language(struct flow *f)
{
	const void *data = NULL;
	if (pam_get_data(f->pamh, LANGUAGE_KEY, &data) != PAM_SUCCESS || !data)
		return;
	const struct remembered_language *r = data;
	if (strcmp(r->user, f->user) == 0) /* the stack may have changed PAM_USER */
		user_locale_choose(f->pamh, f->locale, r->account, r->site);
}
