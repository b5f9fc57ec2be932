/* The PAM conversation: messages, and info text sent together with its prompt. */
#include "conv.h"
#include "base/wipe.h"
#include "plaintext.h"
#include <security/pam_appl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define PLAIN_KEY "pam_regs_plain_text"
#define SHOWN_KEY "pam_regs_text_shown" /* a text went out and no prompt since */

static int is_set(pam_handle_t *pamh, const char *key)
{
	const void *data = NULL;
	return pam_get_data(pamh, key, &data) == PAM_SUCCESS && data;
}

static void set_flag(pam_handle_t *pamh, const char *key, int on)
{
	pam_set_data(pamh, key, on ? (void *)key : NULL, NULL);
}

void conv_set_plain(pam_handle_t *pamh, int plain)
{
	set_flag(pamh, PLAIN_KEY, plain);
}

int conv_text_pending(pam_handle_t *pamh)
{
	return is_set(pamh, SHOWN_KEY);
}

static int call_client(pam_handle_t *pamh, const struct pam_message **msgs, int n,
                       struct pam_response **resp)
{
	const struct pam_conv *conv = NULL;
	int rc = pam_get_item(pamh, PAM_CONV, (const void **)&conv);
	if (rc != PAM_SUCCESS)
		return rc;
	if (!conv || !conv->conv)
		return PAM_CONV_ERR;
	*resp = NULL;
	return conv->conv(n, msgs, resp, conv->appdata_ptr);
}

/* Plain text (web consoles): one line of ASCII each, and every message an error message,
 * because Cockpit shows either the errors or the infos with a prompt, and at the end of a
 * login only the errors. */
static int converse_plain(pam_handle_t *pamh, const struct pam_message **msgs, int n,
                          struct pam_response **resp)
{
	struct pam_message copy[2];
	const struct pam_message *ptrs[2];
	char *texts[2] = {NULL, NULL};
	int rc = PAM_BUF_ERR;
	if (n > 2)
		return PAM_CONV_ERR;
	for (int i = 0; i < n; i++) {
		int prompt = msgs[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		             msgs[i]->msg_style == PAM_PROMPT_ECHO_OFF;
		copy[i].msg_style = prompt ? msgs[i]->msg_style : PAM_ERROR_MSG;
		copy[i].msg = texts[i] = plaintext_fold(msgs[i]->msg);
		ptrs[i] = &copy[i];
		if (!texts[i])
			goto out;
	}
	rc = call_client(pamh, ptrs, n, resp);
out:
	for (int i = 0; i < n; i++)
		regs_free_secret_str(texts[i]); /* may hold an enrolment key */
	return rc;
}

static int converse(pam_handle_t *pamh, const struct pam_message **msgs, int n,
                    struct pam_response **resp)
{
	int asks = msgs[n - 1]->msg_style == PAM_PROMPT_ECHO_ON ||
	           msgs[n - 1]->msg_style == PAM_PROMPT_ECHO_OFF;
	set_flag(pamh, SHOWN_KEY, !asks);
	if (is_set(pamh, PLAIN_KEY))
		return converse_plain(pamh, msgs, n, resp);
	return call_client(pamh, msgs, n, resp);
}

static void free_responses(struct pam_response *resp, int n)
{
	for (int i = 0; resp && i < n; i++)
		regs_free_secret_str(resp[i].resp);
	free(resp);
}

int conv_show(pam_handle_t *pamh, int style, const char *text)
{
	struct pam_message m = {style, text};
	const struct pam_message *msgs[1] = {&m};
	struct pam_response *resp = NULL;
	int rc = converse(pamh, msgs, 1, &resp);
	free_responses(resp, 1);
	return rc;
}

int conv_error(pam_handle_t *pamh, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return conv_show(pamh, PAM_ERROR_MSG, text);
}

static int ask_with(pam_handle_t *pamh, int style, const char *info, const char *prompt, int echo,
                    char **answer)
{
	struct pam_message m[2] = {{style, info},
	                           {echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, prompt}};
	const struct pam_message *msgs[2] = {&m[0], &m[1]};
	struct pam_response *resp = NULL;
	int first = info ? 0 : 1, n = 2 - first;
	*answer = NULL;
	int rc = converse(pamh, msgs + first, n, &resp);
	if (rc == PAM_SUCCESS && (!resp || !resp[n - 1].resp))
		rc = PAM_CONV_ERR;
	if (rc == PAM_SUCCESS) {
		*answer = resp[n - 1].resp;
		resp[n - 1].resp = NULL;
	}
	free_responses(resp, n);
	return rc;
}

int conv_ask(pam_handle_t *pamh, const char *info, const char *prompt, int echo, char **answer)
{
	return ask_with(pamh, PAM_TEXT_INFO, info, prompt, echo, answer);
}

int conv_ask_after_error(pam_handle_t *pamh, const char *error, const char *prompt, int echo,
                         char **answer)
{
	return ask_with(pamh, PAM_ERROR_MSG, error, prompt, echo, answer);
}

void conv_free_answer(char *answer)
{
	regs_free_secret_str(answer);
}
