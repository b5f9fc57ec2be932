/* Opening a file the program trusts: one opener, whose rule is chosen by what the file is. */
#ifndef REGS_TRUSTEDFILE_H
#define REGS_TRUSTEDFILE_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* What a file is decides who may have written it. Every kind must be a regular file; the
 * rules differ in owner, mode, symbolic links and what a file over its size cap is. */
enum trusted_kind {
	/* Settings an administrator writes (regs.conf): no symbolic link, owned by root or by
	 * the user reading it, not writable by group or others. */
	TRUSTED_CONFIG,
	/* Public data an administrator writes (trust-anchor bundles): as TRUSTED_CONFIG, but a
	 * symbolic link is followed (bundles often link into /etc/ssl; the target is checked)
	 * and an empty file is refused. */
	TRUSTED_ANCHORS,
	/* What regsd wrote for itself (the CRL cache): no symbolic link, owned by the user
	 * reading it, not writable by group or others, not empty. */
	TRUSTED_CACHE,
	/* Secrets (seal key, SMTP password, OpenID client file, mobile-ID key): no symbolic
	 * link, owned by the user reading it (regsd: root), no permission bit for group or
	 * others (0600 or 0400). Over the cap breaks the rule: REGS_ERR_PERM. */
	TRUSTED_SECRET,
};

#define TRUSTED_WHY_MAX 160

/* The kind's rule on what fstat says, with the size cap max. REGS_ERR_PERM when the type,
 * owner or mode break it; a size over max (or an empty file where refused) gives
 * REGS_ERR_INVALID, or REGS_ERR_PERM for a secret. why (may be NULL) says which part
 * failed; it never holds the file's content. */
enum regs_err trusted_file_check(enum trusted_kind kind, const struct stat *st, size_t max,
                                 char *why, size_t whylen);

/* Opens path read-only (non-blocking, so a planted FIFO cannot hang the caller) and checks
 * it as above. On REGS_OK *fd is open (the caller closes it) and *size is its size. A
 * missing file gives REGS_ERR_NOT_FOUND, a symbolic link where refused REGS_ERR_PERM, any
 * other failure to open or stat REGS_ERR_IO. */
enum regs_err trusted_file_open(const char *path, enum trusted_kind kind, size_t max, int *fd,
                                size_t *size, char *why, size_t whylen);

/* Opens and checks path, and reads it whole (at most max bytes, even if it grew since the
 * check) into a new NUL-terminated buffer; a file holding a NUL byte gives
 * REGS_ERR_INVALID. Free the buffer with regs_free_secret_str (it is wiped on failure). */
enum regs_err trusted_file_read_text(const char *path, enum trusted_kind kind, size_t max,
                                     char **out, char *why, size_t whylen);

/* Opens and checks path, and reads exactly the size fstat gave into a new buffer (free
 * it); a file that shrank while being read gives REGS_ERR_IO. */
enum regs_err trusted_file_read_bytes(const char *path, enum trusted_kind kind, size_t max,
                                      uint8_t **out, size_t *len, char *why, size_t whylen);

#endif
