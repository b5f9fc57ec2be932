/* The CPU part of an approved out-of-band login, in one thread of one process: what a regsd
 * worker runs once the provider has answered (bench/run --oob).
 *
 *   oobverify [--calls N] [--parses M]
 *
 * Google (R5.5): an RSA-2048 key, a 3-key JWKS and an ID token shaped like Google's are made at
 * start; N jwt_verify calls (signature, then iss, aud/azp, exp, iat, sub) and M jwks_parse calls
 * of the 3-key set are timed one by one.
 * Mobile citizen certificate (R4.5): a test CA (RSA-2048 root + intermediate), an RSA-2048 and
 * a P-256 phone certificate, a ticket and a good result for each key type (idp_checksum made
 * with mid_checksum) are made at start; N mid_parse_result calls of each are timed (JSON shape,
 * checksum AES-GCM, signature over the challenge, chain to the anchors). For the breakdown,
 * N mid_checksum_ok, N x509_verify_chain and N d2i_X509 + X509_free (of the RSA phone
 * certificate) calls are timed too.
 * Every call's answer is checked. Output: key=value lines. */
#include "common.h"
#include "net/jwt.h"
#include "net/mobileid.h"
#include "pki/x509.h"
#include <getopt.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_ID "1234-bench.apps.googleusercontent.com"
#define ISSUER "https://accounts.google.com"
#define TICKET_ID "tkt-bench-0001"
#define SERVICE "regs-bench-sp"
#define HASHED "5a2f6c0e9b7d4a31c8e2f1d0b9a8c7e6f5d4c3b2a1908f7e6d5c4b3a29181706"
#define DAY 86400
#define YEAR (365 * DAY)

static void die(const char *what)
{
	fprintf(stderr, "oobverify: %s\n", what);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- Encodings ---- */

static char *b64(const uint8_t *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	if (EVP_EncodeBlock((unsigned char *)out, data, (int)len) < 0)
		die("base64");
	return out;
}

static char *b64url(const uint8_t *data, size_t len)
{
	char *out = b64(data, len);
	for (char *p = out; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=')
			*p = '\0';
	}
	return out;
}

static uint8_t *sign_sha256(EVP_PKEY *key, const char *text, size_t *len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t *sig = NULL;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, len, (const uint8_t *)text, strlen(text)) != 1)
		die("signing");
	sig = xmalloc(*len);
	if (EVP_DigestSign(md, sig, len, (const uint8_t *)text, strlen(text)) != 1)
		die("signing");
	EVP_MD_CTX_free(md);
	return sig;
}

/* ---- Timing ---- */

struct timing {
	int64_t p50_ns, p99_ns, total_ns;
	unsigned long n;
};

static void timing_done(struct timing *t, int64_t *v, unsigned long n)
{
	t->total_ns = 0;
	for (unsigned long i = 0; i < n; i++)
		t->total_ns += v[i];
	bench_sort(v, n);
	t->p50_ns = bench_percentile(v, n, 50);
	t->p99_ns = bench_percentile(v, n, 99);
	t->n = n;
}

static void print_timing(const char *name, const struct timing *t, const char *extra)
{
	printf("oobverify: %s calls=%lu p50_us=%.1f p99_us=%.1f calls_per_s=%.0f%s%s\n", name, t->n,
	       (double)t->p50_ns / 1e3, (double)t->p99_ns / 1e3,
	       (double)t->n / ((double)t->total_ns / 1e9), *extra ? " " : "", extra);
}

/* ---- Google: JWKS and ID token ---- */

static char *key_number(EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
		die("RSA parameters");
	int n = BN_num_bytes(bn);
	uint8_t *bytes = xmalloc((size_t)n);
	BN_bn2bin(bn, bytes);
	char *out = b64url(bytes, (size_t)n);
	free(bytes);
	BN_free(bn);
	return out;
}

/* {"keys":[...]} with one JWK per key, kids k1, k2, ... as the provider publishes them. */
static char *make_jwks(EVP_PKEY **keys, int n)
{
	size_t size = 16384, used;
	char *json = xmalloc(size);
	snprintf(json, size, "{\"keys\":[");
	for (int i = 0; i < n; i++) {
		char *mod = key_number(keys[i], OSSL_PKEY_PARAM_RSA_N);
		char *e = key_number(keys[i], OSSL_PKEY_PARAM_RSA_E);
		used = strlen(json);
		snprintf(
		    json + used, size - used,
		    "%s{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"k%d\",\"n\":"
		    "\"%s\",\"e\":\"%s\"}",
		    i ? "," : "", i + 1, mod, e);
		free(mod);
		free(e);
	}
	used = strlen(json);
	snprintf(json + used, size - used, "]}");
	return json;
}

/* An ID token as Google's device flow returns it, signed with key (kid k2). */
static char *make_token(EVP_PKEY *key, int64_t now)
{
	char payload[1024];
	const char *header = "{\"alg\":\"RS256\",\"kid\":\"k2\",\"typ\":\"JWT\"}";
	snprintf(payload, sizeof(payload),
	         "{\"iss\":\"" ISSUER "\",\"azp\":\"" CLIENT_ID "\",\"aud\":\"" CLIENT_ID "\","
	         "\"sub\":\"110169484474386276334\",\"email\":\"alice.bench@gmail.com\","
	         "\"email_verified\":true,\"at_hash\":\"HK6E_P6Dh8Y93mRNtsDB1Q\","
	         "\"iat\":%lld,\"exp\":%lld}",
	         (long long)now, (long long)now + 3600);
	char *h = b64url((const uint8_t *)header, strlen(header));
	char *p = b64url((const uint8_t *)payload, strlen(payload));
	size_t in_size = strlen(h) + strlen(p) + 2;
	char *input = xmalloc(in_size);
	snprintf(input, in_size, "%s.%s", h, p);
	size_t sig_len = 0;
	uint8_t *sig = sign_sha256(key, input, &sig_len);
	char *s = b64url(sig, sig_len);
	size_t size = strlen(input) + strlen(s) + 2;
	char *token = xmalloc(size);
	snprintf(token, size, "%s.%s", input, s);
	free(h);
	free(p);
	free(input);
	free(sig);
	free(s);
	return token;
}

static void bench_google(unsigned long calls, unsigned long parses)
{
	EVP_PKEY *keys[3];
	for (int i = 0; i < 3; i++)
		if (!(keys[i] = EVP_RSA_gen(2048)))
			die("RSA key generation");
	char *json = make_jwks(keys, 3);
	int64_t now = (int64_t)time(NULL);
	char *token = make_token(keys[1], now);
	int64_t *t = xmalloc(sizeof(int64_t) * (calls > parses ? calls : parses));
	struct timing tm;

	/* jwks_parse of the 3-key set (what a JWKS refetch costs). */
	for (unsigned long i = 0; i < parses; i++) {
		struct jwks *set = NULL;
		int64_t t0 = bench_now_ns();
		enum regs_err err = jwks_parse(json, strlen(json), &set);
		t[i] = bench_now_ns() - t0;
		if (err != REGS_OK || jwks_count(set) != 3)
			die("jwks_parse refused the set");
		jwks_free(set);
	}
	timing_done(&tm, t, parses);
	char extra[64];
	snprintf(extra, sizeof(extra), "keys=3 json_bytes=%zu", strlen(json));
	print_timing("jwks_parse", &tm, extra);

	/* jwt_verify against the parsed set, as regsd's worker does. */
	struct jwks *set = NULL;
	if (jwks_parse(json, strlen(json), &set) != REGS_OK)
		die("jwks_parse");
	static const char *const issuers[] = {ISSUER, "accounts.google.com", NULL};
	struct jwt_expect want = {issuers, CLIENT_ID, now, 60, 600, NULL};
	for (unsigned long i = 0; i < calls; i++) {
		struct jwt_claims claims;
		int64_t t0 = bench_now_ns();
		enum jwt_verdict v = jwt_verify(token, set, &want, &claims);
		t[i] = bench_now_ns() - t0;
		if (v != JWT_OK) {
			fprintf(stderr, "oobverify: jwt_verify: %s\n", jwt_verdict_name(v));
			exit(1);
		}
	}
	timing_done(&tm, t, calls);
	snprintf(extra, sizeof(extra), "token_bytes=%zu key_bits=2048", strlen(token));
	print_timing("jwt_verify", &tm, extra);
	jwks_free(set);
	free(t);
	free(token);
	free(json);
	for (int i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
}

/* ---- Mobile: the test PKI ---- */

static X509_NAME *make_name(const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	if (!n ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"TW", -1, -1,
	                                0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1,
	                                0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
	                                0))
		die("X509 name");
	return n;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext || X509_add_ext(cert, ext, -1) != 1)
		die("X509 extension");
	X509_EXTENSION_free(ext);
}

/* issuer NULL: self-signed by key. Takes subject. */
static X509 *make_cert(X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, int64_t not_before, int64_t not_after, int ca)
{
	X509 *cert = X509_new();
	if (!cert || X509_set_version(cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial) != 1 ||
	    X509_set_subject_name(cert, subject) != 1 ||
	    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject) != 1 ||
	    !ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)not_after) ||
	    X509_set_pubkey(cert, key) != 1)
		die("X509 certificate");
	X509 *signer = issuer ? issuer : cert;
	add_ext(cert, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(cert, signer, NID_key_usage,
	        ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation");
	add_ext(cert, signer, NID_subject_key_identifier, "hash");
	add_ext(cert, signer, NID_authority_key_identifier, "keyid:always");
	if (X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
		die("X509 signing");
	X509_NAME_free(subject);
	return cert;
}

struct der {
	uint8_t *bytes;
	size_t len;
};

static struct der to_der(X509 *cert)
{
	struct der d = {NULL, 0};
	int n = i2d_X509(cert, &d.bytes);
	if (n <= 0)
		die("DER");
	d.len = (size_t)n;
	return d;
}

/* base64url(json) "." base64url(SHA-256 of the first part's text), as the service makes it. */
static char *make_ticket(const char *txn, int64_t now)
{
	char json[1024];
	snprintf(json, sizeof(json),
	         "{\"transaction_id\":\"%s\",\"op_code\":\"ATH\",\"op_mode\":\"I-SCAN\","
	         "\"sp_service_id\":\"" SERVICE "\",\"sp_ticket_id\":\"" TICKET_ID "\","
	         "\"sp_name\":\"regs\",\"hint\":\"login\",\"expiration_time\":%lld,"
	         "\"hashed_id_num\":\"" HASHED "\",\"version\":\"1.0\"}",
	         txn, (long long)now + 180);
	char *body = b64url((const uint8_t *)json, strlen(json));
	uint8_t md[32];
	if (EVP_Digest(body, strlen(body), md, NULL, EVP_sha256(), NULL) != 1)
		die("SHA-256");
	char *hash = b64url(md, sizeof(md));
	char *t = xmalloc(strlen(body) + strlen(hash) + 2);
	sprintf(t, "%s.%s", body, hash);
	free(body);
	free(hash);
	return t;
}

/* A good getAthOrSignResult answer: key signs txn|TICKET_ID, cert is its certificate. */
static char *make_result(const struct mid_key *mk, const char *txn, EVP_PKEY *key,
                         const struct der *cert)
{
	char challenge[MID_CHALLENGE_MAX], checksum[MID_CHECKSUM_HEX];
	mid_challenge(txn, TICKET_ID, challenge);
	size_t sig_len = 0;
	uint8_t *sig = sign_sha256(key, challenge, &sig_len);
	char *sig64 = b64(sig, sig_len), *cert64 = b64(cert->bytes, cert->len);
	const char *const fields[4] = {txn, "0", HASHED, sig64};
	if (mid_checksum(mk, fields, 4, checksum) != REGS_OK)
		die("mid_checksum");
	size_t size = strlen(sig64) + strlen(cert64) + 1024;
	char *json = xmalloc(size);
	snprintf(json, size,
	         "{\"error_code\":\"0\",\"error_message\":\"\",\"result\":{\"hashed_id_num\":"
	         "\"" HASHED "\",\"signed_response\":\"%s\",\"cert\":\"%s\",\"idp_checksum\":"
	         "\"%s\"}}",
	         sig64, cert64, checksum);
	free(sig);
	free(sig64);
	free(cert64);
	return json;
}

static void time_result(const char *name, const struct mid_key *mk, const char *json,
                        const char *txn, const struct mid_ticket *ticket,
                        const struct x509_anchors *anchors, int64_t now, unsigned long calls,
                        int64_t *t, const char *extra)
{
	struct timing tm;
	for (unsigned long i = 0; i < calls; i++) {
		struct mid_result res;
		char err[128];
		int64_t t0 = bench_now_ns();
		enum mid_verdict v = mid_parse_result(mk, json, strlen(json), txn, ticket, anchors,
		                                      now, &res, err, sizeof(err));
		t[i] = bench_now_ns() - t0;
		if (v != MID_OK) {
			fprintf(stderr, "oobverify: %s: %s (%s)\n", name, mid_verdict_name(v), err);
			exit(1);
		}
	}
	timing_done(&tm, t, calls);
	char more[128];
	snprintf(more, sizeof(more), "result_bytes=%zu %s", strlen(json), extra);
	print_timing(name, &tm, more);
}

static void bench_mobile(unsigned long calls)
{
	int64_t now = (int64_t)time(NULL);
	const int64_t ca_from = now - 10LL * YEAR, ca_to = now + 10LL * YEAR;
	EVP_PKEY *root_key = EVP_RSA_gen(2048), *ca_key = EVP_RSA_gen(2048);
	EVP_PKEY *rsa_key = EVP_RSA_gen(2048), *ec_key = EVP_EC_gen("P-256");
	if (!root_key || !ca_key || !rsa_key || !ec_key)
		die("key generation");
	X509 *root = make_cert(make_name("Bench GRCA", "Bench Root"), root_key, NULL, NULL, 1,
	                       ca_from, ca_to, 1);
	X509 *ca = make_cert(make_name("Bench MOICA", "Bench MOICA"), ca_key, root, root_key, 2,
	                     ca_from, ca_to, 1);
	X509 *rsa_leaf = make_cert(make_name("Mobile", "Phone RSA"), rsa_key, ca, ca_key, 100,
	                           now - DAY, now + YEAR, 0);
	X509 *ec_leaf = make_cert(make_name("Mobile", "Phone EC"), ec_key, ca, ca_key, 101,
	                          now - DAY, now + YEAR, 0);
	struct der rsa_cert = to_der(rsa_leaf), ec_cert = to_der(ec_leaf);

	/* The anchors file as x509_anchors_load wants it: ours, mode 0600. */
	char dir[] = "/tmp/oobverify.XXXXXX", path[64];
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(path, sizeof(path), "%s/anchors.pem", dir);
	FILE *f = fopen(path, "w");
	if (!f || PEM_write_X509(f, root) != 1 || PEM_write_X509(f, ca) != 1 || fclose(f) != 0 ||
	    chmod(path, 0600) != 0)
		die("writing the anchors");
	struct x509_anchors *anchors = NULL;
	enum regs_err err = x509_anchors_load(path, &anchors);
	unlink(path);
	rmdir(dir);
	if (err != REGS_OK)
		die("x509_anchors_load");

	struct mid_key mk;
	char txn[MID_TXN_MAX];
	struct mid_ticket ticket;
	if (RAND_bytes(mk.k, sizeof(mk.k)) != 1 || mid_new_transaction_id(txn) != REGS_OK)
		die("randomness");
	char *t64 = make_ticket(txn, now);
	if (mid_ticket_parse(t64, &ticket) != REGS_OK)
		die("mid_ticket_parse");
	free(t64);
	char *rsa_json = make_result(&mk, txn, rsa_key, &rsa_cert);
	char *ec_json = make_result(&mk, txn, ec_key, &ec_cert);
	int64_t *t = xmalloc(sizeof(int64_t) * calls);

	time_result("mid_parse_result_rsa", &mk, rsa_json, txn, &ticket, anchors, now, calls, t,
	            "leaf=RSA-2048 chain=RSA-2048");
	time_result("mid_parse_result_p256", &mk, ec_json, txn, &ticket, anchors, now, calls, t,
	            "leaf=P-256 chain=RSA-2048");

	/* The breakdown: the checksum (AES-256-GCM + SHA-256) and the chain alone. */
	struct timing tm;
	size_t sig_len = 0;
	char challenge[MID_CHALLENGE_MAX], checksum[MID_CHECKSUM_HEX];
	mid_challenge(txn, TICKET_ID, challenge);
	uint8_t *sig = sign_sha256(rsa_key, challenge, &sig_len);
	char *sig64 = b64(sig, sig_len);
	const char *const fields[4] = {txn, "0", HASHED, sig64};
	if (mid_checksum(&mk, fields, 4, checksum) != REGS_OK)
		die("mid_checksum");
	for (unsigned long i = 0; i < calls; i++) {
		int64_t t0 = bench_now_ns();
		int ok = mid_checksum_ok(&mk, fields, 4, checksum);
		t[i] = bench_now_ns() - t0;
		if (ok != 1)
			die("mid_checksum_ok refused its own checksum");
	}
	timing_done(&tm, t, calls);
	print_timing("mid_checksum_ok", &tm, "");
	for (unsigned long i = 0; i < calls; i++) {
		int64_t t0 = bench_now_ns();
		enum x509_verdict v = x509_verify_chain(anchors, rsa_cert.bytes, rsa_cert.len, now);
		t[i] = bench_now_ns() - t0;
		if (v != X509_VERDICT_OK)
			die("x509_verify_chain refused the phone certificate");
	}
	timing_done(&tm, t, calls);
	print_timing("x509_verify_chain_rsa", &tm, "");
	/* mid_parse_result decodes the phone certificate three times (signature, chain, identity).
	 */
	for (unsigned long i = 0; i < calls; i++) {
		const unsigned char *p = rsa_cert.bytes;
		int64_t t0 = bench_now_ns();
		X509 *c = d2i_X509(NULL, &p, (long)rsa_cert.len);
		X509_free(c);
		t[i] = bench_now_ns() - t0;
		if (!c)
			die("d2i_X509 refused the phone certificate");
	}
	timing_done(&tm, t, calls);
	char extra[32];
	snprintf(extra, sizeof(extra), "cert_bytes=%zu", rsa_cert.len);
	print_timing("d2i_x509_rsa", &tm, extra);

	free(t);
	free(sig);
	free(sig64);
	free(rsa_json);
	free(ec_json);
	OPENSSL_free(rsa_cert.bytes);
	OPENSSL_free(ec_cert.bytes);
	X509_free(root);
	X509_free(ca);
	X509_free(rsa_leaf);
	X509_free(ec_leaf);
	x509_anchors_free(anchors);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	OPENSSL_cleanse(&mk, sizeof(mk));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: oobverify [--calls N] [--parses M]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"calls", required_argument, NULL, 'n'},
	    {"parses", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long calls = 2000, parses = 2000;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			calls = bench_parse_ulong("--calls", optarg);
			break;
		case 'm':
			parses = bench_parse_ulong("--parses", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || calls == 0 || parses == 0) {
		usage(stderr);
		return 2;
	}
	printf("oobverify: openssl=%s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
	bench_google(calls, parses);
	bench_mobile(calls);
	return 0;
}
