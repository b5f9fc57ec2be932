/* The PostgreSQL store's pending writes: kept in (table, key) order until the transaction sends
 * them, as one INSERT and one DELETE, with its commit or before a scan. */
#include "store/pgstore.h"
#include <stdio.h>
#include <stdlib.h>

/* (table, key) in bytea's order: store_key_compare (byteacmp orders the same). */
static int key_cmp(uint16_t atb, struct store_val a, uint16_t btb, struct store_val b)
{
	if (atb != btb)
		return atb < btb ? -1 : 1;
	return store_key_compare(a, b);
}

int pg_writes_find(const struct pg_writes *ws, uint16_t tb, struct store_val key, size_t *at)
{
	size_t lo = 0, hi = ws->n;
	/* Writes mostly come in key order (a copy): look at the end first. */
	if (hi > 0 && key_cmp(ws->w[hi - 1].tb, ws->w[hi - 1].key, tb, key) < 0) {
		*at = hi;
		return 0;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(ws->w[mid].tb, ws->w[mid].key, tb, key);
		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

/* A copy of v kept until the end of the transaction. */
static int keep_copy(struct pg_writes *ws, struct store_val v, struct store_val *out)
{
	if (ws->nkeep == ws->capkeep) {
		size_t cap = ws->capkeep ? 2 * ws->capkeep : 64;
		void **k = realloc(ws->keep, cap * sizeof(*k));
		if (!k)
			return -1;
		ws->keep = k;
		ws->capkeep = cap;
	}
	void *copy = malloc(v.len ? v.len : 1);
	if (!copy)
		return -1;
	if (v.len)
		memcpy(copy, v.data, v.len);
	ws->keep[ws->nkeep++] = copy;
	*out = (struct store_val){copy, v.len};
	return 0;
}

static int make_room(struct pg_writes *ws)
{
	if (ws->n < ws->cap)
		return 0;
	size_t cap = ws->cap ? 2 * ws->cap : 32;
	struct pg_write *w = realloc(ws->w, cap * sizeof(*w));
	if (!w)
		return -1;
	ws->w = w;
	ws->cap = cap;
	return 0;
}

enum regs_err pg_writes_set(struct pg_writes *ws, uint16_t tb, struct store_val key,
                            const struct store_val *val)
{
	size_t at;
	struct store_val v = {NULL, 0};
	if (val && keep_copy(ws, *val, &v) != 0)
		return REGS_ERR_NOMEM;
	if (pg_writes_find(ws, tb, key, &at)) {
		ws->bytes += v.len;
		ws->w[at].del = val == NULL;
		ws->w[at].val = v;
		return REGS_OK;
	}
	struct store_val k;
	if (make_room(ws) != 0 || keep_copy(ws, key, &k) != 0)
		return REGS_ERR_NOMEM;
	memmove(ws->w + at + 1, ws->w + at, (ws->n - at) * sizeof(*ws->w));
	ws->w[at] = (struct pg_write){tb, val == NULL, k, v};
	ws->n++;
	ws->bytes += k.len + v.len;
	return REGS_OK;
}

/* A bytea literal in hex ('\x...'): standard_conforming_strings is on in every session. */
static void put_bytea(struct regs_buf *sql, struct store_val v)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = v.data;
	if (regs_buf_reserve(sql, 2 * v.len + 16) != REGS_OK)
		return;
	regs_buf_append_str(sql, "'\\x");
	for (size_t i = 0; i < v.len; i++) {
		char h[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
		regs_buf_append(sql, h, 2);
	}
	regs_buf_append_str(sql, "'::bytea");
}

static void put_row_start(struct regs_buf *sql, int first, uint16_t tb)
{
	char num[16];
	snprintf(num, sizeof(num), "%s(%u,", first ? "" : ",", (unsigned)tb);
	regs_buf_append_str(sql, num);
}

static void sql_puts(const struct pg_writes *ws, struct regs_buf *sql)
{
	int first = 1;
	for (size_t i = 0; i < ws->n; i++) {
		if (ws->w[i].del)
			continue;
		if (first)
			regs_buf_append_str(sql, "INSERT INTO regs_kv (tb, k, v) VALUES ");
		put_row_start(sql, first, ws->w[i].tb);
		put_bytea(sql, ws->w[i].key);
		regs_buf_append_str(sql, ",");
		put_bytea(sql, ws->w[i].val);
		regs_buf_append_str(sql, ")");
		first = 0;
	}
	if (!first)
		regs_buf_append_str(sql, " ON CONFLICT (tb, k) DO UPDATE SET v = EXCLUDED.v; ");
}

static void sql_dels(const struct pg_writes *ws, struct regs_buf *sql)
{
	int first = 1;
	for (size_t i = 0; i < ws->n; i++) {
		if (!ws->w[i].del)
			continue;
		if (first)
			regs_buf_append_str(sql, "DELETE FROM regs_kv WHERE (tb, k) IN (");
		put_row_start(sql, first, ws->w[i].tb);
		put_bytea(sql, ws->w[i].key);
		regs_buf_append_str(sql, ")");
		first = 0;
	}
	if (!first)
		regs_buf_append_str(sql, "); ");
}

void pg_writes_sql(const struct pg_writes *ws, struct regs_buf *sql)
{
	sql_puts(ws, sql);
	sql_dels(ws, sql);
}

void pg_writes_sent(struct pg_writes *ws)
{
	ws->n = 0;
	ws->bytes = 0;
}

void pg_writes_free(struct pg_writes *ws)
{
	for (size_t i = 0; i < ws->nkeep; i++)
		free(ws->keep[i]);
	free(ws->keep);
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}
