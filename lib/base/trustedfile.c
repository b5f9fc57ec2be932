/* The one opener for trusted files: open without following links, fstat, check the kind's rule. */
#include "base/trustedfile.h"
#include "base/error.h"
#include "base/fileio.h"
#include "base/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct trusted_rule {
	int follow_links;       /* only anchors: the target is what is checked */
	int root_may_own;       /* files an administrator writes; regsd's own are regsd's */
	mode_t forbidden;       /* permission bits no one but the owner may have */
	int empty_refused;      /* data that is never empty */
	enum regs_err oversize; /* for a secret the cap is part of the rule */
};

static const struct trusted_rule trusted_rules[] = {
    [TRUSTED_CONFIG] = {0, 1, S_IWGRP | S_IWOTH, 0, REGS_ERR_INVALID},
    [TRUSTED_ANCHORS] = {1, 1, S_IWGRP | S_IWOTH, 1, REGS_ERR_INVALID},
    [TRUSTED_CACHE] = {0, 0, S_IWGRP | S_IWOTH, 1, REGS_ERR_INVALID},
    [TRUSTED_SECRET] = {0, 0, S_IRWXG | S_IRWXO, 0, REGS_ERR_PERM},
};

static enum regs_err trusted_check_owner(const struct trusted_rule *rule, const struct stat *st,
                                         char *why, size_t whylen)
{
	if (st->st_uid == geteuid() || (rule->root_may_own && st->st_uid == 0))
		return REGS_OK;
	/* Whoever owns a file can change it, or make it readable to anyone. */
	if (rule->root_may_own)
		regs_explain(why, whylen, "refused: owned by uid %u, not root",
		             (unsigned)st->st_uid);
	else
		regs_explain(why, whylen,
		             "refused: owned by uid %u, not by uid %u that regsd runs as",
		             (unsigned)st->st_uid, (unsigned)geteuid());
	return REGS_ERR_PERM;
}

static enum regs_err trusted_check_mode(const struct trusted_rule *rule, const struct stat *st,
                                        char *why, size_t whylen)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	if ((st->st_mode & rule->forbidden) == 0)
		return REGS_OK;
	if (rule->forbidden & (S_IRGRP | S_IROTH))
		regs_explain(why, whylen,
		             "refused: group or others have access (mode %04o; a secret file must "
		             "be 0600 or 0400)",
		             mode);
	else
		regs_explain(why, whylen, "refused: writable by group or others (mode %04o)", mode);
	return REGS_ERR_PERM;
}

enum regs_err trusted_file_check(enum trusted_kind kind, const struct stat *st, size_t max,
                                 char *why, size_t whylen)
{
	const struct trusted_rule *rule = &trusted_rules[kind];
	regs_explain(why, whylen, "%s", "");
	if (!S_ISREG(st->st_mode)) {
		regs_explain(why, whylen, "refused: not a regular file");
		return REGS_ERR_PERM;
	}
	enum regs_err err = trusted_check_owner(rule, st, why, whylen);
	if (err == REGS_OK)
		err = trusted_check_mode(rule, st, why, whylen);
	if (err != REGS_OK)
		return err;
	if (st->st_size < 0 || (uint64_t)st->st_size > max) {
		regs_explain(why, whylen, "refused: larger than %zu bytes", max);
		return rule->oversize;
	}
	if (st->st_size == 0 && rule->empty_refused) {
		regs_explain(why, whylen, "refused: empty");
		return REGS_ERR_INVALID;
	}
	return REGS_OK;
}

/* The error of a failed open, with errno kept for the caller. */
static enum regs_err trusted_open_failed(const struct trusted_rule *rule, char *why, size_t whylen)
{
	int saved = errno;
	enum regs_err err = REGS_ERR_IO;
	if (saved == ENOENT)
		err = REGS_ERR_NOT_FOUND;
	if (saved == ELOOP && !rule->follow_links) {
		regs_explain(why, whylen, "refused: a symbolic link");
		err = REGS_ERR_PERM;
	} else {
		regs_explain(why, whylen, "cannot open: %s", strerror(saved));
	}
	errno = saved;
	return err;
}

enum regs_err trusted_file_open(const char *path, enum trusted_kind kind, size_t max, int *fd,
                                size_t *size, char *why, size_t whylen)
{
	const struct trusted_rule *rule = &trusted_rules[kind];
	int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (rule->follow_links ? 0 : O_NOFOLLOW);
	struct stat st;
	*fd = -1;
	*size = 0;
	regs_explain(why, whylen, "%s", "");
	int f = open(path, flags);
	if (f < 0)
		return trusted_open_failed(rule, why, whylen);
	if (fstat(f, &st) != 0) {
		int saved = errno;
		regs_explain(why, whylen, "cannot stat: %s", strerror(saved));
		close(f);
		errno = saved;
		return REGS_ERR_IO;
	}
	enum regs_err err = trusted_file_check(kind, &st, max, why, whylen);
	if (err != REGS_OK) {
		close(f);
		return err;
	}
	*fd = f;
	*size = (size_t)st.st_size;
	return REGS_OK;
}

/* Reads until the end of the file, at most max bytes (one more tells a file that grew). */
static enum regs_err trusted_read_all(int fd, enum trusted_kind kind, char *buf, size_t max,
                                      size_t *len, char *why, size_t whylen)
{
	*len = 0;
	while (*len <= max) {
		ssize_t n = read(fd, buf + *len, max + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			regs_explain(why, whylen, "cannot read: %s", strerror(errno));
			return REGS_ERR_IO;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len > max) {
		regs_explain(why, whylen, "refused: larger than %zu bytes", max);
		return trusted_rules[kind].oversize;
	}
	if (memchr(buf, '\0', *len) != NULL) {
		regs_explain(why, whylen, "refused: contains a NUL byte");
		return REGS_ERR_INVALID;
	}
	return REGS_OK;
}

enum regs_err trusted_file_read_text(const char *path, enum trusted_kind kind, size_t max,
                                     char **out, char *why, size_t whylen)
{
	int fd;
	size_t size, len = 0;
	*out = NULL;
	enum regs_err err = trusted_file_open(path, kind, max, &fd, &size, why, whylen);
	if (err != REGS_OK)
		return err;
	char *buf = malloc(max + 2);
	if (buf == NULL)
		err = REGS_ERR_NOMEM;
	else
		err = trusted_read_all(fd, kind, buf, max, &len, why, whylen);
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

enum regs_err trusted_file_read_bytes(const char *path, enum trusted_kind kind, size_t max,
                                      uint8_t **out, size_t *len, char *why, size_t whylen)
{
	int fd;
	size_t size;
	*out = NULL;
	*len = 0;
	enum regs_err err = trusted_file_open(path, kind, max, &fd, &size, why, whylen);
	if (err != REGS_OK)
		return err;
	uint8_t *buf = malloc(size > 0 ? size : 1);
	if (buf == NULL) {
		err = REGS_ERR_NOMEM;
	} else if (regs_read_exact(fd, buf, size) != 0) {
		regs_explain(why, whylen, "cannot read: the file changed while being read");
		err = REGS_ERR_IO;
	}
	close(fd);
	if (err != REGS_OK) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = size;
	return REGS_OK;
}
