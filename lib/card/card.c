/* The citizen certificate card's HiCOS profile (docs/hicos-card.md): the ATR check, the
 * certificate, the PIN tries, the protected VERIFY with the PIN rules of R3.3, and signing, over
 * PC/SC (lib/card/pcsc.c) or the caller's transport. */
#include "card/card.h"
#include "base/der.h"
#include "base/wipe.h"
#include "card/pcsc.h"
#include "card/pinwrap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/*
 * PIN status query -- NOT IN THE CARD DOCUMENT (docs/hicos-card.md), not taken from a trace of a
 * real card: the protected VERIFY header with no data, the case 1 APDU 8C 20 00 01. A card that
 * has it answers 63 Cx (x tries left) or 69 83 (locked) and does not count it as an attempt.
 * A card that follows the document strictly answers anything else (67 00, 6D 00, 6A 86, ...):
 * that means "tries unknown", never a failure (R11.5); the PIN is then asked for without a count
 * and the VERIFY answer tells the tries (63 Cx) or the lock (69 83, which the document says the
 * card answers before it looks at the PIN).
 * The only other command the document does not define is the second-generation probe (SELECT of
 * the applet by AID, CLA 00), sent only to a card whose ATR is not this profile's: any answer
 * but 90 00 means "not a second-generation card", never a failure. The card serial read
 * (file 0900, a file the document names without its answers) follows the same rule: a refusal
 * means "no serial", and the certificate is read instead (card_read_serial).
 *
 * PIN rules (R3.3): the PIN is asked for only after the status query (card_pin_tries); a card
 * that reports itself locked is never sent a PIN; a PIN is sent at most once per card_open
 * session (the 6A88 retry with the alternative key is the profile's key selection: the card did
 * not check the PIN); PIN buffers are wiped.
 */

#define DIRECTORY_MAX 4096
#define CERT_LENGTH_BYTES 3 /* the certificate's long-form length: up to three bytes */
#define SIGN_CHUNK 128      /* the block goes in two halves; C1 reads at most this much */

static const uint8_t hicos_atr[] = {0x3B, 0xB8, 0x13, 0x00, 0x81, 0x31, 0xFA, 0x52, 0x43,
                                    0x48, 0x54, 0x4D, 0x4F, 0x49, 0x43, 0x41, 0xA5};
static const uint8_t second_generation_aid[] = {0xA0, 0x00, 0x00, 0x02, 0x83, 0x00, 0x00, 0x06,
                                                0x22, 0x01, 0x69, 0x64, 0x00, 0x01, 0x01, 0x01};
static const uint8_t sign_key_id[] = {0x53, 0x49, 0x47, 0x4E}; /* "SIGN" */

static const uint16_t path_key_file[] = {0x3F00, 0x5030, 0x0810};
#define FID_PRKDF 0x4100
#define FID_CDF 0x4104
#define FID_SERIAL 0x0900

struct card {
	struct pcsc_link *link;   /* NULL over the caller's transport */
	struct apdu_io transport; /* PC/SC or the caller's */
	struct apdu_io io;        /* the transport, recording its result */
	long transport_result;
	enum card_status open_status;
	char atr_hex[PCSC_ATR_MAX * 3 + 1];
	char detail[CARD_DETAIL_SIZE];
	int tries;       /* from card_pin_tries or VERIFY; CARD_TRIES_UNKNOWN: not reported */
	int tries_asked; /* card_pin_tries asked the card in this session */
	int pin_sent, pin_verified;
	int key_reference; /* the SIGN key's; -1: PrKDF not read yet */
};

/* What a failed APDU step means; what names the step for the log. */
static enum card_status fail_apdu(struct card *c, const char *what, enum apdu_err err, uint16_t sw)
{
	switch (err) {
	case APDU_OK:
		break;
	case APDU_ERR_TRANSPORT:
		return pcsc_fail(c->detail, what, c->transport_result);
	case APDU_ERR_STATUS:
		return card_fail(c->detail, CARD_IO, "%s: the card answered %04X", what, sw);
	case APDU_ERR_BAD_DATA:
		return card_fail(c->detail, CARD_BAD_DATA, "%s: malformed answer or file", what);
	case APDU_ERR_INVALID:
		break;
	}
	return card_fail(c->detail, CARD_IO, "%s: invalid command", what);
}

static long recording_transmit(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                               size_t *resp_len)
{
	struct card *c = ctx;

	c->transport_result = c->transport.transmit(c->transport.ctx, cmd, len, resp, resp_len);
	return c->transport_result;
}

static struct card *card_new(void)
{
	struct card *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->tries = CARD_TRIES_UNKNOWN;
	c->key_reference = -1;
	c->io.transmit = recording_transmit;
	c->io.ctx = c;
	return c;
}

/* ---- recognising the card ---- */

static void format_atr(struct card *c, const uint8_t *atr, size_t len)
{
	char *p = c->atr_hex;

	*p = '\0';
	for (size_t i = 0; i < len && i < PCSC_ATR_MAX; i++)
		p += sprintf(p, i ? " %02X" : "%02X", atr[i]);
}

/* A SELECT of the second-generation applet by AID: harmless, and only sent to a card whose ATR
 * is not this profile's. */
static enum card_status probe_second_generation(struct card *c)
{
	uint8_t cmd[5 + sizeof(second_generation_aid) + 1] = {0x00, 0xA4, 0x04, 0x00,
	                                                      sizeof(second_generation_aid)};
	size_t len;
	uint16_t sw;
	enum apdu_err err;

	memcpy(cmd + 5, second_generation_aid, sizeof(second_generation_aid));
	err = apdu_exchange(&c->io, cmd, sizeof(cmd), NULL, 0, &len, &sw);
	if (err == APDU_ERR_TRANSPORT && pcsc_card_status(c->transport_result) == CARD_REMOVED)
		return pcsc_fail(c->detail, "SELECT second-generation applet", c->transport_result);
	if (err == APDU_OK && sw == APDU_SW_OK)
		return card_fail(c->detail, CARD_SECOND_GENERATION,
		                 "unsupported card generation (second-generation applet, ATR %s)",
		                 c->atr_hex);
	return card_fail(c->detail, CARD_UNKNOWN,
	                 "not a citizen certificate card of this profile (ATR %s)", c->atr_hex);
}

static enum card_status classify_card(struct card *c, const uint8_t *atr, size_t atr_len)
{
	format_atr(c, atr, atr_len);
	if (atr_len == sizeof(hicos_atr) && memcmp(atr, hicos_atr, atr_len) == 0)
		return CARD_OK;
	return probe_second_generation(c);
}

enum card_status card_open_io(const struct apdu_io *io, const uint8_t *atr, size_t atr_len,
                              struct card **out)
{
	struct card *c = card_new();

	*out = c;
	if (c == NULL)
		return CARD_NOMEM;
	c->transport = *io;
	c->open_status = classify_card(c, atr, atr_len);
	return c->open_status;
}

/* ---- over PC/SC (lib/card/pcsc.c) ---- */

enum card_status card_open(int wait_ms, const char *reader_or_NULL, struct card **out)
{
	struct card *c = card_new();
	uint8_t atr[PCSC_ATR_MAX];
	size_t atr_len = 0;
	enum card_status status;

	*out = c;
	if (c == NULL)
		return CARD_NOMEM;
	status = pcsc_open(wait_ms, reader_or_NULL, &c->link, atr, &atr_len, c->detail);
	if (status == CARD_OK) {
		c->transport = pcsc_io(c->link);
		status = classify_card(c, atr, atr_len);
	}
	c->open_status = status;
	if (status == CARD_NOMEM) { /* the status is read before c is freed */
		card_close(c);
		*out = NULL;
	}
	return status;
}

const char *card_reader_name(const struct card *c)
{
	return c ? pcsc_reader_name(c->link) : "";
}

const char *card_atr_hex(const struct card *c)
{
	return c ? c->atr_hex : "";
}

const char *card_error_detail(const struct card *c)
{
	return c ? c->detail : "";
}

/* ---- files ---- */

static enum card_status select_in_df(struct card *c, uint16_t fid, const char *what)
{
	const uint16_t path[] = {0x3F00, 0x5030, fid};
	uint16_t sw;
	enum apdu_err err = apdu_select_path(&c->io, path, 3, &sw);

	return err == APDU_OK ? CARD_OK : fail_apdu(c, what, err, sw);
}

/* Selects and reads the directory file fid (up to its padding) into buf. */
static enum card_status read_directory(struct card *c, uint16_t fid, uint8_t buf[DIRECTORY_MAX],
                                       size_t *len, const char *what)
{
	enum card_status status = select_in_df(c, fid, what);
	uint16_t sw;
	enum apdu_err err;

	if (status != CARD_OK)
		return status;
	err = apdu_read_binary_all(&c->io, 0, DIRECTORY_MAX, APDU_READ_DIRECTORY, buf, len, &sw);
	return err == APDU_OK ? CARD_OK : fail_apdu(c, what, err, sw);
}

static int same_id(const uint8_t *id, size_t id_len, const uint8_t *want, size_t want_len)
{
	return id_len == want_len && memcmp(id, want, want_len) == 0;
}

/* The CDF entry of the SIGN key's certificate; the first entry when no entry has an iD. */
static const struct pkcs15_cert_ref *sign_certificate(const struct pkcs15_cert_ref *certs, size_t n)
{
	int any_id = 0;

	for (size_t i = 0; i < n; i++) {
		if (same_id(certs[i].id, certs[i].id_len, sign_key_id, sizeof(sign_key_id)))
			return &certs[i];
		any_id |= certs[i].id_len > 0;
	}
	return n > 0 && !any_id ? &certs[0] : NULL;
}

/* The certificate's own DER length, which must fit the CDF's length (the slot may be padded). */
static int certificate_length(const uint8_t *der, size_t len, size_t *out)
{
	struct der_reader r = der_reader_of(der, len);
	struct der_item cert;

	if (der_next_bounded(&r, &cert, CERT_LENGTH_BYTES) != DER_OK || cert.tag != DER_SEQUENCE)
		return -1;
	*out = cert.tlv_len;
	return 0;
}

static enum card_status read_certificate_slice(struct card *c, const struct pkcs15_cert_ref *ref,
                                               uint8_t **der, size_t *len)
{
	enum card_status status = select_in_df(c, ref->file_id, "SELECT certificate file");
	uint8_t *buf;
	size_t got;
	uint16_t sw;
	enum apdu_err err;

	if (status != CARD_OK)
		return status;
	buf = malloc(ref->length);
	if (buf == NULL)
		return CARD_NOMEM;
	err = apdu_read_binary_all(&c->io, ref->offset, ref->length, APDU_READ_TO_END, buf, &got,
	                           &sw);
	if (err != APDU_OK)
		status = fail_apdu(c, "READ BINARY certificate", err, sw);
	else if (got != ref->length || certificate_length(buf, got, len) < 0)
		status = card_fail(c->detail, CARD_BAD_DATA,
		                   "the certificate at %u (%u bytes) is malformed",
		                   (unsigned)ref->offset, (unsigned)ref->length);
	if (status != CARD_OK) {
		free(buf);
		return status;
	}
	*der = buf;
	return CARD_OK;
}

enum card_status card_read_certificate(struct card *c, uint8_t **der, size_t *len)
{
	uint8_t dir[DIRECTORY_MAX];
	struct pkcs15_cert_ref certs[PKCS15_ENTRIES_MAX];
	const struct pkcs15_cert_ref *ref;
	size_t dir_len, n;
	enum card_status status;

	*der = NULL;
	*len = 0;
	if (c->open_status != CARD_OK)
		return c->open_status;
	status = read_directory(c, FID_CDF, dir, &dir_len, "read certificate directory 4104");
	if (status != CARD_OK)
		return status;
	if (pkcs15_parse_cdf(dir, dir_len, certs, PKCS15_ENTRIES_MAX, &n) != APDU_OK)
		return card_fail(c->detail, CARD_BAD_DATA,
		                 "certificate directory 4104 is malformed");
	ref = sign_certificate(certs, n);
	if (ref == NULL)
		return card_fail(c->detail, CARD_BAD_DATA,
		                 "no certificate for the SIGN key in 4104");
	return read_certificate_slice(c, ref, der, len);
}

enum card_status card_read_serial(struct card *c, char hex[CARD_SERIAL_HEX_SIZE])
{
	const uint16_t path[] = {0x3F00, 0x5030, FID_SERIAL};
	uint8_t buf[CARD_SERIAL_MAX];
	size_t len = 0;
	uint16_t sw = 0;
	enum apdu_err err;

	hex[0] = '\0';
	if (c->open_status != CARD_OK)
		return c->open_status;
	err = apdu_select_path(&c->io, path, sizeof(path) / sizeof(path[0]), &sw);
	if (err == APDU_OK)
		err =
		    apdu_read_binary_all(&c->io, 0, sizeof(buf), APDU_READ_TO_END, buf, &len, &sw);
	if (err == APDU_ERR_TRANSPORT)
		return fail_apdu(c, "read card serial 0900", err, sw);
	if (err != APDU_OK)
		len = 0; /* the document gives the file, not its answers: no serial, no error */
	for (size_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02X", buf[i]);
	return CARD_OK;
}

/* ---- PIN ---- */

enum card_status card_pin_tries(struct card *c, int *tries)
{
	static const uint8_t status_query[4] = {0x8C, 0x20, 0x00, 0x01};
	uint16_t sw;
	size_t len;
	enum apdu_err err;
	enum card_status status;

	*tries = CARD_TRIES_UNKNOWN;
	if (c->open_status != CARD_OK)
		return c->open_status;
	c->tries = CARD_TRIES_UNKNOWN;
	status = select_in_df(c, path_key_file[2], "SELECT key file 0810");
	if (status != CARD_OK)
		return status;
	err = apdu_exchange(&c->io, status_query, sizeof(status_query), NULL, 0, &len, &sw);
	if (err != APDU_OK)
		return fail_apdu(c, "PIN status", err, sw);
	c->tries_asked = 1;
	if (sw == APDU_SW_PIN_BLOCKED || sw == 0x63C0) {
		*tries = c->tries = 0;
		return card_fail(c->detail, CARD_LOCKED, "the PIN is locked");
	}
	if ((sw & 0xFFF0) != 0x63C0)
		return CARD_OK; /* the document has no such query: tries unknown, not an error */
	*tries = c->tries = sw & 0x0F;
	return CARD_OK;
}

/* Sends the protected VERIFY of pin under key with a fresh IV; *sw is the card's answer. */
static enum card_status send_verify(struct card *c, const char *pin, const uint8_t *key,
                                    uint16_t *sw)
{
	uint8_t iv[PINWRAP_IV_LEN], apdu[PINWRAP_APDU_LEN];
	size_t len;
	enum apdu_err err;

	if (getrandom(iv, sizeof(iv), 0) != (ssize_t)sizeof(iv))
		return card_fail(c->detail, CARD_IO, "no random bytes for the PIN IV");
	if (pinwrap_verify_apdu(pin, key, iv, apdu) != REGS_OK)
		return card_fail(c->detail, CARD_IO, "cannot wrap the PIN");
	err = apdu_exchange(&c->io, apdu, sizeof(apdu), NULL, 0, &len, sw);
	regs_wipe(apdu, sizeof(apdu));
	return err == APDU_OK ? CARD_OK : fail_apdu(c, "VERIFY", err, *sw);
}

static enum card_status verify_outcome(struct card *c, uint16_t sw, int *tries_left)
{
	if (sw == APDU_SW_OK) {
		c->pin_verified = 1;
		return CARD_OK;
	}
	if (sw == APDU_SW_PIN_BLOCKED || sw == 0x63C0) {
		int was_known = c->tries != CARD_TRIES_UNKNOWN;

		*tries_left = c->tries = 0;
		if (!was_known) /* locked by this PIN, or before it: the card does not say */
			return card_fail(c->detail, CARD_LOCKED,
			                 "VERIFY answered %04X: the PIN is locked", sw);
		return card_fail(c->detail, CARD_LOCKED, "wrong PIN: the card is now locked");
	}
	if ((sw & 0xFFF0) == 0x63C0) {
		*tries_left = c->tries = sw & 0x0F;
		return card_fail(c->detail, CARD_WRONG_PIN, "wrong PIN: %d tries left", c->tries);
	}
	if (sw == APDU_SW_KEY_NOT_FOUND)
		return card_fail(c->detail, CARD_IO,
		                 "VERIFY: the card knows neither PIN key (6A88)");
	return card_fail(c->detail, CARD_IO, "VERIFY: the card answered %04X", sw);
}

/* Whether a PIN may be sent now: never twice, never before the status query, never to a card
 * that reported itself locked. */
static enum card_status may_send_pin(struct card *c, const char *pin)
{
	if (c->open_status != CARD_OK)
		return c->open_status;
	if (c->pin_sent)
		return card_fail(c->detail, CARD_IO,
		                 "a PIN was already sent in this session: not sent again");
	if (!c->tries_asked)
		return card_fail(c->detail, CARD_IO, "the PIN status was not asked: no PIN sent");
	if (c->tries == 0)
		return card_fail(c->detail, CARD_LOCKED, "the PIN is locked: no PIN sent");
	if (!pinwrap_pin_format_ok(pin))
		return card_fail(c->detail, CARD_BAD_PIN_FORMAT,
		                 "the PIN is not 6 to 8 digits: not sent");
	return CARD_OK;
}

enum card_status card_verify_pin(struct card *c, const char *pin, int *tries_left)
{
	enum card_status status;
	uint16_t sw = 0;

	*tries_left = -1;
	status = may_send_pin(c, pin);
	if (status != CARD_OK)
		return status;
	status = select_in_df(c, path_key_file[2], "SELECT key file 0810");
	if (status != CARD_OK)
		return status;
	c->pin_sent = 1;
	status = send_verify(c, pin, pinwrap_key_primary, &sw);
	/* 6A88: the card does not have this key, so it has not checked the PIN: the profile's
	 * alternative key, once. */
	if (status == CARD_OK && sw == APDU_SW_KEY_NOT_FOUND)
		status = send_verify(c, pin, pinwrap_key_alternative, &sw);
	return status == CARD_OK ? verify_outcome(c, sw, tries_left) : status;
}

/* ---- signing ---- */

void card_pkcs1_sha256_block(const uint8_t digest[CARD_DIGEST_LEN],
                             uint8_t block[CARD_SIGNATURE_LEN])
{
	static const uint8_t digest_info[] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
	                                      0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	                                      0x01, 0x05, 0x00, 0x04, 0x20};
	size_t tail = sizeof(digest_info) + CARD_DIGEST_LEN;

	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xFF, CARD_SIGNATURE_LEN - 3 - tail);
	block[CARD_SIGNATURE_LEN - tail - 1] = 0x00;
	memcpy(block + CARD_SIGNATURE_LEN - tail, digest_info, sizeof(digest_info));
	memcpy(block + CARD_SIGNATURE_LEN - CARD_DIGEST_LEN, digest, CARD_DIGEST_LEN);
}

/* The SIGN key's keyReference from the PrKDF (4100), read once per session. */
static enum card_status sign_key_reference(struct card *c)
{
	uint8_t dir[DIRECTORY_MAX];
	struct pkcs15_key_ref keys[PKCS15_ENTRIES_MAX];
	size_t dir_len, n;
	enum card_status status;

	if (c->key_reference >= 0)
		return CARD_OK;
	status = read_directory(c, FID_PRKDF, dir, &dir_len, "read private-key directory 4100");
	if (status != CARD_OK)
		return status;
	if (pkcs15_parse_prkdf(dir, dir_len, keys, PKCS15_ENTRIES_MAX, &n) != APDU_OK)
		return card_fail(c->detail, CARD_BAD_DATA,
		                 "private-key directory 4100 is malformed");
	for (size_t i = 0; i < n; i++) {
		if (same_id(keys[i].id, keys[i].id_len, sign_key_id, sizeof(sign_key_id)) &&
		    keys[i].key_reference >= 0) {
			c->key_reference = keys[i].key_reference;
			return CARD_OK;
		}
	}
	return card_fail(c->detail, CARD_BAD_DATA, "no SIGN key with a key reference in 4100");
}

/* 80 EA P1 keyRef 80 <half of the block>; the answer carries the first signature bytes. */
static enum card_status send_sign_half(struct card *c, const uint8_t *block, int second,
                                       uint8_t *sig, size_t *got)
{
	uint8_t cmd[5 + SIGN_CHUNK] = {APDU_CLA, 0xEA, second ? 0x02 : 0x82,
	                               (uint8_t)c->key_reference, SIGN_CHUNK};
	size_t n;
	uint16_t sw;
	enum apdu_err err;

	memcpy(cmd + 5, block + (second ? SIGN_CHUNK : 0), SIGN_CHUNK);
	err =
	    apdu_exchange(&c->io, cmd, sizeof(cmd), sig + *got, CARD_SIGNATURE_LEN - *got, &n, &sw);
	if (err == APDU_OK && sw != APDU_SW_OK)
		err = APDU_ERR_STATUS;
	if (err != APDU_OK)
		return fail_apdu(c, sw == 0x6982 ? "SIGN (PIN not verified)" : "SIGN", err, sw);
	*got += n;
	return CARD_OK;
}

/* 80 C1 OFFSET n until the whole signature is read. */
static enum card_status read_signature_rest(struct card *c, uint8_t *sig, size_t *got)
{
	while (*got < CARD_SIGNATURE_LEN) {
		size_t want = CARD_SIGNATURE_LEN - *got < SIGN_CHUNK ? CARD_SIGNATURE_LEN - *got
		                                                     : SIGN_CHUNK,
		       n;
		const uint8_t cmd[5] = {APDU_CLA, 0xC1, (uint8_t)(*got >> 8),
		                        (uint8_t)(*got & 0xFF), (uint8_t)want};
		uint16_t sw;
		enum apdu_err err =
		    apdu_exchange(&c->io, cmd, sizeof(cmd), sig + *got, want, &n, &sw);

		if (err == APDU_OK && (sw != APDU_SW_OK || n == 0))
			err = sw == APDU_SW_OK ? APDU_ERR_BAD_DATA : APDU_ERR_STATUS;
		if (err != APDU_OK)
			return fail_apdu(c, "read signature", err, sw);
		*got += n;
	}
	return CARD_OK;
}

enum card_status card_sign_sha256(struct card *c, const uint8_t digest[CARD_DIGEST_LEN],
                                  uint8_t sig[CARD_SIGNATURE_LEN], size_t *sig_len)
{
	uint8_t block[CARD_SIGNATURE_LEN];
	size_t got = 0;
	enum card_status status;

	*sig_len = 0;
	if (c->open_status != CARD_OK)
		return c->open_status;
	status = sign_key_reference(c);
	if (status == CARD_OK)
		status = select_in_df(c, path_key_file[2], "SELECT key file 0810");
	if (status != CARD_OK)
		return status;
	card_pkcs1_sha256_block(digest, block);
	status = send_sign_half(c, block, 0, sig, &got);
	if (status == CARD_OK)
		status = send_sign_half(c, block, 1, sig, &got);
	if (status == CARD_OK)
		status = read_signature_rest(c, sig, &got);
	if (status != CARD_OK)
		return status;
	*sig_len = CARD_SIGNATURE_LEN;
	return CARD_OK;
}

/* ---- closing ---- */

void card_close(struct card *c)
{
	if (c == NULL)
		return;
	/* A reset drops the verified PIN, so no other program inherits it. */
	pcsc_close(c->link, c->pin_verified);
	free(c);
}

const char *card_status_text(enum card_status status)
{
	switch (status) {
	case CARD_OK:
		return "ok";
	case CARD_NO_SERVICE:
		return "the PC/SC service (pcscd) is not running";
	case CARD_NO_READER:
		return "no card reader";
	case CARD_NO_CARD:
		return "no card in the reader";
	case CARD_REMOVED:
		return "the card was removed";
	case CARD_UNKNOWN:
		return "not a recognised citizen certificate card";
	case CARD_SECOND_GENERATION:
		return "unsupported card generation";
	case CARD_LOCKED:
		return "the card's PIN is locked";
	case CARD_WRONG_PIN:
		return "wrong PIN";
	case CARD_BAD_PIN_FORMAT:
		return "the PIN must be 6 to 8 digits";
	case CARD_IO:
		return "card communication failed";
	case CARD_BAD_DATA:
		return "the card's data are malformed";
	case CARD_NOMEM:
		return "out of memory";
	}
	return "unknown card status";
}
