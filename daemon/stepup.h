/* Step-up proofs (R7.1): held in memory, tied to one bus connection and one purpose, short-lived.
 */
#ifndef REGSD_STEPUP_H
#define REGSD_STEPUP_H
#include <stdint.h>
#include <sys/types.h>

#define STEPUP_SLOTS 128

struct stepup_proof {
	char sender[32]; /* the unique bus name of the connection that proved itself */
	uid_t uid;
	char purpose[16];
	int64_t expires; /* 0 = free slot */
};

struct stepup_table {
	struct stepup_proof proof[STEPUP_SLOTS];
};

void stepup_grant(struct stepup_table *t, const char *sender, uid_t uid, const char *purpose,
                  int64_t expires, int64_t now);
/* True when sender (as uid) holds an unexpired proof for purpose; consume
 * removes it (a change uses its proof up). */
int stepup_take(struct stepup_table *t, const char *sender, uid_t uid, const char *purpose,
                int64_t now, int consume);

struct request;
/* R7.1: the caller may act on user for purpose: an administrator acting on
 * another account, an account with nothing bound, or a step-up proof held
 * by this connection (consumed when consume is set). Otherwise sets the
 * StepUpRequired reply and returns 0. */
int require_step_up(struct request *r, const char *user, const char *purpose, int consume);
int stepup_purpose_known(const char *purpose);

#endif
