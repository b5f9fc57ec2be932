/* The LMDB backend of the storage interface: one environment, one named database per table. */
#include "store/idlesync.h"
#include "store/store.h"
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct lmdb_store {
	struct store base;
	MDB_env *env;
	MDB_dbi dbi[STORE_TABLE_COUNT];
	int durable;
	struct store_idle idle; /* the last commit's meta page, not yet synced */
};

struct store_txn {
	const struct store_ops *ops; /* first: see store.c */
	struct lmdb_store *s;
	MDB_txn *txn;
	enum regs_err err; /* sticky: the first failure */
	int wrote;         /* a put or delete changed pages: the commit writes */
};

static enum regs_err map_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return REGS_OK;
	case MDB_NOTFOUND:
		return REGS_ERR_NOT_FOUND;
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
		return REGS_ERR_FULL;
	case ENOMEM:
		return REGS_ERR_NOMEM;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return REGS_ERR_SCHEMA;
	case MDB_PANIC:
		return REGS_ERR_FATAL;
	default:
		return REGS_ERR_STORAGE;
	}
}

static void txn_fail(struct store_txn *t, int rc)
{
	if (rc != MDB_SUCCESS && t->err == REGS_OK)
		t->err = map_mdb(rc);
}

static MDB_val to_mdb(struct store_val v)
{
	MDB_val m = {v.len, (void *)v.data};
	return m;
}

static struct store_val from_mdb(MDB_val m)
{
	struct store_val v = {m.mv_data, m.mv_size};
	return v;
}

static const struct store_ops lmdb_ops;

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum regs_err lmdb_begin(struct store *base, int write, struct store_txn **out)
{
	struct lmdb_store *s = (struct lmdb_store *)base;
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return REGS_ERR_NOMEM;
	int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != MDB_SUCCESS) {
		free(t);
		return map_mdb(rc);
	}
	t->ops = &lmdb_ops;
	t->s = s;
	*out = t;
	return REGS_OK;
}

static enum regs_err lmdb_get(struct store_txn *t, enum store_table tb, struct store_val key,
                              struct store_val *val)
{
	if (t->err != REGS_OK)
		return t->err;
	MDB_val k = to_mdb(key), v;
	int rc = mdb_get(t->txn, t->s->dbi[tb], &k, &v);
	if (rc == MDB_NOTFOUND)
		return REGS_ERR_NOT_FOUND;
	if (rc != MDB_SUCCESS) {
		txn_fail(t, rc);
		return t->err;
	}
	*val = from_mdb(v);
	return REGS_OK;
}

static void lmdb_put(struct store_txn *t, enum store_table tb, struct store_val key,
                     struct store_val val)
{
	if (t->err != REGS_OK)
		return;
	MDB_val k = to_mdb(key), v = to_mdb(val);
	int rc = mdb_put(t->txn, t->s->dbi[tb], &k, &v, 0);
	t->wrote |= rc == MDB_SUCCESS;
	txn_fail(t, rc);
}

static void lmdb_del(struct store_txn *t, enum store_table tb, struct store_val key)
{
	if (t->err != REGS_OK)
		return;
	MDB_val k = to_mdb(key);
	int rc = mdb_del(t->txn, t->s->dbi[tb], &k, NULL);
	t->wrote |= rc == MDB_SUCCESS;
	if (rc != MDB_NOTFOUND)
		txn_fail(t, rc);
}

static void lmdb_scan(struct store_txn *t, enum store_table tb, struct store_val prefix,
                      struct store_val start, store_scan_fn fn, void *ctx)
{
	MDB_cursor *cur;
	if (t->err != REGS_OK)
		return;
	int rc = mdb_cursor_open(t->txn, t->s->dbi[tb], &cur);
	if (rc != MDB_SUCCESS) {
		txn_fail(t, rc);
		return;
	}
	struct store_val from = store_key_compare(start, prefix) > 0 ? start : prefix;
	MDB_val k = to_mdb(from), v;
	rc = from.len ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
	              : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == MDB_SUCCESS && store_has_prefix(from_mdb(k), prefix)) {
		if (fn(ctx, from_mdb(k), from_mdb(v)))
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc != MDB_NOTFOUND)
		txn_fail(t, rc);
	mdb_cursor_close(cur);
}

static enum regs_err lmdb_commit(struct store_txn *t)
{
	enum regs_err err = t->err;
	if (err == REGS_OK)
		err = map_mdb(mdb_txn_commit(t->txn));
	else
		mdb_txn_abort(t->txn);
	if (err == REGS_OK && t->wrote && t->s->durable)
		store_idle_committed(&t->s->idle, monotonic_ms());
	free(t);
	return err;
}

static void lmdb_abort(struct store_txn *t)
{
	mdb_txn_abort(t->txn);
	free(t);
}

static enum regs_err lmdb_txn_error(const struct store_txn *t)
{
	return t->err;
}

/* With MDB_NOMETASYNC the commit wrote its meta page without syncing it; a forced sync makes
 * it durable (one fdatasync of the data file). */
static int lmdb_flush_idle(struct store *base, int max_wait_ms, enum regs_err *err)
{
	struct lmdb_store *s = (struct lmdb_store *)base;
	int64_t now = monotonic_ms();
	*err = REGS_OK;
	if (store_idle_due(&s->idle, now)) {
		*err = map_mdb(mdb_env_sync(s->env, 1));
		store_idle_synced(&s->idle);
	}
	return store_idle_wait_ms(&s->idle, now, max_wait_ms);
}

static void lmdb_close(struct store *base)
{
	struct lmdb_store *s = (struct lmdb_store *)base;
	if (s->idle.pending) /* a clean stop: the last meta page reaches the device */
		mdb_env_sync(s->env, 1);
	mdb_env_close(s->env);
	free(s);
}

static const struct store_ops lmdb_ops = {
    lmdb_begin, lmdb_get,       lmdb_put,        lmdb_del,   lmdb_scan, lmdb_commit,
    lmdb_abort, lmdb_txn_error, lmdb_flush_idle, lmdb_close, NULL,      NULL,
};

/* The state directory must be ours and closed to everyone else. */
static enum regs_err check_state_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return REGS_ERR_IO;
	if (lstat(dir, &st) != 0)
		return REGS_ERR_IO;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return REGS_ERR_PERM;
	return REGS_OK;
}

static enum regs_err open_tables(struct lmdb_store *s)
{
	MDB_txn *txn = NULL;
	int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	for (int i = 0; rc == MDB_SUCCESS && i < STORE_TABLE_COUNT; i++)
		rc = mdb_dbi_open(txn, store_table_name((enum store_table)i), MDB_CREATE,
		                  &s->dbi[i]);
	if (rc != MDB_SUCCESS) {
		if (txn)
			mdb_txn_abort(txn);
		return map_mdb(rc);
	}
	return map_mdb(mdb_txn_commit(txn));
}

/* Writes the schema version into a new database; refuses another version. */
static enum regs_err check_schema(struct lmdb_store *s)
{
	struct store_txn *t;
	struct store_val v, key = store_str("schema");
	uint8_t mine[4] = {0, 0, 0, STORE_SCHEMA_VERSION};
	enum regs_err err = lmdb_begin(&s->base, 1, &t);
	if (err != REGS_OK)
		return err;
	err = lmdb_get(t, STORE_META, key, &v);
	if (err == REGS_ERR_NOT_FOUND) {
		struct store_val put = {mine, sizeof(mine)};
		lmdb_put(t, STORE_META, key, put);
		return lmdb_commit(t);
	}
	if (err == REGS_OK && (v.len != sizeof(mine) || memcmp(v.data, mine, sizeof(mine)) != 0))
		err = REGS_ERR_SCHEMA;
	lmdb_abort(t);
	return err;
}

/* Durable: one device sync per commit, of its data pages; its meta page is synced by the next
 * commit or by lmdb_flush_idle. LMDB keeps atomicity and consistency either way, and a system
 * crash can undo at most that last commit (lmdb.h, MDB_NOMETASYNC). Never MDB_NOSYNC or
 * MDB_MAPASYNC for a durable store: on power loss they can lose more, or corrupt the file. */
static unsigned open_sync_flags(int durable)
{
	return durable ? MDB_NOMETASYNC : MDB_NOSYNC;
}

enum regs_err store_lmdb_open(const struct store_options *opt, struct store **out)
{
	enum regs_err err = check_state_dir(opt->dir);
	if (err != REGS_OK)
		return err;
	struct lmdb_store *s = calloc(1, sizeof(*s));
	if (!s)
		return REGS_ERR_NOMEM;
	s->base.ops = &lmdb_ops;
	s->durable = opt->durable;
	int rc = mdb_env_create(&s->env);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_set_maxdbs(s->env, STORE_TABLE_COUNT);
	if (rc == MDB_SUCCESS)
		rc = mdb_env_set_mapsize(s->env, opt->map_size);
	if (rc == MDB_SUCCESS)
		rc =
		    mdb_env_open(s->env, opt->dir, MDB_NOTLS | open_sync_flags(opt->durable), 0600);
	err = map_mdb(rc);
	if (err == REGS_OK)
		err = open_tables(s);
	if (err == REGS_OK)
		err = check_schema(s);
	if (err != REGS_OK) {
		lmdb_close(&s->base);
		return err;
	}
	*out = &s->base;
	return REGS_OK;
}
