/* Password and OTP code typed in one answer (lib/ui/passcode.c, R11.3): a split hands on a
 * non-empty password and keeps exactly the last 6 bytes, all ASCII digits, as the code. */
#include "fuzz_util.h"
#include "otp/totp.h"
#include "ui/passcode.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "passcode";

static void check_split(const char *answer, enum passcode_result r, size_t password_len)
{
	size_t len = strlen(answer);
	if (r != PASSCODE_OK) {
		if (password_len != 0)
			fuzz_fail("passcode_split: a password length for a refused answer");
		if (r == PASSCODE_TOO_LONG && len <= PASSCODE_MAX)
			fuzz_fail("passcode_split: a short answer called too long");
		return;
	}
	if (len > PASSCODE_MAX || password_len == 0 || password_len + TOTP_DIGITS != len)
		fuzz_fail("passcode_split: the code is not the last 6 bytes after a password");
	if (!totp_code_well_formed(answer + password_len))
		fuzz_fail("passcode_split: the code part is not 6 ASCII digits");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *answer = fuzz_strndup(data, size);
	size_t password_len = 99;
	enum passcode_result r = passcode_split(answer, &password_len);
	check_split(answer, r, password_len);
	free(answer);
	return 0;
}
