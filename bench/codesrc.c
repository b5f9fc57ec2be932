/* The benchmark users' current codes from a bench/pamcodes helper process (bench/codesrc.h). */
#include "codesrc.h"
#include "base/fileio.h"
#include "common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(const char *what)
{
	fprintf(stderr, "pambench: code helper: %s: %s\n", what, errno ? strerror(errno) : "EOF");
	exit(1);
}

void codesrc_open(struct codesrc *c, const char *path)
{
	int to[2], from[2];
	if (pipe(to) != 0 || pipe(from) != 0)
		fail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0)
			_exit(127);
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->to_fd = to[1];
	c->from_fd = from[0];
}

void codesrc_get(struct codesrc *c, const char *user, char out[7])
{
	char line[BENCH_NAME_MAX + 1], answer[8];
	int n = snprintf(line, sizeof(line), "%s\n", user);
	errno = 0;
	if (n < 0 || (size_t)n >= sizeof(line) || regs_write_all(c->to_fd, line, (size_t)n) != 0)
		fail("write");
	if (regs_read_exact(c->from_fd, answer, sizeof(answer) - 1) != 0 || answer[6] != '\n')
		fail("read");
	memcpy(out, answer, 6);
	out[6] = '\0';
}
