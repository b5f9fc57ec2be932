/* Unit tests for the protected VERIFY of the HiCOS profile (R3.3): PIN format, and the wrapping
 * checked against openssl enc output and an independent block-by-block computation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <string.h>

#include "card/pinwrap.h"

/* Produced with openssl(1), step by step as docs/hicos-card.md describes (it also matches the
 * trace of the official middleware published by the openhicos project):
 *   K=$(printf CHTTL8f0HiCardV2 | xxd -p); IV=CA4F8C063BBBFA3E
 *   printf '60356035\xff\xff' > pin
 *   MAC=$(openssl enc -des-ede-cbc -K $K -iv $IV -in pin | tail -c 8)
 *   (cat pin; printf '%s' "$MAC") | openssl enc -des-ede-cbc -K $K -iv $IV | xxd -p */
static const uint8_t vector_iv[8] = {0xCA, 0x4F, 0x8C, 0x06, 0x3B, 0xBB, 0xFA, 0x3E};
static const uint8_t vector_c[24] = {0x6C, 0xDD, 0xAF, 0x7D, 0x1A, 0x58, 0x8F, 0x3B,
                                     0x02, 0x08, 0xAB, 0x52, 0x12, 0xA0, 0x54, 0x44,
                                     0xBE, 0x30, 0xEC, 0x53, 0xD0, 0xB0, 0x16, 0x7C};

static void test_R3_3_verify_apdu_matches_openssl_enc_vector(void **state)
{
	uint8_t apdu[PINWRAP_APDU_LEN];

	assert_int_equal(pinwrap_verify_apdu("60356035", pinwrap_key_primary, vector_iv, apdu),
	                 REGS_OK);
	assert_memory_equal(apdu, "\x8C\x20\x00\x01\x20", 5);
	assert_memory_equal(apdu + 5, vector_iv, 8);
	assert_memory_equal(apdu + 13, vector_c, 24);
}

/* One 3DES (2-key EDE) block encryption: ECB without padding. */
static void encrypt_block(const uint8_t key[16], const uint8_t in[8], uint8_t out[8])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_des_ede_ecb(), NULL, key, NULL), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, in, 8), 1);
	assert_int_equal(n, 8);
	EVP_CIPHER_CTX_free(ctx);
}

/* CBC by hand over blocks that are already padded; returns the last block in last. */
static void cbc_by_hand(const uint8_t key[16], const uint8_t iv[8], const uint8_t *in, size_t len,
                        uint8_t *out)
{
	uint8_t chain[8], block[8];

	memcpy(chain, iv, 8);
	for (size_t off = 0; off < len; off += 8) {
		for (int i = 0; i < 8; i++)
			block[i] = in[off + (size_t)i] ^ chain[i];
		encrypt_block(key, block, out + off);
		memcpy(chain, out + off, 8);
	}
}

/* The doc's steps, written out: FF padding to 10, PKCS#7 to 16, CBC-MAC; PIN || MAC, PKCS#7
 * to 24, CBC. */
static void expected_cryptogram(const char *pin, const uint8_t key[16], const uint8_t iv[8],
                                uint8_t c[24])
{
	uint8_t mac_in[16], mac_out[16], enc_in[24];

	memset(mac_in, 0xFF, 10);
	memcpy(mac_in, pin, strlen(pin));
	memset(mac_in + 10, 0x06, 6);
	cbc_by_hand(key, iv, mac_in, sizeof(mac_in), mac_out);
	memcpy(enc_in, mac_in, 10);
	memcpy(enc_in + 10, mac_out + 8, 8);
	memset(enc_in + 18, 0x06, 6);
	cbc_by_hand(key, iv, enc_in, sizeof(enc_in), c);
}

static void test_R3_3_verify_apdu_matches_independent_computation(void **state)
{
	static const char *const pins[] = {"123456", "0000000", "98765432"};
	const uint8_t iv[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
	uint8_t apdu[PINWRAP_APDU_LEN], c[24];

	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		assert_int_equal(pinwrap_verify_apdu(pins[i], pinwrap_key_primary, iv, apdu),
		                 REGS_OK);
		expected_cryptogram(pins[i], pinwrap_key_primary, iv, c);
		assert_memory_equal(apdu + 13, c, 24);
		assert_int_equal(pinwrap_verify_apdu(pins[i], pinwrap_key_alternative, iv, apdu),
		                 REGS_OK);
		expected_cryptogram(pins[i], pinwrap_key_alternative, iv, c);
		assert_memory_equal(apdu + 13, c, 24);
	}
	expected_cryptogram("60356035", pinwrap_key_primary, vector_iv, c);
	assert_memory_equal(c, vector_c, 24);
}

static void test_R3_3_keys_are_the_profile_strings(void **state)
{
	assert_memory_equal(pinwrap_key_primary, "CHTTL8f0HiCardV2", 16);
	assert_memory_equal(pinwrap_key_alternative, "TLETC812HiCOSV22", 16);
}

static void test_R3_3_another_iv_another_cryptogram(void **state)
{
	uint8_t a[PINWRAP_APDU_LEN], b[PINWRAP_APDU_LEN], iv[8] = {0};

	assert_int_equal(pinwrap_verify_apdu("123456", pinwrap_key_primary, iv, a), REGS_OK);
	iv[7] = 1;
	assert_int_equal(pinwrap_verify_apdu("123456", pinwrap_key_primary, iv, b), REGS_OK);
	assert_memory_not_equal(a + 13, b + 13, 24);
}

static void test_R3_3_pin_must_be_6_to_8_digits(void **state)
{
	static const char *const bad[] = {"",         "12345",   "123456789",    "12345a",
	                                  " 123456",  "123456 ", "１２３４５６", "12-3456",
	                                  "1234567\n"};
	uint8_t apdu[PINWRAP_APDU_LEN], untouched[PINWRAP_APDU_LEN];

	assert_true(pinwrap_pin_format_ok("123456"));
	assert_true(pinwrap_pin_format_ok("1234567"));
	assert_true(pinwrap_pin_format_ok("12345678"));
	assert_false(pinwrap_pin_format_ok(NULL));
	memset(untouched, 0xAA, sizeof(untouched));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(apdu, untouched, sizeof(apdu));
		assert_false(pinwrap_pin_format_ok(bad[i]));
		assert_int_equal(pinwrap_verify_apdu(bad[i], pinwrap_key_primary, vector_iv, apdu),
		                 REGS_ERR_INVALID);
		assert_memory_equal(apdu, untouched, sizeof(apdu));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R3_3_verify_apdu_matches_openssl_enc_vector),
	    cmocka_unit_test(test_R3_3_verify_apdu_matches_independent_computation),
	    cmocka_unit_test(test_R3_3_keys_are_the_profile_strings),
	    cmocka_unit_test(test_R3_3_another_iv_another_cryptogram),
	    cmocka_unit_test(test_R3_3_pin_must_be_6_to_8_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
