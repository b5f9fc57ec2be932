/* regsctl reset-code request|redeem: an emergency code mailed to the verified address deletes
 * all login bindings (R8) or, with --password, makes the password change due (R9.5). No step-up:
 * this is for the user who lost the phone. */
#include "base/i18n.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>

static enum regs_client_err submit_reset_code(struct regsctl_context *ctx, const char *code,
                                              struct regs_code_verdict *v)
{
	const char *purpose = ctx->args.password ? REGS_RESET_PASSWORD : REGS_RESET_BINDING;

	return regs_redeem_reset_code(ctx->client, "", purpose, code, REGSCTL_SERVICE, "", v);
}

/* The emergency code for the login bindings (R8) or, with --password, the password (R9.5). */
static const struct regsctl_mailed_code reset_codes[2] = {
    {submit_reset_code, "regsctl reset-code request", N_("Emergency code: "),
     N_("no code entered; enter it later with 'regsctl reset-code redeem CODE'"),
     N_("All login bindings were deleted. Bind again at your next login.")},
    {submit_reset_code, "regsctl reset-code request --password", N_("Emergency code: "),
     N_("no code entered; enter it later with 'regsctl reset-code redeem CODE --password'"),
     N_("Your password must be changed at your next login.")},
};

static int reset_code_request(struct regsctl_context *ctx, char **args, int n_args)
{
	struct regs_code_sent sent;
	const char *purpose = ctx->args.password ? REGS_RESET_PASSWORD : REGS_RESET_BINDING;
	enum regs_client_err err;

	(void)args;
	(void)n_args;
	/* No step-up: this is for the user who lost the phone (R8.1). */
	err = regs_request_reset_code(ctx->client, "", purpose, REGSCTL_SERVICE, "", &sent);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	regsctl_print_code_sent(NULL, &sent);
	if (ctx->args.no_wait) {
		printf(_("Enter it with 'regsctl reset-code redeem CODE%s'.\n"),
		       ctx->args.password ? " --password" : "");
		return REGSCTL_EXIT_OK;
	}
	return regsctl_enter_mailed_code(ctx, &reset_codes[ctx->args.password != 0], NULL);
}

static int reset_code_redeem(struct regsctl_context *ctx, char **args, int n_args)
{
	(void)n_args;
	return regsctl_enter_mailed_code(ctx, &reset_codes[ctx->args.password != 0], args[0]);
}

int cmd_reset_code(struct regsctl_context *ctx)
{
	static const struct regsctl_subcommand subs[] = {
	    {"request", 0, 0, reset_code_request},
	    {"redeem", 1, 1, reset_code_redeem},
	};

	return regsctl_run_subcommand(ctx, "reset-code", subs, sizeof(subs) / sizeof(subs[0]));
}
