/* Unit tests for the OpenSSH key line of a certificate (R11.4): each expected line is what
 * `ssh-keygen -i -m PKCS8 -f pubkey.pem` (OpenSSH 9.2) printed for the certificate's key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/sshkey.h"

/* RSA 1024: self-signed, made with openssl req -x509 */
static const char rsa_cert[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIICEjCCAXugAwIBAgIUHqydKG1Q8lYxGyP9zb6v/cQccR0wDQYJKoZIhvcNAQEL\n"
                               "BQAwGjEYMBYGA1UEAwwPc3Noa2V5IHRlc3QgcnNhMCAXDTI2MTIwNjEwMTUyNVoY\n"
                               "DzIxMjYxMTEyMTAxNTI1WjAaMRgwFgYDVQQDDA9zc2hrZXkgdGVzdCByc2EwgZ8w\n"
                               "DQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBANRh8NC1KXkVgAK4kALe8EQ9WDUcwUHj\n"
                               "LNvHXXGi2AyznuhNZ/tha2oCA2KSB78gcmlvne5VcpoDZDyPVPTG6PU6qfIBBwTN\n"
                               "Y7EFgBaHmZL9SVfoklZSDXxOQFgV/Nj05p8z0DZn+UzcQkAAOGbyWtz1QBrXLN5m\n"
                               "iT7AR1cymexJAgMBAAGjUzBRMB0GA1UdDgQWBBQYeoG4REhk83Ry9frwSOQlwkA4\n"
                               "4zAfBgNVHSMEGDAWgBQYeoG4REhk83Ry9frwSOQlwkA44zAPBgNVHRMBAf8EBTAD\n"
                               "AQH/MA0GCSqGSIb3DQEBCwUAA4GBAHXa9QVhqKNnBSDP6LaEzGtkUyGr7zOvLhZi\n"
                               "NegwhqHslHGHTMJJucHc8lse2Y8jPl8TYQcYJ/coSv4d8SX2p5Qo45vaZ2WtxORW\n"
                               "iQTHb5FcZxhli7yBAZWoMhvaaPMOuzqurknM2wfHlCIaTNV8nBwpwdHchnvAxBdP\n"
                               "I6nJkdJV\n"
                               "-----END CERTIFICATE-----\n";
static const char rsa_line[] =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDUYfDQtSl5FYACuJAC3vBEPVg1HMFB4yzbx11xotgMs57oTWf7YWtqAgNikge/"
    "IHJpb53uVXKaA2Q8j1T0xuj1OqnyAQcEzWOxBYAWh5mS/UlX6JJWUg18TkBYFfzY9OafM9A2Z/"
    "lM3EJAADhm8lrc9UAa1yzeZok+wEdXMpnsSQ==";

/* ECDSA P-256: self-signed, made with openssl req -x509 */
static const char ec256_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkDCCATWgAwIBAgIUe2Yr/k7N+ZQBuJx75YQk6A2ktycwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRc3Noa2V5IHRlc3QgZWMyNTYwIBcNMjYxMjA2MTAxNTI1WhgP\n"
    "MjEyNjExMTIxMDE1MjVaMBwxGjAYBgNVBAMMEXNzaGtleSB0ZXN0IGVjMjU2MFkw\n"
    "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaNi4rK95h9QN7tEMsfUL4FeYo2dW++hD\n"
    "VCD2TqQLrggiMe9BZKTYJ8bFKwjbripX2EC107Ze728AtnnseMvTL6NTMFEwHQYD\n"
    "VR0OBBYEFLuEBjNf0p9RpcIoJhTWBP/ucVNLMB8GA1UdIwQYMBaAFLuEBjNf0p9R\n"
    "pcIoJhTWBP/ucVNLMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh\n"
    "ALr/sF93PLBh0lNl2jbW/PQa+X4PB5Cwz00VyH597+dFAiEAqxReFu97KaP4iH0b\n"
    "RrikbXvx6k3FIWH1Fdc8VMmC3j8=\n"
    "-----END CERTIFICATE-----\n";
static const char ec256_line[] =
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGjYuKyveYfUDe7RDLH1C+"
    "BXmKNnVvvoQ1Qg9k6kC64IIjHvQWSk2CfGxSsI264qV9hAtdO2Xu9vALZ57HjL0y8=";

/* ECDSA P-384: self-signed, made with openssl req -x509 */
static const char ec384_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIByzCCAVKgAwIBAgIULEf/LqTlQoRHVv5tcVtPQ3OSe2UwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRc3Noa2V5IHRlc3QgZWMzODQwIBcNMjYxMjA2MTAxNTI2WhgP\n"
    "MjEyNjExMTIxMDE1MjZaMBwxGjAYBgNVBAMMEXNzaGtleSB0ZXN0IGVjMzg0MHYw\n"
    "EAYHKoZIzj0CAQYFK4EEACIDYgAEdJICTB6REyFmXsIG1fvQVTAl4TNyOj9eLWqr\n"
    "nC6erL/KFl/RarDwZhQK2dMtTtxQ6VdI3h3Ti1CxYhsQs3ZqCkTh0I9qsswgmBvU\n"
    "iadCmYK6Gb+1P4KgAo5iBp2C4NI2o1MwUTAdBgNVHQ4EFgQUP91q2c7hrlqJNRAP\n"
    "V+KLEr8fxVYwHwYDVR0jBBgwFoAUP91q2c7hrlqJNRAPV+KLEr8fxVYwDwYDVR0T\n"
    "AQH/BAUwAwEB/zAKBggqhkjOPQQDAgNnADBkAjB6Asb5rktkyE7EjFu6R63X80S8\n"
    "P//6nHM/0tqEhw+4ZlHpV1UkZY1zbKbHbv7BLwICMBiCZ3BgMM7Uj3fvqjVH6rBG\n"
    "I73QeJfO3vz3jfe5wIhTDEBdZHim3XlyyueNRTjqUA==\n"
    "-----END CERTIFICATE-----\n";
static const char ec384_line[] =
    "ecdsa-sha2-nistp384 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBHSSAkwekRMhZl7CBtX70FUwJeEzcjo/"
    "Xi1qq5wunqy/yhZf0Wqw8GYUCtnTLU7cUOlXSN4d04tQsWIbELN2agpE4dCParLMIJgb1ImnQpmCuhm/"
    "tT+CoAKOYgadguDSNg==";

/* ECDSA P-521: self-signed, made with openssl req -x509 */
static const char ec521_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICFjCCAXigAwIBAgIUbIe+zVi1tGPiMRKsCWdIo5uE8gUwCgYIKoZIzj0EAwIw\n"
    "HDEaMBgGA1UEAwwRc3Noa2V5IHRlc3QgZWM1MjEwIBcNMjYxMjA2MTAxNTI2WhgP\n"
    "MjEyNjExMTIxMDE1MjZaMBwxGjAYBgNVBAMMEXNzaGtleSB0ZXN0IGVjNTIxMIGb\n"
    "MBAGByqGSM49AgEGBSuBBAAjA4GGAAQAKvgZ3NyYNuvWFQ22udx0qxrgXpgyEkrb\n"
    "0c1reaMLC6L0ASOYNm5T1GA18fKH97/UJqw4pQVAs7m08T2T/zh6kdwBbndRNZz0\n"
    "3/jcDOFaX6pZzIqxrtBx0NB285OrkypsfXO5OgCGceqzzht+fc5prDLqB4VNsG/6\n"
    "4ufGr/cOvPT0nxKjUzBRMB0GA1UdDgQWBBS6W9m0WDqEArPBdw7qmtO/58aRjTAf\n"
    "BgNVHSMEGDAWgBS6W9m0WDqEArPBdw7qmtO/58aRjTAPBgNVHRMBAf8EBTADAQH/\n"
    "MAoGCCqGSM49BAMCA4GLADCBhwJBaRu6jaJ+Pk3xIj3YSXEgN246srL3AuJZX51d\n"
    "ISx2QElfUHBTxgMtWZGYrYhIy8x6RWy1/uuxLFyO1Bms+xMtjqoCQgDimXjjHmsX\n"
    "6ygiZHS7vfxk3XHGMjsiHJTYLYTnMj0OrFYrP68IotB+KtlSIzWg4BiguwXJUxyS\n"
    "jvC0p59P8Mf6+g==\n"
    "-----END CERTIFICATE-----\n";
static const char ec521_line[] =
    "ecdsa-sha2-nistp521 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAAq+"
    "Bnc3Jg269YVDba53HSrGuBemDISStvRzWt5owsLovQBI5g2blPUYDXx8of3v9QmrDilBUCzubTxPZP/"
    "OHqR3AFud1E1nPTf+NwM4VpfqlnMirGu0HHQ0Hbzk6uTKmx9c7k6AIZx6rPOG359zmmsMuoHhU2wb/"
    "ri58av9w689PSfEg==";

/* Ed25519 (ssh-keygen -i cannot convert it either) */
static const char ed_cert[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBSDCB+6ADAgECAhQs5aJHse4g7skB6jQZtnSshvzKRzAFBgMrZXAwGTEXMBUG\n"
                              "A1UEAwwOc3Noa2V5IHRlc3QgZWQwIBcNMjYxMjA2MTAxNTI2WhgPMjEyNjExMTIx\n"
                              "MDE1MjZaMBkxFzAVBgNVBAMMDnNzaGtleSB0ZXN0IGVkMCowBQYDK2VwAyEAJdsk\n"
                              "Yulg5XJTdajxmicPl32doFG1XCoL2G2P4Gi4UDWjUzBRMB0GA1UdDgQWBBRGkJbd\n"
                              "WuEt5t/aijc8yA9ad2p1OzAfBgNVHSMEGDAWgBRGkJbdWuEt5t/aijc8yA9ad2p1\n"
                              "OzAPBgNVHRMBAf8EBTADAQH/MAUGAytlcANBAMme5C0bTeuISfGzGjnPmCN9UXmV\n"
                              "3Q1Vdrb6rO0Rb2T8zVyV7d6yHH6EbWcYUXmoTWDum+jqHVqzamro4ULWogA=\n"
                              "-----END CERTIFICATE-----\n";

/* ECDSA brainpoolP256r1 (no OpenSSH name) */
static const char bp_cert[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBczCCARigAwIBAgIUQUvQxYedw4Ds8/m9IrOq8RRxBqMwCgYIKoZIzj0EAwIw\n"
                              "DTELMAkGA1UEAwwCYnAwIBcNMjYxMjA2MTAxNTU4WhgPMjEyNjExMTIxMDE1NTha\n"
                              "MA0xCzAJBgNVBAMMAmJwMFowFAYHKoZIzj0CAQYJKyQDAwIIAQEHA0IABG/1BDhS\n"
                              "FCIPOMTQdo27oUxaysR97a+hL+zfIBeosIAwAf2hFtBq3ZeMdD5JyyoVp+FlihNa\n"
                              "/FBuC20FGSQb8eCjUzBRMB0GA1UdDgQWBBTOaTcBF7y5LgrCxsrKX4nBKZ3JXDAf\n"
                              "BgNVHSMEGDAWgBTOaTcBF7y5LgrCxsrKX4nBKZ3JXDAPBgNVHRMBAf8EBTADAQH/\n"
                              "MAoGCCqGSM49BAMCA0kAMEYCIQCAVdwOzVqTFyoQDesFWSUTvKPyZ7O4Cr2pGnkp\n"
                              "EMjhrgIhAJv2ExxqaHTq1B1qeHFruye1plKUICY3FlYLuXPtOAOy\n"
                              "-----END CERTIFICATE-----\n";

/* The DER of a PEM certificate; the caller frees it. */
static uint8_t *der_of(const char *pem, size_t *len)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(cert);
	uint8_t *der = NULL;
	int n = i2d_X509(cert, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	X509_free(cert);
	BIO_free(bio);
	return der;
}

static void expect_line(const char *pem, const char *want)
{
	size_t len;
	uint8_t *der = der_of(pem, &len);
	char line[SSHKEY_LINE_MAX];
	assert_int_equal(sshkey_from_certificate(der, len, line, sizeof(line)), REGS_OK);
	assert_string_equal(line, want);
	OPENSSL_free(der);
}

static void test_R11_4_rsa_key_line_matches_ssh_keygen(void **state)
{
	(void)state;
	expect_line(rsa_cert, rsa_line);
}

static void test_R11_4_ecdsa_key_lines_match_ssh_keygen(void **state)
{
	(void)state;
	expect_line(ec256_cert, ec256_line);
	expect_line(ec384_cert, ec384_line);
	expect_line(ec521_cert, ec521_line);
}

static void expect_refused(const char *pem)
{
	size_t len;
	uint8_t *der = der_of(pem, &len);
	char line[SSHKEY_LINE_MAX] = "x";
	assert_int_equal(sshkey_from_certificate(der, len, line, sizeof(line)), REGS_ERR_INVALID);
	assert_string_equal(line, "");
	OPENSSL_free(der);
}

static void test_R11_4_keys_openssh_cannot_name_are_refused(void **state)
{
	(void)state;
	expect_refused(ed_cert);
	expect_refused(bp_cert);
}

static void test_R11_4_broken_certificate_refused(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = der_of(rsa_cert, &len);
	char line[SSHKEY_LINE_MAX];
	assert_int_equal(sshkey_from_certificate(der, len - 1, line, sizeof(line)),
	                 REGS_ERR_INVALID);
	uint8_t *longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, der, len);
	longer[len] = 0; /* trailing garbage */
	assert_int_equal(sshkey_from_certificate(longer, len + 1, line, sizeof(line)),
	                 REGS_ERR_INVALID);
	assert_int_equal(sshkey_from_certificate((const uint8_t *)"", 0, line, sizeof(line)),
	                 REGS_ERR_INVALID);
	free(longer);
	OPENSSL_free(der);
}

static void test_R11_4_short_buffer_refused_not_cut(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = der_of(rsa_cert, &len);
	char line[SSHKEY_LINE_MAX];
	size_t need = strlen(rsa_line) + 1;
	assert_int_equal(sshkey_from_certificate(der, len, line, need - 1), REGS_ERR_INVALID);
	assert_int_equal(sshkey_from_certificate(der, len, line, need), REGS_OK);
	assert_string_equal(line, rsa_line);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R11_4_rsa_key_line_matches_ssh_keygen),
	    cmocka_unit_test(test_R11_4_ecdsa_key_lines_match_ssh_keygen),
	    cmocka_unit_test(test_R11_4_keys_openssh_cannot_name_are_refused),
	    cmocka_unit_test(test_R11_4_broken_certificate_refused),
	    cmocka_unit_test(test_R11_4_short_buffer_refused_not_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
