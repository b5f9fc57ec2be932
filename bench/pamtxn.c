/* One whole PAM transaction answering the OTP prompt, timed part by part (bench/pamtxn.h). */
#include "pamtxn.h"
#include "common.h"
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct answer {
	const char *code;
	char last_error[256];
	int prompts;
};

static void free_responses(struct pam_response *r, int n)
{
	for (int k = 0; k < n; k++)
		free(r[k].resp);
	free(r);
}

/* Answers every prompt with the code; keeps the last error message for reports. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct answer *a = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			a->prompts++;
			r[i].resp = strdup(a->code);
			if (!r[i].resp) {
				free_responses(r, i);
				return PAM_BUF_ERR;
			}
			break;
		case PAM_ERROR_MSG:
			snprintf(a->last_error, sizeof(a->last_error), "%s", msg[i]->msg);
			break;
		default:
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

int pamtxn_login(const char *service, const char *user, const char *code, struct pamtxn_times *t,
                 char *why, size_t why_len)
{
	struct answer a = {code, "", 0};
	struct pam_conv pc = {conv, &a};
	pam_handle_t *pamh = NULL;
	memset(t, 0, sizeof(*t));
	int64_t t0 = bench_now_ns();
	int rc = pam_start(service, user, &pc, &pamh);
	int64_t t1 = bench_now_ns();
	t->start_ns = t1 - t0;
	if (rc != PAM_SUCCESS) {
		snprintf(why, why_len, "pam_start(%s): %s", service, pam_strerror(pamh, rc));
		return -1;
	}
	rc = pam_authenticate(pamh, 0);
	int64_t t2 = bench_now_ns();
	t->auth_ns = t2 - t1;
	int ok = rc == PAM_SUCCESS && a.prompts == (strcmp(code, "-") == 0 ? 0 : 1);
	if (!ok)
		snprintf(why, why_len, "%s (%d prompts)%s%s", pam_strerror(pamh, rc), a.prompts,
		         a.last_error[0] ? ": " : "", a.last_error);
	pam_end(pamh, rc);
	t->end_ns = bench_now_ns() - t2;
	return ok ? 0 : -1;
}
