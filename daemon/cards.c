/* Citizen certificate card (R3): challenges, card login and step-up (through the gate), and
 * binding a card to an account. */
#include "account.h"
#include "audit.h"
#include "bindings.h"
#include "challenge.h"
#include "gate.h"
#include "handlers.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "revocation.h"
#include "stepup.h"
#include <openssl/sha.h>
#include <string.h>
#include <syslog.h>

#define CERT_MAX (16 * 1024)
#define SIG_MAX 512

struct card_proof {
	const uint8_t *cert;
	int cert_len;
	const uint8_t *sig;
	int sig_len;
	int cert_optional; /* CardLoginSerial: none means the one regsd holds */
};

/* R12.2: a refused newcomer is told when to try again; nothing live was evicted for it. */
static void refuse_challenge(struct request *r, enum challenge_refusal why, unsigned wait)
{
	static const char *const what[] = {
	    [CHALLENGE_TABLE_FULL] = "too many card logins in progress",
	    [CHALLENGE_ACCOUNT_QUOTA] = "too many card challenges for this account",
	    [CHALLENGE_CALLER_QUOTA] = "too many card challenges for this caller",
	};
	if (why == CHALLENGE_NO_RANDOM) {
		reply_storage_error(r, REGS_ERR_CRYPTO);
		return;
	}
	regsd_log(LOG_WARNING, "card challenge refused (uid %u): %s", (unsigned)r->caller.uid,
	          what[why]);
	reply_too_soon(r, wait, "%s: try again in %u seconds", what[why], wait);
}

void handle_card_challenge(struct request *r)
{
	const char *arg[2];
	request_strings(r, arg, 2);
	int own = strcmp(arg[1], REGS_CARD_BIND) == 0 || strcmp(arg[1], REGS_CARD_STEP_UP) == 0;
	if (!own && strcmp(arg[1], REGS_CARD_LOGIN) != 0) {
		reply_error(r, REGS_E_INVALID_ARGS, "purpose is login, bind or step-up");
		return;
	}
	/* Binding and step-up are the owner's; a login may be run by the module. */
	const char *user = own ? request_target(r, "", 0) : request_target(r, arg[0], 1);
	if (!user)
		return;
	const struct challenge *c = NULL;
	char owner[32];
	unsigned wait = 0;
	caller_quota_key(r, owner, sizeof(owner));
	enum challenge_refusal made =
	    challenge_new(&r->d->cards.challenges, user, arg[1], dbus_message_get_sender(r->msg),
	                  owner, r->now, &c, &wait);
	if (made != CHALLENGE_MADE) {
		refuse_challenge(r, made, wait);
		return;
	}
	const char *handle = c->handle;
	const uint8_t *nonce = c->nonce;
	uint32_t expires_in = CHALLENGE_SECONDS;
	reply_args(r, DBUS_TYPE_STRING, &handle, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &nonce,
	           (int)CHALLENGE_BYTES, DBUS_TYPE_UINT32, &expires_in, DBUS_TYPE_INVALID);
}

static void read_bytes(DBusMessageIter *it, const uint8_t **data, int *len)
{
	DBusMessageIter arr;
	dbus_message_iter_recurse(it, &arr);
	dbus_message_iter_get_fixed_array(&arr, data, len);
	dbus_message_iter_next(it);
}

/* Reads (s handle, ay cert, ay sig, then n strings into extra) — the
 * signature is already checked — and takes the challenge: 1 taken, 0 none
 * (unknown, used, expired, other purpose or connection), -1 bad arguments. */
static int take_proof(struct request *r, const char *purpose, struct challenge *c,
                      struct card_proof *p, const char **extra, int n)
{
	const char *handle;
	DBusMessageIter it;
	dbus_message_iter_init(r->msg, &it);
	dbus_message_iter_get_basic(&it, &handle);
	dbus_message_iter_next(&it);
	read_bytes(&it, &p->cert, &p->cert_len);
	read_bytes(&it, &p->sig, &p->sig_len);
	for (int i = 0; i < n; i++) {
		dbus_message_iter_get_basic(&it, &extra[i]);
		dbus_message_iter_next(&it);
	}
	if ((p->cert_len <= 0 && !p->cert_optional) || p->cert_len > CERT_MAX || p->sig_len <= 0 ||
	    p->sig_len > SIG_MAX) {
		reply_error(r, REGS_E_INVALID_ARGS,
		            "certificate or signature missing or too large");
		return -1;
	}
	return challenge_take(&r->d->cards.challenges, handle, purpose,
	                      dbus_message_get_sender(r->msg), r->now, c);
}

uint32_t card_result_of(enum x509_verdict v)
{
	switch (v) {
	case X509_VERDICT_OK:
		return REGS_R_OK;
	case X509_VERDICT_EXPIRED:
	case X509_VERDICT_NOT_YET_VALID:
	case X509_VERDICT_REVOKED:
		return REGS_R_CERT_INVALID;
	case X509_VERDICT_NO_FRESH_CRL:
		return REGS_R_NO_FRESH_CRL;
	case X509_VERDICT_BAD_SIGNATURE:
		return REGS_R_BAD_SIGNATURE;
	default:
		return REGS_R_CERT_UNTRUSTED;
	}
}

enum x509_verdict card_certificate_verdict(struct request *r, const uint8_t *der, size_t len,
                                           const struct account_rec *a)
{
	const struct x509_anchors *anchors = a && a->class == ACCOUNT_INSTITUTION
	                                         ? r->d->cards.anchors_institution
	                                         : r->d->cards.anchors_personal;
	enum x509_verdict v =
	    anchors ? x509_verify_chain(anchors, der, len, r->now) : X509_VERDICT_UNTRUSTED;
	if (v == X509_VERDICT_OK)
		v = revocation_check(&r->d->cards.revocation, der, len, r->now);
	return v;
}

/* Possession (R3.4), chain for the class (R1.2), validity and revocation (R3.5). */
static uint32_t check_certificate(struct request *r, const struct challenge *c,
                                  const struct card_proof *p, const struct account_rec *a)
{
	enum x509_verdict v = x509_verify_signature(p->cert, (size_t)p->cert_len, c->nonce,
	                                            sizeof(c->nonce), p->sig, (size_t)p->sig_len);
	if (v == X509_VERDICT_OK)
		v = card_certificate_verdict(r, p->cert, (size_t)p->cert_len, a);
	return card_result_of(v);
}

enum regs_err card_load(struct request *r, const char *user, struct card_rec *c)
{
	struct store_val v;
	enum regs_err err = store_get(r->txn, STORE_CARDS, store_str(user), &v);
	if (err != REGS_OK)
		return err;
	return card_rec_decode(v.data, v.len, c) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

void card_delete(struct request *r, const char *user)
{
	struct card_rec c;
	if (card_load(r, user, &c) != REGS_OK)
		return;
	struct store_val key = {c.sha256, sizeof(c.sha256)};
	store_del(r->txn, STORE_CARD_INDEX, key);
	store_del(r->txn, STORE_CARDS, store_str(user));
	store_del(r->txn, STORE_CARD_CERTS, store_str(user));
}

/* The verdict of a card login whose challenge was valid. */
static uint32_t card_login_verdict(struct request *r, const struct challenge *c,
                                   const struct card_proof *p, struct account_rec *a)
{
	struct card_rec bound;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	if (card_load(r, c->user, &bound) != REGS_OK)
		return REGS_R_CARD_NOT_BOUND;
	SHA256(p->cert, (size_t)p->cert_len, digest);
	if (memcmp(digest, bound.sha256, sizeof(digest)) != 0)
		return REGS_R_CARD_NOT_BOUND;
	return check_certificate(r, c, p, a);
}

/* Whether regsd holds the certificate of user's bound card and the card with card_serial last
 * logged in with it (a login need not read it from the card again); copied into der (CERT_MAX
 * bytes) unless der is NULL. */
static int held_certificate(struct request *r, const char *user, const char *card_serial,
                            uint8_t *der, int *len)
{
	struct card_rec bound;
	struct store_val v;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	if (!*card_serial || card_load(r, user, &bound) != REGS_OK ||
	    strcmp(bound.card_serial, card_serial) != 0)
		return 0;
	if (store_get(r->txn, STORE_CARD_CERTS, store_str(user), &v) != REGS_OK || v.len == 0 ||
	    v.len > CERT_MAX)
		return 0; /* bound before regsd kept certificates */
	SHA256(v.data, v.len, digest);
	if (memcmp(digest, bound.sha256, sizeof(digest)) != 0)
		return 0;
	if (der != NULL) {
		memcpy(der, v.data, v.len); /* a later write in this transaction may move v.data */
		*len = (int)v.len;
	}
	return 1;
}

/* After a successful login with a certificate (the bound one): keeps it, for bindings made
 * before regsd kept certificates, and the serial of the card that showed it. */
static void remember_card(struct request *r, const char *user, const struct card_proof *p,
                          const char *card_serial)
{
	struct card_rec bound;
	struct store_val v;
	uint8_t buf[REC_BUF_MAX];
	if (store_get(r->txn, STORE_CARD_CERTS, store_str(user), &v) != REGS_OK ||
	    v.len != (size_t)p->cert_len || memcmp(v.data, p->cert, v.len) != 0) {
		struct store_val cert = {p->cert, (size_t)p->cert_len};
		store_put(r->txn, STORE_CARD_CERTS, store_str(user), cert);
	}
	if (!*card_serial || card_load(r, user, &bound) != REGS_OK ||
	    strcmp(bound.card_serial, card_serial) == 0)
		return;
	rec_copy(bound.card_serial, sizeof(bound.card_serial), card_serial);
	struct store_val val = {buf, card_rec_encode(&bound, buf)};
	store_put(r->txn, STORE_CARDS, store_str(user), val);
}

/* CardLoginSerial without a certificate: the one regsd holds for this card, if the card's
 * signature verifies with it; REGS_R_CARD_CERT_NEEDED otherwise. held: CERT_MAX bytes. */
static uint32_t use_held_certificate(struct request *r, const struct challenge *c,
                                     struct card_proof *p, const char *card_serial, uint8_t *held)
{
	if (!held_certificate(r, c->user, card_serial, held, &p->cert_len))
		return REGS_R_CARD_CERT_NEEDED;
	p->cert = held;
	if (x509_verify_signature(p->cert, (size_t)p->cert_len, c->nonce, sizeof(c->nonce), p->sig,
	                          (size_t)p->sig_len) != X509_VERDICT_OK)
		return REGS_R_CARD_CERT_NEEDED; /* another card with this serial: read its own */
	return REGS_R_OK;
}

/* What a card attempt hands the gate: the challenge it answered and its proof. */
struct card_attempt {
	const struct challenge *c;
	struct card_proof *p;
	const char *card_serial;
	uint8_t held[CERT_MAX]; /* CardLoginSerial without a certificate: the one regsd holds */
};

/* R9.1: a failed proof counts; a missing revocation list (not the user's doing) and a bad
 * step-up challenge do not. */
static int card_result_counts(uint32_t result)
{
	return result != REGS_R_NO_FRESH_CRL && result != REGS_R_BAD_CHALLENGE;
}

static uint32_t card_login_verify(struct request *r, struct gate_attempt *g)
{
	struct card_attempt *x = g->ctx;
	uint32_t result = REGS_R_OK;
	if (x->p->cert_len == 0)
		result = use_held_certificate(r, x->c, x->p, x->card_serial, x->held);
	if (result == REGS_R_OK)
		result = card_login_verdict(r, x->c, x->p, &g->a);
	if (result == REGS_R_CARD_CERT_NEEDED)
		g->unjudged = 1; /* nothing judged yet: not counted, not logged */
	else if (result == REGS_R_OK)
		remember_card(r, g->user, x->p, x->card_serial);
	return result;
}

static uint32_t card_step_up_verify(struct request *r, struct gate_attempt *g)
{
	struct card_attempt *x = g->ctx;
	return card_login_verdict(r, x->c, x->p, &g->a);
}

static const struct gate_method card_login_method = {.name = "card",
                                                     .event = "login",
                                                     .unbound = GATE_NO_SUCH_USER,
                                                     .nss_account = 1,
                                                     .verify = card_login_verify,
                                                     .counts = card_result_counts};

static const struct gate_method card_step_up_method = {.name = "card",
                                                       .event = "step-up",
                                                       .unbound = GATE_NO_SUCH_USER,
                                                       .nss_account = 1,
                                                       .verify = card_step_up_verify,
                                                       .counts = card_result_counts};

/* A card login on a valid challenge, through the gate. */
static void card_login(struct request *r, const struct challenge *c, struct card_proof *p,
                       const char *const extra[3])
{
	struct card_attempt x = {.c = c, .p = p, .card_serial = extra[2]};
	struct gate_attempt g =
	    gate_attempt_new(&card_login_method, c->user, extra[0], extra[1], &x);
	gate_run(r, &g);
}

void handle_card_login(struct request *r)
{
	struct challenge c;
	struct card_proof p = {0};
	const char *extra[3] = {"", "", ""};
	int taken = take_proof(r, REGS_CARD_LOGIN, &c, &p, extra, 2);
	if (taken < 0)
		return;
	if (!taken) {
		reply_verdict(r, REGS_R_BAD_CHALLENGE, NULL);
		return;
	}
	card_login(r, &c, &p, extra);
}

/* A card serial as the module sends it: hex that fits the card record, or "" for none. */
static int card_serial_ok(struct request *r, const char *card_serial)
{
	size_t n = strlen(card_serial);
	if (n < sizeof(((struct card_rec *)0)->card_serial) &&
	    strspn(card_serial, "0123456789ABCDEF") == n)
		return 1;
	reply_error(r, REGS_E_INVALID_ARGS, "card serial: upper-case hex, at most %zu digits",
	            sizeof(((struct card_rec *)0)->card_serial) - 1);
	return 0;
}

void handle_card_login_serial(struct request *r)
{
	struct challenge c;
	struct card_proof p = {.cert_optional = 1};
	const char *extra[3] = {"", "", ""};
	int taken = take_proof(r, REGS_CARD_LOGIN, &c, &p, extra, 3);
	if (taken < 0 || !card_serial_ok(r, extra[2]))
		return;
	if (!taken) {
		reply_verdict(r, REGS_R_BAD_CHALLENGE, NULL);
		return;
	}
	card_login(r, &c, &p, extra);
}

void handle_card_known(struct request *r)
{
	const char *arg[2];
	request_strings(r, arg, 2);
	const char *user = request_target(r, arg[0], 1);
	if (!user || !card_serial_ok(r, arg[1]))
		return;
	dbus_bool_t known = held_certificate(r, user, arg[1], NULL, NULL) ? TRUE : FALSE;
	reply_args(r, DBUS_TYPE_BOOLEAN, &known, DBUS_TYPE_INVALID);
}

/* R3.6: one certificate, one account; a rebind replaces the old card. */
static uint32_t save_binding(struct request *r, const char *user, const struct card_proof *p)
{
	struct card_rec rec, old;
	struct x509_identity id;
	struct store_val v;
	if (x509_identity(p->cert, (size_t)p->cert_len, &id) != REGS_OK)
		return REGS_R_CERT_UNTRUSTED;
	struct store_val key = {id.sha256, sizeof(id.sha256)};
	if (store_get(r->txn, STORE_CARD_INDEX, key, &v) == REGS_OK &&
	    (v.len != strlen(user) || memcmp(v.data, user, v.len) != 0))
		return REGS_R_CARD_BOUND_ELSEWHERE;
	if (card_load(r, user, &old) == REGS_OK) {
		struct store_val oldkey = {old.sha256, sizeof(old.sha256)};
		store_del(r->txn, STORE_CARD_INDEX, oldkey);
	}
	uint8_t buf[REC_BUF_MAX];
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.sha256, id.sha256, sizeof(rec.sha256));
	rec_copy(rec.issuer, sizeof(rec.issuer), id.issuer);
	rec_copy(rec.serial, sizeof(rec.serial), id.serial_hex);
	rec.bound_at = r->now;
	struct store_val val = {buf, card_rec_encode(&rec, buf)};
	store_put(r->txn, STORE_CARDS, store_str(user), val);
	store_put(r->txn, STORE_CARD_INDEX, key, store_str(user));
	/* The whole certificate, for sshd's key lookup (R11.4); the record above stays as it
	 * was, so an older regsd still reads it. */
	struct store_val cert = {p->cert, (size_t)p->cert_len};
	store_put(r->txn, STORE_CARD_CERTS, store_str(user), cert);
	return REGS_R_OK;
}

void handle_bind_card(struct request *r)
{
	struct challenge c;
	struct card_proof p;
	struct account_rec a;
	const char *user = request_target(r, "", 0);
	if (!user || !require_step_up(r, user, REGS_PURPOSE_CARD, 1))
		return;
	int taken = take_proof(r, REGS_CARD_BIND, &c, &p, NULL, 0);
	if (taken < 0)
		return;
	if (!account_open_for_change(r, user, &a))
		return;
	uint32_t result = REGS_R_BAD_CHALLENGE;
	if (taken && strcmp(c.user, user) == 0)
		result = check_certificate(r, &c, &p, &a);
	if (result == REGS_R_OK)
		result = save_binding(r, user, &p);
	if (result == REGS_R_OK)
		account_save(r, user, &a);
	struct audit_event e = {user, "bind", "card", "regsctl", "", result};
	audit_record(r, &e);
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_INVALID);
}

/* R7.1 with the card: the caller's own bound card signs a step-up challenge. */
void handle_step_up_card(struct request *r)
{
	struct challenge c;
	struct card_proof p;
	const char *purpose = "";
	int taken = take_proof(r, REGS_CARD_STEP_UP, &c, &p, &purpose, 1);
	if (taken < 0)
		return;
	if (!stepup_purpose_known(purpose)) {
		reply_error(r, REGS_E_INVALID_ARGS, "unknown step-up purpose");
		return;
	}
	const char *user = request_target(r, "", 0);
	if (!user)
		return;
	struct card_attempt x = {.c = &c, .p = &p, .card_serial = ""};
	struct gate_attempt g = gate_attempt_new(&card_step_up_method, user, "regsctl", "", &x);
	g.purpose = purpose;
	if (!taken || strcmp(c.user, user) != 0)
		g.result = REGS_R_BAD_CHALLENGE; /* the request's own fault, before any lock */
	gate_run(r, &g);
}
