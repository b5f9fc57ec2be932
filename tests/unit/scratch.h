/* A scratch directory for a unit test's files: made fresh under /tmp, removed with all it holds.
 * Include after <cmocka.h>. */
#ifndef REGS_TEST_SCRATCH_H
#define REGS_TEST_SCRATCH_H
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Writes len bytes of text to path (replacing any file there) with mode. */
static inline void scratch_write(const char *path, const char *text, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

/* setup and teardown for a test whose fixture (type) has char dir[] and char path[]: a fresh
 * scratch directory tagged tag, and path naming the file name in it. */
#define SCRATCH_FIXTURE(type, tag, name)                                                           \
	static int setup(void **state)                                                             \
	{                                                                                          \
		type *f = calloc(1, sizeof(*f));                                                   \
		assert_non_null(f);                                                                \
		scratch_make(f->dir, sizeof(f->dir), tag);                                         \
		snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);                         \
		*state = f;                                                                        \
		return 0;                                                                          \
	}                                                                                          \
	static int teardown(void **state)                                                          \
	{                                                                                          \
		type *f = *state;                                                                  \
		if (scratch_remove(f->dir) != 0)                                                   \
			return -1;                                                                 \
		free(f);                                                                           \
		return 0;                                                                          \
	}

#endif
