/* The core's error codes: one enum, mapped to PAM codes, D-Bus errors and exit codes at the edges.
 */
#ifndef REGS_ERROR_H
#define REGS_ERROR_H

enum regs_err {
	REGS_OK = 0,
	REGS_ERR_NOMEM,
	REGS_ERR_INVALID, /* malformed input */
	REGS_ERR_NOT_FOUND,
	REGS_ERR_EXISTS,
	REGS_ERR_IO,          /* file or device error; errno is set */
	REGS_ERR_PERM,        /* unsafe file owner / mode */
	REGS_ERR_CRYPTO,      /* OpenSSL failure or authentication tag mismatch */
	REGS_ERR_STORAGE,     /* database failure */
	REGS_ERR_FULL,        /* database map or disk full */
	REGS_ERR_SCHEMA,      /* database written by another schema version */
	REGS_ERR_CONFIG,      /* bad configuration (message already reported) */
	REGS_ERR_FATAL,       /* the database environment failed: only a restart recovers */
	REGS_ERR_UNAVAILABLE, /* the database cannot be reached now (R10.2): try again later */
};

const char *regs_strerror(enum regs_err err);

#include <stddef.h>

/* Writes why something failed into the caller's buffer (why, size), when it gave one. */
__attribute__((format(printf, 3, 4))) void regs_explain(char *why, size_t size, const char *fmt,
                                                        ...);

#endif
