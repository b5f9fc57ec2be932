/* Single-prompt clients (R11.3): the password and the code in one answer, split by the first
 * line and the code checked by the otp line, with no second prompt. */
#include "base/wipe.h"
#include "conv.h"
#include "flows.h"
#include "messages.h"
#include "ui/passcode.h"
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define SPLIT_CODE_KEY "pam_regs_split_code"

static void wipe_code(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh, (void)error_status;
	regs_free_secret_str(data);
}

/* What one answer cannot log in: a locked account, password login disabled (R6.3), no OTP
 * bound (binding needs a second prompt). PAM_SUCCESS when the account can go on. */
static int split_refusal(struct flow *f, uint32_t flags, uint32_t lock_seconds)
{
	if (flags & REGS_F_LOCKED) {
		flow_show_locked(f, lock_seconds);
		return PAM_MAXTRIES;
	}
	if (flags & REGS_F_PASSWORD_LOGIN_DISABLED) {
		conv_show(f->pamh, PAM_ERROR_MSG, msg_password_login_disabled());
		return PAM_AUTH_ERR;
	}
	if (!(flags & REGS_F_OTP_BOUND)) {
		conv_show(f->pamh, PAM_ERROR_MSG,
		          flags & REGS_F_CARD_BOUND ? msg_card_only() : msg_split_needs_otp());
		return PAM_AUTH_ERR;
	}
	return PAM_SUCCESS;
}

static int check_account(struct flow *f)
{
	struct regs_account_info info;
	enum regs_client_err err = RC_UNREACHABLE;
	if (!f->client || (err = regs_get_account(f->client, f->user, &info)) != RC_OK)
		return flow_call_failed(f, err);
	return split_refusal(f, info.flags, info.lock_seconds);
}

/* The answer: PAM_AUTHTOK when the application (or a module before us) set it, else one
 * hidden prompt. */
static int read_answer(struct flow *f, char **answer)
{
	const void *item = NULL;
	*answer = NULL;
	if (pam_get_item(f->pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item) {
		*answer = strdup(item);
		return *answer ? PAM_SUCCESS : PAM_BUF_ERR;
	}
	int rc = conv_ask(f->pamh, NULL, msg_split_prompt(), 0, answer);
	if (rc != PAM_SUCCESS)
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	return PAM_SUCCESS;
}

/* The password goes on in PAM_AUTHTOK (use_first_pass), the code stays with the handle. */
static int hand_on(struct flow *f, char *answer, size_t password_len)
{
	char *code = strdup(answer + password_len);
	regs_wipe(answer + password_len, strlen(answer + password_len));
	answer[password_len] = '\0';
	if (!code)
		return PAM_BUF_ERR;
	int rc = pam_set_item(f->pamh, PAM_AUTHTOK, answer);
	if (rc == PAM_SUCCESS &&
	    (rc = pam_set_data(f->pamh, SPLIT_CODE_KEY, code, wipe_code)) == PAM_SUCCESS)
		return PAM_SUCCESS;
	regs_free_secret_str(code);
	return rc;
}

int flow_split(struct flow *f)
{
	char *answer = NULL;
	size_t password_len = 0;
	pam_set_data(f->pamh, SPLIT_CODE_KEY, NULL, NULL); /* one of an earlier try: wiped */
	int rc = check_account(f);
	if (rc == PAM_SUCCESS)
		rc = read_answer(f, &answer);
	if (rc != PAM_SUCCESS)
		goto out;
	enum passcode_result parsed = passcode_split(answer, &password_len);
	if (parsed != PASSCODE_OK) {
		/* Nothing was checked, so nothing is counted and no code reaches regsd. */
		pam_syslog(f->pamh, LOG_NOTICE, "one-answer login of %s refused: %s", f->user,
		           parsed == PASSCODE_TOO_LONG ? "answer too long"
		                                       : "no password and code");
		conv_show(f->pamh, PAM_ERROR_MSG, msg_split_malformed());
		rc = PAM_AUTH_ERR;
		goto out;
	}
	rc = hand_on(f, answer, password_len);
out:
	regs_free_secret_str(answer);
	return rc;
}

int flow_split_pending(struct flow *f)
{
	const void *code = NULL;
	return pam_get_data(f->pamh, SPLIT_CODE_KEY, &code) == PAM_SUCCESS && code;
}

static int refuse_verdict(struct flow *f, const struct regs_verdict *v)
{
	char text[1024];
	msg_verdict(text, sizeof(text), v->result, v->lock_seconds, v->failures_left);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	return v->lock_seconds > 0 ? PAM_MAXTRIES : PAM_AUTH_ERR;
}

int flow_split_otp(struct flow *f)
{
	const void *code = NULL;
	struct regs_verdict v;
	int rc = check_account(f);
	if (rc == PAM_SUCCESS &&
	    (pam_get_data(f->pamh, SPLIT_CODE_KEY, &code) != PAM_SUCCESS || !code))
		rc = PAM_AUTH_ERR;
	if (rc == PAM_SUCCESS) {
		enum regs_client_err err =
		    regs_verify_otp(f->client, f->user, code, f->service, f->rhost, &v);
		if (err != RC_OK)
			rc = flow_call_failed(f, err);
		else
			rc = v.result == REGS_R_OK ? PAM_SUCCESS : refuse_verdict(f, &v);
	}
	pam_set_data(f->pamh, SPLIT_CODE_KEY, NULL, NULL); /* used once: wiped now */
	return rc;
}
