/* The wiped growable buffer: mail messages, JSON bodies and HTTP answers are built in it. */
#include "base/buf.h"
#include "base/wipe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REGS_BUF_FIRST 256

/* Twice the old size (linear in the length however small the pieces), at least need, at
 * most max + 1. */
static size_t regs_buf_new_cap(const struct regs_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : REGS_BUF_FIRST;
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	if (b->max > 0 && b->max < SIZE_MAX && cap > b->max + 1)
		cap = b->max + 1;
	return cap;
}

enum regs_err regs_buf_reserve(struct regs_buf *b, size_t more)
{
	if (b->err != REGS_OK)
		return b->err;
	if (more > SIZE_MAX - 1 - b->len || (b->max > 0 && b->len + more > b->max)) {
		b->err = REGS_ERR_FULL;
		return b->err;
	}
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return REGS_OK;
	size_t cap = regs_buf_new_cap(b, need);
	char *grown = malloc(cap);
	if (grown == NULL) {
		b->err = REGS_ERR_NOMEM;
		return b->err;
	}
	if (b->data != NULL) {
		memcpy(grown, b->data, b->len + 1);
		regs_wipe(b->data, b->cap);
		free(b->data);
	} else {
		grown[0] = '\0';
	}
	b->data = grown;
	b->cap = cap;
	return REGS_OK;
}

enum regs_err regs_buf_append(struct regs_buf *b, const void *data, size_t n)
{
	enum regs_err err = regs_buf_reserve(b, n);
	if (err != REGS_OK)
		return err;
	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return REGS_OK;
}

enum regs_err regs_buf_append_str(struct regs_buf *b, const char *s)
{
	return regs_buf_append(b, s, strlen(s));
}

void regs_buf_fail(struct regs_buf *b, enum regs_err err)
{
	if (b->err == REGS_OK)
		b->err = err;
}

void regs_buf_clear(struct regs_buf *b)
{
	if (b->data != NULL) {
		regs_wipe(b->data, b->len);
		b->data[0] = '\0';
	}
	b->len = 0;
}

void regs_buf_free(struct regs_buf *b)
{
	if (b->data != NULL) {
		regs_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
	b->err = REGS_OK;
}

char *regs_buf_take(struct regs_buf *b, size_t *len)
{
	if (len != NULL)
		*len = 0;
	if (b->err == REGS_OK && b->data == NULL)
		regs_buf_reserve(b, 0);
	if (b->err != REGS_OK) {
		regs_buf_free(b);
		return NULL;
	}
	char *out = b->data;
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return out;
}
