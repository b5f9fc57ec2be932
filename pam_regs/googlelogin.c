/* Google account + OTP (R5.3): the device flow shown as URL, code and QR with a countdown, then
 * the OTP; regsd checks both in one call. */
#include "base/wipe.h"
#include "cardqr_flow.h"
#include "conv.h"
#include "flows.h"
#include "messages.h"
#include "ooblogin.h"
#include "proto/bus.h"
#include <stdlib.h>

#define GOOGLE_INFO_MAX 16384

static char *google_info(const struct flow *f, const struct regs_oob_start *s)
{
	char *qr = NULL, *info = malloc(GOOGLE_INFO_MAX);
	const char *target = *s->uri_complete ? s->uri_complete : s->uri;
	if (info && !flow_plain(f) && (qr = flow_qr(f, target)) != NULL)
		msg_google_info(info, GOOGLE_INFO_MAX, s->uri, s->user_code, qr, s->expires_in);
	else if (info)
		msg_google_info(info, GOOGLE_INFO_MAX, s->uri, s->user_code, "", s->expires_in);
	free(qr);
	return info;
}

/* R5.3: the OTP after Google approved; the flow is used up by this one try. */
static int google_otp(struct flow *f, const char *handle)
{
	struct regs_verdict v;
	char *code = NULL, text[1024];
	if (conv_ask(f->pamh, NULL, msg_otp_prompt(), 0, &code) != PAM_SUCCESS) {
		regs_oob_cancel(f->client, handle);
		return PAM_AUTH_ERR;
	}
	enum regs_client_err err =
	    regs_google_login(f->client, handle, code, f->service, f->rhost, &v);
	conv_free_answer(code);
	if (err != RC_OK)
		return flow_call_failed(f, err);
	if (v.result == REGS_R_OK)
		return PAM_SUCCESS;
	msg_verdict(text, sizeof(text), v.result, v.lock_seconds, v.failures_left);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	return v.lock_seconds > 0 ? PAM_MAXTRIES : PAM_AUTH_ERR;
}

int flow_google_login(struct flow *f)
{
	struct regs_oob_start s;
	uint32_t lock = 0;
	int rc = PAM_AUTH_ERR;
	enum regs_client_err err =
	    regs_google_begin(f->client, f->user, REGS_OOB_LOGIN, f->service, f->rhost, &s);
	if (err != RC_OK)
		return oob_not_started(f, MSG_METHOD_GOOGLE, err);
	char *info = google_info(f, &s);
	struct oob_wait w = {MSG_METHOD_GOOGLE, s.handle, info, s.expires_in, 0};
	int state = oob_wait(f, &w, &lock, &rc);
	free(info);
	if (state < 0)
		return rc;
	if (state != REGS_OOB_APPROVED)
		return oob_refuse(f, MSG_METHOD_GOOGLE, (uint32_t)state, lock);
	return google_otp(f, s.handle);
}
