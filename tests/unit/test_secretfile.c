/* Unit tests for the one rule every secret file passes (TRUSTED_SECRET in lib/base/trustedfile.h).
 */
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

#define SECRET "client_secret = GOCSPX-s3cr3t\n"
#define MAX 4096

struct fixture {
	char dir[64];
	char path[128];
	char why[TRUSTED_WHY_MAX];
};

SCRATCH_FIXTURE(struct fixture, "secret", "secret")

/* Reads f->path; on a refusal checks that the reason never holds the content. */
static enum regs_err read_secret(struct fixture *f, char **out)
{
	enum regs_err err =
	    trusted_file_read_text(f->path, TRUSTED_SECRET, MAX, out, f->why, sizeof(f->why));
	if (err != REGS_OK) {
		assert_null(*out);
		assert_null(strstr(f->why, "s3cr3t"));
	}
	return err;
}

static void test_secret_hygiene_secret_file_0600_read(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	scratch_write(f->path, SECRET, strlen(SECRET), 0600);
	assert_int_equal(read_secret(f, &text), REGS_OK);
	assert_string_equal(text, SECRET);
	regs_free_secret_str(text);
	scratch_write(f->path, SECRET, strlen(SECRET), 0400);
	assert_int_equal(read_secret(f, &text), REGS_OK);
	regs_free_secret_str(text);
}

static void test_secret_hygiene_secret_file_group_or_world_access_refused(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	static const mode_t modes[] = {0644, 0604, 0640, 0660, 0610, 0601, 0602};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		scratch_write(f->path, SECRET, strlen(SECRET), modes[i]);
		assert_int_equal(read_secret(f, &text), REGS_ERR_PERM);
		assert_non_null(strstr(f->why, "group or others"));
	}
}

static void test_secret_hygiene_secret_file_foreign_owner_refused(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	scratch_write(f->path, SECRET, strlen(SECRET), 0600);
	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	assert_int_equal(chown(f->path, 1, 1), 0);
	assert_int_equal(read_secret(f, &text), REGS_ERR_PERM);
	assert_non_null(strstr(f->why, "owned by uid 1"));
}

static void test_secret_hygiene_secret_file_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char *text = NULL, target[160];
	snprintf(target, sizeof(target), "%s/target", f->dir);
	scratch_write(target, SECRET, strlen(SECRET), 0600);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(read_secret(f, &text), REGS_ERR_PERM);
	assert_non_null(strstr(f->why, "symbolic link"));
}

static void test_secret_hygiene_secret_file_not_regular_refused(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(read_secret(f, &text), REGS_ERR_PERM);
	assert_int_equal(rmdir(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_equal(read_secret(f, &text), REGS_ERR_PERM); /* and does not hang */
}

static void test_secret_hygiene_secret_file_size_and_nul_refused(void **state)
{
	struct fixture *f = *state;
	char *text = NULL, big[MAX + 2];
	memset(big, 'x', sizeof(big));
	scratch_write(f->path, big, MAX + 1, 0600);
	assert_int_equal(read_secret(f, &text), REGS_ERR_PERM);
	scratch_write(f->path, big, MAX, 0600);
	assert_int_equal(read_secret(f, &text), REGS_OK);
	regs_free_secret_str(text);
	scratch_write(f->path, "s3cr3t\0more", 11, 0600);
	assert_int_equal(read_secret(f, &text), REGS_ERR_INVALID);
}

static void test_secret_hygiene_secret_file_missing(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	assert_int_equal(read_secret(f, &text), REGS_ERR_NOT_FOUND);
}

/* The check alone, as the seal key uses it. */
static void test_secret_hygiene_secret_file_check_on_stat(void **state)
{
	(void)state;
	struct stat st;
	char why[TRUSTED_WHY_MAX];
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0600;
	st.st_uid = geteuid();
	st.st_size = 32;
	assert_int_equal(trusted_file_check(TRUSTED_SECRET, &st, 32, why, sizeof(why)), REGS_OK);
	st.st_size = 33;
	assert_int_equal(trusted_file_check(TRUSTED_SECRET, &st, 32, why, sizeof(why)),
	                 REGS_ERR_PERM);
	st.st_size = 32;
	st.st_mode = S_IFREG | 0644;
	assert_int_equal(trusted_file_check(TRUSTED_SECRET, &st, 32, NULL, 0), REGS_ERR_PERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_secret_file_0600_read, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_secret_hygiene_secret_file_group_or_world_access_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_secret_file_foreign_owner_refused,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_secret_file_symlink_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_secret_file_not_regular_refused,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_secret_file_size_and_nul_refused,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_secret_file_missing, setup,
	                                    teardown),
	    cmocka_unit_test(test_secret_hygiene_secret_file_check_on_stat),
	};
	return cmocka_run_group_tests_name("secretfile", tests, NULL, NULL);
}
