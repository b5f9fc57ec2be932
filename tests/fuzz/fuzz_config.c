/* regs.conf (lib/base/config.c): any input as the file's contents, parsed into the daemon's option
 * table, then every string option checked to be terminated within its buffer. */
#include "base/config.h"
#include "fuzz_util.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "config";

static void count_reports(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)file;
	(void)line;
	if (strlen(msg) > 4096)
		fuzz_fail("an overlong report");
	(*(unsigned *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > REGS_CONFIG_MAX_BYTES)
		return 0; /* config_read_file_safely refuses larger files */
	char *buf = fuzz_strndup(data, size);
	struct regs_config cfg;
	unsigned reports = 0;
	regs_config_defaults(&cfg);
	enum regs_err err =
	    opt_parse_buffer(regs_config_options, &cfg, buf, "regs.conf", count_reports, &reports);
	if (err != REGS_OK && reports == 0)
		fuzz_fail("opt_parse_buffer: refused without a report");
	for (const struct opt_desc *o = regs_config_options; o->name != NULL; o++)
		if (o->type == OPT_STRING && memchr((char *)&cfg + o->offset, 0, o->size) == NULL)
			fuzz_fail("a string option not terminated");
	free(buf);
	return 0;
}
