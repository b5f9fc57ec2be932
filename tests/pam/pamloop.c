/* pamloop: many PAM transactions in one process, as a web application that
 * authenticates all day runs them (R12.5, tests/integration/test_memory.py).
 * Usage: pamloop SERVICE USER COUNT EVERY ANSWER...
 * Each transaction is pam_start, pam_authenticate, pam_end; every prompt takes the
 * next ANSWER (cycling). Every EVERY transactions it prints
 * "SAMPLE <n> <rss_kib> <heap_in_use_bytes>" (mallinfo2: arenas and mmapped blocks), and at the end
 * one "RESULT <pam_code> <count>" line per result seen. The first line names the allocator
 * ("ALLOCATOR glibc"). */
#include <malloc.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESULTS_MAX 64

/* Under a sanitizer, mallinfo2 and the resident set measure its allocator and
 * quarantine, not the module: the test skips the bound there. */
#if defined(__SANITIZE_ADDRESS__)
#define ALLOCATOR "asan"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define ALLOCATOR "sanitizer"
#endif
#endif
#ifndef ALLOCATOR
#define ALLOCATOR "glibc"
#endif

struct answers {
	char **text;
	int count;
	int next;
};

/* Answers each prompt with the next answer; messages without a prompt are ignored. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct answers *a = data;
	if (n <= 0)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof *r);
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;
		if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON)
			continue;
		r[i].resp = strdup(a->text[a->next++ % a->count]);
		if (!r[i].resp) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* The resident set, from /proc/self/statm, in KiB. */
static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int transaction(const char *service, const char *user, struct answers *a)
{
	struct pam_conv pc = {conv, a};
	pam_handle_t *ph = NULL;
	a->next = 0;
	int rc = pam_start(service, user, &pc, &ph);
	if (rc != PAM_SUCCESS)
		return rc;
	rc = pam_authenticate(ph, PAM_SILENT);
	pam_end(ph, rc);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: pamloop SERVICE USER COUNT EVERY ANSWER...\n");
		return 2;
	}
	long count = strtol(argv[3], NULL, 10), every = strtol(argv[4], NULL, 10);
	struct answers a = {argv + 5, argc - 5, 0};
	int codes[RESULTS_MAX] = {0};
	long seen[RESULTS_MAX] = {0};
	int kinds = 0;
	if (count <= 0 || every <= 0)
		return 2;
	printf("ALLOCATOR %s\n", ALLOCATOR);
	for (long n = 1; n <= count; n++) {
		int rc = transaction(argv[1], argv[2], &a), k = 0;
		while (k < kinds && codes[k] != rc)
			k++;
		if (k == kinds && kinds < RESULTS_MAX)
			codes[kinds++] = rc;
		if (k < kinds)
			seen[k]++;
		if (n % every == 0) {
			struct mallinfo2 mi = mallinfo2();
			printf("SAMPLE %ld %ld %zu\n", n, rss_kib(), mi.uordblks + mi.hblkhd);
			fflush(stdout);
		}
	}
	for (int k = 0; k < kinds; k++)
		printf("RESULT %d %ld\n", codes[k], seen[k]);
	return 0;
}
