/* Step-up proofs: a small table in memory; a restart of regsd simply asks users to re-verify. */
#include "stepup.h"
#include <string.h>

static int same(const struct stepup_proof *p, const char *sender, uid_t uid, const char *purpose)
{
	return p->uid == uid && strcmp(p->sender, sender) == 0 && strcmp(p->purpose, purpose) == 0;
}

void stepup_grant(struct stepup_table *t, const char *sender, uid_t uid, const char *purpose,
                  int64_t expires, int64_t now)
{
	struct stepup_proof *slot = NULL;
	if (strlen(sender) >= sizeof(slot->sender) || strlen(purpose) >= sizeof(slot->purpose))
		return;
	for (int i = 0; i < STEPUP_SLOTS; i++) {
		struct stepup_proof *p = &t->proof[i];
		if (p->expires > now && same(p, sender, uid, purpose)) {
			slot = p; /* renew */
			break;
		}
		if (!slot && p->expires <= now)
			slot = p;
	}
	if (!slot) { /* full: replace the proof that expires first */
		slot = &t->proof[0];
		for (int i = 1; i < STEPUP_SLOTS; i++)
			if (t->proof[i].expires < slot->expires)
				slot = &t->proof[i];
	}
	strcpy(slot->sender, sender);
	strcpy(slot->purpose, purpose);
	slot->uid = uid;
	slot->expires = expires;
}

int stepup_take(struct stepup_table *t, const char *sender, uid_t uid, const char *purpose,
                int64_t now, int consume)
{
	for (int i = 0; i < STEPUP_SLOTS; i++) {
		struct stepup_proof *p = &t->proof[i];
		if (p->expires > now && same(p, sender, uid, purpose)) {
			if (consume)
				memset(p, 0, sizeof(*p));
			return 1;
		}
	}
	return 0;
}
