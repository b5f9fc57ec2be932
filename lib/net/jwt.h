/* ID tokens (R5.5): JWS compact serialisation with RS256, verified against a JWKS, claims checked
 * the way mod_auth_openidc does. */
#ifndef REGS_JWT_H
#define REGS_JWT_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

#define JWT_SUB_MAX 256
#define JWT_ISS_MAX 256
#define JWT_EMAIL_MAX 256
#define JWT_KID_MAX 128

/* A parsed JSON Web Key Set: its RSA keys ("kty":"RSA", "use" absent or
 * "sig", "alg" absent or "RS256"; others are skipped). Immutable once made. */
struct jwks;

/* REGS_OK, REGS_ERR_INVALID (not a JSON object with a "keys" array, or a
 * usable-looking RSA key with bad n/e: a modulus outside 2048..8192 bits, an
 * even or unit exponent; or a kid that is not a string or is too long),
 * REGS_ERR_NOMEM. A set with no usable key is valid but empty. */
enum regs_err jwks_parse(const char *json, size_t len, struct jwks **out);
void jwks_free(struct jwks *k);
size_t jwks_count(const struct jwks *k);

/* What the token must say. */
struct jwt_expect {
	const char *const *issuers; /* NULL-terminated; iss must equal one */
	const char *client_id; /* aud must be or contain it; with >1 audience azp must equal it */
	int64_t now;
	int64_t skew;      /* seconds of clock difference tolerated for exp and iat */
	int64_t max_age;   /* iat older than now - max_age is refused (0 = no limit) */
	const char *nonce; /* when non-NULL, the nonce claim must equal it */
};

struct jwt_claims {
	char sub[JWT_SUB_MAX];
	char iss[JWT_ISS_MAX];
	char email[JWT_EMAIL_MAX]; /* "" when absent */
	int email_verified;
	int64_t exp, iat;
};

enum jwt_verdict {
	JWT_OK = 0,
	JWT_MALFORMED,     /* not three base64url parts, bad JSON, header alg not RS256, crit set */
	JWT_UNKNOWN_KID,   /* no key in the set with the header's kid (or no kid and not exactly one
	                      key) */
	JWT_BAD_SIGNATURE, /* the RS256 signature does not verify */
	JWT_WRONG_ISSUER,
	JWT_WRONG_AUDIENCE, /* aud lacks client_id, or azp wrong / missing with several audiences */
	JWT_EXPIRED,        /* exp missing or exp + skew <= now */
	JWT_ISSUED_IN_FUTURE, /* iat missing or iat - skew > now, or older than max_age */
	JWT_NO_SUBJECT,       /* sub missing, empty, not a string, or too long */
	JWT_WRONG_NONCE,
};

/* A short English name for logs ("bad signature", ...). */
const char *jwt_verdict_name(enum jwt_verdict v);

/* The header's kid ("" when absent) without verifying anything, so the
 * caller can refetch the JWKS once when it is unknown. REGS_ERR_INVALID when
 * the header does not parse. */
enum regs_err jwt_peek_kid(const char *token, char kid[JWT_KID_MAX]);

/* Verifies token: the signature first (nothing of the payload is trusted
 * before), then iss, aud/azp, exp, iat, sub (and nonce). Fills out only on
 * JWT_OK. */
enum jwt_verdict jwt_verify(const char *token, const struct jwks *keys,
                            const struct jwt_expect *expect, struct jwt_claims *out);

#endif
