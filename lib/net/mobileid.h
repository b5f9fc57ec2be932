/* The mobile citizen certificate relying-party API (R4, docs/twfido.md): checksums, requests,
 * tickets and results. No network here: daemon/mobile.c sends the requests with http.h. */
#ifndef REGS_MOBILEID_H
#define REGS_MOBILEID_H
#include "base/error.h"
#include "pki/x509.h"
#include <stddef.h>
#include <stdint.h>

#define MID_TXN_MAX 64            /* transaction_id: a UUID we make */
#define MID_TICKET_MAX 4096       /* sp_ticket */
#define MID_FIELD_MAX 256         /* ids, hashes, error codes */
#define MID_CHECKSUM_HEX 185      /* 24 hex of IV + 2*(64 + 16) hex of ciphertext and tag, + NUL */
#define MID_JSON_MAX (256 * 1024) /* a body or an answer: a certificate and a few short fields */
#define MID_SHA256_BYTES 32
#define MID_OP_ATH "ATH" /* op_code: authentication */

/* The agency's AES-256 key (base64 in a root-only file). */
struct mid_key {
	uint8_t k[32];
};
/* Decodes a base64 key (whitespace around it ignored); REGS_ERR_INVALID unless 32 bytes. */
enum regs_err mid_key_decode(const char *b64, struct mid_key *out);

/* docs/twfido.md "Checksums": SHA-256 over the concatenated fields (NULL =
 * empty) as lowercase hex, encrypted with AES-256-GCM under key with a zero
 * 12-byte IV; out = hex(iv) || hex(ciphertext || tag), lowercase. */
enum regs_err mid_checksum(const struct mid_key *key, const char *const *fields, size_t n,
                           char out[MID_CHECKSUM_HEX]);
/* Constant-time check of a received checksum (case-insensitive hex). 1 = matches. */
int mid_checksum_ok(const struct mid_key *key, const char *const *fields, size_t n,
                    const char *received);

/* A random version-4 UUID, lowercase, for transaction_id. */
enum regs_err mid_new_transaction_id(char out[MID_TXN_MAX]);

/* Request bodies (JSON, malloc'd; NULL on a bad argument: an id_num that fails
 * twid_valid, a time_limit out of range, text that is not UTF-8). The
 * sp_checksum is computed inside. The push and ticket bodies hold the ID
 * number: free them with regs_free_secret_str (wipe.h). */
struct mid_request {
	const char *transaction_id;
	const char *sp_service_id;
	const char *id_num; /* the national ID number (a secret: the caller wipes it) */
	const char *hint;
	unsigned time_limit; /* 30..600 */
};
char *mid_push_json(const struct mid_key *key, const struct mid_request *r);   /* ATH-03 */
char *mid_ticket_json(const struct mid_key *key, const struct mid_request *r); /* ATH-01, I-SCAN */
char *mid_result_json(const struct mid_key *key, const char *transaction_id,
                      const char *sp_service_id, const char *sp_ticket_id); /* ATH-02 */

/* An sp_ticket: base64url(JSON) "." base64url(SHA-256 of the first part).
 * REGS_ERR_INVALID when the shape, the hash or the JSON is wrong. */
struct mid_ticket {
	char transaction_id[MID_TXN_MAX];
	char sp_ticket_id[MID_FIELD_MAX];
	char sp_service_id[MID_FIELD_MAX];
	char hashed_id_num[MID_FIELD_MAX];
	char op_code[16], op_mode[16];
	int64_t expiration_time; /* Unix seconds */
};
enum regs_err mid_ticket_parse(const char *sp_ticket, struct mid_ticket *out);

/* Answer of getSpTicket / requestAthOrSignPush: error_code "0", an sp_ticket
 * that parses and names our transaction, and an idp_checksum over
 * (transaction_id, error_code, sp_ticket) that verifies. */
enum mid_verdict {
	MID_OK = 0,
	MID_PENDING,        /* result not there yet: 20002, 20003, ..._TXNLOG_NF */
	MID_DENIED,         /* refused on the phone, or cancelled: the other channel completed */
	MID_EXPIRED,        /* the transaction timed out at the service */
	MID_SERVICE_ERROR,  /* any other error_code (error names the code) */
	MID_MALFORMED,      /* not the JSON shape of docs/twfido.md */
	MID_BAD_CHECKSUM,   /* idp_checksum does not verify (R4.5) */
	MID_BAD_SIGNATURE,  /* signed_response is not the certificate's signature over the challenge
	                     */
	MID_CERT_UNTRUSTED, /* the certificate does not chain to the configured anchors */
	MID_CERT_INVALID,   /* expired, not yet valid, or not allowed to sign */
	MID_WRONG_TRANSACTION, /* another transaction, ticket or person (hashed_id_num) */
};
const char *mid_verdict_name(enum mid_verdict v);

/* The error codes that mean "pending", "denied" and "expired" in our
 * service's dialect are listed in docs/mobile-id.md. A pending code is
 * MID_SERVICE_ERROR here: a ticket is made at once or not at all. err (may be
 * NULL) gets a short reason without secrets; for MID_SERVICE_ERROR the code
 * itself, printable ASCII only, at most 64 characters. */
enum mid_verdict mid_parse_ticket_answer(const struct mid_key *key, const char *json, size_t len,
                                         const char *transaction_id, char sp_ticket[MID_TICKET_MAX],
                                         struct mid_ticket *ticket, char *err, size_t errlen);

/* The verified result of getAthOrSignResult. */
struct mid_result {
	char hashed_id_num[MID_FIELD_MAX];
	uint8_t cert_sha256[32];
	char cert_subject[X509_NAME_MAX];
};
/* Checks, in order: JSON shape and error_code (pending / denied / expired /
 * other), idp_checksum over (transaction_id, error_code, hashed_id_num,
 * signed_response), that hashed_id_num equals the ticket's, the certificate
 * (result.cert, base64 DER) decodes, the signature (signed_response, base64:
 * RSA PKCS#1 v1.5 SHA-256 or ECDSA SHA-256, DER, by the certificate's key)
 * over the challenge, and the certificate chains to anchors and is valid at
 * now (x509_verify_chain). The challenge is the UTF-8 text
 * transaction_id "|" sp_ticket_id: the transaction id is random and ours, so
 * a result of another transaction never verifies. Fills out on MID_OK only;
 * err as for mid_parse_ticket_answer. */
#define MID_CHALLENGE_MAX (MID_TXN_MAX + MID_FIELD_MAX + 2)
void mid_challenge(const char *transaction_id, const char *sp_ticket_id,
                   char out[MID_CHALLENGE_MAX]);
enum mid_verdict mid_parse_result(const struct mid_key *key, const char *json, size_t len,
                                  const char *transaction_id, const struct mid_ticket *ticket,
                                  const struct x509_anchors *anchors, int64_t now,
                                  struct mid_result *out, char *err, size_t errlen);

#endif
