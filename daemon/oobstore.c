/* Google (R5.2) and mobile citizen certificate (R4) bindings, each with an index so that one
 * Google account or one ID number binds to one account only. */
#include "bindings.h"
#include <openssl/sha.h>
#include <string.h>

/* SHA-256(iss NUL sub): a fixed-size index key whatever the provider's lengths. */
static void google_key(const char *iss, const char *sub, uint8_t out[SHA256_DIGEST_LENGTH])
{
	char buf[2 * REC_FIELD_MAX];
	size_t ilen = strnlen(iss, REC_FIELD_MAX - 1), slen = strnlen(sub, REC_FIELD_MAX - 1);
	memcpy(buf, iss, ilen);
	buf[ilen] = '\0';
	memcpy(buf + ilen + 1, sub, slen);
	SHA256((const uint8_t *)buf, ilen + 1 + slen, out);
}

static void owner_of(struct request *r, enum store_table t, struct store_val key, char *user,
                     size_t size)
{
	struct store_val v;
	*user = '\0';
	if (store_get(r->txn, t, key, &v) == REGS_OK && v.len < size) {
		memcpy(user, v.data, v.len);
		user[v.len] = '\0';
	}
}

enum regs_err google_load(struct request *r, const char *user, struct google_rec *g)
{
	struct store_val v;
	enum regs_err err = store_get(r->txn, STORE_GOOGLE, store_str(user), &v);
	if (err != REGS_OK)
		return err;
	return google_rec_decode(v.data, v.len, g) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

void google_owner(struct request *r, const char *iss, const char *sub, char *user, size_t size)
{
	uint8_t k[SHA256_DIGEST_LENGTH];
	google_key(iss, sub, k);
	struct store_val key = {k, sizeof(k)};
	owner_of(r, STORE_GOOGLE_INDEX, key, user, size);
}

void google_delete(struct request *r, const char *user)
{
	struct google_rec g;
	uint8_t k[SHA256_DIGEST_LENGTH];
	if (google_load(r, user, &g) != REGS_OK)
		return;
	google_key(g.iss, g.sub, k);
	struct store_val key = {k, sizeof(k)};
	store_del(r->txn, STORE_GOOGLE_INDEX, key);
	store_del(r->txn, STORE_GOOGLE, store_str(user));
}

void google_save(struct request *r, const char *user, const struct google_rec *g)
{
	uint8_t k[SHA256_DIGEST_LENGTH], buf[REC_BUF_MAX];
	google_delete(r, user); /* a rebind frees the old Google account */
	google_key(g->iss, g->sub, k);
	struct store_val key = {k, sizeof(k)}, val = {buf, google_rec_encode(g, buf)};
	store_put(r->txn, STORE_GOOGLE, store_str(user), val);
	store_put(r->txn, STORE_GOOGLE_INDEX, key, store_str(user));
}

enum regs_err mobile_load(struct request *r, const char *user, struct mobile_rec *m)
{
	struct store_val v;
	enum regs_err err = store_get(r->txn, STORE_MOBILE, store_str(user), &v);
	if (err != REGS_OK)
		return err;
	return mobile_rec_decode(v.data, v.len, m) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

void mobile_owner(struct request *r, const char *hashed_id, char *user, size_t size)
{
	owner_of(r, STORE_MOBILE_INDEX, store_str(hashed_id), user, size);
}

void mobile_delete(struct request *r, const char *user)
{
	struct mobile_rec m;
	if (mobile_load(r, user, &m) != REGS_OK)
		return;
	store_del(r->txn, STORE_MOBILE_INDEX, store_str(m.hashed_id));
	store_del(r->txn, STORE_MOBILE, store_str(user));
}

void mobile_save(struct request *r, const char *user, const struct mobile_rec *m)
{
	uint8_t buf[REC_BUF_MAX];
	mobile_delete(r, user);
	struct store_val val = {buf, mobile_rec_encode(m, buf)};
	store_put(r->txn, STORE_MOBILE, store_str(user), val);
	store_put(r->txn, STORE_MOBILE_INDEX, store_str(m->hashed_id), store_str(user));
}
