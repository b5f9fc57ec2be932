/* Unit tests for the one trusted-file opener and its rule per kind (lib/base/trustedfile.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/trustedfile.h"
#include "base/wipe.h"

#define MAX 64
#define TEXT "key = value\n"

static const enum trusted_kind all_kinds[] = {TRUSTED_CONFIG, TRUSTED_ANCHORS, TRUSTED_CACHE,
                                              TRUSTED_SECRET};
#define KINDS (sizeof(all_kinds) / sizeof(all_kinds[0]))

struct fixture {
	char dir[64];
	char path[128];
	char why[TRUSTED_WHY_MAX];
};

SCRATCH_FIXTURE(struct fixture, "trusted", "file")

/* Reads f->path as kind, text; a refusal leaves no buffer. */
static enum regs_err read_text(struct fixture *f, enum trusted_kind kind, size_t max)
{
	char *text = NULL;
	enum regs_err err =
	    trusted_file_read_text(f->path, kind, max, &text, f->why, sizeof(f->why));
	if (err != REGS_OK)
		assert_null(text);
	regs_free_secret_str(text);
	return err;
}

static enum regs_err read_bytes(struct fixture *f, enum trusted_kind kind, size_t max)
{
	uint8_t *data = NULL;
	size_t len = 99;
	enum regs_err err =
	    trusted_file_read_bytes(f->path, kind, max, &data, &len, f->why, sizeof(f->why));
	if (err != REGS_OK) {
		assert_null(data);
		assert_int_equal(len, 0);
	}
	free(data);
	return err;
}

static void test_trusted_file_every_kind_reads_its_ok_file(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < KINDS; i++) {
		char *text = NULL;
		uint8_t *data = NULL;
		size_t len = 0;
		scratch_write(f->path, TEXT, strlen(TEXT),
		              all_kinds[i] == TRUSTED_SECRET ? 0600 : 0644);
		assert_int_equal(trusted_file_read_text(f->path, all_kinds[i], MAX, &text, f->why,
		                                        sizeof(f->why)),
		                 REGS_OK);
		assert_string_equal(text, TEXT);
		assert_string_equal(f->why, "");
		regs_free_secret_str(text);
		assert_int_equal(
		    trusted_file_read_bytes(f->path, all_kinds[i], MAX, &data, &len, NULL, 0),
		    REGS_OK);
		assert_int_equal(len, strlen(TEXT));
		assert_memory_equal(data, TEXT, len);
		free(data);
	}
	scratch_write(f->path, TEXT, strlen(TEXT), 0400);
	assert_int_equal(read_text(f, TRUSTED_SECRET, MAX), REGS_OK);
}

static void test_trusted_file_symlink_refused_except_anchors(void **state)
{
	struct fixture *f = *state;
	char target[160];
	snprintf(target, sizeof(target), "%s/target", f->dir);
	scratch_write(target, TEXT, strlen(TEXT), 0600);
	assert_int_equal(symlink(target, f->path), 0);
	for (size_t i = 0; i < KINDS; i++) {
		if (all_kinds[i] == TRUSTED_ANCHORS)
			continue;
		assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_ERR_PERM);
		assert_non_null(strstr(f->why, "symbolic link"));
		assert_int_equal(read_bytes(f, all_kinds[i], MAX), REGS_ERR_PERM);
	}
	/* A bundle may link into /etc/ssl: the target passes the rule. */
	assert_int_equal(read_bytes(f, TRUSTED_ANCHORS, MAX), REGS_OK);
	assert_int_equal(chmod(target, 0666), 0);
	assert_int_equal(read_bytes(f, TRUSTED_ANCHORS, MAX), REGS_ERR_PERM);
	assert_int_equal(unlink(target), 0); /* dangling */
	assert_int_equal(read_bytes(f, TRUSTED_ANCHORS, MAX), REGS_ERR_NOT_FOUND);
}

static void test_trusted_file_wrong_owner_refused(void **state)
{
	struct fixture *f = *state;
	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	for (size_t i = 0; i < KINDS; i++) {
		scratch_write(f->path, TEXT, strlen(TEXT), 0600);
		assert_int_equal(chown(f->path, 12345, 12345), 0);
		assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_ERR_PERM);
		assert_non_null(strstr(f->why, "owned by uid 12345"));
	}
}

/* Root (or the reader) may own what an administrator writes; regsd's own files only regsd. */
static void test_trusted_file_root_may_own_config_and_anchors_only(void **state)
{
	(void)state;
	struct stat st;
	uid_t reader = geteuid();
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0600;
	st.st_size = 1;
	/* As root, read as another user, or root's files would be the reader's own. */
	if (reader == 0)
		assert_int_equal(seteuid(65534), 0);
	st.st_uid = 0;
	assert_int_equal(trusted_file_check(TRUSTED_CONFIG, &st, MAX, NULL, 0), REGS_OK);
	assert_int_equal(trusted_file_check(TRUSTED_ANCHORS, &st, MAX, NULL, 0), REGS_OK);
	assert_int_equal(trusted_file_check(TRUSTED_CACHE, &st, MAX, NULL, 0), REGS_ERR_PERM);
	assert_int_equal(trusted_file_check(TRUSTED_SECRET, &st, MAX, NULL, 0), REGS_ERR_PERM);
	st.st_uid = geteuid();
	for (size_t i = 0; i < KINDS; i++)
		assert_int_equal(trusted_file_check(all_kinds[i], &st, MAX, NULL, 0), REGS_OK);
	if (reader == 0)
		assert_int_equal(seteuid(0), 0);
}

static void test_trusted_file_group_or_other_writable_refused(void **state)
{
	struct fixture *f = *state;
	static const mode_t modes[] = {0664, 0646, 0666, 0620, 0602};
	for (size_t i = 0; i < KINDS; i++) {
		for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			scratch_write(f->path, TEXT, strlen(TEXT), modes[m]);
			assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_ERR_PERM);
			assert_non_null(strstr(f->why, "group or others"));
		}
	}
}

/* Readable by everyone is fine for public files, not for a secret. */
static void test_trusted_file_secret_readable_by_others_refused(void **state)
{
	struct fixture *f = *state;
	static const mode_t modes[] = {0644, 0640, 0604, 0610, 0601};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		scratch_write(f->path, TEXT, strlen(TEXT), modes[m]);
		assert_int_equal(read_text(f, TRUSTED_SECRET, MAX), REGS_ERR_PERM);
		assert_non_null(strstr(f->why, "0600 or 0400"));
		assert_int_equal(read_text(f, TRUSTED_CONFIG, MAX), REGS_OK);
		assert_int_equal(read_bytes(f, TRUSTED_CACHE, MAX), REGS_OK);
	}
}

static void test_trusted_file_oversize_refused(void **state)
{
	struct fixture *f = *state;
	char big[MAX + 1];
	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < KINDS; i++) {
		mode_t mode = all_kinds[i] == TRUSTED_SECRET ? 0600 : 0644;
		enum regs_err refused =
		    all_kinds[i] == TRUSTED_SECRET ? REGS_ERR_PERM : REGS_ERR_INVALID;
		scratch_write(f->path, big, MAX + 1, mode);
		assert_int_equal(read_text(f, all_kinds[i], MAX), refused);
		assert_non_null(strstr(f->why, "larger than 64 bytes"));
		assert_int_equal(read_bytes(f, all_kinds[i], MAX), refused);
		scratch_write(f->path, big, MAX, mode); /* exactly the cap is fine */
		assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_OK);
		assert_int_equal(read_bytes(f, all_kinds[i], MAX), REGS_OK);
	}
}

static void test_trusted_file_empty_refused_for_anchors_and_cache(void **state)
{
	struct fixture *f = *state;
	scratch_write(f->path, "", 0, 0600);
	assert_int_equal(read_bytes(f, TRUSTED_ANCHORS, MAX), REGS_ERR_INVALID);
	assert_int_equal(read_bytes(f, TRUSTED_CACHE, MAX), REGS_ERR_INVALID);
	assert_int_equal(read_text(f, TRUSTED_CONFIG, MAX), REGS_OK);
	assert_int_equal(read_text(f, TRUSTED_SECRET, MAX), REGS_OK);
	assert_int_equal(read_bytes(f, TRUSTED_SECRET, MAX), REGS_OK);
}

static void test_trusted_file_not_regular_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mkdir(f->path, 0700), 0);
	for (size_t i = 0; i < KINDS; i++) {
		assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_ERR_PERM);
		assert_non_null(strstr(f->why, "not a regular file"));
	}
	assert_int_equal(rmdir(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	for (size_t i = 0; i < KINDS; i++) /* and a FIFO does not hang the reader */
		assert_int_equal(read_bytes(f, all_kinds[i], MAX), REGS_ERR_PERM);
}

static void test_trusted_file_text_with_nul_refused(void **state)
{
	struct fixture *f = *state;
	scratch_write(f->path, "a\0b", 3, 0600);
	for (size_t i = 0; i < KINDS; i++) {
		assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_ERR_INVALID);
		assert_non_null(strstr(f->why, "NUL byte"));
		assert_int_equal(read_bytes(f, all_kinds[i], MAX), REGS_OK); /* bytes are bytes */
	}
}

static void test_trusted_file_missing(void **state)
{
	struct fixture *f = *state;
	int fd = 7;
	size_t size = 7;
	for (size_t i = 0; i < KINDS; i++) {
		assert_int_equal(read_text(f, all_kinds[i], MAX), REGS_ERR_NOT_FOUND);
		assert_int_equal(trusted_file_open(f->path, all_kinds[i], MAX, &fd, &size, NULL, 0),
		                 REGS_ERR_NOT_FOUND);
		assert_int_equal(fd, -1);
		assert_int_equal(size, 0);
	}
}

static void test_trusted_file_open_gives_fd_and_size(void **state)
{
	struct fixture *f = *state;
	int fd = -1;
	size_t size = 0;
	char buf[sizeof(TEXT)];
	scratch_write(f->path, TEXT, strlen(TEXT), 0400);
	assert_int_equal(trusted_file_open(f->path, TRUSTED_SECRET, MAX, &fd, &size, NULL, 0),
	                 REGS_OK);
	assert_true(fd >= 0);
	assert_int_equal(size, strlen(TEXT));
	assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)strlen(TEXT));
	assert_int_not_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	assert_int_equal(close(fd), 0);
}

#define TF_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TF_TEST(test_trusted_file_every_kind_reads_its_ok_file),
	    TF_TEST(test_trusted_file_symlink_refused_except_anchors),
	    TF_TEST(test_trusted_file_wrong_owner_refused),
	    cmocka_unit_test(test_trusted_file_root_may_own_config_and_anchors_only),
	    TF_TEST(test_trusted_file_group_or_other_writable_refused),
	    TF_TEST(test_trusted_file_secret_readable_by_others_refused),
	    TF_TEST(test_trusted_file_oversize_refused),
	    TF_TEST(test_trusted_file_empty_refused_for_anchors_and_cache),
	    TF_TEST(test_trusted_file_not_regular_refused),
	    TF_TEST(test_trusted_file_text_with_nul_refused),
	    TF_TEST(test_trusted_file_missing),
	    TF_TEST(test_trusted_file_open_gives_fd_and_size),
	};
	return cmocka_run_group_tests_name("trustedfile", tests, NULL, NULL);
}
