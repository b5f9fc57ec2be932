/* "Lost phone?" at the OTP prompt (R8.1-R8.4): an emergency code by e-mail, then binding again. */
#include "conv.h"
#include "flows.h"
#include "messages.h"
#include "proto/bus.h"
#include <security/pam_ext.h>
#include <string.h>
#include <syslog.h>

/* The reason regsd gave, in the user's words; other failures are the service's. */
static void show_refusal(struct flow *f, enum regs_client_err err)
{
	if (err == RC_CONTACT_ADMIN)
		conv_show(f->pamh, PAM_ERROR_MSG, msg_reset_refused(MSG_RESET_CONTACT_ADMIN));
	else if (err == RC_NO_VERIFIED_EMAIL)
		conv_show(f->pamh, PAM_ERROR_MSG, msg_reset_refused(MSG_RESET_NO_EMAIL));
	else if (err == RC_MAIL_FAILED)
		conv_show(f->pamh, PAM_ERROR_MSG, msg_reset_refused(MSG_RESET_MAIL_FAILED));
	else
		conv_show(f->pamh, PAM_ERROR_MSG, msg_service_error(err));
}

/* Asks regsd to mail a code; 1 when one is live (sent now or a moment ago). */
static int request_code(struct flow *f)
{
	struct regs_code_sent sent = {0};
	char text[512];
	enum regs_client_err err = regs_request_reset_code(f->client, f->user, REGS_RESET_BINDING,
	                                                   f->service, f->rhost, &sent);
	if (err == RC_OK) {
		msg_code_sent(text, sizeof(text), sent.prefix, sent.expires_in);
		conv_show(f->pamh, PAM_TEXT_INFO, text);
		return 1;
	}
	if (err == RC_TOO_SOON) {
		conv_show(f->pamh, PAM_TEXT_INFO, msg_code_recent());
		return 1;
	}
	pam_syslog(f->pamh, LOG_NOTICE, "emergency code for %s refused: %s", f->user,
	           regs_client_error_message(f->client));
	show_refusal(f, err);
	return 0;
}

/* One entry of the code: 1 redeemed, 0 try again, -1 give up. */
static int redeem_once(struct flow *f)
{
	struct regs_code_verdict v = {0};
	char *code = NULL, text[512];
	if (conv_ask(f->pamh, NULL, msg_reset_code_prompt(), 1, &code) != PAM_SUCCESS)
		return -1;
	enum regs_client_err err = regs_redeem_reset_code(f->client, f->user, REGS_RESET_BINDING,
	                                                  code, f->service, f->rhost, &v);
	conv_free_answer(code);
	if (err != RC_OK) {
		show_refusal(f, err);
		return -1;
	}
	if (v.result == REGS_R_OK)
		return 1;
	if (v.result == REGS_R_EXPIRED || v.tries_left == 0) {
		conv_show(f->pamh, PAM_ERROR_MSG, msg_reset_code_dead());
		return -1;
	}
	msg_reset_wrong(text, sizeof(text), v.tries_left);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	return 0;
}

int flow_lost_phone(struct flow *f)
{
	int state = 0;
	if (!request_code(f))
		return PAM_AUTH_ERR;
	while (state == 0)
		state = redeem_once(f);
	if (state < 0)
		return PAM_AUTH_ERR;
	pam_syslog(f->pamh, LOG_NOTICE, "%s reset the login bindings with an e-mail code", f->user);
	conv_show(f->pamh, PAM_TEXT_INFO, msg_bindings_deleted());
	return flow_password_only(f); /* password + mailed code: binding is forced next (R8.4) */
}
