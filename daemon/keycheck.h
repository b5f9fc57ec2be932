/* The fleet's seal key check (R10.4): a host whose key is not the database's refuses it. */
#ifndef REGSD_KEYCHECK_H
#define REGSD_KEYCHECK_H
#include "store/seal.h"
#include "store/store.h"
#include <stddef.h>

#define KEYCHECK_META_KEY "seal_key_check"

/* Compares key's check value with the one in STORE_META: absent, it writes it (the first host
 * seals the database with its key); equal, REGS_OK; different, REGS_ERR_PERM with why saying
 * which key each is and what to do. t is a write transaction; the caller commits it. */
enum regs_err keycheck_seal_key(const struct seal_key *key, struct store_txn *t, char *why,
                                size_t whysz);

/* store_attach_fn for regsd: ctx is its struct daemon. */
enum regs_err keycheck_attach(void *ctx, struct store_txn *t, char *why, size_t whysz);

#endif
