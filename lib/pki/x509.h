/* Certificate checks for card login (R1.2, R3.4–R3.6): anchors, chain, identity, signature. */
#ifndef REGS_X509_H
#define REGS_X509_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

#define X509_NAME_MAX 256      /* issuer / subject in RFC 2253 UTF-8, with the NUL */
#define X509_SERIAL_HEX_MAX 80 /* serial as hex (see x509_identity), with the NUL */
#define X509_KEY_ID_MAX 32     /* authority / subject key identifier bytes kept */
#define X509_ANCHORS_FILE_MAX (1024 * 1024)

/* The trust anchors of one account class (personal: GRCA roots + MOICA
 * intermediates; institution: the XCA chain). Immutable once loaded, so one
 * set may be used from several threads. */
struct x509_anchors;

/* Why a certificate is refused; X509_VERDICT_OK when it is accepted.
 * X509_VERDICT_REVOKED and _NO_FRESH_CRL come from crl_verdict (crl.h), the
 * others from here. (Not X509_OK, X509_REVOKED: those names are OpenSSL's.) */
enum x509_verdict {
	X509_VERDICT_OK = 0,
	X509_VERDICT_UNTRUSTED,     /* no chain to an anchor of this class */
	X509_VERDICT_EXPIRED,       /* the certificate (or one above it) is past notAfter */
	X509_VERDICT_NOT_YET_VALID, /* before notBefore */
	X509_VERDICT_BAD_KEY_USAGE, /* not a signing end-entity certificate */
	X509_VERDICT_REVOKED,       /* listed in the issuer's CRL */
	X509_VERDICT_NO_FRESH_CRL,  /* no current CRL for the issuer: revocation unknown */
	X509_VERDICT_BAD_SIGNATURE, /* a signature in the chain or on the challenge fails */
	X509_VERDICT_MALFORMED,     /* not a DER certificate */
};

/* A short English name for logs ("expired", "revoked", ...). */
const char *x509_verdict_name(enum x509_verdict v);

/* Loads a PEM bundle. Self-signed certificates become trusted roots; the
 * others are intermediates a chain may go through but that are trusted only
 * when they chain to one of the bundle's roots. The file passes the
 * TRUSTED_ANCHORS rule (base/trustedfile.h): a regular file (a symbolic link is
 * followed) owned by root or the euid, not writable by group or other
 * (REGS_ERR_PERM), at most X509_ANCHORS_FILE_MAX bytes; a bundle with no
 * certificate, no root, or a broken PEM block is REGS_ERR_INVALID; a missing
 * file REGS_ERR_NOT_FOUND. */
enum regs_err x509_anchors_load(const char *pem_file, struct x509_anchors **out);
void x509_anchors_free(struct x509_anchors *a);

/* Verifies a DER end-entity certificate (only the certificate: intermediates
 * come from the anchors, never from the card) at time now (Unix seconds):
 * chain to a root of a, every certificate within validity at now, the leaf
 * not a CA and with a keyUsage extension holding digitalSignature or
 * nonRepudiation. Revocation is not checked here: see crl_verdict. */
enum x509_verdict x509_verify_chain(const struct x509_anchors *a, const uint8_t *der, size_t len,
                                    int64_t now);

/* What a binding stores (R3.6). serial_hex: the serial's magnitude in
 * uppercase hex, two digits per byte, leading zero bytes dropped ("00" for
 * zero), "-" in front of a negative serial; stable, so it can be compared as
 * a string. id_last4: the last digits of the national ID from the Subject
 * Directory Attributes extension (2.5.29.9, attribute 2.16.886.1.100.2.51),
 * "" when absent. issuer_key_id: the certificate's authority key identifier
 * (length 0 when absent); it tells the MOICA generations apart, which share
 * one issuer name. */
struct x509_identity {
	uint8_t sha256[32]; /* of the whole DER certificate */
	char issuer[X509_NAME_MAX];
	char serial_hex[X509_SERIAL_HEX_MAX];
	char subject[X509_NAME_MAX];
	int64_t not_before, not_after;
	char id_last4[8];
	uint8_t issuer_key_id[X509_KEY_ID_MAX];
	size_t issuer_key_id_len;
};

/* Fills out from a DER certificate. REGS_ERR_INVALID when it does not parse,
 * has trailing bytes, or a name or serial does not fit. */
enum regs_err x509_identity(const uint8_t *der, size_t len, struct x509_identity *out);

/* Proof of possession (R3.4): sig must be an RSA PKCS#1 v1.5 SHA-256
 * signature over data by the certificate's RSA key. X509_VERDICT_OK, X509_VERDICT_BAD_SIGNATURE
 * (wrong signature, or not an RSA key), or X509_VERDICT_MALFORMED (no certificate). */
enum x509_verdict x509_verify_signature(const uint8_t *der, size_t len, const uint8_t *data,
                                        size_t data_len, const uint8_t *sig, size_t sig_len);

/* For crl.c: a signed object as its raw DER parts, so a 20 MB CRL is hashed
 * in place rather than decoded into OpenSSL structures. */
struct X509_name_st;
struct x509_signed {
	const struct X509_name_st *issuer; /* the signer's subject must equal this */
	const uint8_t *issuer_key_id;      /* authority key identifier, or NULL */
	size_t issuer_key_id_len;
	const uint8_t *tbs; /* the signed bytes: the whole tbsCertList TLV */
	size_t tbs_len;
	const uint8_t *algorithm; /* the AlgorithmIdentifier TLV */
	size_t algorithm_len;
	const uint8_t *signature; /* the BIT STRING's bytes after the unused-bits octet */
	size_t signature_len;
};

/* Finds the anchor that signed s: subject equal to s->issuer, subject key
 * identifier equal to s->issuer_key_id when both exist, cRLSign allowed by its
 * keyUsage, and its key verifies the signature (RSA PKCS#1 v1.5 or ECDSA with
 * a SHA-2 digest; RSA-PSS is not supported). Copies its subject key identifier
 * to key_id (*key_id_len 0 when it has none). REGS_ERR_CRYPTO when no anchor
 * qualifies. */
enum regs_err x509_anchors_verify_crl(const struct x509_anchors *a, const struct x509_signed *s,
                                      uint8_t key_id[X509_KEY_ID_MAX], size_t *key_id_len);

/* For crl.c: an OpenSSL X509_NAME * as x509_identity writes names. */
enum regs_err x509_name_text(const struct X509_name_st *name, char *out, size_t outsz);

#endif
