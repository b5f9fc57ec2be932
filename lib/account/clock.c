/* Wall-clock time, with a test-only offset hook compiled in by REGS_TEST_CLOCK. */
#include "account/clock.h"

#include <time.h>

#ifdef REGS_TEST_CLOCK
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Re-read at every call so that a test can move the clock of a running daemon. */
static int64_t test_clock_offset(void)
{
	const char *path = getenv("REGS_TEST_CLOCK_FILE");
	if (path == NULL || *path == '\0')
		return 0;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	long long offset = 0;
	if (fscanf(f, "%lld", &offset) != 1)
		offset = 0;
	fclose(f);
	return (int64_t)offset;
}
#endif

int64_t regs_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		ts.tv_sec = time(NULL);
	int64_t now = (int64_t)ts.tv_sec;
#ifdef REGS_TEST_CLOCK
	now += test_clock_offset();
#endif
	return now;
}
