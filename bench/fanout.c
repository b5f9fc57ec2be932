/* C client processes started together, each making a fixed number of timed calls
 * (bench/fanout.h). */
#include "fanout.h"
#include "base/fileio.h"
#include "common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What one client sends back: its window on the monotonic clock and its counts. */
struct client_report {
	int64_t start_ns, end_ns;
	uint64_t ok, failed;
};

/* The child: prepare, say ready, wait for the start, run the calls, report. */
static void run_child(const struct fanout_client *client, unsigned k, size_t calls, int ready_fd,
                      int go_fd, int report_fd)
{
	struct client_report rep = {0, 0, 0, 0};
	int64_t *lat = calloc(calls ? calls : 1, sizeof(int64_t));
	char byte = 'r';
	if (!lat || client->prepare(client->ctx, k) != 0)
		_exit(1);
	if (regs_write_all(ready_fd, &byte, 1) != 0)
		_exit(1);
	close(ready_fd); /* a client that dies before this one is ready then shows as EOF */
	if (read(go_fd, &byte, 1) < 0) /* EOF: go */
		_exit(1);
	rep.start_ns = bench_now_ns();
	rep.failed = client->run(client->ctx, k, calls, lat);
	rep.end_ns = bench_now_ns();
	rep.ok = calls - rep.failed;
	if (client->finish)
		client->finish(client->ctx, k);
	if (regs_write_all(report_fd, &rep, sizeof(rep)) != 0 ||
	    regs_write_all(report_fd, lat, sizeof(int64_t) * calls) != 0)
		_exit(1);
	_exit(0);
}

/* Reads every client's report into out and lat; -1 when one is missing. */
static int collect(const int *report_fd, unsigned clients, size_t calls, int64_t *lat,
                   struct fanout_result *out)
{
	int64_t first = INT64_MAX, last = 0;
	int rc = 0;
	for (unsigned k = 0; k < clients; k++) {
		struct client_report rep;
		if (rc == 0 && (regs_read_exact(report_fd[k], &rep, sizeof(rep)) != 0 ||
		                regs_read_exact(report_fd[k], lat + (size_t)k * calls,
		                                sizeof(int64_t) * calls) != 0)) {
			fprintf(stderr, "bench: client %u died\n", k);
			rc = -1;
		}
		close(report_fd[k]);
		if (rc == 0) {
			first = rep.start_ns < first ? rep.start_ns : first;
			last = rep.end_ns > last ? rep.end_ns : last;
			out->ok += rep.ok;
			out->failed += rep.failed;
		}
	}
	if (rc == 0) {
		size_t n = (size_t)clients * calls;
		bench_sort(lat, n);
		out->p50_ns = bench_percentile(lat, n, 50);
		out->p99_ns = bench_percentile(lat, n, 99);
		out->calls_per_s = (double)n / ((double)(last - first) / 1e9);
	}
	return rc;
}

/* Waits for every child; -1 when one did not exit 0. */
static int reap(const pid_t *pid, unsigned clients)
{
	int rc = 0;
	for (unsigned k = 0; k < clients; k++) {
		int status = 0;
		while (waitpid(pid[k], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = -1;
	}
	return rc;
}

int fanout_run(const struct fanout_client *client, unsigned clients, size_t calls,
               struct fanout_result *out)
{
	int ready[2], go[2], report[FANOUT_MAX_CLIENTS];
	pid_t pid[FANOUT_MAX_CLIENTS];
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (clients == 0 || clients > FANOUT_MAX_CLIENTS || pipe(ready) != 0 || pipe(go) != 0)
		return -1;
	int64_t *lat = malloc(sizeof(int64_t) * clients * (calls ? calls : 1));
	if (!lat)
		return -1;
	fflush(NULL);
	for (unsigned k = 0; k < clients; k++) {
		int fd[2];
		if (pipe(fd) != 0 || (pid[k] = fork()) < 0) {
			fprintf(stderr, "bench: cannot start client %u: %s\n", k, strerror(errno));
			exit(1);
		}
		if (pid[k] == 0) {
			close(ready[0]);
			close(go[1]);
			close(fd[0]);
			run_child(client, k, calls, ready[1], go[0], fd[1]);
		}
		close(fd[1]);
		report[k] = fd[0];
	}
	close(ready[1]);
	close(go[0]);
	for (unsigned k = 0; k < clients && rc == 0; k++) {
		char byte;
		if (regs_read_exact(ready[0], &byte, 1) != 0) {
			fprintf(stderr, "bench: a client did not get ready\n");
			rc = -1;
		}
	}
	close(go[1]); /* all start together */
	if (collect(report, clients, calls, lat, out) != 0)
		rc = -1;
	close(ready[0]);
	if (reap(pid, clients) != 0)
		rc = -1;
	free(lat);
	return rc;
}
