/* Times whole PAM transactions (pam_start + pam_authenticate + pam_end, password-less OTP) for
 * distinct random users of a PAM service: in this process, in C concurrent client processes
 * (--clients), or in a fresh process per login (--exec bench/pamonce); prints p50/p99 in
 * microseconds. --sockets spreads the clients over several regsd hosts. */
#include "codesrc.h"
#include "common.h"
#include "fanout.h"
#include "pamtxn.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHOW_FAILURES 5

struct options {
	const char *service, *used, *label, *exec, *passwd, *samples, *codes, *sockets;
	unsigned users, clients;
	size_t count, warmup;
	uint64_t rng_seed;
	int no_code;
};

/* One login's figures: the whole transaction and its pam_authenticate part (0 with --exec). */
struct sample {
	int64_t whole_ns, auth_ns;
};

static void usage(void)
{
	fprintf(
	    stderr,
	    "Usage: pambench --service NAME --users N --count K [--warmup W] [--used FILE]\n"
	    "                [--label TEXT] [--rng-seed S] [--samples FILE] [--no-code]\n"
	    "                [--codes PAMCODES] [--clients C [--sockets P1,P2...] |\n"
	    "                 --exec PAMONCE [--passwd FILE]]\n"
	    "W untimed logins first; all users are distinct and unused. Timed: pam_start +\n"
	    "pam_authenticate + pam_end. --clients: C processes with K logins each, started\n"
	    "together; --sockets: client k sets REGS_DIRECT_SOCKET to the (k mod n)-th path,\n"
	    "so the clients spread over n regsd hosts. --exec: fork+exec PAMONCE SERVICE USER CODE "
	    "per login, timed from fork to\n"
	    "waitpid; --passwd rewrites FILE (an nss_wrapper passwd) with that user first.\n"
	    "--samples appends \"whole_us auth_us\" per timed login. --no-code: the stack does "
	    "not\n"
	    "prompt (pam_permit). --codes: the bench/pamcodes helper that computes the codes\n"
	    "(this program links no crypto). Run under LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1\n"
	    "PAM_WRAPPER_SERVICE_DIR=DIR.\n");
	exit(2);
}

static void parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"service", required_argument, NULL, 's'},
	    {"users", required_argument, NULL, 'n'},
	    {"count", required_argument, NULL, 'k'},
	    {"used", required_argument, NULL, 'u'},
	    {"label", required_argument, NULL, 'l'},
	    {"rng-seed", required_argument, NULL, 'r'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"clients", required_argument, NULL, 'c'},
	    {"exec", required_argument, NULL, 'e'},
	    {"passwd", required_argument, NULL, 'p'},
	    {"samples", required_argument, NULL, 'S'},
	    {"codes", required_argument, NULL, 'C'},
	    {"no-code", no_argument, NULL, 'N'},
	    {"sockets", required_argument, NULL, 'D'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	memset(o, 0, sizeof(*o));
	o->rng_seed = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->service = optarg;
			break;
		case 'n':
			o->users = (unsigned)bench_parse_ulong("--users", optarg);
			break;
		case 'k':
			o->count = bench_parse_ulong("--count", optarg);
			break;
		case 'u':
			o->used = optarg;
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'r':
			o->rng_seed = bench_parse_ulong("--rng-seed", optarg);
			break;
		case 'w':
			o->warmup = bench_parse_ulong("--warmup", optarg);
			break;
		case 'c':
			o->clients = (unsigned)bench_parse_ulong("--clients", optarg);
			break;
		case 'e':
			o->exec = optarg;
			break;
		case 'p':
			o->passwd = optarg;
			break;
		case 'S':
			o->samples = optarg;
			break;
		case 'N':
			o->no_code = 1;
			break;
		case 'C':
			o->codes = optarg;
			break;
		case 'D':
			o->sockets = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !o->service || !o->users || !o->count ||
	    o->clients > FANOUT_MAX_CLIENTS || (o->clients && o->exec) ||
	    (!o->codes && !o->no_code) || (o->sockets && !o->clients))
		usage();
	if (!o->label)
		o->label = o->service;
}

/* An nss_wrapper passwd with the system users and the one who logs in next. */
static void write_passwd(const char *path, const char *user)
{
	FILE *f = fopen(path, "w");
	if (!f ||
	    fprintf(f,
	            "root:x:0:0:root:/root:/bin/sh\n"
	            "messagebus:x:100:100::/nonexistent:/usr/sbin/nologin\n"
	            "%s:x:2000:2000::/nonexistent:/bin/sh\n",
	            user) < 0 ||
	    fclose(f) != 0) {
		fprintf(stderr, "pambench: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* fork + exec PAMONCE SERVICE USER CODE + waitpid; the whole time, or -1 when it failed. */
static int64_t login_fresh(const struct options *o, const char *user, const char *code)
{
	char *argv[] = {(char *)o->exec, (char *)o->service, (char *)user, (char *)code, NULL};
	int status = 0;
	if (o->passwd)
		write_passwd(o->passwd, user);
	int64_t t0 = bench_now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pambench: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		execv(o->exec, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int64_t t = bench_now_ns() - t0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t : -1;
}

/* One login of user index; 0 with its sample, or -1 (reported when report is set). */
static int login(const struct options *o, struct codesrc *src, unsigned index, int report,
                 struct sample *s)
{
	char user[BENCH_NAME_MAX], code[7] = "-", why[320] = "pamonce failed (see above)";
	struct pamtxn_times t;
	bench_user(user, index);
	if (!o->no_code)
		codesrc_get(src, user, code);
	int rc = 0;
	if (o->exec) {
		s->whole_ns = login_fresh(o, user, code);
		s->auth_ns = 0;
		rc = s->whole_ns < 0 ? -1 : 0;
	} else {
		rc = pamtxn_login(o->service, user, code, &t, why, sizeof(why));
		s->whole_ns = t.start_ns + t.auth_ns + t.end_ns;
		s->auth_ns = t.auth_ns;
	}
	if (rc != 0 && report)
		fprintf(stderr, "pambench: %s: login of %s failed: %s\n", o->label, user, why);
	return rc;
}

/* The clients of a --clients round: client k logs in users[k * (warmup + count) ..]. */
struct clients_ctx {
	const struct options *o;
	struct codesrc src; /* each client process starts its own helper */
	const unsigned *users;
};

/* Client k's host: REGS_DIRECT_SOCKET = the (k mod n)-th of the n comma-separated paths. */
static void pick_socket(const char *list, unsigned k)
{
	char path[4096];
	size_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	const char *at = list;
	for (size_t i = 0; i < k % n; i++)
		at = strchr(at, ',') + 1;
	size_t len = strcspn(at, ",");
	if (len == 0 || len >= sizeof(path)) {
		fprintf(stderr, "pambench: --sockets: an empty or too long path\n");
		exit(2);
	}
	memcpy(path, at, len);
	path[len] = '\0';
	if (setenv("REGS_DIRECT_SOCKET", path, 1) != 0)
		exit(1);
}

static int clients_prepare(void *ctx, unsigned k)
{
	struct clients_ctx *c = ctx;
	struct sample s;
	size_t failed = 0, base = (size_t)k * (c->o->warmup + c->o->count);
	if (c->o->sockets)
		pick_socket(c->o->sockets, k);
	if (!c->o->no_code)
		codesrc_open(&c->src, c->o->codes);
	for (size_t i = 0; i < c->o->warmup; i++)
		if (login(c->o, &c->src, c->users[base + i], 1, &s) != 0)
			failed++;
	return failed * 2 > c->o->warmup ? -1 : 0;
}

static uint64_t clients_run(void *ctx, unsigned k, size_t calls, int64_t *lat)
{
	struct clients_ctx *c = ctx;
	struct sample s;
	uint64_t failed = 0;
	size_t base = (size_t)k * (c->o->warmup + c->o->count) + c->o->warmup;
	for (size_t i = 0; i < calls; i++) {
		if (login(c->o, &c->src, c->users[base + i], failed < 3, &s) != 0)
			failed++;
		lat[i] = s.whole_ns;
	}
	return failed;
}

static int check_failures(const struct options *o, uint64_t failures, uint64_t total)
{
	if (failures * 1000 <= total * 5)
		return 0;
	fprintf(stderr, "pambench: %s: %llu of %llu logins failed (> 0.5%%): not a benchmark\n",
	        o->label, (unsigned long long)failures, (unsigned long long)total);
	return 1;
}

static int run_clients(const struct options *o, const unsigned *pick)
{
	struct clients_ctx ctx = {o, {-1, -1}, pick};
	struct fanout_client client = {clients_prepare, clients_run, NULL, &ctx};
	struct fanout_result r;
	if (fanout_run(&client, o->clients, o->count, &r) != 0) {
		fprintf(stderr, "pambench: %s: the round with %u clients failed\n", o->label,
		        o->clients);
		return 1;
	}
	printf("RESULT label=%s users=%u clients=%u calls=%llu failures=%llu calls_per_s=%.0f "
	       "p50_us=%.0f p99_us=%.0f\n",
	       o->label, o->users, o->clients, (unsigned long long)(r.ok + r.failed),
	       (unsigned long long)r.failed, r.calls_per_s, r.p50_ns / 1e3, r.p99_ns / 1e3);
	return check_failures(o, r.failed, r.ok + r.failed);
}

static void append_samples(const char *path, const struct sample *s, size_t n)
{
	FILE *f = fopen(path, "a");
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%.1f %.1f\n", s[i].whole_ns / 1e3, s[i].auth_ns / 1e3);
	if (!f || fclose(f) != 0) {
		fprintf(stderr, "pambench: cannot write %s\n", path);
		exit(1);
	}
}

/* p50 and p99 of one figure of the samples, in microseconds. */
static void percentiles(const struct sample *s, size_t n, int auth, double *p50, double *p99)
{
	int64_t *v = malloc(sizeof(int64_t) * (n ? n : 1));
	if (!v)
		exit(1);
	for (size_t i = 0; i < n; i++)
		v[i] = auth ? s[i].auth_ns : s[i].whole_ns;
	bench_sort(v, n);
	*p50 = bench_percentile(v, n, 50) / 1e3;
	*p99 = bench_percentile(v, n, 99) / 1e3;
	free(v);
}

/* Sequential logins in this process (or one fresh process each with --exec). */
static int run_sequential(const struct options *o, const unsigned *pick)
{
	struct codesrc src = {-1, -1};
	struct sample *s = calloc(o->count, sizeof(*s)), w;
	size_t failures = 0, n = 0;
	double p50, p99, a50, a99;
	if (!s)
		return 1;
	if (!o->no_code)
		codesrc_open(&src, o->codes);
	for (size_t i = 0; i < o->warmup; i++)
		if (login(o, &src, pick[i], 1, &w) != 0)
			failures++;
	if (failures * 2 > o->warmup) {
		fprintf(stderr, "pambench: %s: %zu of %zu warm-up logins failed\n", o->label,
		        failures, o->warmup);
		return 1;
	}
	failures = 0;
	for (size_t i = 0; i < o->count; i++) {
		if (login(o, &src, pick[o->warmup + i], failures < SHOW_FAILURES, &s[n]) != 0)
			failures++;
		else
			n++;
	}
	if (o->samples)
		append_samples(o->samples, s, n);
	percentiles(s, n, 0, &p50, &p99);
	percentiles(s, n, 1, &a50, &a99);
	printf("RESULT label=%s users=%u count=%zu failures=%zu p50_us=%.0f p99_us=%.0f "
	       "auth_p50_us=%.0f auth_p99_us=%.0f\n",
	       o->label, o->users, o->count, failures, p50, p99, a50, a99);
	free(s);
	return check_failures(o, failures, o->count);
}

int main(int argc, char **argv)
{
	struct options o;
	parse(argc, argv, &o);
	size_t want = (o.clients ? o.clients : 1) * (o.warmup + o.count);
	unsigned *pick = bench_pick_users(o.users, want, o.used, o.rng_seed);
	if (!pick)
		return 1;
	int rc = o.clients ? run_clients(&o, pick) : run_sequential(&o, pick);
	free(pick);
	return rc;
}
