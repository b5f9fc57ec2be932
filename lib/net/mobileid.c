/* The mobile citizen certificate relying-party API (R4.5): checksums, request bodies, tickets and
 * verified results, as docs/twfido.md and docs/mobile-id.md describe them. */
#include "net/mobileid.h"

#include "base/random.h"
#include "base/wipe.h"
#include "ui/twid.h"

#include "net/strictjson.h"
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MID_IV_BYTES 12
#define MID_TAG_BYTES 16
#define MID_DIGEST_BYTES 32
#define MID_DIGEST_HEX (2 * MID_DIGEST_BYTES)
#define MID_CHECKSUM_LEN (2 * (MID_IV_BYTES + MID_DIGEST_HEX + MID_TAG_BYTES))
#define MID_JSON_MAX (256 * 1024) /* an answer: a certificate and a few short fields */
#define MID_CERT_MAX (16 * 1024)  /* DER bytes of the phone's certificate */
#define MID_SIG_MAX 1024          /* RSA-8192 */
#define MID_CODE_MAX 64           /* an error code as err repeats it */
#define MID_TIME_LIMIT_MIN 30
#define MID_TIME_LIMIT_MAX 600
#define MID_EXPIRATION_MAX (1LL << 40) /* Unix seconds; milliseconds are larger and refused */
#define MID_OP_ATH "ATH"
#define MID_OP_MODE_SCAN "I-SCAN"

_Static_assert(MID_CHECKSUM_HEX == MID_CHECKSUM_LEN + 1, "MID_CHECKSUM_HEX");

const char *mid_verdict_name(enum mid_verdict v)
{
	switch (v) {
	case MID_OK:
		return "ok";
	case MID_PENDING:
		return "pending";
	case MID_DENIED:
		return "denied";
	case MID_EXPIRED:
		return "expired";
	case MID_SERVICE_ERROR:
		return "service error";
	case MID_MALFORMED:
		return "malformed";
	case MID_BAD_CHECKSUM:
		return "bad checksum";
	case MID_BAD_SIGNATURE:
		return "bad signature";
	case MID_CERT_UNTRUSTED:
		return "certificate untrusted";
	case MID_CERT_INVALID:
		return "certificate invalid";
	case MID_WRONG_TRANSACTION:
		return "wrong transaction";
	}
	return "unknown";
}

/* ---- Encodings ---- */

static void mid_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int mid_b64_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Strict base64 (url: the URL-safe alphabet): no whitespace, '=' padding
 * optional but only as the last characters. 0 when it decodes into at most
 * cap bytes. */
static int mid_b64_decode(const char *in, size_t len, int url, uint8_t *out, size_t cap,
                          size_t *outlen)
{
	size_t pad = 0;
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (len % 4 == 1 || (pad > 0 && (len + pad) % 4 != 0))
		return -1;
	if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = mid_b64_value((unsigned char)in[i], url);
		if (v < 0)
			return -1;
		acc = ((acc << 6) | (uint32_t)v) & 0x3fff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

static int mid_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum regs_err mid_key_decode(const char *b64, struct mid_key *out)
{
	if (b64 == NULL || out == NULL)
		return REGS_ERR_INVALID;
	size_t len = strlen(b64);
	while (len > 0 && mid_is_space(b64[len - 1]))
		len--;
	while (len > 0 && mid_is_space(*b64)) {
		b64++;
		len--;
	}
	uint8_t k[sizeof(out->k)];
	size_t n = 0;
	enum regs_err err = REGS_ERR_INVALID;
	if (mid_b64_decode(b64, len, 0, k, sizeof(k), &n) == 0 && n == sizeof(k)) {
		memcpy(out->k, k, sizeof(k));
		err = REGS_OK;
	}
	regs_wipe(k, sizeof(k));
	return err;
}

/* ---- Checksums ---- */

/* Lowercase hex of SHA-256 over the fields concatenated without separators. */
static enum regs_err mid_fields_digest_hex(const char *const *fields, size_t n,
                                           char hex[MID_DIGEST_HEX + 1])
{
	uint8_t md[MID_DIGEST_BYTES];
	unsigned mdlen = 0;
	enum regs_err err = REGS_ERR_CRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (fields[i] != NULL && EVP_DigestUpdate(ctx, fields[i], strlen(fields[i])) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		goto out;
	mid_hex(md, sizeof(md), hex);
	err = REGS_OK;
out:
	regs_wipe(md, sizeof(md));
	EVP_MD_CTX_free(ctx); /* cleanses the digest state, which saw the ID number */
	ERR_clear_error();
	return err;
}

/* AES-256-GCM with the all-zero IV the scheme prescribes. */
static enum regs_err mid_gcm_seal(const struct mid_key *key, const uint8_t *pt, size_t len,
                                  uint8_t *ct, uint8_t tag[MID_TAG_BYTES])
{
	static const uint8_t iv[MID_IV_BYTES];
	enum regs_err err = REGS_ERR_CRYPTO;
	int outl = 0, finl = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->k, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1 || (size_t)outl + (size_t)finl != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MID_TAG_BYTES, tag) != 1)
		goto out;
	err = REGS_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

enum regs_err mid_checksum(const struct mid_key *key, const char *const *fields, size_t n,
                           char out[MID_CHECKSUM_HEX])
{
	static const uint8_t iv[MID_IV_BYTES];
	char digest[MID_DIGEST_HEX + 1];
	uint8_t sealed[MID_DIGEST_HEX + MID_TAG_BYTES];
	if (out == NULL)
		return REGS_ERR_INVALID;
	out[0] = '\0';
	if (key == NULL || (fields == NULL && n > 0))
		return REGS_ERR_INVALID;
	enum regs_err err = mid_fields_digest_hex(fields, n, digest);
	if (err == REGS_OK)
		err = mid_gcm_seal(key, (const uint8_t *)digest, MID_DIGEST_HEX, sealed,
		                   sealed + MID_DIGEST_HEX);
	if (err == REGS_OK) {
		mid_hex(iv, sizeof(iv), out);
		mid_hex(sealed, sizeof(sealed), out + 2 * MID_IV_BYTES);
	}
	regs_wipe(digest, sizeof(digest));
	return err;
}

static char mid_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int mid_checksum_ok(const struct mid_key *key, const char *const *fields, size_t n,
                    const char *received)
{
	char expected[MID_CHECKSUM_HEX], got[MID_CHECKSUM_HEX];
	if (received == NULL || strnlen(received, MID_CHECKSUM_HEX) != MID_CHECKSUM_LEN)
		return 0;
	if (mid_checksum(key, fields, n, expected) != REGS_OK)
		return 0;
	for (size_t i = 0; i < MID_CHECKSUM_LEN; i++)
		got[i] = mid_ascii_lower(received[i]);
	return CRYPTO_memcmp(expected, got, MID_CHECKSUM_LEN) == 0;
}

/* ---- Transaction ids ---- */

enum regs_err mid_new_transaction_id(char out[MID_TXN_MAX])
{
	uint8_t b[16];
	enum regs_err err = regs_random_bytes(b, sizeof(b));
	if (err != REGS_OK)
		return err;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
	char *o = out;
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		mid_hex(b + i, 1, o);
		o += 2;
	}
	return REGS_OK;
}

void mid_challenge(const char *transaction_id, const char *sp_ticket_id,
                   char out[MID_CHALLENGE_MAX])
{
	snprintf(out, MID_CHALLENGE_MAX, "%s|%s", transaction_id ? transaction_id : "",
	         sp_ticket_id ? sp_ticket_id : "");
}

/* ---- Request bodies ---- */

/* The length of one well-formed UTF-8 character at p (no overlong form,
 * surrogate or code point past U+10FFFF), 0 when there is none. */
static size_t mid_utf8_char(const unsigned char *p)
{
	size_t n;
	uint32_t cp, min;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1fu;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0fu;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* The service decodes the JSON before it checks the checksum; a byte it
 * would replace (invalid UTF-8) would break the checksum, so none is sent. */
static int mid_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		size_t n = mid_utf8_char(p);
		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}

/* A JSON object written by hand rather than with json-c: a body holds the
 * ID number, and json-c's copies of it (and its printbuf) cannot be wiped. */
struct mid_json {
	char *buf;
	size_t len, cap;
	int failed;
};

/* Room for more bytes and the NUL; the old buffer is wiped when it moves. */
static int mid_json_reserve(struct mid_json *j, size_t more)
{
	if (j->failed)
		return 0;
	if (j->cap - j->len > more)
		return 1;
	size_t cap = j->cap > 0 ? j->cap : 256;
	while (cap - j->len <= more && cap < MID_JSON_MAX)
		cap *= 2;
	char *grown = cap - j->len > more ? malloc(cap) : NULL;
	if (grown == NULL) {
		j->failed = 1;
		return 0;
	}
	if (j->buf != NULL) {
		memcpy(grown, j->buf, j->len);
		regs_wipe(j->buf, j->cap);
		free(j->buf);
	}
	j->buf = grown;
	j->cap = cap;
	return 1;
}

static void mid_json_append(struct mid_json *j, const char *s, size_t n)
{
	if (!mid_json_reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void mid_json_string(struct mid_json *j, const char *s)
{
	if (!mid_utf8_ok(s)) {
		j->failed = 1;
		return;
	}
	mid_json_append(j, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			mid_json_append(j, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			mid_json_append(j, esc, 6);
		} else {
			mid_json_append(j, s, 1);
		}
	}
	mid_json_append(j, "\"", 1);
}

static void mid_json_member(struct mid_json *j, const char *name, const char *value)
{
	mid_json_append(j, j->len > 1 ? ",\"" : "\"", j->len > 1 ? 2 : 1);
	mid_json_append(j, name, strlen(name));
	mid_json_append(j, "\":", 2);
	mid_json_string(j, value);
}

/* The finished body, or NULL (everything wiped) when a step failed. */
static char *mid_json_finish(struct mid_json *j)
{
	mid_json_append(j, "}", 1);
	if (!j->failed)
		return j->buf;
	if (j->buf != NULL) {
		regs_wipe(j->buf, j->cap);
		free(j->buf);
	}
	return NULL;
}

static int mid_request_ok(const struct mid_key *key, const struct mid_request *r)
{
	return key != NULL && r != NULL && r->transaction_id != NULL &&
	       strnlen(r->transaction_id, MID_TXN_MAX) < MID_TXN_MAX && r->sp_service_id != NULL &&
	       twid_valid(r->id_num) && r->time_limit >= MID_TIME_LIMIT_MIN &&
	       r->time_limit <= MID_TIME_LIMIT_MAX;
}

/* ATH-01 and ATH-03 differ in op_mode (NULL: absent) and in the checksum's
 * fields, which the caller lists. sign_info is for SIGN only and omitted. */
static char *mid_request_body(const struct mid_key *key, const struct mid_request *r,
                              const char *const fields[7], const char *op_mode)
{
	char checksum[MID_CHECKSUM_HEX], time_limit[16];
	if (mid_checksum(key, fields, 7, checksum) != REGS_OK)
		return NULL;
	snprintf(time_limit, sizeof(time_limit), "%u", r->time_limit);
	struct mid_json j = {NULL, 0, 0, 0};
	mid_json_append(&j, "{", 1);
	mid_json_member(&j, "transaction_id", r->transaction_id);
	mid_json_member(&j, "sp_service_id", r->sp_service_id);
	mid_json_member(&j, "sp_checksum", checksum);
	mid_json_member(&j, "id_num", r->id_num);
	mid_json_member(&j, "op_code", MID_OP_ATH);
	if (op_mode != NULL)
		mid_json_member(&j, "op_mode", op_mode);
	mid_json_member(&j, "hint", r->hint != NULL ? r->hint : "");
	mid_json_member(&j, "time_limit", time_limit);
	return mid_json_finish(&j);
}

char *mid_push_json(const struct mid_key *key, const struct mid_request *r)
{
	if (!mid_request_ok(key, r))
		return NULL;
	/* transaction_id, sp_service_id, id_num, device_user_def_desc, op_code, hint, sign_data */
	const char *const fields[7] = {r->transaction_id, r->sp_service_id, r->id_num, "",
	                               MID_OP_ATH,        r->hint,          ""};
	return mid_request_body(key, r, fields, NULL);
}

char *mid_ticket_json(const struct mid_key *key, const struct mid_request *r)
{
	if (!mid_request_ok(key, r))
		return NULL;
	/* transaction_id, sp_service_id, id_num, op_code, op_mode, hint, sign_data */
	const char *const fields[7] = {r->transaction_id, r->sp_service_id, r->id_num, MID_OP_ATH,
	                               MID_OP_MODE_SCAN,  r->hint,          ""};
	return mid_request_body(key, r, fields, MID_OP_MODE_SCAN);
}

char *mid_result_json(const struct mid_key *key, const char *transaction_id,
                      const char *sp_service_id, const char *sp_ticket_id)
{
	char checksum[MID_CHECKSUM_HEX];
	if (key == NULL || transaction_id == NULL || sp_service_id == NULL || sp_ticket_id == NULL)
		return NULL;
	const char *const fields[3] = {transaction_id, sp_service_id, sp_ticket_id};
	if (mid_checksum(key, fields, 3, checksum) != REGS_OK)
		return NULL;
	struct mid_json j = {NULL, 0, 0, 0};
	mid_json_append(&j, "{", 1);
	mid_json_member(&j, "transaction_id", transaction_id);
	mid_json_member(&j, "sp_service_id", sp_service_id);
	mid_json_member(&j, "sp_ticket_id", sp_ticket_id);
	mid_json_member(&j, "sp_checksum", checksum);
	return mid_json_finish(&j);
}

/* ---- Reading JSON ---- */

/* An answer's JSON object, strictly parsed, no larger than an answer can be; or NULL. */
static struct json_object *mid_json_parse_checked(const char *json, size_t len)
{
	return len <= MID_JSON_MAX ? sjson_parse_object(json, len) : NULL;
}

static struct json_object *mid_get_object(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, name, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static int mid_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* Copies a printable-ASCII string member that fits; optional: absent is "". */
static int mid_copy_field(struct json_object *obj, const char *name, int optional, char *out,
                          size_t outsz)
{
	struct json_object *v = NULL;
	if (optional && !json_object_object_get_ex(obj, name, &v)) {
		out[0] = '\0';
		return 1;
	}
	const char *s = sjson_string_member(obj, name);
	if (s == NULL || !mid_printable(s) || strlen(s) >= outsz || (!optional && s[0] == '\0'))
		return 0;
	memcpy(out, s, strlen(s) + 1);
	return 1;
}

/* Unix seconds, as a JSON integer or a string of digits. */
static int mid_get_time(struct json_object *obj, const char *name, int64_t *out)
{
	struct json_object *v = NULL;
	int64_t t = 0;
	if (!json_object_object_get_ex(obj, name, &v))
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		t = json_object_get_int64(v);
	} else {
		const char *s = sjson_string_member(obj, name);
		size_t n = s != NULL ? strlen(s) : 0;
		if (n == 0 || n > 13)
			return 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return 0;
			t = t * 10 + (s[i] - '0');
		}
	}
	if (t <= 0 || t >= MID_EXPIRATION_MAX)
		return 0;
	*out = t;
	return 1;
}

/* ---- sp_ticket ---- */

/* The second part must be SHA-256 over the first part's text as received. */
static int mid_ticket_hash_ok(const char *body, size_t body_len, const char *hash_b64,
                              size_t hash_len)
{
	uint8_t got[MID_DIGEST_BYTES], want[MID_DIGEST_BYTES];
	size_t n = 0;
	if (mid_b64_decode(hash_b64, hash_len, 1, got, sizeof(got), &n) != 0 || n != sizeof(got))
		return 0;
	if (EVP_Digest(body, body_len, want, NULL, EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		return 0;
	}
	return CRYPTO_memcmp(got, want, sizeof(got)) == 0;
}

static int mid_ticket_fields(struct json_object *obj, struct mid_ticket *t)
{
	return mid_copy_field(obj, "transaction_id", 0, t->transaction_id,
	                      sizeof(t->transaction_id)) &&
	       mid_copy_field(obj, "sp_ticket_id", 0, t->sp_ticket_id, sizeof(t->sp_ticket_id)) &&
	       mid_copy_field(obj, "sp_service_id", 0, t->sp_service_id,
	                      sizeof(t->sp_service_id)) &&
	       mid_copy_field(obj, "hashed_id_num", 0, t->hashed_id_num,
	                      sizeof(t->hashed_id_num)) &&
	       mid_copy_field(obj, "op_code", 0, t->op_code, sizeof(t->op_code)) &&
	       mid_copy_field(obj, "op_mode", 1, t->op_mode, sizeof(t->op_mode)) &&
	       mid_get_time(obj, "expiration_time", &t->expiration_time);
}

enum regs_err mid_ticket_parse(const char *sp_ticket, struct mid_ticket *out)
{
	if (sp_ticket == NULL || out == NULL)
		return REGS_ERR_INVALID;
	size_t len = strnlen(sp_ticket, MID_TICKET_MAX);
	const char *dot = memchr(sp_ticket, '.', len);
	if (len >= MID_TICKET_MAX || dot == NULL || dot == sp_ticket)
		return REGS_ERR_INVALID;
	size_t body_len = (size_t)(dot - sp_ticket);
	if (!mid_ticket_hash_ok(sp_ticket, body_len, dot + 1, len - body_len - 1))
		return REGS_ERR_INVALID;
	uint8_t json[MID_TICKET_MAX];
	size_t json_len = 0;
	if (mid_b64_decode(sp_ticket, body_len, 1, json, sizeof(json), &json_len) != 0)
		return REGS_ERR_INVALID;
	struct json_object *obj = mid_json_parse_checked((const char *)json, json_len);
	struct mid_ticket t;
	memset(&t, 0, sizeof(t));
	enum regs_err err = obj != NULL && mid_ticket_fields(obj, &t) ? REGS_OK : REGS_ERR_INVALID;
	if (err == REGS_OK)
		*out = t;
	json_object_put(obj);
	return err;
}

/* ---- Answers ---- */

static void mid_err(char *err, size_t errlen, const char *text)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", text);
}

/* The service's code, printable ASCII only and cut at MID_CODE_MAX: it is
 * logged, and the answer is not authenticated yet. */
static void mid_err_code(char *err, size_t errlen, const char *code)
{
	if (err == NULL || errlen == 0)
		return;
	size_t i = 0;
	for (; code[i] != '\0' && i < MID_CODE_MAX && i + 1 < errlen; i++)
		err[i] = code[i] >= 0x20 && code[i] <= 0x7e ? code[i] : '?';
	err[i] = '\0';
}

static int mid_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Our service's dialect (docs/mobile-id.md). polling: the pending codes
 * count as pending only for getAthOrSignResult. */
static enum mid_verdict mid_code_verdict(const char *code, int polling)
{
	if (strcmp(code, "0") == 0)
		return MID_OK;
	if (polling && (strcmp(code, "20002") == 0 || strcmp(code, "20003") == 0 ||
	                mid_ends_with(code, "_TXNLOG_NF")))
		return MID_PENDING;
	if (strcmp(code, "20001") == 0)
		return MID_EXPIRED;
	if (strcmp(code, "20004") == 0 || strcmp(code, "20005") == 0)
		return MID_DENIED;
	return MID_SERVICE_ERROR;
}

/* The root object and its error_code, or MID_MALFORMED. */
static enum mid_verdict mid_answer_open(const char *json, size_t len, struct json_object **root,
                                        const char **code, char *err, size_t errlen)
{
	*root = mid_json_parse_checked(json, len);
	*code = sjson_string_member(*root, "error_code");
	if (*code != NULL)
		return MID_OK;
	mid_err(err, errlen, "answer is not a JSON object with a string error_code");
	return MID_MALFORMED;
}

static enum mid_verdict mid_code_outcome(const char *code, int polling, char *err, size_t errlen)
{
	enum mid_verdict v = mid_code_verdict(code, polling);
	if (v == MID_SERVICE_ERROR)
		mid_err_code(err, errlen, code);
	else if (v != MID_OK)
		mid_err(err, errlen, mid_verdict_name(v));
	return v;
}

static enum mid_verdict mid_ticket_answer_check(const struct mid_key *key, struct json_object *root,
                                                const char *code, const char *transaction_id,
                                                char sp_ticket[MID_TICKET_MAX],
                                                struct mid_ticket *ticket, char *err, size_t errlen)
{
	struct json_object *result = mid_get_object(root, "result");
	const char *t = sjson_string_member(result, "sp_ticket");
	if (t == NULL) {
		mid_err(err, errlen, "answer has no result.sp_ticket");
		return MID_MALFORMED;
	}
	const char *const fields[3] = {transaction_id, code, t};
	if (!mid_checksum_ok(key, fields, 3, sjson_string_member(result, "idp_checksum"))) {
		mid_err(err, errlen, "idp_checksum does not verify");
		return MID_BAD_CHECKSUM;
	}
	struct mid_ticket parsed;
	if (mid_ticket_parse(t, &parsed) != REGS_OK) {
		mid_err(err, errlen, "sp_ticket does not parse or its hash is wrong");
		return MID_MALFORMED;
	}
	if (strcmp(parsed.transaction_id, transaction_id) != 0 ||
	    strcmp(parsed.op_code, MID_OP_ATH) != 0) {
		mid_err(err, errlen, "sp_ticket is for another transaction");
		return MID_WRONG_TRANSACTION;
	}
	memcpy(sp_ticket, t, strlen(t) + 1); /* fits: mid_ticket_parse checked the length */
	*ticket = parsed;
	return MID_OK;
}

enum mid_verdict mid_parse_ticket_answer(const struct mid_key *key, const char *json, size_t len,
                                         const char *transaction_id, char sp_ticket[MID_TICKET_MAX],
                                         struct mid_ticket *ticket, char *err, size_t errlen)
{
	mid_err(err, errlen, "");
	if (key == NULL || transaction_id == NULL || sp_ticket == NULL || ticket == NULL) {
		mid_err(err, errlen, "bad arguments");
		return MID_MALFORMED;
	}
	struct json_object *root = NULL;
	const char *code = NULL;
	enum mid_verdict v = mid_answer_open(json, len, &root, &code, err, errlen);
	if (v == MID_OK)
		v = mid_code_outcome(code, 0, err, errlen);
	if (v == MID_OK)
		v = mid_ticket_answer_check(key, root, code, transaction_id, sp_ticket, ticket, err,
		                            errlen);
	json_object_put(root);
	return v;
}

/* ---- Results ---- */

/* The strings of a result; idp_checksum may be NULL (then it does not verify). */
struct mid_answer {
	const char *code, *hashed_id_num, *signed_response, *cert, *idp_checksum;
};

static enum mid_verdict mid_result_fields(struct json_object *root, struct mid_answer *a, char *err,
                                          size_t errlen)
{
	struct json_object *result = mid_get_object(root, "result");
	a->hashed_id_num = sjson_string_member(result, "hashed_id_num");
	a->signed_response = sjson_string_member(result, "signed_response");
	a->cert = sjson_string_member(result, "cert");
	a->idp_checksum = sjson_string_member(result, "idp_checksum");
	if (a->hashed_id_num != NULL && a->signed_response != NULL && a->cert != NULL)
		return MID_OK;
	mid_err(err, errlen, "result lacks hashed_id_num, signed_response or cert");
	return MID_MALFORMED;
}

/* The certificate from base64 DER, all of it; NULL when it does not decode. */
static X509 *mid_cert_decode(const char *b64, uint8_t **der, size_t *der_len)
{
	*der = malloc(MID_CERT_MAX);
	if (*der == NULL || mid_b64_decode(b64, strlen(b64), 0, *der, MID_CERT_MAX, der_len) != 0 ||
	    *der_len == 0)
		return NULL;
	const unsigned char *p = *der;
	X509 *cert = d2i_X509(NULL, &p, (long)*der_len);
	if (cert != NULL && p != *der + *der_len) {
		X509_free(cert);
		cert = NULL;
	}
	ERR_clear_error();
	return cert;
}

/* sig (base64) over the challenge by the certificate's RSA (PKCS#1 v1.5) or EC key, SHA-256. */
static int mid_signature_ok(X509 *cert, const char *challenge, const char *sig_b64)
{
	uint8_t sig[MID_SIG_MAX];
	size_t sig_len = 0;
	int ok = 0;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *key = X509_get0_pubkey(cert);
	int rsa = key != NULL && EVP_PKEY_is_a(key, "RSA");
	if (md == NULL || key == NULL || (!rsa && !EVP_PKEY_is_a(key, "EC")) ||
	    mid_b64_decode(sig_b64, strlen(sig_b64), 0, sig, sizeof(sig), &sig_len) != 0)
		goto out;
	if (EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    (rsa && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0))
		goto out;
	ok = EVP_DigestVerify(md, sig, sig_len, (const uint8_t *)challenge, strlen(challenge)) == 1;
out:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

static enum mid_verdict mid_chain_verdict(const struct x509_anchors *anchors, const uint8_t *der,
                                          size_t len, int64_t now, char *err, size_t errlen)
{
	enum x509_verdict x =
	    anchors != NULL ? x509_verify_chain(anchors, der, len, now) : X509_VERDICT_UNTRUSTED;
	if (x == X509_VERDICT_OK)
		return MID_OK;
	char text[64];
	snprintf(text, sizeof(text), "certificate: %s", x509_verdict_name(x));
	mid_err(err, errlen, text);
	switch (x) {
	case X509_VERDICT_EXPIRED:
	case X509_VERDICT_NOT_YET_VALID:
	case X509_VERDICT_BAD_KEY_USAGE:
		return MID_CERT_INVALID;
	case X509_VERDICT_MALFORMED:
		return MID_MALFORMED;
	default: /* no chain, a broken signature in it: either way not the anchors' */
		return MID_CERT_UNTRUSTED;
	}
}

/* Identity from the certificate into out; MID_MALFORMED when a name does not fit. */
static enum mid_verdict mid_result_fill(const struct mid_answer *a, const uint8_t *der,
                                        size_t der_len, struct mid_result *out, char *err,
                                        size_t errlen)
{
	struct x509_identity id;
	if (x509_identity(der, der_len, &id) != REGS_OK) {
		mid_err(err, errlen, "certificate names do not fit");
		return MID_MALFORMED;
	}
	memcpy(out->hashed_id_num, a->hashed_id_num, strlen(a->hashed_id_num) + 1);
	memcpy(out->cert_sha256, id.sha256, sizeof(out->cert_sha256));
	memcpy(out->cert_subject, id.subject, sizeof(out->cert_subject));
	return MID_OK;
}

/* The certificate decodes, signed the challenge, and chains to the anchors. */
static enum mid_verdict mid_result_proof(const struct mid_answer *a, const char *transaction_id,
                                         const struct mid_ticket *ticket,
                                         const struct x509_anchors *anchors, int64_t now,
                                         struct mid_result *out, char *err, size_t errlen)
{
	enum mid_verdict v = MID_MALFORMED;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char challenge[MID_CHALLENGE_MAX];
	X509 *cert = mid_cert_decode(a->cert, &der, &der_len);
	if (cert == NULL) {
		mid_err(err, errlen, "cert is not base64 DER of one certificate");
		goto out;
	}
	mid_challenge(transaction_id, ticket->sp_ticket_id, challenge);
	if (!mid_signature_ok(cert, challenge, a->signed_response)) {
		mid_err(err, errlen, "signed_response does not verify with the certificate");
		v = MID_BAD_SIGNATURE;
		goto out;
	}
	v = mid_chain_verdict(anchors, der, der_len, now, err, errlen);
	if (v == MID_OK)
		v = mid_result_fill(a, der, der_len, out, err, errlen);
out:
	X509_free(cert);
	free(der);
	return v;
}

/* Everything after the shape and error_code, in the order of mobileid.h. */
static enum mid_verdict mid_result_verify(const struct mid_key *key, const struct mid_answer *a,
                                          const char *transaction_id,
                                          const struct mid_ticket *ticket,
                                          const struct x509_anchors *anchors, int64_t now,
                                          struct mid_result *out, char *err, size_t errlen)
{
	const char *const fields[4] = {transaction_id, a->code, a->hashed_id_num,
	                               a->signed_response};
	if (!mid_checksum_ok(key, fields, 4, a->idp_checksum)) {
		mid_err(err, errlen, "idp_checksum does not verify");
		return MID_BAD_CHECKSUM;
	}
	if (strcmp(a->hashed_id_num, ticket->hashed_id_num) != 0) {
		mid_err(err, errlen, "hashed_id_num differs from the ticket's");
		return MID_WRONG_TRANSACTION;
	}
	return mid_result_proof(a, transaction_id, ticket, anchors, now, out, err, errlen);
}

/* The caller's transaction and ticket must agree and fit the challenge. */
static int mid_result_args_ok(const struct mid_key *key, const char *transaction_id,
                              const struct mid_ticket *ticket, const struct mid_result *out)
{
	return key != NULL && transaction_id != NULL && ticket != NULL && out != NULL &&
	       strnlen(transaction_id, MID_TXN_MAX) < MID_TXN_MAX &&
	       strnlen(ticket->sp_ticket_id, MID_FIELD_MAX) < MID_FIELD_MAX &&
	       strnlen(ticket->hashed_id_num, MID_FIELD_MAX) < MID_FIELD_MAX;
}

enum mid_verdict mid_parse_result(const struct mid_key *key, const char *json, size_t len,
                                  const char *transaction_id, const struct mid_ticket *ticket,
                                  const struct x509_anchors *anchors, int64_t now,
                                  struct mid_result *out, char *err, size_t errlen)
{
	mid_err(err, errlen, "");
	if (!mid_result_args_ok(key, transaction_id, ticket, out)) {
		mid_err(err, errlen, "bad arguments");
		return MID_MALFORMED;
	}
	if (strncmp(ticket->transaction_id, transaction_id, MID_TXN_MAX) != 0) {
		mid_err(err, errlen, "the ticket is for another transaction");
		return MID_WRONG_TRANSACTION;
	}
	struct json_object *root = NULL;
	struct mid_answer a = {NULL, NULL, NULL, NULL, NULL};
	enum mid_verdict v = mid_answer_open(json, len, &root, &a.code, err, errlen);
	if (v == MID_OK)
		v = mid_code_outcome(a.code, 1, err, errlen);
	if (v == MID_OK)
		v = mid_result_fields(root, &a, err, errlen);
	if (v == MID_OK)
		v = mid_result_verify(key, &a, transaction_id, ticket, anchors, now, out, err,
		                      errlen);
	json_object_put(root);
	return v;
}
