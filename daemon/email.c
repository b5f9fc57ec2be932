/* The account's e-mail address (R8): set, verified by a mailed code, shown. */
#include "account.h"
#include "audit.h"
#include "codes.h"
#include "handlers.h"
#include "mail/mail.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "stepup.h"
#include <string.h>

/* What mail_compose accepts, and short enough for the account record. */
static int plausible_address(const char *s)
{
	return mail_address_valid(s) && strlen(s) < REC_FIELD_MAX;
}

/* An administrator's address is taken as verified: it is their word for it. */
static void set_verified(struct request *r, const char *user, struct account_rec *a,
                         const char *address, const char *event)
{
	rec_copy(a->email, sizeof(a->email), address);
	a->email_verified_at = r->now;
	account_save(r, user, a);
	codes_delete_resets(r, user); /* codes mailed to the old address are dead (R8.3) */
	code_delete(r, user, CODE_VERIFY);
	struct audit_event e = {user, event, "email", "regsctl", "", REGS_R_OK};
	audit_record(r, &e);
}

void handle_set_email(struct request *r)
{
	const char *arg[2], *none = "";
	struct account_rec a;
	uint32_t zero = 0;
	request_strings(r, arg, 2);
	const char *user = request_target(r, arg[0], 0);
	if (!user)
		return;
	if (!plausible_address(arg[1])) {
		reply_error(r, REGS_E_INVALID_ARGS, "invalid e-mail address");
		return;
	}
	if (!account_open_for_change(r, user, &a))
		return;
	if (r->caller.is_admin && strcmp(user, r->caller.name) != 0) {
		set_verified(r, user, &a, arg[1], "email-set-by-admin");
		reply_args(r, DBUS_TYPE_STRING, &none, DBUS_TYPE_UINT32, &zero, DBUS_TYPE_INVALID);
		return;
	}
	if (!require_step_up(r, user, REGS_PURPOSE_EMAIL, 1))
		return;
	account_save(r, user, &a); /* the account exists from now on */
	code_stage_mail(r, user, CODE_VERIFY, arg[1], "regsctl", "");
}

void handle_verify_email(struct request *r)
{
	const char *arg[1];
	struct account_rec a;
	struct code_rec c;
	uint32_t tries_left;
	request_strings(r, arg, 1);
	const char *user = request_target(r, "", 0);
	if (!user || !account_open_for_change(r, user, &a))
		return;
	uint32_t result = code_redeem(r, user, CODE_VERIFY, arg[0], NULL, &c, &tries_left);
	if (result == REGS_R_OK)
		set_verified(r, user, &a, c.address, "email-verified");
	else {
		struct audit_event e = {user, "email-verify", "email", "regsctl", "", result};
		audit_record(r, &e);
	}
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &tries_left, DBUS_TYPE_INVALID);
}

void handle_get_email(struct request *r)
{
	const char *arg[1];
	struct account_rec a;
	struct code_rec c;
	request_strings(r, arg, 1);
	const char *user = request_target(r, arg[0], 0);
	if (!user)
		return;
	enum regs_err err = account_load(r, user, &a);
	if (err == REGS_ERR_NOT_FOUND)
		memset(&a, 0, sizeof(a));
	else if (err != REGS_OK) {
		reply_storage_error(r, err);
		return;
	}
	const char *address = a.email, *pending = "";
	if (code_load(r, user, CODE_VERIFY, &c) == REGS_OK && c.expires > r->now)
		pending = c.address;
	dbus_bool_t verified = a.email_verified_at != 0;
	reply_args(r, DBUS_TYPE_STRING, &address, DBUS_TYPE_BOOLEAN, &verified, DBUS_TYPE_STRING,
	           &pending, DBUS_TYPE_INVALID);
}
