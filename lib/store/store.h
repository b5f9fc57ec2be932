/* The storage interface: ordered key-value tables in transactions, with a sticky error.
 * LMDB (store_lmdb.c) is the embedded default; a networked backend implements
 * the same operations table and its callers do not change. */
#ifndef REGS_STORE_H
#define REGS_STORE_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum store_table {
	STORE_META,          /* "schema" -> u32 version */
	STORE_ACCOUNTS,      /* user -> account record */
	STORE_OTP,           /* user -> otp record (sealed secret, last step) */
	STORE_PENDING,       /* user -> pending enrolment (one per account) */
	STORE_AUDIT,         /* be64 time (s) | be64 seq -> audit record */
	STORE_AUDIT_BY_USER, /* user NUL be64 time (s) | be64 seq -> (empty) */
	STORE_CODES,         /* user NUL kind ("verify", "binding", "password") -> code record */
	STORE_CARDS,         /* user -> card record (the bound certificate, R3.6) */
	STORE_CARD_INDEX,    /* certificate SHA-256 -> user: one certificate, one account */
	STORE_GOOGLE,        /* user -> google record (issuer, sub, R5) */
	STORE_GOOGLE_INDEX,  /* SHA-256(issuer NUL sub) -> user: one Google account, one account */
	STORE_MOBILE,        /* user -> mobile record (hashed_id_num, R4) */
	STORE_MOBILE_INDEX,  /* hashed_id_num -> user */
	STORE_CARD_CERTS,    /* user -> the bound certificate's DER (R11.4, R3.4); kept since
	                      * issue 10, stored at the next card login for older bindings */
	STORE_TABLE_COUNT
};

#define STORE_SCHEMA_VERSION 1u

/* The table's name: LMDB's name of its database (so never changed), and what people read. */
const char *store_table_name(enum store_table tb);

struct store;
/* Every backend's transaction starts with a pointer to its operations table. */
struct store_txn;

struct store_val {
	const void *data;
	size_t len;
};

/* Called for each key >= start with the given prefix, in key order; return
 * nonzero to stop. */
typedef int (*store_scan_fn)(void *ctx, struct store_val key, struct store_val val);

struct store_ops {
	enum regs_err (*begin)(struct store *s, int write, struct store_txn **txn);
	enum regs_err (*get)(struct store_txn *t, enum store_table tb, struct store_val key,
	                     struct store_val *val);
	void (*put)(struct store_txn *t, enum store_table tb, struct store_val key,
	            struct store_val val);
	void (*del)(struct store_txn *t, enum store_table tb, struct store_val key);
	void (*scan)(struct store_txn *t, enum store_table tb, struct store_val prefix,
	             struct store_val start, store_scan_fn fn, void *ctx);
	enum regs_err (*commit)(struct store_txn *t);
	void (*abort)(struct store_txn *t);
	enum regs_err (*txn_error)(const struct store_txn *t);
	int (*flush_idle)(struct store *s, int max_wait_ms, enum regs_err *err);
	void (*close)(struct store *s);
	/* May be NULL: a hint that the transaction will read the accounts' rows. */
	void (*prefetch)(struct store_txn *t, const struct store_val *users, size_t n);
	/* May be NULL: begin(write) and prefetch (store_begin_accounts). */
	enum regs_err (*begin_accounts)(struct store *s, const struct store_val *users, size_t n,
	                                struct store_txn **txn);
};

struct store {
	const struct store_ops *ops;
};

/* Checks what a host must agree on with its database (the seal key, R10.4) in a write
 * transaction, at open and at every reconnect; an error refuses the store. */
typedef enum regs_err (*store_attach_fn)(void *ctx, struct store_txn *t, char *why, size_t whysz);

struct store_options {
	const char *dir; /* created 0700 if absent; must not be group/other accessible */
	size_t map_size; /* bytes */
	int durable;     /* every commit synced, its meta page by the next commit or by
	                  * store_flush_idle (production: 1) */
};

/* Opens the LMDB environment and checks or writes the schema version. */
enum regs_err store_lmdb_open(const struct store_options *opt, struct store **out);

/* Thin wrappers so callers read naturally. put/del/scan record the first
 * error in the transaction; commit returns it (and aborts). get returns
 * REGS_ERR_NOT_FOUND for a missing key without making the error sticky. */
static inline enum regs_err store_begin(struct store *s, int write, struct store_txn **t)
{
	return s->ops->begin(s, write, t);
}
enum regs_err store_get(struct store_txn *t, enum store_table tb, struct store_val key,
                        struct store_val *val);
void store_put(struct store_txn *t, enum store_table tb, struct store_val key,
               struct store_val val);
void store_del(struct store_txn *t, enum store_table tb, struct store_val key);
void store_scan(struct store_txn *t, enum store_table tb, struct store_val prefix,
                struct store_val start, store_scan_fn fn, void *ctx);
enum regs_err store_commit(struct store_txn *t);
void store_abort(struct store_txn *t);
enum regs_err store_txn_error(const struct store_txn *t);
/* The tables keyed by the account name alone (store_prefetch reads them). */
extern const enum store_table store_account_tables[];
#define STORE_ACCOUNT_TABLES 7
/* A hint, before a batch's calls run, that they will read the rows of these accounts in
 * store_account_tables: a networked store reads them all in one round trip, so that the gets
 * that follow are answered from the transaction; the embedded one does nothing. What a get
 * answers is the same with or without it. */
void store_prefetch(struct store_txn *t, const struct store_val *users, size_t n);

/* A write transaction whose calls touch only the rows of these accounts in
 * store_account_tables, and rows under keys that no other host makes (the activity log's:
 * daemon/audit.h), read ahead as store_prefetch does. A shared store runs such transactions
 * of different hosts side by side when their accounts differ (store_pg.h); the embedded one
 * begins a plain write transaction. */
enum regs_err store_begin_accounts(struct store *s, const struct store_val *users, size_t n,
                                   struct store_txn **t);

/* Closes the store; a durable one is synced first, so a clean stop loses nothing. */
void store_close(struct store *s);

/* A durable store's commit returns once its data is on the device, but writes its meta page
 * (what makes it the current state) without waiting for it: the next commit's sync carries it.
 * When no next commit came within STORE_IDLE_SYNC_MS (store/idlesync.h), this syncs the store.
 * Returns how long the caller may wait, at most max_wait_ms, before calling it again; *err is
 * the sync's failure, REGS_OK otherwise (a failed sync is not retried: the next commit's sync
 * makes its state durable, or fails that commit). */
int store_flush_idle(struct store *s, int max_wait_ms, enum regs_err *err);

static inline struct store_val store_str(const char *s)
{
	struct store_val v = {s, strlen(s)};
	return v;
}

/* Key order of every backend: bytes, then the shorter first (LMDB's default, bytea's). */
int store_key_compare(struct store_val a, struct store_val b);
int store_has_prefix(struct store_val key, struct store_val prefix);

void store_be64(uint8_t out[8], uint64_t v);
uint64_t store_get_be64(const uint8_t in[8]);

#endif
