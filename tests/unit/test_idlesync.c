/* Unit tests for the idle sync of a durable store: the clock that says when the last commit's meta
 * page must be synced (store/idlesync.h), and the store's flush_idle over LMDB. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <string.h>

#include "store/idlesync.h"
#include "store/store.h"

#define T0 1000000 /* an arbitrary point on the monotonic clock, in ms */
#define MAX_WAIT 1000

struct fixture {
	char dir[64];
	char path[128]; /* the state directory */
};

SCRATCH_FIXTURE(struct fixture, "idlesync", "state")

static void test_idle_sync_not_due_before_the_delay_due_after(void **state)
{
	struct store_idle c = {0, 0};
	(void)state;
	store_idle_committed(&c, T0);
	assert_false(store_idle_due(&c, T0));
	assert_false(store_idle_due(&c, T0 + STORE_IDLE_SYNC_MS - 1));
	assert_int_equal(store_idle_wait_ms(&c, T0 + 10, MAX_WAIT), STORE_IDLE_SYNC_MS - 10);
	assert_true(store_idle_due(&c, T0 + STORE_IDLE_SYNC_MS));
	assert_true(store_idle_due(&c, T0 + 10 * STORE_IDLE_SYNC_MS));
	assert_int_equal(store_idle_wait_ms(&c, T0 + STORE_IDLE_SYNC_MS, MAX_WAIT), 0);
	assert_int_equal(store_idle_wait_ms(&c, T0 + 10 * STORE_IDLE_SYNC_MS, MAX_WAIT), 0);
}

static void test_idle_sync_nothing_due_without_a_commit(void **state)
{
	struct store_idle c = {0, 0};
	(void)state;
	assert_false(store_idle_due(&c, T0));
	assert_false(store_idle_due(&c, INT64_MAX));
	assert_int_equal(store_idle_wait_ms(&c, T0, MAX_WAIT), MAX_WAIT);
}

static void test_idle_sync_a_sync_clears_it(void **state)
{
	struct store_idle c = {0, 0};
	(void)state;
	store_idle_committed(&c, T0);
	store_idle_synced(&c);
	assert_false(store_idle_due(&c, T0 + STORE_IDLE_SYNC_MS));
	assert_int_equal(store_idle_wait_ms(&c, T0 + STORE_IDLE_SYNC_MS, MAX_WAIT), MAX_WAIT);
	/* The next commit arms it again. */
	store_idle_committed(&c, T0 + 100);
	assert_true(store_idle_due(&c, T0 + 100 + STORE_IDLE_SYNC_MS));
}

/* A later commit's own sync carries the earlier meta page: the wait starts again. */
static void test_idle_sync_a_later_commit_moves_it_on(void **state)
{
	struct store_idle c = {0, 0};
	(void)state;
	store_idle_committed(&c, T0);
	store_idle_committed(&c, T0 + 20);
	assert_false(store_idle_due(&c, T0 + STORE_IDLE_SYNC_MS));
	assert_true(store_idle_due(&c, T0 + 20 + STORE_IDLE_SYNC_MS));
}

static void test_idle_sync_wait_never_above_the_callers_bound(void **state)
{
	struct store_idle c = {0, 0};
	(void)state;
	store_idle_committed(&c, T0);
	assert_int_equal(store_idle_wait_ms(&c, T0, 5), 5);
	assert_int_equal(store_idle_wait_ms(&c, T0, 0), 0);
}

static struct store *open_store(const struct fixture *f, int durable)
{
	struct store_options opt = {f->path, 8u << 20, durable};
	struct store *s = NULL;
	assert_int_equal(store_lmdb_open(&opt, &s), REGS_OK);
	return s;
}

/* How long flush_idle lets its caller wait, with its error checked. */
static int flush(struct store *s)
{
	enum regs_err err = REGS_ERR_IO;
	int wait_ms = store_flush_idle(s, MAX_WAIT, &err);
	assert_int_equal(err, REGS_OK);
	return wait_ms;
}

static void put_commit(struct store *s, const char *key)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, STORE_ACCOUNTS, store_str(key), store_str("v"));
	assert_int_equal(store_commit(t), REGS_OK);
}

/* Reads, an aborted write and a write transaction that changed nothing leave nothing to sync. */
static void test_store_flush_idle_nothing_after_reads(void **state)
{
	struct fixture *f = *state;
	struct store_txn *t = NULL;
	struct store_val v;
	store_close(open_store(f, 1)); /* created (and synced at close): the schema is there */
	struct store *s = open_store(f, 1);
	assert_int_equal(flush(s), MAX_WAIT);
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("x"), &v), REGS_ERR_NOT_FOUND);
	store_abort(t);
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, STORE_ACCOUNTS, store_str("x"), store_str("y"));
	store_abort(t);
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("x"), &v), REGS_ERR_NOT_FOUND);
	store_del(t, STORE_ACCOUNTS, store_str("absent"));
	assert_int_equal(store_commit(t), REGS_OK);
	assert_int_equal(flush(s), MAX_WAIT);
	store_close(s);
}

/* After a commit that wrote, the caller is told to come back within the delay, and once the sync
 * has run there is nothing left. */
static void test_store_flush_idle_syncs_the_last_commit(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 1);
	put_commit(s, "alice");
	int wait_ms = flush(s);
	for (int i = 0; i < 100 && wait_ms != MAX_WAIT; i++) {
		assert_true(wait_ms >= 0 && wait_ms <= STORE_IDLE_SYNC_MS);
		usleep((useconds_t)wait_ms * 1000);
		wait_ms = flush(s);
	}
	assert_int_equal(wait_ms, MAX_WAIT);
	assert_int_equal(flush(s), MAX_WAIT);
	store_close(s);
}

/* A store that is not durable (tests, bulk loads: MDB_NOSYNC) has nothing to sync. */
static void test_store_flush_idle_not_for_a_store_that_is_not_durable(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	put_commit(s, "alice");
	assert_int_equal(flush(s), MAX_WAIT);
	store_close(s);
}

#define FIXTURE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idle_sync_not_due_before_the_delay_due_after),
	    cmocka_unit_test(test_idle_sync_nothing_due_without_a_commit),
	    cmocka_unit_test(test_idle_sync_a_sync_clears_it),
	    cmocka_unit_test(test_idle_sync_a_later_commit_moves_it_on),
	    cmocka_unit_test(test_idle_sync_wait_never_above_the_callers_bound),
	    FIXTURE_TEST(test_store_flush_idle_nothing_after_reads),
	    FIXTURE_TEST(test_store_flush_idle_syncs_the_last_commit),
	    FIXTURE_TEST(test_store_flush_idle_not_for_a_store_that_is_not_durable),
	};
	return cmocka_run_group_tests_name("idlesync", tests, NULL, NULL);
}
