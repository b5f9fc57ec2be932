/* Unit tests for the D-Bus wire format (lib/proto/wire_*.c) that the PAM module and regsctl speak
 * without libdbus: calls built and read back, messages made by libdbus and jeepney read alike in
 * both byte orders, and every malformed message refused whole before a value is read (R12.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/wire.h"
#include "wire_vectors.h"

/* ---- A message assembled by hand (little-endian), for the refusals. */

struct raw {
	uint8_t b[1024];
	size_t len, body_at;
};

static void raw_put(struct raw *m, const void *p, size_t n)
{
	assert_true(m->len + n <= sizeof(m->b));
	memcpy(m->b + m->len, p, n);
	m->len += n;
}

static void raw_pad(struct raw *m, size_t align)
{
	static const uint8_t zeros[8];
	raw_put(m, zeros, (align - m->len % align) % align);
}

static void raw_u32(struct raw *m, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	raw_pad(m, 4);
	raw_put(m, le, 4);
}

static void raw_set32(struct raw *m, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		m->b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* The fixed header of a message of type (serial 1), its fields to follow. */
static void raw_begin(struct raw *m, uint8_t type)
{
	const uint8_t fixed[16] = {'l', type, 0, 1, 0, 0, 0, 0, 1};
	memset(m, 0, sizeof(*m));
	raw_put(m, fixed, sizeof(fixed));
}

/* A header field: its code, a variant of the one-letter type, then the caller's value. */
static void raw_field(struct raw *m, uint8_t code, char type)
{
	const uint8_t head[4] = {code, 1, (uint8_t)type, 0};
	raw_pad(m, 8);
	raw_put(m, head, sizeof(head));
}

static void raw_field_u32(struct raw *m, uint8_t code, uint32_t v)
{
	raw_field(m, code, 'u');
	raw_u32(m, v);
}

/* A string-like field: 's' or 'o' (length, text, NUL) or 'g' (length byte, text, NUL). */
static void raw_field_text(struct raw *m, uint8_t code, char type, const char *s)
{
	size_t n = strlen(s);
	raw_field(m, code, type);
	if (type == 'g') {
		uint8_t len = (uint8_t)n;
		raw_put(m, &len, 1);
	} else
		raw_u32(m, (uint32_t)n);
	raw_put(m, s, n + 1);
}

/* Ends the fields (their length into the header), pads to the body and appends it. */
static void raw_body(struct raw *m, const void *body, size_t n)
{
	raw_set32(m, 12, (uint32_t)(m->len - 16));
	raw_pad(m, 8);
	m->body_at = m->len;
	raw_put(m, body, n);
	raw_set32(m, 4, (uint32_t)n);
}

/* A method return (reply to 1) of signature sig ("" for none) with body bytes. */
static void raw_reply(struct raw *m, const char *sig, const void *body, size_t n)
{
	raw_begin(m, WIRE_METHOD_RETURN);
	raw_field_u32(m, 5, 1);
	if (*sig)
		raw_field_text(m, 8, 'g', sig);
	raw_body(m, body, n);
}

static int parse_raw(const struct raw *m)
{
	struct wire_msg msg;
	return wire_parse(m->b, m->len, &msg);
}

/* The specification: a message of an unknown type is ignored, not an error; type 0 is none. */
static void test_unknown_message_type_is_passed_over_type_0_refused(void **state)
{
	struct raw m;
	struct wire_msg msg;
	(void)state;
	raw_begin(&m, 0x21);
	raw_field_u32(&m, 5, 1);
	raw_body(&m, "", 0);
	assert_int_equal(wire_parse(m.b, m.len, &msg), 0);
	assert_int_equal(msg.type, 0x21);
	raw_begin(&m, 0);
	raw_field_u32(&m, 5, 1);
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
}

static int parse_reply(const char *sig, const void *body, size_t n)
{
	struct raw m;
	raw_reply(&m, sig, body, n);
	return parse_raw(&m);
}

/* ---- Built and read back */

static const uint8_t some_bytes[] = {0x00, 0x01, 0xfe, 0xff, 0x80};

static void build_call(struct regs_buf *out, const char *dest)
{
	struct wire_call w;
	wire_call_init(&w);
	assert_int_equal(wire_put_string(&w, "alice \xe7\x8e\x8b"), 0);
	assert_int_equal(wire_put_u32(&w, 0xdeadbeef), 0);
	assert_int_equal(wire_put_u64(&w, UINT64_C(0x8000000000000005)), 0);
	assert_int_equal(wire_put_bool(&w, 7), 0);
	assert_int_equal(wire_put_bytes(&w, some_bytes, sizeof(some_bytes)), 0);
	assert_int_equal(wire_put_bytes(&w, NULL, 0), 0);
	assert_int_equal(wire_put_string(&w, ""), 0);
	assert_int_equal(
	    wire_call_finish(&w, 42, dest, "/tw/regs/Daemon1", "tw.regs.Daemon1", "VerifyOtp", out),
	    0);
	wire_call_free(&w);
}

static void read_call_body(const struct wire_msg *m)
{
	struct wire_iter it;
	size_t n = 99;
	wire_iter_init(&it, m);
	assert_int_equal(wire_iter_type(&it), 's');
	assert_string_equal(wire_next_string(&it), "alice \xe7\x8e\x8b");
	assert_int_equal(wire_next_u32(&it), 0xdeadbeef);
	assert_true(wire_next_u64(&it) == UINT64_C(0x8000000000000005));
	assert_int_equal(wire_next_bool(&it), 1);
	const uint8_t *b = wire_next_bytes(&it, &n);
	assert_int_equal(n, sizeof(some_bytes));
	assert_memory_equal(b, some_bytes, n);
	assert_non_null(wire_next_bytes(&it, &n));
	assert_int_equal(n, 0);
	assert_string_equal(wire_next_string(&it), "");
	assert_int_equal(wire_iter_type(&it), 0);
	assert_false(it.bad);
}

static void test_call_s_u_t_b_ay_round_trip(void **state)
{
	struct regs_buf out = REGS_BUF_INIT(0);
	struct wire_msg m;
	(void)state;
	build_call(&out, "tw.regs.Daemon1");
	assert_int_equal(wire_message_length((const uint8_t *)out.data, WIRE_MESSAGE_MAX), out.len);
	assert_int_equal(wire_parse((const uint8_t *)out.data, out.len, &m), 0);
	assert_int_equal(m.type, WIRE_METHOD_CALL);
	assert_int_equal(m.serial, 42);
	assert_int_equal(m.reply_serial, 0);
	assert_false(m.big_endian);
	assert_string_equal(m.path, "/tw/regs/Daemon1");
	assert_string_equal(m.interface, "tw.regs.Daemon1");
	assert_string_equal(m.member, "VerifyOtp");
	assert_string_equal(m.destination, "tw.regs.Daemon1");
	assert_null(m.error_name);
	assert_null(m.sender);
	assert_string_equal(m.signature, "sutbayays");
	read_call_body(&m);
	regs_buf_free(&out);
}

static void test_call_without_destination_or_arguments(void **state)
{
	struct regs_buf out = REGS_BUF_INIT(0);
	struct wire_call w;
	struct wire_msg m;
	(void)state;
	build_call(&out, NULL);
	assert_int_equal(wire_parse((const uint8_t *)out.data, out.len, &m), 0);
	assert_null(m.destination);
	read_call_body(&m);
	wire_call_init(&w);
	assert_int_equal(wire_call_finish(&w, 1, NULL, "/", NULL, "Ping", &out), 0);
	assert_int_equal(wire_parse((const uint8_t *)out.data, out.len, &m), 0);
	assert_string_equal(m.signature, "");
	assert_int_equal(m.body_len, 0);
	assert_null(m.interface);
	wire_call_free(&w);
	regs_buf_free(&out);
}

static void test_call_refuses_what_cannot_go_on_the_wire(void **state)
{
	struct regs_buf out = REGS_BUF_INIT(0);
	struct wire_call w;
	(void)state;
	wire_call_init(&w);
	assert_int_equal(wire_put_string(&w, "caf\xc3"), -1); /* cut UTF-8 */
	assert_int_equal(wire_put_u32(&w, 1), -1);            /* the failure is sticky */
	assert_int_equal(wire_call_finish(&w, 1, NULL, "/", NULL, "M", &out), -1);
	wire_call_free(&w);
	wire_call_init(&w);
	assert_int_equal(wire_call_finish(&w, 0, NULL, "/", NULL, "M", &out), -1); /* serial 0 */
	for (int i = 0; i < 255; i++)
		assert_int_equal(wire_put_u32(&w, (uint32_t)i), 0);
	assert_int_equal(wire_put_u32(&w, 255), -1); /* a 256th type code */
	wire_call_free(&w);
	wire_call_init(&w);
	assert_int_equal(wire_put_bytes(&w, some_bytes, WIRE_MESSAGE_MAX + 1u), -1);
	wire_call_free(&w);
	regs_buf_free(&out);
}

static void test_call_longer_than_the_maximum_refused(void **state)
{
	static uint8_t big[WIRE_MESSAGE_MAX - 64];
	struct regs_buf out = REGS_BUF_INIT(0);
	struct wire_call w;
	(void)state;
	wire_call_init(&w);
	assert_int_equal(wire_put_bytes(&w, big, sizeof(big)), 0);
	assert_int_equal(wire_call_finish(&w, 1, NULL, "/a", NULL, "M", &out), 0);
	assert_true(out.len <= WIRE_MESSAGE_MAX);
	/* The body still fits, the header in front of it no longer does. */
	assert_int_equal(wire_put_u32(&w, 1), 0);
	assert_int_equal(wire_call_finish(&w, 1, NULL, "/a", NULL, "M", &out), -1);
	wire_call_free(&w);
	regs_buf_free(&out);
}

/* ---- Made by libdbus and jeepney */

static void check_uuu(const uint8_t *data, size_t len, int big)
{
	struct wire_msg m;
	struct wire_iter it;
	assert_int_equal(wire_message_length(data, len), len);
	assert_int_equal(wire_parse(data, len, &m), 0);
	assert_int_equal(m.type, WIRE_METHOD_RETURN);
	assert_int_equal(m.big_endian, big);
	assert_int_equal(m.serial, 9);
	assert_int_equal(m.reply_serial, 7);
	assert_string_equal(m.signature, "uuu");
	wire_iter_init(&it, &m);
	assert_int_equal(wire_next_u32(&it), 1);
	assert_int_equal(wire_next_u32(&it), 2);
	assert_int_equal(wire_next_u32(&it), 0xdeadbeef);
	assert_int_equal(wire_iter_type(&it), 0);
	assert_false(it.bad);
}

static void test_libdbus_return_uuu_read_in_both_byte_orders(void **state)
{
	(void)state;
	check_uuu(return_uuu, sizeof(return_uuu), 0);
	check_uuu(be_return_uuu, sizeof(be_return_uuu), 1);
}

static void check_error_su(const uint8_t *data, size_t len, uint32_t reply_serial)
{
	struct wire_msg m;
	struct wire_iter it;
	assert_int_equal(wire_parse(data, len, &m), 0);
	assert_int_equal(m.type, WIRE_ERROR);
	assert_int_equal(m.reply_serial, reply_serial);
	assert_string_equal(m.error_name, "tw.regs.Error.TooSoon");
	assert_string_equal(m.signature, "su");
	wire_iter_init(&it, &m);
	assert_string_equal(wire_next_string(&it), "wait \xe2\x98\x95 please");
	assert_int_equal(wire_next_u32(&it), 30);
	assert_false(it.bad);
}

static void test_libdbus_error_su_read_in_both_byte_orders(void **state)
{
	(void)state;
	check_error_su(error_su, sizeof(error_su), 7);
	check_error_su(be_error_su, sizeof(be_error_su), 3);
}

struct log_row {
	uint64_t when;
	const char *text[6];
	uint32_t n;
};

static const struct log_row log_rows[] = {
    {1700000000, {"alice", "login", "ok", "sshd", "", "otp"}, 100},
    {1700000001, {"bob", "login", "fail", "sshd", "", "card"}, 101},
};

static void check_log(const uint8_t *data, size_t len, size_t rows)
{
	struct wire_msg m;
	struct wire_iter it, array, fields;
	assert_int_equal(wire_parse(data, len, &m), 0);
	assert_string_equal(m.signature, "a(tssssssu)");
	wire_iter_init(&it, &m);
	assert_int_equal(wire_enter_array(&it, &array), rows);
	for (size_t i = 0; i < rows; i++) {
		assert_int_equal(wire_array_next(&array, &fields), 1);
		assert_true(wire_next_u64(&fields) == log_rows[i].when);
		for (int k = 0; k < 6; k++)
			assert_string_equal(wire_next_string(&fields), log_rows[i].text[k]);
		assert_int_equal(wire_next_u32(&fields), log_rows[i].n);
		assert_int_equal(wire_iter_type(&fields), 0);
		assert_false(fields.bad);
	}
	assert_int_equal(wire_array_next(&array, &fields), 0);
	assert_false(array.bad);
	assert_int_equal(wire_iter_type(&it), 0);
	assert_false(it.bad);
}

static void test_libdbus_log_page_array_of_structs_read(void **state)
{
	(void)state;
	check_log(return_log, sizeof(return_log), 2);
	check_log(be_return_log, sizeof(be_return_log), 2);
	check_log(return_log_empty, sizeof(return_log_empty), 0);
}

static void check_unknown_field_variant(const uint8_t *data, size_t len)
{
	struct wire_msg m;
	struct wire_iter it;
	assert_int_equal(wire_parse(data, len, &m), 0);
	assert_int_equal(m.reply_serial, 7);
	assert_string_equal(m.signature, "svu");
	wire_iter_init(&it, &m);
	assert_string_equal(wire_next_string(&it), "x");
	assert_int_equal(wire_iter_type(&it), 'v');
	assert_false(it.bad);
}

static void test_unknown_header_field_ignored_and_variant_checked(void **state)
{
	uint8_t copy[sizeof(unknown_field_variant)];
	struct wire_msg m;
	(void)state;
	check_unknown_field_variant(unknown_field_variant, sizeof(unknown_field_variant));
	check_unknown_field_variant(be_unknown_field_variant, sizeof(be_unknown_field_variant));
	/* The variant's "as" is checked too: its second string "bc" made "b\xff". */
	memcpy(copy, unknown_field_variant, sizeof(copy));
	assert_int_equal(copy[93], 'c');
	copy[93] = 0xff;
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
}

static void test_jeepney_big_endian_call_stbay_read(void **state)
{
	struct wire_msg m;
	struct wire_iter it;
	size_t n;
	(void)state;
	assert_int_equal(wire_parse(be_call_stbay, sizeof(be_call_stbay), &m), 0);
	assert_int_equal(m.type, WIRE_METHOD_CALL);
	assert_string_equal(m.path, "/tw/regs/Daemon1");
	assert_string_equal(m.interface, "tw.regs.Daemon1");
	assert_string_equal(m.member, "Verify");
	wire_iter_init(&it, &m);
	assert_string_equal(wire_next_string(&it), "alice");
	assert_true(wire_next_u64(&it) == UINT64_C(0x8000000000000005));
	assert_int_equal(wire_next_bool(&it), 1);
	const uint8_t *b = wire_next_bytes(&it, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(b, "\x00\x01\xff", 3);
	assert_false(it.bad);
}

/* ---- Framing */

static void test_message_length_limits(void **state)
{
	uint8_t h[16];
	(void)state;
	assert_int_equal(wire_message_length(return_uuu, sizeof(return_uuu)), sizeof(return_uuu));
	assert_int_equal(wire_message_length(return_uuu, sizeof(return_uuu) - 1), 0);
	assert_int_equal(wire_message_length(be_return_uuu, 4096), sizeof(be_return_uuu));
	memcpy(h, return_uuu, 16);
	memset(h + 4, 0xff, 4); /* body 4 GiB - 1 */
	memset(h + 12, 0xff, 4);
	assert_int_equal(wire_message_length(h, WIRE_MESSAGE_MAX), 0);
	assert_int_equal(wire_message_length(h, SIZE_MAX), UINT64_C(0xffffffff) + 0x100000010u);
	memset(h + 4, 0, 12);
	h[6] = 0x40; /* body exactly WIRE_MESSAGE_MAX: with the header one block past */
	assert_int_equal(wire_message_length(h, WIRE_MESSAGE_MAX), 0);
	assert_int_equal(wire_message_length(h, WIRE_MESSAGE_MAX + 16), WIRE_MESSAGE_MAX + 16);
}

static void test_R12_6_wrong_endianness_byte_refused(void **state)
{
	uint8_t copy[sizeof(return_uuu)];
	struct wire_msg m;
	(void)state;
	memcpy(copy, return_uuu, sizeof(copy));
	copy[0] = 'b';
	assert_int_equal(wire_message_length(copy, sizeof(copy)), 0);
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
	copy[0] = 'B'; /* the right letter for the other order: the lengths no longer add up */
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
}

static void test_R12_6_protocol_version_other_than_1_refused(void **state)
{
	uint8_t copy[sizeof(return_uuu)];
	struct wire_msg m;
	(void)state;
	memcpy(copy, return_uuu, sizeof(copy));
	for (int v = 0; v < 256; v++) {
		if (v == 1)
			continue;
		copy[3] = (uint8_t)v;
		assert_int_equal(wire_message_length(copy, sizeof(copy)), 0);
		assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
	}
}

static void test_R12_6_serial_0_refused(void **state)
{
	uint8_t copy[sizeof(return_uuu)];
	struct wire_msg m;
	(void)state;
	memcpy(copy, return_uuu, sizeof(copy));
	memset(copy + 8, 0, 4);
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
}

static void test_R12_6_body_length_mismatch_refused(void **state)
{
	uint8_t copy[sizeof(return_uuu) + 4];
	struct wire_msg m;
	(void)state;
	memcpy(copy, return_uuu, sizeof(return_uuu));
	memset(copy + sizeof(return_uuu), 0, 4);
	assert_int_equal(wire_parse(copy, sizeof(return_uuu) - 1, &m), -1);
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1); /* bytes past the message */
	copy[4] = 16; /* the header says 16, the signature "uuu" holds 12 */
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
	copy[4] = 8; /* and 8: the third u runs past the body */
	assert_int_equal(wire_parse(copy, sizeof(return_uuu) - 4, &m), -1);
	assert_int_equal(wire_parse(copy, 15, &m), -1); /* shorter than a fixed header */
}

static void test_R12_6_non_zero_padding_refused(void **state)
{
	static const uint8_t yu_ok[] = {1, 0, 0, 0, 5, 0, 0, 0};
	static const uint8_t yu_bad[] = {1, 0, 1, 0, 5, 0, 0, 0};
	uint8_t copy[sizeof(return_uuu)];
	struct wire_msg m;
	(void)state;
	assert_int_equal(parse_reply("yu", yu_ok, sizeof(yu_ok)), 0);
	assert_int_equal(parse_reply("yu", yu_bad, sizeof(yu_bad)), -1);
	memcpy(copy, return_uuu, sizeof(copy));
	assert_int_equal(copy[36], 0); /* between the header fields and the body */
	copy[36] = 1;
	assert_int_equal(wire_parse(copy, sizeof(copy), &m), -1);
}

static void test_R12_6_strings_must_be_utf8_ending_in_their_nul(void **state)
{
	static const uint8_t ok[] = {3, 0, 0, 0, 'a', 'b', 'c', 0};
	static const uint8_t no_nul[] = {3, 0, 0, 0, 'a', 'b', 'c', 'd'};
	static const uint8_t inner_nul[] = {3, 0, 0, 0, 'a', 0, 'c', 0};
	static const uint8_t overlong[] = {2, 0, 0, 0, 0xc0, 0xaf, 0};
	static const uint8_t surrogate[] = {3, 0, 0, 0, 0xed, 0xa0, 0x80, 0};
	static const uint8_t cut[] = {2, 0, 0, 0, 'a', 0xc3, 0};
	static const uint8_t past_end[] = {9, 0, 0, 0, 'a', 'b', 'c', 0};
	(void)state;
	assert_int_equal(parse_reply("s", ok, sizeof(ok)), 0);
	assert_int_equal(parse_reply("s", no_nul, sizeof(no_nul)), -1);
	assert_int_equal(parse_reply("s", inner_nul, sizeof(inner_nul)), -1);
	assert_int_equal(parse_reply("s", overlong, sizeof(overlong)), -1);
	assert_int_equal(parse_reply("s", surrogate, sizeof(surrogate)), -1);
	assert_int_equal(parse_reply("s", cut, sizeof(cut)), -1);
	assert_int_equal(parse_reply("s", past_end, sizeof(past_end)), -1);
}

static void test_R12_6_object_paths_and_signatures_checked(void **state)
{
	static const uint8_t path_ok[] = {4, 0, 0, 0, '/', 'a', '_', '1', 0};
	static const uint8_t path_bad[] = {4, 0, 0, 0, '/', 'a', '/', '/', 0};
	static const uint8_t path_rel[] = {1, 0, 0, 0, 'a', 0};
	static const uint8_t sig_ok[] = {2, 'a', 'y', 0};
	static const uint8_t sig_bad[] = {1, 'a', 0};
	(void)state;
	assert_int_equal(parse_reply("o", path_ok, sizeof(path_ok)), 0);
	assert_int_equal(parse_reply("o", path_bad, sizeof(path_bad)), -1);
	assert_int_equal(parse_reply("o", path_rel, sizeof(path_rel)), -1);
	assert_int_equal(parse_reply("g", sig_ok, sizeof(sig_ok)), 0);
	assert_int_equal(parse_reply("g", sig_bad, sizeof(sig_bad)), -1);
}

static void test_R12_6_boolean_other_than_0_or_1_refused(void **state)
{
	static const uint8_t one[] = {1, 0, 0, 0}, two[] = {2, 0, 0, 0}, high[] = {0, 0, 0, 1};
	(void)state;
	assert_int_equal(parse_reply("b", one, sizeof(one)), 0);
	assert_int_equal(parse_reply("b", two, sizeof(two)), -1);
	assert_int_equal(parse_reply("b", high, sizeof(high)), -1);
}

static void test_R12_6_array_length_past_the_end_refused(void **state)
{
	static const uint8_t ay_ok[] = {3, 0, 0, 0, 1, 2, 3};
	static const uint8_t ay_past[] = {4, 0, 0, 0, 1, 2, 3};
	static const uint8_t ay_huge[] = {0xfc, 0xff, 0xff, 0xff, 1, 2, 3};
	static const uint8_t au_split[] = {6, 0, 0, 0, 1, 0, 0, 0, 2, 0}; /* 1.5 elements */
	static const uint8_t at_empty[] = {0, 0, 0, 0, 0, 0, 0, 0};       /* padded to the t */
	static const uint8_t at_unpadded[] = {0, 0, 0, 0};
	(void)state;
	assert_int_equal(parse_reply("ay", ay_ok, sizeof(ay_ok)), 0);
	assert_int_equal(parse_reply("ay", ay_past, sizeof(ay_past)), -1);
	assert_int_equal(parse_reply("ay", ay_huge, sizeof(ay_huge)), -1);
	assert_int_equal(parse_reply("au", au_split, sizeof(au_split)), -1);
	assert_int_equal(parse_reply("at", at_empty, sizeof(at_empty)), 0);
	assert_int_equal(parse_reply("at", at_unpadded, sizeof(at_unpadded)), -1);
}

static void test_R12_6_invalid_signatures_refused(void **state)
{
	static const char *const bad[] = {"a",      "(",   "()", ")",  "a{vs}", "{su}",    "a{s}",
	                                  "a{sss}", "a{}", "z",  "(u", "u)",    "a{(u)s}", "v{"};
	static const char *const good[] = {"", "u", "a{sv}", "a(tssssssu)", "(yv)", "aay", "vv"};
	char deep[80];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(wire_signature_valid(bad[i]));
		assert_int_equal(parse_reply(bad[i], "", 0), -1); /* in the SIGNATURE field */
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(wire_signature_valid(good[i]));
	memset(deep, 'a', 32);
	strcpy(deep + 32, "y");
	assert_true(wire_signature_valid(deep));
	memset(deep, 'a', 33);
	strcpy(deep + 33, "y");
	assert_false(wire_signature_valid(deep));
	memset(deep, '(', 32);
	deep[32] = 'y';
	memset(deep + 33, ')', 32);
	deep[65] = '\0';
	assert_true(wire_signature_valid(deep));
	memset(deep, '(', 33);
	deep[33] = 'y';
	memset(deep + 34, ')', 33);
	deep[67] = '\0';
	assert_false(wire_signature_valid(deep));
}

static void test_R12_6_signature_longer_than_255_refused(void **state)
{
	char sig[257];
	(void)state;
	memset(sig, 'y', 255);
	sig[255] = '\0';
	assert_true(wire_signature_valid(sig));
	sig[255] = 'y';
	sig[256] = '\0';
	assert_false(wire_signature_valid(sig));
}

/* A body of variants nested depth deep around one byte. */
static size_t nested_variants(uint8_t *body, int depth)
{
	size_t n = 0;
	for (int i = 0; i < depth; i++) {
		body[n++] = 1;
		body[n++] = 'v';
		body[n++] = 0;
	}
	body[n++] = 1;
	body[n++] = 'y';
	body[n++] = 0;
	body[n++] = 7;
	return n;
}

static void test_R12_6_variants_nested_too_deep_refused(void **state)
{
	static const uint8_t two_types[] = {2, 'u', 'u', 0, 1, 0, 0, 0, 2, 0, 0, 0};
	static const uint8_t no_type[] = {0, 0};
	static const uint8_t entry[] = {4, '{', 'y', 'y', '}', 0, 0, 0, 1, 2};
	uint8_t body[200];
	(void)state;
	assert_int_equal(parse_reply("v", body, nested_variants(body, 8)), 0);
	assert_int_equal(parse_reply("v", body, nested_variants(body, 40)), -1);
	assert_int_equal(parse_reply("v", two_types, sizeof(two_types)), -1);
	assert_int_equal(parse_reply("v", no_type, sizeof(no_type)), -1);
	assert_int_equal(parse_reply("v", entry, sizeof(entry)), -1);
}

static void test_R12_6_header_field_of_the_wrong_type_refused(void **state)
{
	struct raw m;
	(void)state;
	raw_begin(&m, WIRE_METHOD_RETURN);
	raw_field_text(&m, 5, 's', "1"); /* REPLY_SERIAL as a string */
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_METHOD_CALL);
	raw_field_text(&m, 1, 's', "/a"); /* PATH as a string, not an object path */
	raw_field_text(&m, 3, 's', "M");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_METHOD_CALL);
	raw_field_text(&m, 1, 'o', "/a");
	raw_field_text(&m, 3, 'o', "/M"); /* MEMBER as an object path */
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_METHOD_CALL);
	raw_field_text(&m, 1, 'o', "/a");
	raw_field_text(&m, 3, 's', "M");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), 0); /* the same with the right types */
}

static void test_R12_6_header_field_code_0_or_path_invalid_refused(void **state)
{
	struct raw m;
	(void)state;
	raw_begin(&m, WIRE_METHOD_RETURN);
	raw_field_u32(&m, 5, 1);
	raw_field_u32(&m, 0, 1);
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_METHOD_CALL);
	raw_field_text(&m, 1, 'o', "/a/");
	raw_field_text(&m, 3, 's', "M");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
}

static void test_R12_6_unix_fds_refused(void **state)
{
	static const uint8_t fd[] = {0, 0, 0, 0};
	struct raw m;
	(void)state;
	raw_begin(&m, WIRE_METHOD_RETURN);
	raw_field_u32(&m, 5, 1);
	raw_field_u32(&m, 9, 0);
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), 0); /* UNIX_FDS 0: none */
	raw_begin(&m, WIRE_METHOD_RETURN);
	raw_field_u32(&m, 5, 1);
	raw_field_u32(&m, 9, 1);
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	assert_int_equal(parse_reply("h", fd, sizeof(fd)), -1);
}

static void test_R12_6_required_header_fields_missing_refused(void **state)
{
	struct raw m;
	(void)state;
	raw_begin(&m, WIRE_METHOD_RETURN); /* no REPLY_SERIAL */
	raw_field_text(&m, 8, 'g', "");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_ERROR); /* no ERROR_NAME */
	raw_field_u32(&m, 5, 1);
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_ERROR);
	raw_field_u32(&m, 5, 1);
	raw_field_text(&m, 4, 's', "tw.regs.Error.Failed");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), 0);
	raw_begin(&m, WIRE_METHOD_CALL); /* no MEMBER */
	raw_field_text(&m, 1, 'o', "/a");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
	raw_begin(&m, WIRE_SIGNAL); /* no INTERFACE */
	raw_field_text(&m, 1, 'o', "/a");
	raw_field_text(&m, 3, 's', "M");
	raw_body(&m, "", 0);
	assert_int_equal(parse_raw(&m), -1);
}

/* ---- Reading: a wrong read marks the iterator bad and returns defaults */

static void parse_vector(const uint8_t *data, size_t len, struct wire_iter *it)
{
	struct wire_msg m;
	assert_int_equal(wire_parse(data, len, &m), 0);
	wire_iter_init(it, &m);
}

static void test_iterator_wrong_type_marks_bad_and_returns_defaults(void **state)
{
	struct wire_iter it, array;
	size_t n = 5;
	(void)state;
	parse_vector(return_uuu, sizeof(return_uuu), &it);
	assert_string_equal(wire_next_string(&it), "");
	assert_true(it.bad);
	assert_int_equal(wire_next_u32(&it), 0); /* the right type now, but bad stays bad */
	parse_vector(return_uuu, sizeof(return_uuu), &it);
	assert_true(wire_next_u64(&it) == 0);
	assert_true(it.bad);
	parse_vector(return_uuu, sizeof(return_uuu), &it);
	assert_int_equal(wire_next_bool(&it), 0);
	assert_true(it.bad);
	parse_vector(return_uuu, sizeof(return_uuu), &it);
	assert_null(wire_next_bytes(&it, &n));
	assert_int_equal(n, 0);
	assert_true(it.bad);
	parse_vector(return_uuu, sizeof(return_uuu), &it);
	assert_int_equal(wire_enter_array(&it, &array), 0);
	assert_true(it.bad);
	assert_true(array.bad);
}

static void test_iterator_past_the_end_marks_bad(void **state)
{
	struct wire_iter it, array, fields;
	(void)state;
	parse_vector(return_uuu, sizeof(return_uuu), &it);
	for (int i = 0; i < 3; i++)
		wire_next_u32(&it);
	assert_false(it.bad);
	assert_int_equal(wire_next_u32(&it), 0);
	assert_true(it.bad);
	parse_vector(error_su, sizeof(error_su), &it);
	assert_int_equal(wire_next_u32(&it), 0); /* a u where the s is */
	assert_true(it.bad);
	parse_vector(return_log, sizeof(return_log), &it);
	assert_int_equal(wire_enter_array(&it, &array), 2);
	assert_int_equal(wire_array_next(&array, &fields), 1);
	assert_string_equal(wire_next_string(&fields), ""); /* an s where the t is */
	assert_true(fields.bad);
	assert_int_equal(wire_array_next(&array, &fields), 1); /* the array reads on */
	assert_true(wire_next_u64(&fields) == 1700000001);
	assert_string_equal(wire_next_string(&fields), "bob");
	assert_false(fields.bad);
}

static void test_iterator_array_of_bytes_has_no_struct_elements(void **state)
{
	struct wire_iter it, array, fields;
	(void)state;
	parse_vector(be_call_stbay, sizeof(be_call_stbay), &it);
	wire_next_string(&it);
	wire_next_u64(&it);
	wire_next_bool(&it);
	assert_int_equal(wire_enter_array(&it, &array), 3);
	assert_int_equal(wire_array_next(&array, &fields), 0);
	assert_true(fields.bad);
	assert_false(it.bad);
	assert_int_equal(wire_iter_type(&it), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_s_u_t_b_ay_round_trip),
	    cmocka_unit_test(test_unknown_message_type_is_passed_over_type_0_refused),
	    cmocka_unit_test(test_call_without_destination_or_arguments),
	    cmocka_unit_test(test_call_refuses_what_cannot_go_on_the_wire),
	    cmocka_unit_test(test_call_longer_than_the_maximum_refused),
	    cmocka_unit_test(test_libdbus_return_uuu_read_in_both_byte_orders),
	    cmocka_unit_test(test_libdbus_error_su_read_in_both_byte_orders),
	    cmocka_unit_test(test_libdbus_log_page_array_of_structs_read),
	    cmocka_unit_test(test_unknown_header_field_ignored_and_variant_checked),
	    cmocka_unit_test(test_jeepney_big_endian_call_stbay_read),
	    cmocka_unit_test(test_message_length_limits),
	    cmocka_unit_test(test_R12_6_wrong_endianness_byte_refused),
	    cmocka_unit_test(test_R12_6_protocol_version_other_than_1_refused),
	    cmocka_unit_test(test_R12_6_serial_0_refused),
	    cmocka_unit_test(test_R12_6_body_length_mismatch_refused),
	    cmocka_unit_test(test_R12_6_non_zero_padding_refused),
	    cmocka_unit_test(test_R12_6_strings_must_be_utf8_ending_in_their_nul),
	    cmocka_unit_test(test_R12_6_object_paths_and_signatures_checked),
	    cmocka_unit_test(test_R12_6_boolean_other_than_0_or_1_refused),
	    cmocka_unit_test(test_R12_6_array_length_past_the_end_refused),
	    cmocka_unit_test(test_R12_6_invalid_signatures_refused),
	    cmocka_unit_test(test_R12_6_signature_longer_than_255_refused),
	    cmocka_unit_test(test_R12_6_variants_nested_too_deep_refused),
	    cmocka_unit_test(test_R12_6_header_field_of_the_wrong_type_refused),
	    cmocka_unit_test(test_R12_6_header_field_code_0_or_path_invalid_refused),
	    cmocka_unit_test(test_R12_6_unix_fds_refused),
	    cmocka_unit_test(test_R12_6_required_header_fields_missing_refused),
	    cmocka_unit_test(test_iterator_wrong_type_marks_bad_and_returns_defaults),
	    cmocka_unit_test(test_iterator_past_the_end_marks_bad),
	    cmocka_unit_test(test_iterator_array_of_bytes_has_no_struct_elements),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
