/* The fleet store (R10): one PostgreSQL shared by every host's regsd, behind store.h.
 * Records stay opaque (sealed secrets stay sealed); every table of store.h is a row set of
 * one table keyed by (table, key). A write transaction is one PostgreSQL transaction that
 * first takes the fleet's batch lock: alone, or shared and then the lock of each account for
 * store_begin_accounts; so transactions that may touch the same rows, on any host, run one
 * after another and never conflict. A lost connection fails the transaction (nothing of it
 * is kept) and the next one reconnects. */
#ifndef REGS_STORE_PG_H
#define REGS_STORE_PG_H
#include "store/store.h"

struct store_pg_options {
	const char *conninfo; /* libpq keywords or URI; a password in it is refused */
	int lock_timeout_ms;  /* how long a batch waits for other hosts' batches (0: 10000) */
	/* Run in a write transaction after every (re)connect, before the store serves
	 * anything: what the host must agree on with the database (the seal key, R10.4).
	 * An error refuses the connection and is fatal to the store. May be NULL. */
	store_attach_fn attach;
	void *attach_ctx;
	/* Told when the connection is lost (up = 0) or made again (up = 1), with why; may be
	 * NULL. Never given a secret. */
	void (*log)(int up, const char *what);
};

/* Connects, creates the schema when absent and checks its version (REGS_ERR_SCHEMA for a
 * newer one), then runs attach. A database that cannot be reached is not an error: the
 * store opens unconnected and each transaction tries again (REGS_ERR_UNAVAILABLE until it
 * can). why gets a sentence for the log on any error. */
enum regs_err store_pg_open(const struct store_pg_options *opt, struct store **out, char *why,
                            size_t whysz);

/* REGS_ERR_CONFIG when conninfo cannot be parsed or names a password (R10: from a passfile
 * or a client certificate, never from regs.conf); why says which. */
enum regs_err store_pg_check_conninfo(const char *conninfo, char *why, size_t whysz);

#endif
