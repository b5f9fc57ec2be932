/* Codes regsd sends by mail, for e-mail verification (R8.6) and emergency codes (R8, R9.5):
 * saying that one was sent, and giving one to regsd. */
#include "base/i18n.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>

/* Says why a mailed code was not accepted; again is the command that sends a new one. */
static int judge_code_verdict(const struct regs_code_verdict *v, const char *again, unsigned *tries)
{
	*tries = 0;
	switch (v->result) {
	case REGS_R_OK:
		return REGSCTL_EXIT_OK;
	case REGS_R_WRONG:
	case REGS_R_MALFORMED:
		regsctl_error("%s", v->result == REGS_R_WRONG
		                        ? _("wrong code")
		                        : _("the code looks like KX-123456: two letters, a dash "
		                            "and 6 digits"));
		if (v->tries_left == 0)
			regsctl_error(
			    _("no tries are left for this code; ask for a new one with '%s'"),
			    again);
		*tries = v->tries_left;
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_EXPIRED:
		regsctl_error(_("the code expired or a newer one was sent; ask for a new one with "
		                "'%s'"),
		              again);
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_LOCKED:
		regsctl_error("%s", _("the account is locked; try again later"));
		return REGSCTL_EXIT_LOCKED;
	}
	regsctl_error(_("unexpected answer from regsd (result %u)"), v->result);
	return REGSCTL_EXIT_OTHER;
}

/* The whole minutes a mailed code stays valid, and its prefix, as told to the user. */
void regsctl_print_code_sent(const char *address, const struct regs_code_sent *sent)
{
	unsigned minutes = regsctl_minutes(sent->expires_in);

	if (address)
		printf(
		    dngettext(REGS_TEXTDOMAIN,
		              "A verification code was sent to %s (code starts with %s-, valid %u "
		              "minute).\n",
		              "A verification code was sent to %s (code starts with %s-, valid %u "
		              "minutes).\n",
		              minutes),
		    address, sent->prefix, minutes);
	else
		printf(
		    dngettext(REGS_TEXTDOMAIN,
		              "An emergency code was sent to your verified e-mail address. Its "
		              "prefix is %s- (match it with the newest mail); it is valid for %u "
		              "minute.\n",
		              "An emergency code was sent to your verified e-mail address. Its "
		              "prefix is %s- (match it with the newest mail); it is valid for %u "
		              "minutes.\n",
		              minutes),
		    sent->prefix, minutes);
}

static int mailed_code_attempt(struct regsctl_context *ctx, const char *code, void *data,
                               unsigned *tries)
{
	const struct regsctl_mailed_code *m = data;
	struct regs_code_verdict v;
	enum regs_client_err err;
	int exit_code;

	*tries = 0;
	err = m->submit(ctx, code, &v);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	exit_code = judge_code_verdict(&v, m->again, tries);
	if (exit_code == REGSCTL_EXIT_OK)
		printf("%s\n", _(m->done));
	return exit_code;
}

int regsctl_enter_mailed_code(struct regsctl_context *ctx, const struct regsctl_mailed_code *m,
                              const char *given)
{
	const struct regsctl_code_dialog d = {
	    .prompt = _(m->prompt),
	    .given = given,
	    .no_code = _(m->no_code),
	    .attempt = mailed_code_attempt,
	    .data = (void *)m,
	};

	return regsctl_run_code_dialog(ctx, &d);
}
