/* Mail (lib/mail/compose.c, daemon/mailtexts.c): an address a user gave (SetEmail), and the message
 * built around it and the user name. The input is to NUL subject NUL body NUL user NUL code. A
 * message that is built must keep its header block intact: CRLF line ends only, one To:, no header
 * the input added. */
#include "base/config.h"
#include "base/wipe.h"
#include "fuzz_util.h"
#include "mail/mail.h"
#include "mailtexts.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char fuzz_target_name[] = "mail";

#define FIELDS 5

static void check_headers(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");
	if (end == NULL)
		fuzz_fail("mail_compose: no end of headers");
	int to = 0;
	for (const char *line = msg; line <= end; line = strstr(line, "\r\n") + 2) {
		const char *eol = strstr(line, "\r\n");
		for (const char *p = line; p < eol; p++)
			if (*p == '\r' || *p == '\n')
				fuzz_fail("mail_compose: a bare CR or LF in the headers");
		if (strncasecmp(line, "To:", 3) == 0)
			to++;
		if (strncasecmp(line, "Bcc:", 4) == 0 || strncasecmp(line, "Cc:", 3) == 0)
			fuzz_fail("mail_compose: a header from the input");
	}
	if (to != 1)
		fuzz_fail("mail_compose: not exactly one To:");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_strndup(data, size);
	const char *f[FIELDS];
	char *p = buf;
	for (int i = 0; i < FIELDS; i++) {
		f[i] = p; /* the last fields are "" when the input has fewer */
		if (p < buf + size)
			p += strlen(p) + 1;
		if (p > buf + size)
			p = buf + size;
	}
	struct regs_config cfg;
	regs_config_defaults(&cfg);
	strcpy(cfg.smtp_from, "regs@example.org");
	(void)mail_address_valid(f[0]);
	char *msg = NULL;
	if (mail_compose(&cfg, f[0], f[1], f[2], FUZZ_NOW, &msg) == REGS_OK) {
		if (!mail_address_valid(f[0]))
			fuzz_fail("mail_compose: an implausible To: accepted");
		check_headers(msg);
	}
	regs_free_secret_str(msg);
	char *subject = NULL, *body = NULL;
	if (mail_reset_code_text(&cfg, f[3], f[4], (int)(size & 1), 5, &subject, &body) ==
	    REGS_OK) {
		char *m = NULL;
		if (mail_compose(&cfg, "user@example.org", subject, body, FUZZ_NOW, &m) == REGS_OK)
			check_headers(m);
		regs_free_secret_str(m);
	}
	free(subject);
	regs_free_secret_str(body);
	subject = body = NULL;
	if (mail_verify_code_text(&cfg, f[3], f[4], 5, &subject, &body) == REGS_OK) {
		free(subject);
		regs_free_secret_str(body);
	}
	free(buf);
	return 0;
}
