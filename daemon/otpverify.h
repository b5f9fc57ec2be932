/* The OTP login method (R2): the bound secret unsealed, a code verified through the gate. */
#ifndef REGSD_OTPVERIFY_H
#define REGSD_OTPVERIFY_H
#include "daemon.h"
#include <stdint.h>

/* Unseals an OTP secret bound to user; the caller wipes it. */
enum regs_err otp_unseal(struct request *r, const char *user, const uint8_t *sealed,
                         size_t sealed_len, uint8_t secret[20]);
/* One OTP attempt on user's account through the gate: a login (purpose NULL; also the OTP half
 * of a Google login, R5.3) or a step-up for purpose (R7.1). Sets the reply. */
void otp_attempt(struct request *r, const char *user, const char *code, const char *purpose,
                 const char *service, const char *rhost);

#endif
