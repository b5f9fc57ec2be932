/* A password and an OTP code typed in one answer (R11.3): the parser of that untrusted answer. */
#include "ui/passcode.h"
#include "otp/totp.h"
#include <string.h>

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

enum passcode_result passcode_split(const char *answer, size_t *password_len)
{
	*password_len = 0;
	size_t len = strnlen(answer, PASSCODE_MAX + 1);
	if (len > PASSCODE_MAX)
		return PASSCODE_TOO_LONG;
	if (len < TOTP_DIGITS || !all_digits(answer + len - TOTP_DIGITS, TOTP_DIGITS))
		return PASSCODE_NO_CODE;
	if (len == TOTP_DIGITS)
		return PASSCODE_NO_PASSWORD;
	*password_len = len - TOTP_DIGITS;
	return PASSCODE_OK;
}
