/* The idle-sync clock: when a durable store's last commit, whose meta page the commit itself did
 * not sync, must be synced because no later commit came to sync it. No I/O, no clock reads. */
#ifndef REGS_STORE_IDLESYNC_H
#define REGS_STORE_IDLESYNC_H
#include <stdint.h>

/* How long the last commit waits for a next one before it is synced on its own: the window in
 * which a power loss may undo it (regsd(8), DURABILITY). */
#define STORE_IDLE_SYNC_MS 30

struct store_idle {
	int pending;    /* a commit whose meta page may not be on the device yet */
	int64_t due_ms; /* when it is synced at the latest, on the caller's monotonic clock */
};

/* A commit that wrote: due STORE_IDLE_SYNC_MS from now. A later commit moves the time on, since
 * its own sync makes the earlier meta page durable. */
void store_idle_committed(struct store_idle *c, int64_t now_ms);
/* 1 when a commit is pending and its time has come. */
int store_idle_due(const struct store_idle *c, int64_t now_ms);
/* How long one may wait before the sync is due, at most max_ms (max_ms when nothing is pending). */
int store_idle_wait_ms(const struct store_idle *c, int64_t now_ms, int max_ms);
/* The store was synced: nothing pending. */
void store_idle_synced(struct store_idle *c);

#endif
