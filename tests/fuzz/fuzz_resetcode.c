/* E-mailed codes as typed by a user (lib/otp/resetcode.c): a code is well formed exactly when it
 * hashes, it matches its own hash, and its prefix is two upper-case letters. */
#include "fuzz_util.h"
#include "otp/resetcode.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "resetcode";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t salt[RESETCODE_SALT_SIZE] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	char *code = fuzz_strndup(data, size);
	uint8_t hash[RESETCODE_HASH_SIZE];
	char prefix[RESETCODE_PREFIX_SIZE];
	int formed = resetcode_well_formed(code);
	enum regs_err err = resetcode_hash(salt, code, hash);
	resetcode_prefix(code, prefix);
	if (formed != (err == REGS_OK))
		fuzz_fail("resetcode_hash disagrees with resetcode_well_formed");
	if (formed && !resetcode_matches(salt, hash, code))
		fuzz_fail("a well-formed code does not match its own hash");
	if (formed && (strlen(prefix) != 2 || !isupper((unsigned char)prefix[0]) ||
	               !isupper((unsigned char)prefix[1])))
		fuzz_fail("resetcode_prefix: not two upper-case letters");
	if (!formed && prefix[0] != '\0')
		fuzz_fail("resetcode_prefix: a prefix of a malformed code");
	free(code);
	return 0;
}
