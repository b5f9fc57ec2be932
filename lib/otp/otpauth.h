/* otpauth://totp/ URIs for Google and Microsoft Authenticator (R2.1). */
#ifndef REGS_OTPAUTH_H
#define REGS_OTPAUTH_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

/* Builds otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with label and issuer percent-encoded. Returns a malloc'd string in *out
 * (the caller wipes it: it holds the secret). */
enum regs_err otpauth_uri(const char *issuer, const char *account, const uint8_t *secret,
                          size_t len, char **out);

#endif
