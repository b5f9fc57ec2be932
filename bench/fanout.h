/* C client processes started together, each making a fixed number of timed calls: the
 * throughput rounds of bench/dbusload and bench/pambench --clients. */
#ifndef REGS_BENCH_FANOUT_H
#define REGS_BENCH_FANOUT_H
#include <stddef.h>
#include <stdint.h>

#define FANOUT_MAX_CLIENTS 64

/* What each client process does; every callback runs in the child. */
struct fanout_client {
	/* Before the common start (connect, warm up): nonzero makes the round fail. */
	int (*prepare)(void *ctx, unsigned k);
	/* Client k's calls after the start: fills lat[0..calls) with each call's nanoseconds
	 * and returns how many of them failed. */
	uint64_t (*run)(void *ctx, unsigned k, size_t calls, int64_t *lat);
	/* After its calls (close a connection); may be NULL. */
	void (*finish)(void *ctx, unsigned k);
	void *ctx;
};

struct fanout_result {
	double calls_per_s; /* all calls / (last client's end - first client's start) */
	int64_t p50_ns, p99_ns;
	uint64_t ok, failed;
};

/* Forks clients processes, waits until all are prepared, starts them together and collects
 * their latencies. Returns 0, or -1 with a message on stderr when a client failed. */
int fanout_run(const struct fanout_client *client, unsigned clients, size_t calls,
               struct fanout_result *out);

#endif
