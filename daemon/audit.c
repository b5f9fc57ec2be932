/* The activity log: records keyed by time (all accounts) with a per-account index. */
#include "audit.h"
#include "account/record.h"
#include "base/random.h"
#include "base/text.h"
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define AUDIT_KEY 16

static void audit_key(uint8_t key[AUDIT_KEY], int64_t time, uint64_t seq)
{
	store_be64(key, (uint64_t)time);
	store_be64(key + 8, seq);
}

/* user NUL key: the per-account index entry. */
static size_t index_key(uint8_t *out, const char *user, const uint8_t key[AUDIT_KEY])
{
	size_t len = strlen(user) + 1;
	memcpy(out, user, len);
	memcpy(out + len, key, AUDIT_KEY);
	return len + AUDIT_KEY;
}

void audit_host_default(struct regs_config *cfg)
{
	char name[256];
	if (*cfg->host_name)
		return;
	if (gethostname(name, sizeof(name)) != 0) {
		regsd_log(LOG_WARNING, "gethostname failed: the activity log names no host");
		return;
	}
	name[sizeof(name) - 1] = '\0';
	rec_copy(cfg->host_name, sizeof(cfg->host_name), name);
}

uint64_t audit_seq_start(const struct timespec *now)
{
	uint16_t host = 0;
	uint64_t ns = (uint64_t)now->tv_sec * 1000000000u + (uint64_t)now->tv_nsec;
	if (regs_random_bytes(&host, sizeof(host)) != REGS_OK)
		host = (uint16_t)getpid();
	return (ns & ~(AUDIT_SEQ_STEP - 1)) | host;
}

void audit_record(struct request *r, const struct audit_event *e)
{
	struct audit_rec rec;
	uint8_t buf[REC_BUF_MAX], key[AUDIT_KEY], ikey[REC_NAME_MAX + AUDIT_KEY];
	memset(&rec, 0, sizeof(rec));
	rec.time = r->now;
	rec.actor_uid = (uint32_t)r->caller.uid;
	rec.result = (uint8_t)e->result;
	rec_copy(rec.user, sizeof(rec.user), e->user);
	rec_copy(rec.event, sizeof(rec.event), e->event);
	rec_copy(rec.method, sizeof(rec.method), e->method);
	text_sanitize(e->service, rec.service, sizeof(rec.service));
	text_sanitize(e->rhost, rec.rhost, sizeof(rec.rhost));
	text_sanitize(r->d->cfg.host_name, rec.host, sizeof(rec.host));
	audit_key(key, r->now, r->d->data.audit_seq);
	r->d->data.audit_seq += AUDIT_SEQ_STEP;
	struct store_val k = {key, AUDIT_KEY}, v = {buf, audit_rec_encode(&rec, buf)};
	store_put(r->txn, STORE_AUDIT, k, v);
	struct store_val ik = {ikey, index_key(ikey, rec.user, key)}, empty = {"", 0};
	store_put(r->txn, STORE_AUDIT_BY_USER, ik, empty);
}

struct expire_ctx {
	int64_t cutoff;
	unsigned max, n;
	uint8_t keys[1024][AUDIT_KEY];
	char users[1024][REC_NAME_MAX];
};

static int collect_expired(void *ctx, struct store_val key, struct store_val val)
{
	struct expire_ctx *x = ctx;
	struct audit_rec rec;
	if (key.len != AUDIT_KEY || x->n >= x->max || x->n >= 1024)
		return 1;
	if ((int64_t)store_get_be64(key.data) >= x->cutoff)
		return 1;
	memcpy(x->keys[x->n], key.data, AUDIT_KEY);
	x->users[x->n][0] = '\0';
	if (audit_rec_decode(val.data, val.len, &rec) == REGS_OK)
		rec_copy(x->users[x->n], REC_NAME_MAX, rec.user);
	x->n++;
	return 0;
}

void audit_expire(struct daemon *d, struct store_txn *txn, int64_t cutoff, unsigned max)
{
	static struct expire_ctx x; /* large; the daemon is single-threaded */
	struct store_val none = {"", 0};
	uint8_t ikey[REC_NAME_MAX + AUDIT_KEY];
	x.cutoff = cutoff;
	x.max = max;
	x.n = 0;
	store_scan(txn, STORE_AUDIT, none, none, collect_expired, &x);
	for (unsigned i = 0; i < x.n; i++) {
		struct store_val k = {x.keys[i], AUDIT_KEY};
		struct store_val ik = {ikey, index_key(ikey, x.users[i], x.keys[i])};
		store_del(txn, STORE_AUDIT, k);
		store_del(txn, STORE_AUDIT_BY_USER, ik);
	}
	if (x.n)
		regsd_log(LOG_INFO, "activity log: %u records past retention removed", x.n);
	(void)d;
}

struct scan_ctx {
	struct store_txn *txn;
	audit_visit_fn fn;
	void *ctx;
	size_t prefix;
};

static int visit_record(struct scan_ctx *s, struct store_val key)
{
	struct store_val v;
	struct audit_rec rec;
	if (store_get(s->txn, STORE_AUDIT, key, &v) != REGS_OK ||
	    audit_rec_decode(v.data, v.len, &rec) != REGS_OK)
		return 0; /* an index entry without its record: skip it */
	return s->fn(s->ctx, &rec);
}

static int visit_all(void *ctx, struct store_val key, struct store_val val)
{
	struct scan_ctx *s = ctx;
	struct audit_rec rec;
	if (audit_rec_decode(val.data, val.len, &rec) != REGS_OK)
		return 0;
	(void)key;
	return s->fn(s->ctx, &rec);
}

static int visit_indexed(void *ctx, struct store_val key, struct store_val val)
{
	struct scan_ctx *s = ctx;
	struct store_val k = {(const uint8_t *)key.data + s->prefix, AUDIT_KEY};
	(void)val;
	if (key.len != s->prefix + AUDIT_KEY)
		return 0;
	return visit_record(s, k);
}

void audit_scan(struct store_txn *txn, const char *user, int64_t since, audit_visit_fn fn,
                void *ctx)
{
	struct scan_ctx s = {txn, fn, ctx, 0};
	uint8_t start[REC_NAME_MAX + AUDIT_KEY], key[AUDIT_KEY];
	audit_key(key, since, 0);
	if (!*user) {
		struct store_val none = {"", 0}, from = {key, AUDIT_KEY};
		store_scan(txn, STORE_AUDIT, none, from, visit_all, &s);
		return;
	}
	s.prefix = strlen(user) + 1;
	struct store_val prefix = {start, s.prefix};
	struct store_val from = {start, index_key(start, user, key)};
	store_scan(txn, STORE_AUDIT_BY_USER, prefix, from, visit_indexed, &s);
}
