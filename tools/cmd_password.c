/* regsctl password-login disable|enable: turn password login off once a citizen certificate or
 * a Google account is bound, or on again (R6); one's own change is re-verified with an OTP code
 * first (step-up, R7.1). */
#include "base/i18n.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>

struct password_login_change {
	const char *user;
	int enabled;
};

static enum regs_client_err set_password_login(struct regsctl_context *ctx, void *data)
{
	const struct password_login_change *c = data;

	return regs_set_password_login(ctx->client, c->user, c->enabled);
}

/* What is left to log in with once password login is disabled (R6.2); NULL when nothing
 * (R6.1). */
static const char *disable_warning(uint32_t flags)
{
	int card = (flags & REGS_F_CARD_BOUND) != 0, google = (flags & REGS_F_GOOGLE_BOUND) != 0;

	if (card && google)
		return _(
		    "You will only be able to log in with the citizen certificate or your Google "
		    "account.");
	if (card)
		return _("You will only be able to log in with the citizen certificate card. "
		         "Consider also binding a Google account.");
	if (google)
		return _("You will only be able to log in with your Google account (and OTP). "
		         "Consider also binding a citizen certificate.");
	return NULL;
}

/* Reads the account's flags; says so and returns -1 when password login is already as wanted.
 * GetAccount needs no proof: the change alone asks for an OTP code. */
static int password_login_flags(struct regsctl_context *ctx, const struct password_login_change *c,
                                uint32_t *flags, int *code)
{
	struct regs_account_info info;
	enum regs_client_err err;

	err = regs_get_account(ctx->client, c->user, &info);
	if (err != RC_OK) {
		*code = regsctl_report_failure(ctx->client, err);
		return -1;
	}
	*flags = info.flags;
	*code = REGSCTL_EXIT_OK;
	/* Enabling is for a disabled password login, disabling for an enabled one. */
	if (((info.flags & REGS_F_PASSWORD_LOGIN_DISABLED) != 0) == (c->enabled != 0))
		return 0;
	printf("%s\n", c->enabled ? _("Password login is already enabled.")
	                          : _("Password login is already disabled."));
	return -1;
}

static int disable_password_login(struct regsctl_context *ctx, char **args, int n_args)
{
	struct password_login_change change = {"", 0};
	uint32_t flags;
	const char *warning;
	int code;

	(void)args;
	(void)n_args;
	if (password_login_flags(ctx, &change, &flags, &code) < 0)
		return code;
	warning = disable_warning(flags);
	if (!warning) {
		regsctl_error("%s", _("Bind a citizen certificate or a Google account first."));
		return REGSCTL_EXIT_REFUSED;
	}
	printf("%s\n", warning);
	if (!ctx->args.yes && !regsctl_ask_yes(_("Disable password login? [y/N] "))) {
		printf("%s\n", _("Password login stays enabled."));
		return REGSCTL_EXIT_USAGE;
	}
	code =
	    regsctl_run_with_step_up(ctx, REGS_PURPOSE_PASSWORD_LOGIN, set_password_login, &change);
	if (code == REGSCTL_EXIT_OK)
		printf("%s\n", _("Password login is disabled: password and OTP logins are refused, "
		                 "and your password no longer expires."));
	return code;
}

static int enable_password_login(struct regsctl_context *ctx, char **args, int n_args)
{
	struct password_login_change change = {n_args > 0 ? args[0] : "", 1};
	uint32_t flags;
	int code;

	if (password_login_flags(ctx, &change, &flags, &code) < 0)
		return code;
	code =
	    regsctl_run_with_step_up(ctx, REGS_PURPOSE_PASSWORD_LOGIN, set_password_login, &change);
	if (code != REGSCTL_EXIT_OK)
		return code;
	if (*change.user)
		printf(
		    _("Password login of %s is enabled again. A new password will be required at "
		      "their next password login.\n"),
		    change.user);
	else
		printf("%s\n", _("Password login is enabled again. A new password will be required "
		                 "at your next password login."));
	return REGSCTL_EXIT_OK;
}

int cmd_password_login(struct regsctl_context *ctx)
{
	static const struct regsctl_subcommand subs[] = {
	    {"disable", 0, 0, disable_password_login},
	    {"enable", 0, 1, enable_password_login},
	};

	return regsctl_run_subcommand(ctx, "password-login", subs, sizeof(subs) / sizeof(subs[0]));
}
