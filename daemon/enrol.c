/* OTP enrolment (R2.2, R2.3): a fresh pending secret per enrolment, bound only after a correct
 * first code. */
#include "account.h"
#include "audit.h"
#include "base/random.h"
#include "base/wipe.h"
#include "handlers.h"
#include "otp/base32.h"
#include "otp/otpauth.h"
#include "otp/totp.h"
#include "otpverify.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "stepup.h"
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define ENROL_TRIES 3

/* A user enrols their own account; root (the PAM module during forced
 * binding, R1.4) and administrators may start it for another account. The
 * verifier group may not: an enrolment hands out the secret. */
static const char *enrol_target(struct request *r, const char *user)
{
	const char *target = request_target(r, user, 0);
	if (!target)
		return NULL;
	if (!caller_user_exists(target)) {
		reply_error(r, REGS_E_NO_SUCH_USER, "no such user");
		return NULL;
	}
	struct otp_rec o;
	enum regs_err err = otp_load(r, target, &o);
	if (err == REGS_OK && strcmp(target, r->caller.name) == 0) {
		/* Rebinding (R7.2, R2.6): the old binding stays until the new one is
		 * confirmed; it needs a step-up for "otp", used up here. */
		return require_step_up(r, target, REGS_PURPOSE_OTP, 1) ? target : NULL;
	}
	if (err == REGS_OK) {
		reply_error(r, REGS_E_ALREADY_BOUND, "OTP is already bound to this account");
		return NULL;
	}
	if (err != REGS_ERR_NOT_FOUND) {
		reply_storage_error(r, err);
		return NULL;
	}
	/* Adding OTP next to a card is a change of bindings too (R7.1); with
	 * nothing bound yet it passes (forced binding, R1.4). */
	if (strcmp(target, r->caller.name) == 0 && !require_step_up(r, target, REGS_PURPOSE_OTP, 1))
		return NULL;
	return target;
}

/* A sealed secret (key id and all, seal.h) fits the records that keep it. */
_Static_assert(TOTP_SECRET_BYTES + SEAL_OVERHEAD <= OTP_SEALED_MAX, "sealed secret too large");

/* Makes the pending record and the URI shown to the user. */
static enum regs_err new_pending(struct request *r, const char *user, struct pending_rec *p,
                                 char **uri, char secret_b32[40])
{
	uint8_t secret[TOTP_SECRET_BYTES];
	size_t sealed_len = TOTP_SECRET_BYTES + SEAL_OVERHEAD;
	memset(p, 0, sizeof(*p));
	enum regs_err err = regs_random_bytes(secret, sizeof(secret));
	if (err == REGS_OK)
		err = regs_random_hex(p->token, 16);
	if (err == REGS_OK)
		err = seal_encrypt(&r->d->data.key, secret, sizeof(secret), user, strlen(user),
		                   p->sealed, sizeof(p->sealed));
	if (err == REGS_OK)
		err = base32_encode(secret, sizeof(secret), secret_b32, 40);
	if (err == REGS_OK)
		err = otpauth_uri(r->d->cfg.issuer, user, secret, sizeof(secret), uri);
	regs_wipe(secret, sizeof(secret));
	p->sealed_len = (uint8_t)sealed_len;
	p->owner_uid = (uint32_t)r->caller.uid;
	p->created = r->now;
	p->expires = r->now + r->d->cfg.enrol_timeout_seconds;
	rec_copy(p->user, sizeof(p->user), user);
	return err;
}

void handle_begin_otp_enrol(struct request *r)
{
	const char *arg[1];
	struct pending_rec p;
	char *uri = NULL, secret_b32[40] = "", handle[REC_NAME_MAX + 40];
	request_strings(r, arg, 1);
	const char *user = enrol_target(r, arg[0]);
	if (!user)
		return;
	enum regs_err err = new_pending(r, user, &p, &uri, secret_b32);
	if (err != REGS_OK) {
		reply_storage_error(r, err);
		goto out;
	}
	pending_save(r, &p); /* replaces an earlier pending enrolment: its secret is dead */
	snprintf(handle, sizeof(handle), "%s:%s", user, p.token);
	const char *h = handle, *b = secret_b32;
	uint32_t expires_in = (uint32_t)(p.expires - r->now);
	reply_args(r, DBUS_TYPE_STRING, &h, DBUS_TYPE_STRING, &uri, DBUS_TYPE_STRING, &b,
	           DBUS_TYPE_UINT32, &expires_in, DBUS_TYPE_INVALID);
out:
	regs_free_secret_str(uri);
	regs_wipe(secret_b32, sizeof(secret_b32));
	regs_wipe(&p, sizeof(p));
}

/* Finds the pending enrolment named by "user:token" that this caller began. */
static int find_pending(struct request *r, const char *handle, struct pending_rec *p)
{
	char user[REC_NAME_MAX];
	const char *colon = strchr(handle, ':');
	size_t ulen = colon ? (size_t)(colon - handle) : 0;
	if (!colon || ulen == 0 || ulen >= sizeof(user) || strlen(colon + 1) != 32) {
		reply_error(r, REGS_E_INVALID_ARGS, "malformed enrolment handle");
		return 0;
	}
	memcpy(user, handle, ulen);
	user[ulen] = '\0';
	enum regs_err err = valid_user_name(user) ? pending_load(r, user, p) : REGS_ERR_NOT_FOUND;
	if (err == REGS_OK && (CRYPTO_memcmp(p->token, colon + 1, 32) != 0 ||
	                       p->owner_uid != (uint32_t)r->caller.uid))
		err = REGS_ERR_NOT_FOUND;
	if (err == REGS_ERR_NOT_FOUND)
		reply_error(r, REGS_E_NO_SUCH_ENROLMENT, "no such enrolment");
	else if (err != REGS_OK)
		reply_storage_error(r, err);
	return err == REGS_OK;
}

static void reply_enrol(struct request *r, uint32_t result, uint32_t tries_left)
{
	uint32_t lock = 0;
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &lock, DBUS_TYPE_UINT32,
	           &tries_left, DBUS_TYPE_INVALID);
}

/* Checks the first code against the pending secret; on success *step is its time step. */
static uint32_t check_first_code(struct request *r, struct pending_rec *p, const char *code,
                                 int64_t *step)
{
	uint8_t secret[TOTP_SECRET_BYTES];
	if (!totp_code_well_formed(code))
		return REGS_R_MALFORMED;
	if (otp_unseal(r, p->user, p->sealed, p->sealed_len, secret) != REGS_OK)
		return REGS_R_WRONG;
	struct totp_params tp = {.now = r->now,
	                         .last_used_step = -1,
	                         .window = (unsigned)r->d->cfg.otp_window,
	                         .drift_window = (unsigned)r->d->cfg.drift_hint_window};
	enum totp_outcome out = totp_verify(secret, sizeof(secret), code, &tp, step);
	regs_wipe(secret, sizeof(secret));
	if (out == TOTP_MATCH)
		return REGS_R_OK;
	return out == TOTP_DRIFTED ? REGS_R_CLOCK_DRIFT : REGS_R_WRONG;
}

/* Saves the binding; the first code's step counts as used (R2.4). */
static void bind_otp(struct request *r, const struct pending_rec *p, int64_t step)
{
	struct otp_rec o;
	struct account_rec a;
	memset(&o, 0, sizeof(o));
	o.bound_at = r->now;
	o.last_step = step;
	o.sealed_len = p->sealed_len;
	memcpy(o.sealed, p->sealed, p->sealed_len);
	otp_save(r, p->user, &o);
	if (account_load_or_new(r, p->user, &a) == REGS_OK)
		account_save(r, p->user, &a);
	pending_delete(r, p->user);
	regs_wipe(&o, sizeof(o));
}

/* A wrong first code uses up a try; the last one kills the pending secret. */
static void count_enrol_try(struct request *r, struct pending_rec *p)
{
	p->tries++;
	if (p->tries >= ENROL_TRIES)
		pending_delete(r, p->user);
	else
		pending_save(r, p);
}

void handle_confirm_otp_enrol(struct request *r)
{
	const char *arg[4];
	struct pending_rec p;
	int64_t step = -1;
	request_strings(r, arg, 4);
	if (!find_pending(r, arg[0], &p))
		return;
	uint32_t result =
	    p.expires <= r->now ? REGS_R_EXPIRED : check_first_code(r, &p, arg[1], &step);
	if (result == REGS_R_OK)
		bind_otp(r, &p, step);
	else if (result == REGS_R_EXPIRED)
		pending_delete(r, p.user);
	else
		count_enrol_try(r, &p); /* malformed answers too: no client can loop */
	uint32_t tries_left = 0;
	if (result != REGS_R_OK && result != REGS_R_EXPIRED && p.tries < ENROL_TRIES)
		tries_left = ENROL_TRIES - p.tries;
	struct audit_event e = {p.user, "enrol", "otp", arg[2], arg[3], result};
	audit_record(r, &e);
	reply_enrol(r, result, tries_left);
	regs_wipe(&p, sizeof(p));
}

void handle_cancel_otp_enrol(struct request *r)
{
	const char *arg[1];
	struct pending_rec p;
	request_strings(r, arg, 1);
	if (!find_pending(r, arg[0], &p))
		return;
	pending_delete(r, p.user);
	regs_wipe(&p, sizeof(p));
	reply_args(r, DBUS_TYPE_INVALID);
}
