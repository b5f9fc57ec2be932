/* regsctl enrol otp and rebind otp: bind an authenticator app, showing its QR code and confirming
 * it with a code from the app (R2.2, R2.3, R2.6); rebind re-verifies with the current app first
 * (step-up, R7.1). */
#include "base/i18n.h"
#include "base/wipe.h"
#include "output.h"
#include "proto/bus.h"
#include "regsctl.h"
#include "ui/qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		regs_free_secret_str(qr);
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
	regs_free_secret_str(grouped);
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
	return regsctl_report_verdict(&v, tries);
}

static int confirm_enrolment(struct regsctl_context *ctx, const struct enrol_mode *mode,
                             const struct regs_enrolment *e)
{
	struct enrol_attempt a = {mode, e};
	char exhausted[256];
	const struct regsctl_code_dialog d = {
	    .prompt = _("Enter the 6-digit code from the app: "),
	    .no_code = _("no code entered; enrolment cancelled"),
	    .exhausted = exhausted,
	    .attempt = enrol_attempt,
	    .data = &a,
	};

	snprintf(exhausted, sizeof(exhausted),
	         _("enrolment cancelled after 3 failed codes; start again with '%s'"),
	         mode->command);
	return regsctl_run_code_dialog(ctx, &d);
}

static enum regs_client_err begin_enrolment(struct regsctl_context *ctx, void *data)
{
	return regs_begin_otp_enrol(ctx->client, "", data);
}

static int run_enrolment(struct regsctl_context *ctx, const struct enrol_mode *mode)
{
	struct regs_enrolment e;
	enum regs_client_err err;
	int code = REGSCTL_EXIT_OK;

	/* Only OTP is enrolled here; a card is bound with 'bind card'. */
	if (strcmp(ctx->args.operands[0], "card") == 0) {
		regsctl_error("%s", _("to bind or rebind a citizen certificate card, run 'regsctl "
		                      "bind card'"));
		return REGSCTL_EXIT_USAGE;
	}
	if (strcmp(ctx->args.operands[0], "otp") != 0) {
		regsctl_error(_("unknown method '%s' for '%s': only 'otp' (see 'regsctl help %s')"),
		              ctx->args.operands[0], mode->name, mode->name);
		return REGSCTL_EXIT_USAGE;
	}
	regsctl_catch_interrupt();
	/* enrol adds OTP: re-verified (with the card) when the account has a card
	 * already (R7.1); a bound OTP is moved with rebind instead. */
	struct regs_account_info info;
	if (!mode->purpose && regs_get_account(ctx->client, "", &info) == RC_OK &&
	    (info.flags & REGS_F_OTP_BOUND))
		err = RC_ALREADY_BOUND;
	else
		code = regsctl_call_with_step_up(ctx, REGS_PURPOSE_OTP, begin_enrolment, &e, &err);
	if (code != REGSCTL_EXIT_OK)
		return code;
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
