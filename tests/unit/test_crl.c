/* Unit tests for revocation (R3.5): CRL verification, lookups, a 400k-entry CRL, the disk cache. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/crl.h"
#include "pki/x509.h"

#define T_NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 UTC */
#define DAY 86400
#define YEAR (365 * DAY)
#define MOICA_OU "內政部憑證管理中心"
#define MOICA_O "行政院"
#define REVOKED_SERIAL "0A1B2C3D4E5F60718293A4B5C6D7E8F9"
#define GOOD_SERIAL "0A1B2C3D4E5F60718293A4B5C6D7E8FA"
#define BULK_ENTRIES 400000
#define BULK_LOOKUPS 1000000

struct der {
	uint8_t *bytes;
	size_t len;
};

struct pki {
	char dir[64];
	EVP_PKEY *grca_key, *moica_key, *moica2_key, *impostor_key;
	X509 *grca, *moica, *moica2, *impostor;
	struct der revoked_citizen, good_citizen;
	struct x509_anchors *anchors, *other_anchors;
};

/* ---- Making the test PKI and CRLs ---- */

static X509_NAME *make_name(const char *o, const char *ou, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	assert_non_null(n);
	const char *fields[][2] = {{"C", "TW"}, {"O", o}, {"OU", ou}, {"CN", cn}};
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

/* issuer NULL: self-signed. Takes subject. */
static X509 *make_cert(X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *serial_hex, int ca)
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
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)(T_NOW - YEAR)));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)(T_NOW + YEAR)));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	X509 *signer = issuer ? issuer : cert;
	add_ext(cert, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(cert, signer, NID_key_usage,
	        ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
	add_ext(cert, signer, NID_subject_key_identifier, "hash");
	add_ext(cert, signer, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(subject);
	return cert;
}

static struct der der_of_cert(X509 *cert)
{
	struct der d = {NULL, 0};
	int n = i2d_X509(cert, &d.bytes);
	assert_true(n > 0);
	d.len = (size_t)n;
	return d;
}

static EVP_PKEY *make_key(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	assert_non_null(key);
	return key;
}

static void write_bundle(const char *path, X509 *const *certs, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_X509(f, certs[i]), 1);
	assert_int_equal(fclose(f), 0);
}

/* A deterministic stream of serials for the bulk CRL. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct crl_spec {
	X509 *issuer;
	EVP_PKEY *key;              /* signs; may not be issuer's */
	const char *const *serials; /* hex */
	size_t n;
	size_t bulk; /* pseudo-random 16-byte serials added */
	int64_t this_update, next_update;
	int delta;
};

static void add_revoked(X509_CRL *crl, ASN1_INTEGER *serial, const ASN1_TIME *when,
                        ASN1_ENUMERATED *reason)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	assert_non_null(rev);
	assert_int_equal(X509_REVOKED_set_serialNumber(rev, serial), 1);
	assert_int_equal(X509_REVOKED_set_revocationDate(rev, (ASN1_TIME *)when), 1);
	assert_int_equal(X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0), 1);
	assert_int_equal(X509_CRL_add0_revoked(crl, rev), 1);
}

static struct der make_crl(const struct crl_spec *spec)
{
	X509_CRL *crl = X509_CRL_new();
	assert_non_null(crl);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1); /* v2 */
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(spec->issuer)), 1);
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)spec->this_update);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)spec->next_update);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
	ASN1_TIME_free(next);
	ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	assert_int_equal(ASN1_ENUMERATED_set(reason, 1), 1); /* keyCompromise */

	ASN1_INTEGER *serial = NULL;
	for (size_t i = 0; i < spec->n; i++) {
		BIGNUM *bn = NULL;
		assert_true(BN_hex2bn(&bn, spec->serials[i]) > 0);
		serial = BN_to_ASN1_INTEGER(bn, serial);
		BN_free(bn);
		add_revoked(crl, serial, t, reason);
	}
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < spec->bulk; i++) {
		uint8_t bytes[16];
		uint64_t a = next_random(&seed), b = next_random(&seed);
		memcpy(bytes, &a, 8);
		memcpy(bytes + 8, &b, 8);
		bytes[0] = (uint8_t)((bytes[0] & 0x7f) | 0x10); /* positive, 16 bytes, not ours */
		if (i == 0) { /* a fresh one: the last listed serial may have been negative */
			ASN1_INTEGER_free(serial);
			serial = ASN1_INTEGER_new();
			assert_non_null(serial);
		}
		assert_int_equal(ASN1_STRING_set(serial, bytes, sizeof(bytes)), 1);
		add_revoked(crl, serial, t, reason);
	}
	ASN1_INTEGER_free(serial);
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(t);

	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, spec->issuer, NULL, NULL, crl, 0);
	X509_EXTENSION *ext =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid");
	assert_non_null(ext);
	assert_int_equal(X509_CRL_add_ext(crl, ext, -1), 1);
	X509_EXTENSION_free(ext);
	if (spec->delta) {
		ASN1_INTEGER *base = ASN1_INTEGER_new();
		ASN1_INTEGER_set(base, 7);
		assert_int_equal(X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base, 1, 0), 1);
		ASN1_INTEGER_free(base);
	}
	assert_true(X509_CRL_sign(crl, spec->key, EVP_sha256()) > 0);
	struct der d = {NULL, 0};
	int n = i2d_X509_CRL(crl, &d.bytes);
	assert_true(n > 0);
	d.len = (size_t)n;
	X509_CRL_free(crl);
	return d;
}

static int setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	strcpy(p->dir, "/tmp/test_crl.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	p->grca_key = make_key();
	p->moica_key = make_key();
	p->moica2_key = make_key();
	p->impostor_key = make_key();
	p->grca = make_cert(make_name("行政院", "政府憑證管理中心", NULL), p->grca_key, NULL, NULL,
	                    "01", 1);
	/* Two MOICA generations: one name, two keys. */
	p->moica = make_cert(make_name(MOICA_O, MOICA_OU, NULL), p->moica_key, p->grca, p->grca_key,
	                     "02", 1);
	p->moica2 = make_cert(make_name(MOICA_O, MOICA_OU, NULL), p->moica2_key, p->grca,
	                      p->grca_key, "03", 1);
	p->impostor =
	    make_cert(make_name(MOICA_O, MOICA_OU, NULL), p->impostor_key, NULL, NULL, "02", 1);
	/* The citizens' own keys play no part here: any key will do. */
	X509 *c = make_cert(make_name(NULL, NULL, "王小明"), p->impostor_key, p->moica,
	                    p->moica_key, REVOKED_SERIAL, 0);
	p->revoked_citizen = der_of_cert(c);
	X509_free(c);
	c = make_cert(make_name(NULL, NULL, "李小華"), p->impostor_key, p->moica, p->moica_key,
	              GOOD_SERIAL, 0);
	p->good_citizen = der_of_cert(c);
	X509_free(c);

	char path[128];
	snprintf(path, sizeof(path), "%s/personal.pem", p->dir);
	X509 *bundle[] = {p->grca, p->moica, p->moica2};
	write_bundle(path, bundle, 3);
	assert_int_equal(x509_anchors_load(path, &p->anchors), REGS_OK);
	snprintf(path, sizeof(path), "%s/other.pem", p->dir);
	write_bundle(path, &p->impostor, 1);
	assert_int_equal(x509_anchors_load(path, &p->other_anchors), REGS_OK);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pki *p = *state;
	x509_anchors_free(p->anchors);
	x509_anchors_free(p->other_anchors);
	OPENSSL_free(p->revoked_citizen.bytes);
	OPENSSL_free(p->good_citizen.bytes);
	X509 *certs[] = {p->grca, p->moica, p->moica2, p->impostor};
	EVP_PKEY *keys[] = {p->grca_key, p->moica_key, p->moica2_key, p->impostor_key};
	for (size_t i = 0; i < 4; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", p->dir);
	free(p);
	return 0;
}

/* Negative serials break RFC 5280 but exist; DER writes them in two's complement. */
static const char *const listed[] = {REVOKED_SERIAL, "01", "FF", "0100", "7FFFFFFF", "-05", "-80"};

static struct crl_spec moica_crl(struct pki *p)
{
	struct crl_spec spec = {
	    .issuer = p->moica,
	    .key = p->moica_key,
	    .serials = listed,
	    .n = sizeof(listed) / sizeof(listed[0]),
	    .this_update = T_NOW - DAY,
	    .next_update = T_NOW + 6 * DAY,
	};
	return spec;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- R3.5: parsing and lookups ---- */

static void test_R3_5_revoked_serial_found(void **state)
{
	struct pki *p = *state;
	struct crl_spec spec = moica_crl(p);
	struct der d = make_crl(&spec);
	struct crl_set *s = NULL;
	int64_t this_update = 0, next_update = 0;
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, &this_update, &next_update),
	                 REGS_OK);
	assert_int_equal(this_update, T_NOW - DAY);
	assert_int_equal(next_update, T_NOW + 6 * DAY);
	assert_int_equal(crl_set_count(s), 7);
	assert_string_equal(crl_set_issuer(s), "OU=" MOICA_OU ",O=" MOICA_O ",C=TW");

	assert_int_equal(crl_is_revoked(s, REVOKED_SERIAL), 1);
	assert_int_equal(crl_is_revoked(s, "a1b2c3d4e5f60718293a4b5c6d7e8f9"), 1); /* case, odd */
	assert_int_equal(crl_is_revoked(s, "000001"), 1);
	assert_int_equal(crl_is_revoked(s, "FF"), 1);
	assert_int_equal(crl_is_revoked(s, "100"), 1);
	assert_int_equal(crl_is_revoked(s, "7FFFFFFF"), 1);
	assert_int_equal(crl_is_revoked(s, GOOD_SERIAL), 0);
	assert_int_equal(crl_is_revoked(s, "02"), 0);
	assert_int_equal(crl_is_revoked(s, "FF00"), 0);
	assert_int_equal(crl_is_revoked(s, "-01"), 0); /* the sign counts */
	assert_int_equal(crl_is_revoked(s, "-05"), 1);
	assert_int_equal(crl_is_revoked(s, "05"), 0);
	assert_int_equal(crl_is_revoked(s, "-0080"), 1);
	assert_int_equal(crl_is_revoked(s, "80"), 0);
	assert_int_equal(crl_is_revoked(s, "00"), 0);
	assert_int_equal(crl_is_revoked(s, ""), -1);
	assert_int_equal(crl_is_revoked(s, "0x01"), -1);
	assert_int_equal(crl_is_revoked(s, "01:02"), -1);
	assert_int_equal(crl_is_revoked(s, "0102030405060708091011121314151617181920FF"), -1);

	static const uint8_t one[] = {0x00, 0x00, 0x01};
	assert_int_equal(crl_is_revoked_bytes(s, one, sizeof(one), 0), 1);
	assert_int_equal(crl_is_revoked_bytes(s, one, sizeof(one), 1), 0);
	crl_set_free(s);
	OPENSSL_free(d.bytes);
}

static void test_R3_5_crl_verdict_for_certificates(void **state)
{
	struct pki *p = *state;
	struct crl_spec spec = moica_crl(p);
	struct der d = make_crl(&spec);
	struct crl_set *s = NULL;
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_OK);
	struct x509_identity revoked, good;
	assert_int_equal(x509_identity(p->revoked_citizen.bytes, p->revoked_citizen.len, &revoked),
	                 REGS_OK);
	assert_int_equal(x509_identity(p->good_citizen.bytes, p->good_citizen.len, &good), REGS_OK);

	assert_int_equal(crl_verdict(s, &revoked, T_NOW, 0), X509_VERDICT_REVOKED);
	assert_int_equal(crl_verdict(s, &good, T_NOW, 0), X509_VERDICT_OK);
	/* Past nextUpdate the CRL says nothing any more; a grace period stretches it. */
	assert_int_equal(crl_verdict(s, &good, T_NOW + 7 * DAY, 0), X509_VERDICT_NO_FRESH_CRL);
	assert_int_equal(crl_verdict(s, &good, T_NOW + 7 * DAY, 2 * DAY), X509_VERDICT_OK);
	assert_int_equal(crl_verdict(s, &good, T_NOW - 2 * DAY, 0), X509_VERDICT_NO_FRESH_CRL);
	assert_int_equal(crl_verdict(NULL, &good, T_NOW, 0), X509_VERDICT_NO_FRESH_CRL);
	crl_set_free(s);
	OPENSSL_free(d.bytes);

	/* The other MOICA generation's CRL has the same issuer name but is not about
	 * these certificates. */
	spec.issuer = p->moica2;
	spec.key = p->moica2_key;
	d = make_crl(&spec);
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_OK);
	assert_string_equal(crl_set_issuer(s), revoked.issuer);
	assert_int_equal(crl_verdict(s, &good, T_NOW, 0), X509_VERDICT_NO_FRESH_CRL);
	assert_int_equal(crl_verdict(s, &revoked, T_NOW, 0), X509_VERDICT_NO_FRESH_CRL);
	crl_set_free(s);
	OPENSSL_free(d.bytes);
}

static void test_R3_5_forged_crl_refused(void **state)
{
	struct pki *p = *state;
	struct crl_set *s = NULL;

	/* MOICA's name, another key: an attacker "un-revoking" a card. */
	struct crl_spec spec = moica_crl(p);
	spec.serials = NULL;
	spec.n = 0;
	spec.key = p->impostor_key;
	struct der d = make_crl(&spec);
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_ERR_CRYPTO);
	assert_null(s);
	OPENSSL_free(d.bytes);

	/* A genuine CRL with one serial changed. */
	spec = moica_crl(p);
	d = make_crl(&spec);
	static const uint8_t needle[] = {0x0A, 0x1B, 0x2C, 0x3D};
	uint8_t *at = memmem(d.bytes, d.len, needle, sizeof(needle));
	assert_non_null(at);
	at[3] ^= 0x01;
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_ERR_CRYPTO);
	at[3] ^= 0x01;
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_OK);
	crl_set_free(s);

	/* Genuine, but not from an anchor of this class. */
	assert_int_equal(crl_parse(d.bytes, d.len, p->other_anchors, &s, NULL, NULL),
	                 REGS_ERR_CRYPTO);
	OPENSSL_free(d.bytes);
}

static void test_R3_5_delta_crl_refused(void **state)
{
	struct pki *p = *state;
	struct crl_spec spec = moica_crl(p);
	spec.delta = 1;
	struct der d = make_crl(&spec);
	struct crl_set *s = NULL;
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_ERR_INVALID);
	assert_null(s);
	OPENSSL_free(d.bytes);
}

static void test_R3_5_malformed_crl_refused(void **state)
{
	struct pki *p = *state;
	struct crl_set *s = NULL;
	static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	assert_int_equal(crl_parse(garbage, sizeof(garbage), p->anchors, &s, NULL, NULL),
	                 REGS_ERR_INVALID);
	assert_int_equal(crl_parse(garbage, 0, p->anchors, &s, NULL, NULL), REGS_ERR_INVALID);
	struct crl_spec spec = moica_crl(p);
	struct der d = make_crl(&spec);
	/* Truncated (a cut download) and with trailing bytes. */
	assert_int_equal(crl_parse(d.bytes, d.len - 1, p->anchors, &s, NULL, NULL),
	                 REGS_ERR_INVALID);
	uint8_t *longer = malloc(d.len + 1);
	assert_non_null(longer);
	memcpy(longer, d.bytes, d.len);
	longer[d.len] = 0;
	assert_int_equal(crl_parse(longer, d.len + 1, p->anchors, &s, NULL, NULL),
	                 REGS_ERR_INVALID);
	assert_null(s);
	free(longer);
	OPENSSL_free(d.bytes);
}

static void test_R3_5_empty_crl_lists_nothing(void **state)
{
	struct pki *p = *state;
	struct crl_spec spec = moica_crl(p);
	spec.serials = NULL;
	spec.n = 0;
	struct der d = make_crl(&spec);
	struct crl_set *s = NULL;
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_OK);
	assert_int_equal(crl_set_count(s), 0);
	assert_int_equal(crl_is_revoked(s, REVOKED_SERIAL), 0);
	crl_set_free(s);
	OPENSSL_free(d.bytes);
}

/* MOICA's complete CRL: ~400k entries, ~20 MB: every entry loads and answers.
 * The times are printed; the speed claims are bench/crlbench's (bench/README.md). */
static void test_R3_5_400k_entry_crl_loads_and_answers(void **state)
{
	struct pki *p = *state;
	struct crl_spec spec = moica_crl(p);
	spec.bulk = BULK_ENTRIES;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct der d = make_crl(&spec);
	double made = seconds_since(&t0);

	struct crl_set *s = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(crl_parse(d.bytes, d.len, p->anchors, &s, NULL, NULL), REGS_OK);
	double loaded = seconds_since(&t0);
	assert_int_equal(crl_set_count(s), BULK_ENTRIES + spec.n);

	/* Half hits (listed serials), half misses. */
	char hex[64];
	size_t hits = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < BULK_LOOKUPS; i++) {
		if (i % BULK_ENTRIES == 0) /* the i-th serial made is the i-th looked up */
			seed = 0x9e3779b97f4a7c15ull;
		uint8_t bytes[16];
		uint64_t a = next_random(&seed), b = next_random(&seed);
		memcpy(bytes, &a, 8);
		memcpy(bytes + 8, &b, 8);
		bytes[0] = (uint8_t)((bytes[0] & 0x7f) | 0x10);
		if (i % 2 == 1)
			bytes[15] ^= 0x5a; /* almost surely not listed */
		int r = crl_is_revoked_bytes(s, bytes, sizeof(bytes), 0);
		assert_true(r == 0 || r == 1);
		hits += (size_t)r;
	}
	double looked = seconds_since(&t0);
	assert_true(hits >= BULK_LOOKUPS / 2 && hits < BULK_LOOKUPS / 2 + 10);

	/* The form regsd uses: the identity's hex serial. */
	snprintf(hex, sizeof(hex), "%s", REVOKED_SERIAL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < BULK_LOOKUPS; i++)
		assert_int_equal(crl_is_revoked(s, hex), 1);
	double looked_hex = seconds_since(&t0);

	printf(
	    "# 400k CRL: %zu bytes DER, made in %.2f s, crl_parse %.3f s (verify + %zu serials)\n",
	    d.len, made, loaded, crl_set_count(s));
	printf("# lookups: %.0f ns each by bytes, %.0f ns each by hex serial\n",
	       looked * 1e9 / BULK_LOOKUPS, looked_hex * 1e9 / BULK_LOOKUPS);
	fflush(stdout);
	crl_set_free(s);
	OPENSSL_free(d.bytes);
}

/* ---- The cache ---- */

static void test_R3_5_crl_cache_written_atomically(void **state)
{
	struct pki *p = *state;
	static const uint8_t first[] = "first CRL", second[] = "second, longer CRL bytes";
	uint8_t *got = NULL;
	size_t len = 0;

	mode_t old = umask(0); /* the mode must not depend on it */
	assert_int_equal(crl_cache_write(p->dir, "moica.crl", first, sizeof(first)), REGS_OK);
	umask(old);
	char path[160];
	snprintf(path, sizeof(path), "%s/moica.crl", p->dir);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(crl_cache_read(p->dir, "moica.crl", 1024, &got, &len), REGS_OK);
	assert_int_equal(len, sizeof(first));
	assert_memory_equal(got, first, len);
	free(got);

	assert_int_equal(crl_cache_write(p->dir, "moica.crl", second, sizeof(second)), REGS_OK);
	assert_int_equal(crl_cache_read(p->dir, "moica.crl", 1024, &got, &len), REGS_OK);
	assert_int_equal(len, sizeof(second));
	assert_memory_equal(got, second, len);
	free(got);
	/* No temporary file is left behind. */
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '^\\.moica'", p->dir);
	assert_int_not_equal(system(cmd), 0);

	assert_int_equal(crl_cache_read(p->dir, "moica.crl", 8, &got, &len), REGS_ERR_INVALID);
	assert_null(got);
	assert_int_equal(crl_cache_read(p->dir, "absent.crl", 1024, &got, &len),
	                 REGS_ERR_NOT_FOUND);
	assert_int_equal(crl_cache_write(p->dir, "../escape", first, 4), REGS_ERR_INVALID);
	assert_int_equal(crl_cache_write(p->dir, ".hidden", first, 4), REGS_ERR_INVALID);
	assert_int_equal(crl_cache_write(p->dir, "", first, 4), REGS_ERR_INVALID);
	assert_int_equal(crl_cache_write("/nonexistent-dir", "x.crl", first, 4), REGS_ERR_IO);

	/* A cache file someone else could have written is not read. */
	assert_int_equal(chmod(path, 0622), 0);
	assert_int_equal(crl_cache_read(p->dir, "moica.crl", 1024, &got, &len), REGS_ERR_PERM);
	char link[160];
	snprintf(link, sizeof(link), "%s/link.crl", p->dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(crl_cache_read(p->dir, "link.crl", 1024, &got, &len), REGS_ERR_PERM);
	assert_null(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R3_5_revoked_serial_found),
	    cmocka_unit_test(test_R3_5_crl_verdict_for_certificates),
	    cmocka_unit_test(test_R3_5_forged_crl_refused),
	    cmocka_unit_test(test_R3_5_delta_crl_refused),
	    cmocka_unit_test(test_R3_5_malformed_crl_refused),
	    cmocka_unit_test(test_R3_5_empty_crl_lists_nothing),
	    cmocka_unit_test(test_R3_5_400k_entry_crl_loads_and_answers),
	    cmocka_unit_test(test_R3_5_crl_cache_written_atomically),
	};
	return cmocka_run_group_tests_name("crl", tests, setup, teardown);
}
