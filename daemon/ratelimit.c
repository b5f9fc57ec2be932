/* A fixed-window counter per hashed key, in memory; the oldest window is reused when full. */
#include "ratelimit.h"
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define RATE_SLOTS 512

struct rate_slot {
	uint8_t key[SHA256_DIGEST_LENGTH];
	int64_t start; /* 0 = free */
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
		memset(rl, 0, sizeof(*rl));
	free(rl);
}

static void hash_key(const char *kind, const char *key, uint8_t out[SHA256_DIGEST_LENGTH])
{
	size_t klen = strlen(kind), len = strlen(key);
	uint8_t *buf = malloc(klen + 1 + len);
	if (!buf) {
		memset(out, 0, SHA256_DIGEST_LENGTH);
		return;
	}
	memcpy(buf, kind, klen);
	buf[klen] = 0;
	memcpy(buf + klen + 1, key, len);
	SHA256(buf, klen + 1 + len, out);
	memset(buf, 0, klen + 1 + len); /* the key may be an ID number */
	free(buf);
}

static const struct rate_slot *find(const struct rate_limit *rl, const uint8_t *h, int64_t now)
{
	for (int i = 0; i < RATE_SLOTS; i++)
		if (rl->slot[i].start && rl->slot[i].start + rl->window > now &&
		    memcmp(rl->slot[i].key, h, SHA256_DIGEST_LENGTH) == 0)
			return &rl->slot[i];
	return NULL;
}

static struct rate_slot *oldest(struct rate_limit *rl)
{
	struct rate_slot *old = &rl->slot[0];
	for (int i = 0; i < RATE_SLOTS; i++)
		if (rl->slot[i].start < old->start)
			old = &rl->slot[i];
	return old;
}

static unsigned wait_of(const struct rate_limit *rl, const struct rate_slot *s, int64_t now)
{
	if (!s || s->count < rl->max)
		return 0;
	int64_t left = s->start + rl->window - now;
	return left > 0 ? (unsigned)left : 1;
}

unsigned rate_limit_wait(const struct rate_limit *rl, const char *kind, const char *key,
                         int64_t now)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	hash_key(kind, key, h);
	return wait_of(rl, find(rl, h, now), now);
}

unsigned rate_limit_take(struct rate_limit *rl, const char *kind, const char *key, int64_t now)
{
	uint8_t h[SHA256_DIGEST_LENGTH];
	hash_key(kind, key, h);
	struct rate_slot *s = (struct rate_slot *)find(rl, h, now);
	unsigned wait = wait_of(rl, s, now);
	if (wait)
		return wait;
	if (!s) {
		s = oldest(rl);
		memcpy(s->key, h, sizeof(h));
		s->start = now;
		s->count = 0;
	}
	s->count++;
	return 0;
}
