/* CRLs: verify once, keep the serials sorted for bsearch, cache the DER on disk. */
#include "pki/crl.h"
#include "base/der.h"
#include "base/fileio.h"
#include "base/hex.h"
#include "base/trustedfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One entry: a sign byte (1 = negative, which RFC 5280 forbids but some CAs
 * issued), then the magnitude right-aligned, so memcmp orders and finds. */
#define CRL_SERIAL_WIDTH (1 + CRL_SERIAL_MAX)

struct crl_set {
	uint8_t *serials; /* count entries of CRL_SERIAL_WIDTH bytes, sorted, distinct */
	size_t count;
	char issuer[X509_NAME_MAX];
	uint8_t signer_key_id[X509_KEY_ID_MAX];
	size_t signer_key_id_len;
	int64_t this_update, next_update;
};

void crl_set_free(struct crl_set *s)
{
	if (s == NULL)
		return;
	free(s->serials);
	free(s);
}

size_t crl_set_count(const struct crl_set *s)
{
	return s->count;
}

const char *crl_set_issuer(const struct crl_set *s)
{
	return s->issuer;
}

/* Fills one fixed-width entry; -1 when the magnitude is too long. */
static int crl_serial_key(const uint8_t *mag, size_t len, int negative,
                          uint8_t key[CRL_SERIAL_WIDTH])
{
	while (len > 0 && *mag == 0) {
		mag++;
		len--;
	}
	if (len > CRL_SERIAL_MAX)
		return -1;
	memset(key, 0, CRL_SERIAL_WIDTH);
	key[0] = negative && len > 0 ? 1 : 0;
	if (len > 0)
		memcpy(key + CRL_SERIAL_WIDTH - len, mag, len);
	return 0;
}

static int crl_serial_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CRL_SERIAL_WIDTH);
}

static int crl_is_time(int tag)
{
	return tag == DER_UTC_TIME || tag == DER_GENERALIZED_TIME;
}

static enum regs_err crl_time(const struct der_item *it, int64_t *out)
{
	const unsigned char *p = it->tlv;
	ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, (long)it->tlv_len);
	struct tm tm;
	int ok = t != NULL && p == it->tlv + it->tlv_len && ASN1_TIME_to_tm(t, &tm);
	ASN1_TIME_free(t);
	if (!ok)
		return REGS_ERR_INVALID;
	*out = (int64_t)timegm(&tm);
	return REGS_OK;
}

/* A CRL that does not list every revoked certificate of its issuer cannot say
 * "not revoked": deltas, indirect CRLs, CRLs for some reasons or only CA or
 * attribute certificates, and unknown critical extensions are refused. */
static int crl_is_complete(const STACK_OF(X509_EXTENSION) * exts)
{
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (nid == NID_delta_crl)
			return 0;
		if (X509_EXTENSION_get_critical(ext) && nid != NID_issuing_distribution_point &&
		    nid != NID_authority_key_identifier && nid != NID_crl_number)
			return 0;
	}
	int crit = 0;
	ISSUING_DIST_POINT *idp = X509V3_get_d2i(exts, NID_issuing_distribution_point, &crit, NULL);
	if (idp == NULL)
		return crit == -1; /* -1: absent; -2: twice; otherwise unparsable */
	int complete =
	    !idp->indirectCRL && idp->onlysomereasons == NULL && !idp->onlyCA && !idp->onlyattr;
	ISSUING_DIST_POINT_free(idp);
	return complete;
}

/* An entry's extensions: a critical one (certificateIssuer: an indirect CRL)
 * would change whose serial this is. */
static int crl_entry_extensions_ok(const struct der_item *exts)
{
	struct der_reader r = der_inside(exts);
	struct der_item ext, oid, next;
	while (r.p < r.end) {
		if (der_expect(&r, DER_SEQUENCE, &ext) != 0)
			return 0;
		struct der_reader e = der_inside(&ext);
		if (der_expect(&e, DER_OID, &oid) != 0 || der_read(&e, &next) != 0)
			return 0;
		if (next.tag == DER_BOOLEAN && (next.len != 1 || next.value[0] != 0)) /* critical */
			return 0;
	}
	return 1;
}

/* One revokedCertificates entry into the fixed-width key. A negative serial
 * (two's complement in DER) is kept as sign and magnitude, as OpenSSL does. */
static enum regs_err crl_entry(const struct der_item *entry, uint8_t key[CRL_SERIAL_WIDTH])
{
	struct der_reader r = der_inside(entry);
	struct der_item serial, when, exts;
	if (der_expect(&r, DER_INTEGER, &serial) != 0 || serial.len == 0 ||
	    serial.len > CRL_SERIAL_MAX + 1 || der_read(&r, &when) != 0 || !crl_is_time(when.tag))
		return REGS_ERR_INVALID;
	if (r.p < r.end && (der_expect(&r, DER_SEQUENCE, &exts) != 0 ||
	                    !crl_entry_extensions_ok(&exts) || r.p != r.end))
		return REGS_ERR_INVALID;
	if ((serial.value[0] & 0x80) == 0)
		return crl_serial_key(serial.value, serial.len, 0, key) == 0 ? REGS_OK
		                                                             : REGS_ERR_INVALID;
	uint8_t mag[CRL_SERIAL_MAX + 1];
	unsigned carry = 1;
	for (size_t i = serial.len; i-- > 0;) {
		unsigned v = (uint8_t)~serial.value[i] + carry;
		mag[i] = (uint8_t)v;
		carry = v >> 8;
	}
	return crl_serial_key(mag, serial.len, 1, key) == 0 ? REGS_OK : REGS_ERR_INVALID;
}

/* Copies every entry's serial straight from the DER (no OpenSSL object per
 * entry: a 400k-entry CRL decoded by d2i_X509_CRL costs ~0.5 s and ~170 MB),
 * then sorts and drops duplicates. */
static enum regs_err crl_collect(const struct der_item *list, struct crl_set *s)
{
	struct der_reader r = der_inside(list);
	size_t cap = 0, n = 0;
	struct der_item entry;
	while (r.p < r.end) {
		if (der_expect(&r, DER_SEQUENCE, &entry) != 0)
			return REGS_ERR_INVALID;
		if (n == cap) {
			cap = cap == 0 ? 1024 : cap * 2;
			uint8_t *grown = realloc(s->serials, cap * CRL_SERIAL_WIDTH);
			if (grown == NULL)
				return REGS_ERR_NOMEM;
			s->serials = grown;
		}
		enum regs_err err = crl_entry(&entry, s->serials + n * CRL_SERIAL_WIDTH);
		if (err != REGS_OK)
			return err;
		n++;
	}
	if (n == 0)
		return REGS_OK;
	qsort(s->serials, n, CRL_SERIAL_WIDTH, crl_serial_cmp);
	size_t out = 1;
	for (size_t i = 1; i < n; i++) {
		uint8_t *cur = s->serials + i * CRL_SERIAL_WIDTH;
		if (memcmp(cur, s->serials + (out - 1) * CRL_SERIAL_WIDTH, CRL_SERIAL_WIDTH) != 0) {
			if (out != i)
				memcpy(s->serials + out * CRL_SERIAL_WIDTH, cur, CRL_SERIAL_WIDTH);
			out++;
		}
	}
	s->count = out;
	uint8_t *fitted = realloc(s->serials, out * CRL_SERIAL_WIDTH);
	if (fitted != NULL)
		s->serials = fitted;
	return REGS_OK;
}

/* The parts of a CertificateList (RFC 5280 5.1) that crl_parse uses. */
struct crl_parts {
	struct der_item tbs, algorithm, signature, issuer, this_update, next_update, revoked,
	    extensions;
	int has_next_update, has_revoked, has_extensions;
};

static enum regs_err crl_split(const uint8_t *der, size_t len, struct crl_parts *c)
{
	memset(c, 0, sizeof(*c));
	struct der_item outer, version, inner_algorithm;
	if (der_read_whole(der, len, &outer) != DER_OK || outer.tag != DER_SEQUENCE)
		return REGS_ERR_INVALID;
	struct der_reader r = der_inside(&outer);
	if (der_expect(&r, DER_SEQUENCE, &c->tbs) != 0 ||
	    der_expect(&r, DER_SEQUENCE, &c->algorithm) != 0 ||
	    der_expect(&r, DER_BIT_STRING, &c->signature) != 0 || r.p != r.end ||
	    c->signature.len < 2 || c->signature.value[0] != 0)
		return REGS_ERR_INVALID;
	struct der_reader t = der_inside(&c->tbs);
	if (der_peek(&t) == DER_INTEGER &&
	    (der_read(&t, &version) != 0 || version.len != 1 || version.value[0] != 1))
		return REGS_ERR_INVALID; /* only v2 is written with a version */
	if (der_expect(&t, DER_SEQUENCE, &inner_algorithm) != 0 ||
	    inner_algorithm.tlv_len != c->algorithm.tlv_len ||
	    memcmp(inner_algorithm.tlv, c->algorithm.tlv, c->algorithm.tlv_len) != 0 ||
	    der_expect(&t, DER_SEQUENCE, &c->issuer) != 0 || der_read(&t, &c->this_update) != 0 ||
	    !crl_is_time(c->this_update.tag))
		return REGS_ERR_INVALID;
	if (crl_is_time(der_peek(&t))) {
		c->has_next_update = der_read(&t, &c->next_update) == 0;
		if (!c->has_next_update)
			return REGS_ERR_INVALID;
	}
	if (der_peek(&t) == DER_SEQUENCE) {
		c->has_revoked = der_read(&t, &c->revoked) == 0;
		if (!c->has_revoked)
			return REGS_ERR_INVALID;
	}
	if (der_peek(&t) == DER_EXPLICIT_0) {
		struct der_item wrapper;
		if (der_read(&t, &wrapper) != 0)
			return REGS_ERR_INVALID;
		struct der_reader w = der_inside(&wrapper);
		if (der_expect(&w, DER_SEQUENCE, &c->extensions) != 0 || w.p != w.end)
			return REGS_ERR_INVALID;
		c->has_extensions = 1;
	}
	return t.p == t.end ? REGS_OK : REGS_ERR_INVALID;
}

/* Decodes the small parts with OpenSSL: issuer name and extensions. */
static enum regs_err crl_decode_header(const struct crl_parts *c, X509_NAME **issuer,
                                       STACK_OF(X509_EXTENSION) * *exts)
{
	const unsigned char *p = c->issuer.tlv;
	*issuer = d2i_X509_NAME(NULL, &p, (long)c->issuer.tlv_len);
	if (*issuer == NULL || p != c->issuer.tlv + c->issuer.tlv_len)
		return REGS_ERR_INVALID;
	*exts = NULL;
	if (!c->has_extensions)
		return REGS_OK;
	p = c->extensions.tlv;
	*exts = d2i_X509_EXTENSIONS(NULL, &p, (long)c->extensions.tlv_len);
	if (*exts == NULL || p != c->extensions.tlv + c->extensions.tlv_len)
		return REGS_ERR_INVALID;
	return REGS_OK;
}

enum regs_err crl_parse(const uint8_t *der, size_t len, const struct x509_anchors *issuers,
                        struct crl_set **out, int64_t *this_update, int64_t *next_update)
{
	*out = NULL;
	if (der == NULL || len == 0 || len > (size_t)CRL_FILE_MAX)
		return REGS_ERR_INVALID;
	struct crl_parts c;
	X509_NAME *issuer = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	AUTHORITY_KEYID *akid = NULL;
	struct crl_set *s = NULL;
	enum regs_err err = crl_split(der, len, &c);
	if (err == REGS_OK)
		err = crl_decode_header(&c, &issuer, &exts);
	if (err != REGS_OK)
		goto out;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		err = REGS_ERR_NOMEM;
		goto out;
	}
	/* The signature first: nothing else of a forged CRL is worth reading. */
	if (issuers != NULL) {
		akid = X509V3_get_d2i(exts, NID_authority_key_identifier, NULL, NULL);
		struct x509_signed signed_crl = {
		    .issuer = issuer,
		    .issuer_key_id =
		        akid && akid->keyid ? ASN1_STRING_get0_data(akid->keyid) : NULL,
		    .issuer_key_id_len =
		        akid && akid->keyid ? (size_t)ASN1_STRING_length(akid->keyid) : 0,
		    .tbs = c.tbs.tlv,
		    .tbs_len = c.tbs.tlv_len,
		    .algorithm = c.algorithm.tlv,
		    .algorithm_len = c.algorithm.tlv_len,
		    .signature = c.signature.value + 1,
		    .signature_len = c.signature.len - 1,
		};
		err = x509_anchors_verify_crl(issuers, &signed_crl, s->signer_key_id,
		                              &s->signer_key_id_len);
		if (err != REGS_OK)
			goto out;
	}
	err = REGS_ERR_INVALID;
	if (!crl_is_complete(exts))
		goto out;
	err = x509_name_text(issuer, s->issuer, sizeof(s->issuer));
	if (err == REGS_OK)
		err = crl_time(&c.this_update, &s->this_update);
	if (err == REGS_OK && c.has_next_update)
		err = crl_time(&c.next_update, &s->next_update);
	if (err == REGS_OK && c.has_revoked)
		err = crl_collect(&c.revoked, s);
	if (err != REGS_OK)
		goto out;
	if (this_update != NULL)
		*this_update = s->this_update;
	if (next_update != NULL)
		*next_update = s->next_update;
	*out = s;
	s = NULL;
out:
	ERR_clear_error();
	AUTHORITY_KEYID_free(akid);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(issuer);
	crl_set_free(s);
	return err;
}

int crl_is_revoked_bytes(const struct crl_set *s, const uint8_t *serial, size_t len, int negative)
{
	uint8_t key[CRL_SERIAL_WIDTH];
	if (crl_serial_key(serial, len, negative, key) != 0)
		return -1;
	if (s->count == 0)
		return 0;
	return bsearch(key, s->serials, s->count, CRL_SERIAL_WIDTH, crl_serial_cmp) != NULL;
}

int crl_is_revoked(const struct crl_set *s, const char *serial_hex)
{
	int negative = serial_hex[0] == '-';
	const char *h = serial_hex + (negative ? 1 : 0);
	if (*h == '\0')
		return -1;
	size_t digits = strlen(h);
	while (digits > 0 && *h == '0') { /* leading zeros may be many; bytes are few */
		h++;
		digits--;
	}
	if (digits > 2 * CRL_SERIAL_MAX)
		return -1;
	uint8_t mag[CRL_SERIAL_MAX];
	size_t len = (digits + 1) / 2;
	size_t i = 0, b = 0;
	if (digits % 2 == 1) { /* an odd count: the first digit alone is the first byte */
		int v = regs_hex_digit(h[i++]);
		if (v < 0)
			return -1;
		mag[b++] = (uint8_t)v;
	}
	for (; i < digits; i += 2) {
		int hi = regs_hex_digit(h[i]), lo = regs_hex_digit(h[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		mag[b++] = (uint8_t)(hi << 4 | lo);
	}
	return crl_is_revoked_bytes(s, mag, len, negative);
}

enum x509_verdict crl_verdict(const struct crl_set *s, const struct x509_identity *id, int64_t now,
                              int64_t grace_seconds)
{
	if (s == NULL || strcmp(s->issuer, id->issuer) != 0)
		return X509_VERDICT_NO_FRESH_CRL;
	/* MOICA generations share one name: the key identifier tells their CRLs apart. */
	if (s->signer_key_id_len > 0 && id->issuer_key_id_len > 0 &&
	    (s->signer_key_id_len != id->issuer_key_id_len ||
	     memcmp(s->signer_key_id, id->issuer_key_id, s->signer_key_id_len) != 0))
		return X509_VERDICT_NO_FRESH_CRL;
	if (s->next_update == 0 || now < s->this_update || now - grace_seconds > s->next_update)
		return X509_VERDICT_NO_FRESH_CRL;
	return crl_is_revoked(s, id->serial_hex) == 0 ? X509_VERDICT_OK : X509_VERDICT_REVOKED;
}

/* ---- Cache ---- */

static int crl_cache_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CRL_CACHE_NAME_MAX || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

enum regs_err crl_cache_write(const char *dir, const char *name, const uint8_t *der, size_t len)
{
	if (!crl_cache_name_ok(name))
		return REGS_ERR_INVALID;
	char path[4096], tmp[4096];
	int n1 = snprintf(path, sizeof(path), "%s/%s", dir, name);
	int n2 = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	if (n1 < 0 || (size_t)n1 >= sizeof(path) || n2 < 0 || (size_t)n2 >= sizeof(tmp))
		return REGS_ERR_INVALID;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return REGS_ERR_IO;
	/* fchmod: the umask must not decide the mode. */
	if (fchmod(fd, 0600) != 0 || regs_write_all(fd, der, len) != 0 || fsync(fd) != 0) {
		int saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return REGS_ERR_IO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		errno = saved;
		return REGS_ERR_IO;
	}
	/* The rename is durable only once the directory is. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return REGS_ERR_IO;
	int rc = fsync(dfd);
	int saved = errno;
	close(dfd);
	errno = saved;
	return rc == 0 ? REGS_OK : REGS_ERR_IO;
}

enum regs_err crl_cache_read(const char *dir, const char *name, size_t max_bytes, uint8_t **der,
                             size_t *len)
{
	*der = NULL;
	*len = 0;
	if (!crl_cache_name_ok(name))
		return REGS_ERR_INVALID;
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return REGS_ERR_INVALID;
	return trusted_file_read_bytes(path, TRUSTED_CACHE, max_bytes, der, len, NULL, 0);
}
