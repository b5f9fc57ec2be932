/* Unit tests for the mobile citizen certificate API (R4.5): checksums against vectors made with
 * python3-cryptography, request bodies, tickets, and results signed at test time by a test PKI. */
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
#include <json-c/json.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "net/mobileid.h"
#include "pki/x509.h"

#define T_NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 UTC */
#define DAY 86400
#define YEAR (365 * DAY)
#define CA_USAGE "critical,keyCertSign,cRLSign"
#define SIGN_USAGE "critical,digitalSignature,nonRepudiation"
#define TXN "3f2b8c1e-5d4a-4e6b-9c7d-0a1b2c3d4e5f"
#define OTHER_TXN "8a1d0f3c-2b4e-4c5d-8e6f-7a8b9c0d1e2f"
#define TICKET_ID "tkt-0001"
#define SERVICE "regs-test-sp"
#define HASHED "5a2f6c0e9b7d4a31c8e2f1d0b9a8c7e6f5d4c3b2a1908f7e6d5c4b3a29181706"
#define OTHER_HASHED "0000000000000000000000000000000000000000000000000000000000000000"

/* The reference vectors were made with python3-cryptography 48.0.0:
 *   key = bytes(range(32))
 *   def cs(fields):
 *       pt = hashlib.sha256("".join(fields).encode()).hexdigest().encode()
 *       return (b"\0" * 12).hex() + AESGCM(key).encrypt(b"\0" * 12, pt, None).hex()
 * with T = "6f0c2b1e-8d4a-4c3b-9e2f-1a2b3c4d5e6f" and the fields noted at each. */
#define REF_KEY_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define REF_TXN "6f0c2b1e-8d4a-4c3b-9e2f-1a2b3c4d5e6f"
#define REF_HINT "登入 regs"
/* cs([T, "regs-test-sp", "A123456789", "ATH", "I-SCAN", "登入 regs", ""]): ATH-01 */
#define REF_TICKET                                                                                 \
	"0000000000000000000000006a8ed0bad614b7846b9e9d567b4fa4f8eb2630351ee3504ce4fb8be1f0ce3b37" \
	"2f"                                                                                       \
	"6cd78a4cc78c3452f741c2a2ab0f7acb3723854a127e9161d75a457d507b812b4c8171f57dc013ca42a44e4c" \
	"7bc"                                                                                      \
	"472"
/* cs([T, "regs-test-sp", "A123456789", "", "ATH", "登入 regs", ""]): ATH-03 */
#define REF_PUSH                                                                                   \
	"00000000000000000000000068ded3ea811bb38b3a909e517a18a3a1eb2062321ab20418e4a982b0a69c6932" \
	"7f"                                                                                       \
	"66de8f4fc38b3600f547c0f0f8587d913623d31d1725c161d25e422f012ad276169b6698f9d4c09ca948b93a" \
	"e26"                                                                                      \
	"563"
/* cs([T, "regs-test-sp", "tkt-0001"]): ATH-02 */
#define REF_RESULT                                                                                 \
	"0000000000000000000000006c8585bc8348e18c38c9cc072918a4ffb120656310b40319b9a684e7a49a6932" \
	"7f"                                                                                       \
	"3ad68a18c38d6751f112cda2fd0a7a9f3671851d44749262d306457f027c87fb956c10edf1eaa5d2a5769f43" \
	"350"                                                                                      \
	"902"
/* cs([]) */
#define REF_EMPTY                                                                                  \
	"0000000000000000000000006b8fd7eed618b78f3190cf56294fa0adeb2230314eb50317b9a785e5a7c66f62" \
	"7c"                                                                                       \
	"6887d91ec3dd3205f74897f8fd5d2dc83378d3404877c7678e0a1428587bd1295cdbea0d34c5f90b8a56c47d" \
	"3c7"                                                                                      \
	"0e3"

/* ---- The test PKI ---- */

struct der {
	uint8_t *bytes;
	size_t len;
};

struct fx {
	char dir[64], anchors_pem[128];
	struct mid_key key, other_key;
	EVP_PKEY *rsa_key, *ec_key, *stranger_key;
	struct der rsa_cert, ec_cert, expired_cert, encrypt_only_cert, stranger_cert, impostor_cert;
	struct x509_anchors *anchors;
	struct mid_ticket ticket;
};

static X509_NAME *make_name(const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8,
	                                            (const unsigned char *)"TW", -1, -1, 0),
	                 1);
	assert_int_equal(
	    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0),
	    1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	                                            (const unsigned char *)cn, -1, -1, 0),
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

/* issuer NULL: self-signed by key. */
static X509 *make_cert(X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, int64_t not_before, int64_t not_after, int ca,
                       const char *usage)
{
	X509 *cert = X509_new();
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial), 1);
	assert_int_equal(X509_set_subject_name(cert, subject), 1);
	assert_int_equal(
	    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject), 1);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)not_before));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)not_after));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	X509 *signer = issuer ? issuer : cert;
	add_ext(cert, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(cert, signer, NID_key_usage, usage);
	add_ext(cert, signer, NID_subject_key_identifier, "hash");
	add_ext(cert, signer, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	X509_NAME_free(subject);
	return cert;
}

static struct der make_leaf(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                            long serial, int64_t nb, int64_t na, const char *usage)
{
	X509 *cert =
	    make_cert(make_name("Mobile", cn), key, issuer, issuer_key, serial, nb, na, 0, usage);
	struct der d = {NULL, 0};
	int n = i2d_X509(cert, &d.bytes);
	assert_true(n > 0);
	d.len = (size_t)n;
	X509_free(cert);
	return d;
}

static EVP_PKEY *make_rsa(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	assert_non_null(key);
	return key;
}

/* The anchors file as x509_anchors_load wants it: ours, mode 0600. */
static void write_anchors(const char *path, X509 *root, X509 *intermediate)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, root), 1);
	assert_int_equal(PEM_write_X509(f, intermediate), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

/* ---- Encodings the service would use ---- */

static char *b64(const uint8_t *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	assert_non_null(out);
	assert_true(EVP_EncodeBlock((unsigned char *)out, data, (int)len) >= 0);
	return out;
}

static char *b64url(const uint8_t *data, size_t len)
{
	char *out = b64(data, len);
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return out;
}

static char *sign_b64(EVP_PKEY *key, const char *text)
{
	uint8_t sig[1024];
	size_t len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &len, (const uint8_t *)text, strlen(text)), 1);
	EVP_MD_CTX_free(md);
	return b64(sig, len);
}

/* base64url(json) "." base64url(SHA-256 of the first part's text). */
static char *ticket_of_json(const char *json)
{
	char *body = b64url((const uint8_t *)json, strlen(json));
	uint8_t md[32];
	assert_int_equal(EVP_Digest(body, strlen(body), md, NULL, EVP_sha256(), NULL), 1);
	char *hash = b64url(md, sizeof(md));
	char *t = malloc(strlen(body) + strlen(hash) + 2);
	assert_non_null(t);
	sprintf(t, "%s.%s", body, hash);
	free(body);
	free(hash);
	return t;
}

static char *make_ticket(const char *txn, const char *ticket_id, const char *hashed)
{
	char json[1024];
	snprintf(json, sizeof(json),
	         "{\"transaction_id\":\"%s\",\"op_code\":\"ATH\",\"op_mode\":\"I-SCAN\","
	         "\"sp_service_id\":\"" SERVICE "\",\"sp_ticket_id\":\"%s\",\"sp_name\":\"regs\","
	         "\"hint\":\"login\",\"expiration_time\":%d,\"hashed_id_num\":\"%s\","
	         "\"version\":\"1.0\"}",
	         txn, ticket_id, T_NOW + 180, hashed);
	return ticket_of_json(json);
}

/* ---- Results the service would send ---- */

struct result_spec {
	const char *code;
	const char *checksum_txn; /* the transaction the checksum covers (NULL: ours) */
	const struct mid_key *checksum_key;
	const char *hashed;
	const char *sig;  /* base64 */
	const char *cert; /* base64 */
	int no_checksum;
};

static char *result_json(const struct fx *f, const struct result_spec *s)
{
	const char *const fields[4] = {s->checksum_txn ? s->checksum_txn : TXN, s->code, s->hashed,
	                               s->sig};
	char checksum[MID_CHECKSUM_HEX];
	assert_int_equal(
	    mid_checksum(s->checksum_key ? s->checksum_key : &f->key, fields, 4, checksum),
	    REGS_OK);
	char *json = malloc(16384);
	assert_non_null(json);
	snprintf(
	    json, 16384,
	    "{\"error_code\":\"%s\",\"error_message\":\"\",\"result\":{\"hashed_id_num\":\"%s\","
	    "\"signed_response\":\"%s\",\"cert\":\"%s\"%s%s%s}}",
	    s->code, s->hashed, s->sig, s->cert, s->no_checksum ? "" : ",\"idp_checksum\":\"",
	    s->no_checksum ? "" : checksum, s->no_checksum ? "" : "\"");
	return json;
}

/* A correct result: the key signs TXN|TICKET_ID, the certificate is cert. */
struct good {
	char *sig, *cert;
	struct result_spec spec;
};

static struct good good_result(EVP_PKEY *key, const struct der *cert)
{
	struct good g;
	g.sig = sign_b64(key, TXN "|" TICKET_ID);
	g.cert = b64(cert->bytes, cert->len);
	g.spec = (struct result_spec){"0", NULL, NULL, HASHED, g.sig, g.cert, 0};
	return g;
}

static void good_free(struct good *g)
{
	free(g->sig);
	free(g->cert);
}

static enum mid_verdict parse_at(const struct fx *f, const struct result_spec *s, int64_t now,
                                 struct mid_result *out, char *err, size_t errlen)
{
	char *json = result_json(f, s);
	enum mid_verdict v = mid_parse_result(&f->key, json, strlen(json), TXN, &f->ticket,
	                                      f->anchors, now, out, err, errlen);
	free(json);
	return v;
}

static enum mid_verdict parse(const struct fx *f, const struct result_spec *s)
{
	struct mid_result out;
	char err[128];
	return parse_at(f, s, T_NOW, &out, err, sizeof(err));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_mobileid.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(mid_key_decode(REF_KEY_B64, &f->key), REGS_OK);
	memset(f->other_key.k, 0x5a, sizeof(f->other_key.k));

	EVP_PKEY *root_key = make_rsa(), *ca_key = make_rsa();
	f->rsa_key = make_rsa();
	f->stranger_key = make_rsa();
	f->ec_key = EVP_EC_gen("P-256");
	assert_non_null(f->ec_key);
	const int64_t ca_from = T_NOW - 10LL * YEAR, ca_to = T_NOW + 10LL * YEAR;
	X509 *root = make_cert(make_name("Test GRCA", "Test Root"), root_key, NULL, NULL, 1,
	                       ca_from, ca_to, 1, CA_USAGE);
	X509 *ca = make_cert(make_name("Test MOICA", "Test MOICA"), ca_key, root, root_key, 2,
	                     ca_from, ca_to, 1, CA_USAGE);
	X509 *stranger = make_cert(make_name("Nobody", "Stranger Root"), f->stranger_key, NULL,
	                           NULL, 3, ca_from, ca_to, 1, CA_USAGE);
	/* The configured CA's name with another key. */
	X509 *impostor = make_cert(make_name("Test MOICA", "Test MOICA"), f->stranger_key, NULL,
	                           NULL, 2, ca_from, ca_to, 1, CA_USAGE);

	f->rsa_cert = make_leaf("Phone RSA", f->rsa_key, ca, ca_key, 100, T_NOW - DAY, T_NOW + YEAR,
	                        SIGN_USAGE);
	f->ec_cert = make_leaf("Phone EC", f->ec_key, ca, ca_key, 101, T_NOW - DAY, T_NOW + YEAR,
	                       SIGN_USAGE);
	f->expired_cert = make_leaf("Phone RSA", f->rsa_key, ca, ca_key, 102, T_NOW - YEAR,
	                            T_NOW - DAY, SIGN_USAGE);
	f->encrypt_only_cert = make_leaf("Phone RSA", f->rsa_key, ca, ca_key, 103, T_NOW - DAY,
	                                 T_NOW + YEAR, "critical,keyEncipherment");
	f->stranger_cert = make_leaf("Phone RSA", f->rsa_key, stranger, f->stranger_key, 104,
	                             T_NOW - DAY, T_NOW + YEAR, SIGN_USAGE);

	f->impostor_cert = make_leaf("Phone RSA", f->rsa_key, impostor, f->stranger_key, 105,
	                             T_NOW - DAY, T_NOW + YEAR, SIGN_USAGE);

	snprintf(f->anchors_pem, sizeof(f->anchors_pem), "%s/anchors.pem", f->dir);
	write_anchors(f->anchors_pem, root, ca);
	assert_int_equal(x509_anchors_load(f->anchors_pem, &f->anchors), REGS_OK);

	char *t = make_ticket(TXN, TICKET_ID, HASHED);
	assert_int_equal(mid_ticket_parse(t, &f->ticket), REGS_OK);
	free(t);

	X509_free(root);
	X509_free(ca);
	X509_free(stranger);
	X509_free(impostor);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct der *all[] = {&f->rsa_cert,          &f->ec_cert,       &f->expired_cert,
	                     &f->encrypt_only_cert, &f->stranger_cert, &f->impostor_cert};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		OPENSSL_free(all[i]->bytes);
	x509_anchors_free(f->anchors);
	EVP_PKEY_free(f->rsa_key);
	EVP_PKEY_free(f->ec_key);
	EVP_PKEY_free(f->stranger_key);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* ---- Key and checksums ---- */

static void test_R4_5_key_decode(void **state)
{
	(void)state;
	struct mid_key k;
	assert_int_equal(mid_key_decode(" \t" REF_KEY_B64 "\n", &k), REGS_OK);
	for (int i = 0; i < 32; i++)
		assert_int_equal(k.k[i], i);
	/* Unpadded is the same key. */
	assert_int_equal(mid_key_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", &k),
	                 REGS_OK);
	assert_int_equal(k.k[31], 31);
	/* 31 and 33 bytes, a bad character, URL-safe characters, whitespace inside, nothing. */
	static const char *const bad[] = {
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd-_8=",
	    "AAECAwQFBgcICQoLDA0ODxAR EhMUFRYXGBkaGxwdHh8=",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8===",
	    "",
	    "   ",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mid_key_decode(bad[i], &k) != REGS_ERR_INVALID)
			fail_msg("bad key %zu accepted", i);
	}
	assert_int_equal(mid_key_decode(NULL, &k), REGS_ERR_INVALID);
}

static void test_R4_5_checksum_matches_reference(void **state)
{
	struct fx *f = *state;
	char out[MID_CHECKSUM_HEX];
	const char *const ticket[] = {REF_TXN,  SERVICE, "A123456789", "ATH", "I-SCAN",
	                              REF_HINT, ""};
	assert_int_equal(mid_checksum(&f->key, ticket, 7, out), REGS_OK);
	assert_string_equal(out, REF_TICKET);
	assert_int_equal(strlen(out), MID_CHECKSUM_HEX - 1);
	/* NULL fields are empty strings. */
	const char *const with_null[] = {REF_TXN,  SERVICE,  "A123456789", "ATH",
	                                 "I-SCAN", REF_HINT, NULL};
	assert_int_equal(mid_checksum(&f->key, with_null, 7, out), REGS_OK);
	assert_string_equal(out, REF_TICKET);
	assert_int_equal(mid_checksum(&f->key, NULL, 0, out), REGS_OK);
	assert_string_equal(out, REF_EMPTY);
	assert_true(mid_checksum_ok(&f->key, ticket, 7, REF_TICKET));
}

static void test_R4_5_checksum_tamper_detected(void **state)
{
	struct fx *f = *state;
	const char *const fields[] = {REF_TXN,  SERVICE, "A123456789", "ATH", "I-SCAN",
	                              REF_HINT, ""};
	char upper[] = REF_TICKET;
	for (char *p = upper; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_true(mid_checksum_ok(&f->key, fields, 7, upper));

	/* Any one character changed: in the IV, the ciphertext or the tag. */
	char bad[] = REF_TICKET;
	for (size_t i = 0; i < sizeof(bad) - 1; i++) {
		char saved = bad[i];
		bad[i] = saved == '0' ? '1' : '0';
		if (mid_checksum_ok(&f->key, fields, 7, bad))
			fail_msg("checksum with character %zu changed accepted", i);
		bad[i] = saved;
	}
	assert_false(mid_checksum_ok(&f->key, fields, 7, "")); /* truncated */
	char shorter[] = REF_TICKET;
	shorter[sizeof(shorter) - 2] = '\0';
	assert_false(mid_checksum_ok(&f->key, fields, 7, shorter));
	assert_false(mid_checksum_ok(&f->key, fields, 7, REF_TICKET "0")); /* longer */
	assert_false(mid_checksum_ok(&f->key, fields, 7, NULL));
	assert_false(mid_checksum_ok(&f->other_key, fields, 7, REF_TICKET));
	const char *const other[] = {REF_TXN, SERVICE, "F131104093", "ATH", "I-SCAN", REF_HINT, ""};
	assert_false(mid_checksum_ok(&f->key, other, 7, REF_TICKET));
}

static void test_R4_5_transaction_id_is_uuid_v4(void **state)
{
	(void)state;
	char a[MID_TXN_MAX], b[MID_TXN_MAX];
	assert_int_equal(mid_new_transaction_id(a), REGS_OK);
	assert_int_equal(mid_new_transaction_id(b), REGS_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(a), 36);
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
}

static void test_R4_5_challenge_text(void **state)
{
	(void)state;
	char c[MID_CHALLENGE_MAX];
	mid_challenge(TXN, TICKET_ID, c);
	assert_string_equal(c, TXN "|" TICKET_ID);
}

/* ---- Request bodies ---- */

static const char *member(json_object *obj, const char *name)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, name, &v))
		return NULL;
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static const struct mid_request ref_request = {REF_TXN, SERVICE, "A123456789", REF_HINT, 180};

static void test_R4_5_ticket_request_body(void **state)
{
	struct fx *f = *state;
	char *body = mid_ticket_json(&f->key, &ref_request);
	assert_non_null(body);
	json_object *obj = json_tokener_parse(body);
	assert_non_null(obj);
	assert_string_equal(member(obj, "transaction_id"), REF_TXN);
	assert_string_equal(member(obj, "sp_service_id"), SERVICE);
	assert_string_equal(member(obj, "id_num"), "A123456789");
	assert_string_equal(member(obj, "op_code"), "ATH");
	assert_string_equal(member(obj, "op_mode"), "I-SCAN");
	assert_string_equal(member(obj, "hint"), REF_HINT);
	assert_string_equal(member(obj, "time_limit"), "180");
	assert_string_equal(member(obj, "sp_checksum"), REF_TICKET);
	assert_null(member(obj, "sign_info"));
	json_object_put(obj);
	free(body);
}

static void test_R4_5_push_request_body(void **state)
{
	struct fx *f = *state;
	char *body = mid_push_json(&f->key, &ref_request);
	assert_non_null(body);
	json_object *obj = json_tokener_parse(body);
	assert_non_null(obj);
	assert_string_equal(member(obj, "transaction_id"), REF_TXN);
	assert_string_equal(member(obj, "id_num"), "A123456789");
	assert_string_equal(member(obj, "op_code"), "ATH");
	assert_null(member(obj, "op_mode"));
	assert_null(member(obj, "sign_info"));
	assert_string_equal(member(obj, "time_limit"), "180");
	/* device_user_def_desc and sign_data empty in the checksum. */
	assert_string_equal(member(obj, "sp_checksum"), REF_PUSH);
	json_object_put(obj);
	free(body);
}

static void test_R4_5_result_request_body(void **state)
{
	struct fx *f = *state;
	char *body = mid_result_json(&f->key, REF_TXN, SERVICE, TICKET_ID);
	assert_non_null(body);
	json_object *obj = json_tokener_parse(body);
	assert_non_null(obj);
	assert_string_equal(member(obj, "transaction_id"), REF_TXN);
	assert_string_equal(member(obj, "sp_service_id"), SERVICE);
	assert_string_equal(member(obj, "sp_ticket_id"), TICKET_ID);
	assert_string_equal(member(obj, "sp_checksum"), REF_RESULT);
	json_object_put(obj);
	free(body);
}

static void test_R4_5_request_arguments_checked(void **state)
{
	struct fx *f = *state;
	struct mid_request r = ref_request;
	r.id_num = "A123456788"; /* checksum wrong */
	assert_null(mid_push_json(&f->key, &r));
	assert_null(mid_ticket_json(&f->key, &r));
	r = ref_request;
	r.time_limit = 29;
	assert_null(mid_push_json(&f->key, &r));
	r.time_limit = 601;
	assert_null(mid_ticket_json(&f->key, &r));
	r = ref_request;
	r.hint = "bad \xff utf-8";
	assert_null(mid_push_json(&f->key, &r));
	assert_null(mid_push_json(NULL, &ref_request));

	/* Quotes, backslashes and control characters are escaped, not cut. */
	r = ref_request;
	r.hint = "say \"hi\"\\\n\tnow";
	char *body = mid_push_json(&f->key, &r);
	assert_non_null(body);
	json_object *obj = json_tokener_parse(body);
	assert_non_null(obj);
	assert_string_equal(member(obj, "hint"), r.hint);
	const char *const fields[] = {REF_TXN, SERVICE, "A123456789", "", "ATH", r.hint, ""};
	assert_true(mid_checksum_ok(&f->key, fields, 7, member(obj, "sp_checksum")));
	json_object_put(obj);
	free(body);
}

/* ---- sp_ticket ---- */

static void test_R4_5_ticket_parsed(void **state)
{
	struct fx *f = *state;
	const struct mid_ticket *t = &f->ticket; /* made in setup by mid_ticket_parse */
	assert_string_equal(t->transaction_id, TXN);
	assert_string_equal(t->sp_ticket_id, TICKET_ID);
	assert_string_equal(t->sp_service_id, SERVICE);
	assert_string_equal(t->hashed_id_num, HASHED);
	assert_string_equal(t->op_code, "ATH");
	assert_string_equal(t->op_mode, "I-SCAN");
	assert_int_equal(t->expiration_time, T_NOW + 180);

	/* expiration_time as a string of digits; op_mode absent (push). */
	struct mid_ticket u;
	char *s = ticket_of_json("{\"transaction_id\":\"" TXN "\",\"op_code\":\"ATH\","
	                         "\"sp_service_id\":\"s\",\"sp_ticket_id\":\"t\","
	                         "\"expiration_time\":\"1700000180\",\"hashed_id_num\":\"h\"}");
	assert_int_equal(mid_ticket_parse(s, &u), REGS_OK);
	assert_int_equal(u.expiration_time, 1700000180);
	assert_string_equal(u.op_mode, "");
	free(s);
}

static void test_R4_5_ticket_hash_checked(void **state)
{
	(void)state;
	struct mid_ticket t;
	char *good = make_ticket(TXN, TICKET_ID, HASHED);
	assert_int_equal(mid_ticket_parse(good, &t), REGS_OK);

	/* Another JSON under the good hash. */
	char *other = make_ticket(OTHER_TXN, TICKET_ID, HASHED);
	char *mixed = malloc(strlen(good) + strlen(other) + 1);
	assert_non_null(mixed);
	strcpy(mixed, other);
	strcpy(strchr(mixed, '.'), strchr(good, '.'));
	assert_int_equal(mid_ticket_parse(mixed, &t), REGS_ERR_INVALID);

	/* One character of the hash changed. */
	char *bad = strdup(good);
	assert_non_null(bad);
	char *last = bad + strlen(bad) - 1;
	*last = *last == 'A' ? 'B' : 'A';
	assert_int_equal(mid_ticket_parse(bad, &t), REGS_ERR_INVALID);

	/* No hash, an empty first part, three parts, standard base64 in the hash. */
	strcpy(bad, good);
	*strchr(bad, '.') = '\0';
	assert_int_equal(mid_ticket_parse(bad, &t), REGS_ERR_INVALID);
	assert_int_equal(mid_ticket_parse(strchr(good, '.'), &t), REGS_ERR_INVALID);
	char *three = malloc(strlen(good) + 3);
	assert_non_null(three);
	sprintf(three, "%s.x", good);
	assert_int_equal(mid_ticket_parse(three, &t), REGS_ERR_INVALID);
	assert_int_equal(mid_ticket_parse(NULL, &t), REGS_ERR_INVALID);
	free(good);
	free(other);
	free(mixed);
	free(bad);
	free(three);
}

static void test_R4_5_ticket_fields_checked(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    /* expiration in milliseconds, as a float, missing; no sp_ticket_id; not JSON */
	    "{\"transaction_id\":\"a\",\"op_code\":\"ATH\",\"sp_service_id\":\"s\","
	    "\"sp_ticket_id\":\"t\",\"expiration_time\":1700000180000,\"hashed_id_num\":\"h\"}",
	    "{\"transaction_id\":\"a\",\"op_code\":\"ATH\",\"sp_service_id\":\"s\","
	    "\"sp_ticket_id\":\"t\",\"expiration_time\":1700000180.5,\"hashed_id_num\":\"h\"}",
	    "{\"transaction_id\":\"a\",\"op_code\":\"ATH\",\"sp_service_id\":\"s\","
	    "\"sp_ticket_id\":\"t\",\"hashed_id_num\":\"h\"}",
	    "{\"transaction_id\":\"a\",\"op_code\":\"ATH\",\"sp_service_id\":\"s\","
	    "\"expiration_time\":1700000180,\"hashed_id_num\":\"h\"}",
	    "{\"transaction_id\":\"a\",\"op_code\":\"ATH\",\"sp_service_id\":\"s\","
	    "\"sp_ticket_id\":\"t\\u0000x\",\"expiration_time\":1700000180,\"hashed_id_num\":"
	    "\"h\"}",
	    "{\"transaction_id\":\"a\",\"op_code\":\"ATH\",\"sp_service_id\":\"s\","
	    "\"sp_ticket_id\":\"t\",\"expiration_time\":1700000180,\"hashed_id_num\":\"\"}",
	    "[1, 2]",
	    "not json",
	    "{\"transaction_id\":\"a\"} trailing",
	};
	struct mid_ticket t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *s = ticket_of_json(bad[i]);
		if (mid_ticket_parse(s, &t) != REGS_ERR_INVALID)
			fail_msg("bad ticket %zu accepted", i);
		free(s);
	}
}

/* ---- Ticket answers ---- */

static char *ticket_answer(const struct mid_key *key, const char *code, const char *ticket,
                           int with_checksum)
{
	const char *const fields[3] = {TXN, code, ticket};
	char checksum[MID_CHECKSUM_HEX];
	assert_int_equal(mid_checksum(key, fields, 3, checksum), REGS_OK);
	char *json = malloc(8192);
	assert_non_null(json);
	snprintf(json, 8192, "{\"error_code\":\"%s\",\"result\":{\"sp_ticket\":\"%s\"%s%s%s}}",
	         code, ticket, with_checksum ? ",\"idp_checksum\":\"" : "",
	         with_checksum ? checksum : "", with_checksum ? "\"" : "");
	return json;
}

static enum mid_verdict answer(const struct fx *f, const char *json, struct mid_ticket *t,
                               char *err)
{
	char sp_ticket[MID_TICKET_MAX];
	return mid_parse_ticket_answer(&f->key, json, strlen(json), TXN, sp_ticket, t, err, 128);
}

static void test_R4_5_ticket_answer_verified(void **state)
{
	struct fx *f = *state;
	char err[128], sp_ticket[MID_TICKET_MAX];
	struct mid_ticket t;
	char *ticket = make_ticket(TXN, TICKET_ID, HASHED);
	char *json = ticket_answer(&f->key, "0", ticket, 1);
	assert_int_equal(mid_parse_ticket_answer(&f->key, json, strlen(json), TXN, sp_ticket, &t,
	                                         err, sizeof(err)),
	                 MID_OK);
	assert_string_equal(sp_ticket, ticket);
	assert_string_equal(t.sp_ticket_id, TICKET_ID);
	free(json);

	json = ticket_answer(&f->other_key, "0", ticket, 1);
	assert_int_equal(answer(f, json, &t, err), MID_BAD_CHECKSUM);
	free(json);
	json = ticket_answer(&f->key, "0", ticket, 0);
	assert_int_equal(answer(f, json, &t, err), MID_BAD_CHECKSUM);
	free(json);
	free(ticket);

	/* A good checksum over a ticket of another transaction. */
	ticket = make_ticket(OTHER_TXN, TICKET_ID, HASHED);
	json = ticket_answer(&f->key, "0", ticket, 1);
	assert_int_equal(answer(f, json, &t, err), MID_WRONG_TRANSACTION);
	free(json);
	free(ticket);

	/* A good checksum over a ticket whose hash is wrong. */
	json = ticket_answer(&f->key, "0", "e30.AAAA", 1);
	assert_int_equal(answer(f, json, &t, err), MID_MALFORMED);
	free(json);
}

static void test_R4_5_ticket_answer_error_codes(void **state)
{
	struct fx *f = *state;
	char err[128];
	struct mid_ticket t;
	const char *json =
	    "{\"error_code\":\"SP-API-ATH-01-INV_SP_CHECKSUM\",\"error_message\":\"x\"}";
	assert_int_equal(answer(f, json, &t, err), MID_SERVICE_ERROR);
	assert_string_equal(err, "SP-API-ATH-01-INV_SP_CHECKSUM");
	/* Pending makes no sense for a new ticket. */
	assert_int_equal(answer(f, "{\"error_code\":\"20003\"}", &t, err), MID_SERVICE_ERROR);
	assert_int_equal(answer(f, "{\"error_code\":\"20001\"}", &t, err), MID_EXPIRED);
	assert_int_equal(answer(f, "{\"error_code\":0}", &t, err), MID_MALFORMED);
	assert_int_equal(answer(f, "{\"error_code\":\"0\"}", &t, err), MID_MALFORMED);
	assert_int_equal(answer(f, "", &t, err), MID_MALFORMED);
}

/* ---- Results ---- */

static void test_R4_5_result_rsa_accepted(void **state)
{
	struct fx *f = *state;
	struct good g = good_result(f->rsa_key, &f->rsa_cert);
	struct mid_result out;
	char err[128];
	assert_int_equal(parse_at(f, &g.spec, T_NOW, &out, err, sizeof(err)), MID_OK);
	assert_string_equal(out.hashed_id_num, HASHED);
	uint8_t md[32];
	assert_int_equal(
	    EVP_Digest(f->rsa_cert.bytes, f->rsa_cert.len, md, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(out.cert_sha256, md, 32);
	assert_non_null(strstr(out.cert_subject, "CN=Phone RSA"));
	good_free(&g);
}

static void test_R4_5_result_ecdsa_accepted(void **state)
{
	struct fx *f = *state;
	struct good g = good_result(f->ec_key, &f->ec_cert);
	struct mid_result out;
	char err[128];
	assert_int_equal(parse_at(f, &g.spec, T_NOW, &out, err, sizeof(err)), MID_OK);
	assert_non_null(strstr(out.cert_subject, "CN=Phone EC"));
	good_free(&g);
	/* An RSA signature with the EC certificate is not one. */
	g = good_result(f->rsa_key, &f->ec_cert);
	assert_int_equal(parse(f, &g.spec), MID_BAD_SIGNATURE);
	good_free(&g);
}

static void test_R4_5_result_forged_signature_refused(void **state)
{
	struct fx *f = *state;
	/* Signed by a key that is not the certificate's. */
	struct good g = good_result(f->stranger_key, &f->rsa_cert);
	struct mid_result out;
	memset(&out, 0x77, sizeof(out));
	char err[128];
	assert_int_equal(parse_at(f, &g.spec, T_NOW, &out, err, sizeof(err)), MID_BAD_SIGNATURE);
	assert_int_equal(out.hashed_id_num[0], 0x77); /* out untouched */
	good_free(&g);

	/* The right key over another ticket id. */
	g = good_result(f->rsa_key, &f->rsa_cert);
	char *sig = sign_b64(f->rsa_key, TXN "|tkt-0002");
	g.spec.sig = sig;
	assert_int_equal(parse(f, &g.spec), MID_BAD_SIGNATURE);
	free(sig);

	/* One bit of the good signature flipped (the checksum covers the new text). */
	uint8_t raw[512];
	int n = EVP_DecodeBlock(raw, (const unsigned char *)g.sig, (int)strlen(g.sig));
	assert_true(n >= 256); /* with the padding bytes */
	raw[100] ^= 0x01;
	sig = b64(raw, 256);
	g.spec.sig = sig;
	assert_int_equal(parse(f, &g.spec), MID_BAD_SIGNATURE);
	free(sig);
	g.spec.sig = "";
	assert_int_equal(parse(f, &g.spec), MID_BAD_SIGNATURE);
	good_free(&g);
}

static void test_R4_5_result_wrong_idp_checksum_refused(void **state)
{
	struct fx *f = *state;
	struct good g = good_result(f->rsa_key, &f->rsa_cert);
	g.spec.checksum_key = &f->other_key;
	assert_int_equal(parse(f, &g.spec), MID_BAD_CHECKSUM);
	g.spec.checksum_key = NULL;
	g.spec.no_checksum = 1;
	assert_int_equal(parse(f, &g.spec), MID_BAD_CHECKSUM);

	/* The checksum is over the fields as sent: change one after it was made. */
	g.spec.no_checksum = 0;
	char *json = result_json(f, &g.spec);
	char *sig = strstr(json, g.sig);
	assert_non_null(sig);
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	struct mid_result out;
	char err[128];
	assert_int_equal(mid_parse_result(&f->key, json, strlen(json), TXN, &f->ticket, f->anchors,
	                                  T_NOW, &out, err, sizeof(err)),
	                 MID_BAD_CHECKSUM);
	assert_string_equal(err, "idp_checksum does not verify");
	free(json);

	/* The checksum comes first: a forged signature under a wrong checksum is a bad checksum. */
	good_free(&g);
	g = good_result(f->stranger_key, &f->stranger_cert);
	g.spec.checksum_key = &f->other_key;
	assert_int_equal(parse(f, &g.spec), MID_BAD_CHECKSUM);
	good_free(&g);
}

static void test_R4_5_result_untrusted_cert_refused(void **state)
{
	struct fx *f = *state;
	/* A correct signature by a certificate of a CA nobody configured. */
	struct good g = good_result(f->rsa_key, &f->stranger_cert);
	assert_int_equal(parse(f, &g.spec), MID_CERT_UNTRUSTED);
	good_free(&g);
	/* A certificate from a CA with the configured CA's name and another key. */
	g = good_result(f->rsa_key, &f->impostor_cert);
	assert_int_equal(parse(f, &g.spec), MID_CERT_UNTRUSTED);
	good_free(&g);
	/* No anchors: nothing is trusted. */
	g = good_result(f->rsa_key, &f->rsa_cert);
	char *json = result_json(f, &g.spec);
	struct mid_result out;
	char err[128];
	assert_int_equal(mid_parse_result(&f->key, json, strlen(json), TXN, &f->ticket, NULL, T_NOW,
	                                  &out, err, sizeof(err)),
	                 MID_CERT_UNTRUSTED);
	free(json);
	good_free(&g);
}

static void test_R4_5_result_expired_cert_refused(void **state)
{
	struct fx *f = *state;
	struct mid_result out;
	char err[128];
	struct good g = good_result(f->rsa_key, &f->expired_cert);
	assert_int_equal(parse_at(f, &g.spec, T_NOW, &out, err, sizeof(err)), MID_CERT_INVALID);
	assert_string_equal(err, "certificate: expired");
	good_free(&g);
	/* The good certificate, before it was valid and after it expired. */
	g = good_result(f->rsa_key, &f->rsa_cert);
	assert_int_equal(parse_at(f, &g.spec, T_NOW - 2 * DAY, &out, err, sizeof(err)),
	                 MID_CERT_INVALID);
	assert_int_equal(parse_at(f, &g.spec, T_NOW + 2 * YEAR, &out, err, sizeof(err)),
	                 MID_CERT_INVALID);
	good_free(&g);
	/* Not allowed to sign. */
	g = good_result(f->rsa_key, &f->encrypt_only_cert);
	assert_int_equal(parse(f, &g.spec), MID_CERT_INVALID);
	good_free(&g);
}

static void test_R4_5_result_other_transaction_refused(void **state)
{
	struct fx *f = *state;
	/* A genuine result of another transaction, replayed: its checksum is over OTHER_TXN. */
	struct good g = good_result(f->rsa_key, &f->rsa_cert);
	char *sig = sign_b64(f->rsa_key, OTHER_TXN "|" TICKET_ID);
	g.spec.sig = sig;
	g.spec.checksum_txn = OTHER_TXN;
	assert_int_equal(parse(f, &g.spec), MID_BAD_CHECKSUM);
	/* Even with a checksum over ours (a leaked key), the signature names the other one. */
	g.spec.checksum_txn = NULL;
	assert_int_equal(parse(f, &g.spec), MID_BAD_SIGNATURE);
	free(sig);

	/* A ticket of another transaction given with ours. */
	g.spec.sig = g.sig;
	struct mid_ticket other = f->ticket;
	strcpy(other.transaction_id, OTHER_TXN);
	char *json = result_json(f, &g.spec);
	struct mid_result out;
	char err[128];
	assert_int_equal(mid_parse_result(&f->key, json, strlen(json), TXN, &other, f->anchors,
	                                  T_NOW, &out, err, sizeof(err)),
	                 MID_WRONG_TRANSACTION);
	free(json);
	good_free(&g);
}

static void test_R4_5_hashed_id_mismatch_refused(void **state)
{
	struct fx *f = *state;
	/* Everything verifies, but for another person's hashed ID. */
	struct good g = good_result(f->rsa_key, &f->rsa_cert);
	g.spec.hashed = OTHER_HASHED;
	assert_int_equal(parse(f, &g.spec), MID_WRONG_TRANSACTION);
	g.spec.hashed = "";
	assert_int_equal(parse(f, &g.spec), MID_WRONG_TRANSACTION);
	good_free(&g);
}

static enum mid_verdict code_verdict(const struct fx *f, const char *json, char *err)
{
	struct mid_result out;
	return mid_parse_result(&f->key, json, strlen(json), TXN, &f->ticket, f->anchors, T_NOW,
	                        &out, err, 128);
}

static void test_R4_5_result_pending_denied_expired_codes(void **state)
{
	struct fx *f = *state;
	char err[128];
	static const struct {
		const char *json;
		enum mid_verdict v;
	} cases[] = {
	    {"{\"error_code\":\"20002\"}", MID_PENDING},
	    {"{\"error_code\":\"20003\",\"result\":{}}", MID_PENDING},
	    {"{\"error_code\":\"IDP_TXNLOG_NF\"}", MID_PENDING},
	    {"{\"error_code\":\"20001\"}", MID_EXPIRED},
	    {"{\"error_code\":\"20004\"}", MID_DENIED},
	    {"{\"error_code\":\"20005\"}", MID_DENIED},
	    {"{\"error_code\":\"020002\"}", MID_SERVICE_ERROR},
	    {"{\"error_code\":\"TXNLOG_NF\"}", MID_SERVICE_ERROR},
	    {"{\"error_code\":\"\"}", MID_SERVICE_ERROR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mid_verdict v = code_verdict(f, cases[i].json, err);
		if (v != cases[i].v)
			fail_msg("case %zu: %s, not %s", i, mid_verdict_name(v),
			         mid_verdict_name(cases[i].v));
	}
	assert_int_equal(code_verdict(f, "{\"error_code\":\"SP-API-ATH-02-INV_TXN\"}", err),
	                 MID_SERVICE_ERROR);
	assert_string_equal(err, "SP-API-ATH-02-INV_TXN");
	/* The code is logged: control characters replaced, at most 64 characters. */
	assert_int_equal(code_verdict(f, "{\"error_code\":\"E\\u001b[31m\\nX\"}", err),
	                 MID_SERVICE_ERROR);
	assert_string_equal(err, "E?[31m?X");
	assert_int_equal(code_verdict(f,
	                              "{\"error_code\":\"0123456789012345678901234567890123456789"
	                              "01234567890123456789012345678901234567890123456789\"}",
	                              err),
	                 MID_SERVICE_ERROR);
	assert_int_equal(strlen(err), 64);
}

static void test_R4_5_result_malformed_refused(void **state)
{
	struct fx *f = *state;
	char err[128];
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[]",
	    "{\"error_code\":0}",
	    "{\"error_message\":\"no code\"}",
	    "{\"error_code\":\"0\"}",
	    "{\"error_code\":\"0\",\"result\":{\"hashed_id_num\":\"" HASHED "\"}}",
	    "{\"error_code\":\"0\",\"result\":\"x\"}",
	    "{\"error_code\":\"20002\"} {}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (code_verdict(f, bad[i], err) != MID_MALFORMED)
			fail_msg("bad result %zu accepted as %s", i,
			         mid_verdict_name(code_verdict(f, bad[i], err)));
	}
	/* A NUL inside the length. */
	static const char with_nul[] = "{\"error_code\":\"20002\"}\0";
	struct mid_result out;
	assert_int_equal(mid_parse_result(&f->key, with_nul, sizeof(with_nul) - 1, TXN, &f->ticket,
	                                  f->anchors, T_NOW, &out, err, sizeof(err)),
	                 MID_MALFORMED);

	/* A certificate that is not base64, or not DER, under a good checksum. */
	struct good g = good_result(f->rsa_key, &f->rsa_cert);
	g.spec.cert = "not base64!";
	assert_int_equal(parse(f, &g.spec), MID_MALFORMED);
	g.spec.cert = "MAMCAQU="; /* SEQUENCE { INTEGER 5 } */
	assert_int_equal(parse(f, &g.spec), MID_MALFORMED);
	good_free(&g);
}

static void test_R4_5_verdict_names(void **state)
{
	(void)state;
	for (int v = MID_OK; v <= MID_WRONG_TRANSACTION; v++) {
		const char *name = mid_verdict_name((enum mid_verdict)v);
		assert_non_null(name);
		assert_string_not_equal(name, "unknown");
		for (int w = MID_OK; w < v; w++)
			assert_string_not_equal(name, mid_verdict_name((enum mid_verdict)w));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R4_5_key_decode),
	    cmocka_unit_test(test_R4_5_checksum_matches_reference),
	    cmocka_unit_test(test_R4_5_checksum_tamper_detected),
	    cmocka_unit_test(test_R4_5_transaction_id_is_uuid_v4),
	    cmocka_unit_test(test_R4_5_challenge_text),
	    cmocka_unit_test(test_R4_5_ticket_request_body),
	    cmocka_unit_test(test_R4_5_push_request_body),
	    cmocka_unit_test(test_R4_5_result_request_body),
	    cmocka_unit_test(test_R4_5_request_arguments_checked),
	    cmocka_unit_test(test_R4_5_ticket_parsed),
	    cmocka_unit_test(test_R4_5_ticket_hash_checked),
	    cmocka_unit_test(test_R4_5_ticket_fields_checked),
	    cmocka_unit_test(test_R4_5_ticket_answer_verified),
	    cmocka_unit_test(test_R4_5_ticket_answer_error_codes),
	    cmocka_unit_test(test_R4_5_result_rsa_accepted),
	    cmocka_unit_test(test_R4_5_result_ecdsa_accepted),
	    cmocka_unit_test(test_R4_5_result_forged_signature_refused),
	    cmocka_unit_test(test_R4_5_result_wrong_idp_checksum_refused),
	    cmocka_unit_test(test_R4_5_result_untrusted_cert_refused),
	    cmocka_unit_test(test_R4_5_result_expired_cert_refused),
	    cmocka_unit_test(test_R4_5_result_other_transaction_refused),
	    cmocka_unit_test(test_R4_5_hashed_id_mismatch_refused),
	    cmocka_unit_test(test_R4_5_result_pending_denied_expired_codes),
	    cmocka_unit_test(test_R4_5_result_malformed_refused),
	    cmocka_unit_test(test_R4_5_verdict_names),
	};
	return cmocka_run_group_tests_name("mobileid", tests, setup, teardown);
}
