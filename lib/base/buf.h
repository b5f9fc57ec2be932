/* A growable buffer for text that may hold a secret: no block it leaves behind keeps a copy. */
#ifndef REGS_BUF_H
#define REGS_BUF_H
#include "base/error.h"
#include <stddef.h>

/* Start it with REGS_BUF_INIT(max); max = 0 means no limit but memory. Errors are sticky: after
 * the first failure every append fails alike, and regs_buf_take hands out nothing. */
struct regs_buf {
	char *data; /* NUL-terminated when not NULL; len does not count the NUL */
	size_t len, cap;
	size_t max;        /* the most bytes it holds (not counting the NUL) */
	enum regs_err err; /* REGS_OK, or the first failure: REGS_ERR_NOMEM, _FULL, or one set */
};
#define REGS_BUF_INIT(maximum)                                                                     \
	{                                                                                          \
		NULL, 0, 0, (maximum), REGS_OK                                                     \
	}

/* Room for more bytes and the NUL. Growing copies into a new block and wipes the old one
 * (realloc would free it with the secret still inside). REGS_ERR_FULL past max. */
enum regs_err regs_buf_reserve(struct regs_buf *b, size_t more);
/* Appends n bytes (they may include NULs) and keeps the NUL after them. */
enum regs_err regs_buf_append(struct regs_buf *b, const void *data, size_t n);
enum regs_err regs_buf_append_str(struct regs_buf *b, const char *s);
/* Marks the buffer failed with err (e.g. the caller refused the input), unless it already is. */
void regs_buf_fail(struct regs_buf *b, enum regs_err err);
/* Wipes what it holds and empties it; keeps the block, the limit and the error. */
void regs_buf_clear(struct regs_buf *b);
/* Wipes and frees the block; the buffer is empty, without error, with its limit. */
void regs_buf_free(struct regs_buf *b);
/* Hands the text over (malloc'd, NUL-terminated; "" when nothing was appended) with its length
 * in *len (may be NULL), leaving the buffer empty. NULL when the buffer failed or memory ran
 * out: then everything is wiped and freed. */
char *regs_buf_take(struct regs_buf *b, size_t *len);

#endif
