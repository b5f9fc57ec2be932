/* The fuzz harnesses' shared helpers: PKI, signatures, base64, scripted card (fuzz_util.h). */
#include "fuzz_util.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCARD_W_REMOVED_CARD 0x80100069L

void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz %s: %s\n", fuzz_target_name, what);
	abort();
}

void fuzz_note(const char *what, int value)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("REGS_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "# %s: %d\n", what, value);
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		fuzz_fail("out of memory");
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *fuzz_base64(const uint8_t *in, size_t len, int url)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out == NULL)
		fuzz_fail("out of memory");
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (url) {
		while (n > 0 && out[n - 1] == '=')
			n--;
		for (int i = 0; i < n; i++)
			out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[n] = '\0';
	return out;
}

int fuzz_sign(EVP_PKEY *key, const void *data, size_t len, uint8_t **sig, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 0;
	*sig = NULL;
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &n, data, len) != 1 || (*sig = malloc(n)) == NULL ||
	    EVP_DigestSign(md, *sig, &n, data, len) != 1)
		fuzz_fail("signing failed");
	EVP_MD_CTX_free(md);
	*sig_len = n;
	return 0;
}

/* ---- The throw-away PKI ---- */

static X509_NAME *fuzz_name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"TW", -1, -1,
	                                0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"pam_regs",
	                                -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
	                                0))
		fuzz_fail("X509_NAME");
	return n;
}

static void fuzz_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL || !X509_add_ext(cert, ext, -1))
		fuzz_fail("X509 extension");
	X509_EXTENSION_free(ext);
}

/* 2020-01-01 .. 2040-01-01: FUZZ_NOW is inside. */
static X509 *fuzz_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, int ca)
{
	X509 *c = X509_new();
	X509_NAME *subject = fuzz_name(cn);
	if (c == NULL || !X509_set_version(c, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(c), serial) ||
	    !X509_set_subject_name(c, subject) ||
	    !X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : subject) ||
	    !ASN1_TIME_set(X509_getm_notBefore(c), 1577836800) ||
	    !ASN1_TIME_set(X509_getm_notAfter(c), 2208988800) || !X509_set_pubkey(c, key))
		fuzz_fail("X509");
	X509_NAME_free(subject);
	fuzz_ext(c, issuer ? issuer : c, NID_basic_constraints,
	         ca ? "critical,CA:TRUE" : "CA:FALSE");
	fuzz_ext(c, issuer ? issuer : c, NID_key_usage,
	         ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
	if (!X509_sign(c, issuer_key, EVP_sha256()))
		fuzz_fail("X509_sign");
	return c;
}

/* Anchors load only from a file: write it into a private directory and remove both at once. */
static struct x509_anchors *fuzz_load_anchors(X509 *ca)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600];
	snprintf(dir, sizeof(dir), "%s/regs-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		fuzz_fail("mkdtemp");
	snprintf(path, sizeof(path), "%s/anchors.pem", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL || !PEM_write_X509(f, ca) || fclose(f) != 0)
		fuzz_fail("writing the anchors");
	struct x509_anchors *a = NULL;
	enum regs_err err = x509_anchors_load(path, &a);
	unlink(path);
	rmdir(dir);
	if (err != REGS_OK)
		fuzz_fail("x509_anchors_load");
	return a;
}

const struct fuzz_pki *fuzz_pki(void)
{
	static struct fuzz_pki pki;
	if (pki.anchors != NULL)
		return &pki;
	pki.ca_key = EVP_EC_gen("P-256");
	pki.leaf_key = EVP_EC_gen("P-256");
	if (pki.ca_key == NULL || pki.leaf_key == NULL)
		fuzz_fail("EVP_EC_gen");
	pki.ca = fuzz_cert(FUZZ_CA_NAME, 1, pki.ca_key, NULL, pki.ca_key, 1);
	pki.leaf = fuzz_cert("regs fuzz citizen", 0x0A1B2C3D, pki.leaf_key, pki.ca, pki.ca_key, 0);
	unsigned char *der = NULL;
	int n = i2d_X509(pki.leaf, &der);
	if (n <= 0)
		fuzz_fail("i2d_X509");
	pki.leaf_der = der;
	pki.leaf_der_len = (size_t)n;
	pki.anchors = fuzz_load_anchors(pki.ca);
	ERR_clear_error();
	return &pki;
}

/* ---- The scripted card ---- */

static long fuzz_script_transmit(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                                 size_t *resp_len)
{
	struct fuzz_script *s = ctx;
	if (getenv("REGS_FUZZ_TRACE") != NULL) {
		fputs(">", stderr);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, " %02X", cmd[i]);
		fputs("\n", stderr);
	}
	if (s->p >= s->end)
		return SCARD_W_REMOVED_CARD;
	size_t n = *s->p++;
	if (n == 0xFF) {
		if (s->p >= s->end)
			return SCARD_W_REMOVED_CARD;
		n += *s->p++;
	}
	if (n > *resp_len)
		n = *resp_len;
	if (n > (size_t)(s->end - s->p))
		n = (size_t)(s->end - s->p);
	memcpy(resp, s->p, n);
	s->p += n;
	*resp_len = n;
	return 0;
}

struct apdu_io fuzz_script_io(struct fuzz_script *s)
{
	struct apdu_io io = {fuzz_script_transmit, s};
	return io;
}
