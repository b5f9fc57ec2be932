/* pamdrive: a small PAM application for the integration tests.
 * Usage: pamdrive [--rhost H] [--tty T] [--no-acct] [--chauthtok] [--env NAME=VALUE]...
 *        SERVICE USER   (--env: pam_putenv before pam_authenticate, at most 8)
 * Answers one stdin line per prompt; prints every conversation call and the
 * symbolic results of pam_authenticate and pam_acct_mgmt. */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME(x)                                                                                    \
	{                                                                                          \
		x, #x                                                                              \
	}
static const struct {
	int rc;
	const char *name;
} pam_names[] = {
    NAME(PAM_SUCCESS),          NAME(PAM_AUTH_ERR),     NAME(PAM_PERM_DENIED),
    NAME(PAM_AUTHINFO_UNAVAIL), NAME(PAM_MAXTRIES),     NAME(PAM_IGNORE),
    NAME(PAM_NEW_AUTHTOK_REQD), NAME(PAM_USER_UNKNOWN), NAME(PAM_ACCT_EXPIRED),
    NAME(PAM_SYSTEM_ERR),       NAME(PAM_CONV_ERR),     NAME(PAM_ABORT),
};

static const char *pam_name(int rc)
{
	static char buf[32];
	for (size_t i = 0; i < sizeof pam_names / sizeof pam_names[0]; i++)
		if (pam_names[i].rc == rc)
			return pam_names[i].name;
	snprintf(buf, sizeof buf, "%d", rc);
	return buf;
}

/* Prints text line by line, each line prefixed by "kind: ". */
static void print_msg(const char *kind, const char *text)
{
	const char *p = text ? text : "";
	do {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		printf("%s: %.*s\n", kind, len, p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
	fflush(stdout);
}

/* With PAMDRIVE_SYNC set, a line on stderr tells a driving harness that a prompt
 * has been printed in full and an answer is being read. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	int sync = *(const int *)data;
	if (n <= 0)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof *r);
	if (!r)
		return PAM_BUF_ERR;
	printf("CONV n=%d\n", n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;
		const char *kind = style == PAM_PROMPT_ECHO_OFF  ? "PROMPT_OFF"
		                   : style == PAM_PROMPT_ECHO_ON ? "PROMPT_ON"
		                   : style == PAM_ERROR_MSG      ? "ERROR"
		                   : style == PAM_TEXT_INFO      ? "INFO"
		                                                 : "UNKNOWN";
		print_msg(kind, msg[i]->msg);
		if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON)
			continue;
		if (sync)
			fputs("PAMDRIVE_READ\n", stderr);
		char *line = NULL;
		size_t cap = 0;
		ssize_t len = getline(&line, &cap, stdin);
		if (len < 0) {
			free(line);
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			printf("CONV_EOF\n");
			fflush(stdout);
			return PAM_CONV_ERR;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		r[i].resp = line;
	}
	*resp = r;
	return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
	const char *rhost = NULL, *tty = NULL;
	const char *penv[8];
	int acct = 1, chauthtok = 0, i = 1, n_penv = 0;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--rhost") == 0 && i + 1 < argc)
			rhost = argv[++i];
		else if (strcmp(argv[i], "--tty") == 0 && i + 1 < argc)
			tty = argv[++i];
		else if (strcmp(argv[i], "--no-acct") == 0)
			acct = 0;
		else if (strcmp(argv[i], "--chauthtok") == 0)
			chauthtok = 1;
		else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc && n_penv < 8)
			penv[n_penv++] =
			    argv[++i]; /* NAME=VALUE, as an application hands its locale */
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: pamdrive [--rhost H] [--tty T] [--no-acct] [--chauthtok] "
		                "[--env NAME=VALUE]... SERVICE USER\n");
		return 2;
	}
	int sync = getenv("PAMDRIVE_SYNC") != NULL;
	struct pam_conv pc = {conv, &sync};
	pam_handle_t *ph = NULL;
	int rc = pam_start(argv[i], argv[i + 1], &pc, &ph);
	if (rc != PAM_SUCCESS) {
		printf("START: %s\n", pam_name(rc));
		return 1;
	}
	if (rhost)
		pam_set_item(ph, PAM_RHOST, rhost);
	if (tty)
		pam_set_item(ph, PAM_TTY, tty);
	for (int k = 0; k < n_penv; k++)
		pam_putenv(ph, penv[k]);
	rc = pam_authenticate(ph, 0);
	printf("AUTH: %s\n", pam_name(rc));
	fflush(stdout);
	if (rc == PAM_SUCCESS && acct) {
		rc = pam_acct_mgmt(ph, 0);
		printf("ACCT: %s\n", pam_name(rc));
		fflush(stdout);
	}
	/* What login does when the account phase asks for a new password. */
	if (rc == PAM_NEW_AUTHTOK_REQD && chauthtok) {
		rc = pam_chauthtok(ph, PAM_CHANGE_EXPIRED_AUTHTOK);
		printf("CHAUTHTOK: %s\n", pam_name(rc));
		fflush(stdout);
	}
	pam_end(ph, rc);
	return rc == PAM_SUCCESS ? 0 : 1;
}
