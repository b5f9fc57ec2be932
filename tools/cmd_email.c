/* regsctl email set|verify|show: the e-mail address that receives emergency codes, verified
 * with a code mailed to it (R8.6); also how status shows the address. */
#include "base/i18n.h"
#include "output.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>

/* ---- the address, as email show and status print it ---- */

enum regs_client_err regsctl_fetch_email(struct regsctl_context *ctx, void *data)
{
	struct regsctl_email_query *q = data;

	return regs_get_email(ctx->client, q->user, &q->email);
}

void regsctl_print_email(const struct regs_email *e)
{
	if (*e->address && e->verified)
		printf(_("E-mail: %s (verified)\n"), e->address);
	else if (*e->address)
		printf(_("E-mail: %s (not verified)\n"), e->address);
	else if (!*e->pending)
		printf("%s\n", _("E-mail: none"));
	if (*e->pending)
		printf(_("E-mail: %s (pending: waiting for its verification code)\n"), e->pending);
}

json_object *regsctl_email_json(const struct regs_email *e)
{
	json_object *o = json_object_new_object();

	output_json_add_string(o, "address", *e->address ? e->address : NULL);
	json_object_object_add(o, "verified", json_object_new_boolean(e->verified));
	output_json_add_string(o, "pending", *e->pending ? e->pending : NULL);
	return o;
}

/* ---- email set, verify, show ---- */

static enum regs_client_err submit_email_code(struct regsctl_context *ctx, const char *code,
                                              struct regs_code_verdict *v)
{
	return regs_verify_email(ctx->client, code, v);
}

static const struct regsctl_mailed_code email_code = {
    submit_email_code,
    "regsctl email set ADDRESS",
    N_("Verification code: "),
    N_("no code entered; verify later with 'regsctl email verify CODE'"),
    N_("Your e-mail address is verified."),
};

struct email_change {
	const char *address;
	struct regs_code_sent sent;
};

static enum regs_client_err set_email(struct regsctl_context *ctx, void *data)
{
	struct email_change *c = data;

	return regs_set_email(ctx->client, "", c->address, &c->sent);
}

static int email_set(struct regsctl_context *ctx, char **args, int n_args)
{
	struct email_change change = {.address = args[0]};
	int code;

	(void)n_args;
	code = regsctl_run_with_step_up(ctx, REGS_PURPOSE_EMAIL, set_email, &change);
	if (code != REGSCTL_EXIT_OK)
		return code;
	if (!*change.sent.prefix) { /* an administrator's own address: no code to verify */
		printf(_("Your e-mail address is now %s (verified).\n"), change.address);
		return REGSCTL_EXIT_OK;
	}
	regsctl_print_code_sent(change.address, &change.sent);
	if (ctx->args.no_wait) {
		printf("%s\n", _("Enter the code with 'regsctl email verify CODE'."));
		return REGSCTL_EXIT_OK;
	}
	return regsctl_enter_mailed_code(ctx, &email_code, NULL);
}

static int email_verify(struct regsctl_context *ctx, char **args, int n_args)
{
	(void)n_args;
	return regsctl_enter_mailed_code(ctx, &email_code, args[0]);
}

static int email_show(struct regsctl_context *ctx, char **args, int n_args)
{
	struct regsctl_email_query q = {.user = ""};
	int code;

	(void)args;
	(void)n_args;
	code = regsctl_run_with_step_up(ctx, REGS_PURPOSE_VIEW, regsctl_fetch_email, &q);
	if (code == REGSCTL_EXIT_OK)
		regsctl_print_email(&q.email);
	return code;
}

int cmd_email(struct regsctl_context *ctx)
{
	static const struct regsctl_subcommand subs[] = {
	    {"set", 1, 1, email_set},
	    {"verify", 1, 1, email_verify},
	    {"show", 0, 0, email_show},
	};

	return regsctl_run_subcommand(ctx, "email", subs, sizeof(subs) / sizeof(subs[0]));
}
