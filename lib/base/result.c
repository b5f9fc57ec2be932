/* The one table of result names shared by regsd (activity log) and its clients. */
#include "base/result.h"
#include "proto/bus.h"

static const char *const result_names[] = {
    [REGS_R_OK] = "ok",
    [REGS_R_WRONG] = "wrong",
    [REGS_R_REPLAYED] = "replayed",
    [REGS_R_CLOCK_DRIFT] = "drift",
    [REGS_R_LOCKED] = "locked",
    [REGS_R_NOT_BOUND] = "not-bound",
    [REGS_R_MALFORMED] = "malformed",
    [REGS_R_EXPIRED] = "expired",
    [REGS_R_CERT_INVALID] = "cert-invalid",
    [REGS_R_CERT_UNTRUSTED] = "cert-untrusted",
    [REGS_R_CARD_NOT_BOUND] = "card-not-bound",
    [REGS_R_CARD_BOUND_ELSEWHERE] = "card-bound-elsewhere",
    [REGS_R_BAD_SIGNATURE] = "bad-signature",
    [REGS_R_NO_FRESH_CRL] = "no-fresh-crl",
    [REGS_R_BAD_CHALLENGE] = "bad-challenge",
    [REGS_R_OOB_REFUSED] = "refused",
    [REGS_R_OOB_NOT_BOUND] = "not-the-bound-account",
    [REGS_R_OOB_BOUND_ELSEWHERE] = "bound-elsewhere",
    [REGS_R_OOB_NOT_APPROVED] = "not-approved",
    [REGS_R_OTP_REQUIRED] = "otp-required",
};

const char *regs_result_name(uint32_t result)
{
	if (result < sizeof(result_names) / sizeof(result_names[0]) && result_names[result])
		return result_names[result];
	return "unknown";
}
