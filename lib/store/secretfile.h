/* Files that hold secrets (seal key, SMTP password, OpenID client file, mobile-ID key): one rule
 * for all of them. */
#ifndef REGS_SECRETFILE_H
#define REGS_SECRETFILE_H
#include "base/error.h"
#include <stddef.h>
#include <sys/stat.h>

#define SECRET_FILE_WHY_MAX 160

/* The rule, on what fstat of the opened file says: a regular file owned by the user regsd
 * runs as (root), with no permission bits for group or others, at most max bytes. On a
 * refusal (REGS_ERR_PERM) why says which part failed and how to fix it; it never holds
 * the file's content. */
enum regs_err secret_file_check(const struct stat *st, size_t max, char *why, size_t whylen);

/* Opens path (O_NOFOLLOW: a symbolic link is refused), checks it as above and reads it
 * whole into a new NUL-terminated buffer; a file holding a NUL byte is refused. Free the
 * buffer with regs_free_secret_str. A missing file gives REGS_ERR_NOT_FOUND. */
enum regs_err secret_file_read_text(const char *path, size_t max, char **out, char *why,
                                    size_t whylen);

#endif
