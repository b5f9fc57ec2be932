/* regsd --copy-store FROM TO: an offline copy of every table of one database into an empty other,
 * LMDB or PostgreSQL on either side, then verified table by table (R10.5). */
#ifndef REGSD_STORECOPY_H
#define REGSD_STORECOPY_H
#include "store/store.h"
#include <stdint.h>
#include <stdio.h>

/* regsd --copy-store's exit status (regsd(8)); regsctl store copy maps it to its own. */
enum storecopy_status {
	STORECOPY_OK = 0,        /* copied, and every table verified */
	STORECOPY_FAILED = 1,    /* nothing copied: a database cannot be opened, read or written */
	STORECOPY_USAGE = 2,     /* FROM or TO is not lmdb:DIR or postgresql:CONNINFO */
	STORECOPY_NOT_EMPTY = 3, /* TO holds records already: nothing copied */
	STORECOPY_MISMATCH = 4,  /* copied, but a table reads back different */
};

/* One table as read: how many records, and SHA-256 over each (key, value) in key order, each
 * part preceded by its length (be64). STORE_META's "schema" is left out: each database writes
 * its own when it is opened, and both sides were checked to be this version. */
struct storecopy_digest {
	uint64_t records;
	uint8_t sha256[32];
};

/* Reads every table of s in one read transaction. */
enum regs_err storecopy_digest(struct store *s, struct storecopy_digest out[STORE_TABLE_COUNT]);

/* Copies every record of from into to in one write transaction of to, committed once (on any
 * error nothing is kept); to must hold nothing but its schema version (else
 * STORECOPY_NOT_EMPTY, nothing written). why gets the reason of a failure. */
enum storecopy_status storecopy_copy(struct store *from, struct store *to, char *why, size_t whysz);

/* Reads both sides again and compares each table; prints "TABLE N records" per table and
 * "verified", or what differs, on out. */
enum storecopy_status storecopy_verify(struct store *from, struct store *to, FILE *out);

/* The whole mode: opens FROM and TO ("lmdb:DIR" or "postgresql:CONNINFO"), copies, verifies;
 * results on out, errors on stderr. Returns the exit status. */
enum storecopy_status storecopy_run(const char *from, const char *to, FILE *out);

#endif
