/* Card challenges (R3.4): random, single use, short-lived, bound to an account, a purpose and a bus
 * connection. */
#ifndef REGSD_CHALLENGE_H
#define REGSD_CHALLENGE_H
#include "account/record.h"
#include <stdint.h>
#include <sys/types.h>

#define CHALLENGE_BYTES 32
#define CHALLENGE_SLOTS 256
#define CHALLENGE_SECONDS 120
/* R12.2: nobody can fill the table and so void others' challenges; a full table, or a caller or
 * account at its quota, refuses the newcomer and never evicts a live challenge. */
#define CHALLENGE_PER_ACCOUNT 4
#define CHALLENGE_PER_CALLER 8

struct challenge {
	char handle[33];
	char user[REC_NAME_MAX];
	char purpose[8];
	char sender[32];
	char owner[32]; /* the quota key of the caller that asked (caller_quota_key) */
	uint8_t nonce[CHALLENGE_BYTES];
	int64_t expires; /* 0 = free */
};

struct challenge_table {
	struct challenge slot[CHALLENGE_SLOTS];
};

enum challenge_refusal {
	CHALLENGE_MADE,
	CHALLENGE_TABLE_FULL,
	CHALLENGE_ACCOUNT_QUOTA,
	CHALLENGE_CALLER_QUOTA,
	CHALLENGE_NO_RANDOM,
};

/* Makes a challenge in a free slot (*out) unless the table is full or user or owner already
 * holds its quota of live challenges; then *wait is the seconds until one of those expires. */
enum challenge_refusal challenge_new(struct challenge_table *t, const char *user,
                                     const char *purpose, const char *sender, const char *owner,
                                     int64_t now, const struct challenge **out, unsigned *wait);
/* Frees the challenges of a connection that left the bus. */
void challenge_forget_sender(struct challenge_table *t, const char *sender);
/* Takes (and removes) the challenge handle for purpose made on sender's
 * connection; 0 when there is none or it expired: each is used once. */
int challenge_take(struct challenge_table *t, const char *handle, const char *purpose,
                   const char *sender, int64_t now, struct challenge *out);

#endif
