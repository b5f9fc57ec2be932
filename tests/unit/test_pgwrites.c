/* Unit tests for the PostgreSQL store's pending writes (store/pgstore.h, pgwrites.c): kept in
 * (table, key) order as bytea orders them, the last write of a key wins, and the SQL that
 * applies them is exactly one INSERT ... ON CONFLICT and one DELETE of hex literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/pgstore.h"
#include <string.h>

static struct store_val v(const char *s, size_t n)
{
	return (struct store_val){s, n};
}

static void test_pgwrites_kept_in_table_then_byte_order_shorter_first(void **state)
{
	struct pg_writes ws = {0};
	size_t at;
	(void)state;
	assert_int_equal(pg_writes_set(&ws, 2, v("b", 1), &(struct store_val){"1", 1}), REGS_OK);
	assert_int_equal(pg_writes_set(&ws, 2, v("ab", 2), &(struct store_val){"2", 1}), REGS_OK);
	assert_int_equal(pg_writes_set(&ws, 2, v("a", 1), &(struct store_val){"3", 1}), REGS_OK);
	assert_int_equal(pg_writes_set(&ws, 1, v("z", 1), &(struct store_val){"4", 1}), REGS_OK);
	assert_int_equal(pg_writes_set(&ws, 2, v("a\xff", 2), NULL), REGS_OK);
	assert_int_equal(ws.n, 5);
	assert_int_equal(ws.w[0].tb, 1);
	assert_memory_equal(ws.w[1].key.data, "a", 1);
	assert_int_equal(ws.w[1].key.len, 1);
	assert_memory_equal(ws.w[2].key.data, "ab", 2);
	assert_memory_equal(ws.w[3].key.data, "a\xff", 2);
	assert_memory_equal(ws.w[4].key.data, "b", 1);
	assert_true(pg_writes_find(&ws, 2, v("ab", 2), &at));
	assert_int_equal(at, 2);
	assert_false(pg_writes_find(&ws, 2, v("aa", 2), &at));
	assert_int_equal(at, 2);
	pg_writes_free(&ws);
}

static void test_pgwrites_last_write_of_a_key_wins_and_old_values_stay_readable(void **state)
{
	struct pg_writes ws = {0};
	size_t at;
	(void)state;
	assert_int_equal(pg_writes_set(&ws, 3, v("k", 1), &(struct store_val){"old", 3}), REGS_OK);
	const struct store_val before = ws.w[0].val; /* what an earlier get handed out */
	assert_int_equal(pg_writes_set(&ws, 3, v("k", 1), NULL), REGS_OK);
	assert_true(pg_writes_find(&ws, 3, v("k", 1), &at));
	assert_true(ws.w[at].del);
	assert_int_equal(pg_writes_set(&ws, 3, v("k", 1), &(struct store_val){"new", 3}), REGS_OK);
	assert_int_equal(ws.n, 1);
	assert_false(ws.w[0].del);
	assert_memory_equal(ws.w[0].val.data, "new", 3);
	assert_memory_equal(before.data, "old", 3);
	pg_writes_sent(&ws);
	assert_int_equal(ws.n, 0);
	assert_memory_equal(before.data, "old", 3);
	pg_writes_free(&ws);
}

static void test_pgwrites_sql_is_one_upsert_and_one_delete_of_hex_literals(void **state)
{
	struct pg_writes ws = {0};
	struct regs_buf sql = REGS_BUF_INIT(0);
	(void)state;
	pg_writes_set(&ws, 1, v("a'\\", 3), &(struct store_val){"\x00\xff", 2});
	pg_writes_set(&ws, 4, v("x", 1), NULL);
	pg_writes_set(&ws, 2, v("b", 1), &(struct store_val){"", 0});
	pg_writes_sql(&ws, &sql);
	assert_int_equal(sql.err, REGS_OK);
	assert_string_equal(sql.data,
	                    "INSERT INTO regs_kv (tb, k, v) VALUES (1,'\\x61275c'::bytea,"
	                    "'\\x00ff'::bytea),(2,'\\x62'::bytea,'\\x'::bytea) ON CONFLICT (tb, k) "
	                    "DO UPDATE SET v = EXCLUDED.v; DELETE FROM regs_kv WHERE (tb, k) IN "
	                    "((4,'\\x78'::bytea)); ");
	regs_buf_free(&sql);
	pg_writes_free(&ws);
}

static void test_pgwrites_nothing_pending_makes_no_sql(void **state)
{
	struct pg_writes ws = {0};
	struct regs_buf sql = REGS_BUF_INIT(0);
	(void)state;
	pg_writes_sql(&ws, &sql);
	assert_true(sql.len == 0);
	regs_buf_free(&sql);
	pg_writes_free(&ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pgwrites_kept_in_table_then_byte_order_shorter_first),
	    cmocka_unit_test(test_pgwrites_last_write_of_a_key_wins_and_old_values_stay_readable),
	    cmocka_unit_test(test_pgwrites_sql_is_one_upsert_and_one_delete_of_hex_literals),
	    cmocka_unit_test(test_pgwrites_nothing_pending_makes_no_sql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
