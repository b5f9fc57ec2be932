/* The PAM conversation: messages, and info text sent together with its prompt. */
#include "conv.h"
#include "wipe.h"
#include <security/pam_appl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int converse(pam_handle_t *pamh, const struct pam_message **msgs, int n,
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
