/* Waiting for an out-of-band approval (R4.3: a visible countdown), and the refusals. */
#include "ooblogin.h"
#include "base/wipe.h"
#include "cardqr_flow.h"
#include "conv.h"
#include "messages.h"
#include "proto/bus.h"
#include <security/pam_ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define QR_INFO_MAX 16384

/* 'q' on a mobile login: the QR of the same transaction (R4.2, R4.4). */
static char *qr_info(struct flow *f, const char *handle)
{
	char *ticket = NULL, *qr = NULL, *info = malloc(QR_INFO_MAX);
	if (info && !flow_plain(f) && regs_mobile_qr(f->client, handle, &ticket) == RC_OK &&
	    (qr = flow_qr(f, ticket)) != NULL)
		msg_mobile_qr(info, QR_INFO_MAX, qr);
	else if (info)
		snprintf(info, QR_INFO_MAX, "%s", msg_qr_unavailable());
	free(ticket);
	free(qr);
	return info;
}

/* R4.3: the time left now, also after a QR code was shown in between. */
static uint32_t seconds_left(const struct oob_wait *w)
{
	time_t now = time(NULL);
	return now < w->deadline ? (uint32_t)(w->deadline - now) : 0;
}

/* One prompt: 1 when the user asked for the QR, 0 for Enter, -1 when the conversation failed. */
static int ask_once(struct flow *f, const struct oob_wait *w, const char *info)
{
	char prompt[256], *answer = NULL;
	msg_oob_prompt(prompt, sizeof(prompt), w->kind, !flow_plain(f), seconds_left(w));
	if (conv_ask(f->pamh, info, prompt, 1, &answer) != PAM_SUCCESS)
		return -1;
	int want_qr = w->kind == MSG_METHOD_MOBILE && !flow_plain(f) &&
	              (strcmp(answer, "q") == 0 || strcmp(answer, "Q") == 0);
	conv_free_answer(answer);
	return want_qr;
}

int oob_wait(struct flow *f, struct oob_wait *w, uint32_t *lock_seconds, int *rc)
{
	const char *info = w->info;
	char *extra = NULL;
	w->deadline = time(NULL) + w->seconds_left;
	for (;;) {
		int asked = ask_once(f, w, info);
		free(extra);
		extra = NULL;
		if (asked < 0) {
			regs_oob_cancel(f->client, w->handle);
			*rc = PAM_AUTH_ERR;
			return -1;
		}
		if (asked == 1) {
			info = extra = qr_info(f, w->handle);
			continue;
		}
		struct regs_oob_status st;
		enum regs_client_err err = regs_oob_wait(f->client, w->handle, &st);
		if (err != RC_OK) {
			*rc = flow_call_failed(f, err);
			return -1;
		}
		if (st.state != REGS_OOB_PENDING) {
			*lock_seconds = st.lock_seconds;
			return (int)st.state;
		}
		w->seconds_left = st.seconds_left;
		w->deadline = time(NULL) + st.seconds_left;
		info = msg_oob_pending();
	}
}

int oob_refuse(struct flow *f, int kind, uint32_t state, uint32_t lock_seconds)
{
	char text[512];
	msg_oob_outcome(text, sizeof(text), kind, state, lock_seconds);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	pam_syslog(f->pamh, LOG_NOTICE, "%s login of %s not approved (state %u)",
	           kind == MSG_METHOD_GOOGLE ? "Google" : "mobile", f->user, state);
	return lock_seconds > 0 || state == REGS_OOB_LOCKED ? PAM_MAXTRIES : PAM_AUTH_ERR;
}

int oob_not_started(struct flow *f, int kind, enum regs_client_err err)
{
	char text[512];
	if (err == RC_UNREACHABLE)
		return flow_call_failed(f, err);
	pam_syslog(f->pamh, LOG_NOTICE, "%s login of %s not started: %s",
	           kind == MSG_METHOD_GOOGLE ? "Google" : "mobile", f->user,
	           regs_client_error_message(f->client));
	msg_oob_not_started(text, sizeof(text), kind, err);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	return PAM_AUTH_ERR;
}
