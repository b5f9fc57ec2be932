/* Revocation (R3.5): a verified CRL as a sorted serial array, and its disk cache. */
#ifndef REGS_CRL_H
#define REGS_CRL_H
#include "base/error.h"
#include "pki/x509.h"
#include <stddef.h>
#include <stdint.h>

#define CRL_SERIAL_MAX 20                   /* RFC 5280: serials are at most 20 octets */
#define CRL_FILE_MAX (256L * 1024L * 1024L) /* a sane cap for crl_cache_read */
#define CRL_CACHE_NAME_MAX 128

/* The revoked serials of one issuer, with the CRL's issuer name, its signer's
 * key identifier and its times. Immutable once parsed: lookups from several
 * threads need no lock; swap in a new set when a new CRL arrives. */
struct crl_set;

/* Parses a DER CRL (exactly len bytes). With issuers (the anchors of the
 * class) the CRL's signature must verify under an anchor whose subject is the
 * CRL's issuer (x509_anchors_verify_crl): a forged or altered CRL is
 * REGS_ERR_CRYPTO. issuers NULL skips that check — only for tools and tests;
 * regsd always passes its anchors, also for a CRL read from its own cache.
 * Delta and indirect CRLs, and entries with serials longer than
 * CRL_SERIAL_MAX, are REGS_ERR_INVALID, as is anything that does not parse.
 * this_update / next_update (either may be NULL) get the CRL's times in Unix
 * seconds; next_update is 0 when the CRL has none. */
enum regs_err crl_parse(const uint8_t *der, size_t len, const struct x509_anchors *issuers,
                        struct crl_set **out, int64_t *this_update, int64_t *next_update);
void crl_set_free(struct crl_set *s);

size_t crl_set_count(const struct crl_set *s);       /* distinct revoked serials */
const char *crl_set_issuer(const struct crl_set *s); /* RFC 2253 UTF-8, as in x509_identity */

/* 1 when the serial is listed, 0 when not, -1 when it cannot be looked up
 * (not hex, longer than CRL_SERIAL_MAX bytes). serial_hex is in the form of
 * x509_identity.serial_hex; any case, leading zeros and an odd digit count are
 * accepted. */
int crl_is_revoked(const struct crl_set *s, const char *serial_hex);
/* The same for a serial's big-endian magnitude bytes (leading zeros allowed). */
int crl_is_revoked_bytes(const struct crl_set *s, const uint8_t *serial, size_t len, int negative);

/* The revocation verdict for a certificate at now: X509_VERDICT_NO_FRESH_CRL
 * when s is NULL, is for another issuer (name, or signer key identifier when
 * both are known), is not yet valid, or is past nextUpdate + grace_seconds (or
 * has no nextUpdate); X509_VERDICT_REVOKED when the serial is listed (or
 * cannot be looked up); X509_VERDICT_OK otherwise. */
enum x509_verdict crl_verdict(const struct crl_set *s, const struct x509_identity *id, int64_t now,
                              int64_t grace_seconds);

/* Writes dir/name atomically: a temporary file in dir (0600, whatever the
 * umask), written, fsync'd, renamed over name, then dir fsync'd; a reader sees
 * the old file or the new one, never a part. name: 1..CRL_CACHE_NAME_MAX
 * bytes of [A-Za-z0-9._-], not starting with '.'; else REGS_ERR_INVALID. I/O
 * failures are REGS_ERR_IO (errno set). */
enum regs_err crl_cache_write(const char *dir, const char *name, const uint8_t *der, size_t len);
/* Reads dir/name into *der (malloc'd; free it) when it passes the TRUSTED_CACHE rule
 * (base/trustedfile.h): a regular file, not a symlink, owned by the euid and not writable
 * by group or other (REGS_ERR_PERM otherwise), of 1 to max_bytes bytes (REGS_ERR_INVALID).
 * A missing file is REGS_ERR_NOT_FOUND. The contents still need crl_parse with
 * the anchors. */
enum regs_err crl_cache_read(const char *dir, const char *name, size_t max_bytes, uint8_t **der,
                             size_t *len);

#endif
