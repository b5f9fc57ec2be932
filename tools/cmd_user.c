/* regsctl's self-service commands: status table (R7.2), OTP enrolment (R2.2, R2.3) and activity log
 * (R9.3). */
#include "bus.h"
#include "i18n.h"
#include "output.h"
#include "qr.h"
#include "regsctl.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ENROL_ATTEMPTS 3
#define ENROL_SERVICE "regsctl"

/* Set by SIGINT during enrolment so that the pending enrolment is cancelled. */
static volatile sig_atomic_t enrol_interrupted;

static const struct {
	const char *method;
	const char *label; /* N_() */
} method_labels[] = {
    {"otp", N_("OTP")},
    {"card", N_("Citizen certificate card")},
    {"google", N_("Google account")},
    {"mobile", N_("Mobile citizen certificate")},
};

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

static const char *method_label(const char *method)
{
	for (size_t i = 0; i < sizeof(method_labels) / sizeof(method_labels[0]); i++) {
		if (strcmp(method, method_labels[i].method) == 0)
			return _(method_labels[i].label);
	}
	return method;
}

static const char *result_label(const char *result)
{
	for (size_t i = 0; i < sizeof(result_labels) / sizeof(result_labels[0]); i++) {
		if (strcmp(result, result_labels[i].result) == 0)
			return _(result_labels[i].label);
	}
	return result;
}

/* ---- status ---- */

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

static int print_status_table(const struct regs_method_status *methods, size_t n)
{
	const char *header[] = {_("Method"), _("Action"), _("Status")};
	struct output_table *t = output_table_new(3);
	int code = REGSCTL_EXIT_OK;

	if (!t || output_table_add(t, header) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		char status[128];
		const char *row[3];

		format_binding(&methods[i], status, sizeof(status));
		row[0] = method_label(methods[i].method);
		row[1] = methods[i].bound ? _("rebind") : _("bind");
		row[2] = status;
		if (output_table_add(t, row) < 0)
			goto nomem;
	}
	output_table_print(t, stdout);
	goto out;
nomem:
	code = regsctl_report_nomem();
out:
	output_table_free(t);
	return code;
}

static int print_status_json(const struct regs_method_status *methods, size_t n)
{
	json_object *array = json_object_new_array();

	for (size_t i = 0; array && i < n; i++) {
		json_object *m = json_object_new_object();

		output_json_add_string(m, "method", methods[i].method);
		json_object_object_add(m, "bound", json_object_new_boolean(methods[i].bound));
		json_object_object_add(m, "since",
		                       methods[i].bound && methods[i].since > 0
		                           ? json_object_new_int64(methods[i].since)
		                           : NULL);
		json_object_array_add(array, m);
	}
	return output_json_emit(array, stdout) < 0 ? regsctl_report_nomem() : REGSCTL_EXIT_OK;
}

int cmd_status(struct regsctl_context *ctx)
{
	struct regs_method_status *methods = NULL;
	size_t n = 0;
	enum regs_client_err err;
	int code;

	err = regs_get_status(ctx->client, ctx->args.user, &methods, &n);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	code = ctx->args.json ? print_status_json(methods, n) : print_status_table(methods, n);
	free(methods);
	return code;
}

/* ---- enrol otp ---- */

static void free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void on_interrupt(int signo)
{
	(void)signo;
	enrol_interrupted = 1;
}

/* Ctrl-C interrupts the read of the code (no SA_RESTART), so the enrolment is cancelled. */
static void catch_interrupt(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* "JBSWY3DPEHPK3PXP" -> "JBSW Y3DP EHPK 3PXP", for typing into the app by hand. */
static char *group_secret(const char *secret)
{
	size_t len = strlen(secret);
	char *out = malloc(len + len / 4 + 1);
	char *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && i % 4 == 0)
			*p++ = ' ';
		*p++ = secret[i];
	}
	*p = '\0';
	return out;
}

static int show_enrolment(const struct regs_enrolment *e)
{
	char until[OUTPUT_TIME_SIZE];
	char *qr = NULL;
	char *grouped = group_secret(e->secret);

	if (!grouped)
		return regsctl_report_nomem();
	if (qr_render_utf8(e->uri, 1, &qr) == REGS_OK) {
		fputs(qr, stdout);
		free_secret(qr);
	} else {
		regsctl_error("%s", _("cannot draw the QR code; add the account by hand"));
	}
	printf(_("Scan the QR code with Google Authenticator or Microsoft Authenticator,\n"
	         "or add the account by hand:\n"));
	printf(_("  URI:    %s\n"), e->uri);
	printf(_("  Secret: %s\n"), grouped);
	printf(_("This QR code is for this enrolment only; it expires at %s (in %u min).\n"),
	       output_format_time((int64_t)time(NULL) + e->expires_in, until),
	       regsctl_minutes(e->expires_in));
	free_secret(grouped);
	return REGSCTL_EXIT_OK;
}

/* Reads one line from stdin and keeps only its non-space characters ("123 456" is fine).
 * Returns NULL on end of input or interruption. */
static char *read_code(void)
{
	char *line = NULL, *out;
	size_t size = 0;
	ssize_t len;

	if (enrol_interrupted)
		return NULL;
	fputs(_("Enter the 6-digit code from the app: "), stdout);
	fflush(stdout);
	len = getline(&line, &size, stdin);
	if (!isatty(STDIN_FILENO))
		putchar('\n'); /* the piped code was not echoed: end the prompt's line */
	if (len < 0 || enrol_interrupted) {
		if (line)
			explicit_bzero(line, size);
		free(line);
		return NULL;
	}
	out = line;
	for (const char *p = line; *p; p++) {
		if (!isspace((unsigned char)*p))
			*out++ = *p;
	}
	explicit_bzero(out, (size_t)(line + size - out));
	return line;
}

static void print_drift_hint(void)
{
	fputs(_("Your phone's clock is off. Set it to the network time, then enter a new code:\n"
	        "  iOS: Settings > General > Date & Time > Set Automatically\n"
	        "  Android: Google Authenticator > ☰ > Settings > Time correction for codes > "
	        "Sync now\n"),
	      stderr);
}

/* Says what a rejected code means; returns 1 when another code may be tried. */
static int report_rejected_code(uint32_t result)
{
	switch (result) {
	case REGS_R_WRONG:
		regsctl_error("%s", _("wrong code"));
		return 1;
	case REGS_R_MALFORMED:
		regsctl_error("%s", _("the code is 6 digits"));
		return 1;
	case REGS_R_REPLAYED:
		regsctl_error("%s", _("that code was already used; wait for the next one"));
		return 1;
	case REGS_R_CLOCK_DRIFT:
		regsctl_error("%s", _("the code is for another time than now"));
		print_drift_hint();
		return 1;
	}
	return 0;
}

/* Turns a ConfirmOtpEnrol verdict into an exit code; *retry says whether to ask again. */
static int judge_enrol_verdict(const struct regs_verdict *v, int attempts_left, int *retry)
{
	*retry = 0;
	switch (v->result) {
	case REGS_R_OK:
		printf("%s\n", _("OTP bound; log in again with a bound method."));
		return REGSCTL_EXIT_OK;
	case REGS_R_EXPIRED:
		regsctl_error("%s",
		              _("the enrolment expired; start again with 'regsctl enrol otp'"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_LOCKED:
		regsctl_error(_("too many wrong codes: the account is locked for %u more min"),
		              regsctl_minutes(v->lock_seconds));
		return REGSCTL_EXIT_LOCKED;
	}
	if (!report_rejected_code(v->result)) {
		regsctl_error(_("unexpected answer from regsd (result %u)"), v->result);
		return REGSCTL_EXIT_OTHER;
	}
	if (attempts_left == 0) {
		regsctl_error("%s", _("enrolment cancelled after 3 failed codes; start again with "
		                      "'regsctl enrol otp'"));
		return REGSCTL_EXIT_VERIFY;
	}
	regsctl_error(_("try again (attempts left: %d)"), attempts_left);
	*retry = 1;
	return REGSCTL_EXIT_VERIFY;
}

/* Asks for codes until one is accepted, the attempts run out or the input ends. */
static int confirm_enrolment(struct regs_client *c, const struct regs_enrolment *e)
{
	int code = REGSCTL_EXIT_VERIFY, retry = 1;

	for (int attempt = 1; retry && attempt <= ENROL_ATTEMPTS; attempt++) {
		struct regs_verdict verdict;
		enum regs_client_err err;
		char *otp = read_code();

		if (!otp) {
			regsctl_error("%s", _("no code entered; enrolment cancelled"));
			return REGSCTL_EXIT_VERIFY;
		}
		err = regs_confirm_otp_enrol(c, e->handle, otp, ENROL_SERVICE, "", &verdict);
		free_secret(otp);
		if (err != RC_OK)
			return regsctl_report_failure(c, err);
		code = judge_enrol_verdict(&verdict, ENROL_ATTEMPTS - attempt, &retry);
	}
	return code;
}

int cmd_enrol(struct regsctl_context *ctx)
{
	struct regs_enrolment e;
	enum regs_client_err err;
	int code;

	if (strcmp(ctx->args.operands[0], "otp") != 0) {
		regsctl_error(_("cannot enrol '%s': only 'otp' can be enrolled with regsctl"),
		              ctx->args.operands[0]);
		return REGSCTL_EXIT_USAGE;
	}
	/* Unbuffered, so no copy of the code stays in stdio's buffer. */
	setvbuf(stdin, NULL, _IONBF, 0);
	catch_interrupt();
	err = regs_begin_otp_enrol(ctx->client, "", &e);
	if (err == RC_ALREADY_BOUND) {
		regsctl_error("%s", _("OTP is already bound; rebinding needs re-verification "
		                      "(regsctl rebind otp, coming with the lifecycle work) or an "
		                      "administrator's reset"));
		return REGSCTL_EXIT_ALREADY_BOUND;
	}
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	code = show_enrolment(&e);
	if (code == REGSCTL_EXIT_OK)
		code = confirm_enrolment(ctx->client, &e);
	/* A failed enrolment must not leave its secret pending on regsd (R2.2); an unknown
	 * enrolment is gone already and an unreachable regsd would only make us wait again. */
	if (code != REGSCTL_EXIT_OK && code != REGSCTL_EXIT_NOT_FOUND &&
	    code != REGSCTL_EXIT_UNREACHABLE)
		regs_cancel_otp_enrol(ctx->client, e.handle);
	regs_enrolment_clear(&e);
	return code;
}

/* ---- log ---- */

static int print_log_table(const struct regs_log_entry *entries, size_t n, int show_user)
{
	const char *header[] = {_("User"),    _("Time"),        _("Event"), _("Method"),
	                        _("Service"), _("Remote host"), _("Result")};
	size_t skip = show_user ? 0 : 1; /* the User column */
	struct output_table *t = output_table_new(7 - skip);
	int code = REGSCTL_EXIT_OK;

	if (!t || output_table_add(t, header + skip) < 0)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		const struct regs_log_entry *e = &entries[i];
		char when[OUTPUT_TIME_SIZE];
		const char *row[] = {e->user,
		                     output_format_time(e->time, when),
		                     e->event,
		                     e->method,
		                     e->service,
		                     e->rhost,
		                     result_label(e->result)};

		if (output_table_add(t, row + skip) < 0)
			goto nomem;
	}
	output_table_print(t, stdout);
	goto out;
nomem:
	code = regsctl_report_nomem();
out:
	output_table_free(t);
	return code;
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
		json_object_array_add(array, o);
	}
	return output_json_emit(array, stdout) < 0 ? regsctl_report_nomem() : REGSCTL_EXIT_OK;
}

int cmd_log(struct regsctl_context *ctx)
{
	const struct regsctl_args *a = &ctx->args;
	struct regs_log_entry *entries = NULL;
	size_t n = 0;
	enum regs_client_err err;
	int code;

	err = regs_get_log(ctx->client, a->user, a->since, a->limit, &entries, &n);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	code = a->json ? print_log_json(entries, n) : print_log_table(entries, n, *a->user != '\0');
	free(entries);
	return code;
}
