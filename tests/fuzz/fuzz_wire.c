/* The D-Bus wire format (lib/proto/wire_*.c), regsd's authentication (lib/proto/sasl.c) and the
 * client's address lists (client/address.c), all fed the same bytes. A message that parses is
 * walked by its signature: no read of a type it has may fail, the values fill their container
 * exactly, and the values read, built again into a call, make the same body (the same layout
 * when the message was big-endian). The SASL server fed one byte at a time must end as when fed
 * all at once; what follows BEGIN is framed as the first message. An address that parses is a
 * unix socket of the right length, from a unix address. */
#include "address.h"
#include "base/utf8.h"
#include "fuzz_util.h"
#include "proto/sasl.h"
#include "proto/wire.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "wire";

#define WALK_DEPTH_MAX 40
#define PEER_UID 1000
#define GUID "0123456789abcdef0123456789abcdef"

/* The values of a message read back into a call; ok while every one could be. */
struct rebuild {
	struct wire_call call;
	int ok;
};

static struct wire_call *rebuilding(struct rebuild *rb)
{
	return rb && rb->ok ? &rb->call : NULL;
}

/* s points into the message's len bytes at data and ends there with its NUL. */
static int text_inside(const uint8_t *data, size_t len, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	return p >= data && p < data + len && memchr(p, '\0', (size_t)(data + len - p)) != NULL;
}

static void read_string(struct wire_iter *it, struct rebuild *rb)
{
	const char *s = wire_next_string(it);
	if (!text_inside(it->data, it->end, s) || !utf8_valid(s))
		fuzz_fail("wire_next_string: a string outside its value or not UTF-8");
	if (rebuilding(rb))
		wire_put_string(&rb->call, s);
}

static void read_bytes(struct wire_iter *it, struct rebuild *rb)
{
	size_t n = 0;
	const uint8_t *b = wire_next_bytes(it, &n);
	if (!b || b < it->data || n > (size_t)(it->data + it->end - b))
		fuzz_fail("wire_next_bytes: bytes outside the message");
	if (rebuilding(rb))
		wire_put_bytes(&rb->call, b, n);
}

static int walk(struct wire_iter *it, int depth, struct rebuild *rb);

/* Any other array: counted, and its struct elements walked one by one. */
static void read_array(struct wire_iter *it, int depth, struct rebuild *rb)
{
	struct wire_iter array, fields;
	size_t count = wire_enter_array(it, &array), seen = 0;
	if (rb)
		rb->ok = 0; /* a call carries no such array */
	if (array.bad)
		fuzz_fail("wire_enter_array: refused an array of a checked message");
	if (*array.sig != '(')
		return;
	for (; wire_array_next(&array, &fields); seen++)
		if (depth < WALK_DEPTH_MAX && walk(&fields, depth + 1, NULL) &&
		    fields.pos != fields.end)
			fuzz_fail("wire_array_next: the fields do not fill their struct");
	if (array.bad || seen != count)
		fuzz_fail("wire_array_next: not the elements wire_enter_array counted");
}

/* One value of type t; 0 when the reader has no function for its type. */
static int read_value(struct wire_iter *it, char t, int depth, struct rebuild *rb)
{
	if (t == 's')
		read_string(it, rb);
	else if (t == 'u') {
		uint32_t v = wire_next_u32(it);
		if (rebuilding(rb))
			wire_put_u32(&rb->call, v);
	} else if (t == 'b') {
		int v = wire_next_bool(it);
		if (rebuilding(rb))
			wire_put_bool(&rb->call, v);
	} else if (t == 't') {
		uint64_t v = wire_next_u64(it);
		if (rebuilding(rb))
			wire_put_u64(&rb->call, v);
	} else if (t == 'a' && it->sig[1] == 'y')
		read_bytes(it, rb);
	else if (t == 'a')
		read_array(it, depth, rb);
	else
		return 0;
	return 1;
}

/* Reads the values in order as far as the reader can; 1 when it read them all. */
static int walk(struct wire_iter *it, int depth, struct rebuild *rb)
{
	char t;
	while ((t = wire_iter_type(it)) != 0) {
		const char *sig = it->sig;
		if (!read_value(it, t, depth, rb)) {
			if (rb)
				rb->ok = 0;
			return 0;
		}
		if (it->bad)
			fuzz_fail("wire iterator: failed on a type its signature has");
		if (it->sig <= sig || it->sig > it->sig_end || it->pos > it->end)
			fuzz_fail("wire iterator: moved outside its value or signature");
	}
	return 1;
}

static void check_header(const struct wire_msg *m, const uint8_t *data, size_t len)
{
	const char *texts[] = {m->path,        m->interface, m->member,   m->error_name,
	                       m->destination, m->sender,    m->signature};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i] && *texts[i] && !text_inside(data, len, texts[i]))
			fuzz_fail("wire_parse: a header field outside the message");
	if (!wire_signature_valid(m->signature) || m->serial == 0 ||
	    m->body + m->body_len != data + len || m->body < data + WIRE_FIXED_HEADER)
		fuzz_fail("wire_parse: accepted an invalid header");
}

static int same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Built again as a call from the values read, the message has the same body and routing. */
static void check_rebuild(const struct wire_msg *m, struct rebuild *rb)
{
	struct regs_buf out = REGS_BUF_INIT(0);
	struct wire_msg again;
	const char *path = m->path ? m->path : "/", *member = m->member ? m->member : "M";
	if (wire_call_finish(&rb->call, m->serial, m->destination, path, m->interface, member,
	                     &out) != 0)
		fuzz_fail("wire_call_finish: refused the values read from a message");
	if (wire_parse((const uint8_t *)out.data, out.len, &again) != 0)
		fuzz_fail("wire_parse: refused a call wire_call_finish built");
	/* The builder writes little-endian: a big-endian body has the same layout, other bytes. */
	if (strcmp(again.signature, m->signature) != 0 || again.body_len != m->body_len ||
	    (!m->big_endian && memcmp(again.body, m->body, m->body_len) != 0))
		fuzz_fail("wire_call_finish: the values read make another body");
	if (!same_text(again.path, path) || !same_text(again.member, member) ||
	    !same_text(again.interface, m->interface) ||
	    !same_text(again.destination, m->destination) || again.serial != m->serial)
		fuzz_fail("wire_call_finish: the call is routed elsewhere");
	regs_buf_free(&out);
}

/* One whole message of len bytes, in a buffer of exactly that size. */
static void check_message(const uint8_t *bytes, size_t len)
{
	uint8_t *data = malloc(len);
	struct wire_msg m;
	struct wire_iter it;
	struct rebuild rb = {.ok = 1};
	if (!data)
		fuzz_fail("out of memory");
	memcpy(data, bytes, len);
	int rc = wire_parse(data, len, &m);
	fuzz_note("wire_parse", rc);
	if (rc == 0) {
		check_header(&m, data, len);
		wire_call_init(&rb.call);
		wire_iter_init(&it, &m);
		if (walk(&it, 0, &rb) && it.pos != it.end)
			fuzz_fail("wire iterator: the values do not fill the body");
		if (rb.ok && m.body_len < WIRE_MESSAGE_MAX / 2)
			check_rebuild(&m, &rb);
		wire_call_free(&rb.call);
	}
	free(data);
}

/* The framing as regsd and the client do it: a message's length from its first 16 bytes. */
static void check_framing(const uint8_t *data, size_t size)
{
	struct wire_msg m;
	if (size < WIRE_FIXED_HEADER) {
		if (wire_parse(data, size, &m) == 0)
			fuzz_fail("wire_parse: accepted less than a fixed header");
		return;
	}
	size_t n = wire_message_length(data, WIRE_MESSAGE_MAX);
	if (n != 0 && (n < WIRE_FIXED_HEADER || n > WIRE_MESSAGE_MAX ||
	               wire_message_length(data, n) != n || wire_message_length(data, n - 1) != 0))
		fuzz_fail("wire_message_length: a length outside its limits");
	if (n == 0 || n != size) {
		if (wire_parse(data, size, &m) == 0)
			fuzz_fail("wire_parse: accepted bytes that are not one whole message");
	}
	if (n != 0 && n <= size)
		check_message(data, n);
}

/* Every answer is a known line, and authentication needs an OK. */
static void check_answers(const struct sasl_server *s, const struct regs_buf *out)
{
	const char *p = out->data ? out->data : "";
	unsigned lines = 0;
	while (*p) {
		const char *end = strstr(p, "\r\n");
		size_t n = end ? (size_t)(end - p) : 0;
		int known = (n == 35 && strncmp(p, "OK " GUID, n) == 0) ||
		            (n == 17 && strncmp(p, "REJECTED EXTERNAL", n) == 0) ||
		            (n == 4 && strncmp(p, "DATA", n) == 0) ||
		            (n > 8 && strncmp(p, "ERROR \"", 7) == 0 && p[n - 1] == '"');
		if (!end || !known || ++lines > SASL_LINES_MAX)
			fuzz_fail("sasl_server_feed: an answer out of protocol");
		p = end + 2;
	}
	if ((s->state == SASL_WAIT_BEGIN || s->state == SASL_DONE) &&
	    !strstr(out->data ? out->data : "", "OK "))
		fuzz_fail("sasl_server_feed: authenticated without an OK");
}

/* Feeds in one byte at a time the way regsd reads; what is left unused, in pending. */
static size_t feed_bytewise(struct sasl_server *s, const uint8_t *data, size_t size,
                            struct regs_buf *out, char *pending)
{
	size_t have = 0;
	for (size_t i = 0; i < size; i++) {
		pending[have++] = (char)data[i];
		size_t used = sasl_server_feed(s, pending, have, out);
		if (used > have)
			fuzz_fail("sasl_server_feed: used more than it was given");
		memmove(pending, pending + used, have - used);
		have -= used;
	}
	return have;
}

static void check_sasl(const uint8_t *data, size_t size)
{
	struct sasl_server whole, bytes;
	struct regs_buf out_whole = REGS_BUF_INIT(0), out_bytes = REGS_BUF_INIT(0);
	char *pending = malloc(size + 1);
	if (!pending)
		fuzz_fail("out of memory");
	sasl_server_init(&whole, PEER_UID, GUID);
	sasl_server_init(&bytes, PEER_UID, GUID);
	size_t used = sasl_server_feed(&whole, (const char *)data, size, &out_whole);
	size_t left = feed_bytewise(&bytes, data, size, &out_bytes, pending);
	if (used > size)
		fuzz_fail("sasl_server_feed: used more than it was given");
	check_answers(&whole, &out_whole);
	if (bytes.state != whole.state || left != size - used ||
	    memcmp(pending, data + used, left) != 0 ||
	    !same_text(out_whole.data ? out_whole.data : "", out_bytes.data ? out_bytes.data : ""))
		fuzz_fail("sasl_server_feed: byte by byte differs from all at once");
	fuzz_note("sasl state", (int)whole.state);
	if (whole.state == SASL_DONE)
		check_framing(data + used, size - used);
	regs_buf_free(&out_whole);
	regs_buf_free(&out_bytes);
	free(pending);
}

/* 1 when one address of list (';'-separated) is a unix one with a path= or abstract= key. */
static int has_unix_socket_key(const char *list)
{
	for (const char *a = list;; a++) {
		size_t n = strcspn(a, ";");
		for (const char *k = a + 5; strncmp(a, "unix:", 5) == 0 && k < a + n;
		     k += strcspn(k, ",;") + 1)
			if (strncmp(k, "path=", 5) == 0 || strncmp(k, "abstract=", 9) == 0)
				return 1;
		a += n;
		if (!*a)
			return 0;
	}
}

static void check_address(const uint8_t *data, size_t size)
{
	char *list = fuzz_strndup(data, size);
	struct sockaddr_un sa;
	socklen_t len = 0;
	size_t at = offsetof(struct sockaddr_un, sun_path);
	int rc = address_parse(list, &sa, &len);
	fuzz_note("address_parse", rc);
	if (rc == 0) {
		if (sa.sun_family != AF_UNIX || len <= at + 1 || len > sizeof(sa) ||
		    !has_unix_socket_key(list))
			fuzz_fail("address_parse: a socket address from no unix address");
		if (sa.sun_path[0] && strnlen(sa.sun_path, sizeof(sa.sun_path)) != len - at - 1)
			fuzz_fail("address_parse: a path and its length disagree");
	}
	free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_framing(data, size);
	check_sasl(data, size);
	check_address(data, size);
	return 0;
}
