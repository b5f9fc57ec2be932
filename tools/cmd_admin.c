/* regsctl's administrator commands (R9.4): list accounts, unlock, reset bindings, set e-mail
 * address and account class. */
#include "base/i18n.h"
#include "output.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The methods a ListAccounts flag word says are bound, by their bus names. */
static const struct {
	uint32_t flag;
	const char *method;
} bound_flags[] = {
    {REGS_F_OTP_BOUND, "otp"},
    {REGS_F_CARD_BOUND, "card"},
    {REGS_F_GOOGLE_BOUND, "google"},
    {REGS_F_MOBILE_BOUND, "mobile"},
};
#define N_BOUND_FLAGS (sizeof(bound_flags) / sizeof(bound_flags[0]))

/* Methods reset accepts besides "all bindings". */
static const char *const resettable_methods[] = {"otp", "card", "google", "mobile"};

static int is_locked(const struct regs_account_row *a)
{
	return (a->flags & REGS_F_LOCKED) || a->lock_seconds > 0;
}

/* "otp,card", or "" when nothing is bound (the table shows "-"). */
static void format_bound_methods(uint32_t flags, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_BOUND_FLAGS && used < size; i++) {
		if (flags & bound_flags[i].flag)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "",
			                         bound_flags[i].method);
	}
}

/* Password login: disabled (R6), or enabled with a change due (R6.4, R9.5) or expired (R9.2). */
static const char *password_login_state(uint32_t flags)
{
	if (flags & REGS_F_PASSWORD_LOGIN_DISABLED)
		return _("disabled");
	if (flags & REGS_F_MUST_CHANGE_PASSWORD)
		return _("enabled, must change");
	if (flags & REGS_F_PASSWORD_EXPIRED)
		return _("enabled, expired");
	return _("enabled");
}

static const char *account_class(uint32_t flags)
{
	return flags & REGS_F_INSTITUTION ? "institution" : "personal";
}

/* An output_row_fn: row i of the regs_account_row array behind data. */
static int add_account_row(struct output_table *t, const void *data, size_t i)
{
	const struct regs_account_row *a = (const struct regs_account_row *)data + i;
	char methods[64], failures[16], lock[64];
	const char *row[7];

	format_bound_methods(a->flags, methods, sizeof(methods));
	snprintf(failures, sizeof(failures), "%u", a->failures);
	if (is_locked(a))
		snprintf(lock, sizeof(lock), _("locked, %u min left"),
		         regsctl_minutes(a->lock_seconds));
	else
		lock[0] = '\0';
	row[0] = a->user;
	row[1] = a->flags & REGS_F_INSTITUTION ? _("institution") : _("personal");
	row[2] = methods;
	row[3] = password_login_state(a->flags);
	row[4] = a->flags & REGS_F_EMAIL_VERIFIED ? _("verified") : "";
	row[5] = failures;
	row[6] = lock;
	return output_table_add(t, row);
}

static int print_accounts_table(const struct regs_account_row *rows, size_t n)
{
	const char *header[] = {_("User"),   _("Class"),    _("Methods"), _("Password login"),
	                        _("E-mail"), _("Failures"), _("Lock")};

	return output_table_print_rows(stdout, 7, header, n, add_account_row, rows) < 0
	           ? regsctl_report_nomem()
	           : REGSCTL_EXIT_OK;
}

static json_object *account_json(const struct regs_account_row *a)
{
	json_object *o = json_object_new_object();
	json_object *methods = json_object_new_array();

	for (size_t i = 0; i < N_BOUND_FLAGS; i++) {
		if (a->flags & bound_flags[i].flag)
			json_object_array_add(methods,
			                      json_object_new_string(bound_flags[i].method));
	}
	output_json_add_string(o, "user", a->user);
	output_json_add_string(o, "class", account_class(a->flags));
	json_object_object_add(o, "methods", methods);
	json_object_object_add(
	    o, "password_login",
	    json_object_new_boolean(!(a->flags & REGS_F_PASSWORD_LOGIN_DISABLED)));
	json_object_object_add(
	    o, "must_change_password",
	    json_object_new_boolean((a->flags & REGS_F_MUST_CHANGE_PASSWORD) != 0));
	json_object_object_add(o, "password_expired",
	                       json_object_new_boolean((a->flags & REGS_F_PASSWORD_EXPIRED) != 0));
	json_object_object_add(o, "email_verified",
	                       json_object_new_boolean((a->flags & REGS_F_EMAIL_VERIFIED) != 0));
	json_object_object_add(o, "failures", json_object_new_int64(a->failures));
	json_object_object_add(o, "locked", json_object_new_boolean(is_locked(a)));
	json_object_object_add(o, "lock_seconds_left", json_object_new_int64(a->lock_seconds));
	json_object_object_add(o, "flags", json_object_new_int64(a->flags));
	return o;
}

static int print_accounts_json(const struct regs_account_row *rows, size_t n)
{
	json_object *array = json_object_new_array();

	for (size_t i = 0; array && i < n; i++)
		json_object_array_add(array, account_json(&rows[i]));
	return output_json_emit(array, stdout) < 0 ? regsctl_report_nomem() : REGSCTL_EXIT_OK;
}

int cmd_list(struct regsctl_context *ctx)
{
	struct regs_account_row *rows = NULL;
	size_t n = 0;
	enum regs_client_err err;
	int code;

	err = regs_list_accounts(ctx->client, ctx->args.filter, &rows, &n);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	code = ctx->args.json ? print_accounts_json(rows, n) : print_accounts_table(rows, n);
	free(rows);
	return code;
}

int cmd_unlock(struct regsctl_context *ctx)
{
	const char *user = ctx->args.operands[0];
	enum regs_client_err err = regs_unlock(ctx->client, user);

	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	printf(_("%s is unlocked.\n"), user);
	return REGSCTL_EXIT_OK;
}

static int is_resettable(const char *method)
{
	for (size_t i = 0; i < sizeof(resettable_methods) / sizeof(resettable_methods[0]); i++) {
		if (strcmp(method, resettable_methods[i]) == 0)
			return 1;
	}
	return 0;
}

int cmd_reset(struct regsctl_context *ctx)
{
	const char *user = ctx->args.operands[0];
	const char *method = ctx->args.n_operands > 1 ? ctx->args.operands[1] : "";
	enum regs_client_err err;

	if (*method && !is_resettable(method)) {
		regsctl_error(_("cannot reset '%s': give no method (all bindings), 'otp', 'card', "
		                "'google' or "
		                "'mobile'"),
		              method);
		return REGSCTL_EXIT_USAGE;
	}
	err = regs_reset(ctx->client, user, method);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (strcmp(method, "card") == 0)
		printf(_("The citizen certificate card binding of %s is deleted; they must bind a "
		         "card again to log in with one.\n"),
		       user);
	else if (strcmp(method, "google") == 0)
		printf(_("The Google account binding of %s is deleted.\n"), user);
	else if (strcmp(method, "mobile") == 0)
		printf(_("The mobile citizen certificate binding of %s is deleted.\n"), user);
	else if (*method)
		printf(_("The OTP binding of %s is deleted; they must bind OTP again.\n"), user);
	else
		printf(_("All bindings of %s are deleted; they must bind a method at their next "
		         "login.\n"),
		       user);
	return REGSCTL_EXIT_OK;
}

int cmd_set_email(struct regsctl_context *ctx)
{
	const char *user = ctx->args.operands[0], *address = ctx->args.operands[1];
	struct regs_code_sent sent;
	enum regs_client_err err;

	err = regs_set_email(ctx->client, user, address, &sent);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (*sent.prefix) /* regsd mailed a code after all (e.g. for one's own account) */
		printf(_("A verification code was sent to %s; %s must enter it with 'regsctl email "
		         "verify CODE'.\n"),
		       address, user);
	else
		printf(_("The e-mail address of %s is now %s (verified).\n"), user, address);
	return REGSCTL_EXIT_OK;
}

int cmd_set_class(struct regsctl_context *ctx)
{
	const char *user = ctx->args.operands[0], *cls = ctx->args.operands[1];
	enum regs_client_err err;
	int institution = strcmp(cls, "institution") == 0;

	if (!institution && strcmp(cls, "personal") != 0) {
		regsctl_error(_("unknown account class '%s': use 'personal' or 'institution'"),
		              cls);
		return REGSCTL_EXIT_USAGE;
	}
	err = regs_set_class(ctx->client, user, cls);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (institution)
		printf(_("%s is now an institution account (organisation certificate).\n"), user);
	else
		printf(_("%s is now a personal account (citizen certificate).\n"), user);
	return REGSCTL_EXIT_OK;
}
