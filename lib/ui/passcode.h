/* A password and an OTP code typed in one answer (R11.3): where the password ends. */
#ifndef REGS_PASSCODE_H
#define REGS_PASSCODE_H
#include <stddef.h>

/* The longest answer taken whole: PAM's limit for one response (PAM_MAX_RESP_SIZE) less its
 * NUL. A longer one is refused, never cut. */
#define PASSCODE_MAX 511

enum passcode_result {
	PASSCODE_OK,          /* a password, then exactly TOTP_DIGITS ASCII digits */
	PASSCODE_NO_CODE,     /* shorter than a code, or its last TOTP_DIGITS are not all digits */
	PASSCODE_NO_PASSWORD, /* a code and nothing before it */
	PASSCODE_TOO_LONG,    /* more than PASSCODE_MAX bytes */
};

/* Splits answer (a C string) into the password and the code at its end: the code is always
 * the last TOTP_DIGITS bytes, so a password may itself end in digits. On PASSCODE_OK
 * *password_len is where the code starts; otherwise it is 0. */
enum passcode_result passcode_split(const char *answer, size_t *password_len);

#endif
