/* The user's own language (R9.6): set by the user or an administrator, read back by GetAccount. */
#include "base/language.h"
#include "account.h"
#include "audit.h"
#include "handlers.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include <stdio.h>
#include <string.h>
#include <syslog.h>

/* "" (back to the site default) or a shipped language; sets the error reply otherwise. */
static int language_acceptable(struct request *r, const char *language)
{
	if (!*language || regs_language_known(language))
		return 1;
	reply_error(r, REGS_E_INVALID_ARGS,
	            "unknown language: use zh_TW, en, or \"\" for the site default");
	return 0;
}

/* No step-up (R7.1): the language is not a security setting, and a user who cannot read the
 * current one must be able to change it. Another account's needs an administrator. */
void handle_set_language(struct request *r)
{
	const char *arg[2];
	struct account_rec a;
	char event[32];
	request_strings(r, arg, 2);
	if (!language_acceptable(r, arg[1]))
		return;
	const char *user = request_target(r, arg[0], 0);
	if (!user || !account_open_for_change(r, user, &a))
		return;
	rec_copy(a.language, sizeof(a.language), arg[1]);
	account_save(r, user, &a);
	snprintf(event, sizeof(event), "language-%s", *arg[1] ? arg[1] : "default");
	struct audit_event e = {user, event, "", "regsctl", "", REGS_R_OK};
	audit_record(r, &e);
	regsd_log(LOG_NOTICE, "%s for %s by uid %u", event, user, (unsigned)r->caller.uid);
	reply_args(r, DBUS_TYPE_INVALID);
}
