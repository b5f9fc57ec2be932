/* Unit tests for lib/base/base64.c: the strict decoder of mobile-ID keys, tickets, certificates
 * and signatures (R4.5) and of ID tokens (R5.5), and the encoder of mail and SSH keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/base64.h"

#define JWS (BASE64_URL | BASE64_NO_PADDING | BASE64_CANONICAL)

/* Decodes s with flags into a buffer of cap bytes; the length, or -1 with err set. */
static long decode(const char *s, unsigned flags, size_t cap, uint8_t *out, enum regs_err *err)
{
	size_t n = 0;
	*err = base64_decode(s, strlen(s), flags, out, cap, &n);
	return *err == REGS_OK ? (long)n : -1;
}

static void test_rfc4648_vectors_round_trip(void **state)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char enc[BASE64_ENCODED_SIZE(6)];
		uint8_t dec[8];
		enum regs_err err;
		size_t n = strlen(plain[i]);
		assert_int_equal(base64_encode((const uint8_t *)plain[i], n, enc),
		                 strlen(coded[i]));
		assert_string_equal(enc, coded[i]);
		assert_int_equal(decode(coded[i], 0, sizeof(dec), dec, &err), (long)n);
		assert_memory_equal(dec, plain[i], n);
	}
}

static void test_padding_optional_unless_refused(void **state)
{
	uint8_t out[8];
	enum regs_err err;
	(void)state;
	assert_int_equal(decode("Zg", 0, sizeof(out), out, &err), 1);
	assert_int_equal(decode("Zm8", 0, sizeof(out), out, &err), 2);
	assert_int_equal(decode("Zg", JWS, sizeof(out), out, &err), 1);
	assert_int_equal(decode("Zg==", JWS, sizeof(out), out, &err), -1);
	assert_int_equal(err, REGS_ERR_INVALID);
}

static void test_bad_padding_refused(void **state)
{
	static const char *const bad[] = {"Zg=", "Zm9=v", "Z===", "Zg===", "=", "==", "Zm9v=", "Z"};
	uint8_t out[8];
	enum regs_err err;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode(bad[i], 0, sizeof(out), out, &err), -1);
		assert_int_equal(err, REGS_ERR_INVALID);
		assert_false(base64_well_formed(bad[i], strlen(bad[i]), 0));
	}
}

static void test_characters_outside_the_alphabet_refused(void **state)
{
	static const char *const bad[] = {"Zm 9", "Zm9\n", "Zm.v", "Zm9\x80", "Zm\0v"};
	uint8_t out[8];
	size_t n = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(base64_decode(bad[i], 4, 0, out, sizeof(out), &n),
		                 REGS_ERR_INVALID);
	/* each alphabet refuses the other's two characters */
	assert_int_equal(base64_decode("-_-_", 4, 0, out, sizeof(out), &n), REGS_ERR_INVALID);
	assert_int_equal(base64_decode("+/+/", 4, BASE64_URL, out, sizeof(out), &n),
	                 REGS_ERR_INVALID);
	assert_int_equal(base64_decode("-_-_", 4, BASE64_URL, out, sizeof(out), &n), REGS_OK);
	assert_int_equal(base64_decode("+/+/", 4, 0, out, sizeof(out), &n), REGS_OK);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
}

static void test_canonical_refuses_set_unused_bits(void **state)
{
	uint8_t out[8];
	enum regs_err err;
	(void)state;
	assert_int_equal(decode("Zh", 0, sizeof(out), out, &err), 1); /* lenient: "f" */
	assert_int_equal(out[0], 'f');
	assert_int_equal(decode("Zh", JWS, sizeof(out), out, &err), -1);
	assert_int_equal(err, REGS_ERR_INVALID);
	assert_int_equal(decode("Zm9", JWS, sizeof(out), out, &err), -1);
	assert_int_equal(decode("Zm8", JWS, sizeof(out), out, &err), 2);
}

static void test_overflow_refused_without_writing(void **state)
{
	uint8_t out[4] = {0xaa, 0xaa, 0xaa, 0xaa};
	enum regs_err err;
	(void)state;
	assert_int_equal(decode("Zm9vYg==", 0, 3, out, &err), -1);
	assert_int_equal(err, REGS_ERR_FULL);
	assert_memory_equal(out, "\xaa\xaa\xaa\xaa", 4);
	assert_int_equal(decode("Zm9v", 0, 3, out, &err), 3);
	assert_int_equal(decode("", 0, 0, NULL, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4648_vectors_round_trip),
	    cmocka_unit_test(test_padding_optional_unless_refused),
	    cmocka_unit_test(test_bad_padding_refused),
	    cmocka_unit_test(test_characters_outside_the_alphabet_refused),
	    cmocka_unit_test(test_canonical_refuses_set_unused_bits),
	    cmocka_unit_test(test_overflow_refused_without_writing),
	};
	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
