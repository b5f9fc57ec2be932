/* Unit tests for lib/base/buf.c, the buffer that mail messages, mobile-ID request bodies and HTTP
 * answers are built in: it grows, keeps its limit, and every block it frees was wiped first
 * (free is wrapped here: -Wl,--wrap=free). */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"

#define SECRET "SECRET-4711"

void __real_free(void *p);
void __wrap_free(void *p);

static int watching;
static size_t freed, freed_with_secret;

/* While watching, counts the blocks freed and those that still hold SECRET. */
void __wrap_free(void *p)
{
	if (watching && p != NULL) {
		size_t n = malloc_usable_size(p);
		freed++;
		if (n >= sizeof(SECRET) - 1 && memmem(p, n, SECRET, sizeof(SECRET) - 1) != NULL)
			freed_with_secret++;
	}
	__real_free(p);
}

static void watch(void)
{
	watching = 1;
	freed = freed_with_secret = 0;
}

static void test_append_keeps_bytes_and_the_nul(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(0);
	(void)state;
	assert_int_equal(regs_buf_append_str(&b, "ab"), REGS_OK);
	assert_int_equal(regs_buf_append(&b, "c\0d", 3), REGS_OK);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "abc\0d", 6);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(regs_buf_append_str(&b, "0123456789"), REGS_OK);
	assert_int_equal(b.len, 10005);
	assert_int_equal(b.data[b.len], '\0');
	assert_true(b.cap > b.len);
	regs_buf_free(&b);
	assert_null(b.data);
}

static void test_growing_wipes_the_old_block(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(0);
	(void)state;
	regs_buf_append_str(&b, SECRET);
	watch();
	for (int i = 0; i < 100; i++)
		regs_buf_append_str(&b, "..........");
	watching = 0;
	assert_true(freed >= 2); /* it did move */
	assert_int_equal(freed_with_secret, 0);
	assert_memory_equal(b.data, SECRET, sizeof(SECRET) - 1);
	regs_buf_free(&b);
}

static void test_free_and_failure_wipe(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(0);
	(void)state;
	regs_buf_append_str(&b, SECRET);
	watch();
	regs_buf_free(&b);
	watching = 0;
	assert_int_equal(freed, 1);
	assert_int_equal(freed_with_secret, 0);

	regs_buf_append_str(&b, SECRET);
	regs_buf_fail(&b, REGS_ERR_INVALID);
	watch();
	assert_null(regs_buf_take(&b, NULL));
	watching = 0;
	assert_int_equal(freed, 1);
	assert_int_equal(freed_with_secret, 0);
	assert_int_equal(b.err, REGS_OK);
}

static void test_limit_refuses_and_sticks(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(8);
	(void)state;
	assert_int_equal(regs_buf_append_str(&b, "12345678"), REGS_OK);
	assert_true(b.cap <= 9);
	assert_int_equal(regs_buf_append(&b, "9", 1), REGS_ERR_FULL);
	assert_int_equal(b.len, 8);
	assert_int_equal(regs_buf_append(&b, "", 0), REGS_ERR_FULL); /* sticky */
	assert_null(regs_buf_take(&b, NULL));
	assert_int_equal(b.max, 8);
	assert_int_equal(regs_buf_append_str(&b, "x"), REGS_OK); /* usable again */
	regs_buf_free(&b);
}

static void test_first_error_kept(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(0);
	(void)state;
	regs_buf_fail(&b, REGS_ERR_INVALID);
	regs_buf_fail(&b, REGS_ERR_NOMEM);
	assert_int_equal(b.err, REGS_ERR_INVALID);
	assert_int_equal(regs_buf_append_str(&b, "x"), REGS_ERR_INVALID);
	regs_buf_free(&b);
}

static void test_clear_empties_and_keeps_the_block(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(16);
	(void)state;
	regs_buf_append_str(&b, "0123456789abcdef");
	char *block = b.data;
	regs_buf_clear(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, block);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(block[i], '\0');
	assert_int_equal(regs_buf_append_str(&b, "again"), REGS_OK);
	assert_string_equal(b.data, "again");
	regs_buf_free(&b);
}

static void test_take_hands_over_the_text(void **state)
{
	struct regs_buf b = REGS_BUF_INIT(0);
	size_t len = 99;
	(void)state;
	char *empty = regs_buf_take(&b, &len);
	assert_non_null(empty);
	assert_string_equal(empty, "");
	assert_int_equal(len, 0);
	__real_free(empty);
	regs_buf_append_str(&b, "hello");
	char *text = regs_buf_take(&b, &len);
	assert_string_equal(text, "hello");
	assert_int_equal(len, 5);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	__real_free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_keeps_bytes_and_the_nul),
	    cmocka_unit_test(test_growing_wipes_the_old_block),
	    cmocka_unit_test(test_free_and_failure_wipe),
	    cmocka_unit_test(test_limit_refuses_and_sticks),
	    cmocka_unit_test(test_first_error_kept),
	    cmocka_unit_test(test_clear_empties_and_keeps_the_block),
	    cmocka_unit_test(test_take_hands_over_the_text),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
