/* Unit tests for certificate checks (R1.2, R3.4–R3.6) on a PKI made at test time with OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/x509.h"

#define T_NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 UTC */
#define DAY 86400
#define YEAR (365 * DAY)
#define MOICA_OU "內政部憑證管理中心"
#define MOICA_O "行政院"
#define CITIZEN_SERIAL "0A1B2C3D4E5F60718293A4B5C6D7E8F9"
#define CA_USAGE "critical,keyCertSign,cRLSign"
#define SIGN_USAGE "critical,digitalSignature,nonRepudiation"
/* SEQUENCE { SEQUENCE { OID 2.16.886.1.100.2.51, SET { PrintableString "1234" } } } */
#define SDA_ID_1234 "DER:30:13:30:11:06:07:60:86:76:01:64:02:33:31:06:13:04:31:32:33:34"
#define CHALLENGE "regs challenge 7f3a9c"

/* ---- Making the test PKI ---- */

struct der {
	uint8_t *bytes;
	size_t len;
};

struct pki {
	char dir[64];
	char personal_pem[128], institution_pem[128];
	EVP_PKEY *leaf_key, *stranger_key;
	X509 *grca, *moica, *xca;
	struct der citizen, expired, not_yet, encrypt_only, stranger, impostor, institution,
	    moica_der;
	struct x509_anchors *personal, *institution_anchors;
};

static X509_NAME *make_name(const char *c, const char *o, const char *ou, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	assert_non_null(n);
	const char *fields[][2] = {{"C", c}, {"O", o}, {"OU", ou}, {"CN", cn}};
	for (size_t i = 0; i < 4; i++)
		if (fields[i][1] != NULL)
			assert_int_equal(X509_NAME_add_entry_by_txt(
			                     n, fields[i][0], MBSTRING_UTF8,
			                     (const unsigned char *)fields[i][1], -1, -1, 0),
			                 1);
	return n;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* issuer NULL: self-signed by key. usage and sda may be NULL (no extension). */
static X509 *make_cert(X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *serial_hex, int64_t not_before, int64_t not_after, int ca,
                       const char *usage, const char *sda)
{
	X509 *cert = X509_new();
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	BIGNUM *bn = NULL;
	assert_true(BN_hex2bn(&bn, serial_hex) > 0);
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)));
	BN_free(bn);
	assert_int_equal(X509_set_subject_name(cert, subject), 1);
	assert_int_equal(
	    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)not_before));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)not_after));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	X509 *signer = issuer ? issuer : cert;
	add_ext(cert, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (usage != NULL)
		add_ext(cert, signer, NID_key_usage, usage);
	add_ext(cert, signer, NID_subject_key_identifier, "hash");
	add_ext(cert, signer, NID_authority_key_identifier, "keyid:always");
	if (sda != NULL)
		add_ext(cert, signer, NID_subject_directory_attributes, sda);
	assert_true(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(subject);
	return cert;
}

static struct der der_of(X509 *cert)
{
	struct der d = {NULL, 0};
	int n = i2d_X509(cert, &d.bytes);
	assert_true(n > 0);
	d.len = (size_t)n;
	return d;
}

/* Makes a leaf, keeps only its DER. */
static struct der make_leaf(X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                            const char *serial, int64_t nb, int64_t na, const char *usage,
                            const char *sda)
{
	X509 *cert = make_cert(subject, key, issuer, issuer_key, serial, nb, na, 0, usage, sda);
	struct der d = der_of(cert);
	X509_free(cert);
	return d;
}

static void write_bundle(const char *path, X509 *a, X509 *b)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, a), 1);
	if (b != NULL)
		assert_int_equal(PEM_write_X509(f, b), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

static EVP_PKEY *make_key(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	assert_non_null(key);
	return key;
}

static int setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	strcpy(p->dir, "/tmp/test_x509.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	EVP_PKEY *grca_key = make_key(), *moica_key = make_key(), *xca_key = make_key();
	p->leaf_key = make_key();
	p->stranger_key = make_key();
	const int64_t ca_from = T_NOW - 10LL * YEAR, ca_to = T_NOW + 10LL * YEAR;

	p->grca = make_cert(make_name("TW", "行政院", "政府憑證管理中心", NULL), grca_key, NULL,
	                    NULL, "01", ca_from, ca_to, 1, CA_USAGE, NULL);
	p->moica = make_cert(make_name("TW", MOICA_O, MOICA_OU, NULL), moica_key, p->grca, grca_key,
	                     "02", ca_from, ca_to, 1, CA_USAGE, NULL);
	p->xca = make_cert(make_name("TW", "行政院", "工商憑證管理中心", NULL), xca_key, NULL, NULL,
	                   "03", ca_from, ca_to, 1, CA_USAGE, NULL);
	p->moica_der = der_of(p->moica);

	p->citizen =
	    make_leaf(make_name("TW", NULL, NULL, "王小明"), p->leaf_key, p->moica, moica_key,
	              CITIZEN_SERIAL, T_NOW - 30 * DAY, T_NOW + YEAR, SIGN_USAGE, SDA_ID_1234);
	p->expired = make_leaf(make_name("TW", NULL, NULL, "王小明"), p->leaf_key, p->moica,
	                       moica_key, "1001", T_NOW - 400 * DAY, T_NOW - DAY, SIGN_USAGE, NULL);
	p->not_yet = make_leaf(make_name("TW", NULL, NULL, "王小明"), p->leaf_key, p->moica,
	                       moica_key, "1002", T_NOW + DAY, T_NOW + 400 * DAY, SIGN_USAGE, NULL);
	p->encrypt_only =
	    make_leaf(make_name("TW", NULL, NULL, "王小明"), p->leaf_key, p->moica, moica_key,
	              "1003", T_NOW - DAY, T_NOW + YEAR, "critical,keyEncipherment", NULL);
	p->institution =
	    make_leaf(make_name("TW", "某某國民小學", NULL, "某某國民小學"), p->leaf_key, p->xca,
	              xca_key, "2001", T_NOW - DAY, T_NOW + YEAR, SIGN_USAGE, NULL);

	/* A root nobody configured, and an impostor MOICA: the same name, another key. */
	X509 *stranger_root =
	    make_cert(make_name("TW", "Nobody", "Stranger CA", NULL), p->stranger_key, NULL, NULL,
	              "04", ca_from, ca_to, 1, CA_USAGE, NULL);
	p->stranger = make_leaf(make_name("TW", NULL, NULL, "王小明"), p->leaf_key, stranger_root,
	                        p->stranger_key, CITIZEN_SERIAL, T_NOW - DAY, T_NOW + YEAR,
	                        SIGN_USAGE, SDA_ID_1234);
	X509 *impostor_moica = make_cert(make_name("TW", MOICA_O, MOICA_OU, NULL), p->stranger_key,
	                                 NULL, NULL, "02", ca_from, ca_to, 1, CA_USAGE, NULL);
	p->impostor = make_leaf(make_name("TW", NULL, NULL, "王小明"), p->leaf_key, impostor_moica,
	                        p->stranger_key, CITIZEN_SERIAL, T_NOW - DAY, T_NOW + YEAR,
	                        SIGN_USAGE, SDA_ID_1234);
	X509_free(stranger_root);
	X509_free(impostor_moica);

	snprintf(p->personal_pem, sizeof(p->personal_pem), "%s/personal.pem", p->dir);
	snprintf(p->institution_pem, sizeof(p->institution_pem), "%s/institution.pem", p->dir);
	write_bundle(p->personal_pem, p->grca, p->moica);
	write_bundle(p->institution_pem, p->xca, NULL);
	assert_int_equal(x509_anchors_load(p->personal_pem, &p->personal), REGS_OK);
	assert_int_equal(x509_anchors_load(p->institution_pem, &p->institution_anchors), REGS_OK);
	EVP_PKEY_free(grca_key);
	EVP_PKEY_free(moica_key);
	EVP_PKEY_free(xca_key);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pki *p = *state;
	struct der *all[] = {&p->citizen,  &p->expired,  &p->not_yet,     &p->encrypt_only,
	                     &p->stranger, &p->impostor, &p->institution, &p->moica_der};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		OPENSSL_free(all[i]->bytes);
	x509_anchors_free(p->personal);
	x509_anchors_free(p->institution_anchors);
	X509_free(p->grca);
	X509_free(p->moica);
	X509_free(p->xca);
	EVP_PKEY_free(p->leaf_key);
	EVP_PKEY_free(p->stranger_key);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", p->dir);
	free(p);
	return 0;
}

static enum x509_verdict verify(const struct x509_anchors *a, const struct der *d, int64_t now)
{
	return x509_verify_chain(a, d->bytes, d->len, now);
}

/* ---- R3.5: the chain ---- */

static void test_R3_5_chain_to_moica_accepted(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->citizen, T_NOW), X509_VERDICT_OK);
}

static void test_R3_5_untrusted_root_refused(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->stranger, T_NOW), X509_VERDICT_UNTRUSTED);
}

/* The issuer name alone proves nothing: a CA with MOICA's name and another key. */
static void test_R3_5_impostor_moica_refused(void **state)
{
	struct pki *p = *state;
	enum x509_verdict v = verify(p->personal, &p->impostor, T_NOW);
	assert_true(v == X509_VERDICT_UNTRUSTED || v == X509_VERDICT_BAD_SIGNATURE);
}

static void test_R3_5_expired_certificate_refused(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->expired, T_NOW), X509_VERDICT_EXPIRED);
	/* The same certificate was fine while it was valid: the clock is the caller's. */
	assert_int_equal(verify(p->personal, &p->expired, T_NOW - 100 * DAY), X509_VERDICT_OK);
	/* And the good one expires too. */
	assert_int_equal(verify(p->personal, &p->citizen, T_NOW + 2 * YEAR), X509_VERDICT_EXPIRED);
}

static void test_R3_5_not_yet_valid_refused(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->not_yet, T_NOW), X509_VERDICT_NOT_YET_VALID);
}

static void test_R3_5_key_usage_must_allow_signing(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->encrypt_only, T_NOW), X509_VERDICT_BAD_KEY_USAGE);
}

/* MOICA's own certificate chains to GRCA but is a CA, not a citizen. */
static void test_R3_5_ca_certificate_as_leaf_refused(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->moica_der, T_NOW), X509_VERDICT_BAD_KEY_USAGE);
}

static void test_R3_5_tampered_certificate_refused(void **state)
{
	struct pki *p = *state;
	uint8_t *copy = malloc(p->citizen.len);
	assert_non_null(copy);
	memcpy(copy, p->citizen.bytes, p->citizen.len);
	copy[p->citizen.len - 1] ^= 0x01; /* the last byte of the signature */
	assert_int_equal(x509_verify_chain(p->personal, copy, p->citizen.len, T_NOW),
	                 X509_VERDICT_BAD_SIGNATURE);
	free(copy);
}

static void test_R3_5_malformed_der_refused(void **state)
{
	struct pki *p = *state;
	static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	assert_int_equal(x509_verify_chain(p->personal, garbage, sizeof(garbage), T_NOW),
	                 X509_VERDICT_MALFORMED);
	assert_int_equal(
	    x509_verify_chain(p->personal, p->citizen.bytes, p->citizen.len - 1, T_NOW),
	    X509_VERDICT_MALFORMED);
	uint8_t *longer = malloc(p->citizen.len + 1);
	assert_non_null(longer);
	memcpy(longer, p->citizen.bytes, p->citizen.len);
	longer[p->citizen.len] = 0;
	assert_int_equal(x509_verify_chain(p->personal, longer, p->citizen.len + 1, T_NOW),
	                 X509_VERDICT_MALFORMED);
	struct x509_identity id;
	assert_int_equal(x509_identity(longer, p->citizen.len + 1, &id), REGS_ERR_INVALID);
	assert_int_equal(x509_identity(garbage, sizeof(garbage), &id), REGS_ERR_INVALID);
	free(longer);
}

/* ---- R1.2: anchors per account class ---- */

static void test_R1_2_institution_anchor_does_not_accept_moica_cert(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->institution_anchors, &p->citizen, T_NOW),
	                 X509_VERDICT_UNTRUSTED);
}

static void test_R1_2_personal_anchor_does_not_accept_xca_cert(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->personal, &p->institution, T_NOW), X509_VERDICT_UNTRUSTED);
}

static void test_R1_2_institution_cert_accepted_by_xca(void **state)
{
	struct pki *p = *state;
	assert_int_equal(verify(p->institution_anchors, &p->institution, T_NOW), X509_VERDICT_OK);
}

static void test_R1_2_anchor_file_checked(void **state)
{
	struct pki *p = *state;
	struct x509_anchors *a = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing.pem", p->dir);
	assert_int_equal(x509_anchors_load(path, &a), REGS_ERR_NOT_FOUND);

	/* Anyone who can write the file could add a root. */
	snprintf(path, sizeof(path), "%s/writable.pem", p->dir);
	write_bundle(path, p->grca, p->moica);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(x509_anchors_load(path, &a), REGS_ERR_PERM);
	assert_null(a);

	/* An intermediate alone is no anchor. */
	snprintf(path, sizeof(path), "%s/noroot.pem", p->dir);
	write_bundle(path, p->moica, NULL);
	assert_int_equal(x509_anchors_load(path, &a), REGS_ERR_INVALID);

	snprintf(path, sizeof(path), "%s/empty.pem", p->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("no certificates here\n", f);
	fclose(f);
	assert_int_equal(x509_anchors_load(path, &a), REGS_ERR_INVALID);

	snprintf(path, sizeof(path), "%s/broken.pem", p->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, p->grca), 1);
	fputs("-----BEGIN CERTIFICATE-----\nMIIBroken!!\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	assert_int_equal(x509_anchors_load(path, &a), REGS_ERR_INVALID);
	assert_null(a);
}

/* ---- R3.4: proof of possession ---- */

static struct der sign_sha256(EVP_PKEY *key, const char *data)
{
	struct der sig = {NULL, 0};
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, NULL, &sig.len, (const uint8_t *)data, strlen(data)),
	                 1);
	sig.bytes = malloc(sig.len);
	assert_non_null(sig.bytes);
	assert_int_equal(
	    EVP_DigestSign(md, sig.bytes, &sig.len, (const uint8_t *)data, strlen(data)), 1);
	EVP_MD_CTX_free(md);
	return sig;
}

static void test_R3_4_signature_verifies(void **state)
{
	struct pki *p = *state;
	struct der sig = sign_sha256(p->leaf_key, CHALLENGE);
	assert_int_equal(sig.len, 256);
	assert_int_equal(x509_verify_signature(p->citizen.bytes, p->citizen.len,
	                                       (const uint8_t *)CHALLENGE, strlen(CHALLENGE),
	                                       sig.bytes, sig.len),
	                 X509_VERDICT_OK);
	free(sig.bytes);
}

static void test_R3_4_forged_signature_refused(void **state)
{
	struct pki *p = *state;
	const uint8_t *challenge = (const uint8_t *)CHALLENGE;
	size_t n = strlen(CHALLENGE);

	/* Another key's signature. */
	struct der forged = sign_sha256(p->stranger_key, CHALLENGE);
	assert_int_equal(x509_verify_signature(p->citizen.bytes, p->citizen.len, challenge, n,
	                                       forged.bytes, forged.len),
	                 X509_VERDICT_BAD_SIGNATURE);
	free(forged.bytes);

	/* The right key over another challenge (a replayed signature). */
	struct der old = sign_sha256(p->leaf_key, "regs challenge 000000");
	assert_int_equal(x509_verify_signature(p->citizen.bytes, p->citizen.len, challenge, n,
	                                       old.bytes, old.len),
	                 X509_VERDICT_BAD_SIGNATURE);

	/* Altered, truncated and empty signatures. */
	old.bytes[10] ^= 0x40;
	assert_int_equal(x509_verify_signature(p->citizen.bytes, p->citizen.len,
	                                       (const uint8_t *)"regs challenge 000000", 21,
	                                       old.bytes, old.len),
	                 X509_VERDICT_BAD_SIGNATURE);
	assert_int_equal(x509_verify_signature(p->citizen.bytes, p->citizen.len, challenge, n,
	                                       old.bytes, old.len - 1),
	                 X509_VERDICT_BAD_SIGNATURE);
	assert_int_equal(
	    x509_verify_signature(p->citizen.bytes, p->citizen.len, challenge, n, old.bytes, 0),
	    X509_VERDICT_BAD_SIGNATURE);
	free(old.bytes);

	static const uint8_t junk[] = {0x30, 0x00};
	assert_int_equal(x509_verify_signature(junk, sizeof(junk), challenge, n, junk, 2),
	                 X509_VERDICT_MALFORMED);
}

/* ---- R3.6: the identity a binding stores ---- */

static void test_R3_6_identity_sha256_issuer_serial(void **state)
{
	struct pki *p = *state;
	struct x509_identity id;
	assert_int_equal(x509_identity(p->citizen.bytes, p->citizen.len, &id), REGS_OK);

	uint8_t want[32];
	assert_int_equal(
	    EVP_Digest(p->citizen.bytes, p->citizen.len, want, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(id.sha256, want, 32);
	assert_string_equal(id.issuer, "OU=" MOICA_OU ",O=" MOICA_O ",C=TW");
	assert_string_equal(id.subject, "CN=王小明,C=TW");
	assert_string_equal(id.serial_hex, CITIZEN_SERIAL);
	assert_int_equal(id.not_before, T_NOW - 30 * DAY);
	assert_int_equal(id.not_after, T_NOW + YEAR);
	assert_string_equal(id.id_last4, "1234");

	/* The authority key identifier names MOICA's key, not just its name. */
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(p->moica);
	assert_non_null(skid);
	assert_int_equal(id.issuer_key_id_len, (size_t)ASN1_STRING_length(skid));
	assert_memory_equal(id.issuer_key_id, ASN1_STRING_get0_data(skid), id.issuer_key_id_len);
}

/* The same person, same serial, another issuer: a different identity. */
static void test_R3_6_identity_differs_by_issuer(void **state)
{
	struct pki *p = *state;
	struct x509_identity a, b;
	assert_int_equal(x509_identity(p->citizen.bytes, p->citizen.len, &a), REGS_OK);
	assert_int_equal(x509_identity(p->stranger.bytes, p->stranger.len, &b), REGS_OK);
	assert_string_equal(a.serial_hex, b.serial_hex);
	assert_string_equal(a.subject, b.subject);
	assert_string_not_equal(a.issuer, b.issuer);
	assert_true(memcmp(a.sha256, b.sha256, 32) != 0);
}

static void test_R3_6_identity_without_id_attribute(void **state)
{
	struct pki *p = *state;
	struct x509_identity id;
	assert_int_equal(x509_identity(p->institution.bytes, p->institution.len, &id), REGS_OK);
	assert_string_equal(id.id_last4, "");
	assert_string_equal(id.serial_hex, "2001");
	assert_string_equal(id.subject, "CN=某某國民小學,O=某某國民小學,C=TW");
}

static void test_x509_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(x509_verdict_name(X509_VERDICT_OK), "ok");
	assert_string_equal(x509_verdict_name(X509_VERDICT_REVOKED), "revoked");
	assert_string_equal(x509_verdict_name(X509_VERDICT_MALFORMED), "malformed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R3_5_chain_to_moica_accepted),
	    cmocka_unit_test(test_R3_5_untrusted_root_refused),
	    cmocka_unit_test(test_R3_5_impostor_moica_refused),
	    cmocka_unit_test(test_R3_5_expired_certificate_refused),
	    cmocka_unit_test(test_R3_5_not_yet_valid_refused),
	    cmocka_unit_test(test_R3_5_key_usage_must_allow_signing),
	    cmocka_unit_test(test_R3_5_ca_certificate_as_leaf_refused),
	    cmocka_unit_test(test_R3_5_tampered_certificate_refused),
	    cmocka_unit_test(test_R3_5_malformed_der_refused),
	    cmocka_unit_test(test_R1_2_institution_anchor_does_not_accept_moica_cert),
	    cmocka_unit_test(test_R1_2_personal_anchor_does_not_accept_xca_cert),
	    cmocka_unit_test(test_R1_2_institution_cert_accepted_by_xca),
	    cmocka_unit_test(test_R1_2_anchor_file_checked),
	    cmocka_unit_test(test_R3_4_signature_verifies),
	    cmocka_unit_test(test_R3_4_forged_signature_refused),
	    cmocka_unit_test(test_R3_6_identity_sha256_issuer_serial),
	    cmocka_unit_test(test_R3_6_identity_differs_by_issuer),
	    cmocka_unit_test(test_R3_6_identity_without_id_attribute),
	    cmocka_unit_test(test_x509_verdict_names),
	};
	return cmocka_run_group_tests_name("x509", tests, setup, teardown);
}
