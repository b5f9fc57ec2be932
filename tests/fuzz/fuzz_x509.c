/* Certificates (lib/pki/x509.c): the identity read from any DER, the chain check, the
 * proof-of-possession check, and the OpenSSH key line made from it (lib/pki/sshkey.c). A
 * certificate that parses is also re-issued by the harness's CA (issuer set to the CA, re-signed),
 * so the chain check reaches the leaf's own checks. */
#include "fuzz_util.h"
#include "pki/sshkey.h"
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "x509";

static void check_identity(const uint8_t *der, size_t len)
{
	struct x509_identity id;
	if (x509_identity(der, len, &id) != REGS_OK)
		return;
	if (memchr(id.issuer, 0, sizeof(id.issuer)) == NULL ||
	    memchr(id.subject, 0, sizeof(id.subject)) == NULL ||
	    memchr(id.serial_hex, 0, sizeof(id.serial_hex)) == NULL ||
	    memchr(id.id_last4, 0, sizeof(id.id_last4)) == NULL ||
	    id.issuer_key_id_len > X509_KEY_ID_MAX)
		fuzz_fail("x509_identity: an unterminated field");
}

static void check_key_line(const uint8_t *der, size_t len)
{
	char line[SSHKEY_LINE_MAX];
	if (sshkey_from_certificate(der, len, line, sizeof(line)) != REGS_OK)
		return;
	if (memchr(line, 0, sizeof(line)) == NULL ||
	    (strncmp(line, "ssh-rsa AAAA", 12) != 0 &&
	     strncmp(line, "ecdsa-sha2-nistp", 16) != 0) ||
	    strpbrk(line, "\n\r") != NULL)
		fuzz_fail("sshkey_from_certificate: not one OpenSSH key line");
}

/* The input certificate issued by the harness's CA, malloc'd DER; NULL when it does not parse. */
static uint8_t *reissued(const uint8_t *der, size_t len, size_t *out_len)
{
	const struct fuzz_pki *pki = fuzz_pki();
	const unsigned char *p = der;
	X509 *c = d2i_X509(NULL, &p, (long)len);
	unsigned char *out = NULL;
	int n = 0;
	if (c != NULL && X509_set_issuer_name(c, X509_get_subject_name(pki->ca)) &&
	    X509_sign(c, pki->ca_key, EVP_sha256()) > 0)
		n = i2d_X509(c, &out);
	X509_free(c);
	ERR_clear_error();
	*out_len = n > 0 ? (size_t)n : 0;
	return n > 0 ? out : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_pki *pki = fuzz_pki();
	static uint8_t *sig;
	static size_t sig_len;
	static const char challenge[] = "regs fuzz challenge";
	if (sig == NULL)
		fuzz_sign(pki->leaf_key, challenge, strlen(challenge), &sig, &sig_len);

	check_identity(data, size);
	check_key_line(data, size);
	(void)x509_verify_chain(pki->anchors, data, size, FUZZ_NOW);
	(void)x509_verify_signature(data, size, (const uint8_t *)challenge, strlen(challenge), sig,
	                            sig_len);
	size_t len = 0;
	uint8_t *der = reissued(data, size, &len);
	if (der != NULL) {
		check_identity(der, len);
		fuzz_note("x509_verify_chain re-issued",
		          x509_verify_chain(pki->anchors, der, len, FUZZ_NOW));
		(void)x509_verify_signature(der, len, (const uint8_t *)challenge, strlen(challenge),
		                            sig, sig_len);
		OPENSSL_free(der);
	}
	return 0;
}
