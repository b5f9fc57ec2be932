/* Reading a D-Bus message: its framing, its header fields, and its body value by value, after
 * wire_check.c has checked all of it. */
#include "proto/wire_check.h"
#include <string.h>

enum {
	FIELD_PATH = 1,
	FIELD_INTERFACE = 2,
	FIELD_MEMBER = 3,
	FIELD_ERROR_NAME = 4,
	FIELD_REPLY_SERIAL = 5,
	FIELD_DESTINATION = 6,
	FIELD_SENDER = 7,
	FIELD_SIGNATURE = 8,
	FIELD_UNIX_FDS = 9,
};

static size_t pad8(size_t n)
{
	return (n + 7) / 8 * 8;
}

size_t wire_message_length(const uint8_t *p, size_t max)
{
	int big = p[0] == 'B';
	if ((p[0] != 'l' && !big) || p[3] != 1)
		return 0;
	uint64_t body = wire_get32(p + 4, big), fields = wire_get32(p + 12, big);
	uint64_t total = pad8(WIRE_FIXED_HEADER + (size_t)fields) + body;
	return total <= max ? (size_t)total : 0;
}

/* The value of one header field, whose variant signature was checked to be want. */
static int take_field(struct wire_msg *m, uint8_t code, char type, const uint8_t *value)
{
	static const char want[] = {0, 'o', 's', 's', 's', 'u', 's', 's', 'g', 'u'};
	if (code >= sizeof(want))
		return 0; /* unknown fields are ignored (specification) */
	if (type != want[code])
		return -1;
	const char *text = (const char *)value + (type == 'g' ? 1 : 4);
	uint32_t num = type == 'u' ? wire_get32(value, m->big_endian) : 0;
	const char **slot[] = {NULL, &m->path,        &m->interface, &m->member,   &m->error_name,
	                       NULL, &m->destination, &m->sender,    &m->signature};
	if (code == FIELD_REPLY_SERIAL)
		m->reply_serial = num;
	else if (code == FIELD_UNIX_FDS)
		return num == 0 ? 0 : -1; /* no descriptors travel to or from regsd */
	else
		*slot[code] = text;
	return 0;
}

/* One (y code, v value) header field. */
static int read_field(struct wire_cursor *c, struct wire_msg *m)
{
	if (wire_align(c, 8) != 0 || c->pos + 3 > c->end)
		return -1;
	uint8_t code = c->data[c->pos++];
	size_t sig_at = c->pos;
	if (wire_check_string(c, 'g') != 0 || c->data[sig_at] != 1)
		return -1; /* every header field holds one basic value */
	char type = (char)c->data[sig_at + 1];
	char sig[2] = {type, '\0'};
	if (wire_align(c, wire_alignment(type)) != 0)
		return -1;
	size_t value_at = c->pos;
	if (code == 0 || wire_check_value(c, sig, sig + 1, 1) != 0)
		return -1;
	return take_field(m, code, type, c->data + value_at);
}

static int has_required_fields(const struct wire_msg *m)
{
	switch (m->type) {
	case WIRE_METHOD_CALL:
		return m->path && m->member;
	case WIRE_METHOD_RETURN:
		return m->reply_serial != 0;
	case WIRE_ERROR:
		return m->reply_serial != 0 && m->error_name;
	case WIRE_SIGNAL:
		return m->path && m->interface && m->member;
	case 0:
		return 0; /* no such type */
	default:
		return 1; /* a type of a later protocol: checked, then passed over (specification)
		           */
	}
}

static int check_body(const struct wire_msg *m, const uint8_t *data, size_t body_at, size_t len)
{
	struct wire_cursor c = {data, body_at, len, m->big_endian};
	const char *sig = m->signature, *end = sig + strlen(sig);
	while (sig < end) {
		const char *next = wire_sig_skip(sig, end, 0);
		if (!next || wire_check_value(&c, sig, next, 0) != 0)
			return -1;
		sig = next;
	}
	return c.pos == len ? 0 : -1;
}

int wire_parse(const uint8_t *data, size_t len, struct wire_msg *out)
{
	memset(out, 0, sizeof(*out));
	if (len < WIRE_FIXED_HEADER || wire_message_length(data, len) != len)
		return -1;
	out->big_endian = data[0] == 'B';
	out->type = data[1];
	out->flags = data[2];
	out->serial = wire_get32(data + 8, out->big_endian);
	uint32_t fields = wire_get32(data + 12, out->big_endian);
	size_t body_at = pad8(WIRE_FIXED_HEADER + (size_t)fields);
	struct wire_cursor c = {data, WIRE_FIXED_HEADER, WIRE_FIXED_HEADER + (size_t)fields,
	                        out->big_endian};
	while (c.pos < c.end)
		if (read_field(&c, out) != 0)
			return -1;
	c.end = body_at;
	if (out->serial == 0 || wire_align(&c, 8) != 0 || !has_required_fields(out))
		return -1;
	if (!out->signature)
		out->signature = "";
	out->body = data + body_at;
	out->body_len = len - body_at;
	return check_body(out, data, body_at, len);
}

void wire_iter_init(struct wire_iter *it, const struct wire_msg *m)
{
	memset(it, 0, sizeof(*it));
	it->data = m->body;
	it->end = m->body_len;
	it->sig = m->signature;
	it->sig_end = m->signature + strlen(m->signature);
	it->big_endian = m->big_endian;
}

char wire_iter_type(const struct wire_iter *it)
{
	return it->sig < it->sig_end ? *it->sig : 0;
}

/* Positions on the next value if it has type code type; its offset in *at. The message was
 * checked whole, so this fails only when a caller reads a type its signature does not have. */
static int next(struct wire_iter *it, char type, size_t size, size_t *at)
{
	size_t align = wire_alignment(type);
	size_t pos = (it->pos + align - 1) / align * align;
	if (it->bad || wire_iter_type(it) != type || pos > it->end || it->end - pos < size) {
		it->bad = 1;
		return -1;
	}
	*at = pos;
	it->pos = pos + size;
	it->sig++;
	return 0;
}

uint32_t wire_next_u32(struct wire_iter *it)
{
	size_t at;
	return next(it, 'u', 4, &at) == 0 ? wire_get32(it->data + at, it->big_endian) : 0;
}

uint64_t wire_next_u64(struct wire_iter *it)
{
	size_t at;
	return next(it, 't', 8, &at) == 0 ? wire_get64(it->data + at, it->big_endian) : 0;
}

int wire_next_bool(struct wire_iter *it)
{
	size_t at;
	return next(it, 'b', 4, &at) == 0 ? wire_get32(it->data + at, it->big_endian) == 1 : 0;
}

const char *wire_next_string(struct wire_iter *it)
{
	size_t at;
	if (next(it, 's', 4, &at) != 0)
		return "";
	uint32_t len = wire_get32(it->data + at, it->big_endian);
	if (len >= it->end - it->pos) {
		it->bad = 1;
		return "";
	}
	it->pos += len + 1;
	return (const char *)it->data + at + 4;
}

size_t wire_enter_array(struct wire_iter *it, struct wire_iter *array)
{
	size_t at;
	const char *elem = it->sig + 1;
	memset(array, 0, sizeof(*array));
	array->bad = 1;
	const char *end = wire_sig_skip(it->sig, it->sig_end, 0);
	if (!end || next(it, 'a', 4, &at) != 0)
		return 0;
	uint32_t len = wire_get32(it->data + at, it->big_endian);
	size_t align = wire_alignment(*elem), start = (it->pos + align - 1) / align * align;
	if (start > it->end || it->end - start < len) {
		it->bad = 1;
		return 0;
	}
	*array = (struct wire_iter){it->data, start, start + len, elem, end, it->big_endian, 0};
	it->pos = start + len;
	it->sig = end;
	size_t count = 0;
	for (struct wire_cursor c = {it->data, start, start + len, it->big_endian}; c.pos < c.end;
	     count++)
		if (wire_check_value(&c, elem, end, 1) != 0)
			return array->bad = 1, 0;
	return count;
}

const uint8_t *wire_next_bytes(struct wire_iter *it, size_t *n)
{
	struct wire_iter array;
	*n = 0;
	if (it->sig + 1 >= it->sig_end || it->sig[1] != 'y') {
		it->bad = 1;
		return NULL;
	}
	*n = wire_enter_array(it, &array);
	return array.bad ? NULL : array.data + array.pos;
}

int wire_array_next(struct wire_iter *array, struct wire_iter *fields)
{
	const char *elem_end = array->sig_end;
	memset(fields, 0, sizeof(*fields));
	fields->bad = 1;
	if (array->bad || *array->sig != '(' || array->pos >= array->end)
		return 0;
	struct wire_cursor c = {array->data, array->pos, array->end, array->big_endian};
	size_t start = (array->pos + 7) / 8 * 8;
	if (wire_check_value(&c, array->sig, elem_end, 1) != 0) {
		array->bad = 1;
		return 0;
	}
	*fields = (struct wire_iter){array->data,       start, c.pos, array->sig + 1, elem_end - 1,
	                             array->big_endian, 0};
	array->pos = c.pos;
	return 1;
}
