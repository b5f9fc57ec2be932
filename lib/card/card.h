/* The citizen certificate card (HiCOS profile) over PC/SC: open, read the certificate, PIN tries,
 * one protected VERIFY, and an RSA-2048 PKCS#1 v1.5 SHA-256 signature. No PAM or D-Bus types. */
#ifndef REGS_CARD_H
#define REGS_CARD_H
#include "card/apdu.h"
#include <stddef.h>
#include <stdint.h>

enum card_status {
	CARD_OK = 0,
	CARD_NO_SERVICE,        /* pcscd is not running */
	CARD_NO_READER,         /* no reader (or not the one asked for) */
	CARD_NO_CARD,           /* no card in the reader within the wait */
	CARD_REMOVED,           /* the card (or reader) went away during an operation */
	CARD_UNKNOWN,           /* not the HiCOS citizen certificate card */
	CARD_SECOND_GENERATION, /* a second-generation citizen card: unsupported */
	CARD_LOCKED,            /* the PIN is blocked after too many wrong PINs */
	CARD_WRONG_PIN,
	CARD_BAD_PIN_FORMAT, /* not 6 to 8 digits; nothing was sent */
	CARD_IO,             /* the card or PC/SC failed, refused a command, or a refused call */
	CARD_BAD_DATA,       /* the card's files or answers are malformed */
	CARD_NOMEM,
};

#define CARD_SIGNATURE_LEN 256 /* RSA-2048 */
#define CARD_DIGEST_LEN 32     /* SHA-256 */
#define CARD_WAIT_FOREVER (-1)

struct card;

/* Connects to pcscd (system scope), finds the reader (reader_or_NULL: that exact name; NULL:
 * the first reader with a card), waits up to wait_ms (CARD_WAIT_FOREVER: no limit) for a card,
 * connects (T=1 or T=0) and checks the ATR before anything else is sent: another ATR is
 * CARD_UNKNOWN, or CARD_SECOND_GENERATION when the card answers a SELECT of the second-generation
 * applet. *out is set whatever the status (except CARD_NOMEM) and must be closed; after a
 * failure it only answers card_reader_name, card_atr_hex and card_error_detail, and every other
 * call returns the status card_open returned. */
enum card_status card_open(int wait_ms, const char *reader_or_NULL, struct card **out);

/* The same over another transport (unit tests, other transports): io is copied; atr is the
 * card's ATR. card_close does not close the transport. */
enum card_status card_open_io(const struct apdu_io *io, const uint8_t *atr, size_t atr_len,
                              struct card **out);

/* The reader used ("" when none); the ATR as upper-case hex bytes separated by spaces ("" when
 * none); a one-line English detail of the last failure for logs ("" when none). */
const char *card_reader_name(const struct card *c);
const char *card_atr_hex(const struct card *c);
const char *card_error_detail(const struct card *c);

#define CARD_SERIAL_MAX 32 /* bytes of the card serial file read at most */
#define CARD_SERIAL_HEX_SIZE (CARD_SERIAL_MAX * 2 + 1)

/* The card serial (file 0900) as upper-case hex. It only names the card for regsd's copy of its
 * certificate (a login need not read the certificate again), so a card that does not give it,
 * with any status word, is "" and CARD_OK; only a lost card or PC/SC failure is an error. */
enum card_status card_read_serial(struct card *c, char hex[CARD_SERIAL_HEX_SIZE]);

/* The certificate paired with the SIGN key (CDF 4104 -> slice of 08F2) into a malloc'd *der
 * of *len bytes. */
enum card_status card_read_certificate(struct card *c, uint8_t **der, size_t *len);

#define CARD_TRIES_UNKNOWN (-1)

/* The PIN tries left, never counted as an attempt (a query the card document does not define):
 * CARD_OK with *tries > 0, CARD_OK with *tries CARD_TRIES_UNKNOWN when the card answers the
 * query with anything but a count or a lock (R11.5: ask for the PIN without a count; VERIFY
 * tells), or CARD_LOCKED with *tries 0. */
enum card_status card_pin_tries(struct card *c, int *tries);

/* Sends pin once (protected VERIFY). Refused without sending (CARD_IO) unless card_pin_tries
 * asked the card in this session, and after a PIN was sent once in it; CARD_LOCKED without
 * sending when the card reported itself locked. CARD_OK (*tries_left -1: not reported),
 * CARD_WRONG_PIN (*tries_left > 0), CARD_LOCKED (*tries_left 0: the card is locked, by this PIN
 * or before it when the tries were unknown), CARD_BAD_PIN_FORMAT. */
enum card_status card_verify_pin(struct card *c, const char *pin, int *tries_left);

/* Signs a SHA-256 digest with the SIGN key (PKCS#1 v1.5) after card_verify_pin; *sig_len 256. */
enum card_status card_sign_sha256(struct card *c, const uint8_t digest[CARD_DIGEST_LEN],
                                  uint8_t sig[CARD_SIGNATURE_LEN], size_t *sig_len);

/* Disconnects (resetting the card when a PIN was verified) and frees; NULL is fine. */
void card_close(struct card *c);

/* English, for logs. */
const char *card_status_text(enum card_status status);

/* The block the card's private-key operation is given: 00 01 FF..FF 00 DigestInfo(SHA-256). */
void card_pkcs1_sha256_block(const uint8_t digest[CARD_DIGEST_LEN],
                             uint8_t block[CARD_SIGNATURE_LEN]);

#endif
