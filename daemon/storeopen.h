/* Opens regsd's database: the embedded LMDB, or the fleet's PostgreSQL (R10). */
#ifndef REGSD_STOREOPEN_H
#define REGSD_STOREOPEN_H
#include "daemon.h"

/* Before the seal key is loaded: LMDB opens (it makes the state directory the key may live
 * in); for PostgreSQL only the state directory is made. 0, or -1 after logging why. */
int storeopen_prepare(struct daemon *d);
/* After the seal key is loaded: PostgreSQL connects and checks the schema and the key; a
 * database that cannot be reached yet is not fatal (logins are refused until it can). LMDB
 * checks the key (keycheck.h). */
int storeopen_attach(struct daemon *d);
/* --check-config: the store settings alone. 0, or -1 after logging why. */
int storeopen_check_config(const struct regs_config *cfg);

#endif
