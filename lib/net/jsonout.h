/* JSON objects of string members, written by hand rather than with json-c: a request body may hold
 * a secret (the national ID number), and json-c's copies of it (and its printbuf) cannot be
 * wiped. The text is built in a wiped buffer (base/buf.h). */
#ifndef REGS_JSONOUT_H
#define REGS_JSONOUT_H
#include "base/buf.h"
#include <stddef.h>

struct jsonout {
	struct regs_buf buf;
};

/* Starts an object of at most max bytes ("{"). */
void jsonout_begin(struct jsonout *j, size_t max);
/* Adds "name":"value". A name or value that is not well-formed UTF-8 fails the object (a
 * service that replaced the byte would no longer match a checksum over it); '"', '\' and
 * control characters are escaped, everything else is written as it is. */
void jsonout_member(struct jsonout *j, const char *name, const char *value);
/* Closes the object and hands it over (malloc'd: free it with regs_free_secret_str), or NULL
 * when a step failed (too long, no memory, not UTF-8): then everything is wiped. */
char *jsonout_finish(struct jsonout *j);

#endif
