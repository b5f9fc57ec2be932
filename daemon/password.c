/* Settings of one's own account: password login (R6), password changes (R9.2), class (R1.2). */
#include "account.h"
#include "audit.h"
#include "handlers.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "stepup.h"
#include <string.h>
#include <syslog.h>

static void settings_done(struct request *r, const char *user, const char *event)
{
	struct audit_event e = {user, event, "", "regsctl", "", REGS_R_OK};
	audit_record(r, &e);
	regsd_log(LOG_NOTICE, "%s for %s by uid %u", event, user, (unsigned)r->caller.uid);
	reply_args(r, DBUS_TYPE_INVALID);
}

/* R6.1: only with a card or Google account bound; R6.4: enabling forces a new password. */
static int apply_password_login(struct request *r, const char *user, struct account_rec *a,
                                int enable)
{
	uint32_t flags = account_flags(r, user, a);
	if (!enable && !(flags & (REGS_F_CARD_BOUND | REGS_F_GOOGLE_BOUND))) {
		reply_error(r, REGS_E_NOT_ALLOWED,
		            "bind a citizen certificate or a Google account first");
		return 0;
	}
	if (enable && (a->flags & REGS_F_PASSWORD_LOGIN_DISABLED)) {
		a->flags &= ~(uint32_t)REGS_F_PASSWORD_LOGIN_DISABLED;
		a->password_login_disabled_at = 0;
		a->must_change_password = 1;
	} else if (!enable && !(a->flags & REGS_F_PASSWORD_LOGIN_DISABLED)) {
		a->flags |= REGS_F_PASSWORD_LOGIN_DISABLED;
		a->password_login_disabled_at = r->now;
	}
	return 1;
}

void handle_set_password_login(struct request *r)
{
	const char *user;
	dbus_bool_t enable;
	struct account_rec a;
	dbus_message_get_args(r->msg, NULL, DBUS_TYPE_STRING, &user, DBUS_TYPE_BOOLEAN, &enable,
	                      DBUS_TYPE_INVALID);
	const char *target = request_target(r, user, 0);
	if (!target || !require_step_up(r, target, REGS_PURPOSE_PASSWORD_LOGIN, 1))
		return;
	if (!account_open_for_change(r, target, &a))
		return;
	if (!apply_password_login(r, target, &a, enable))
		return;
	account_save(r, target, &a);
	settings_done(r, target, enable ? "password-login-enable" : "password-login-disable");
}

void handle_password_changed(struct request *r)
{
	const char *arg[1];
	struct account_rec a;
	request_strings(r, arg, 1);
	if (!r->caller.is_verifier) {
		reply_error(r, REGS_E_ACCESS_DENIED, "only root or the verifier group");
		return;
	}
	if (!valid_user_name(arg[0])) {
		reply_error(r, REGS_E_INVALID_ARGS, "invalid user name");
		return;
	}
	enum regs_err err = account_load_or_new(r, arg[0], &a);
	if (err == REGS_ERR_NOT_FOUND) {
		reply_args(r, DBUS_TYPE_INVALID); /* not ours to track */
		return;
	}
	if (err != REGS_OK) {
		reply_storage_error(r, err);
		return;
	}
	a.password_changed = r->now;
	a.must_change_password = 0;
	account_save(r, arg[0], &a);
	struct audit_event e = {arg[0], "password-change", "password", "", "", REGS_R_OK};
	audit_record(r, &e);
	reply_args(r, DBUS_TYPE_INVALID);
}

void handle_set_class(struct request *r)
{
	const char *arg[2];
	struct account_rec a;
	request_strings(r, arg, 2);
	int institution = strcmp(arg[1], "institution") == 0;
	if (!institution && strcmp(arg[1], "personal") != 0) {
		reply_error(r, REGS_E_INVALID_ARGS, "class is personal or institution");
		return;
	}
	if (!r->caller.is_admin) {
		reply_error(r, REGS_E_ACCESS_DENIED,
		            "administrators only (root or the admin group)");
		return;
	}
	if (!valid_user_name(arg[0])) {
		reply_error(r, REGS_E_INVALID_ARGS, "invalid user name");
		return;
	}
	if (!account_open_for_change(r, arg[0], &a))
		return;
	a.class = institution ? ACCOUNT_INSTITUTION : ACCOUNT_PERSONAL;
	account_save(r, arg[0], &a);
	settings_done(r, arg[0], institution ? "class-institution" : "class-personal");
}
