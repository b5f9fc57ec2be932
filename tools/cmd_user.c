/* regsctl's self-service commands: status table (R7.2), OTP enrolment and rebinding (R2.2, R2.3,
 * R2.6), password login (R6), e-mail address and emergency codes (R8, R9.5) and activity log
 * (R9.3). Changes to one's own bindings are re-verified with an OTP code first (step-up, R7.1). */
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
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CODE_ATTEMPTS 3
#define REGSCTL_SERVICE "regsctl"
#define PASSWORD_LOGIN_ROW "password-login" /* GetStatus row: bound = password login disabled */

/* Set by SIGINT during enrolment so that the pending enrolment is cancelled. */
static volatile sig_atomic_t interrupted;

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

static void free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* ---- questions on the terminal ---- */

/* Prints prompt on stderr (stdout may be a pipe for --json) and reads one line from stdin,
 * keeping only its non-space characters ("123 456" is fine). Returns NULL on end of input or
 * interruption. */
static char *read_answer(const char *prompt)
{
	char *line = NULL, *out;
	size_t size = 0;
	ssize_t len;

	if (interrupted)
		return NULL;
	fflush(stdout);
	fputs(prompt, stderr);
	fflush(stderr);
	len = getline(&line, &size, stdin);
	if (!isatty(STDIN_FILENO))
		fputc('\n', stderr); /* the piped answer was not echoed: end the prompt's line */
	if (len < 0 || interrupted) {
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

/* Asks question; only "y" or "yes" (or the translated yes) is a yes. */
static int ask_yes(const char *question)
{
	char *answer = read_answer(question);
	int yes = answer && (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0 ||
	                     /* TRANSLATORS: an answer to a [y/N] question */
	                     strcmp(answer, _("yes")) == 0);

	free(answer);
	return yes;
}

/* One code given to regsd; says what the answer means and sets *tries to how many more codes
 * regsd allows (0: do not ask again). Returns the exit code. */
typedef int (*code_attempt_fn)(struct regsctl_context *ctx, const char *code, void *data,
                               unsigned *tries);

/* Asking for a code: from the command line (given) or up to CODE_ATTEMPTS times on stdin. */
struct code_dialog {
	const char *prompt;    /* translated */
	const char *given;     /* the code from the command line, or NULL to ask */
	const char *no_code;   /* translated: said on end of input */
	const char *exhausted; /* translated or NULL: said after the last failed attempt */
	code_attempt_fn attempt;
	void *data;
};

static int run_code_dialog(struct regsctl_context *ctx, const struct code_dialog *d)
{
	unsigned attempts = d->given ? 1 : CODE_ATTEMPTS, tries = 1;
	int code = REGSCTL_EXIT_VERIFY;

	for (unsigned attempt = 1; tries > 0 && attempt <= attempts; attempt++) {
		char *answer = d->given ? strdup(d->given) : read_answer(d->prompt);

		if (!answer) {
			if (d->given)
				return regsctl_report_nomem();
			regsctl_error("%s", d->no_code);
			return REGSCTL_EXIT_VERIFY;
		}
		code = d->attempt(ctx, answer, d->data, &tries);
		free_secret(answer);
		if (tries > 0 && attempt < attempts)
			regsctl_error(_("try again (attempts left: %u)"),
			              tries < attempts - attempt ? tries : attempts - attempt);
	}
	if (tries > 0 && !d->given && d->exhausted)
		regsctl_error("%s", d->exhausted);
	return code;
}

/* ---- OTP verdicts and re-verification (step-up, R7.1) ---- */

static void print_drift_hint(void)
{
	fputs(_("Your phone's clock is off. Set it to the network time, then enter a new code:\n"
	        "  iOS: Settings > General > Date & Time > Set Automatically\n"
	        "  Android: Google Authenticator > ☰ > Settings > Time correction for codes > "
	        "Sync now\n"),
	      stderr);
}

/* Says why an OTP code was not accepted (anything but ok and expired); returns the exit code
 * and sets *tries to how many more codes may be tried. */
static int report_failed_verdict(const struct regs_verdict *v, unsigned *tries)
{
	*tries = 0;
	/* lock_seconds is also set when this very attempt locked the account. */
	if (v->result == REGS_R_LOCKED || v->lock_seconds > 0) {
		regsctl_error(_("too many wrong codes: the account is locked for %u more min"),
		              regsctl_minutes(v->lock_seconds));
		return REGSCTL_EXIT_LOCKED;
	}
	/* Not locked yet: at least one more code (CODE_ATTEMPTS bounds the asking). */
	*tries = v->failures_left > 0 ? v->failures_left : 1;
	switch (v->result) {
	case REGS_R_WRONG:
		regsctl_error("%s", _("wrong code"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_MALFORMED:
		regsctl_error("%s", _("the code is 6 digits"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_REPLAYED:
		regsctl_error("%s", _("that code was already used; wait for the next one"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_CLOCK_DRIFT:
		regsctl_error("%s", _("the code is for another time than now"));
		print_drift_hint();
		return REGSCTL_EXIT_VERIFY;
	}
	*tries = 0;
	if (v->result == REGS_R_NOT_BOUND) {
		regsctl_error("%s", _("re-verification needs an OTP code, but this account has no "
		                      "OTP bound; ask an administrator"));
		return REGSCTL_EXIT_VERIFY;
	}
	regsctl_error(_("unexpected answer from regsd (result %u)"), v->result);
	return REGSCTL_EXIT_OTHER;
}

static int step_up_attempt(struct regsctl_context *ctx, const char *code, void *data,
                           unsigned *tries)
{
	const char *purpose = data;
	struct regs_step_up proof;
	enum regs_client_err err;

	*tries = 0;
	err = regs_step_up(ctx->client, purpose, code, REGSCTL_SERVICE, "", &proof);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (proof.verdict.result == REGS_R_OK)
		return REGSCTL_EXIT_OK;
	return report_failed_verdict(&proof.verdict, tries);
}

/* Proves this connection for purpose with an OTP code read from stdin. */
static int step_up(struct regsctl_context *ctx, const char *purpose)
{
	const struct code_dialog d = {
	    .prompt = _("OTP code (re-verification): "),
	    .no_code = _("no code entered; nothing was done"),
	    .exhausted = _("re-verification failed; nothing was done"),
	    .attempt = step_up_attempt,
	    .data = (void *)purpose,
	};

	return run_code_dialog(ctx, &d);
}

/* One call to regsd that may need a step-up proof. */
typedef enum regs_client_err (*regsctl_call_fn)(struct regsctl_context *ctx, void *data);

/* Makes the call; when regsd answers StepUpRequired, re-verifies this connection for purpose
 * (an OTP code from stdin) and makes it once more. Returns REGSCTL_EXIT_OK with the call's own
 * outcome in *err (not reported), or the exit code of a failed re-verification (reported).
 * purpose NULL: no re-verification. */
static int call_with_step_up(struct regsctl_context *ctx, const char *purpose, regsctl_call_fn call,
                             void *data, enum regs_client_err *err)
{
	int code;

	*err = call(ctx, data);
	if (*err != RC_STEP_UP_REQUIRED || !purpose)
		return REGSCTL_EXIT_OK;
	code = step_up(ctx, purpose);
	if (code == REGSCTL_EXIT_OK)
		*err = call(ctx, data);
	return code;
}

/* call_with_step_up that also reports a failed call; returns the exit code. */
static int run_with_step_up(struct regsctl_context *ctx, const char *purpose, regsctl_call_fn call,
                            void *data)
{
	enum regs_client_err err;
	int code = call_with_step_up(ctx, purpose, call, data, &err);

	if (code == REGSCTL_EXIT_OK && err != RC_OK)
		code = regsctl_report_failure(ctx->client, err);
	return code;
}

/* ---- subcommands (password-login, email, reset-code) ---- */

struct subcommand {
	const char *name;
	int min_args, max_args; /* operands after the subcommand */
	int (*run)(struct regsctl_context *ctx, char **args, int n_args);
};

static int run_subcommand(struct regsctl_context *ctx, const char *command,
                          const struct subcommand *subs, size_t n)
{
	const char *name = ctx->args.operands[0];
	int n_args = ctx->args.n_operands - 1;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(name, subs[i].name) != 0)
			continue;
		if (n_args >= subs[i].min_args && n_args <= subs[i].max_args)
			return subs[i].run(ctx, ctx->args.operands + 1, n_args);
		regsctl_error(_("wrong number of arguments for '%s %s'"), command, name);
		fprintf(stderr, _("Try 'regsctl help %s'.\n"), command);
		return REGSCTL_EXIT_USAGE;
	}
	regsctl_error(_("unknown action '%s' for '%s'"), name, command);
	fprintf(stderr, _("Try 'regsctl help %s'.\n"), command);
	return REGSCTL_EXIT_USAGE;
}

/* ---- e-mail address ---- */

struct email_query {
	const char *user;
	struct regs_email email;
};

static enum regs_client_err fetch_email(struct regsctl_context *ctx, void *data)
{
	struct email_query *q = data;

	return regs_get_email(ctx->client, q->user, &q->email);
}

static void print_email(const struct regs_email *e)
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

static json_object *email_json(const struct regs_email *e)
{
	json_object *o = json_object_new_object();

	output_json_add_string(o, "address", *e->address ? e->address : NULL);
	json_object_object_add(o, "verified", json_object_new_boolean(e->verified));
	output_json_add_string(o, "pending", *e->pending ? e->pending : NULL);
	return o;
}

/* ---- status ---- */

struct status_query {
	struct email_query email; /* its user is the account shown */
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
	return err == RC_OK ? fetch_email(ctx, &q->email) : err;
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

static int print_status_table(const struct status_query *q)
{
	const char *header[] = {_("Method"), _("Action"), _("Status")};
	struct output_table *t = output_table_new(3);
	int code = REGSCTL_EXIT_OK;

	if (!t || output_table_add(t, header) < 0)
		goto nomem;
	for (size_t i = 0; i < q->n; i++) {
		char status[128];
		const char *row[3];

		format_binding(&q->methods[i], status, sizeof(status));
		row[0] = method_label(q->methods[i].method);
		row[1] = binding_action(&q->methods[i]);
		row[2] = status;
		if (output_table_add(t, row) < 0)
			goto nomem;
	}
	output_table_print(t, stdout);
	putchar('\n');
	print_email(&q->email.email);
	goto out;
nomem:
	code = regsctl_report_nomem();
out:
	output_table_free(t);
	return code;
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
	json_object_object_add(doc, "email", email_json(&q->email.email));
	return output_json_emit(doc, stdout) < 0 ? regsctl_report_nomem() : REGSCTL_EXIT_OK;
}

int cmd_status(struct regsctl_context *ctx)
{
	struct status_query q = {.email.user = ctx->args.user};
	int code;

	code = run_with_step_up(ctx, REGS_PURPOSE_VIEW, fetch_status, &q);
	if (code == REGSCTL_EXIT_OK)
		code = ctx->args.json ? print_status_json(&q) : print_status_table(&q);
	free(q.methods);
	return code;
}

/* ---- enrol otp, rebind otp ---- */

/* What differs between a first enrolment and a rebinding. */
struct enrol_mode {
	const char *name;    /* the regsctl command */
	const char *purpose; /* step-up purpose, or NULL */
	const char *command; /* to start again */
	const char *done;    /* N_() */
};

struct enrol_attempt {
	const struct enrol_mode *mode;
	const struct regs_enrolment *e;
};

static void on_interrupt(int signo)
{
	(void)signo;
	interrupted = 1;
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

/* Gives one code to ConfirmOtpEnrol and says what the answer means. */
static int enrol_attempt(struct regsctl_context *ctx, const char *code, void *data, unsigned *tries)
{
	const struct enrol_attempt *a = data;
	struct regs_verdict v;
	enum regs_client_err err;

	*tries = 0;
	err = regs_confirm_otp_enrol(ctx->client, a->e->handle, code, REGSCTL_SERVICE, "", &v);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	switch (v.result) {
	case REGS_R_OK:
		printf("%s\n", _(a->mode->done));
		return REGSCTL_EXIT_OK;
	case REGS_R_EXPIRED:
		regsctl_error(_("the enrolment expired; start again with '%s'"), a->mode->command);
		return REGSCTL_EXIT_VERIFY;
	}
	return report_failed_verdict(&v, tries);
}

static int confirm_enrolment(struct regsctl_context *ctx, const struct enrol_mode *mode,
                             const struct regs_enrolment *e)
{
	struct enrol_attempt a = {mode, e};
	char exhausted[256];
	const struct code_dialog d = {
	    .prompt = _("Enter the 6-digit code from the app: "),
	    .no_code = _("no code entered; enrolment cancelled"),
	    .exhausted = exhausted,
	    .attempt = enrol_attempt,
	    .data = &a,
	};

	snprintf(exhausted, sizeof(exhausted),
	         _("enrolment cancelled after 3 failed codes; start again with '%s'"),
	         mode->command);
	return run_code_dialog(ctx, &d);
}

static enum regs_client_err begin_enrolment(struct regsctl_context *ctx, void *data)
{
	return regs_begin_otp_enrol(ctx->client, "", data);
}

static int run_enrolment(struct regsctl_context *ctx, const struct enrol_mode *mode)
{
	struct regs_enrolment e;
	enum regs_client_err err;
	int code;

	/* Only OTP can be bound from a terminal. */
	if (strcmp(ctx->args.operands[0], "otp") != 0) {
		regsctl_error(
		    _("cannot bind '%s' with regsctl: only 'otp' (see 'regsctl help %s')"),
		    ctx->args.operands[0], mode->name);
		return REGSCTL_EXIT_USAGE;
	}
	catch_interrupt();
	code = call_with_step_up(ctx, mode->purpose, begin_enrolment, &e, &err);
	if (code != REGSCTL_EXIT_OK)
		return code;
	/* Without a proof regsd refuses to replace a bound OTP: that is what rebind is for. */
	if (!mode->purpose && (err == RC_ALREADY_BOUND || err == RC_STEP_UP_REQUIRED)) {
		regsctl_error("%s", _("OTP is already bound; to move it to a new phone, run "
		                      "'regsctl rebind otp'"));
		return REGSCTL_EXIT_ALREADY_BOUND;
	}
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	code = show_enrolment(&e);
	if (code == REGSCTL_EXIT_OK)
		code = confirm_enrolment(ctx, mode, &e);
	/* A failed enrolment must not leave its secret pending on regsd (R2.2); an unknown
	 * enrolment is gone already and an unreachable regsd would only make us wait again. */
	if (code != REGSCTL_EXIT_OK && code != REGSCTL_EXIT_NOT_FOUND &&
	    code != REGSCTL_EXIT_UNREACHABLE)
		regs_cancel_otp_enrol(ctx->client, e.handle);
	regs_enrolment_clear(&e);
	return code;
}

int cmd_enrol(struct regsctl_context *ctx)
{
	static const struct enrol_mode mode = {"enrol", NULL, "regsctl enrol otp",
	                                       N_("OTP bound; log in again with a bound method.")};

	return run_enrolment(ctx, &mode);
}

int cmd_rebind(struct regsctl_context *ctx)
{
	static const struct enrol_mode mode = {
	    "rebind", REGS_PURPOSE_OTP, "regsctl rebind otp",
	    N_("OTP rebound: from now on only the new app's codes are accepted.")};

	return run_enrolment(ctx, &mode);
}

/* ---- password-login (R6) ---- */

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
	if (!ctx->args.yes && !ask_yes(_("Disable password login? [y/N] "))) {
		printf("%s\n", _("Password login stays enabled."));
		return REGSCTL_EXIT_USAGE;
	}
	code = run_with_step_up(ctx, REGS_PURPOSE_PASSWORD_LOGIN, set_password_login, &change);
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
	code = run_with_step_up(ctx, REGS_PURPOSE_PASSWORD_LOGIN, set_password_login, &change);
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
	static const struct subcommand subs[] = {
	    {"disable", 0, 0, disable_password_login},
	    {"enable", 0, 1, enable_password_login},
	};

	return run_subcommand(ctx, "password-login", subs, sizeof(subs) / sizeof(subs[0]));
}

/* ---- codes sent by mail: e-mail verification (R8.6) and emergency codes (R8, R9.5) ---- */

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
static void print_code_sent(const char *address, const struct regs_code_sent *sent)
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

/* A code from a mail: how it is given to regsd and what success means. */
struct mailed_code {
	enum regs_client_err (*submit)(struct regsctl_context *ctx, const char *code,
	                               struct regs_code_verdict *v);
	const char *again;   /* the command that sends a new code */
	const char *prompt;  /* N_() */
	const char *no_code; /* N_() */
	const char *done;    /* N_() */
};

static int mailed_code_attempt(struct regsctl_context *ctx, const char *code, void *data,
                               unsigned *tries)
{
	const struct mailed_code *m = data;
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

/* Gives regsd the code given on the command line, or asks for it. */
static int enter_mailed_code(struct regsctl_context *ctx, const struct mailed_code *m,
                             const char *given)
{
	const struct code_dialog d = {
	    .prompt = _(m->prompt),
	    .given = given,
	    .no_code = _(m->no_code),
	    .attempt = mailed_code_attempt,
	    .data = (void *)m,
	};

	return run_code_dialog(ctx, &d);
}

static enum regs_client_err submit_email_code(struct regsctl_context *ctx, const char *code,
                                              struct regs_code_verdict *v)
{
	return regs_verify_email(ctx->client, code, v);
}

static const struct mailed_code email_code = {
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
	code = run_with_step_up(ctx, REGS_PURPOSE_EMAIL, set_email, &change);
	if (code != REGSCTL_EXIT_OK)
		return code;
	if (!*change.sent.prefix) { /* an administrator's own address: no code to verify */
		printf(_("Your e-mail address is now %s (verified).\n"), change.address);
		return REGSCTL_EXIT_OK;
	}
	print_code_sent(change.address, &change.sent);
	if (ctx->args.no_wait) {
		printf("%s\n", _("Enter the code with 'regsctl email verify CODE'."));
		return REGSCTL_EXIT_OK;
	}
	return enter_mailed_code(ctx, &email_code, NULL);
}

static int email_verify(struct regsctl_context *ctx, char **args, int n_args)
{
	(void)n_args;
	return enter_mailed_code(ctx, &email_code, args[0]);
}

static int email_show(struct regsctl_context *ctx, char **args, int n_args)
{
	struct email_query q = {.user = ""};
	int code;

	(void)args;
	(void)n_args;
	code = run_with_step_up(ctx, REGS_PURPOSE_VIEW, fetch_email, &q);
	if (code == REGSCTL_EXIT_OK)
		print_email(&q.email);
	return code;
}

int cmd_email(struct regsctl_context *ctx)
{
	static const struct subcommand subs[] = {
	    {"set", 1, 1, email_set},
	    {"verify", 1, 1, email_verify},
	    {"show", 0, 0, email_show},
	};

	return run_subcommand(ctx, "email", subs, sizeof(subs) / sizeof(subs[0]));
}

static enum regs_client_err submit_reset_code(struct regsctl_context *ctx, const char *code,
                                              struct regs_code_verdict *v)
{
	const char *purpose = ctx->args.password ? REGS_RESET_PASSWORD : REGS_RESET_BINDING;

	return regs_redeem_reset_code(ctx->client, "", purpose, code, REGSCTL_SERVICE, "", v);
}

/* The emergency code for the login bindings (R8) or, with --password, the password (R9.5). */
static const struct mailed_code reset_codes[2] = {
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
	print_code_sent(NULL, &sent);
	if (ctx->args.no_wait) {
		printf(_("Enter it with 'regsctl reset-code redeem CODE%s'.\n"),
		       ctx->args.password ? " --password" : "");
		return REGSCTL_EXIT_OK;
	}
	return enter_mailed_code(ctx, &reset_codes[ctx->args.password != 0], NULL);
}

static int reset_code_redeem(struct regsctl_context *ctx, char **args, int n_args)
{
	(void)n_args;
	return enter_mailed_code(ctx, &reset_codes[ctx->args.password != 0], args[0]);
}

int cmd_reset_code(struct regsctl_context *ctx)
{
	static const struct subcommand subs[] = {
	    {"request", 0, 0, reset_code_request},
	    {"redeem", 1, 1, reset_code_redeem},
	};

	return run_subcommand(ctx, "reset-code", subs, sizeof(subs) / sizeof(subs[0]));
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

struct log_query {
	const char *user;
	struct regs_log_entry *entries;
	size_t n;
};

static enum regs_client_err fetch_log(struct regsctl_context *ctx, void *data)
{
	struct log_query *q = data;

	free(q->entries); /* a retry after the step-up starts again */
	q->entries = NULL;
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
			fprintf(stderr, _("Try 'regsctl help %s'.\n"), "log");
			return REGSCTL_EXIT_USAGE;
		}
		q.user = a->operands[0];
	}
	code = run_with_step_up(ctx, REGS_PURPOSE_VIEW, fetch_log, &q);
	if (code == REGSCTL_EXIT_OK)
		code = a->json ? print_log_json(q.entries, q.n)
		               : print_log_table(q.entries, q.n, *q.user != '\0');
	free(q.entries);
	return code;
}
