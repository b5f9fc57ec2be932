/* Smart-card APDUs for the HiCOS profile over any transport: exchanges, SELECT, READ BINARY and
 * the PKCS#15 directory entries (CDF, PrKDF) that locate the certificate and the signing key. */
#ifndef REGS_APDU_H
#define REGS_APDU_H
#include <stddef.h>
#include <stdint.h>

/* The transport: sends cmd, writes the response (data and SW1 SW2) into resp, whose size is
 * *resp_len on entry (APDU_RESPONSE_MAX) and the response's length on return. Returns 0 on
 * success, or a transport error code (for PC/SC, the SCardTransmit result). */
struct apdu_io {
	long (*transmit)(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
	                 size_t *resp_len);
	void *ctx;
};

#define APDU_RESPONSE_MAX 258  /* 256 data bytes and the status word */
#define APDU_COMMAND_MAX 261   /* short APDU: header, Lc, 255 data bytes, Le */
#define APDU_CLA 0x80          /* the profile's class byte; CLA 00 is answered 6E00 */
#define APDU_READ_CHUNK 200    /* READ BINARY reads at most this many bytes at a time */
#define APDU_OFFSET_MAX 0x7FFF /* READ BINARY offsets: 15 bits, P1's top bit clear */

#define APDU_SW_OK 0x9000
#define APDU_SW_END_OF_FILE 0x6282 /* fewer bytes than Le: end of file reached */
#define APDU_SW_WRONG_OFFSET 0x6B00
#define APDU_SW_RETRY_SMALLER 0x6987 /* this profile: READ BINARY again with a smaller Le */
#define APDU_SW_KEY_NOT_FOUND 0x6A88
#define APDU_SW_PIN_BLOCKED 0x6983

enum apdu_err {
	APDU_OK = 0,
	APDU_ERR_TRANSPORT, /* the transport failed; its code is the transmit result */
	APDU_ERR_STATUS,    /* the card answered with an unexpected status word */
	APDU_ERR_BAD_DATA,  /* a response or a file is malformed, or longer than expected */
	APDU_ERR_INVALID,   /* the caller's command or arguments are malformed */
};

/* Sends cmd (a short APDU of case 1 to 4). 6Cxx: sends it again with Le = xx (once).
 * 61xx: collects the rest with GET RESPONSE (00 C0 00 00 xx) until the card stops saying 61xx.
 * Writes the data of all responses into data (NULL: discarded) and sets *sw to the last status
 * word. Returns APDU_OK whatever the status word; APDU_ERR_BAD_DATA when the data do not fit
 * data_size. */
enum apdu_err apdu_exchange(const struct apdu_io *io, const uint8_t *cmd, size_t cmd_len,
                            uint8_t *data, size_t data_size, size_t *data_len, uint16_t *sw);

/* SELECT (80 A4 00 00 02 FID) of each file id of path in turn, stopping at the first status word
 * other than 9000 (APDU_ERR_STATUS, the status word in *sw). */
enum apdu_err apdu_select_path(const struct apdu_io *io, const uint16_t *path, size_t n,
                               uint16_t *sw);

enum apdu_read_mode {
	APDU_READ_TO_END,   /* up to max_len bytes or the end of the file */
	APDU_READ_DIRECTORY /* PKCS#15 directory: up to the 00/FF padding after the last entry */
};

/* READ BINARY (80 B0 OFFSET Le) of the selected file from offset, in chunks of at most 200
 * bytes, into buf (max_len bytes). The end of the file is a short chunk, 6282, or 6B00; 62xx
 * answers still carry data; 6987 asks again with a smaller Le. APDU_READ_DIRECTORY stops after
 * the last entry and sets *len to where the padding starts; it is APDU_ERR_BAD_DATA when the
 * entries are malformed, cut off by the end of the file, or do not fit max_len. */
enum apdu_err apdu_read_binary_all(const struct apdu_io *io, size_t offset, size_t max_len,
                                   enum apdu_read_mode mode, uint8_t *buf, size_t *len,
                                   uint16_t *sw);

/* ---- PKCS#15 directory files ---- */

#define PKCS15_ID_MAX 32
#define PKCS15_ENTRIES_MAX 16
#define PKCS15_CERT_FILE 0x08F2 /* all certificates, concatenated */

/* A CDF entry: the certificate is length bytes at offset in file_id (3F00 5030 file_id). */
struct pkcs15_cert_ref {
	uint8_t id[PKCS15_ID_MAX]; /* the iD that pairs it with its key; id_len 0 if absent */
	size_t id_len;
	uint16_t file_id;
	uint32_t offset;
	uint32_t length;
};

/* A PrKDF entry: the key's iD and keyReference (-1 when absent). */
struct pkcs15_key_ref {
	uint8_t id[PKCS15_ID_MAX];
	size_t id_len;
	int key_reference;
};

enum pkcs15_end {
	PKCS15_END_FOUND,     /* padding (00 or FF) starts at *end */
	PKCS15_END_MORE,      /* complete entries up to *end == len; more may follow */
	PKCS15_END_TRUNCATED, /* the entry at *end goes on past the bytes read so far */
	PKCS15_END_MALFORMED,
};

/* Walks the entries of a directory file read so far (len bytes). */
enum pkcs15_end pkcs15_directory_end(const uint8_t *buf, size_t len, size_t *end);

/* Parses a CDF (4104): at most max entries into out, *n of them. Every entry needs an indirect
 * path 3F00 5030 FID with an index (the offset, 1-3 byte INTEGER) and a length ([0], 1-3
 * bytes) inside 0..0x7FFF; anything else is APDU_ERR_BAD_DATA. */
enum apdu_err pkcs15_parse_cdf(const uint8_t *buf, size_t len, struct pkcs15_cert_ref *out,
                               size_t max, size_t *n);
/* Parses a PrKDF (4100): each entry's iD and keyReference (CommonKeyAttributes). */
enum apdu_err pkcs15_parse_prkdf(const uint8_t *buf, size_t len, struct pkcs15_key_ref *out,
                                 size_t max, size_t *n);

#endif
