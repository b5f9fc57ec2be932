/* Binary records stored in the tables: versioned, append-only layouts in big-endian. */
#ifndef REGS_RECORD_H
#define REGS_RECORD_H
#include "base/error.h"
#include "base/language.h"
#include "proto/bus.h"
#include <stddef.h>
#include <stdint.h>

#define REC_NAME_MAX (REGS_USER_NAME_MAX + 1) /* a whole user name with its NUL (R12.1) */
#define REC_FIELD_MAX 128

enum account_class { ACCOUNT_PERSONAL = 0, ACCOUNT_INSTITUTION = 1 };

struct account_rec {
	uint8_t class;        /* enum account_class */
	uint32_t flags;       /* REGS_F_PASSWORD_LOGIN_DISABLED only; bound flags are derived */
	uint32_t failures;    /* consecutive failed attempts */
	int64_t locked_until; /* 0 = not locked */
	int64_t created;
	int64_t password_changed; /* 0 = unknown */
	int64_t password_login_disabled_at;
	/* appended fields (still version 1: older records decode with defaults) */
	uint8_t must_change_password; /* R6.4, R9.5 */
	int64_t email_verified_at;    /* 0 = no verified address */
	char email[REC_FIELD_MAX];    /* the verified address, the only one mail goes to */
	/* appended (still version 1): the user's own language (R9.6), "" = none chosen */
	char language[REGS_LANGUAGE_MAX];
};

#define OTP_SEALED_MAX 64
#define OTP_BURNED_MAX 4
struct otp_rec {
	int64_t bound_at;
	int64_t last_step; /* highest accepted step; -1 none */
	uint8_t sealed_len;
	uint8_t sealed[OTP_SEALED_MAX];
	/* appended (still version 1): future steps refused as clock drift, never accepted (R12.4)
	 */
	uint8_t n_burned;
	int64_t burned[OTP_BURNED_MAX];
};

struct pending_rec {
	uint32_t owner_uid; /* the caller that began the enrolment */
	int64_t created;
	int64_t expires;
	uint8_t tries; /* wrong confirmation codes so far */
	char user[REC_NAME_MAX];
	char token[40]; /* the secret half of the handle "user:token" */
	uint8_t sealed_len;
	uint8_t sealed[OTP_SEALED_MAX];
};

#define AUDIT_HOST_MAX 64 /* a host name with its NUL, as regs.conf host_name */
struct audit_rec {
	int64_t time; /* seconds */
	uint32_t actor_uid;
	uint8_t result; /* enum regs_result, or 0 for ok actions */
	char user[REC_NAME_MAX];
	char event[32];  /* "login", "enrol", "unlock", "reset", "lock" ... */
	char method[16]; /* "otp", "password", "card", ... */
	char service[REC_FIELD_MAX];
	char rhost[REC_FIELD_MAX];
	/* appended (still version 1): the host whose regsd recorded the event (regs.conf
	 * host_name), "" in records written before hosts shared a database */
	char host[AUDIT_HOST_MAX];
};

/* A mailed code (R8.2, R8.3): only its salted hash is kept. */
struct code_rec {
	uint8_t salt[16];
	uint8_t hash[32];
	char prefix[3];
	int64_t sent_at;
	int64_t expires;
	uint8_t tries;               /* wrong entries so far */
	char address[REC_FIELD_MAX]; /* where it was sent; a change of address kills it */
};

/* The bound citizen certificate (R3.6). */
struct card_rec {
	uint8_t sha256[32];         /* of the certificate's DER */
	char issuer[REC_FIELD_MAX]; /* RFC 2253 */
	char serial[80];            /* hex */
	int64_t bound_at;
	/* appended (still version 1): the serial (hex, the card's file 0900) of the card that last
	 * logged in with this certificate, "" none yet; with the DER in STORE_CARD_CERTS it lets a
	 * login skip reading the certificate from that card */
	char card_serial[80];
};

/* A bound Google account (R5): the account key is (iss, sub), never the e-mail. */
struct google_rec {
	char iss[REC_FIELD_MAX];
	char sub[REC_FIELD_MAX];
	char email[REC_FIELD_MAX]; /* shown in the status table only */
	int64_t bound_at;
};

/* A bound mobile citizen certificate (R4): the service's hash of the ID number, never the number.
 */
struct mobile_rec {
	char hashed_id[REC_FIELD_MAX];
	int64_t bound_at;
};

#define REC_BUF_MAX 1024 /* the largest record (audit, with a full user name) fits */

/* encode: writes into buf (REC_BUF_MAX), returns the length. decode: returns
 * REGS_ERR_INVALID for a record too short or of an unknown version byte.
 * Fields are only ever appended within version 1, so trailing bytes from a
 * newer build are ignored; a new version byte means an incompatible layout. */
size_t account_rec_encode(const struct account_rec *r, uint8_t *buf);
enum regs_err account_rec_decode(const void *data, size_t len, struct account_rec *r);
size_t otp_rec_encode(const struct otp_rec *r, uint8_t *buf);
enum regs_err otp_rec_decode(const void *data, size_t len, struct otp_rec *r);
size_t pending_rec_encode(const struct pending_rec *r, uint8_t *buf);
enum regs_err pending_rec_decode(const void *data, size_t len, struct pending_rec *r);
size_t audit_rec_encode(const struct audit_rec *r, uint8_t *buf);
enum regs_err audit_rec_decode(const void *data, size_t len, struct audit_rec *r);
size_t card_rec_encode(const struct card_rec *r, uint8_t *buf);
enum regs_err card_rec_decode(const void *data, size_t len, struct card_rec *r);
size_t code_rec_encode(const struct code_rec *r, uint8_t *buf);
enum regs_err code_rec_decode(const void *data, size_t len, struct code_rec *r);
size_t google_rec_encode(const struct google_rec *r, uint8_t *buf);
enum regs_err google_rec_decode(const void *data, size_t len, struct google_rec *r);
size_t mobile_rec_encode(const struct mobile_rec *r, uint8_t *buf);
enum regs_err mobile_rec_decode(const void *data, size_t len, struct mobile_rec *r);

/* Copies src into a fixed field, truncating; returns dst. Never used for a user name that
 * was not checked to fit (REGS_USER_NAME_MAX). */
char *rec_copy(char *dst, size_t dstsz, const char *src);

#endif
