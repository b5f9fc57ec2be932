/* Encoding and decoding of the stored records: version byte, then big-endian fields in order. */
#include "account/record.h"
#include <string.h>

#define REC_VERSION 1

struct wbuf {
	uint8_t *p;
	size_t n;
};

struct rbuf {
	const uint8_t *p;
	size_t n, off;
	int short_read;
};

static void w_u8(struct wbuf *w, uint8_t v)
{
	if (w->n < REC_BUF_MAX)
		w->p[w->n++] = v;
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		w_u8(w, (uint8_t)(v >> (8 * i)));
}

static void w_i64(struct wbuf *w, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--)
		w_u8(w, (uint8_t)(u >> (8 * i)));
}

static void w_bytes(struct wbuf *w, const void *data, size_t len)
{
	w_u8(w, (uint8_t)len);
	for (size_t i = 0; i < len; i++)
		w_u8(w, ((const uint8_t *)data)[i]);
}

/* A NUL-terminated field of size bytes (with the NUL; at most 256): its length byte and text. */
static void w_str(struct wbuf *w, const char *s, size_t size)
{
	size_t len = strnlen(s, size - 1);
	w_bytes(w, s, len);
}

static uint8_t r_u8(struct rbuf *r)
{
	if (r->off >= r->n) {
		r->short_read = 1;
		return 0;
	}
	return r->p[r->off++];
}

static uint32_t r_u32(struct rbuf *r)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | r_u8(r);
	return v;
}

static int64_t r_i64(struct rbuf *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | r_u8(r);
	return (int64_t)v;
}

/* Reads a length-prefixed field into dst (cap bytes); strings get a NUL. */
static size_t r_bytes(struct rbuf *r, void *dst, size_t cap, int nul)
{
	size_t len = r_u8(r);
	size_t room = nul ? cap - 1 : cap;
	uint8_t *d = dst;
	size_t kept = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = r_u8(r);
		if (kept < room)
			d[kept++] = c;
	}
	if (nul)
		d[kept] = '\0';
	return kept;
}

static enum regs_err r_begin(struct rbuf *r, const void *data, size_t len)
{
	r->p = data;
	r->n = len;
	r->off = 0;
	r->short_read = 0;
	return (len >= 1 && r_u8(r) == REC_VERSION) ? REGS_OK : REGS_ERR_INVALID;
}

static enum regs_err r_end(const struct rbuf *r)
{
	return r->short_read ? REGS_ERR_INVALID : REGS_OK;
}

char *rec_copy(char *dst, size_t dstsz, const char *src)
{
	size_t len = src ? strnlen(src, dstsz - 1) : 0;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
	return dst;
}

size_t account_rec_encode(const struct account_rec *a, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_u8(&w, a->class);
	w_u32(&w, a->flags);
	w_u32(&w, a->failures);
	w_i64(&w, a->locked_until);
	w_i64(&w, a->created);
	w_i64(&w, a->password_changed);
	w_i64(&w, a->password_login_disabled_at);
	w_u8(&w, a->must_change_password);
	w_i64(&w, a->email_verified_at);
	w_str(&w, a->email, sizeof(a->email));
	w_str(&w, a->language, sizeof(a->language));
	return w.n;
}

enum regs_err account_rec_decode(const void *data, size_t len, struct account_rec *a)
{
	struct rbuf r;
	memset(a, 0, sizeof(*a));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	a->class = r_u8(&r);
	a->flags = r_u32(&r);
	a->failures = r_u32(&r);
	a->locked_until = r_i64(&r);
	a->created = r_i64(&r);
	a->password_changed = r_i64(&r);
	a->password_login_disabled_at = r_i64(&r);
	if (r.off == r.n)
		return r_end(&r); /* written before the e-mail fields existed */
	a->must_change_password = r_u8(&r);
	a->email_verified_at = r_i64(&r);
	r_bytes(&r, a->email, sizeof(a->email), 1);
	if (r.off == r.n)
		return r_end(&r); /* written before the language existed */
	r_bytes(&r, a->language, sizeof(a->language), 1);
	return r_end(&r);
}

size_t otp_rec_encode(const struct otp_rec *o, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_i64(&w, o->bound_at);
	w_i64(&w, o->last_step);
	w_bytes(&w, o->sealed, o->sealed_len < OTP_SEALED_MAX ? o->sealed_len : OTP_SEALED_MAX);
	uint8_t n = o->n_burned < OTP_BURNED_MAX ? o->n_burned : OTP_BURNED_MAX;
	w_u8(&w, n);
	for (uint8_t i = 0; i < n; i++)
		w_i64(&w, o->burned[i]);
	return w.n;
}

enum regs_err otp_rec_decode(const void *data, size_t len, struct otp_rec *o)
{
	struct rbuf r;
	memset(o, 0, sizeof(*o));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	o->bound_at = r_i64(&r);
	o->last_step = r_i64(&r);
	o->sealed_len = (uint8_t)r_bytes(&r, o->sealed, sizeof(o->sealed), 0);
	if (r.off == r.n)
		return r_end(&r); /* written before burned steps existed */
	uint8_t n = r_u8(&r);
	for (uint8_t i = 0; i < n; i++) {
		int64_t step = r_i64(&r);
		if (o->n_burned < OTP_BURNED_MAX)
			o->burned[o->n_burned++] = step;
	}
	return r_end(&r);
}

size_t pending_rec_encode(const struct pending_rec *p, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_u32(&w, p->owner_uid);
	w_i64(&w, p->created);
	w_i64(&w, p->expires);
	w_u8(&w, p->tries);
	w_str(&w, p->user, sizeof(p->user));
	w_str(&w, p->token, sizeof(p->token));
	w_bytes(&w, p->sealed, p->sealed_len < OTP_SEALED_MAX ? p->sealed_len : OTP_SEALED_MAX);
	return w.n;
}

enum regs_err pending_rec_decode(const void *data, size_t len, struct pending_rec *p)
{
	struct rbuf r;
	memset(p, 0, sizeof(*p));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	p->owner_uid = r_u32(&r);
	p->created = r_i64(&r);
	p->expires = r_i64(&r);
	p->tries = r_u8(&r);
	r_bytes(&r, p->user, sizeof(p->user), 1);
	r_bytes(&r, p->token, sizeof(p->token), 1);
	p->sealed_len = (uint8_t)r_bytes(&r, p->sealed, sizeof(p->sealed), 0);
	return r_end(&r);
}

size_t audit_rec_encode(const struct audit_rec *a, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_i64(&w, a->time);
	w_u32(&w, a->actor_uid);
	w_u8(&w, a->result);
	w_str(&w, a->user, sizeof(a->user));
	w_str(&w, a->event, sizeof(a->event));
	w_str(&w, a->method, sizeof(a->method));
	w_str(&w, a->service, sizeof(a->service));
	w_str(&w, a->rhost, sizeof(a->rhost));
	w_str(&w, a->host, sizeof(a->host));
	return w.n;
}

enum regs_err audit_rec_decode(const void *data, size_t len, struct audit_rec *a)
{
	struct rbuf r;
	memset(a, 0, sizeof(*a));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	a->time = r_i64(&r);
	a->actor_uid = r_u32(&r);
	a->result = r_u8(&r);
	r_bytes(&r, a->user, sizeof(a->user), 1);
	r_bytes(&r, a->event, sizeof(a->event), 1);
	r_bytes(&r, a->method, sizeof(a->method), 1);
	r_bytes(&r, a->service, sizeof(a->service), 1);
	r_bytes(&r, a->rhost, sizeof(a->rhost), 1);
	if (r.off == r.n)
		return r_end(&r); /* written before the host existed */
	r_bytes(&r, a->host, sizeof(a->host), 1);
	return r_end(&r);
}

size_t code_rec_encode(const struct code_rec *c, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_bytes(&w, c->salt, sizeof(c->salt));
	w_bytes(&w, c->hash, sizeof(c->hash));
	w_str(&w, c->prefix, sizeof(c->prefix));
	w_i64(&w, c->sent_at);
	w_i64(&w, c->expires);
	w_u8(&w, c->tries);
	w_str(&w, c->address, sizeof(c->address));
	return w.n;
}

enum regs_err code_rec_decode(const void *data, size_t len, struct code_rec *c)
{
	struct rbuf r;
	memset(c, 0, sizeof(*c));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	if (r_bytes(&r, c->salt, sizeof(c->salt), 0) != sizeof(c->salt) ||
	    r_bytes(&r, c->hash, sizeof(c->hash), 0) != sizeof(c->hash))
		return REGS_ERR_INVALID;
	r_bytes(&r, c->prefix, sizeof(c->prefix), 1);
	c->sent_at = r_i64(&r);
	c->expires = r_i64(&r);
	c->tries = r_u8(&r);
	r_bytes(&r, c->address, sizeof(c->address), 1);
	return r_end(&r);
}

size_t card_rec_encode(const struct card_rec *c, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_bytes(&w, c->sha256, sizeof(c->sha256));
	w_str(&w, c->issuer, sizeof(c->issuer));
	w_str(&w, c->serial, sizeof(c->serial));
	w_i64(&w, c->bound_at);
	w_str(&w, c->card_serial, sizeof(c->card_serial));
	return w.n;
}

enum regs_err card_rec_decode(const void *data, size_t len, struct card_rec *c)
{
	struct rbuf r;
	memset(c, 0, sizeof(*c));
	if (r_begin(&r, data, len) != REGS_OK ||
	    r_bytes(&r, c->sha256, sizeof(c->sha256), 0) != sizeof(c->sha256))
		return REGS_ERR_INVALID;
	r_bytes(&r, c->issuer, sizeof(c->issuer), 1);
	r_bytes(&r, c->serial, sizeof(c->serial), 1);
	c->bound_at = r_i64(&r);
	if (r.off == r.n)
		return r_end(&r); /* written before card serials were kept */
	r_bytes(&r, c->card_serial, sizeof(c->card_serial), 1);
	return r_end(&r);
}

size_t google_rec_encode(const struct google_rec *g, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_str(&w, g->iss, sizeof(g->iss));
	w_str(&w, g->sub, sizeof(g->sub));
	w_str(&w, g->email, sizeof(g->email));
	w_i64(&w, g->bound_at);
	return w.n;
}

enum regs_err google_rec_decode(const void *data, size_t len, struct google_rec *g)
{
	struct rbuf r;
	memset(g, 0, sizeof(*g));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	r_bytes(&r, g->iss, sizeof(g->iss), 1);
	r_bytes(&r, g->sub, sizeof(g->sub), 1);
	r_bytes(&r, g->email, sizeof(g->email), 1);
	g->bound_at = r_i64(&r);
	return r_end(&r);
}

size_t mobile_rec_encode(const struct mobile_rec *m, uint8_t *buf)
{
	struct wbuf w = {buf, 0};
	w_u8(&w, REC_VERSION);
	w_str(&w, m->hashed_id, sizeof(m->hashed_id));
	w_i64(&w, m->bound_at);
	return w.n;
}

enum regs_err mobile_rec_decode(const void *data, size_t len, struct mobile_rec *m)
{
	struct rbuf r;
	memset(m, 0, sizeof(*m));
	if (r_begin(&r, data, len) != REGS_OK)
		return REGS_ERR_INVALID;
	r_bytes(&r, m->hashed_id, sizeof(m->hashed_id), 1);
	m->bound_at = r_i64(&r);
	return r_end(&r);
}
