/* Building a D-Bus method call (little-endian, protocol version 1): the body from basic values,
 * then the header with the fields that route it. */
#include "base/utf8.h"
#include "proto/wire.h"
#include <string.h>

/* Header field codes and their types (specification, "Message Format"). */
enum {
	FIELD_PATH = 1,
	FIELD_INTERFACE = 2,
	FIELD_MEMBER = 3,
	FIELD_DESTINATION = 6,
	FIELD_SIGNATURE = 8,
};

static const uint8_t zeros[8];

static int pad_to(struct regs_buf *b, size_t align)
{
	size_t n = (align - b->len % align) % align;
	if (n && regs_buf_append(b, zeros, n) != REGS_OK)
		return -1;
	return b->err == REGS_OK ? 0 : -1;
}

static int put_le32(struct regs_buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	return pad_to(b, 4) == 0 && regs_buf_append(b, le, 4) == REGS_OK ? 0 : -1;
}

static int put_le64(struct regs_buf *b, uint64_t v)
{
	uint8_t le[8];
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return pad_to(b, 8) == 0 && regs_buf_append(b, le, 8) == REGS_OK ? 0 : -1;
}

/* A string or object path: length, bytes, NUL. */
static int put_str(struct regs_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (n > UINT32_MAX || put_le32(b, (uint32_t)n) != 0)
		return -1;
	return regs_buf_append(b, s, n + 1) == REGS_OK ? 0 : -1;
}

/* A signature: one length byte, bytes, NUL. */
static int put_sig(struct regs_buf *b, const char *s)
{
	size_t n = strlen(s);
	uint8_t len = (uint8_t)n;
	if (n >= WIRE_SIGNATURE_MAX || regs_buf_append(b, &len, 1) != REGS_OK)
		return -1;
	return regs_buf_append(b, s, n + 1) == REGS_OK ? 0 : -1;
}

void wire_call_init(struct wire_call *w)
{
	memset(w, 0, sizeof(*w));
	w->body.max = WIRE_MESSAGE_MAX;
}

void wire_call_free(struct wire_call *w)
{
	regs_buf_free(&w->body);
	w->sig_len = 0;
	w->sig[0] = '\0';
}

/* Records the type codes of one argument; a signature past 255 bytes fails the call. */
static int add_sig(struct wire_call *w, const char *codes)
{
	size_t n = strlen(codes);
	if (w->failed || w->sig_len + n >= WIRE_SIGNATURE_MAX)
		return w->failed = 1, -1;
	memcpy(w->sig + w->sig_len, codes, n + 1);
	w->sig_len += n;
	return 0;
}

static int done(struct wire_call *w, int rc)
{
	if (rc != 0)
		w->failed = 1;
	return w->failed ? -1 : 0;
}

int wire_put_string(struct wire_call *w, const char *s)
{
	if (!s || !utf8_valid(s) || add_sig(w, "s") != 0)
		return done(w, -1);
	return done(w, put_str(&w->body, s));
}

int wire_put_u32(struct wire_call *w, uint32_t v)
{
	return add_sig(w, "u") != 0 ? -1 : done(w, put_le32(&w->body, v));
}

int wire_put_u64(struct wire_call *w, uint64_t v)
{
	return add_sig(w, "t") != 0 ? -1 : done(w, put_le64(&w->body, v));
}

int wire_put_bool(struct wire_call *w, int v)
{
	return add_sig(w, "b") != 0 ? -1 : done(w, put_le32(&w->body, v ? 1 : 0));
}

int wire_put_bytes(struct wire_call *w, const uint8_t *data, size_t len)
{
	if (len > WIRE_MESSAGE_MAX || add_sig(w, "ay") != 0)
		return done(w, -1);
	if (put_le32(&w->body, (uint32_t)len) != 0)
		return done(w, -1);
	return done(w, len ? (regs_buf_append(&w->body, data, len) == REGS_OK ? 0 : -1) : 0);
}

/* One header field: a struct (y code, v value) of a string-like type. */
static int put_field(struct regs_buf *b, uint8_t code, const char *type, const char *value)
{
	if (pad_to(b, 8) != 0 || regs_buf_append(b, &code, 1) != REGS_OK || put_sig(b, type) != 0)
		return -1;
	return type[0] == 'g' ? put_sig(b, value) : put_str(b, value);
}

static int put_fields(struct regs_buf *b, const struct wire_call *w, const char *dest,
                      const char *path, const char *iface, const char *member)
{
	int rc = put_field(b, FIELD_PATH, "o", path);
	if (rc == 0 && iface)
		rc = put_field(b, FIELD_INTERFACE, "s", iface);
	if (rc == 0)
		rc = put_field(b, FIELD_MEMBER, "s", member);
	if (rc == 0 && dest)
		rc = put_field(b, FIELD_DESTINATION, "s", dest);
	if (rc == 0 && w->sig_len)
		rc = put_field(b, FIELD_SIGNATURE, "g", w->sig);
	return rc;
}

static void set_le32(struct regs_buf *b, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->data[at + (size_t)i] = (char)(uint8_t)(v >> (8 * i));
}

int wire_call_finish(struct wire_call *w, uint32_t serial, const char *dest, const char *path,
                     const char *iface, const char *member, struct regs_buf *out)
{
	static const uint8_t fixed[12] = {'l', WIRE_METHOD_CALL, 0, 1};
	regs_buf_clear(out);
	if (w->failed || serial == 0 || regs_buf_append(out, fixed, sizeof(fixed)) != REGS_OK ||
	    put_le32(out, 0) != 0 || put_fields(out, w, dest, path, iface, member) != 0)
		return -1;
	size_t fields_len = out->len - WIRE_FIXED_HEADER;
	if (pad_to(out, 8) != 0 || out->len + w->body.len > WIRE_MESSAGE_MAX)
		return -1;
	if (w->body.len && regs_buf_append(out, w->body.data, w->body.len) != REGS_OK)
		return -1;
	set_le32(out, 4, (uint32_t)w->body.len);
	set_le32(out, 8, serial);
	set_le32(out, 12, (uint32_t)fields_len);
	return 0;
}
