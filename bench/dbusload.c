/* regsd throughput: C concurrent client processes, each on its own connection, send VerifyOtp
 * for distinct users with correct codes. */
#include "client.h"
#include "common.h"
#include "fanout.h"
#include "proto/bus.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --bus: the system bus only; otherwise the client's own choice, as the module's: regsd's
 * direct socket when there is one. */
static int bus_only;

static enum regs_client_err open_client(struct regs_client **c)
{
	return bus_only ? regs_client_open_bus(10000, c) : regs_client_open(10000, c);
}

/* pam_regs' pattern for one login: a new private connection, GetAccount, VerifyOtp, close. */
static enum regs_client_err pam_pattern_call(const char *user, const char *code,
                                             struct regs_verdict *v)
{
	struct regs_client *c;
	struct regs_account_info info;
	enum regs_client_err err = open_client(&c);
	if (err != RC_OK)
		return err;
	err = regs_get_account(c, user, &info);
	if (err == RC_OK)
		err = regs_verify_otp(c, user, code, "bench", "", v);
	regs_client_close(c);
	return err;
}

/* One round's clients: client k calls for users[k * calls ..]; conn is the child's own. */
struct load {
	const char *seed;
	const unsigned *users;
	size_t calls;
	int pam_pattern;
	struct regs_client *conn;
};

static int load_prepare(void *ctx, unsigned k)
{
	struct load *l = ctx;
	(void)k;
	if (open_client(&l->conn) != RC_OK) {
		fprintf(stderr, "dbusload: cannot connect to regsd\n");
		return -1;
	}
	return 0;
}

static uint64_t load_run(void *ctx, unsigned k, size_t calls, int64_t *lat)
{
	struct load *l = ctx;
	uint64_t failed = 0;
	for (size_t i = 0; i < calls; i++) {
		char user[BENCH_NAME_MAX], code[7];
		struct regs_verdict v;
		bench_user(user, l->users[(size_t)k * calls + i]);
		if (bench_code(l->seed, user, code) != 0)
			_exit(1);
		int64_t t0 = bench_now_ns();
		enum regs_client_err err =
		    l->pam_pattern ? pam_pattern_call(user, code, &v)
		                   : regs_verify_otp(l->conn, user, code, "bench", "", &v);
		lat[i] = bench_now_ns() - t0;
		if (err != RC_OK || v.result != REGS_R_OK) {
			if (failed++ < 3)
				fprintf(stderr, "dbusload: %s: %s\n", user,
				        err == RC_OK     ? regs_result_name(v.result)
				        : l->pam_pattern ? "D-Bus error"
				                         : regs_client_error_message(l->conn));
		}
	}
	return failed;
}

static void load_finish(void *ctx, unsigned k)
{
	struct load *l = ctx;
	(void)k;
	regs_client_close(l->conn);
}

static int run_round(const char *seed, const unsigned *users, unsigned clients, size_t calls,
                     int pam_pattern, struct fanout_result *out)
{
	struct load l = {seed, users, calls, pam_pattern, NULL};
	struct fanout_client client = {load_prepare, load_run, load_finish, &l};
	return fanout_run(&client, clients, calls, out);
}

static void usage(void)
{
	fprintf(stderr,
	        "Usage: dbusload --users N --calls M [--clients 1,2,4,8] [--used FILE] "
	        "[--rng-seed S] [--pam-pattern]\n"
	        "Each client process makes M VerifyOtp calls for distinct users on one\n"
	        "connection; --pam-pattern makes each call what pam_regs does per login:\n"
	        "new connection, GetAccount, VerifyOtp, close. --bus: through the system bus\n"
	        "only (otherwise as the module: regsd's direct socket when there is one).\n");
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
	    {"bus", no_argument, NULL, 'b'},
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
		case 'b':
			bus_only = 1;
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
		struct fanout_result r;
		if (n == 0 || n > FANOUT_MAX_CLIENTS)
			usage();
		unsigned *pick = bench_pick_users(users, (size_t)n * calls, used, rng_seed++);
		if (!pick || run_round(seed, pick, n, calls, pam_pattern, &r) != 0) {
			fprintf(stderr, "dbusload: round with %u clients failed\n", n);
			return 1;
		}
		printf("RESULT pattern=%s%s clients=%u calls=%llu failures=%llu calls_per_s=%.0f "
		       "p50_us=%.0f "
		       "p99_us=%.0f\n",
		       pam_pattern ? "pam" : "verify", bus_only ? "-bus" : "", n,
		       (unsigned long long)(r.ok + r.failed), (unsigned long long)r.failed,
		       r.calls_per_s, r.p50_ns / 1e3, r.p99_ns / 1e3);
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
