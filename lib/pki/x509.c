/* Certificate checks for card login, with OpenSSL 3: anchors, chain, identity, signature. */
#include "pki/x509.h"
#include "base/trustedfile.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define X509_CHAIN_DEPTH 5 /* citizen → MOICA → GRCA, with room for a cross certificate */
#define X509_ID_LAST4_OID "2.16.886.1.100.2.51"

struct x509_anchors {
	X509_STORE *roots;              /* the self-signed certificates: trusted */
	STACK_OF(X509) * intermediates; /* the others: trusted only through a root */
	STACK_OF(X509) * all;           /* every certificate, for finding a CRL's signer */
};

const char *x509_verdict_name(enum x509_verdict v)
{
	switch (v) {
	case X509_VERDICT_OK:
		return "ok";
	case X509_VERDICT_UNTRUSTED:
		return "untrusted";
	case X509_VERDICT_EXPIRED:
		return "expired";
	case X509_VERDICT_NOT_YET_VALID:
		return "not yet valid";
	case X509_VERDICT_BAD_KEY_USAGE:
		return "bad key usage";
	case X509_VERDICT_REVOKED:
		return "revoked";
	case X509_VERDICT_NO_FRESH_CRL:
		return "no fresh CRL";
	case X509_VERDICT_BAD_SIGNATURE:
		return "bad signature";
	case X509_VERDICT_MALFORMED:
		return "malformed";
	}
	return "unknown";
}

/* ---- Anchors ---- */

void x509_anchors_free(struct x509_anchors *a)
{
	if (a == NULL)
		return;
	X509_STORE_free(a->roots);
	sk_X509_pop_free(a->intermediates, X509_free);
	sk_X509_pop_free(a->all, X509_free);
	free(a);
}

/* Takes ownership of cert, also on failure. */
static enum regs_err x509_anchors_add(struct x509_anchors *a, X509 *cert)
{
	if (!sk_X509_push(a->all, cert)) {
		X509_free(cert);
		return REGS_ERR_NOMEM;
	}
	/* a->all owns cert now; the root store or the intermediates get their own reference. */
	if (X509_self_signed(cert, 0) == 1)
		return X509_STORE_add_cert(a->roots, cert) ? REGS_OK : REGS_ERR_CRYPTO;
	if (!X509_up_ref(cert))
		return REGS_ERR_CRYPTO;
	if (!sk_X509_push(a->intermediates, cert)) {
		X509_free(cert);
		return REGS_ERR_NOMEM;
	}
	return REGS_OK;
}

enum regs_err x509_anchors_load(const char *pem_file, struct x509_anchors **out)
{
	*out = NULL;
	uint8_t *pem = NULL;
	size_t pem_len = 0;
	BIO *bio = NULL;
	/* An anchor file anyone can write would let anyone add a root. */
	enum regs_err err = trusted_file_read_bytes(pem_file, TRUSTED_ANCHORS,
	                                            X509_ANCHORS_FILE_MAX, &pem, &pem_len, NULL, 0);
	if (err != REGS_OK)
		return err;
	struct x509_anchors *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		err = REGS_ERR_NOMEM;
		goto out;
	}
	a->roots = X509_STORE_new();
	a->intermediates = sk_X509_new_null();
	a->all = sk_X509_new_null();
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	if (a->roots == NULL || a->intermediates == NULL || a->all == NULL || bio == NULL) {
		err = REGS_ERR_NOMEM;
		goto out;
	}
	ERR_clear_error();
	for (;;) {
		X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (cert == NULL) {
			unsigned long e = ERR_peek_last_error();
			/* No further BEGIN line is the normal end of the bundle. */
			if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
			    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
				err = REGS_ERR_INVALID;
				goto out;
			}
			break;
		}
		err = x509_anchors_add(a, cert);
		if (err != REGS_OK)
			goto out;
	}
	ERR_clear_error();
	if (sk_X509_num(a->all) == 0 ||
	    sk_X509_num(a->all) == sk_X509_num(a->intermediates)) { /* no root */
		err = REGS_ERR_INVALID;
		goto out;
	}
	*out = a;
	a = NULL;
	err = REGS_OK;
out:
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	x509_anchors_free(a);
	return err;
}

/* ---- Chain ---- */

/* Parses exactly len bytes of DER; trailing bytes make it malformed. */
static X509 *x509_parse(const uint8_t *der, size_t len)
{
	if (der == NULL || len == 0 || len > INT32_MAX)
		return NULL;
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	if (cert != NULL && p != der + len) {
		X509_free(cert);
		cert = NULL;
	}
	ERR_clear_error();
	return cert;
}

static enum x509_verdict x509_verdict_from_error(int error)
{
	switch (error) {
	case X509_V_OK:
		return X509_VERDICT_OK;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return X509_VERDICT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return X509_VERDICT_NOT_YET_VALID;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return X509_VERDICT_BAD_SIGNATURE;
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
		return X509_VERDICT_MALFORMED;
	default:
		/* No issuer, a self-signed stranger, an invalid CA, path length... */
		return X509_VERDICT_UNTRUSTED;
	}
}

/* The leaf must be an end-entity certificate allowed to sign: the card's
 * SIGN key signs the challenge. */
static int x509_leaf_may_sign(X509 *leaf)
{
	uint32_t flags = X509_get_extension_flags(leaf);
	if ((flags & EXFLAG_INVALID) != 0 || (flags & EXFLAG_CA) != 0)
		return 0;
	if ((flags & EXFLAG_KUSAGE) == 0) /* no keyUsage extension: required here */
		return 0;
	return (X509_get_key_usage(leaf) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

enum x509_verdict x509_verify_chain(const struct x509_anchors *a, const uint8_t *der, size_t len,
                                    int64_t now)
{
	enum x509_verdict verdict = X509_VERDICT_UNTRUSTED;
	X509_STORE_CTX *ctx = NULL;
	X509 *leaf = x509_parse(der, len);
	if (leaf == NULL)
		return X509_VERDICT_MALFORMED;
	ctx = X509_STORE_CTX_new();
	/* The store is only read while verifying; OpenSSL's API is not const. */
	if (ctx == NULL || !X509_STORE_CTX_init(ctx, a->roots, leaf, a->intermediates))
		goto out;
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)now);
	X509_VERIFY_PARAM_set_depth(param, X509_CHAIN_DEPTH);
	/* Revocation is crl.c's job, on a cached CRL; OpenSSL must not look for one. */
	X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL |
	                                         X509_V_FLAG_PARTIAL_CHAIN);
	int ok = X509_verify_cert(ctx);
	if (ok != 1) {
		verdict = x509_verdict_from_error(X509_STORE_CTX_get_error(ctx));
		if (verdict == X509_VERDICT_OK) /* an internal failure without an error code */
			verdict = X509_VERDICT_UNTRUSTED;
		goto out;
	}
	verdict = x509_leaf_may_sign(leaf) ? X509_VERDICT_OK : X509_VERDICT_BAD_KEY_USAGE;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	return verdict;
}

/* ---- Identity ---- */

/* RFC 2253 with UTF-8 kept as UTF-8 (not \XX escapes): MOICA's names are Chinese. */
enum regs_err x509_name_text(const X509_NAME *name, char *out, size_t outsz)
{
	enum regs_err err = REGS_ERR_NOMEM;
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		return REGS_ERR_NOMEM;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
		err = REGS_ERR_INVALID;
		goto out;
	}
	char *text = NULL;
	long n = BIO_get_mem_data(bio, &text);
	if (n < 0 || (size_t)n >= outsz || memchr(text, '\0', (size_t)n) != NULL) {
		err = REGS_ERR_INVALID;
		goto out;
	}
	memcpy(out, text, (size_t)n);
	out[n] = '\0';
	err = REGS_OK;
out:
	BIO_free(bio);
	return err;
}

static enum regs_err x509_serial_text(const ASN1_INTEGER *serial, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = ASN1_STRING_get0_data(serial);
	int n = ASN1_STRING_length(serial);
	if (n < 0 || (n > 0 && p == NULL))
		return REGS_ERR_INVALID;
	size_t len = (size_t)n;
	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	int negative = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER && len > 0;
	size_t need = (negative ? 1 : 0) + (len == 0 ? 2 : 2 * len) + 1;
	if (need > outsz)
		return REGS_ERR_INVALID;
	char *o = out;
	if (negative)
		*o++ = '-';
	if (len == 0) {
		*o++ = '0';
		*o++ = '0';
	}
	for (size_t i = 0; i < len; i++) {
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 0x0f];
	}
	*o = '\0';
	return REGS_OK;
}

static enum regs_err x509_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return REGS_ERR_INVALID;
	*out = (int64_t)timegm(&tm);
	return REGS_OK;
}

/* The attribute's first value, when it is a short printable string. */
static void x509_id_last4_from_attribute(X509_ATTRIBUTE *attr, char out[8])
{
	ASN1_TYPE *value = X509_ATTRIBUTE_get0_type(attr, 0);
	if (value == NULL)
		return;
	switch (value->type) {
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_UTF8STRING:
	case V_ASN1_NUMERICSTRING:
		break;
	default:
		return;
	}
	const ASN1_STRING *s = value->value.asn1_string;
	int n = ASN1_STRING_length(s);
	const unsigned char *p = ASN1_STRING_get0_data(s);
	if (n <= 0 || n > 7)
		return;
	for (int i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
}

/* Subject Directory Attributes ::= SEQUENCE OF Attribute, and an Attribute is
 * what OpenSSL calls X509_ATTRIBUTE; OpenSSL has no type for the sequence. */
static void x509_id_last4(X509 *cert, char out[8])
{
	out[0] = '\0';
	int idx = X509_get_ext_by_NID(cert, NID_subject_directory_attributes, -1);
	if (idx < 0)
		return;
	X509_EXTENSION *ext = X509_get_ext(cert, idx);
	ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
	const unsigned char *p = ASN1_STRING_get0_data(data);
	long len = ASN1_STRING_length(data);
	long seq_len = 0;
	int tag = 0, cls = 0;
	int ret = ASN1_get_object(&p, &seq_len, &tag, &cls, len);
	if ((ret & 0x80) != 0 || tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL)
		goto out;
	ASN1_OBJECT *want = OBJ_txt2obj(X509_ID_LAST4_OID, 1);
	if (want == NULL)
		goto out;
	const unsigned char *end = p + seq_len;
	while (p < end && out[0] == '\0') {
		X509_ATTRIBUTE *attr = d2i_X509_ATTRIBUTE(NULL, &p, end - p);
		if (attr == NULL)
			break;
		if (OBJ_cmp(X509_ATTRIBUTE_get0_object(attr), want) == 0)
			x509_id_last4_from_attribute(attr, out);
		X509_ATTRIBUTE_free(attr);
	}
	ASN1_OBJECT_free(want);
out:
	ERR_clear_error();
}

static void x509_key_id_copy(const ASN1_OCTET_STRING *id, uint8_t *out, size_t *outlen)
{
	*outlen = 0;
	if (id == NULL)
		return;
	int n = ASN1_STRING_length(id);
	if (n <= 0)
		return;
	size_t len = (size_t)n < X509_KEY_ID_MAX ? (size_t)n : X509_KEY_ID_MAX;
	memcpy(out, ASN1_STRING_get0_data(id), len);
	*outlen = len;
}

enum regs_err x509_identity(const uint8_t *der, size_t len, struct x509_identity *out)
{
	memset(out, 0, sizeof(*out));
	X509 *cert = x509_parse(der, len);
	if (cert == NULL)
		return REGS_ERR_INVALID;
	enum regs_err err = REGS_ERR_CRYPTO;
	if (EVP_Digest(der, len, out->sha256, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	err = x509_name_text(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
	if (err == REGS_OK)
		err =
		    x509_name_text(X509_get_subject_name(cert), out->subject, sizeof(out->subject));
	if (err == REGS_OK)
		err = x509_serial_text(X509_get0_serialNumber(cert), out->serial_hex,
		                       sizeof(out->serial_hex));
	if (err == REGS_OK)
		err = x509_time(X509_get0_notBefore(cert), &out->not_before);
	if (err == REGS_OK)
		err = x509_time(X509_get0_notAfter(cert), &out->not_after);
	if (err != REGS_OK)
		goto out;
	x509_id_last4(cert, out->id_last4);
	x509_key_id_copy(X509_get0_authority_key_id(cert), out->issuer_key_id,
	                 &out->issuer_key_id_len);
out:
	ERR_clear_error();
	X509_free(cert);
	return err;
}

/* ---- Challenge signature ---- */

enum x509_verdict x509_verify_signature(const uint8_t *der, size_t len, const uint8_t *data,
                                        size_t data_len, const uint8_t *sig, size_t sig_len)
{
	X509 *cert = x509_parse(der, len);
	if (cert == NULL)
		return X509_VERDICT_MALFORMED;
	enum x509_verdict verdict = X509_VERDICT_BAD_SIGNATURE;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *key = X509_get0_pubkey(cert);
	if (md == NULL || key == NULL || !EVP_PKEY_is_a(key, "RSA") || sig == NULL)
		goto out;
	if (EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_DigestVerify(md, sig, sig_len, data, data_len) == 1)
		verdict = X509_VERDICT_OK;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	X509_free(cert);
	return verdict;
}

/* ---- CRL signer ---- */

/* sig over tbs with key, for the digest and key type alg names. */
static int x509_signature_ok(EVP_PKEY *key, const X509_ALGOR *alg, const struct x509_signed *s)
{
	int md_nid = NID_undef, pkey_nid = NID_undef;
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &md_nid, &pkey_nid))
		return 0;
	const EVP_MD *md = EVP_get_digestbynid(md_nid);
	if (md == NULL || EVP_MD_get_size(md) < 32 || EVP_PKEY_get_base_id(key) != pkey_nid)
		return 0; /* PSS (no digest here), SHA-1 and MD5, or a key of another type */
	int ok = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, s->signature, s->signature_len, s->tbs, s->tbs_len) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

enum regs_err x509_anchors_verify_crl(const struct x509_anchors *a, const struct x509_signed *s,
                                      uint8_t key_id[X509_KEY_ID_MAX], size_t *key_id_len)
{
	*key_id_len = 0;
	if (a == NULL || s->issuer == NULL || s->algorithm_len > INT32_MAX)
		return REGS_ERR_CRYPTO;
	const unsigned char *p = s->algorithm;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)s->algorithm_len);
	if (alg == NULL || p != s->algorithm + s->algorithm_len) {
		X509_ALGOR_free(alg);
		ERR_clear_error();
		return REGS_ERR_CRYPTO;
	}
	enum regs_err err = REGS_ERR_CRYPTO;
	for (int i = 0; i < sk_X509_num(a->all); i++) {
		X509 *cand = sk_X509_value(a->all, i);
		if (X509_NAME_cmp(X509_get_subject_name(cand), s->issuer) != 0)
			continue;
		const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cand);
		if (s->issuer_key_id != NULL && skid != NULL &&
		    ((size_t)ASN1_STRING_length(skid) != s->issuer_key_id_len ||
		     memcmp(ASN1_STRING_get0_data(skid), s->issuer_key_id, s->issuer_key_id_len) !=
		         0))
			continue;
		if ((X509_get_extension_flags(cand) & EXFLAG_KUSAGE) != 0 &&
		    (X509_get_key_usage(cand) & KU_CRL_SIGN) == 0)
			continue;
		EVP_PKEY *key = X509_get0_pubkey(cand);
		if (key == NULL || !x509_signature_ok(key, alg, s))
			continue;
		x509_key_id_copy(skid, key_id, key_id_len);
		err = REGS_OK;
		break;
	}
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return err;
}
