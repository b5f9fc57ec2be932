/* CRLs (lib/pki/crl.c). The input is a TBSCertList: the harness wraps it in a CertificateList
 * signed (ECDSA with SHA-256) by its own CA and parses that with the CA as anchor, so everything
 * after the signature check is reached whenever the input names the CA as issuer and
 * ecdsa-with-SHA256 as signature algorithm (the seeds do). The raw input is also parsed as a
 * whole CRL without anchors. */
#include "fuzz_util.h"
#include "pki/crl.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "crl";

static const uint8_t ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                       0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

/* A DER header for tag and len into out (at most 6 bytes); its length. */
static size_t der_header(uint8_t tag, size_t len, uint8_t *out)
{
	size_t n = 0;
	out[n++] = tag;
	if (len < 0x80) {
		out[n++] = (uint8_t)len;
		return n;
	}
	size_t bytes = len > 0xFFFFFF ? 4 : len > 0xFFFF ? 3 : len > 0xFF ? 2 : 1;
	out[n++] = (uint8_t)(0x80 | bytes);
	for (size_t i = bytes; i-- > 0;)
		out[n++] = (uint8_t)(len >> (8 * i));
	return n;
}

/* SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING { 00 signature } }, malloc'd. */
static uint8_t *signed_crl(const uint8_t *tbs, size_t tbs_len, size_t *out_len)
{
	uint8_t *sig;
	size_t sig_len;
	fuzz_sign(fuzz_pki()->ca_key, tbs, tbs_len, &sig, &sig_len);
	uint8_t bit_hdr[6], outer_hdr[6];
	size_t bit_hdr_len = der_header(0x03, sig_len + 1, bit_hdr);
	size_t body = tbs_len + sizeof(ecdsa_sha256) + bit_hdr_len + 1 + sig_len;
	size_t outer_hdr_len = der_header(0x30, body, outer_hdr);
	uint8_t *crl = malloc(outer_hdr_len + body);
	if (crl == NULL)
		fuzz_fail("out of memory");
	uint8_t *p = crl;
	memcpy(p, outer_hdr, outer_hdr_len), p += outer_hdr_len;
	memcpy(p, tbs, tbs_len), p += tbs_len;
	memcpy(p, ecdsa_sha256, sizeof(ecdsa_sha256)), p += sizeof(ecdsa_sha256);
	memcpy(p, bit_hdr, bit_hdr_len), p += bit_hdr_len;
	*p++ = 0;
	memcpy(p, sig, sig_len), p += sig_len;
	free(sig);
	*out_len = (size_t)(p - crl);
	return crl;
}

/* Lookups on a parsed set: the certificate's own serial and a few odd ones. */
static void use_set(const struct crl_set *s)
{
	struct x509_identity id;
	const struct fuzz_pki *pki = fuzz_pki();
	(void)crl_set_count(s);
	(void)crl_set_issuer(s);
	if (x509_identity(pki->leaf_der, pki->leaf_der_len, &id) != REGS_OK)
		fuzz_fail("x509_identity of the harness's own leaf");
	(void)crl_verdict(s, &id, FUZZ_NOW, 3600);
	(void)crl_is_revoked(s, "0A1B2C3D");
	(void)crl_is_revoked(s, "-00");
	(void)crl_is_revoked(s, "000000000000000000000000000000000000000000000001");
	static const uint8_t zero[1] = {0};
	(void)crl_is_revoked_bytes(s, zero, 1, 1);
}

static void parse(const uint8_t *der, size_t len, const struct x509_anchors *anchors)
{
	struct crl_set *s = NULL;
	int64_t this_update = 0, next_update = 0;
	enum regs_err err = crl_parse(der, len, anchors, &s, &this_update, &next_update);
	fuzz_note(anchors ? "crl_parse re-signed" : "crl_parse raw", err);
	if (err == REGS_OK) {
		if (s == NULL)
			fuzz_fail("crl_parse: REGS_OK without a set");
		use_set(s);
	} else if (s != NULL) {
		fuzz_fail("crl_parse: a set on failure");
	}
	crl_set_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_pki *pki = fuzz_pki();
	size_t len = 0;
	uint8_t *crl = signed_crl(data, size, &len);
	parse(crl, len, pki->anchors);
	free(crl);
	parse(data, size, NULL);
	return 0;
}
