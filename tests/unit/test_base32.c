/* Unit tests for RFC 4648 base32 encoding and decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "otp/base32.h"

struct base32_vector {
	const char *plain;
	const char *encoded;
};

/* RFC 4648 section 10, without the padding our encoder leaves off. */
static const struct base32_vector rfc4648_vectors[] = {
    {"", ""},
    {"f", "MY"},
    {"fo", "MZXQ"},
    {"foo", "MZXW6"},
    {"foob", "MZXW6YQ"},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI"},
};

static void test_base32_rfc4648_vectors_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]); i++) {
		const struct base32_vector *v = &rfc4648_vectors[i];
		char out[32];
		size_t len = strlen(v->plain);
		assert_int_equal(base32_encoded_size(len), strlen(v->encoded) + 1);
		assert_int_equal(base32_encode((const uint8_t *)v->plain, len, out, sizeof(out)),
		                 REGS_OK);
		assert_string_equal(out, v->encoded);
	}
}

static void test_base32_rfc4648_vectors_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648_vectors) / sizeof(rfc4648_vectors[0]); i++) {
		const struct base32_vector *v = &rfc4648_vectors[i];
		uint8_t out[32];
		size_t outlen = 99;
		assert_int_equal(base32_decode(v->encoded, out, sizeof(out), &outlen), REGS_OK);
		assert_int_equal(outlen, strlen(v->plain));
		assert_memory_equal(out, v->plain, outlen);
	}
}

static void test_base32_decode_accepts_padding_lower_case_and_spaces(void **state)
{
	(void)state;
	static const char *const forms[] = {"MZXW6YQ=", "mzxw6yq", "MZXW 6YQ",
	                                    "mzXW6yq=  ", "MZXW6YQ========"};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint8_t out[16];
		size_t outlen = 0;
		assert_int_equal(base32_decode(forms[i], out, sizeof(out), &outlen), REGS_OK);
		assert_int_equal(outlen, 4);
		assert_memory_equal(out, "foob", 4);
	}
}

static void test_base32_decode_rejects_bad_input(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "MZXW1YQ",  /* '1' is not in the alphabet */
	    "MZXW0YQ",  /* nor is '0' */
	    "MZXW8YQ",  /* nor is '8' */
	    "M",        /* 5 bits cannot be a byte */
	    "MZX",      /* 15 bits: one byte plus 7 stray bits */
	    "MZXW6Y",   /* 30 bits: three bytes plus 6 stray bits */
	    "MZ=XW",    /* data after padding */
	    "MZXW-6YQ", /* punctuation */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t out[16];
		size_t outlen = 0;
		assert_int_equal(base32_decode(bad[i], out, sizeof(out), &outlen),
		                 REGS_ERR_INVALID);
	}
}

static void test_base32_buffers_too_small_refused(void **state)
{
	(void)state;
	char enc[10];
	uint8_t dec[5];
	size_t outlen = 0;
	assert_int_equal(base32_encode((const uint8_t *)"foobar", 6, enc, sizeof(enc)),
	                 REGS_ERR_INVALID);
	assert_int_equal(base32_decode("MZXW6YTBOI", dec, sizeof(dec), &outlen), REGS_ERR_INVALID);
}

static void test_base32_roundtrip_totp_secret(void **state)
{
	(void)state;
	uint8_t secret[20];
	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 37 + 11);
	char enc[64];
	assert_int_equal(base32_encoded_size(sizeof(secret)), 33);
	assert_int_equal(base32_encode(secret, sizeof(secret), enc, sizeof(enc)), REGS_OK);
	assert_int_equal(strlen(enc), 32);
	assert_null(strchr(enc, '='));
	uint8_t back[20];
	size_t outlen = 0;
	assert_int_equal(base32_decode(enc, back, sizeof(back), &outlen), REGS_OK);
	assert_int_equal(outlen, sizeof(secret));
	assert_memory_equal(back, secret, sizeof(secret));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base32_rfc4648_vectors_encode),
	    cmocka_unit_test(test_base32_rfc4648_vectors_decode),
	    cmocka_unit_test(test_base32_decode_accepts_padding_lower_case_and_spaces),
	    cmocka_unit_test(test_base32_decode_rejects_bad_input),
	    cmocka_unit_test(test_base32_buffers_too_small_refused),
	    cmocka_unit_test(test_base32_roundtrip_totp_secret),
	};
	return cmocka_run_group_tests_name("base32", tests, NULL, NULL);
}
