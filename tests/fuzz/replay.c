/* Replays fuzz inputs without libFuzzer, so that every `make check` (gcc, no clang) runs each
 * checked-in corpus as a regression test (R12.6). With arguments: the files, and the files of
 * the directories, given. Without: $REGS_SRCDIR/tests/fuzz/corpus/NAME. Prints TAP; a crashing
 * input aborts the run, and the TAP driver reports the test as failed. */
#include "fuzz_util.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Runs one file, in a buffer of exactly its size so that AddressSanitizer sees an overread. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		printf("# cannot open %s\n", path);
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			uint8_t *grown = realloc(buf, cap *= 2);
			if (grown == NULL)
				free(buf);
			buf = grown;
		}
	}
	fclose(f);
	if (buf == NULL)
		return -1;
	uint8_t *exact = malloc(len > 0 ? len : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	fflush(stdout);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int name_order(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; the count in *n. */
static int replay_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		printf("# cannot open %s\n", dir);
		return -1;
	}
	char **names = NULL;
	size_t count = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **grown = realloc(names, (count + 1) * sizeof(*names));
		if (grown == NULL) {
			rc = -1;
			break;
		}
		names = grown;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		names[count] = malloc(len);
		if (names[count] == NULL) {
			rc = -1;
			break;
		}
		snprintf(names[count++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(*names), name_order);
	for (size_t i = 0; i < count; i++) {
		struct stat st;
		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			rc = replay_file(names[i]);
			(*n)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int replay_path(const char *path, size_t *n)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("# no such file or directory: %s\n", path);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return replay_dir(path, n);
	(*n)++;
	return replay_file(path);
}

int main(int argc, char **argv)
{
	char dflt[4096];
	size_t n = 0;
	int rc = 0;
	printf("1..1\n");
	if (argc < 2) {
		const char *src = getenv("REGS_SRCDIR");
		snprintf(dflt, sizeof(dflt), "%s/tests/fuzz/corpus/%s", src ? src : ".",
		         fuzz_target_name);
		rc = replay_path(dflt, &n);
	}
	for (int i = 1; i < argc && rc == 0; i++)
		rc = replay_path(argv[i], &n);
	int ok = rc == 0 && n > 0;
	printf("# replayed %zu inputs\n", n);
	printf("%s 1 - test_R12_6_fuzz_%s_corpus_replays\n", ok ? "ok" : "not ok",
	       fuzz_target_name);
	return ok ? 0 : 1;
}
