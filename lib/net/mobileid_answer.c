/* The mobile citizen certificate relying-party API (R4.5), the answers: sp_tickets, the answers
 * that carry them, and verified results (idp_checksum, signature, certificate chain), as
 * docs/twfido.md and docs/mobile-id.md describe them. */
#include "net/mobileid.h"

#include "base/base64.h"

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

#define MID_CERT_MAX (16 * 1024)       /* DER bytes of the phone's certificate */
#define MID_SIG_MAX 1024               /* RSA-8192 */
#define MID_CODE_MAX 64                /* an error code as err repeats it */
#define MID_EXPIRATION_MAX (1LL << 40) /* Unix seconds; milliseconds are larger and refused */

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
	uint8_t got[MID_SHA256_BYTES], want[MID_SHA256_BYTES];
	size_t n = 0;
	if (base64_decode(hash_b64, hash_len, BASE64_URL, got, sizeof(got), &n) != REGS_OK ||
	    n != sizeof(got))
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
	if (base64_decode(sp_ticket, body_len, BASE64_URL, json, sizeof(json), &json_len) !=
	    REGS_OK)
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
	if (*der == NULL ||
	    base64_decode(b64, strlen(b64), 0, *der, MID_CERT_MAX, der_len) != REGS_OK ||
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
	    base64_decode(sig_b64, strlen(sig_b64), 0, sig, sizeof(sig), &sig_len) != REGS_OK)
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
