/* The OTP method: unsealing the bound secret and checking a code (R2.4, R2.5, R12.3, R12.4); the
 * lock, counting and the log are the gate's. */
#include "otpverify.h"
#include "account.h"
#include "base/wipe.h"
#include "gate.h"
#include "otp/totp.h"
#include "proto/bus.h"
#include "reply.h"
#include <string.h>
#include <syslog.h>

enum regs_err otp_unseal(struct request *r, const char *user, const uint8_t *sealed,
                         size_t sealed_len, uint8_t secret[TOTP_SECRET_BYTES])
{
	size_t len = 0;
	enum regs_err err = seal_decrypt(&r->d->data.key, sealed, sealed_len, user, strlen(user),
	                                 secret, TOTP_SECRET_BYTES, &len);
	if (err == REGS_OK && len != TOTP_SECRET_BYTES)
		err = REGS_ERR_CRYPTO;
	if (err != REGS_OK)
		regsd_log(LOG_ERR, "sealed OTP secret of %s cannot be opened: %s", user,
		          regs_strerror(err));
	return err;
}

/* Checks a well-formed code against the bound secret; updates o->last_step on a match. */
static uint32_t check_code(struct request *r, const char *user, struct otp_rec *o, const char *code)
{
	uint8_t secret[TOTP_SECRET_BYTES];
	int64_t step = -1;
	if (otp_unseal(r, user, o->sealed, o->sealed_len, secret) != REGS_OK)
		return REGS_R_WRONG;
	struct totp_params p = {.now = r->now,
	                        .last_used_step = o->last_step,
	                        .window = (unsigned)r->d->cfg.otp_window,
	                        .drift_window = (unsigned)r->d->cfg.drift_hint_window,
	                        .burned = o->burned,
	                        .n_burned = o->n_burned};
	enum totp_outcome out = totp_verify(secret, sizeof(secret), code, &p, &step);
	regs_wipe(secret, sizeof(secret));
	switch (out) {
	case TOTP_MATCH:
		o->last_step = step;
		return REGS_R_OK;
	case TOTP_REPLAYED:
		return REGS_R_REPLAYED;
	case TOTP_DRIFTED:
		/* The hint must not hand out a valid future code (R12.4): that step is spent now.
		 */
		totp_burn(o->burned, &o->n_burned, OTP_BURNED_MAX, &o->last_step, step,
		          totp_step_at(r->now), (unsigned)r->d->cfg.otp_window);
		return REGS_R_CLOCK_DRIFT;
	case TOTP_MALFORMED:
		return REGS_R_MALFORMED;
	default:
		return REGS_R_WRONG;
	}
}

/* Whether an OTP verdict counts toward the lock (R9.1): a wrong code or a
 * clock-drift match does; a typo (not 6 digits) and a correct code already
 * used for its step (R12.3: a double Enter, two sessions) do not. */
static int otp_result_counts(uint32_t result)
{
	return result == REGS_R_WRONG || result == REGS_R_CLOCK_DRIFT;
}

/* Verifies the code (g->ctx) and keeps the used step (R2.4) or the burned one. */
static uint32_t otp_verify(struct request *r, struct gate_attempt *g)
{
	const char *code = g->ctx;
	struct otp_rec o;
	if (!totp_code_well_formed(code))
		return REGS_R_MALFORMED; /* a typo, not a guess: not counted */
	enum regs_err err = otp_load(r, g->user, &o);
	if (err != REGS_OK) { /* the gate saw it bound: unreadable */
		reply_storage_error(r, err);
		g->unjudged = 1;
		return REGS_R_WRONG;
	}
	uint32_t result = check_code(r, g->user, &o, code);
	if (result == REGS_R_OK || result == REGS_R_CLOCK_DRIFT)
		otp_save(r, g->user, &o);
	return result;
}

static const struct gate_method otp_login = {.name = "otp",
                                             .event = "login",
                                             .need = REGS_F_OTP_BOUND,
                                             .unbound = REGS_R_NOT_BOUND,
                                             .verify = otp_verify,
                                             .counts = otp_result_counts};

static const struct gate_method otp_step_up = {.name = "otp",
                                               .event = "step-up",
                                               .need = REGS_F_OTP_BOUND,
                                               .unbound = REGS_R_NOT_BOUND,
                                               .verify = otp_verify,
                                               .counts = otp_result_counts};

void otp_attempt(struct request *r, const char *user, const char *code, const char *purpose,
                 const char *service, const char *rhost)
{
	const struct gate_method *m = purpose ? &otp_step_up : &otp_login;
	struct gate_attempt g = gate_attempt_new(m, user, service, rhost, (void *)code);
	if (purpose)
		g.purpose = purpose;
	gate_run(r, &g);
}
