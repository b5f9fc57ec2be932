/* Emergency reset codes by e-mail (R8: lost phone) and forgotten passwords (R9.5). */
#include "account.h"
#include "audit.h"
#include "bindings.h"
#include "codes.h"
#include "handlers.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static int known_purpose(struct request *r, const char *purpose)
{
	if (strcmp(purpose, REGS_RESET_BINDING) == 0 || strcmp(purpose, REGS_RESET_PASSWORD) == 0)
		return 1;
	reply_error(r, REGS_E_INVALID_ARGS, "purpose is binding or password");
	return 0;
}

/* The account a reset code is for, if the rules allow one (R8.1, R8.5, R9.5). */
static int reset_allowed(struct request *r, const char *user, const char *purpose,
                         struct account_rec *a)
{
	enum regs_err err = account_load(r, user, a);
	if (err != REGS_OK && err != REGS_ERR_NOT_FOUND) {
		reply_storage_error(r, err);
		return 0;
	}
	uint32_t flags = err == REGS_OK ? account_flags(r, user, a) : 0;
	int card_only =
	    (flags & REGS_F_CARD_BOUND) && !(flags & (REGS_F_OTP_BOUND | REGS_F_GOOGLE_BOUND));
	if ((flags & REGS_F_PASSWORD_LOGIN_DISABLED) ||
	    (strcmp(purpose, REGS_RESET_BINDING) == 0 && card_only)) {
		reply_error(r, REGS_E_CONTACT_ADMIN,
		            "not available for this account: contact an administrator");
		return 0;
	}
	if (err != REGS_OK || a->email_verified_at == 0) {
		reply_error(r, REGS_E_NO_VERIFIED_EMAIL,
		            "the account has no verified e-mail address");
		return 0;
	}
	return 1;
}

void handle_request_reset_code(struct request *r)
{
	const char *arg[4];
	struct account_rec a;
	struct code_rec c;
	request_strings(r, arg, 4);
	const char *user = request_target(r, arg[0], 0);
	if (!user || !known_purpose(r, arg[1]) || !reset_allowed(r, user, arg[1], &a))
		return;
	int64_t next = 0;
	if (code_load(r, user, arg[1], &c) == REGS_OK)
		next = c.sent_at + r->d->cfg.reset_resend_seconds;
	if (next > r->now) {
		reply_too_soon(r, (uint32_t)(next - r->now),
		               "a code was sent just now: wait %lld seconds",
		               (long long)(next - r->now));
		return;
	}
	code_stage_mail(r, user, arg[1], a.email, arg[2], arg[3]);
}

/* R8.4: every binding goes; the next login forces binding again (R1.4). */
static void delete_bindings(struct request *r, const char *user)
{
	otp_delete(r, user);
	pending_delete(r, user);
	card_delete(r, user);
	google_delete(r, user);
	mobile_delete(r, user);
	regsd_log(LOG_NOTICE, "all bindings of %s deleted with an e-mail reset code", user);
}

void handle_redeem_reset_code(struct request *r)
{
	const char *arg[5];
	struct account_rec a;
	struct code_rec c;
	uint32_t tries_left;
	request_strings(r, arg, 5);
	const char *user = request_target(r, arg[0], 0);
	if (!user || !known_purpose(r, arg[1]) || !reset_allowed(r, user, arg[1], &a))
		return;
	uint32_t result = code_redeem(r, user, arg[1], arg[2], a.email, &c, &tries_left);
	int password = strcmp(arg[1], REGS_RESET_PASSWORD) == 0;
	if (result == REGS_R_OK && password) {
		a.must_change_password = 1; /* R9.5; the second factor is still asked */
		account_save(r, user, &a);
	} else if (result == REGS_R_OK) {
		delete_bindings(r, user);
	}
	struct audit_event e = {
	    user, password ? "reset-password" : "reset-bindings", "email", arg[3], arg[4], result};
	audit_record(r, &e);
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &tries_left, DBUS_TYPE_INVALID);
}
