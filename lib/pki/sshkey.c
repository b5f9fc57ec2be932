/* A certificate's public key as an OpenSSH authorized_keys line (R11.4): the SSH wire format
 * of RFC 4253 (ssh-rsa) and RFC 5656 (ecdsa-sha2-*), base64, after the key type name. */
#include "pki/sshkey.h"
#include "base/base64.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* 11 bytes of "ssh-rsa" plus two mpints of at most SSHKEY_MAX_RSA_BITS; ECDSA is smaller. */
#define WIRE_MAX (16 + 2 * (4 + 1 + SSHKEY_MAX_RSA_BITS / 8))

struct wire {
	uint8_t buf[WIRE_MAX];
	size_t len;
	int overflow;
};

static void put_u32(struct wire *w, size_t v)
{
	if (w->len + 4 > sizeof(w->buf)) {
		w->overflow = 1;
		return;
	}
	for (int shift = 24; shift >= 0; shift -= 8)
		w->buf[w->len++] = (uint8_t)(v >> shift);
}

/* An SSH "string": a 4-byte length, then the bytes. */
static void put_string(struct wire *w, const void *data, size_t len)
{
	put_u32(w, len);
	if (w->overflow || w->len + len > sizeof(w->buf)) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

/* An SSH "mpint" of a non-negative number: big-endian, minimal, a 0 byte in front when the
 * top bit is set (RFC 4251 section 5). */
static void put_mpint(struct wire *w, const BIGNUM *bn)
{
	uint8_t mag[1 + SSHKEY_MAX_RSA_BITS / 8];
	int n = BN_num_bytes(bn);
	if (BN_is_negative(bn) || n < 0 || (size_t)n + 1 > sizeof(mag)) {
		w->overflow = 1;
		return;
	}
	mag[0] = 0;
	BN_bn2bin(bn, mag + 1);
	int pad = n > 0 && (mag[1] & 0x80) ? 1 : 0;
	put_string(w, mag + 1 - pad, (size_t)(n + pad));
}

#define TYPE_MAX 32

static enum regs_err rsa_wire(EVP_PKEY *pkey, struct wire *w, char type[TYPE_MAX])
{
	BIGNUM *e = NULL, *n = NULL;
	enum regs_err err = REGS_ERR_CRYPTO;
	if (EVP_PKEY_get_bits(pkey) > SSHKEY_MAX_RSA_BITS)
		return REGS_ERR_INVALID;
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1) {
		snprintf(type, TYPE_MAX, "ssh-rsa");
		put_string(w, type, strlen(type));
		put_mpint(w, e);
		put_mpint(w, n);
		err = w->overflow ? REGS_ERR_INVALID : REGS_OK;
	}
	BN_free(e);
	BN_free(n);
	return err;
}

/* The curves OpenSSH knows, by OpenSSL's group name. */
static const char *ecdsa_curve(const char *group)
{
	static const char *const names[][2] = {
	    {"prime256v1", "nistp256"}, {"P-256", "nistp256"},     {"secp384r1", "nistp384"},
	    {"P-384", "nistp384"},      {"secp521r1", "nistp521"}, {"P-521", "nistp521"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(group, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

static enum regs_err ecdsa_wire(EVP_PKEY *pkey, struct wire *w, char type[TYPE_MAX])
{
	char group[64];
	uint8_t point[1 + 2 * 66];
	size_t point_len = 0;
	const char *curve;
	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1 ||
	    !(curve = ecdsa_curve(group)))
		return REGS_ERR_INVALID;
	/* OpenSSH wants the uncompressed point (04 | x | y), whatever the certificate used. */
	if (EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                   "uncompressed") != 1 ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                    sizeof(point), &point_len) != 1 ||
	    point_len == 0 || point[0] != 0x04)
		return REGS_ERR_CRYPTO;
	snprintf(type, TYPE_MAX, "ecdsa-sha2-%s", curve);
	put_string(w, type, strlen(type));
	put_string(w, curve, strlen(curve));
	put_string(w, point, point_len);
	return w->overflow ? REGS_ERR_INVALID : REGS_OK;
}

static enum regs_err line_from_wire(const char *type, const struct wire *w, char *line, size_t size)
{
	size_t type_len = strlen(type);
	if (type_len + 1 + BASE64_ENCODED_SIZE(w->len) > size)
		return REGS_ERR_INVALID;
	memcpy(line, type, type_len);
	line[type_len] = ' ';
	base64_encode(w->buf, w->len, line + type_len + 1);
	return REGS_OK;
}

enum regs_err sshkey_from_certificate(const uint8_t *der, size_t len, char *line, size_t size)
{
	const unsigned char *p = der;
	X509 *cert = len > 0 && len < 1024 * 1024 ? d2i_X509(NULL, &p, (long)len) : NULL;
	EVP_PKEY *pkey = cert ? X509_get_pubkey(cert) : NULL;
	struct wire w = {.len = 0, .overflow = 0};
	char type[TYPE_MAX] = "";
	enum regs_err err = REGS_ERR_INVALID;
	if (size > 0)
		line[0] = '\0';
	if (!pkey || p != der + len)
		goto out;
	if (EVP_PKEY_is_a(pkey, "RSA"))
		err = rsa_wire(pkey, &w, type);
	else if (EVP_PKEY_is_a(pkey, "EC"))
		err = ecdsa_wire(pkey, &w, type);
	if (err == REGS_OK)
		err = line_from_wire(type, &w, line, size);
out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	return err;
}
