/* Unit tests for otpauth://totp/ provisioning URIs (R2.1/R2.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/wipe.h"
#include "otp/otpauth.h"

static const uint8_t rfc_secret[] = "12345678901234567890";
#define RFC_SECRET_LEN 20

static void test_R2_2_uri_has_issuer_account_secret(void **state)
{
	(void)state;
	char *uri = NULL;
	assert_int_equal(otpauth_uri("pam_regs", "alice", rfc_secret, RFC_SECRET_LEN, &uri),
	                 REGS_OK);
	assert_string_equal(uri, "otpauth://totp/pam_regs:alice?secret="
	                         "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=pam_regs"
	                         "&algorithm=SHA1&digits=6&period=30");
	regs_free_secret_str(uri);
}

static void test_R2_2_uri_percent_encodes_issuer_and_account(void **state)
{
	(void)state;
	char *uri = NULL;
	assert_int_equal(
	    otpauth_uri("Acme Corp", "bob@example.com", rfc_secret, RFC_SECRET_LEN, &uri), REGS_OK);
	assert_non_null(strstr(uri, "otpauth://totp/Acme%20Corp:bob%40example.com?secret="));
	assert_non_null(strstr(uri, "&issuer=Acme%20Corp&"));
	regs_free_secret_str(uri);
}

static void test_R2_2_uri_reserved_and_utf8_characters_encoded(void **state)
{
	(void)state;
	char *uri = NULL;
	/* ':' '/' '?' '&' '=' '#' '%' '+' and UTF-8 bytes must not break the URI. */
	assert_int_equal(otpauth_uri("A:B/C", "x?y&z=1#2%+é", rfc_secret, RFC_SECRET_LEN, &uri),
	                 REGS_OK);
	assert_string_equal(uri, "otpauth://totp/A%3AB%2FC:x%3Fy%26z%3D1%232%25%2B%C3%A9?secret="
	                         "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=A%3AB%2FC"
	                         "&algorithm=SHA1&digits=6&period=30");
	regs_free_secret_str(uri);
}

static void test_R2_2_uri_unreserved_characters_kept(void **state)
{
	(void)state;
	char *uri = NULL;
	assert_int_equal(
	    otpauth_uri("a-Z.0_9~", "user.name-1_x~", rfc_secret, RFC_SECRET_LEN, &uri), REGS_OK);
	assert_non_null(strstr(uri, "otpauth://totp/a-Z.0_9~:user.name-1_x~?"));
	regs_free_secret_str(uri);
}

static void test_R2_2_uri_secret_has_no_padding(void **state)
{
	(void)state;
	char *uri = NULL;
	/* 11 bytes are 18 characters, which RFC 4648 would pad with six '='. */
	assert_int_equal(otpauth_uri("i", "a", rfc_secret, 11, &uri), REGS_OK);
	const char *secret = strstr(uri, "secret=") + strlen("secret=");
	size_t secret_len = strcspn(secret, "&");
	assert_int_equal(secret_len, 18);
	assert_null(memchr(secret, '=', secret_len));
	regs_free_secret_str(uri);
}

static void test_otpauth_invalid_arguments_refused(void **state)
{
	(void)state;
	char *uri = NULL;
	assert_int_equal(otpauth_uri(NULL, "a", rfc_secret, RFC_SECRET_LEN, &uri),
	                 REGS_ERR_INVALID);
	assert_int_equal(otpauth_uri("i", NULL, rfc_secret, RFC_SECRET_LEN, &uri),
	                 REGS_ERR_INVALID);
	assert_int_equal(otpauth_uri("i", "a", NULL, RFC_SECRET_LEN, &uri), REGS_ERR_INVALID);
	assert_int_equal(otpauth_uri("i", "a", rfc_secret, 0, &uri), REGS_ERR_INVALID);
	assert_null(uri);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R2_2_uri_has_issuer_account_secret),
	    cmocka_unit_test(test_R2_2_uri_percent_encodes_issuer_and_account),
	    cmocka_unit_test(test_R2_2_uri_reserved_and_utf8_characters_encoded),
	    cmocka_unit_test(test_R2_2_uri_unreserved_characters_kept),
	    cmocka_unit_test(test_R2_2_uri_secret_has_no_padding),
	    cmocka_unit_test(test_otpauth_invalid_arguments_refused),
	};
	return cmocka_run_group_tests_name("otpauth", tests, NULL, NULL);
}
