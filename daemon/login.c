/* Login-time methods: account state, an OTP login or step-up (otpverify.c) and a failure the
 * module counts (R9.1); each attempt goes through the gate. */
#include "account.h"
#include "base/language.h"
#include "gate.h"
#include "handlers.h"
#include "otpverify.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "stepup.h"
#include <string.h>

void handle_get_account(struct request *r)
{
	const char *arg[1];
	struct account_rec a;
	request_strings(r, arg, 1);
	const char *user = request_target(r, arg[0], 1);
	if (!user)
		return;
	enum regs_err err = account_load(r, user, &a);
	if (err != REGS_OK && err != REGS_ERR_NOT_FOUND) {
		reply_storage_error(r, err);
		return;
	}
	const struct account_rec *have = err == REGS_OK ? &a : NULL;
	uint32_t flags = account_flags(r, user, have);
	uint32_t lock = have ? policy_lock_seconds_left(have, r->now) : 0;
	uint32_t failures = have ? have->failures : 0;
	/* R9.6: the module shows the rest of the login in this language, with no second call. */
	const char *language = have && regs_language_known(have->language) ? have->language : "";
	const char *site_language = regs_config_language(&r->d->cfg);
	reply_args(r, DBUS_TYPE_UINT32, &flags, DBUS_TYPE_UINT32, &lock, DBUS_TYPE_UINT32,
	           &failures, DBUS_TYPE_STRING, &language, DBUS_TYPE_STRING, &site_language,
	           DBUS_TYPE_INVALID);
}

void handle_verify_otp(struct request *r)
{
	const char *arg[4];
	request_strings(r, arg, 4);
	const char *user = request_target(r, arg[0], 1);
	if (user)
		otp_attempt(r, user, arg[1], NULL, arg[2], arg[3]);
}

/* StepUp (R7.1): the caller proves itself again with a code for one purpose. */
void handle_step_up(struct request *r)
{
	const char *arg[4];
	request_strings(r, arg, 4);
	if (!stepup_purpose_known(arg[0])) {
		reply_error(r, REGS_E_INVALID_ARGS, "unknown step-up purpose");
		return;
	}
	const char *user = request_target(r, "", 0);
	if (user)
		otp_attempt(r, user, arg[1], arg[0], arg[2], arg[3]);
}

/* The module's own check failed (a password): a failed attempt to count. */
static uint32_t failure_verify(struct request *r, struct gate_attempt *g)
{
	(void)r;
	(void)g;
	return REGS_R_WRONG;
}

static int failure_counts(uint32_t result)
{
	return result == REGS_R_WRONG;
}

/* An account NSS does not know has nothing to lock: WRONG, not logged. */
static const struct gate_method module_failure = {.name = "",
                                                  .event = "login",
                                                  .unbound = REGS_R_WRONG,
                                                  .nss_account = 1,
                                                  .verify = failure_verify,
                                                  .counts = failure_counts};

void handle_record_failure(struct request *r)
{
	const char *arg[4];
	request_strings(r, arg, 4);
	if (!r->caller.is_verifier) {
		reply_error(r, REGS_E_ACCESS_DENIED,
		            "only root or the verifier group record failures");
		return;
	}
	/* service and rhost are free text, cleaned when recorded: a long or odd
	 * remote host name must never keep a failure from being counted. */
	if (!valid_user_name(arg[0]) || !valid_user_name(arg[1]) || strlen(arg[1]) > 15) {
		reply_error(r, REGS_E_INVALID_ARGS, "invalid user or method name");
		return;
	}
	struct gate_attempt g = gate_attempt_new(&module_failure, arg[0], arg[2], arg[3], NULL);
	g.method = arg[1]; /* the module names the method that failed */
	gate_run(r, &g);
}
