/* Shared by the benchmark programs: user names, sampling and percentiles (no crypto: the secrets
 * and codes are in bench/code.c, which bench/pambench does not link). */
#include "common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bench_user(char out[BENCH_NAME_MAX], unsigned index)
{
	snprintf(out, BENCH_NAME_MAX, "u%07u", index);
}

/* xorshift64*: reproducible sampling from a seed. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ull;
}

/* Marks the indices listed in path; a missing file marks nothing. */
static int load_used(const char *path, unsigned n, unsigned char *used)
{
	FILE *f = fopen(path, "r");
	unsigned long v;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fscanf(f, "%lu", &v) == 1)
		if (v >= 1 && v <= n)
			used[v] = 1;
	fclose(f);
	return 0;
}

unsigned *bench_pick_users(unsigned n, size_t count, const char *used_path, uint64_t rng_seed)
{
	unsigned char *used = calloc((size_t)n + 1, 1);
	unsigned *free_idx = malloc(sizeof(unsigned) * ((size_t)n + 1));
	unsigned *out = NULL;
	size_t avail = 0;
	uint64_t state = rng_seed ? rng_seed : 88172645463325252ull;
	if (!used || !free_idx) {
		fprintf(stderr, "bench: out of memory\n");
		goto done;
	}
	if (used_path && load_used(used_path, n, used) != 0) {
		fprintf(stderr, "bench: cannot read %s: %s\n", used_path, strerror(errno));
		goto done;
	}
	for (unsigned i = 1; i <= n; i++)
		if (!used[i])
			free_idx[avail++] = i;
	if (count > avail) {
		fprintf(stderr, "bench: %zu users wanted, only %zu of %u unused\n", count, avail,
		        n);
		goto done;
	}
	/* Partial Fisher-Yates: the first count slots become the sample. */
	for (size_t i = 0; i < count; i++) {
		size_t j = i + (size_t)(next_random(&state) % (avail - i));
		unsigned t = free_idx[i];
		free_idx[i] = free_idx[j];
		free_idx[j] = t;
	}
	if (used_path) {
		FILE *f = fopen(used_path, "a");
		if (!f) {
			fprintf(stderr, "bench: cannot write %s: %s\n", used_path, strerror(errno));
			goto done;
		}
		for (size_t i = 0; i < count; i++)
			fprintf(f, "%u\n", free_idx[i]);
		if (fclose(f) != 0) {
			fprintf(stderr, "bench: cannot write %s\n", used_path);
			goto done;
		}
	}
	out = free_idx;
	free_idx = NULL;
done:
	free(used);
	free(free_idx);
	return out;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void bench_sort(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
}

int64_t bench_percentile(const int64_t *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

unsigned long bench_parse_ulong(const char *what, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "bench: %s: not a number: %s\n", what, s);
		exit(2);
	}
	return v;
}
