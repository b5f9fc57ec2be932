/* A fixed-window counter per hashed key, in memory. A full table, or a caller holding its quota of
 * windows, refuses a new key: nobody can evict another's window (R12.2). */
#include "ratelimit.h"
#include "base/wipe.h"
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE_SLOTS 512

struct rate_slot {
	uint8_t key[SHA256_DIGEST_LENGTH];
	char owner[32]; /* quota key of the caller that opened the window */
	int64_t start;  /* 0 = free */
	unsigned count;
};

struct rate_limit {
	unsigned max, window;
	struct rate_slot slot[RATE_SLOTS];
};

struct rate_limit *rate_limit_new(unsigned max, unsigned window_seconds)
{
	struct rate_limit *rl = calloc(1, sizeof(*rl));
	if (rl) {
		rl->max = max;
		rl->window = window_seconds;
	}
	return rl;
}

void rate_limit_free(struct rate_limit *rl)
{
	if (rl)
		regs_wipe(rl, sizeof(*rl));
	free(rl);
}

/* SHA-256 of kind NUL key, without copying the key (it may be an ID number). */
static void hash_key(const char *kind, const char *key, uint8_t out[SHA256_DIGEST_LENGTH])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, kind, strlen(kind) + 1) ||
	    !EVP_DigestUpdate(ctx, key, strlen(key)) || !EVP_DigestFinal_ex(ctx, out, &len))
		memset(out, 0xff, SHA256_DIGEST_LENGTH); /* one shared, always-limited bucket */
	EVP_MD_CTX_free(ctx);
}

static int live(const struct rate_limit *rl, const struct rate_slot *s, int64_t now)
{
	return s->start && s->start + rl->window > now;
}

static const struct rate_slot *find(const struct rate_limit *rl, const uint8_t *h, int64_t now)
{
	for (int i = 0; i < RATE_SLOTS; i++)
		if (live(rl, &rl->slot[i], now) &&
		    memcmp(rl->slot[i].key, h, SHA256_DIGEST_LENGTH) == 0)
			return &rl->slot[i];
	return NULL;
}

static unsigned left_in(const struct rate_limit *rl, const struct rate_slot *s, int64_t now)
{
	int64_t left = s->start + rl->window - now;
	return left > 0 ? (unsigned)left : 1;
}

static unsigned wait_of(const struct rate_limit *rl, const struct rate_slot *s, int64_t now)
{
	return !s || s->count < rl->max ? 0 : left_in(rl, s, now);
}

/* A free slot for a new key of owner, or NULL with *wait set: the table is full, or owner
 * already holds RATE_PER_OWNER live windows. */
static struct rate_slot *open_slot(struct rate_limit *rl, const char *owner, int64_t now,
                                   unsigned *wait)
{
	struct rate_slot *free_slot = NULL;
	unsigned held = 0, soonest_owner = 0, soonest_any = 0;
	for (int i = 0; i < RATE_SLOTS; i++) {
		struct rate_slot *s = &rl->slot[i];
		if (!live(rl, s, now)) {
			free_slot = free_slot ? free_slot : s;
			continue;
		}
		unsigned left = left_in(rl, s, now);
		soonest_any = !soonest_any || left < soonest_any ? left : soonest_any;
		if (strcmp(s->owner, owner) == 0) {
			held++;
			soonest_owner =
			    !soonest_owner || left < soonest_owner ? left : soonest_owner;
		}
	}
	*wait = held >= RATE_PER_OWNER ? soonest_owner : !free_slot ? soonest_any : 0;
	return *wait ? NULL : free_slot;
}

unsigned rate_limit_wait(const struct rate_limit *rl, const char *kind, const char *key,
                         int64_t now)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	hash_key(kind, key, h);
	return wait_of(rl, find(rl, h, now), now);
}

unsigned rate_limit_take(struct rate_limit *rl, const char *kind, const char *key,
                         const char *owner, int64_t now)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	hash_key(kind, key, h);
	struct rate_slot *s = (struct rate_slot *)find(rl, h, now);
	unsigned wait = wait_of(rl, s, now);
	if (wait)
		return wait;
	if (!s) {
		s = open_slot(rl, owner, now, &wait);
		if (!s)
			return wait;
		memcpy(s->key, h, sizeof(h));
		snprintf(s->owner, sizeof(s->owner), "%s", owner);
		s->start = now;
		s->count = 0;
	}
	s->count++;
	return 0;
}
