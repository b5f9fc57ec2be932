/* The module arguments (pam_regs/options.c, over lib/base/config.c's opt_apply): the input split at
 * NUL bytes and newlines into argv. pam_syslog is the harness's own, so nothing is logged. */
#include "fuzz_util.h"
#include "options.h"
#include <security/pam_ext.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "options";

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	(void)pamh;
	(void)priority;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

#define ARGS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_strndup(data, size);
	const char *argv[ARGS_MAX];
	int argc = 0;
	char *p = buf, *end = buf + size;
	while (p < end && argc < ARGS_MAX) {
		argv[argc++] = p;
		while (p < end && *p != '\0' && *p != '\n')
			p++;
		*p++ = '\0';
	}
	struct module_options o;
	(void)options_parse(NULL, argc, argv, &o);
	enum module_mode m = options_mode(&o);
	if (m != MODE_SELECT && m != MODE_AUTHFAIL && m != MODE_OTP && m != MODE_SPLIT)
		fuzz_fail("options_mode: no such mode");
	if (o.tries < 1 || o.tries > 10)
		fuzz_fail("options_parse: tries out of range");
	if (o.card != CARD_AUTO && o.card != CARD_YES && o.card != CARD_NO)
		fuzz_fail("options_parse: no such card mode");
	if (o.text != TEXT_UTF8 && o.text != TEXT_ASCII)
		fuzz_fail("options_parse: no such text mode");
	if (o.webconsole && o.text != TEXT_ASCII)
		fuzz_fail("options_parse: webconsole without ascii text");
	if (o.timeout_ms < 100 || o.timeout_ms > 120000)
		fuzz_fail("options_parse: timeout out of range");
	free(buf);
	return 0;
}
