/* The one check for files that hold secrets, and the reader built on it. */
#include "store/secretfile.h"
#include "base/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static void secret_why(char *why, size_t whylen,
                                                             const char *fmt, ...);

static void secret_why(char *why, size_t whylen, const char *fmt, ...)
{
	if (why == NULL || whylen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

enum regs_err secret_file_check(const struct stat *st, size_t max, char *why, size_t whylen)
{
	secret_why(why, whylen, "%s", "");
	if (!S_ISREG(st->st_mode)) {
		secret_why(why, whylen, "refused: not a regular file");
		return REGS_ERR_PERM;
	}
	/* Whoever owns the file can make it readable to anyone: only regsd's own user. */
	if (st->st_uid != geteuid()) {
		secret_why(why, whylen,
		           "refused: owned by uid %u, not by uid %u that regsd runs as",
		           (unsigned)st->st_uid, (unsigned)geteuid());
		return REGS_ERR_PERM;
	}
	if ((st->st_mode & 077) != 0) {
		secret_why(why, whylen,
		           "refused: group or others have access (mode %04o; a secret file must "
		           "be 0600 or 0400)",
		           (unsigned)(st->st_mode & 07777));
		return REGS_ERR_PERM;
	}
	if (st->st_size < 0 || (size_t)st->st_size > max) {
		secret_why(why, whylen, "refused: larger than %zu bytes", max);
		return REGS_ERR_PERM;
	}
	return REGS_OK;
}

/* Reads at most max bytes (one more tells a file that grew since fstat). */
static enum regs_err secret_read_all(int fd, char *buf, size_t max, size_t *len, char *why,
                                     size_t whylen)
{
	*len = 0;
	while (*len <= max) {
		ssize_t n = read(fd, buf + *len, max + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			secret_why(why, whylen, "cannot read: %s", strerror(errno));
			return REGS_ERR_IO;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len > max) {
		secret_why(why, whylen, "refused: larger than %zu bytes", max);
		return REGS_ERR_PERM;
	}
	if (memchr(buf, '\0', *len) != NULL) {
		secret_why(why, whylen, "refused: contains a NUL byte");
		return REGS_ERR_INVALID;
	}
	return REGS_OK;
}

enum regs_err secret_file_read_text(const char *path, size_t max, char **out, char *why,
                                    size_t whylen)
{
	struct stat st;
	size_t len = 0;
	*out = NULL;
	secret_why(why, whylen, "%s", "");
	/* O_NONBLOCK: a FIFO planted at the path must not hang regsd before fstat. */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno;
		secret_why(why, whylen, "%s",
		           saved == ELOOP ? "refused: a symbolic link" : strerror(saved));
		return saved == ENOENT  ? REGS_ERR_NOT_FOUND
		       : saved == ELOOP ? REGS_ERR_PERM
		                        : REGS_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		secret_why(why, whylen, "cannot stat: %s", strerror(errno));
		close(fd);
		return REGS_ERR_IO;
	}
	enum regs_err err = secret_file_check(&st, max, why, whylen);
	char *buf = err == REGS_OK ? malloc(max + 2) : NULL;
	if (err == REGS_OK && buf == NULL)
		err = REGS_ERR_NOMEM;
	if (err == REGS_OK)
		err = secret_read_all(fd, buf, max, &len, why, whylen);
	close(fd);
	if (buf != NULL)
		buf[len] = '\0';
	if (err != REGS_OK) {
		if (buf != NULL)
			regs_wipe(buf, max + 2);
		free(buf);
		return err;
	}
	*out = buf;
	return REGS_OK;
}
