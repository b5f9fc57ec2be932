/* regsctl log: the activity log of one's own account, or an administrator's view of any or all
 * accounts (R9.3). The log is not a login setting: reading it needs no re-verification (R7.1). */
#include "base/i18n.h"
#include "output.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *result;
	const char *label; /* N_() */
} result_labels[] = {
    {"ok", N_("ok")},
    {"wrong", N_("wrong code")},
    {"replayed", N_("code reused")},
    {"drift", N_("clock drift")},
    {"locked", N_("locked")},
    {"not-bound", N_("not bound")},
    {"malformed", N_("malformed")},
    {"expired", N_("expired")},
};

/* The result of a password attempt is about the password, not a code. */
static const char *result_label(const char *method, const char *result)
{
	if (strcmp(method, "password") == 0 && strcmp(result, "wrong") == 0)
		return _("wrong password");
	for (size_t i = 0; i < sizeof(result_labels) / sizeof(result_labels[0]); i++) {
		if (strcmp(result, result_labels[i].result) == 0)
			return _(result_labels[i].label);
	}
	return result;
}

/* The rows of the table: the log entries, without the User column (skip 1) for one account. */
struct log_rows {
	const struct regs_log_entry *entries;
	size_t skip;
};

/* An output_row_fn: row i of the log_rows behind data. */
static int add_log_row(struct output_table *t, const void *data, size_t i)
{
	const struct log_rows *rows = data;
	const struct regs_log_entry *e = &rows->entries[i];
	char when[OUTPUT_TIME_SIZE];
	const char *row[] = {
	    e->user,  output_format_time(e->time, when), e->host, e->event, e->method, e->service,
	    e->rhost, result_label(e->method, e->result)};

	return output_table_add(t, row + rows->skip);
}

static int print_log_table(const struct regs_log_entry *entries, size_t n, int show_user)
{
	/* Host: the regsd that recorded the event, as hosts sharing a database share one log. */
	const char *header[] = {_("User"),   _("Time"),    _("Host"),        _("Event"),
	                        _("Method"), _("Service"), _("Remote host"), _("Result")};
	const struct log_rows rows = {entries, show_user ? 0 : 1};

	return output_table_print_rows(stdout, 8 - rows.skip, header + rows.skip, n, add_log_row,
	                               &rows) < 0
	           ? regsctl_report_nomem()
	           : REGSCTL_EXIT_OK;
}

static int print_log_json(const struct regs_log_entry *entries, size_t n)
{
	json_object *array = json_object_new_array();

	for (size_t i = 0; array && i < n; i++) {
		const struct regs_log_entry *e = &entries[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "time", json_object_new_int64(e->time));
		output_json_add_string(o, "user", e->user);
		output_json_add_string(o, "event", e->event);
		output_json_add_string(o, "method", e->method);
		output_json_add_string(o, "service", e->service);
		output_json_add_string(o, "rhost", e->rhost);
		output_json_add_string(o, "result", e->result);
		json_object_object_add(o, "actor_uid", json_object_new_int64(e->actor_uid));
		output_json_add_string(o, "host", e->host);
		json_object_array_add(array, o);
	}
	return output_json_emit(array, stdout) < 0 ? regsctl_report_nomem() : REGSCTL_EXIT_OK;
}

struct log_query {
	const char *user;
	struct regs_log_entry *entries;
	size_t n;
};

static enum regs_client_err fetch_log(struct regsctl_context *ctx, struct log_query *q)
{
	return regs_get_log(ctx->client, q->user, ctx->args.since, ctx->args.limit, &q->entries,
	                    &q->n);
}

int cmd_log(struct regsctl_context *ctx)
{
	const struct regsctl_args *a = &ctx->args;
	struct log_query q = {.user = a->user};
	int code;

	if (a->n_operands > 0) {
		if (*a->user) {
			regsctl_error("%s",
			              _("give the user either as USER or with --user or --all, "
			                "not both"));
			return regsctl_usage_error("log");
		}
		q.user = a->operands[0];
	}
	enum regs_client_err err = fetch_log(ctx, &q);
	code = err == RC_OK ? REGSCTL_EXIT_OK : regsctl_report_failure(ctx->client, err);
	if (code == REGSCTL_EXIT_OK)
		code = a->json ? print_log_json(q.entries, q.n)
		               : print_log_table(q.entries, q.n, *q.user != '\0');
	free(q.entries);
	return code;
}
