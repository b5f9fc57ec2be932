/* Backend-independent half of the storage interface: dispatch and key helpers. */
#include "store/store.h"

static const char *const table_names[STORE_TABLE_COUNT] = {
    "meta",  "accounts",   "otp",    "pending",      "audit",  "audit_by_user", "codes",
    "cards", "card_index", "google", "google_index", "mobile", "mobile_index",  "card_certs",
};

const char *store_table_name(enum store_table tb)
{
	return (unsigned)tb < STORE_TABLE_COUNT ? table_names[tb] : "?";
}

enum regs_err store_get(struct store_txn *t, enum store_table tb, struct store_val key,
                        struct store_val *val)
{
	return (*(const struct store_ops *const *)t)->get(t, tb, key, val);
}

void store_put(struct store_txn *t, enum store_table tb, struct store_val key, struct store_val val)
{
	(*(const struct store_ops *const *)t)->put(t, tb, key, val);
}

void store_del(struct store_txn *t, enum store_table tb, struct store_val key)
{
	(*(const struct store_ops *const *)t)->del(t, tb, key);
}

void store_scan(struct store_txn *t, enum store_table tb, struct store_val prefix,
                struct store_val start, store_scan_fn fn, void *ctx)
{
	(*(const struct store_ops *const *)t)->scan(t, tb, prefix, start, fn, ctx);
}

enum regs_err store_commit(struct store_txn *t)
{
	return (*(const struct store_ops *const *)t)->commit(t);
}

void store_abort(struct store_txn *t)
{
	if (t)
		(*(const struct store_ops *const *)t)->abort(t);
}

enum regs_err store_txn_error(const struct store_txn *t)
{
	return (*(const struct store_ops *const *)t)->txn_error(t);
}

int store_flush_idle(struct store *s, int max_wait_ms, enum regs_err *err)
{
	return s->ops->flush_idle(s, max_wait_ms, err);
}

const enum store_table store_account_tables[STORE_ACCOUNT_TABLES] = {
    STORE_ACCOUNTS, STORE_OTP,    STORE_PENDING,    STORE_CARDS,
    STORE_GOOGLE,   STORE_MOBILE, STORE_CARD_CERTS,
};

void store_prefetch(struct store_txn *t, const struct store_val *users, size_t n)
{
	const struct store_ops *ops = *(const struct store_ops *const *)t;
	if (ops->prefetch && n > 0)
		ops->prefetch(t, users, n);
}

enum regs_err store_begin_accounts(struct store *s, const struct store_val *users, size_t n,
                                   struct store_txn **t)
{
	if (s->ops->begin_accounts)
		return s->ops->begin_accounts(s, users, n, t);
	enum regs_err err = s->ops->begin(s, 1, t);
	if (err == REGS_OK)
		store_prefetch(*t, users, n);
	return err;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_key_compare(struct store_val a, struct store_val b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.data, b.data, n) : 0;
	if (c != 0)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

int store_has_prefix(struct store_val key, struct store_val prefix)
{
	return key.len >= prefix.len && memcmp(key.data, prefix.data, prefix.len) == 0;
}

void store_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t store_get_be64(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}
