/* The Taiwanese national ID number check (R4.1); libc only, because the PAM module links it. */
#include "ui/twid.h"

#include <stddef.h>

#define TWID_LEN 10

/* The official letter values, A..Z. They are not in alphabetical order past H:
 * I, O, W and Z were added to the scheme later and got the values above 30. */
static const unsigned char twid_letter_value[26] = {
    10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21,
    22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33,
};

/* Weights of the letter's two digits and of the first eight digits; the
 * check digit (the ninth) has weight 1. */
static const unsigned char twid_weight[TWID_LEN] = {1, 9, 8, 7, 6, 5, 4, 3, 2, 1};

/* Explicit ranges rather than isupper/isdigit: those depend on the locale. */
static int twid_is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int twid_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 (male), 2 (female) for citizens; 8, 9 for the resident certificate
 * numbers issued since 2021, which use the same checksum. */
static int twid_second_ok(char c)
{
	return c == '1' || c == '2' || c == '8' || c == '9';
}

static int twid_shape_ok(const char *id)
{
	if (!twid_is_upper(id[0]))
		return 0;
	for (int i = 1; i < TWID_LEN; i++)
		if (!twid_is_digit(id[i]))
			return 0; /* also stops at a NUL: the id is too short */
	return id[TWID_LEN] == '\0' && twid_second_ok(id[1]);
}

static int twid_checksum_ok(const char *id)
{
	unsigned letter = twid_letter_value[id[0] - 'A'];
	unsigned digits[TWID_LEN] = {letter / 10, letter % 10};
	for (int i = 2; i < TWID_LEN; i++)
		digits[i] = (unsigned)(id[i - 1] - '0');
	unsigned sum = (unsigned)(id[TWID_LEN - 1] - '0'); /* the check digit, weight 1 */
	for (int i = 0; i < TWID_LEN; i++)
		sum += digits[i] * twid_weight[i];
	return sum % 10 == 0;
}

int twid_valid(const char *id)
{
	return id != NULL && twid_shape_ok(id) && twid_checksum_ok(id);
}
