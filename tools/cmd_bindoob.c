/* bind google / bind mobile: the out-of-band flow runs in regsd; regsctl shows where to approve,
 * waits with a countdown, and binds once the provider's answer is verified (R4, R5, R7.1). */
#include "base/i18n.h"
#include "base/wipe.h"
#include "proto/bus.h"
#include "regsctl.h"
#include "ui/qr.h"
#include "ui/twid.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct oob_begin {
	int google;
	const char *id_num;
	struct regs_oob_start start;
};

static enum regs_client_err begin_call(struct regsctl_context *ctx, void *data)
{
	struct oob_begin *b = data;
	if (b->google)
		return regs_google_begin(ctx->client, "", REGS_OOB_BIND, REGSCTL_SERVICE, "",
		                         &b->start);
	return regs_mobile_begin(ctx->client, "", b->id_num, REGS_OOB_BIND, REGSCTL_SERVICE, "",
	                         &b->start);
}

static void print_qr(const char *text)
{
	char *qr = NULL;
	if (qr_render_utf8(text, 1, &qr) == REGS_OK)
		fprintf(stderr, "%s\n", qr);
	free(qr);
}

static void show_google(const struct regs_oob_start *s)
{
	fprintf(stderr, _("Open %s on your phone or computer and enter the code %s\n"), s->uri,
	        s->user_code);
	print_qr(*s->uri_complete ? s->uri_complete : s->uri);
}

static void show_qr(struct regsctl_context *ctx, const char *handle)
{
	char *ticket = NULL;
	if (regs_mobile_qr(ctx->client, handle, &ticket) == RC_OK) {
		fprintf(stderr, "%s\n", _("Scan this QR code with the TW FidO app:"));
		print_qr(ticket);
	} else {
		regsctl_error("%s",
		              _("no QR code is available right now; the push is still valid"));
	}
	free(ticket);
}

/* Waits for the approval; returns the settled state, or -1 (reported) when stdin ended or regsd
 * failed. */
static int wait_approval(struct regsctl_context *ctx, const struct oob_begin *b, int *code)
{
	time_t deadline = time(NULL) + b->start.expires_in;
	for (;;) {
		char prompt[160];
		time_t now = time(NULL);
		uint32_t left = now < deadline ? (uint32_t)(deadline - now) : 0;
		snprintf(prompt, sizeof(prompt),
		         b->google ? _("Press Enter after approving (%u:%02u left): ")
		                   : _("Press Enter after confirming, or q for a QR code (%u:%02u "
		                       "left): "),
		         left / 60, left % 60);
		char *answer = regsctl_read_line(prompt);
		if (!answer) {
			regs_oob_cancel(ctx->client, b->start.handle);
			*code = REGSCTL_EXIT_USAGE;
			return -1;
		}
		int want_qr = !b->google && (strcmp(answer, "q") == 0 || strcmp(answer, "Q") == 0);
		regs_free_secret_str(answer);
		if (want_qr) {
			show_qr(ctx, b->start.handle);
			continue;
		}
		struct regs_oob_status st;
		enum regs_client_err err = regs_oob_wait(ctx->client, b->start.handle, &st);
		if (err != RC_OK) {
			*code = regsctl_report_failure(ctx->client, err);
			return -1;
		}
		if (st.state != REGS_OOB_PENDING)
			return (int)st.state;
		deadline = time(NULL) + st.seconds_left;
		fprintf(stderr, "%s\n", _("Not confirmed yet."));
	}
}

static int report_state(int state)
{
	switch (state) {
	case REGS_OOB_DENIED:
		regsctl_error("%s", _("the request was denied"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_OOB_EXPIRED:
		regsctl_error("%s", _("the request expired before it was confirmed"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_OOB_UNREACHABLE:
		regsctl_error("%s", _("the provider cannot be reached; try again later"));
		return REGSCTL_EXIT_UNREACHABLE;
	case REGS_OOB_REFUSED:
		regsctl_error("%s",
		              _("the provider's answer could not be verified; nothing bound"));
		return REGSCTL_EXIT_VERIFY;
	default:
		regsctl_error("%s", _("the request is no longer valid; start again"));
		return REGSCTL_EXIT_VERIFY;
	}
}

static int report_bind(uint32_t result, int google)
{
	switch (result) {
	case REGS_R_OK:
		printf("%s\n", google ? _("Google account bound.")
		                      : _("Mobile citizen certificate bound."));
		return REGSCTL_EXIT_OK;
	case REGS_R_OOB_BOUND_ELSEWHERE:
		regsctl_error("%s", google
		                        ? _("this Google account is bound to another account")
		                        : _("this mobile citizen certificate is bound to another "
		                            "account"));
		return REGSCTL_EXIT_ALREADY_BOUND;
	case REGS_R_OTP_REQUIRED:
		regsctl_error("%s", _("bind OTP first: 'regsctl enrol otp'"));
		return REGSCTL_EXIT_REFUSED;
	default:
		regsctl_error(_("not bound (%s)"), regs_result_name(result));
		return REGSCTL_EXIT_VERIFY;
	}
}

struct oob_bind {
	const char *handle;
	uint32_t result;
};

static enum regs_client_err bind_call(struct regsctl_context *ctx, void *data)
{
	struct oob_bind *b = data;
	return regs_oob_bind(ctx->client, b->handle, &b->result);
}

static int run_bind(struct regsctl_context *ctx, struct oob_begin *b)
{
	const char *purpose = b->google ? REGS_PURPOSE_GOOGLE : REGS_PURPOSE_MOBILE;
	int code = regsctl_run_with_step_up(ctx, purpose, begin_call, b);
	if (code != REGSCTL_EXIT_OK)
		return code;
	if (b->google)
		show_google(&b->start);
	else
		fprintf(
		    stderr, "%s\n",
		    _("A request was sent to the TW FidO app on your phone; confirm it there."));
	int state = wait_approval(ctx, b, &code);
	if (state < 0)
		return code;
	if (state != REGS_OOB_APPROVED)
		return report_state(state);
	struct oob_bind bind = {b->start.handle, 0};
	code = regsctl_run_with_step_up(ctx, purpose, bind_call, &bind);
	return code == REGSCTL_EXIT_OK ? report_bind(bind.result, b->google) : code;
}

int cmd_bind_google(struct regsctl_context *ctx)
{
	struct oob_begin b = {.google = 1};
	return run_bind(ctx, &b);
}

int cmd_bind_mobile(struct regsctl_context *ctx)
{
	struct oob_begin b = {.google = 0};
	char *asked = NULL;
	if (ctx->args.n_operands > 1)
		b.id_num = ctx->args.operands[1];
	else
		b.id_num = asked = regsctl_read_line(_("National ID number: "));
	if (!b.id_num)
		return REGSCTL_EXIT_USAGE;
	int code;
	if (!twid_valid(b.id_num)) { /* R4.1: nothing is sent for a bad number */
		regsctl_error("%s",
		              _("not a valid national ID number (one letter and nine digits)"));
		code = REGSCTL_EXIT_USAGE;
	} else {
		code = run_bind(ctx, &b);
	}
	regs_free_secret_str(asked);
	return code;
}
