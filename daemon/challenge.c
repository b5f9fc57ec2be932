/* Card challenges in memory: a restart simply makes the card sign a new one. */
#include "challenge.h"
#include "base/random.h"
#include "base/wipe.h"
#include <openssl/crypto.h>
#include <string.h>

/* What the live slots say about a newcomer: a free slot, and how many live challenges its
 * account and its caller hold, with the soonest expiry among those that stand in its way. */
struct census {
	struct challenge *free;
	unsigned of_user, of_owner;
	int64_t soonest_user, soonest_owner, soonest_any;
};

static void soonest(int64_t *at, int64_t expires)
{
	if (*at == 0 || expires < *at)
		*at = expires;
}

static void take_census(struct challenge_table *t, const char *user, const char *owner, int64_t now,
                        struct census *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < CHALLENGE_SLOTS; i++) {
		struct challenge *s = &t->slot[i];
		if (s->expires <= now) {
			if (!c->free)
				c->free = s;
			continue;
		}
		soonest(&c->soonest_any, s->expires);
		if (strcmp(s->user, user) == 0) {
			c->of_user++;
			soonest(&c->soonest_user, s->expires);
		}
		if (strcmp(s->owner, owner) == 0) {
			c->of_owner++;
			soonest(&c->soonest_owner, s->expires);
		}
	}
}

static unsigned seconds_until(int64_t at, int64_t now)
{
	return at > now ? (unsigned)(at - now) : 1;
}

static enum challenge_refusal admit(const struct census *c, int64_t now, unsigned *wait)
{
	if (c->of_user >= CHALLENGE_PER_ACCOUNT) {
		*wait = seconds_until(c->soonest_user, now);
		return CHALLENGE_ACCOUNT_QUOTA;
	}
	if (c->of_owner >= CHALLENGE_PER_CALLER) {
		*wait = seconds_until(c->soonest_owner, now);
		return CHALLENGE_CALLER_QUOTA;
	}
	if (!c->free) {
		*wait = seconds_until(c->soonest_any, now);
		return CHALLENGE_TABLE_FULL;
	}
	*wait = 0;
	return CHALLENGE_MADE;
}

enum challenge_refusal challenge_new(struct challenge_table *t, const char *user,
                                     const char *purpose, const char *sender, const char *owner,
                                     int64_t now, const struct challenge **out, unsigned *wait)
{
	struct census census;
	*out = NULL;
	take_census(t, user, owner, now, &census);
	enum challenge_refusal verdict = admit(&census, now, wait);
	if (verdict != CHALLENGE_MADE)
		return verdict;
	struct challenge *c = census.free;
	memset(c, 0, sizeof(*c));
	if (strlen(sender) >= sizeof(c->sender) || strlen(purpose) >= sizeof(c->purpose) ||
	    strlen(owner) >= sizeof(c->owner) || strlen(user) >= sizeof(c->user) ||
	    regs_random_bytes(c->nonce, sizeof(c->nonce)) != REGS_OK ||
	    regs_random_hex(c->handle, 16) != REGS_OK) {
		regs_wipe(c, sizeof(*c));
		return CHALLENGE_NO_RANDOM;
	}
	strcpy(c->user, user);
	strcpy(c->purpose, purpose);
	strcpy(c->sender, sender);
	strcpy(c->owner, owner);
	c->expires = now + CHALLENGE_SECONDS;
	*out = c;
	return CHALLENGE_MADE;
}

void challenge_forget_sender(struct challenge_table *t, const char *sender)
{
	for (int i = 0; i < CHALLENGE_SLOTS; i++)
		if (t->slot[i].expires && strcmp(t->slot[i].sender, sender) == 0)
			regs_wipe(&t->slot[i], sizeof(t->slot[i]));
}

int challenge_take(struct challenge_table *t, const char *handle, const char *purpose,
                   const char *sender, int64_t now, struct challenge *out)
{
	if (strlen(handle) != 32)
		return 0;
	for (int i = 0; i < CHALLENGE_SLOTS; i++) {
		struct challenge *c = &t->slot[i];
		if (c->expires == 0 || CRYPTO_memcmp(c->handle, handle, 32) != 0)
			continue;
		int ok = c->expires > now && strcmp(c->purpose, purpose) == 0 &&
		         strcmp(c->sender, sender) == 0;
		if (ok)
			*out = *c;
		regs_wipe(c, sizeof(*c)); /* used or spoiled: never again */
		return ok;
	}
	return 0;
}
