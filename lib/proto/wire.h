/* The D-Bus wire format (D-Bus Specification, "Message Protocol"), as much as the regsd client
 * needs: method calls built from basic values, and any message read back and checked whole
 * before one value is taken from it. libc only: the module loaded into sshd, login and web
 * servers carries no libdbus (and no libsystemd behind it). */
#ifndef REGS_WIRE_H
#define REGS_WIRE_H
#include "base/buf.h"
#include <stddef.h>
#include <stdint.h>

#define WIRE_FIXED_HEADER 16
/* The longest message the client sends or takes (the specification allows 128 MiB; regsd's
 * largest answer, a log page, is far below this). */
#define WIRE_MESSAGE_MAX (4u << 20)
/* A signature: at most 255 bytes and the NUL. */
#define WIRE_SIGNATURE_MAX 256

enum wire_type {
	WIRE_METHOD_CALL = 1,
	WIRE_METHOD_RETURN = 2,
	WIRE_ERROR = 3,
	WIRE_SIGNAL = 4,
};

/* A method call being built: append its arguments, then finish it. Errors are sticky. */
struct wire_call {
	struct regs_buf body; /* wiped when freed: an argument may be a code or a PIN block */
	char sig[WIRE_SIGNATURE_MAX];
	size_t sig_len;
	int failed;
};
void wire_call_init(struct wire_call *w);
void wire_call_free(struct wire_call *w);
/* Each returns 0, or -1 when the value cannot go on the wire (a string that is not UTF-8, a
 * message too long, no memory); the call stays failed. */
int wire_put_string(struct wire_call *w, const char *s);
int wire_put_u32(struct wire_call *w, uint32_t v);
int wire_put_u64(struct wire_call *w, uint64_t v);
int wire_put_bool(struct wire_call *w, int v);
int wire_put_bytes(struct wire_call *w, const uint8_t *data, size_t len);
/* The whole message, little-endian, into out (emptied first). dest may be NULL (a peer-to-peer
 * connection has no bus to route by it). */
int wire_call_finish(struct wire_call *w, uint32_t serial, const char *dest, const char *path,
                     const char *iface, const char *member, struct regs_buf *out);

/* Framing: the whole length of the message whose first WIRE_FIXED_HEADER bytes are at p, or 0
 * when they cannot start a message of at most max bytes (endianness, version, lengths). */
size_t wire_message_length(const uint8_t *p, size_t max);

/* A message read and checked: the pointers point into the bytes given to wire_parse. */
struct wire_msg {
	int type; /* enum wire_type */
	uint8_t flags;
	uint32_t serial;
	uint32_t reply_serial;                                                     /* 0: none */
	const char *path, *interface, *member, *error_name, *destination, *sender; /* NULL: none */
	const char *signature;                                                     /* "" none */
	const uint8_t *body;
	size_t body_len;
	int big_endian;
};
/* Parses the len bytes of one whole message and checks all of it: the header fields, the fields
 * its type requires, and the body against the signature (alignment, zero padding, lengths,
 * UTF-8 strings without NUL, booleans 0 or 1, nesting). 0, or -1 when anything is wrong. */
int wire_parse(const uint8_t *data, size_t len, struct wire_msg *out);
/* 1 when sig is a valid signature (of any number of complete types). */
int wire_signature_valid(const char *sig);

/* Reads the values of a checked message in order. A read of the wrong type or past the end
 * returns 0 / "" / NULL and marks the iterator bad. */
struct wire_iter {
	const uint8_t *data;
	size_t pos, end;
	const char *sig, *sig_end;
	int big_endian;
	int bad;
};
void wire_iter_init(struct wire_iter *it, const struct wire_msg *m);
/* The type code of the next value, or 0 at the end. */
char wire_iter_type(const struct wire_iter *it);
const char *wire_next_string(struct wire_iter *it);
uint32_t wire_next_u32(struct wire_iter *it);
uint64_t wire_next_u64(struct wire_iter *it);
int wire_next_bool(struct wire_iter *it);
/* An "ay": the bytes (pointing into the message) and their count. */
const uint8_t *wire_next_bytes(struct wire_iter *it, size_t *n);
/* An array: *array iterates its elements with wire_array_next; returns the element count. */
size_t wire_enter_array(struct wire_iter *it, struct wire_iter *array);
/* The next struct element of an array: *fields reads its fields. 0 when there is none. */
int wire_array_next(struct wire_iter *array, struct wire_iter *fields);

#endif
