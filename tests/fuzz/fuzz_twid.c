/* Taiwanese ID numbers (lib/ui/twid.c), as typed for a mobile login: a valid number is exactly a
 * letter and nine digits. */
#include "fuzz_util.h"
#include "ui/twid.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "twid";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *id = fuzz_strndup(data, size);
	if (twid_valid(id)) {
		if (strlen(id) != 10 || id[0] < 'A' || id[0] > 'Z')
			fuzz_fail("twid_valid: accepted a malformed number");
		for (int i = 1; i < 10; i++)
			if (!isdigit((unsigned char)id[i]))
				fuzz_fail("twid_valid: accepted a malformed number");
	}
	free(id);
	return 0;
}
