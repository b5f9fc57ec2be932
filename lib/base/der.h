/* Reading DER from untrusted bytes, one TLV at a time and never past the bytes given: the CRL,
 * the card's directory files and its certificate. libc only (libregsbase is in the module). */
#ifndef REGS_DER_H
#define REGS_DER_H
#include <stddef.h>
#include <stdint.h>

#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_SEQUENCE 0x30
#define DER_CONSTRUCTED 0x20   /* the tag's constructed bit */
#define DER_CONTEXT_0 0x80     /* [0] IMPLICIT, primitive */
#define DER_EXPLICIT_0 0xA0    /* [0], constructed */
#define DER_LENGTH_BYTES_MAX 4 /* long-form lengths of at most 4 bytes: sizes below 4 GiB */

/* The bytes still to read: from p up to end. */
struct der_reader {
	const uint8_t *p, *end;
};

/* One TLV: tlv points at its tag and spans tlv_len bytes; value and len are its contents. */
struct der_item {
	uint8_t tag;
	const uint8_t *tlv;
	size_t tlv_len;
	const uint8_t *value;
	size_t len;
};

enum der_result {
	DER_OK,
	DER_TRUNCATED, /* the TLV goes on past the reader's bytes: more may complete it */
	DER_MALFORMED, /* a high tag number, an indefinite length or too many length bytes */
};

struct der_reader der_reader_of(const uint8_t *buf, size_t len);
/* A reader over item's contents. */
struct der_reader der_inside(const struct der_item *item);
size_t der_left(const struct der_reader *r);
/* The next TLV's tag byte without reading it; -1 at the end. */
int der_peek(const struct der_reader *r);

/* Reads the next TLV (tags up to 30; definite lengths in short form or in 1 to
 * length_bytes_max bytes, at most DER_LENGTH_BYTES_MAX; leading zero length bytes are taken as
 * they are) and moves past it. On failure neither the reader nor *item changes. */
enum der_result der_next_bounded(struct der_reader *r, struct der_item *item,
                                 size_t length_bytes_max);
enum der_result der_next(struct der_reader *r, struct der_item *item);
/* der_next of a complete structure: 0, or -1 for anything cut off or malformed. */
int der_read(struct der_reader *r, struct der_item *item);
/* der_read of a TLV that must have tag: -1 when it is missing, malformed or another tag. */
int der_expect(struct der_reader *r, uint8_t tag, struct der_item *item);
/* buf must be exactly one TLV: bytes after it are DER_MALFORMED (*item is then that TLV). */
enum der_result der_read_whole(const uint8_t *buf, size_t len, struct der_item *item);

#endif
