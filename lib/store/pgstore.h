/* The PostgreSQL backend's parts (store_pg.c, pgconn.c, pgwrites.c): not for callers, who use
 * store.h and store_pg.h. */
#ifndef REGS_PGSTORE_H
#define REGS_PGSTORE_H
#include "base/buf.h"
#include "store/store_pg.h"
#include <libpq-fe.h>
#include <stdint.h>

/* The fleet's batch lock (pg_advisory_xact_lock): every write transaction of every host takes
 * it first, so batches run one after another and never conflict ("regs" in ASCII, 1). */
#define PG_BATCH_LOCK "1919248115"

struct pg_store {
	struct store base;
	PGconn *conn; /* NULL: not connected; the next transaction tries again */
	char *conninfo;
	int lock_timeout_ms;
	store_attach_fn attach;
	void *attach_ctx;
	void (*log)(int up, const char *what);
	int64_t last_try_ms; /* when a connection was last tried (reconnects are spaced) */
	int refused;         /* the database refused this host (schema, seal key): fatal */
};

/* Writes of a transaction not yet sent, in (table, key) order; what a get returned stays valid
 * until the transaction ends, so replaced and sent values are kept until then. */
struct pg_write {
	uint16_t tb;
	int del;
	struct store_val key, val;
};
struct pg_writes {
	struct pg_write *w;
	size_t n, cap, bytes;
	void **keep; /* every block allocated, freed at the end */
	size_t nkeep, capkeep;
};

/* Finds (tb, key): 1 and its index, or 0 and where it would go. */
int pg_writes_find(const struct pg_writes *ws, uint16_t tb, struct store_val key, size_t *at);
enum regs_err pg_writes_set(struct pg_writes *ws, uint16_t tb, struct store_val key,
                            const struct store_val *val);
/* Appends the SQL that applies them (INSERT ... ON CONFLICT, DELETE), each ending in "; ". */
void pg_writes_sql(const struct pg_writes *ws, struct regs_buf *sql);
/* Forgets the writes once sent (their memory stays until pg_writes_free). */
void pg_writes_sent(struct pg_writes *ws);
void pg_writes_free(struct pg_writes *ws);

/* Connects, sets the session up, makes or checks the schema and runs attach. REGS_OK,
 * REGS_ERR_UNAVAILABLE (not reachable), or the refusal (REGS_ERR_SCHEMA, the attach's error);
 * why says it. */
enum regs_err pg_connect(struct pg_store *s, char *why, size_t whysz);
void pg_disconnect(struct pg_store *s, const char *why);
/* What a failed command means: REGS_ERR_UNAVAILABLE when the server is gone, in recovery or
 * shutting down (the connection is then dropped), REGS_ERR_FULL, else REGS_ERR_STORAGE. */
enum regs_err pg_failure(struct pg_store *s, const PGresult *r);
int64_t pg_monotonic_ms(void);

/* store_pg.c's transaction, for pgconn.c's schema check. */
enum regs_err pg_txn_begin_connected(struct pg_store *s, int write, struct store_txn **out);

#endif
