/* Unit tests for the storage interface over its LMDB backend, in a temporary state directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"

#define MAP_DEFAULT (8u << 20)
#define MAP_SMALL (1u << 20)

struct fixture {
	char base[64];
	char dir[128]; /* the state directory, absent until the first open */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	scratch_make(f->base, sizeof(f->base), "store");
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (scratch_remove(f->base) != 0)
		return -1;
	free(f);
	return 0;
}

static enum regs_err open_at(const char *dir, size_t map_size, int durable, struct store **s)
{
	struct store_options opt = {dir, map_size, durable};
	return store_lmdb_open(&opt, s);
}

static struct store *open_ok(const struct fixture *f, size_t map_size)
{
	struct store *s = NULL;
	assert_int_equal(open_at(f->dir, map_size, 0, &s), REGS_OK);
	assert_non_null(s);
	return s;
}

static struct store_val val(const void *data, size_t len)
{
	struct store_val v = {data, len};
	return v;
}

static void put_commit(struct store *s, enum store_table tb, const char *key, const char *value)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, tb, store_str(key), store_str(value));
	assert_int_equal(store_commit(t), REGS_OK);
}

/* Returns the result of a read-only get and copies a found value into out (NUL-terminated). */
static enum regs_err get_str(struct store *s, enum store_table tb, const char *key, char *out,
                             size_t outsz)
{
	struct store_txn *t = NULL;
	struct store_val v = {NULL, 0};
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	enum regs_err err = store_get(t, tb, store_str(key), &v);
	if (err == REGS_OK) {
		assert_true(v.len < outsz);
		memcpy(out, v.data, v.len);
		out[v.len] = '\0';
	}
	store_abort(t);
	return err;
}

static void test_store_put_get_commit(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f, MAP_DEFAULT);
	struct store_txn *t = NULL;
	struct store_val v;
	char buf[64];

	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, STORE_ACCOUNTS, store_str("alice"), store_str("record-a"));
	store_put(t, STORE_OTP, store_str("alice"), store_str("otp-a"));
	/* Visible inside the writing transaction. */
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("alice"), &v), REGS_OK);
	assert_int_equal(v.len, 8);
	assert_memory_equal(v.data, "record-a", 8);
	assert_int_equal(store_txn_error(t), REGS_OK);
	assert_int_equal(store_commit(t), REGS_OK);

	assert_int_equal(get_str(s, STORE_ACCOUNTS, "alice", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "record-a");
	/* Tables are separate key spaces. */
	assert_int_equal(get_str(s, STORE_OTP, "alice", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "otp-a");
	assert_int_equal(get_str(s, STORE_PENDING, "alice", buf, sizeof(buf)), REGS_ERR_NOT_FOUND);

	/* Overwrite replaces; binary values with NULs survive. */
	static const uint8_t bin[] = {0, 1, 0, 2, 0xff};
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, STORE_ACCOUNTS, store_str("alice"), val(bin, sizeof(bin)));
	assert_int_equal(store_commit(t), REGS_OK);
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("alice"), &v), REGS_OK);
	assert_int_equal(v.len, sizeof(bin));
	assert_memory_equal(v.data, bin, sizeof(bin));
	store_abort(t);

	/* Delete, and deleting a missing key is not an error. */
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_del(t, STORE_ACCOUNTS, store_str("alice"));
	store_del(t, STORE_ACCOUNTS, store_str("nobody"));
	assert_int_equal(store_txn_error(t), REGS_OK);
	assert_int_equal(store_commit(t), REGS_OK);
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "alice", buf, sizeof(buf)), REGS_ERR_NOT_FOUND);

	/* Data persists across close and reopen. */
	store_close(s);
	s = open_ok(f, MAP_DEFAULT);
	assert_int_equal(get_str(s, STORE_OTP, "alice", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "otp-a");
	store_close(s);
}

static void test_store_abort_discards(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f, MAP_DEFAULT);
	struct store_txn *t = NULL;
	char buf[64];

	put_commit(s, STORE_ACCOUNTS, "kept", "1");
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, STORE_ACCOUNTS, store_str("new"), store_str("2"));
	store_put(t, STORE_ACCOUNTS, store_str("kept"), store_str("changed"));
	store_del(t, STORE_OTP, store_str("kept"));
	store_abort(t);
	store_abort(NULL); /* harmless */

	assert_int_equal(get_str(s, STORE_ACCOUNTS, "new", buf, sizeof(buf)), REGS_ERR_NOT_FOUND);
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "kept", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "1");

	/* The write lock was released: another write transaction can start and commit. */
	put_commit(s, STORE_ACCOUNTS, "later", "3");
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "later", buf, sizeof(buf)), REGS_OK);
	store_close(s);
}

#define SCAN_MAX 32
struct scan_log {
	size_t n;
	size_t stop_after; /* 0 = never stop */
	uint8_t key[SCAN_MAX][32];
	size_t len[SCAN_MAX];
};

static int log_key(void *ctx, struct store_val key, struct store_val v)
{
	struct scan_log *l = ctx;
	(void)v;
	assert_true(l->n < SCAN_MAX);
	assert_true(key.len <= sizeof(l->key[0]));
	memcpy(l->key[l->n], key.data, key.len);
	l->len[l->n] = key.len;
	l->n++;
	return l->stop_after && l->n >= l->stop_after;
}

/* "user" NUL be64(t) */
static size_t user_key(uint8_t *out, const char *user, uint64_t t)
{
	size_t n = strlen(user) + 1;
	memcpy(out, user, n);
	store_be64(out + n, t);
	return n + 8;
}

static void test_store_scan_prefix_in_order(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f, MAP_DEFAULT);
	struct store_txn *t = NULL;
	static const uint64_t times[] = {65536, 1, 0x0100000000ull, 255, 256, 0, 70000};
	static const uint64_t sorted[] = {0, 1, 255, 256, 65536, 70000, 0x0100000000ull};
	const size_t nt = sizeof(times) / sizeof(times[0]);
	uint8_t k[32];
	struct store_val empty = {"", 0};

	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	for (size_t i = 0; i < nt; i++) {
		store_be64(k, times[i]);
		store_put(t, STORE_AUDIT, val(k, 8), store_str("r"));
		store_put(t, STORE_AUDIT_BY_USER, val(k, user_key(k, "alice", times[i])), empty);
		store_put(t, STORE_AUDIT_BY_USER, val(k, user_key(k, "al", times[i])), empty);
		store_put(t, STORE_AUDIT_BY_USER, val(k, user_key(k, "alicf", times[i])), empty);
	}
	store_put(t, STORE_AUDIT_BY_USER, store_str("alice"), empty); /* shorter than the prefix */
	assert_int_equal(store_commit(t), REGS_OK);

	assert_int_equal(store_begin(s, 0, &t), REGS_OK);

	/* The whole table in numeric order. */
	struct scan_log l = {0};
	store_scan(t, STORE_AUDIT, empty, empty, log_key, &l);
	assert_int_equal(l.n, nt);
	for (size_t i = 0; i < nt; i++) {
		assert_int_equal(l.len[i], 8);
		assert_true(store_get_be64(l.key[i]) == sorted[i]);
	}

	/* From a start key: the first key >= start, to the end. */
	memset(&l, 0, sizeof(l));
	store_be64(k, 257);
	store_scan(t, STORE_AUDIT, empty, val(k, 8), log_key, &l);
	assert_int_equal(l.n, 3);
	assert_true(store_get_be64(l.key[0]) == 65536);
	assert_true(store_get_be64(l.key[2]) == 0x0100000000ull);

	/* A prefix: only alice's index keys, in time order, stopping at the prefix's end. */
	uint8_t prefix[] = "alice"; /* with its NUL */
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_AUDIT_BY_USER, val(prefix, sizeof(prefix)), empty, log_key, &l);
	assert_int_equal(l.n, nt);
	for (size_t i = 0; i < nt; i++) {
		assert_int_equal(l.len[i], sizeof(prefix) + 8);
		assert_memory_equal(l.key[i], prefix, sizeof(prefix));
		assert_true(store_get_be64(l.key[i] + sizeof(prefix)) == sorted[i]);
	}

	/* A prefix and a start key inside it. */
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_AUDIT_BY_USER, val(prefix, sizeof(prefix)),
	           val(k, user_key(k, "alice", 256)), log_key, &l);
	assert_int_equal(l.n, 4);
	assert_true(store_get_be64(l.key[0] + sizeof(prefix)) == 256);
	assert_true(store_get_be64(l.key[3] + sizeof(prefix)) == 0x0100000000ull);

	/* A start key past every key of the prefix finds nothing (not the next user's). */
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_AUDIT_BY_USER, val(prefix, sizeof(prefix)),
	           val(k, user_key(k, "alice", 0x0100000001ull)), log_key, &l);
	assert_int_equal(l.n, 0);

	/* A start key outside the prefix: before it starts at the prefix, after it finds nothing.
	 */
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_AUDIT_BY_USER, val(prefix, sizeof(prefix)), store_str("ak-longer-key"),
	           log_key, &l);
	assert_int_equal(l.n, nt);
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_AUDIT_BY_USER, val(prefix, sizeof(prefix)), store_str("b"), log_key,
	           &l);
	assert_int_equal(l.n, 0);

	/* A prefix no key has. */
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_AUDIT_BY_USER, store_str("bob"), empty, log_key, &l);
	assert_int_equal(l.n, 0);

	/* The callback stops the scan. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	store_scan(t, STORE_AUDIT, empty, empty, log_key, &l);
	assert_int_equal(l.n, 2);

	assert_int_equal(store_txn_error(t), REGS_OK);
	store_abort(t);

	/* An empty table. */
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	memset(&l, 0, sizeof(l));
	store_scan(t, STORE_PENDING, empty, empty, log_key, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(store_txn_error(t), REGS_OK);
	store_abort(t);
	store_close(s);
}

static void set_schema(struct store *s, const uint8_t *v, size_t len)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	store_put(t, STORE_META, store_str("schema"), val(v, len));
	assert_int_equal(store_commit(t), REGS_OK);
}

static void test_store_schema_version_written_and_checked(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f, MAP_DEFAULT);
	struct store_txn *t = NULL;
	struct store_val v;

	/* A new database records the current version, big-endian u32. */
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_META, store_str("schema"), &v), REGS_OK);
	assert_int_equal(v.len, 4);
	const uint8_t *p = v.data;
	assert_int_equal(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	                     p[3],
	                 STORE_SCHEMA_VERSION);
	store_abort(t);
	store_close(s);

	/* Reopening the same version works. */
	s = open_ok(f, MAP_DEFAULT);
	static const uint8_t v99[] = {0, 0, 0, 99};
	set_schema(s, v99, sizeof(v99));
	store_close(s);

	s = NULL;
	assert_int_equal(open_at(f->dir, MAP_DEFAULT, 0, &s), REGS_ERR_SCHEMA);
	assert_null(s);

	/* A version of another length is refused too, rather than misread. */
	static const uint8_t v1long[] = {0, 0, 0, 0, 0, 0, 0, 1};
	char dir2[160];
	snprintf(dir2, sizeof(dir2), "%s/state2", f->base);
	assert_int_equal(open_at(dir2, MAP_DEFAULT, 0, &s), REGS_OK);
	set_schema(s, v1long, sizeof(v1long));
	store_close(s);
	s = NULL;
	assert_int_equal(open_at(dir2, MAP_DEFAULT, 0, &s), REGS_ERR_SCHEMA);
	assert_null(s);

	/* The refusal leaves the foreign version in place: a second open still refuses. */
	assert_int_equal(open_at(f->dir, MAP_DEFAULT, 0, &s), REGS_ERR_SCHEMA);
	assert_null(s);
}

static void test_store_state_dir_permissions_checked(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct stat st;
	char path[160];

	/* A fresh path is created 0700 and holds the database. */
	assert_int_equal(open_at(f->dir, MAP_DEFAULT, 0, &s), REGS_OK);
	store_close(s);
	assert_int_equal(lstat(f->dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	assert_int_equal(access(path, F_OK), 0);

	/* Group or other access refuses the directory, even after it was used. */
	static const mode_t bad[] = {0755, 0750, 0701, 0710, 0707};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(f->dir, bad[i]), 0);
		s = NULL;
		assert_int_equal(open_at(f->dir, MAP_DEFAULT, 0, &s), REGS_ERR_PERM);
		assert_null(s);
	}
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(open_at(f->dir, MAP_DEFAULT, 0, &s), REGS_OK);
	store_close(s);

	/* A fresh 0755 directory is refused. */
	snprintf(path, sizeof(path), "%s/open", f->base);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(open_at(path, MAP_DEFAULT, 0, &s), REGS_ERR_PERM);

	/* A symlink to a good directory is refused (not followed). */
	snprintf(path, sizeof(path), "%s/link", f->base);
	assert_int_equal(symlink(f->dir, path), 0);
	assert_int_equal(open_at(path, MAP_DEFAULT, 0, &s), REGS_ERR_PERM);

	/* A regular file in its place is refused. */
	snprintf(path, sizeof(path), "%s/file", f->base);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0700), 0);
	assert_int_equal(open_at(path, MAP_DEFAULT, 0, &s), REGS_ERR_PERM);

	/* A path whose parent is missing cannot be created. */
	snprintf(path, sizeof(path), "%s/missing/state", f->base);
	assert_int_equal(open_at(path, MAP_DEFAULT, 0, &s), REGS_ERR_IO);
}

static size_t count_keys(struct store *s, enum store_table tb)
{
	struct store_txn *t = NULL;
	struct scan_log l = {0};
	struct store_val empty = {"", 0};
	l.stop_after = SCAN_MAX;
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	store_scan(t, tb, empty, empty, log_key, &l);
	assert_int_equal(store_txn_error(t), REGS_OK);
	store_abort(t);
	return l.n;
}

static void test_store_map_full_is_sticky_and_reported(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f, MAP_SMALL);
	struct store_txn *t = NULL;
	struct store_val v;
	static uint8_t blob[1500];
	char key[32], buf[64];
	int i;

	put_commit(s, STORE_ACCOUNTS, "alice", "committed-before");

	memset(blob, 0x42, sizeof(blob));
	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	for (i = 0; i < 100000 && store_txn_error(t) == REGS_OK; i++) {
		snprintf(key, sizeof(key), "fill%06d", i);
		store_put(t, STORE_AUDIT, store_str(key), val(blob, sizeof(blob)));
	}
	assert_int_equal(store_txn_error(t), REGS_ERR_FULL);
	assert_true(i > 10); /* the map did hold something before filling up */

	/* Later operations are no-ops and the error stays. */
	store_put(t, STORE_ACCOUNTS, store_str("bob"), store_str("x"));
	store_del(t, STORE_ACCOUNTS, store_str("alice"));
	assert_int_equal(store_txn_error(t), REGS_ERR_FULL);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("bob"), &v), REGS_ERR_FULL);
	assert_int_equal(store_commit(t), REGS_ERR_FULL);

	/* The store is still usable: a small write fits again once the failed one is gone. */
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "alice", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "committed-before");
	put_commit(s, STORE_OTP, "carol", "small");
	store_close(s);

	s = open_ok(f, MAP_SMALL);
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "alice", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "committed-before");
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "bob", buf, sizeof(buf)), REGS_ERR_NOT_FOUND);
	assert_int_equal(get_str(s, STORE_OTP, "carol", buf, sizeof(buf)), REGS_OK);
	assert_int_equal(count_keys(s, STORE_AUDIT), 0);
	assert_int_equal(count_keys(s, STORE_ACCOUNTS), 1);
	store_close(s);
}

static void test_R9_1_committed_state_survives_crash(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char buf[64];
	int status = 0;

	/* Create the store first so the child only writes. */
	s = open_ok(f, MAP_DEFAULT);
	store_close(s);

	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *cs = NULL;
		struct store_txn *t = NULL;
		alarm(20);
		if (open_at(f->dir, MAP_DEFAULT, 1, &cs) != REGS_OK)
			_exit(2);
		if (store_begin(cs, 1, &t) != REGS_OK)
			_exit(3);
		store_put(t, STORE_ACCOUNTS, store_str("mallory"), store_str("locked-until-T"));
		if (store_commit(t) != REGS_OK)
			_exit(4);
		/* A second write transaction left open when the process dies. */
		if (store_begin(cs, 1, &t) != REGS_OK)
			_exit(5);
		store_put(t, STORE_ACCOUNTS, store_str("uncommitted"), store_str("x"));
		kill(getpid(), SIGKILL);
		_exit(6);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* The committed record is there, the uncommitted one is not, and the dead writer's
	 * lock does not block a new writer. */
	alarm(20);
	s = open_ok(f, MAP_DEFAULT);
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "mallory", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "locked-until-T");
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "uncommitted", buf, sizeof(buf)),
	                 REGS_ERR_NOT_FOUND);
	put_commit(s, STORE_ACCOUNTS, "after", "ok");
	alarm(0);
	store_close(s);
}

static void test_store_get_missing_not_sticky(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f, MAP_DEFAULT);
	struct store_txn *t = NULL;
	struct store_val v = {NULL, 0};
	char buf[64];

	assert_int_equal(store_begin(s, 1, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("nobody"), &v), REGS_ERR_NOT_FOUND);
	assert_int_equal(store_txn_error(t), REGS_OK);
	store_put(t, STORE_ACCOUNTS, store_str("nobody"), store_str("now-somebody"));
	assert_int_equal(store_txn_error(t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("nobody"), &v), REGS_OK);
	assert_int_equal(store_commit(t), REGS_OK);
	assert_int_equal(get_str(s, STORE_ACCOUNTS, "nobody", buf, sizeof(buf)), REGS_OK);
	assert_string_equal(buf, "now-somebody");

	/* In a read transaction too. */
	assert_int_equal(store_begin(s, 0, &t), REGS_OK);
	assert_int_equal(store_get(t, STORE_OTP, store_str("x"), &v), REGS_ERR_NOT_FOUND);
	assert_int_equal(store_txn_error(t), REGS_OK);
	assert_int_equal(store_get(t, STORE_ACCOUNTS, store_str("nobody"), &v), REGS_OK);
	store_abort(t);
	store_close(s);
}

static void test_store_be64_roundtrip(void **state)
{
	static const uint64_t vals[] = {0,         1,          255,        256,
	                                65535,     0x80000000, 0xffffffff, 0x0102030405060708ull,
	                                INT64_MAX, UINT64_MAX};
	uint8_t b[8], prev[8];
	(void)state;
	store_be64(b, 0x0102030405060708ull);
	static const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(b, want, 8);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		store_be64(b, vals[i]);
		assert_true(store_get_be64(b) == vals[i]);
		/* Byte order equals numeric order, which the scans rely on. */
		if (i > 0)
			assert_true(memcmp(prev, b, 8) < 0);
		memcpy(prev, b, 8);
	}
}

#define STORE_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    STORE_TEST(test_store_put_get_commit),
	    STORE_TEST(test_store_abort_discards),
	    STORE_TEST(test_store_scan_prefix_in_order),
	    STORE_TEST(test_store_schema_version_written_and_checked),
	    STORE_TEST(test_store_state_dir_permissions_checked),
	    STORE_TEST(test_store_map_full_is_sticky_and_reported),
	    STORE_TEST(test_R9_1_committed_state_survives_crash),
	    STORE_TEST(test_store_get_missing_not_sticky),
	    STORE_TEST(test_store_be64_roundtrip),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
