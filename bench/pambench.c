/* Times pam_authenticate (password-less OTP) for distinct random users of a PAM service and prints
 * p50/p99 in microseconds. */
#include "common.h"
#include <getopt.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_FAILURES 5

struct answer {
	const char *code;
	char last_error[256];
	int prompts;
};

/* Answers every prompt with the code; keeps the last error message for reports. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct answer *a = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			a->prompts++;
			r[i].resp = strdup(a->code);
			if (!r[i].resp) {
				for (int k = 0; k < i; k++)
					free(r[k].resp);
				free(r);
				return PAM_BUF_ERR;
			}
			break;
		case PAM_ERROR_MSG:
			snprintf(a->last_error, sizeof(a->last_error), "%s", msg[i]->msg);
			break;
		default:
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void usage(void)
{
	fprintf(stderr, "Usage: pambench --service NAME --users N --count K [--warmup W] "
	                "[--used FILE] [--label TEXT] [--rng-seed S]\n"
	                "W untimed logins first; all K + W users are distinct and unused.\n"
	                "Run under LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 "
	                "PAM_WRAPPER_SERVICE_DIR=DIR.\n");
	exit(2);
}

struct options {
	const char *service, *used, *label;
	unsigned users;
	size_t count, warmup;
	uint64_t rng_seed;
};

static void parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"service", required_argument, NULL, 's'}, {"users", required_argument, NULL, 'n'},
	    {"count", required_argument, NULL, 'k'},   {"used", required_argument, NULL, 'u'},
	    {"label", required_argument, NULL, 'l'},   {"rng-seed", required_argument, NULL, 'r'},
	    {"warmup", required_argument, NULL, 'w'},  {NULL, 0, NULL, 0},
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
		default:
			usage();
		}
	}
	if (optind != argc || !o->service || !o->users || !o->count)
		usage();
	if (!o->label)
		o->label = o->service;
}

/* One login; returns its pam_authenticate time in ns, or -1 when it failed. */
static int64_t login(const struct options *o, const char *seed, unsigned index, int report)
{
	char user[BENCH_NAME_MAX], code[7];
	struct answer a = {code, "", 0};
	struct pam_conv pc = {conv, &a};
	pam_handle_t *pamh = NULL;
	bench_user(user, index);
	if (bench_code(seed, user, code) != 0) {
		fprintf(stderr, "pambench: cannot compute a code\n");
		exit(1);
	}
	int rc = pam_start(o->service, user, &pc, &pamh);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "pambench: pam_start(%s): %s\n", o->service,
		        pam_strerror(pamh, rc));
		exit(1);
	}
	int64_t t0 = bench_now_ns();
	rc = pam_authenticate(pamh, 0);
	int64_t t = bench_now_ns() - t0;
	if (rc != PAM_SUCCESS || a.prompts != 1) {
		if (report)
			fprintf(stderr, "pambench: %s: login of %s failed: %s (%d prompts)%s%s\n",
			        o->label, user, pam_strerror(pamh, rc), a.prompts,
			        a.last_error[0] ? ": " : "", a.last_error);
		t = -1;
	}
	pam_end(pamh, rc);
	return t;
}

int main(int argc, char **argv)
{
	struct options o;
	const char *seed = getenv("BENCH_SEED");
	size_t failures = 0, n = 0;
	parse(argc, argv, &o);
	if (!seed || !*seed)
		seed = BENCH_DEFAULT_SEED;
	unsigned *pick = bench_pick_users(o.users, o.warmup + o.count, o.used, o.rng_seed);
	int64_t *lat = malloc(sizeof(int64_t) * o.count);
	if (!pick || !lat)
		return 1;
	for (size_t i = 0; i < o.warmup; i++)
		if (login(&o, seed, pick[i], 1) < 0)
			failures++;
	if (failures * 2 > o.warmup) {
		fprintf(stderr, "pambench: %s: %zu of %zu warm-up logins failed\n", o.label,
		        failures, o.warmup);
		return 1;
	}
	failures = 0;
	int64_t sum = 0;
	for (size_t i = 0; i < o.count; i++) {
		int64_t t = login(&o, seed, pick[o.warmup + i], failures < SHOW_FAILURES);
		if (t < 0) {
			failures++;
			continue;
		}
		lat[n++] = t;
		sum += t;
	}
	bench_sort(lat, n);
	printf("RESULT label=%s users=%u count=%zu failures=%zu p50_us=%.0f p99_us=%.0f "
	       "mean_us=%.0f\n",
	       o.label, o.users, o.count, failures, bench_percentile(lat, n, 50) / 1e3,
	       bench_percentile(lat, n, 99) / 1e3, n ? (double)sum / (double)n / 1e3 : 0.0);
	free(lat);
	free(pick);
	if (failures * 1000 > o.count * 5) {
		fprintf(stderr,
		        "pambench: %s: %zu of %zu logins failed (> 0.5%%): not a benchmark\n",
		        o.label, failures, o.count);
		return 1;
	}
	return 0;
}
