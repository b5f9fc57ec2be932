/* Human-readable text for the core's error codes (never includes secrets). */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

const char *regs_strerror(enum regs_err err)
{
	switch (err) {
	case REGS_OK:
		return "success";
	case REGS_ERR_NOMEM:
		return "out of memory";
	case REGS_ERR_INVALID:
		return "malformed input";
	case REGS_ERR_NOT_FOUND:
		return "not found";
	case REGS_ERR_EXISTS:
		return "already exists";
	case REGS_ERR_IO:
		return "input/output error";
	case REGS_ERR_PERM:
		return "unsafe file owner or mode";
	case REGS_ERR_CRYPTO:
		return "cryptographic failure";
	case REGS_ERR_STORAGE:
		return "database failure";
	case REGS_ERR_FULL:
		return "database or disk full";
	case REGS_ERR_SCHEMA:
		return "database written by another schema version";
	case REGS_ERR_CONFIG:
		return "bad configuration";
	case REGS_ERR_FATAL:
		return "database environment failed (regsd must restart)";
	case REGS_ERR_UNAVAILABLE:
		return "database unreachable";
	}
	return "unknown error";
}

void regs_explain(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}
