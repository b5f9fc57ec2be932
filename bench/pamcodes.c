/* Answers "USER\n" on stdin with the user's current code "123456\n" on stdout, until EOF: the
 * code source of bench/pambench (bench/codesrc.c), which then loads neither OpenSSL nor
 * liboath itself and times pam_start as a process without them pays it. */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	const char *seed = getenv("BENCH_SEED");
	char line[BENCH_NAME_MAX + 2], code[7];
	if (!seed || !*seed)
		seed = BENCH_DEFAULT_SEED;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (bench_code(seed, line, code) != 0) {
			fprintf(stderr, "pamcodes: cannot compute a code for %s\n", line);
			return 1;
		}
		if (printf("%s\n", code) < 0 || fflush(stdout) != 0)
			return 1;
	}
	return 0;
}
