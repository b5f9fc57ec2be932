/* Card challenges (R3.4): random, single use, short-lived, bound to an account, a purpose and a bus
 * connection. */
#ifndef REGSD_CHALLENGE_H
#define REGSD_CHALLENGE_H
#include "record.h"
#include <stdint.h>
#include <sys/types.h>

#define CHALLENGE_BYTES 32
#define CHALLENGE_SLOTS 256
#define CHALLENGE_SECONDS 120

struct challenge {
	char handle[33];
	char user[REC_NAME_MAX];
	char purpose[8];
	char sender[32];
	uint8_t nonce[CHALLENGE_BYTES];
	int64_t expires; /* 0 = free */
};

struct challenge_table {
	struct challenge slot[CHALLENGE_SLOTS];
};

/* Makes a challenge; NULL when randomness failed. */
const struct challenge *challenge_new(struct challenge_table *t, const char *user,
                                      const char *purpose, const char *sender, int64_t now);
/* Takes (and removes) the challenge handle for purpose made on sender's
 * connection; 0 when there is none or it expired: each is used once. */
int challenge_take(struct challenge_table *t, const char *handle, const char *purpose,
                   const char *sender, int64_t now, struct challenge *out);

#endif
