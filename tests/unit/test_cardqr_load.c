/* Unit tests for the rules the module loads its card and QR plugin by (pam_regs/cardqr_load.h):
 * which file, which owner and mode, which table. Loading itself is in
 * tests/integration/test_R3_cardqr_plugin.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "cardqr_load.h"

#define OWNER 1000u
#define INSTALLED_PLUGIN "/usr/lib/pam_regs/cardqr.so"

static struct stat file_stat(uid_t uid, mode_t mode, dev_t dev, ino_t ino)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	st.st_uid = uid;
	st.st_mode = mode;
	st.st_dev = dev;
	st.st_ino = ino;
	return st;
}

static void test_cardqr_installed_module_loads_the_installed_plugin(void **state)
{
	(void)state;
	char out[256];
	struct stat module = file_stat(0, S_IFREG | 0644, 1, 42);
	struct stat installed = module; /* /lib/.../security/pam_regs.so, reached by another name */
	assert_int_equal(cardqr_plugin_path("/usr/lib/x86_64-linux-gnu/security/pam_regs.so",
	                                    &module, &installed, INSTALLED_PLUGIN, out,
	                                    sizeof(out)),
	                 REGS_OK);
	assert_string_equal(out, INSTALLED_PLUGIN);
}

static void test_cardqr_other_copy_loads_the_plugin_beside_it(void **state)
{
	(void)state;
	char out[256];
	struct stat module = file_stat(0, S_IFREG | 0644, 1, 42);
	struct stat installed = file_stat(0, S_IFREG | 0644, 1, 43);
	assert_int_equal(cardqr_plugin_path("/build/.libs/pam_regs.so", &module, &installed,
	                                    INSTALLED_PLUGIN, out, sizeof(out)),
	                 REGS_OK);
	assert_string_equal(out, "/build/.libs/" CARDQR_FILE);
	/* Nothing installed: the same. */
	assert_int_equal(cardqr_plugin_path("/build/.libs/pam_regs.so", &module, NULL,
	                                    INSTALLED_PLUGIN, out, sizeof(out)),
	                 REGS_OK);
	assert_string_equal(out, "/build/.libs/" CARDQR_FILE);
}

static void test_cardqr_module_without_directory_or_long_path_has_no_plugin(void **state)
{
	(void)state;
	char out[16];
	struct stat module = file_stat(0, S_IFREG | 0644, 1, 42);
	assert_int_equal(
	    cardqr_plugin_path("pam_regs.so", &module, NULL, INSTALLED_PLUGIN, out, sizeof(out)),
	    REGS_ERR_INVALID);
	assert_int_equal(cardqr_plugin_path("/a/very/long/directory/pam_regs.so", &module, NULL,
	                                    INSTALLED_PLUGIN, out, sizeof(out)),
	                 REGS_ERR_INVALID);
}

static void test_R3_plugin_owned_by_root_or_the_module_owner_accepted(void **state)
{
	(void)state;
	char why[CARDQR_WHY_MAX];
	struct stat dir = file_stat(0, S_IFDIR | 0755, 1, 2);
	struct stat by_root = file_stat(0, S_IFREG | 0644, 1, 3);
	struct stat by_owner = file_stat(OWNER, S_IFREG | 0755, 1, 3);
	assert_int_equal(cardqr_file_check(&by_root, &dir, OWNER, why, sizeof(why)), REGS_OK);
	assert_int_equal(cardqr_file_check(&by_owner, &dir, OWNER, why, sizeof(why)), REGS_OK);
}

static void test_R3_plugin_owned_by_another_user_refused(void **state)
{
	(void)state;
	char why[CARDQR_WHY_MAX];
	struct stat dir = file_stat(0, S_IFDIR | 0755, 1, 2);
	struct stat file = file_stat(OWNER + 1, S_IFREG | 0644, 1, 3);
	assert_int_equal(cardqr_file_check(&file, &dir, OWNER, why, sizeof(why)), REGS_ERR_PERM);
	assert_non_null(strstr(why, "owned by uid 1001"));
}

static void test_R3_plugin_writable_by_group_or_others_refused(void **state)
{
	(void)state;
	char why[CARDQR_WHY_MAX];
	struct stat dir = file_stat(0, S_IFDIR | 0755, 1, 2);
	const mode_t modes[] = {0664, 0646, 0666};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct stat file = file_stat(0, S_IFREG | modes[i], 1, 3);
		assert_int_equal(cardqr_file_check(&file, &dir, OWNER, why, sizeof(why)),
		                 REGS_ERR_PERM);
		assert_non_null(strstr(why, "writable by group or others"));
	}
}

static void test_R3_plugin_in_an_unsafe_directory_refused(void **state)
{
	(void)state;
	char why[CARDQR_WHY_MAX];
	struct stat file = file_stat(0, S_IFREG | 0644, 1, 3);
	struct stat open_dir = file_stat(0, S_IFDIR | 01777, 1, 2); /* like /tmp */
	struct stat users_dir = file_stat(OWNER + 1, S_IFDIR | 0755, 1, 2);
	assert_int_equal(cardqr_file_check(&file, &open_dir, OWNER, why, sizeof(why)),
	                 REGS_ERR_PERM);
	assert_non_null(strstr(why, "directory is writable"));
	assert_int_equal(cardqr_file_check(&file, &users_dir, OWNER, why, sizeof(why)),
	                 REGS_ERR_PERM);
	assert_non_null(strstr(why, "directory is owned by uid 1001"));
}

static void test_R3_plugin_not_a_regular_file_refused(void **state)
{
	(void)state;
	char why[CARDQR_WHY_MAX];
	struct stat dir = file_stat(0, S_IFDIR | 0755, 1, 2);
	struct stat fifo = file_stat(0, S_IFIFO | 0644, 1, 3);
	assert_int_equal(cardqr_file_check(&fifo, &dir, OWNER, why, sizeof(why)), REGS_ERR_PERM);
	assert_non_null(strstr(why, "not a regular file"));
}

static void test_R3_plugin_table_of_another_abi_or_shorter_refused(void **state)
{
	(void)state;
	char why[CARDQR_WHY_MAX];
	struct cardqr_table code = {.abi = CARDQR_ABI, .size = sizeof(struct cardqr_table)};
	assert_int_equal(cardqr_table_check(&code, why, sizeof(why)), REGS_OK);
	code.abi = CARDQR_ABI + 1;
	assert_int_equal(cardqr_table_check(&code, why, sizeof(why)), REGS_ERR_INVALID);
	assert_non_null(strstr(why, "ABI"));
	code.abi = CARDQR_ABI;
	code.size = (uint32_t)offsetof(struct cardqr_table, qr_render_utf8);
	assert_int_equal(cardqr_table_check(&code, why, sizeof(why)), REGS_ERR_INVALID);
	assert_int_equal(cardqr_table_check(NULL, why, sizeof(why)), REGS_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cardqr_installed_module_loads_the_installed_plugin),
	    cmocka_unit_test(test_cardqr_other_copy_loads_the_plugin_beside_it),
	    cmocka_unit_test(test_cardqr_module_without_directory_or_long_path_has_no_plugin),
	    cmocka_unit_test(test_R3_plugin_owned_by_root_or_the_module_owner_accepted),
	    cmocka_unit_test(test_R3_plugin_owned_by_another_user_refused),
	    cmocka_unit_test(test_R3_plugin_writable_by_group_or_others_refused),
	    cmocka_unit_test(test_R3_plugin_in_an_unsafe_directory_refused),
	    cmocka_unit_test(test_R3_plugin_not_a_regular_file_refused),
	    cmocka_unit_test(test_R3_plugin_table_of_another_abi_or_shorter_refused),
	};
	return cmocka_run_group_tests_name("cardqr_load", tests, NULL, NULL);
}
