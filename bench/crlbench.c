/* CRL load and lookup cost of libregs (lib/pki/crl.h), the code regsd runs for every CRL it fetches
 * and for every card login's revocation check.
 *
 *   crlbench --crl FILE.der --anchors BUNDLE.pem [--loads N] [--lookups M] [--seed S]
 *
 * Loads: the DER file is read once; crl_parse runs N times with the anchors (signature
 * verified, as regsd does) and N times without (parse + sort only). For comparison, OpenSSL's
 * d2i_X509_CRL runs once on the same bytes (it also yields the listed serials used below).
 * Lookups: M calls of crl_is_revoked (the hex form regsd uses), half with serials listed in the
 * CRL and half with random 16-byte serials, in random order; every answer is checked. Output is
 * key=value lines. */
#include "common.h"
#include "pki/crl.h"
#include "pki/x509.h"
#include <errno.h>
#include <getopt.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define HEX_MAX 48 /* 20-byte serial in hex, a sign and the NUL */
#define MISS_POOL 65536

static uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ull;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	if (!f) {
		fprintf(stderr, "crlbench: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)size)) || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "crlbench: cannot read %s\n", path);
		free(buf);
		buf = NULL;
	} else {
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

static long max_rss_kib(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

/* N crl_parse runs; the median and the minimum in microseconds; *count the serials listed. */
static int time_loads(const uint8_t *der, size_t len, const struct x509_anchors *anchors,
                      unsigned long n, int64_t *median_us, int64_t *min_us, size_t *count)
{
	int64_t *t = malloc(sizeof(int64_t) * n);
	if (!t)
		return -1;
	for (unsigned long i = 0; i < n; i++) {
		struct crl_set *set = NULL;
		int64_t t0 = bench_now_ns();
		enum regs_err err = crl_parse(der, len, anchors, &set, NULL, NULL);
		t[i] = bench_now_ns() - t0;
		if (err != REGS_OK) {
			fprintf(stderr, "crlbench: crl_parse%s: %s\n", anchors ? " (anchors)" : "",
			        regs_strerror(err));
			free(t);
			return -1;
		}
		*count = crl_set_count(set);
		crl_set_free(set);
	}
	bench_sort(t, n);
	*median_us = bench_percentile(t, n, 50) / 1000;
	*min_us = t[0] / 1000;
	free(t);
	return 0;
}

/* The listed serials as x509_identity-style hex (BN_bn2hex: upper case, "-" when negative). */
static char (*listed_serials(X509_CRL *crl, size_t *n))[HEX_MAX]
{
	STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
	int total = rev ? sk_X509_REVOKED_num(rev) : 0;
	char(*out)[HEX_MAX] = calloc(total > 0 ? (size_t)total : 1, HEX_MAX);
	*n = 0;
	if (!out)
		return NULL;
	for (int i = 0; i < total; i++) {
		const ASN1_INTEGER *s =
		    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(rev, i));
		BIGNUM *bn = ASN1_INTEGER_to_BN(s, NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;
		if (hex && strlen(hex) < HEX_MAX)
			snprintf(out[(*n)++], HEX_MAX, "%s", hex);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	return out;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: crlbench --crl FILE.der --anchors BUNDLE.pem [--loads N] "
	           "[--lookups M] [--seed S]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"crl", required_argument, NULL, 'c'},
	    {"anchors", required_argument, NULL, 'a'},
	    {"loads", required_argument, NULL, 'l'},
	    {"lookups", required_argument, NULL, 'k'},
	    {"seed", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *crl_path = NULL, *anchors_path = NULL;
	unsigned long loads = 5, lookups = 1000000;
	uint64_t seed = 20261127;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			crl_path = optarg;
			break;
		case 'a':
			anchors_path = optarg;
			break;
		case 'l':
			loads = bench_parse_ulong("--loads", optarg);
			break;
		case 'k':
			lookups = bench_parse_ulong("--lookups", optarg);
			break;
		case 's':
			seed = bench_parse_ulong("--seed", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !crl_path || !anchors_path || loads == 0 || lookups == 0) {
		usage(stderr);
		return 2;
	}

	struct x509_anchors *anchors = NULL;
	enum regs_err err = x509_anchors_load(anchors_path, &anchors);
	if (err != REGS_OK) {
		fprintf(stderr, "crlbench: %s: %s\n", anchors_path, regs_strerror(err));
		return 1;
	}
	size_t len = 0;
	uint8_t *der = read_file(crl_path, &len);
	if (!der)
		return 1;

	/* Loads. */
	int64_t verified_med, verified_min, plain_med, plain_min;
	size_t count = 0, count_plain = 0;
	long rss0 = max_rss_kib();
	if (time_loads(der, len, anchors, loads, &verified_med, &verified_min, &count) != 0 ||
	    time_loads(der, len, NULL, loads, &plain_med, &plain_min, &count_plain) != 0)
		return 1;
	long rss1 = max_rss_kib();
	const uint8_t *p = der;
	int64_t t0 = bench_now_ns();
	X509_CRL *ossl = d2i_X509_CRL(NULL, &p, (long)len);
	int64_t ossl_us = (bench_now_ns() - t0) / 1000;
	if (!ossl) {
		fprintf(stderr, "crlbench: OpenSSL cannot parse %s\n", crl_path);
		return 1;
	}
	printf("crlbench: load crl_bytes=%zu serials=%zu loads=%lu verified_median_us=%lld "
	       "verified_min_us=%lld unverified_median_us=%lld unverified_min_us=%lld "
	       "openssl_d2i_us=%lld maxrss_growth_kib=%ld\n",
	       len, count, loads, (long long)verified_med, (long long)verified_min,
	       (long long)plain_med, (long long)plain_min, (long long)ossl_us, rss1 - rss0);

	/* Lookups: half listed serials, half random ones, in random order. */
	size_t nlisted = 0;
	char(*listed)[HEX_MAX] = listed_serials(ossl, &nlisted);
	X509_CRL_free(ossl);
	char(*misses)[HEX_MAX] = calloc(MISS_POOL, HEX_MAX);
	const char **query = malloc(sizeof(*query) * lookups);
	unsigned char *want = malloc(lookups);
	if (!listed || !misses || !query || !want || nlisted == 0) {
		fprintf(stderr, "crlbench: no serials, or out of memory\n");
		return 1;
	}
	uint64_t state = seed ? seed : 1;
	for (size_t i = 0; i < MISS_POOL; i++)
		snprintf(misses[i], HEX_MAX, "%016llX%016llX",
		         (unsigned long long)(rng_next(&state) | (1ull << 63)),
		         (unsigned long long)rng_next(&state));
	for (unsigned long i = 0; i < lookups; i++) {
		uint64_t r = rng_next(&state);
		want[i] = (unsigned char)(r & 1);
		query[i] = want[i] ? listed[(r >> 1) % nlisted] : misses[(r >> 1) % MISS_POOL];
	}
	struct crl_set *set = NULL;
	err = crl_parse(der, len, anchors, &set, NULL, NULL);
	if (err != REGS_OK) {
		fprintf(stderr, "crlbench: crl_parse: %s\n", regs_strerror(err));
		return 1;
	}
	unsigned long hits = 0, wrong = 0;
	t0 = bench_now_ns();
	for (unsigned long i = 0; i < lookups; i++) {
		int r = crl_is_revoked(set, query[i]);
		hits += r == 1;
		wrong += r != want[i];
	}
	int64_t lookup_ns = bench_now_ns() - t0;
	printf("crlbench: lookup serials=%zu lookups=%lu listed_asked=%lu wrong_answers=%lu "
	       "total_ms=%.1f ns_per_lookup=%.0f\n",
	       crl_set_count(set), lookups, hits, wrong, (double)lookup_ns / 1e6,
	       (double)lookup_ns / (double)lookups);
	crl_set_free(set);
	free(listed);
	free(misses);
	free(query);
	free(want);
	free(der);
	x509_anchors_free(anchors);
	return wrong == 0 ? 0 : 1;
}
