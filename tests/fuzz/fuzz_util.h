/* What the fuzz harnesses share (tests/fuzz): the libFuzzer entry point, a throw-away PKI made
 * once per process so that harnesses can re-sign their input, and a scripted card transport. */
#ifndef REGS_FUZZ_UTIL_H
#define REGS_FUZZ_UTIL_H
#include "card/apdu.h"
#include "pki/x509.h"
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

/* Called by libFuzzer, or by tests/fuzz/replay.c for every corpus file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each harness names itself (the corpus directory tests/fuzz/corpus/NAME). */
extern const char fuzz_target_name[];

/* The harnesses' fixed "now": inside the validity of every certificate they make. */
#define FUZZ_NOW 1700000000

/* A self-signed CA (EC P-256, keyCertSign + cRLSign, no key identifiers so that any
 * authority key identifier in the input matches) and a leaf it signed (EC P-256,
 * digitalSignature + nonRepudiation), loaded as anchors from a file written to and removed
 * from a private temporary directory. Made on first use; kept for the process's life. */
struct fuzz_pki {
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca, *leaf;
	uint8_t *leaf_der;
	size_t leaf_der_len;
	struct x509_anchors *anchors;
};
#define FUZZ_CA_NAME "regs fuzz CA" /* the CA's subject: C=TW, O=pam_regs, CN=FUZZ_CA_NAME */
const struct fuzz_pki *fuzz_pki(void);

/* A SHA-256 signature of data by key (ECDSA DER, or RSA PKCS#1 v1.5) into a malloc'd *sig. */
int fuzz_sign(EVP_PKEY *key, const void *data, size_t len, uint8_t **sig, size_t *sig_len);

/* base64 (url: base64url without padding) of len bytes, malloc'd and NUL-terminated. */
char *fuzz_base64(const uint8_t *in, size_t len, int url);

/* A NUL-terminated malloc'd copy of size bytes. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* With REGS_FUZZ_VERBOSE set, prints "what: value" to stderr: shows which outcome a seed reaches
 * (tests/fuzz/README.md), e.g. that a re-signed input gets past the signature check. */
void fuzz_note(const char *what, int value);

/* Aborts with a message: a broken property is a finding like a crash. */
void fuzz_fail(const char *what) __attribute__((noreturn));

/* A card transport answering from a script: each answer is a length byte (0xFF: 255 plus the
 * next byte, at most APDU_RESPONSE_MAX) and that many bytes; when the script runs out the card
 * is gone (SCARD_W_REMOVED_CARD). With REGS_FUZZ_TRACE set each command is printed to stderr
 * as "> HEX", which tests/fuzz/make_seeds.py uses to record a virtual card's answers. */
struct fuzz_script {
	const uint8_t *p, *end;
};
struct apdu_io fuzz_script_io(struct fuzz_script *s);
#endif
