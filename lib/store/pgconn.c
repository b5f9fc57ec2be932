/* The PostgreSQL store's connection: connect, session settings, schema, what a failure means. */
#include "store/pgstore.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int64_t pg_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* notices ("relation already exists, skipping") are not errors */
}

/* libpq's message on one line, without its newline. */
static void explain_conn(char *why, size_t whysz, const char *what, PGconn *conn)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", conn ? PQerrorMessage(conn) : "out of memory");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = p[1] ? ' ' : '\0';
	regs_explain(why, whysz, "%s: %s", what, msg);
}

static int exec_ok(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	PQclear(r);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Every session: quiet notices, bounded waits, literal backslashes (pgwrites.c). A host that
 * stops inside a batch (stopped, or cut off) holds the fleet's lock: the server ends its
 * session after idle_in_transaction_session_timeout, which frees it. */
static int session_setup(struct pg_store *s)
{
	char sql[512];
	PQsetNoticeProcessor(s->conn, quiet, NULL);
	snprintf(sql, sizeof(sql),
	         "SET client_min_messages = warning; SET standard_conforming_strings = on; "
	         "SET lock_timeout = %d; SET idle_in_transaction_session_timeout = 10000; "
	         "SET statement_timeout = 30000",
	         s->lock_timeout_ms);
	return exec_ok(s->conn, sql);
}

/* The table, made once under the fleet's lock (two hosts starting at once would race). */
static int make_table(PGconn *conn)
{
	return exec_ok(conn, "BEGIN; SELECT pg_advisory_xact_lock(" PG_BATCH_LOCK "); "
	                     "CREATE TABLE IF NOT EXISTS regs_kv (tb smallint NOT NULL, "
	                     "k bytea NOT NULL, v bytea NOT NULL, PRIMARY KEY (tb, k))") &&
	       exec_ok(conn, "COMMIT");
}

static int prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
	static const Oid types[] = {21 /* int2 */, 17 /* bytea */};
	PGresult *r = PQprepare(conn, name, sql, nparams, types);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok;
}

static int prepare_all(PGconn *conn)
{
	return prepare(conn, "get", "SELECT v FROM regs_kv WHERE tb = $1 AND k = $2", 2) &&
	       prepare(conn, "scan",
	               "SELECT k, v FROM regs_kv WHERE tb = $1 AND k >= $2 ORDER BY k LIMIT 512",
	               2) &&
	       prepare(conn, "scan_after",
	               "SELECT k, v FROM regs_kv WHERE tb = $1 AND k > $2 ORDER BY k LIMIT 512", 2);
}

/* Writes the schema version into a new database; refuses another one (as store_lmdb.c). */
static enum regs_err check_schema(struct store_txn *t)
{
	struct store_val v, key = store_str("schema");
	uint8_t mine[4] = {0, 0, 0, STORE_SCHEMA_VERSION};
	enum regs_err err = store_get(t, STORE_META, key, &v);
	if (err == REGS_ERR_NOT_FOUND) {
		store_put(t, STORE_META, key, (struct store_val){mine, sizeof(mine)});
		return REGS_OK;
	}
	if (err == REGS_OK && (v.len != sizeof(mine) || memcmp(v.data, mine, sizeof(mine)) != 0))
		err = REGS_ERR_SCHEMA;
	return err;
}

/* The schema and what the host must agree on with the database, in one transaction. */
static enum regs_err attach(struct pg_store *s, char *why, size_t whysz)
{
	struct store_txn *t;
	enum regs_err err = pg_txn_begin_connected(s, 1, &t);
	if (err != REGS_OK)
		return err;
	err = check_schema(t);
	if (err == REGS_ERR_SCHEMA)
		regs_explain(why, whysz,
		             "the database holds another schema version than this regsd's (%u): a "
		             "newer regsd wrote it; upgrade this host",
		             STORE_SCHEMA_VERSION);
	if (err == REGS_OK && s->attach)
		err = s->attach(s->attach_ctx, t, why, whysz);
	if (err != REGS_OK) {
		store_abort(t);
		return err;
	}
	return store_commit(t);
}

enum regs_err pg_connect(struct pg_store *s, char *why, size_t whysz)
{
	/* Keywords before dbname are defaults that the connection string may override. */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const values[] = {"5", "regsd", s->conninfo, NULL};
	s->last_try_ms = pg_monotonic_ms();
	s->conn = PQconnectdbParams(keys, values, 1);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		explain_conn(why, whysz, "PostgreSQL cannot be reached", s->conn);
		pg_disconnect(s, NULL);
		return REGS_ERR_UNAVAILABLE;
	}
	if (!session_setup(s) || !make_table(s->conn) || !prepare_all(s->conn)) {
		explain_conn(why, whysz, "PostgreSQL refused the session set-up", s->conn);
		pg_disconnect(s, NULL);
		return REGS_ERR_UNAVAILABLE;
	}
	enum regs_err err = attach(s, why, whysz);
	if (err != REGS_OK) {
		if (err == REGS_ERR_STORAGE || err == REGS_ERR_UNAVAILABLE)
			explain_conn(why, whysz, "PostgreSQL failed the start-up check", s->conn);
		pg_disconnect(s, NULL);
		return err;
	}
	return REGS_OK;
}

void pg_disconnect(struct pg_store *s, const char *why)
{
	if (!s->conn)
		return;
	PQfinish(s->conn);
	s->conn = NULL;
	if (why && s->log)
		s->log(0, why);
}

/* SQLSTATE classes: 08 connection, 57 operator intervention (shutdown, crash), 25006 read-only
 * (a standby), 53 insufficient resources (53100 disk full), 55P03 lock not available. */
enum regs_err pg_failure(struct pg_store *s, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "53100") == 0)
		return REGS_ERR_FULL;
	if (state && strcmp(state, "55P03") == 0)
		return REGS_ERR_UNAVAILABLE; /* another host held the batch lock too long */
	if (!state || PQstatus(s->conn) != CONNECTION_OK || strncmp(state, "08", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strcmp(state, "25006") == 0) {
		char why[600];
		explain_conn(why, sizeof(why), "PostgreSQL connection lost", s->conn);
		pg_disconnect(s, why);
		return REGS_ERR_UNAVAILABLE;
	}
	return REGS_ERR_STORAGE;
}
