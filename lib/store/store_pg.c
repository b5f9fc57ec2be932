/* The fleet store over libpq (store_pg.h): transactions, reads, scans and commits. */
#include "store/pgstore.h"
#include <stdio.h>
#include <stdlib.h>

#define PG_WRITES_MAX 2048            /* pending writes sent early past this many */
#define PG_WRITE_BYTES_MAX (4u << 20) /* or past this many bytes */
#define PG_RECONNECT_MS 1000          /* a lost database is tried at most this often */
/* A commit that wrote this many rows is followed by ANALYZE: on a table just loaded (a copy,
 * a bulk load) the planner has no statistics yet and pages a scan with a sort over every row
 * past the key instead of the primary key's order (measured: 10-16 ms against 0.3 ms a page). */
#define PG_ANALYZE_ROWS 10000

struct store_txn {
	const struct store_ops *ops; /* first: see store.c */
	struct pg_store *s;
	int write;
	enum regs_err err; /* sticky: the first failure */
	struct pg_writes writes;
	struct pg_writes known; /* rows read ahead (store_prefetch), kept current by writes; a
	                         * deleted entry is a row known to be absent */
	size_t written;         /* rows sent so far */
	PGresult **results;     /* what gets returned points into these: kept to the end */
	size_t nres, capres;
};

static const struct store_ops pg_ops;
static void pg_prefetch(struct store_txn *t, const struct store_val *users, size_t n);

/* A write transaction takes the fleet's batch lock: alone (PG_BATCH_LOCK) for any batch, shared
 * with the lock of each account for a batch of account calls (store_begin_accounts), so that
 * such batches of different hosts run side by side when their accounts differ. */
#define PG_BEGIN_WRITE                                                                             \
	"BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" PG_BATCH_LOCK ")"
#define PG_BEGIN_ACCOUNTS                                                                          \
	"BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock_shared(" PG_BATCH_LOCK \
	")"
#define PG_BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define PG_ACCOUNT_LOCK_CLASS "1919248243" /* "regs" in ASCII: the two-key locks' first key */
#define BATCH_ACCOUNTS_MAX 256

static void fail(struct store_txn *t, enum regs_err err)
{
	if (t->err == REGS_OK)
		t->err = err;
}

static void end_txn(struct store_txn *t)
{
	for (size_t i = 0; i < t->nres; i++)
		PQclear(t->results[i]);
	free(t->results);
	pg_writes_free(&t->writes);
	pg_writes_free(&t->known);
	free(t);
}

/* Keeps r to the end of the transaction; 0, or -1 (r cleared) when memory ran out. */
static int keep_result(struct store_txn *t, PGresult *r)
{
	if (t->nres == t->capres) {
		size_t cap = t->capres ? 2 * t->capres : 16;
		PGresult **n = realloc(t->results, cap * sizeof(*n));
		if (!n) {
			PQclear(r);
			fail(t, REGS_ERR_NOMEM);
			return -1;
		}
		t->results = n;
		t->capres = cap;
	}
	t->results[t->nres++] = r;
	return 0;
}

/* Runs sql (no parameters); REGS_OK when every statement in it succeeded. */
static enum regs_err run(struct pg_store *s, const char *sql)
{
	PGresult *r = PQexec(s->conn, sql);
	ExecStatusType st = PQresultStatus(r);
	enum regs_err err =
	    st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? REGS_OK : pg_failure(s, r);
	PQclear(r);
	return err;
}

static enum regs_err txn_begin(struct pg_store *s, const char *sql, int write,
                               struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return REGS_ERR_NOMEM;
	enum regs_err err = run(s, sql);
	if (err != REGS_OK) {
		if (s->conn)
			run(s, "ROLLBACK");
		free(t);
		return err;
	}
	t->ops = &pg_ops;
	t->s = s;
	t->write = write;
	*out = t;
	return REGS_OK;
}

enum regs_err pg_txn_begin_connected(struct pg_store *s, int write, struct store_txn **out)
{
	return txn_begin(s, write ? PG_BEGIN_WRITE : PG_BEGIN_READ, write, out);
}

/* Connects when not connected (at most every PG_RECONNECT_MS): REGS_OK, UNAVAILABLE, or FATAL
 * once the database refused this host. */
static enum regs_err ensure_connected(struct pg_store *s, int now)
{
	char why[600] = "";
	if (s->refused)
		return REGS_ERR_FATAL;
	if (s->conn)
		return REGS_OK;
	if (!now && pg_monotonic_ms() - s->last_try_ms < PG_RECONNECT_MS)
		return REGS_ERR_UNAVAILABLE;
	enum regs_err err = pg_connect(s, why, sizeof(why));
	if (err == REGS_OK && s->log)
		s->log(1, "PostgreSQL connected");
	if (err != REGS_OK && err != REGS_ERR_UNAVAILABLE) {
		s->refused = 1;
		if (s->log)
			s->log(0, why);
		return REGS_ERR_FATAL;
	}
	return err;
}

/* Begins with sql (BEGIN and the locks), connecting first when needed. */
static enum regs_err begin_with(struct pg_store *s, const char *sql, int write,
                                struct store_txn **out)
{
	int had = s->conn != NULL;
	enum regs_err err = ensure_connected(s, 0);
	if (err == REGS_OK)
		err = txn_begin(s, sql, write, out);
	/* A connection found dead at its first use (the server restarted, or failed over): one
	 * new connection at once, so that the first batch after a failover is served. */
	if (err == REGS_ERR_UNAVAILABLE && had && !s->conn) {
		err = ensure_connected(s, 1);
		if (err == REGS_OK)
			err = txn_begin(s, sql, write, out);
	}
	return err;
}

static enum regs_err pg_begin(struct store *base, int write, struct store_txn **out)
{
	return begin_with((struct pg_store *)base, write ? PG_BEGIN_WRITE : PG_BEGIN_READ, write,
	                  out);
}

static int by_value(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* FNV-1a of the name, as a signed 32-bit lock id. */
static int32_t account_lock_id(struct store_val user)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < user.len; i++)
		h = (h ^ ((const uint8_t *)user.data)[i]) * 16777619u;
	return (int32_t)h;
}

/* The batch lock shared, then each account's lock in one order (ascending ids) for every host:
 * no two transactions wait for each other in a circle. */
static void account_locks_sql(struct regs_buf *sql, const struct store_val *users, size_t n)
{
	int32_t ids[BATCH_ACCOUNTS_MAX];
	size_t k = 0;
	for (size_t i = 0; i < n && k < BATCH_ACCOUNTS_MAX; i++)
		ids[k++] = account_lock_id(users[i]);
	qsort(ids, k, sizeof(ids[0]), by_value);
	regs_buf_append_str(sql, PG_BEGIN_ACCOUNTS);
	for (size_t i = 0; i < k; i++) {
		char one[96];
		if (i > 0 && ids[i] == ids[i - 1])
			continue;
		snprintf(one, sizeof(one), "; SELECT pg_advisory_xact_lock(%s, %ld)",
		         PG_ACCOUNT_LOCK_CLASS, (long)ids[i]);
		regs_buf_append_str(sql, one);
	}
}

static enum regs_err pg_begin_accounts(struct store *base, const struct store_val *users, size_t n,
                                       struct store_txn **out)
{
	struct regs_buf sql = REGS_BUF_INIT(0);
	if (n > BATCH_ACCOUNTS_MAX) /* more than one batch holds: the whole fleet's lock */
		return pg_begin(base, 1, out);
	account_locks_sql(&sql, users, n);
	enum regs_err err =
	    sql.err != REGS_OK ? sql.err : begin_with((struct pg_store *)base, sql.data, 1, out);
	regs_buf_free(&sql);
	if (err == REGS_OK)
		pg_prefetch(*out, users, n);
	return err;
}

static void put_param_tb(char out[2], enum store_table tb)
{
	out[0] = (char)(((unsigned)tb >> 8) & 0xff);
	out[1] = (char)((unsigned)tb & 0xff);
}

/* One prepared query of (tb, key) with binary parameters and results. */
static PGresult *query(struct store_txn *t, const char *name, enum store_table tb,
                       struct store_val key)
{
	char tbv[2];
	put_param_tb(tbv, tb);
	const char *values[2] = {tbv, key.len ? key.data : ""};
	const int lengths[2] = {2, (int)key.len};
	const int formats[2] = {1, 1};
	PGresult *r = PQexecPrepared(t->s->conn, name, 2, values, lengths, formats, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fail(t, pg_failure(t->s, r));
		PQclear(r);
		return NULL;
	}
	return keep_result(t, r) == 0 ? r : NULL;
}

static enum regs_err pg_get(struct store_txn *t, enum store_table tb, struct store_val key,
                            struct store_val *val)
{
	size_t at;
	if (t->err != REGS_OK)
		return t->err;
	if (key.len == 0) { /* as LMDB: no empty key */
		fail(t, REGS_ERR_STORAGE);
		return t->err;
	}
	const struct pg_writes *mine = &t->writes;
	if (pg_writes_find(mine, (uint16_t)tb, key, &at) ||
	    pg_writes_find(mine = &t->known, (uint16_t)tb, key, &at)) {
		if (mine->w[at].del)
			return REGS_ERR_NOT_FOUND;
		*val = mine->w[at].val;
		return REGS_OK;
	}
	PGresult *r = query(t, "get", tb, key);
	if (!r)
		return t->err;
	if (PQntuples(r) == 0)
		return REGS_ERR_NOT_FOUND;
	*val = (struct store_val){PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0)};
	return REGS_OK;
}

/* Sends the pending writes (the transaction goes on). */
static void send_writes(struct store_txn *t)
{
	struct regs_buf sql = REGS_BUF_INIT(0);
	if (t->err != REGS_OK || t->writes.n == 0)
		return;
	pg_writes_sql(&t->writes, &sql);
	if (sql.err != REGS_OK)
		fail(t, sql.err);
	else
		fail(t, run(t->s, sql.data));
	regs_buf_free(&sql);
	t->written += t->writes.n;
	pg_writes_sent(&t->writes);
}

static void set(struct store_txn *t, enum store_table tb, struct store_val key,
                const struct store_val *val)
{
	if (t->err != REGS_OK)
		return;
	if (!t->write || key.len == 0) { /* as LMDB: no empty key */
		fail(t, t->write ? REGS_ERR_STORAGE : REGS_ERR_INVALID);
		return;
	}
	fail(t, pg_writes_set(&t->writes, (uint16_t)tb, key, val));
	if (pg_writes_find(&t->known, (uint16_t)tb, key, &(size_t){0}))
		fail(t, pg_writes_set(&t->known, (uint16_t)tb, key, val));
	if (t->writes.n >= PG_WRITES_MAX || t->writes.bytes >= PG_WRITE_BYTES_MAX)
		send_writes(t);
}

static void pg_put(struct store_txn *t, enum store_table tb, struct store_val key,
                   struct store_val val)
{
	set(t, tb, key, &val);
}

static void pg_del(struct store_txn *t, enum store_table tb, struct store_val key)
{
	set(t, tb, key, NULL);
}

/* Pages of rows in key order, from the first key >= from; pending writes are sent first. */
static void pg_scan(struct store_txn *t, enum store_table tb, struct store_val prefix,
                    struct store_val start, store_scan_fn fn, void *ctx)
{
	struct store_val from = store_key_compare(start, prefix) > 0 ? start : prefix;
	const char *name = "scan";
	send_writes(t);
	while (t->err == REGS_OK) {
		PGresult *r = query(t, name, tb, from);
		int n = r ? PQntuples(r) : 0;
		for (int i = 0; i < n; i++) {
			struct store_val k = {PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0)};
			struct store_val v = {PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1)};
			if (!store_has_prefix(k, prefix) || fn(ctx, k, v))
				return;
			from = k;
		}
		if (n < 512)
			return;
		name = "scan_after";
	}
}

/* A text array of the account tables' numbers, and one of the names as bytea hex literals. */
static void prefetch_params(struct regs_buf *tables, struct regs_buf *names,
                            const struct store_val *users, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	regs_buf_append_str(tables, "{");
	for (size_t i = 0; i < STORE_ACCOUNT_TABLES; i++) {
		char num[8];
		snprintf(num, sizeof(num), "%s%d", i ? "," : "", (int)store_account_tables[i]);
		regs_buf_append_str(tables, num);
	}
	regs_buf_append_str(tables, "}");
	regs_buf_append_str(names, "{");
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = users[i].data;
		regs_buf_append_str(names, i ? ",\"\\\\x" : "\"\\\\x"); /* "\\x..." in an array */
		for (size_t j = 0; j < users[i].len; j++) {
			char h[2] = {digits[p[j] >> 4], digits[p[j] & 15]};
			regs_buf_append(names, h, 2);
		}
		regs_buf_append_str(names, "\"");
	}
	regs_buf_append_str(names, "}");
}

/* Every (table, name) asked for is known afterwards: the row, or its absence. */
static void remember(struct store_txn *t, PGresult *r, const struct store_val *users, size_t n)
{
	for (int i = 0; i < PQntuples(r) && t->err == REGS_OK; i++) {
		const uint8_t *tb = (const uint8_t *)PQgetvalue(r, i, 0);
		struct store_val k = {PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1)};
		struct store_val v = {PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2)};
		if (PQgetlength(r, i, 0) == 2)
			fail(t, pg_writes_set(&t->known, (uint16_t)(tb[0] << 8 | tb[1]), k, &v));
	}
	for (size_t i = 0; i < n && t->err == REGS_OK; i++)
		for (size_t j = 0; j < STORE_ACCOUNT_TABLES; j++) {
			uint16_t tb = (uint16_t)store_account_tables[j];
			size_t at;
			if (users[i].len && !pg_writes_find(&t->known, tb, users[i], &at))
				fail(t, pg_writes_set(&t->known, tb, users[i], NULL));
		}
}

/* One query for every account table's row of every name (store_prefetch). */
static void pg_prefetch(struct store_txn *t, const struct store_val *users, size_t n)
{
	struct regs_buf tables = REGS_BUF_INIT(0), names = REGS_BUF_INIT(0);
	if (t->err != REGS_OK)
		return;
	prefetch_params(&tables, &names, users, n);
	if (tables.err == REGS_OK && names.err == REGS_OK) {
		const char *values[2] = {tables.data, names.data};
		PGresult *r =
		    PQexecParams(t->s->conn,
		                 "SELECT tb, k, v FROM regs_kv WHERE tb = ANY($1::int2[]) "
		                 "AND k = ANY($2::bytea[])",
		                 2, NULL, values, NULL, NULL, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fail(t, pg_failure(t->s, r));
			PQclear(r);
		} else if (keep_result(t, r) == 0) {
			remember(t, r, users, n);
		}
	}
	regs_buf_free(&tables);
	regs_buf_free(&names);
}

static enum regs_err pg_commit(struct store_txn *t)
{
	struct pg_store *s = t->s;
	struct regs_buf sql = REGS_BUF_INIT(0);
	enum regs_err err = t->err;
	if (err == REGS_OK) {
		pg_writes_sql(&t->writes, &sql);
		regs_buf_append_str(&sql, "COMMIT");
		err = sql.err != REGS_OK ? sql.err : run(s, sql.data);
	}
	regs_buf_free(&sql);
	/* Not committed: the transaction is rolled back (when the connection still stands). */
	if (err != REGS_OK && s->conn && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		run(s, "ROLLBACK");
	if (err == REGS_OK && t->written + t->writes.n >= PG_ANALYZE_ROWS)
		run(s, "ANALYZE regs_kv"); /* the commit stands whatever this answers */
	end_txn(t);
	return err;
}

static void pg_abort(struct store_txn *t)
{
	if (t->s->conn)
		run(t->s, "ROLLBACK");
	end_txn(t);
}

static enum regs_err pg_txn_error(const struct store_txn *t)
{
	return t->err;
}

/* Nothing waits for a sync: a commit returns once PostgreSQL has it (and its synchronous
 * standbys, when the server names some). */
static int pg_flush_idle(struct store *base, int max_wait_ms, enum regs_err *err)
{
	(void)base;
	*err = REGS_OK;
	return max_wait_ms;
}

static void pg_close(struct store *base)
{
	struct pg_store *s = (struct pg_store *)base;
	pg_disconnect(s, NULL);
	free(s->conninfo);
	free(s);
}

static const struct store_ops pg_ops = {
    pg_begin, pg_get,       pg_put,        pg_del,   pg_scan,     pg_commit,
    pg_abort, pg_txn_error, pg_flush_idle, pg_close, pg_prefetch, pg_begin_accounts,
};

enum regs_err store_pg_check_conninfo(const char *conninfo, char *why, size_t whysz)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &msg);
	if (!opts) {
		regs_explain(why, whysz, "postgresql: %s", msg ? msg : "cannot be parsed");
		PQfreemem(msg);
		return REGS_ERR_CONFIG;
	}
	enum regs_err err = REGS_OK;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val) {
			regs_explain(
			    why, whysz,
			    "postgresql: a password in regs.conf is refused; put it in a "
			    "root-only passfile (passfile=...) or use a client certificate");
			err = REGS_ERR_CONFIG;
		}
	PQconninfoFree(opts);
	return err;
}

enum regs_err store_pg_open(const struct store_pg_options *opt, struct store **out, char *why,
                            size_t whysz)
{
	enum regs_err err = store_pg_check_conninfo(opt->conninfo, why, whysz);
	if (err != REGS_OK)
		return err;
	struct pg_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->conninfo = strdup(opt->conninfo))) {
		free(s);
		return REGS_ERR_NOMEM;
	}
	s->base.ops = &pg_ops;
	s->lock_timeout_ms = opt->lock_timeout_ms > 0 ? opt->lock_timeout_ms : 10000;
	s->attach = opt->attach;
	s->attach_ctx = opt->attach_ctx;
	s->log = opt->log;
	err = pg_connect(s, why, whysz);
	if (err != REGS_OK && err != REGS_ERR_UNAVAILABLE) {
		pg_close(&s->base);
		return err;
	}
	*out = &s->base;
	return err; /* REGS_ERR_UNAVAILABLE: opened, not connected yet (why says why) */
}
