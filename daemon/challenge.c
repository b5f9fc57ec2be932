/* Card challenges in memory: a restart simply makes the card sign a new one. */
#include "challenge.h"
#include "random.h"
#include "wipe.h"
#include <openssl/crypto.h>
#include <string.h>

static struct challenge *free_slot(struct challenge_table *t, int64_t now)
{
	struct challenge *oldest = &t->slot[0];
	for (int i = 0; i < CHALLENGE_SLOTS; i++) {
		if (t->slot[i].expires <= now)
			return &t->slot[i];
		if (t->slot[i].expires < oldest->expires)
			oldest = &t->slot[i];
	}
	return oldest; /* full: the one closest to expiry goes */
}

const struct challenge *challenge_new(struct challenge_table *t, const char *user,
                                      const char *purpose, const char *sender, int64_t now)
{
	struct challenge *c = free_slot(t, now);
	memset(c, 0, sizeof(*c));
	if (strlen(sender) >= sizeof(c->sender) || strlen(purpose) >= sizeof(c->purpose) ||
	    regs_random_bytes(c->nonce, sizeof(c->nonce)) != REGS_OK ||
	    regs_random_hex(c->handle, 16) != REGS_OK) {
		memset(c, 0, sizeof(*c));
		return NULL;
	}
	rec_copy(c->user, sizeof(c->user), user);
	strcpy(c->purpose, purpose);
	strcpy(c->sender, sender);
	c->expires = now + CHALLENGE_SECONDS;
	return c;
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
