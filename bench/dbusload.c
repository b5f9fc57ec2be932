/* regsd throughput: C concurrent client processes, each on its own bus connection, send VerifyOtp
 * for distinct users with correct codes. */
#include "base/fileio.h"
#include "client.h"
#include "common.h"
#include "proto/bus.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CLIENTS 64

/* What one client sends back: its window on the monotonic clock and its latencies. */
struct client_report {
	int64_t start_ns, end_ns;
	uint64_t ok, failed;
};

/* pam_regs' pattern for one login: a new private connection, GetAccount, VerifyOtp, close. */
static enum regs_client_err pam_pattern_call(const char *user, const char *code,
                                             struct regs_verdict *v)
{
	struct regs_client *c;
	struct regs_account_info info;
	enum regs_client_err err = regs_client_open(10000, &c);
	if (err != RC_OK)
		return err;
	err = regs_get_account(c, user, &info);
	if (err == RC_OK)
		err = regs_verify_otp(c, user, code, "bench", "", v);
	regs_client_close(c);
	return err;
}

/* The child: connect, say ready, wait for the start, run the calls, report. */
static void run_client(const char *seed, const unsigned *users, size_t calls, int pam_pattern,
                       int ready_fd, int go_fd, int report_fd)
{
	struct regs_client *c;
	struct client_report rep = {0, 0, 0, 0};
	int64_t *lat = malloc(sizeof(int64_t) * (calls ? calls : 1));
	char byte = 'r';
	if (!lat || regs_client_open(10000, &c) != RC_OK) {
		fprintf(stderr, "dbusload: cannot connect to the bus\n");
		_exit(1);
	}
	if (regs_write_all(ready_fd, &byte, 1) != 0)
		_exit(1);
	if (read(go_fd, &byte, 1) < 0) /* EOF: go */
		_exit(1);
	rep.start_ns = bench_now_ns();
	for (size_t i = 0; i < calls; i++) {
		char user[BENCH_NAME_MAX], code[7];
		struct regs_verdict v;
		bench_user(user, users[i]);
		if (bench_code(seed, user, code) != 0)
			_exit(1);
		int64_t t0 = bench_now_ns();
		enum regs_client_err err = pam_pattern
		                               ? pam_pattern_call(user, code, &v)
		                               : regs_verify_otp(c, user, code, "bench", "", &v);
		lat[i] = bench_now_ns() - t0;
		if (err == RC_OK && v.result == REGS_R_OK) {
			rep.ok++;
		} else {
			if (rep.failed++ < 3)
				fprintf(stderr, "dbusload: %s: %s\n", user,
				        err == RC_OK  ? regs_result_name(v.result)
				        : pam_pattern ? "D-Bus error"
				                      : regs_client_error_message(c));
		}
	}
	rep.end_ns = bench_now_ns();
	regs_client_close(c);
	if (regs_write_all(report_fd, &rep, sizeof(rep)) != 0 ||
	    regs_write_all(report_fd, lat, sizeof(int64_t) * calls) != 0)
		_exit(1);
	_exit(0);
}

struct round_result {
	double calls_per_s;
	int64_t p50_ns, p99_ns;
	uint64_t ok, failed;
};

static int run_round(const char *seed, const unsigned *users, unsigned clients, size_t calls,
                     int pam_pattern, struct round_result *out)
{
	int ready[2], go[2], report[MAX_CLIENTS][2];
	pid_t pid[MAX_CLIENTS];
	int64_t *lat = malloc(sizeof(int64_t) * clients * (calls ? calls : 1));
	int64_t first = INT64_MAX, last = 0;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (!lat || pipe(ready) != 0 || pipe(go) != 0)
		return -1;
	for (unsigned k = 0; k < clients; k++) {
		if (pipe(report[k]) != 0)
			return -1;
		pid[k] = fork();
		if (pid[k] < 0)
			return -1;
		if (pid[k] == 0) {
			close(ready[0]);
			close(go[1]);
			close(report[k][0]);
			run_client(seed, users + (size_t)k * calls, calls, pam_pattern, ready[1],
			           go[0], report[k][1]);
		}
		close(report[k][1]);
	}
	close(ready[1]);
	close(go[0]);
	for (unsigned k = 0; k < clients; k++) {
		char byte;
		if (regs_read_exact(ready[0], &byte, 1) != 0) {
			fprintf(stderr, "dbusload: a client did not connect\n");
			rc = -1;
			break;
		}
	}
	close(go[1]); /* all start together */
	for (unsigned k = 0; k < clients; k++) {
		struct client_report rep;
		if (rc == 0 && (regs_read_exact(report[k][0], &rep, sizeof(rep)) != 0 ||
		                regs_read_exact(report[k][0], lat + (size_t)k * calls,
		                                sizeof(int64_t) * calls) != 0)) {
			fprintf(stderr, "dbusload: client %u died\n", k);
			rc = -1;
		}
		close(report[k][0]);
		if (rc == 0) {
			first = rep.start_ns < first ? rep.start_ns : first;
			last = rep.end_ns > last ? rep.end_ns : last;
			out->ok += rep.ok;
			out->failed += rep.failed;
		}
	}
	close(ready[0]);
	for (unsigned k = 0; k < clients; k++) {
		int status;
		while (waitpid(pid[k], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = -1;
	}
	if (rc == 0) {
		size_t n = (size_t)clients * calls;
		bench_sort(lat, n);
		out->p50_ns = bench_percentile(lat, n, 50);
		out->p99_ns = bench_percentile(lat, n, 99);
		out->calls_per_s = (double)n / ((double)(last - first) / 1e9);
	}
	free(lat);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "Usage: dbusload --users N --calls M [--clients 1,2,4,8] [--used FILE] "
	                "[--rng-seed S] [--pam-pattern]\n"
	                "Each client process makes M VerifyOtp calls for distinct users on one\n"
	                "connection; --pam-pattern makes each call what pam_regs does per login:\n"
	                "new connection, GetAccount, VerifyOtp, close.\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"users", required_argument, NULL, 'n'},
	    {"calls", required_argument, NULL, 'm'},
	    {"clients", required_argument, NULL, 'c'},
	    {"used", required_argument, NULL, 'u'},
	    {"rng-seed", required_argument, NULL, 'r'},
	    {"pam-pattern", no_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *clients_arg = "1,2,4,8", *used = NULL, *seed = getenv("BENCH_SEED");
	unsigned users = 0;
	size_t calls = 0;
	uint64_t rng_seed = 2;
	int c, failed = 0, pam_pattern = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			users = (unsigned)bench_parse_ulong("--users", optarg);
			break;
		case 'm':
			calls = bench_parse_ulong("--calls", optarg);
			break;
		case 'c':
			clients_arg = optarg;
			break;
		case 'u':
			used = optarg;
			break;
		case 'r':
			rng_seed = bench_parse_ulong("--rng-seed", optarg);
			break;
		case 'p':
			pam_pattern = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !users || !calls)
		usage();
	if (!seed || !*seed)
		seed = BENCH_DEFAULT_SEED;
	char *list = strdup(clients_arg);
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned n = (unsigned)bench_parse_ulong("--clients", tok);
		struct round_result r;
		if (n == 0 || n > MAX_CLIENTS)
			usage();
		unsigned *pick = bench_pick_users(users, (size_t)n * calls, used, rng_seed++);
		if (!pick || run_round(seed, pick, n, calls, pam_pattern, &r) != 0) {
			fprintf(stderr, "dbusload: round with %u clients failed\n", n);
			return 1;
		}
		printf("RESULT pattern=%s clients=%u calls=%llu failures=%llu calls_per_s=%.0f "
		       "p50_us=%.0f "
		       "p99_us=%.0f\n",
		       pam_pattern ? "pam" : "verify", n, (unsigned long long)(r.ok + r.failed),
		       (unsigned long long)r.failed, r.calls_per_s, r.p50_ns / 1e3, r.p99_ns / 1e3);
		fflush(stdout);
		if (r.failed * 1000 > (r.ok + r.failed) * 5) {
			fprintf(stderr, "dbusload: %llu of %llu calls failed (> 0.5%%)\n",
			        (unsigned long long)r.failed,
			        (unsigned long long)(r.ok + r.failed));
			failed = 1;
		}
		free(pick);
	}
	free(list);
	return failed;
}
