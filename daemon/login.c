/* Login-time methods: account state, OTP verification (R2.4, R2.5) and failed-attempt counting
 * (R9.1). */
#include "account.h"
#include "account/clock.h"
#include "audit.h"
#include "base/language.h"
#include "base/wipe.h"
#include "handlers.h"
#include "otp/totp.h"
#include "proto/bus.h"
#include "reply.h"
#include "stepup.h"
#include <string.h>
#include <syslog.h>

void request_strings(struct request *r, const char **out, int n)
{
	DBusMessageIter it;
	dbus_message_iter_init(r->msg, &it);
	for (int i = 0; i < n; i++) {
		dbus_message_iter_get_basic(&it, &out[i]);
		dbus_message_iter_next(&it);
	}
}

enum regs_err otp_unseal(struct request *r, const char *user, const uint8_t *sealed,
                         size_t sealed_len, uint8_t secret[TOTP_SECRET_BYTES])
{
	size_t len = 0;
	enum regs_err err = seal_decrypt(&r->d->key, sealed, sealed_len, user, strlen(user), secret,
	                                 TOTP_SECRET_BYTES, &len);
	if (err == REGS_OK && len != TOTP_SECRET_BYTES)
		err = REGS_ERR_CRYPTO;
	if (err != REGS_OK)
		regsd_log(LOG_ERR, "sealed OTP secret of %s cannot be opened: %s", user,
		          regs_strerror(err));
	return err;
}

void count_failure(struct request *r, const char *user, struct account_rec *a, const char *method,
                   const char *service, const char *rhost)
{
	if (!policy_record_failure(a, &r->d->lock, r->now))
		return;
	struct audit_event e = {user, "lock", method, service, rhost, REGS_R_LOCKED};
	audit_record(r, &e);
	regsd_log(LOG_WARNING, "account %s locked for %d minutes after %u failed attempts", user,
	          r->d->cfg.lock_minutes, (unsigned)r->d->lock.threshold);
}

void reply_verdict(struct request *r, uint32_t result, const struct account_rec *a)
{
	uint32_t lock = a ? policy_lock_seconds_left(a, r->now) : 0;
	uint32_t left = a ? policy_failures_left(a, &r->d->lock, r->now) : 0;
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &lock, DBUS_TYPE_UINT32, &left,
	           DBUS_TYPE_INVALID);
}

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
 * clock-drift match does; a lock, a typo (not 6 digits) and a correct code
 * already used for its step (R12.3: a double Enter, two sessions) do not. */
static int otp_result_counts(uint32_t result)
{
	return result == REGS_R_WRONG || result == REGS_R_CLOCK_DRIFT;
}

/* The verdict for a login with OTP; account and OTP records are saved by the caller. */
static uint32_t verify_login(struct request *r, const char *user, struct account_rec *a,
                             struct otp_rec *o, const char *code)
{
	if (policy_lock_seconds_left(a, r->now) > 0)
		return REGS_R_LOCKED;
	if (!totp_code_well_formed(code))
		return REGS_R_MALFORMED; /* a typo, not a guess: not counted */
	return check_code(r, user, o, code);
}

/* One OTP attempt on user's account for event ("login", "step-up"): checks
 * the lock, verifies, counts a failure or clears the count, keeps the used
 * step (R2.4) and records the attempt. Replies only on a storage error
 * (returns 0 then); otherwise *result is the verdict and a the account. */
int otp_attempt(struct request *r, const char *user, const char *code, const char *event,
                const char *service, const char *rhost, struct account_rec *a, uint32_t *result)
{
	struct otp_rec o;
	enum regs_err err = account_load(r, user, a);
	if (err == REGS_OK)
		err = otp_load(r, user, &o);
	if (err == REGS_ERR_NOT_FOUND) {
		*result = REGS_R_NOT_BOUND;
		return 1;
	}
	if (err != REGS_OK) {
		reply_storage_error(r, err);
		return 0;
	}
	struct account_rec before = *a;
	*result = verify_login(r, user, a, &o, code);
	if (*result == REGS_R_OK)
		policy_clear(a);
	else if (otp_result_counts(*result))
		count_failure(r, user, a, "otp", service, rhost);
	if (*result == REGS_R_OK || *result == REGS_R_CLOCK_DRIFT)
		otp_save(r, user, &o);           /* the step used, or the drifted step burned */
	if (memcmp(&before, a, sizeof(*a)) != 0) /* most logins change only the OTP step */
		account_save(r, user, a);
	struct audit_event e = {user, event, "otp", service, rhost, *result};
	audit_record(r, &e);
	return 1;
}

void handle_verify_otp(struct request *r)
{
	const char *arg[4];
	struct account_rec a;
	uint32_t result;
	request_strings(r, arg, 4);
	const char *user = request_target(r, arg[0], 1);
	if (!user || !otp_attempt(r, user, arg[1], "login", arg[2], arg[3], &a, &result))
		return;
	reply_verdict(r, result, result == REGS_R_NOT_BOUND ? NULL : &a);
}

/* StepUp (R7.1): the caller proves itself again with a code for one purpose. */
void handle_step_up(struct request *r)
{
	const char *arg[4];
	struct account_rec a;
	uint32_t result, valid_for = 0;
	request_strings(r, arg, 4);
	if (!stepup_purpose_known(arg[0])) {
		reply_error(r, REGS_E_INVALID_ARGS, "unknown step-up purpose");
		return;
	}
	const char *user = request_target(r, "", 0);
	if (!user || !otp_attempt(r, user, arg[1], "step-up", arg[2], arg[3], &a, &result))
		return;
	if (result == REGS_R_OK) {
		valid_for = (uint32_t)r->d->cfg.step_up_seconds;
		stepup_grant(&r->d->stepups, dbus_message_get_sender(r->msg), r->caller.uid, arg[0],
		             r->now + valid_for, r->now);
	}
	uint32_t lock = result == REGS_R_NOT_BOUND ? 0 : policy_lock_seconds_left(&a, r->now);
	uint32_t left =
	    result == REGS_R_NOT_BOUND ? 0 : policy_failures_left(&a, &r->d->lock, r->now);
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &lock, DBUS_TYPE_UINT32, &left,
	           DBUS_TYPE_UINT32, &valid_for, DBUS_TYPE_INVALID);
}

void handle_record_failure(struct request *r)
{
	const char *arg[4];
	struct account_rec a;
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
	enum regs_err err = account_load_or_new(r, arg[0], &a);
	if (err == REGS_ERR_NOT_FOUND) {
		reply_verdict(r, REGS_R_WRONG, NULL); /* unknown to NSS: nothing to lock */
		return;
	}
	if (err != REGS_OK) {
		reply_storage_error(r, err);
		return;
	}
	uint32_t result = REGS_R_WRONG;
	if (policy_lock_seconds_left(&a, r->now) > 0)
		result = REGS_R_LOCKED;
	else
		count_failure(r, arg[0], &a, arg[1], arg[2], arg[3]);
	account_save(r, arg[0], &a);
	struct audit_event e = {arg[0], "login", arg[1], arg[2], arg[3], result};
	audit_record(r, &e);
	reply_verdict(r, result, &a);
}
