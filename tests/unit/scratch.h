/* A scratch directory for a unit test's files: made fresh under /tmp, removed with all it holds.
 * Include after <cmocka.h>. */
#ifndef REGS_TEST_SCRATCH_H
#define REGS_TEST_SCRATCH_H
#include <stdio.h>
#include <stdlib.h>

static inline void scratch_make(char *dir, size_t size, const char *tag)
{
	snprintf(dir, size, "/tmp/regs-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(dir));
}

/* 0 when dir is gone, -1 otherwise (a cmocka teardown's answer). */
static inline int scratch_remove(const char *dir)
{
	char cmd[192];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
