/* regsctl status: the table of one's login methods, password login and e-mail address, with the
 * action each row offers (R7.2). */
#include "base/i18n.h"
#include "output.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_LOGIN_ROW "password-login" /* GetStatus row: bound = password login disabled */

static const struct {
	const char *method;
	const char *label; /* N_() */
} method_labels[] = {
    {"otp", N_("OTP")},
    {"card", N_("Citizen certificate card")},
    {"google", N_("Google account")},
    {"mobile", N_("Mobile citizen certificate")},
    {PASSWORD_LOGIN_ROW, N_("Disable password login")},
};

static const char *method_label(const char *method)
{
	for (size_t i = 0; i < sizeof(method_labels) / sizeof(method_labels[0]); i++) {
		if (strcmp(method, method_labels[i].method) == 0)
			return _(method_labels[i].label);
	}
	return method;
}

struct status_query {
	struct regsctl_email_query email; /* its user is the account shown */
	struct regs_method_status *methods;
	size_t n;
};

static enum regs_client_err fetch_status(struct regsctl_context *ctx, void *data)
{
	struct status_query *q = data;
	enum regs_client_err err;

	free(q->methods); /* a retry after the step-up starts again */
	q->methods = NULL;
	err = regs_get_status(ctx->client, q->email.user, &q->methods, &q->n);
	return err == RC_OK ? regsctl_fetch_email(ctx, &q->email) : err;
}

static void format_binding(const struct regs_method_status *m, char *buf, size_t size)
{
	char date[OUTPUT_TIME_SIZE];

	if (!m->bound)
		snprintf(buf, size, "%s", "✘");
	else if (m->since > 0)
		snprintf(buf, size, _("✔ since %s"), output_format_date(m->since, date));
	else
		snprintf(buf, size, "%s", "✔");
}

/* The action the row offers: bind or rebind a method; disable or enable password login. */
static const char *binding_action(const struct regs_method_status *m)
{
	if (strcmp(m->method, PASSWORD_LOGIN_ROW) == 0)
		return m->bound ? _("enable") : _("disable");
	return m->bound ? _("rebind") : _("bind");
}

/* An output_row_fn: row i of the regs_method_status array behind data. */
static int add_status_row(struct output_table *t, const void *data, size_t i)
{
	const struct regs_method_status *m = (const struct regs_method_status *)data + i;
	char status[128];
	const char *row[3];

	format_binding(m, status, sizeof(status));
	row[0] = method_label(m->method);
	row[1] = binding_action(m);
	row[2] = status;
	return output_table_add(t, row);
}

static int print_status_table(const struct status_query *q)
{
	const char *header[] = {_("Method"), _("Action"), _("Status")};

	if (output_table_print_rows(stdout, 3, header, q->n, add_status_row, q->methods) < 0)
		return regsctl_report_nomem();
	putchar('\n');
	regsctl_print_email(&q->email.email);
	return REGSCTL_EXIT_OK;
}

static int print_status_json(const struct status_query *q)
{
	json_object *doc = json_object_new_object();
	json_object *array = json_object_new_array();

	for (size_t i = 0; array && i < q->n; i++) {
		const struct regs_method_status *m = &q->methods[i];
		json_object *o = json_object_new_object();

		output_json_add_string(o, "method", m->method);
		json_object_object_add(o, "bound", json_object_new_boolean(m->bound));
		json_object_object_add(
		    o, "since", m->bound && m->since > 0 ? json_object_new_int64(m->since) : NULL);
		json_object_array_add(array, o);
	}
	json_object_object_add(doc, "methods", array);
	json_object_object_add(doc, "email", regsctl_email_json(&q->email.email));
	return output_json_emit(doc, stdout) < 0 ? regsctl_report_nomem() : REGSCTL_EXIT_OK;
}

int cmd_status(struct regsctl_context *ctx)
{
	struct status_query q = {.email.user = ctx->args.user};
	int code;

	code = regsctl_run_with_step_up(ctx, REGS_PURPOSE_VIEW, fetch_status, &q);
	if (code == REGSCTL_EXIT_OK)
		code = ctx->args.json ? print_status_json(&q) : print_status_table(&q);
	free(q.methods);
	return code;
}
