/* Unit tests for the DER reader (lib/base/der.c) that the CRL and the card's files are read with:
 * nothing is read past the bytes given, whatever the lengths say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/der.h"

static void test_der_short_form_tlv_read(void **state)
{
	static const uint8_t buf[] = {0x02, 0x02, 0x01, 0x00, 0x05, 0x00};
	struct der_reader r = der_reader_of(buf, sizeof(buf));
	struct der_item it;
	(void)state;
	assert_int_equal(der_peek(&r), DER_INTEGER);
	assert_int_equal(der_next(&r, &it), DER_OK);
	assert_int_equal(it.tag, DER_INTEGER);
	assert_ptr_equal(it.tlv, buf);
	assert_int_equal(it.tlv_len, 4);
	assert_ptr_equal(it.value, buf + 2);
	assert_int_equal(it.len, 2);
	assert_int_equal(der_left(&r), 2);
	assert_int_equal(der_read(&r, &it), 0); /* NULL: an empty value */
	assert_int_equal(it.len, 0);
	assert_int_equal(der_left(&r), 0);
	assert_int_equal(der_peek(&r), -1);
	assert_int_equal(der_next(&r, &it), DER_TRUNCATED);
}

static void test_der_long_form_lengths(void **state)
{
	uint8_t buf[3 + 300];
	struct der_reader r;
	struct der_item it;
	(void)state;
	memset(buf, 0xAB, sizeof(buf));
	buf[0] = DER_OCTET_STRING;
	buf[1] = 0x81; /* one length byte */
	buf[2] = 0x80;
	r = der_reader_of(buf, 3 + 0x80);
	assert_int_equal(der_next(&r, &it), DER_OK);
	assert_int_equal(it.len, 0x80);
	assert_int_equal(it.tlv_len, 3 + 0x80);
	buf[1] = 0x82; /* two: 0x012C = 300 */
	buf[2] = 0x01;
	buf[3] = 0x2C;
	r = der_reader_of(buf, 4 + 300 - 1);
	assert_int_equal(der_next(&r, &it), DER_TRUNCATED);
	uint8_t big[4 + 300];
	memset(big, 0xCD, sizeof(big));
	memcpy(big, buf, 4);
	r = der_reader_of(big, sizeof(big));
	assert_int_equal(der_next(&r, &it), DER_OK);
	assert_int_equal(it.len, 300);
	assert_ptr_equal(it.value, big + 4);
	/* A long form where the short one would do is taken as it is (the card writes them). */
	static const uint8_t padded[] = {0x04, 0x83, 0x00, 0x00, 0x01, 0x7F};
	r = der_reader_of(padded, sizeof(padded));
	assert_int_equal(der_next(&r, &it), DER_OK);
	assert_int_equal(it.len, 1);
	assert_int_equal(it.value[0], 0x7F);
}

static void test_der_truncated_lengths_leave_the_reader_alone(void **state)
{
	static const uint8_t cases[][4] = {
	    {0x30},                   /* a tag alone */
	    {0x30, 0x82, 0x01},       /* half of the length bytes */
	    {0x30, 0x03, 0x01, 0x02}, /* the value cut short */
	    {0x30, 0x81},             /* no length byte after 0x81 */
	};
	static const size_t lens[] = {1, 3, 4, 2};
	struct der_item it = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct der_reader r = der_reader_of(cases[i], lens[i]);
		assert_int_equal(der_next(&r, &it), DER_TRUNCATED);
		assert_ptr_equal(r.p, cases[i]);
		assert_null(it.tlv);
		assert_int_equal(der_read(&r, &it), -1);
	}
	struct der_reader empty = der_reader_of(NULL, 0);
	assert_int_equal(der_next(&empty, &it), DER_TRUNCATED);
}

static void test_der_indefinite_length_refused(void **state)
{
	static const uint8_t buf[] = {0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00};
	struct der_reader r = der_reader_of(buf, sizeof(buf));
	struct der_item it;
	(void)state;
	assert_int_equal(der_next(&r, &it), DER_MALFORMED);
	assert_ptr_equal(r.p, buf);
	assert_int_equal(der_read_whole(buf, sizeof(buf), &it), DER_MALFORMED);
}

static void test_der_high_tag_numbers_refused(void **state)
{
	static const uint8_t buf[] = {0x1F, 0x22, 0x01, 0x00};
	struct der_reader r = der_reader_of(buf, sizeof(buf));
	struct der_item it;
	(void)state;
	assert_int_equal(der_next(&r, &it), DER_MALFORMED);
}

static void test_der_length_overflow_refused(void **state)
{
	/* 4 GiB - 1 claimed by four length bytes, 2 present: cut off, not wrapped around. */
	static const uint8_t huge[] = {0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00};
	/* Five and more length bytes could overflow a size_t: refused before they are read. */
	static const uint8_t five[] = {0x04, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
	static const uint8_t many[] = {0x04, 0xFF, 0x00, 0x00};
	/* A caller's bound: three length bytes where it takes two. */
	static const uint8_t three[] = {0x04, 0x83, 0x00, 0x00, 0x01, 0x00};
	struct der_item it;
	struct der_reader r;
	(void)state;
	r = der_reader_of(huge, sizeof(huge));
	assert_int_equal(der_next(&r, &it), DER_TRUNCATED);
	r = der_reader_of(five, sizeof(five));
	assert_int_equal(der_next(&r, &it), DER_MALFORMED);
	r = der_reader_of(many, sizeof(many));
	assert_int_equal(der_next(&r, &it), DER_MALFORMED);
	r = der_reader_of(three, sizeof(three));
	assert_int_equal(der_next_bounded(&r, &it, 2), DER_MALFORMED);
	assert_int_equal(der_next_bounded(&r, &it, 3), DER_OK);
	r = der_reader_of(five, sizeof(five));
	assert_int_equal(der_next_bounded(&r, &it, 8), DER_MALFORMED); /* never above the max */
}

static void test_der_nested_tlv_read_within_parent(void **state)
{
	/* SEQUENCE { INTEGER 5, SEQUENCE { OCTET STRING "ab" } } */
	static const uint8_t buf[] = {0x30, 0x09, 0x02, 0x01, 0x05, 0x30,
	                              0x04, 0x04, 0x02, 0x61, 0x62};
	struct der_item outer, num, inner, str;
	(void)state;
	assert_int_equal(der_read_whole(buf, sizeof(buf), &outer), DER_OK);
	struct der_reader r = der_inside(&outer);
	assert_int_equal(der_expect(&r, DER_INTEGER, &num), 0);
	assert_int_equal(num.value[0], 5);
	assert_int_equal(der_expect(&r, DER_OCTET_STRING, &inner), -1); /* a SEQUENCE */
	r = der_inside(&outer);
	assert_int_equal(der_read(&r, &num), 0);
	assert_int_equal(der_expect(&r, DER_SEQUENCE, &inner), 0);
	assert_int_equal(der_left(&r), 0);
	struct der_reader in = der_inside(&inner);
	assert_int_equal(der_expect(&in, DER_OCTET_STRING, &str), 0);
	assert_memory_equal(str.value, "ab", 2);
	assert_int_equal(der_left(&in), 0);
}

static void test_der_child_cannot_reach_past_its_parent(void **state)
{
	/* The outer SEQUENCE holds 3 bytes; its child claims 4, which the buffer has. */
	static const uint8_t buf[] = {0x30, 0x03, 0x04, 0x04, 0x61, 0x62, 0x63};
	struct der_reader r = der_reader_of(buf, sizeof(buf));
	struct der_item outer, child;
	(void)state;
	assert_int_equal(der_next(&r, &outer), DER_OK);
	struct der_reader in = der_inside(&outer);
	assert_int_equal(der_next(&in, &child), DER_TRUNCATED);
}

static void test_der_trailing_bytes_refused_by_read_whole(void **state)
{
	static const uint8_t buf[] = {0x30, 0x03, 0x02, 0x01, 0x05, 0x00};
	struct der_item it;
	(void)state;
	assert_int_equal(der_read_whole(buf, sizeof(buf) - 1, &it), DER_OK);
	assert_int_equal(it.tlv_len, sizeof(buf) - 1);
	assert_int_equal(der_read_whole(buf, sizeof(buf), &it), DER_MALFORMED);
	assert_int_equal(der_read_whole(buf, sizeof(buf) - 2, &it), DER_TRUNCATED);
	/* A reader that is not asked for the whole may leave the rest (a padded slot). */
	struct der_reader r = der_reader_of(buf, sizeof(buf));
	assert_int_equal(der_next(&r, &it), DER_OK);
	assert_int_equal(der_left(&r), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_der_short_form_tlv_read),
	    cmocka_unit_test(test_der_long_form_lengths),
	    cmocka_unit_test(test_der_truncated_lengths_leave_the_reader_alone),
	    cmocka_unit_test(test_der_indefinite_length_refused),
	    cmocka_unit_test(test_der_high_tag_numbers_refused),
	    cmocka_unit_test(test_der_length_overflow_refused),
	    cmocka_unit_test(test_der_nested_tlv_read_within_parent),
	    cmocka_unit_test(test_der_child_cannot_reach_past_its_parent),
	    cmocka_unit_test(test_der_trailing_bytes_refused_by_read_whole),
	};
	return cmocka_run_group_tests_name("der", tests, NULL, NULL);
}
