/* The storage interface's contract, run the same way on LMDB and on PostgreSQL: every line it
 * prints must be the same for both (test_store_backends.py compares them), and it checks what
 * it can on its own (exit 1 on the first difference from what store.h promises).
 *
 *   storecheck lmdb DIR | storecheck postgresql CONNINFO        the transcript
 *   storecheck count lmdb DIR|postgresql CONNINFO N             N read-modify-write batches
 *                                                               of one counter
 *   storecheck count-accounts ...                               the same in account batches */
#include "store/store.h"
#include "store/store_pg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed;

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "storecheck: " __VA_ARGS__);                               \
			fputc('\n', stderr);                                                       \
			failed = 1;                                                                \
		}                                                                                  \
	} while (0)

static struct store *open_store(const char *kind, const char *where)
{
	struct store *s = NULL;
	char why[600] = "";
	enum regs_err err;
	if (strcmp(kind, "lmdb") == 0) {
		struct store_options o = {where, 64u << 20, 1};
		err = store_lmdb_open(&o, &s);
	} else {
		struct store_pg_options o = {.conninfo = where};
		err = store_pg_open(&o, &s, why, sizeof(why));
	}
	if (err != REGS_OK) {
		fprintf(stderr, "storecheck: %s %s: %s %s\n", kind, where, regs_strerror(err), why);
		exit(2);
	}
	return s;
}

static struct store_val val(const char *s, size_t n)
{
	return (struct store_val){s, n};
}

static void print_val(const char *what, struct store_val k, struct store_val v)
{
	printf("%s ", what);
	for (size_t i = 0; i < k.len; i++)
		printf("%02x", ((const unsigned char *)k.data)[i]);
	printf(" = ");
	for (size_t i = 0; i < v.len; i++)
		printf("%02x", ((const unsigned char *)v.data)[i]);
	printf("\n");
}

static int print_row(void *ctx, struct store_val k, struct store_val v)
{
	unsigned *n = ctx;
	print_val("  row", k, v);
	return ++*n >= 1000; /* a scan that would not stop */
}

static void scan(struct store_txn *t, enum store_table tb, struct store_val prefix,
                 struct store_val start, const char *what)
{
	unsigned n = 0;
	printf("scan %s\n", what);
	store_scan(t, tb, prefix, start, print_row, &n);
	printf("  (%u rows)\n", n);
}

/* Keys that put the order to the test: prefixes of each other, NUL and 0xff bytes. */
static const struct {
	const char *k;
	size_t n;
} keys[] = {{"a", 1},    {"a\0", 2},      {"ab", 2}, {"abc", 3},  {"b", 1},
            {"\xff", 1}, {"\xff\xff", 2}, {"\0", 1}, {"a\xff", 2}};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void fill(struct store *s)
{
	struct store_txn *t;
	EXPECT(store_begin(s, 1, &t) == REGS_OK, "begin");
	for (size_t i = 0; i < NKEYS; i++) {
		char v[16];
		int n = snprintf(v, sizeof(v), "v%zu", i);
		store_put(t, STORE_CODES, val(keys[i].k, keys[i].n), val(v, (size_t)n));
	}
	store_put(t, STORE_CARDS, val("a", 1), val("other table", 11));
	EXPECT(store_commit(t) == REGS_OK, "commit of the fill");
}

static void gets(struct store_txn *t)
{
	struct store_val v;
	for (size_t i = 0; i < NKEYS; i++) {
		enum regs_err err = store_get(t, STORE_CODES, val(keys[i].k, keys[i].n), &v);
		if (err == REGS_OK)
			print_val("get", val(keys[i].k, keys[i].n), v);
		else
			printf("get %zu: %s\n", i, regs_strerror(err));
	}
}

static void scans(struct store_txn *t)
{
	struct store_val none = {"", 0};
	scan(t, STORE_CODES, none, none, "all");
	scan(t, STORE_CODES, val("a", 1), none, "prefix a");
	scan(t, STORE_CODES, val("a", 1), val("ab", 2), "prefix a from ab");
	scan(t, STORE_CODES, none, val("b", 1), "from b");
	scan(t, STORE_CODES, val("\xff", 1), none, "prefix ff");
	scan(t, STORE_CARDS, none, none, "the other table");
}

/* Writes seen by the same transaction's gets and scans, gone after an abort, kept by a
 * commit. */
static void own_writes(struct store *s)
{
	struct store_txn *t;
	struct store_val v;
	EXPECT(store_begin(s, 1, &t) == REGS_OK, "begin");
	store_del(t, STORE_CODES, val("ab", 2));
	store_put(t, STORE_CODES, val("aa", 2), val("new", 3));
	store_put(t, STORE_CODES, val("a", 1), val("changed", 7));
	EXPECT(store_get(t, STORE_CODES, val("ab", 2), &v) == REGS_ERR_NOT_FOUND,
	       "a deleted key read back in its transaction");
	EXPECT(store_get(t, STORE_CODES, val("aa", 2), &v) == REGS_OK && v.len == 3,
	       "a new key not read back in its transaction");
	scan(t, STORE_CODES, val("a", 1), val("", 0), "own writes");
	store_abort(t);
	EXPECT(store_begin(s, 0, &t) == REGS_OK, "begin");
	EXPECT(store_get(t, STORE_CODES, val("aa", 2), &v) == REGS_ERR_NOT_FOUND,
	       "an aborted put was kept");
	EXPECT(store_get(t, STORE_CODES, val("ab", 2), &v) == REGS_OK,
	       "an aborted delete was kept");
	store_abort(t);
}

static int count_row(void *ctx, struct store_val k, struct store_val v)
{
	(void)k;
	(void)v;
	++*(unsigned *)ctx;
	return 0;
}

/* More writes than the PostgreSQL store holds back (they go early): all seen, all kept. */
static void big(struct store *s)
{
	struct store_txn *t;
	struct store_val v, none = {"", 0};
	unsigned n = 0;
	EXPECT(store_begin(s, 1, &t) == REGS_OK, "begin");
	for (uint64_t i = 0; i < 5000; i++) {
		uint8_t k[8];
		store_be64(k, i * 7919 % 5003);
		store_put(t, STORE_AUDIT, val((const char *)k, 8), val((const char *)k, 8));
	}
	store_scan(t, STORE_AUDIT, none, none, count_row, &n);
	EXPECT(n == 5000, "big transaction: %u rows seen of 5000", n);
	EXPECT(store_commit(t) == REGS_OK, "commit of 5000 puts");
	EXPECT(store_begin(s, 0, &t) == REGS_OK, "begin");
	n = 0;
	store_scan(t, STORE_AUDIT, none, none, count_row, &n);
	EXPECT(n == 5000, "big transaction: %u rows kept of 5000", n);
	uint8_t k[8];
	store_be64(k, 4999 * 7919 % 5003);
	EXPECT(store_get(t, STORE_AUDIT, val((const char *)k, 8), &v) == REGS_OK && v.len == 8,
	       "a row of the big transaction");
	store_abort(t);
	printf("big: %u rows\n", n);
}

/* LMDB holds no empty key; neither may the other backend, or a copy could not come back. */
static void empty_key(struct store *s)
{
	struct store_txn *t;
	EXPECT(store_begin(s, 1, &t) == REGS_OK, "begin");
	store_put(t, STORE_CODES, val("", 0), val("x", 1));
	EXPECT(store_commit(t) != REGS_OK, "an empty key was stored");
}

static void get_line(struct store_txn *t, enum store_table tb, const char *key)
{
	struct store_val v;
	enum regs_err err = store_get(t, tb, store_str(key), &v);
	if (err == REGS_OK)
		print_val("get", store_str(key), v);
	else
		printf("get %s: %s\n", key, regs_strerror(err));
}

/* Rows read ahead answer as the server would, and writes after the read-ahead win. */
static void read_ahead(struct store *s)
{
	struct store_txn *t;
	const struct store_val users[] = {store_str("u1"), store_str("u2"), store_str("u3")};
	EXPECT(store_begin(s, 1, &t) == REGS_OK, "begin");
	store_put(t, STORE_ACCOUNTS, store_str("u1"), val("one", 3));
	store_put(t, STORE_OTP, store_str("u3"), val("three", 5));
	EXPECT(store_commit(t) == REGS_OK, "commit");
	EXPECT(store_begin(s, 1, &t) == REGS_OK, "begin");
	store_prefetch(t, users, 3);
	get_line(t, STORE_ACCOUNTS, "u1");
	get_line(t, STORE_ACCOUNTS, "u2");
	get_line(t, STORE_OTP, "u3");
	store_put(t, STORE_ACCOUNTS, store_str("u2"), val("two", 3));
	store_del(t, STORE_ACCOUNTS, store_str("u1"));
	store_del(t, STORE_OTP, store_str("u3"));
	get_line(t, STORE_ACCOUNTS, "u1");
	get_line(t, STORE_ACCOUNTS, "u2");
	scan(t, STORE_ACCOUNTS, val("", 0), val("", 0), "after the read-ahead's writes");
	get_line(t, STORE_OTP, "u3");
	store_put(t, STORE_OTP, store_str("u3"), val("again", 5));
	get_line(t, STORE_OTP, "u3");
	EXPECT(store_commit(t) == REGS_OK, "commit");
	EXPECT(store_begin(s, 0, &t) == REGS_OK, "begin");
	store_prefetch(t, users, 3);
	get_line(t, STORE_ACCOUNTS, "u1");
	get_line(t, STORE_ACCOUNTS, "u2");
	get_line(t, STORE_OTP, "u3");
	store_abort(t);
}

static int transcript(struct store *s)
{
	struct store_txn *t;
	empty_key(s);
	fill(s);
	EXPECT(store_begin(s, 0, &t) == REGS_OK, "begin");
	gets(t);
	scans(t);
	store_abort(t);
	own_writes(s);
	read_ahead(s);
	big(s);
	return failed;
}

/* n batches of: read the counter, add one, write it back. Run by several processes at once
 * on one database, the counter ends at the sum of their n (no lost or doubled update). With
 * accounts set, each batch is an account batch (store_begin_accounts) of the counter's account
 * and a second one, so that account batches and plain ones are mixed. */
static int count(struct store *s, long n, int accounts)
{
	const struct store_val users[] = {store_str("counter"), store_str("other")};
	for (long i = 0; i < n; i++) {
		struct store_txn *t;
		struct store_val v;
		uint8_t buf[8] = {0};
		enum regs_err err = accounts
		                        ? store_begin_accounts(s, users, 1 + (size_t)(i & 1), &t)
		                        : store_begin(s, 1, &t);
		if (err != REGS_OK) {
			fprintf(stderr, "storecheck: begin: %s\n", regs_strerror(err));
			return 1;
		}
		if (store_get(t, STORE_ACCOUNTS, users[0], &v) == REGS_OK && v.len == 8)
			memcpy(buf, v.data, 8);
		store_be64(buf, store_get_be64(buf) + 1);
		store_put(t, STORE_ACCOUNTS, users[0], val((const char *)buf, 8));
		if ((err = store_commit(t)) != REGS_OK) {
			fprintf(stderr, "storecheck: commit: %s\n", regs_strerror(err));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3) {
		struct store *s = open_store(argv[1], argv[2]);
		rc = transcript(s);
		store_close(s);
		return rc;
	}
	if (argc == 5 &&
	    (strcmp(argv[1], "count") == 0 || strcmp(argv[1], "count-accounts") == 0)) {
		struct store *s = open_store(argv[2], argv[3]);
		rc = count(s, atol(argv[4]), strcmp(argv[1], "count-accounts") == 0);
		store_close(s);
		return rc;
	}
	fprintf(stderr,
	        "usage: storecheck lmdb DIR | postgresql CONNINFO\n"
	        "       storecheck count|count-accounts lmdb DIR | postgresql CONNINFO N\n");
	return 2;
}
