/* Unit tests for regsd --copy-store (daemon/storecopy.c) between LMDB databases (R10.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storecopy.h"

#define MAP_TEST (64u << 20)

/* dir: the scratch directory; path: FROM's state directory in it (scratch.h). */
struct fixture {
	char dir[64];
	char path[128];
	char from[128], to[128];           /* state directories */
	char from_spec[160], to_spec[160]; /* "lmdb:DIR" */
};

SCRATCH_FIXTURE(struct fixture, "storecopy", "from")

/* The fixture with TO beside FROM, and both as lmdb:DIR. */
static struct fixture *fixture_of(void **state)
{
	struct fixture *f = *state;
	snprintf(f->from, sizeof(f->from), "%s", f->path);
	snprintf(f->to, sizeof(f->to), "%s/to", f->dir);
	snprintf(f->from_spec, sizeof(f->from_spec), "lmdb:%s", f->from);
	snprintf(f->to_spec, sizeof(f->to_spec), "lmdb:%s", f->to);
	return f;
}

static struct store *open_dir(const char *dir, size_t map_size)
{
	struct store_options opt = {dir, map_size, 0};
	struct store *s = NULL;
	assert_int_equal(store_lmdb_open(&opt, &s), REGS_OK);
	return s;
}

static struct store_val bytes(const void *data, size_t len)
{
	struct store_val v = {data, len};
	return v;
}

/* Records in every table: binary keys and values (NUL bytes inside), an empty value, and
 * keys that sort by their bytes. */
static void fill(struct store *s, unsigned per_table)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	for (int tb = 0; tb < STORE_TABLE_COUNT; tb++) {
		for (unsigned i = 0; i < per_table; i++) {
			uint8_t key[9] = {(uint8_t)tb, 0}, val[16];
			store_be64(key + 1, i);
			memset(val, (int)(tb * 7 + i), sizeof(val));
			val[3] = 0;
			store_put(t, (enum store_table)tb, bytes(key, sizeof(key)),
			          bytes(val, i % 3 == 0 ? 0 : sizeof(val)));
		}
	}
	store_put(t, STORE_ACCOUNTS, store_str("alice"), store_str("record of alice"));
	assert_int_equal(store_commit(t), REGS_OK);
}

static void put_one(struct store *s, enum store_table tb, const char *key, const char *value)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, tb, store_str(key), store_str(value));
	assert_int_equal(store_commit(t), REGS_OK);
}

static void make_source(const struct fixture *f, unsigned per_table)
{
	struct store *s = open_dir(f->from, MAP_TEST);
	fill(s, per_table);
	store_close(s);
}

static void digests_of(const char *dir, struct storecopy_digest d[STORE_TABLE_COUNT])
{
	struct store *s = open_dir(dir, MAP_TEST);
	assert_int_equal(storecopy_digest(s, d), REGS_OK);
	store_close(s);
}

static void assert_empty(const char *dir)
{
	struct storecopy_digest d[STORE_TABLE_COUNT];
	digests_of(dir, d);
	for (int tb = 0; tb < STORE_TABLE_COUNT; tb++)
		assert_int_equal(d[tb].records, 0);
}

/* Runs the whole mode; returns its status and what it printed (free it). */
static enum storecopy_status run_copy(const char *from, const char *to, char **printed)
{
	size_t len = 0;
	FILE *out = open_memstream(printed, &len);
	assert_non_null(out);
	enum storecopy_status st = storecopy_run(from, to, out);
	assert_int_equal(fclose(out), 0);
	return st;
}

static void test_R10_5_copy_keeps_every_record_of_every_table(void **state)
{
	struct fixture *f = fixture_of(state);
	struct storecopy_digest a[STORE_TABLE_COUNT], b[STORE_TABLE_COUNT];
	char *printed = NULL;
	make_source(f, 5);
	assert_int_equal(run_copy(f->from_spec, f->to_spec, &printed), STORECOPY_OK);
	digests_of(f->from, a);
	digests_of(f->to, b);
	for (int tb = 0; tb < STORE_TABLE_COUNT; tb++) {
		assert_int_equal(a[tb].records, tb == STORE_ACCOUNTS ? 6 : 5);
		assert_int_equal(b[tb].records, a[tb].records);
		assert_memory_equal(a[tb].sha256, b[tb].sha256, sizeof(a[tb].sha256));
	}
	assert_non_null(strstr(printed, "accounts 6 records\n"));
	assert_non_null(strstr(printed, "card_certs 5 records\n"));
	assert_non_null(strstr(printed, "\nverified\n"));
	free(printed);

	struct store *s = open_dir(f->to, MAP_TEST);
	struct store_txn *t = NULL;
	struct store_val v;
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("alice"), &v), REGS_OK);
	assert_int_equal(v.len, strlen("record of alice"));
	assert_memory_equal(v.data, "record of alice", v.len);
	store_abort(t);
	store_close(s);
}

static void test_R10_5_copy_of_an_empty_database_is_empty(void **state)
{
	struct fixture *f = fixture_of(state);
	char *printed = NULL;
	store_close(open_dir(f->from, MAP_TEST));
	assert_int_equal(run_copy(f->from_spec, f->to_spec, &printed), STORECOPY_OK);
	assert_non_null(strstr(printed, "meta 0 records\n"));
	free(printed);
	assert_empty(f->to);
}

static void test_R10_5_copy_refuses_a_non_empty_destination(void **state)
{
	struct fixture *f = fixture_of(state);
	struct storecopy_digest before[STORE_TABLE_COUNT], after[STORE_TABLE_COUNT];
	char *printed = NULL;
	make_source(f, 3);
	struct store *s = open_dir(f->to, MAP_TEST);
	put_one(s, STORE_AUDIT, "x", "one audit row");
	store_close(s);
	digests_of(f->to, before);
	assert_int_equal(run_copy(f->from_spec, f->to_spec, &printed), STORECOPY_NOT_EMPTY);
	free(printed);
	digests_of(f->to, after);
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(after[STORE_AUDIT].records, 1);
	assert_int_equal(after[STORE_ACCOUNTS].records, 0);
}

/* A meta record other than the schema version (a seal key's check value) is a record. */
static void test_R10_5_copy_refuses_a_destination_with_meta_records(void **state)
{
	struct fixture *f = fixture_of(state);
	char *printed = NULL;
	make_source(f, 1);
	struct store *s = open_dir(f->to, MAP_TEST);
	put_one(s, STORE_META, "seal_check", "another key");
	store_close(s);
	assert_int_equal(run_copy(f->from_spec, f->to_spec, &printed), STORECOPY_NOT_EMPTY);
	free(printed);
}

/* A write that fails (the destination's map is full) keeps nothing: one transaction. */
static void test_R10_5_failed_copy_keeps_nothing(void **state)
{
	struct fixture *f = fixture_of(state);
	char why[256] = "";
	make_source(f, 3000);
	struct store *from = open_dir(f->from, MAP_TEST), *to = open_dir(f->to, 256u << 10);
	assert_int_equal(storecopy_copy(from, to, why, sizeof(why)), STORECOPY_FAILED);
	assert_non_null(strstr(why, "nothing copied"));
	store_close(to);
	store_close(from);
	assert_empty(f->to);
}

static void test_R10_5_verify_finds_a_changed_or_missing_record(void **state)
{
	struct fixture *f = fixture_of(state);
	char why[256] = "";
	FILE *out = fopen("/dev/null", "w");
	assert_non_null(out);
	make_source(f, 4);
	struct store *from = open_dir(f->from, MAP_TEST), *to = open_dir(f->to, MAP_TEST);
	assert_int_equal(storecopy_copy(from, to, why, sizeof(why)), STORECOPY_OK);
	assert_int_equal(storecopy_verify(from, to, out), STORECOPY_OK);
	put_one(to, STORE_ACCOUNTS, "alice", "record of alicE");
	assert_int_equal(storecopy_verify(from, to, out), STORECOPY_MISMATCH);
	put_one(to, STORE_ACCOUNTS, "alice", "record of alice");
	assert_int_equal(storecopy_verify(from, to, out), STORECOPY_OK);
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(to, 1, &t), REGS_OK);
	store_del(t, STORE_OTP, bytes((const uint8_t[9]){STORE_OTP, 0, 0, 0, 0, 0, 0, 0, 2}, 9));
	assert_int_equal(store_commit(t), REGS_OK);
	assert_int_equal(storecopy_verify(from, to, out), STORECOPY_MISMATCH);
	store_close(to);
	store_close(from);
	fclose(out);
}

static void test_R10_5_copy_refuses_what_it_cannot_copy(void **state)
{
	struct fixture *f = fixture_of(state);
	char *printed = NULL, spec[200];
	struct stat st;
	assert_int_equal(run_copy("mysql:x", f->to_spec, &printed), STORECOPY_USAGE);
	free(printed);
	assert_int_equal(run_copy(f->from_spec, "lmdb:", &printed), STORECOPY_USAGE);
	free(printed);
	/* A mistyped FROM is not made into an empty database and copied. */
	assert_int_equal(run_copy(f->from_spec, f->to_spec, &printed), STORECOPY_FAILED);
	free(printed);
	assert_int_equal(stat(f->from, &st), -1);
	assert_int_equal(stat(f->to, &st), -1);
	make_source(f, 1);
	snprintf(spec, sizeof(spec), "lmdb:%s/../from", f->to);
	assert_int_equal(mkdir(f->to, 0700), 0);
	assert_int_equal(run_copy(f->from_spec, spec, &printed), STORECOPY_USAGE);
	free(printed);
}

#define COPY_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    COPY_TEST(test_R10_5_copy_keeps_every_record_of_every_table),
	    COPY_TEST(test_R10_5_copy_of_an_empty_database_is_empty),
	    COPY_TEST(test_R10_5_copy_refuses_a_non_empty_destination),
	    COPY_TEST(test_R10_5_copy_refuses_a_destination_with_meta_records),
	    COPY_TEST(test_R10_5_failed_copy_keeps_nothing),
	    COPY_TEST(test_R10_5_verify_finds_a_changed_or_missing_record),
	    COPY_TEST(test_R10_5_copy_refuses_what_it_cannot_copy),
	};
	return cmocka_run_group_tests_name("storecopy", tests, NULL, NULL);
}
