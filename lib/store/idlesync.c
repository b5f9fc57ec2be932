/* The idle-sync clock of a durable store (idlesync.h). */
#include "store/idlesync.h"

void store_idle_committed(struct store_idle *c, int64_t now_ms)
{
	c->pending = 1;
	c->due_ms = now_ms + STORE_IDLE_SYNC_MS;
}

int store_idle_due(const struct store_idle *c, int64_t now_ms)
{
	return c->pending && now_ms >= c->due_ms;
}

int store_idle_wait_ms(const struct store_idle *c, int64_t now_ms, int max_ms)
{
	if (!c->pending)
		return max_ms;
	if (now_ms >= c->due_ms)
		return 0;
	int64_t left = c->due_ms - now_ms;
	return left < max_ms ? (int)left : max_ms;
}

void store_idle_synced(struct store_idle *c)
{
	c->pending = 0;
	c->due_ms = 0;
}
