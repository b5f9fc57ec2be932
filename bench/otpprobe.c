/* A paced VerifyOtp prober for bench/oobload.py: one kept bus connection, one call every
 * 1/RATE s for distinct users (correct codes) in random order, until standard input closes.
 *
 *   otpprobe --from F --to T --rate R --out FILE [--rng-seed S]
 *
 * Prints "ready" on stdout once connected, then writes one line per call to FILE:
 * "start_ns latency_ns result" (CLOCK_MONOTONIC, the clock of Python's time.monotonic_ns,
 * so the caller can split the samples into its phases). A call that takes longer than the
 * period delays the next one; missed slots are not made up. At the end it prints
 * "otpprobe: calls=N failures=F". */
#include "client.h"
#include "common.h"
#include "proto/bus.h"
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "Usage: otpprobe --from F --to T --rate R --out FILE [--rng-seed S]\n");
	exit(2);
}

/* Waits until the monotonic time `until` (ns); 1 when standard input closed or became readable
 * (the end), else 0. */
static int wait_until(int64_t until)
{
	for (;;) {
		int64_t left = until - bench_now_ns();
		struct pollfd p = {0, POLLIN, 0};
		struct timespec ts = {0, 0};
		if (left > 0) {
			ts.tv_sec = (time_t)(left / 1000000000);
			ts.tv_nsec = (long)(left % 1000000000);
		}
		int r = ppoll(&p, 1, &ts, NULL);
		if (r > 0)
			return 1;
		if (r == 0 || errno != EINTR)
			return 0;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"from", required_argument, NULL, 'f'},     {"to", required_argument, NULL, 't'},
	    {"rate", required_argument, NULL, 'r'},     {"out", required_argument, NULL, 'o'},
	    {"rng-seed", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
	};
	unsigned from = 0, to = 0, rate = 0;
	uint64_t rng_seed = 7;
	const char *out_path = NULL, *seed = getenv("BENCH_SEED");
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = (unsigned)bench_parse_ulong("--from", optarg);
			break;
		case 't':
			to = (unsigned)bench_parse_ulong("--to", optarg);
			break;
		case 'r':
			rate = (unsigned)bench_parse_ulong("--rate", optarg);
			break;
		case 'o':
			out_path = optarg;
			break;
		case 's':
			rng_seed = bench_parse_ulong("--rng-seed", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || from == 0 || to < from || rate == 0 || rate > 100000 || !out_path)
		usage();
	if (!seed || !*seed)
		seed = BENCH_DEFAULT_SEED;
	size_t n = (size_t)(to - from) + 1;
	unsigned *pick = bench_pick_users((unsigned)n, n, NULL, rng_seed);
	FILE *out = fopen(out_path, "w");
	struct regs_client *cl;
	if (!pick || !out) {
		fprintf(stderr, "otpprobe: cannot set up (%s)\n", out ? "users" : out_path);
		return 1;
	}
	if (regs_client_open(10000, &cl) != RC_OK) {
		fprintf(stderr, "otpprobe: cannot connect to the bus\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	const int64_t period = 1000000000LL / rate;
	int64_t next = bench_now_ns();
	unsigned long calls = 0, failures = 0;
	for (size_t i = 0; i < n; i++) {
		char user[BENCH_NAME_MAX], code[7];
		struct regs_verdict v;
		if (wait_until(next))
			break;
		bench_user(user, pick[i] + from - 1);
		if (bench_code(seed, user, code) != 0) {
			fprintf(stderr, "otpprobe: cannot compute a code\n");
			return 1;
		}
		int64_t t0 = bench_now_ns();
		enum regs_client_err err = regs_verify_otp(cl, user, code, "bench", "", &v);
		int64_t lat = bench_now_ns() - t0;
		unsigned result = err == RC_OK ? (unsigned)v.result : 1000u + (unsigned)err;
		fprintf(out, "%lld %lld %u\n", (long long)t0, (long long)lat, result);
		calls++;
		if (err != RC_OK || v.result != REGS_R_OK) {
			if (failures++ < 3)
				fprintf(stderr, "otpprobe: %s: %s\n", user,
				        err == RC_OK ? regs_result_name(v.result)
				                     : regs_client_error_message(cl));
		}
		next += period;
		int64_t now = bench_now_ns();
		if (next < now)
			next = now;
		if (i + 1 == n)
			fprintf(stderr, "otpprobe: all %zu users used\n", n);
	}
	regs_client_close(cl);
	free(pick);
	if (fclose(out) != 0) {
		fprintf(stderr, "otpprobe: cannot write %s\n", out_path);
		return 1;
	}
	printf("otpprobe: calls=%lu failures=%lu\n", calls, failures);
	return 0;
}
