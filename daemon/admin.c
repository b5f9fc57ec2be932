/* Status, activity log and administration methods (R7.2, R9.3, R9.4). */
#include "account.h"
#include "audit.h"
#include "base/result.h"
#include "bindings.h"
#include "handlers.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "stepup.h"
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define LOG_LIMIT_DEFAULT 100
#define LOG_LIMIT_MAX 10000

static int open_struct(DBusMessageIter *arr, DBusMessageIter *st)
{
	return dbus_message_iter_open_container(arr, DBUS_TYPE_STRUCT, NULL, st);
}

static void append_method(DBusMessageIter *arr, const char *name, int bound, int64_t since)
{
	DBusMessageIter st;
	dbus_bool_t b = bound ? TRUE : FALSE;
	dbus_uint64_t t = (dbus_uint64_t)since;
	open_struct(arr, &st);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_STRING, &name);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_BOOLEAN, &b);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT64, &t);
	dbus_message_iter_close_container(arr, &st);
}

void handle_get_status(struct request *r)
{
	const char *arg[1];
	struct otp_rec o;
	DBusMessageIter it, arr;
	request_strings(r, arg, 1);
	struct account_rec a;
	const char *user = request_target(r, arg[0], 0);
	if (!user || !require_step_up(r, user, REGS_PURPOSE_VIEW, 0))
		return;
	enum regs_err aerr = account_load(r, user, &a);
	enum regs_err err = otp_load(r, user, &o);
	if ((err != REGS_OK && err != REGS_ERR_NOT_FOUND) ||
	    (aerr != REGS_OK && aerr != REGS_ERR_NOT_FOUND)) {
		reply_storage_error(r, err != REGS_OK && err != REGS_ERR_NOT_FOUND ? err : aerr);
		return;
	}
	if (aerr == REGS_ERR_NOT_FOUND)
		memset(&a, 0, sizeof(a));
	r->reply = dbus_message_new_method_return(r->msg);
	if (!r->reply)
		return;
	dbus_message_iter_init_append(r->reply, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "(sbt)", &arr);
	append_method(&arr, "otp", err == REGS_OK, err == REGS_OK ? o.bound_at : 0);
	struct card_rec card;
	int have_card = card_load(r, user, &card) == REGS_OK;
	append_method(&arr, "card", have_card, have_card ? card.bound_at : 0);
	struct google_rec g;
	int have_google = google_load(r, user, &g) == REGS_OK;
	append_method(&arr, "google", have_google, have_google ? g.bound_at : 0);
	struct mobile_rec m;
	int have_mobile = mobile_load(r, user, &m) == REGS_OK;
	append_method(&arr, "mobile", have_mobile, have_mobile ? m.bound_at : 0);
	/* R7.2: bound here means password login is DISABLED, since that date. */
	append_method(&arr, "password-login", (a.flags & REGS_F_PASSWORD_LOGIN_DISABLED) != 0,
	              a.password_login_disabled_at);
	dbus_message_iter_close_container(&it, &arr);
}

struct log_ctx {
	struct audit_rec *ring;
	uint32_t limit, count; /* keeps the newest `limit` records */
};

static int keep_record(void *ctx, const struct audit_rec *rec)
{
	struct log_ctx *l = ctx;
	l->ring[l->count % l->limit] = *rec;
	l->count++;
	return 0;
}

static void append_log_entry(DBusMessageIter *arr, const struct audit_rec *a)
{
	DBusMessageIter st;
	dbus_uint64_t t = (dbus_uint64_t)a->time;
	const char *f[6] = {a->user,    a->event, a->method,
	                    a->service, a->rhost, regs_result_name(a->result)};
	dbus_uint32_t actor = a->actor_uid;
	const char *host = a->host;
	open_struct(arr, &st);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT64, &t);
	for (int i = 0; i < 6; i++)
		dbus_message_iter_append_basic(&st, DBUS_TYPE_STRING, &f[i]);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT32, &actor);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_STRING, &host);
	dbus_message_iter_close_container(arr, &st);
}

static void reply_log(struct request *r, struct log_ctx *l)
{
	DBusMessageIter it, arr;
	r->reply = dbus_message_new_method_return(r->msg);
	if (!r->reply)
		return;
	dbus_message_iter_init_append(r->reply, &it);
	/* The element type: the contract's out signature without its array's "a". */
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, REGS_M_GET_LOG_OUT + 1, &arr);
	uint32_t n = l->count < l->limit ? l->count : l->limit;
	for (uint32_t i = 0; i < n; i++)
		append_log_entry(&arr, &l->ring[(l->count - n + i) % l->limit]);
	dbus_message_iter_close_container(&it, &arr);
}

void handle_get_log(struct request *r)
{
	const char *user;
	dbus_uint64_t since;
	dbus_uint32_t limit;
	dbus_message_get_args(r->msg, NULL, DBUS_TYPE_STRING, &user, DBUS_TYPE_UINT64, &since,
	                      DBUS_TYPE_UINT32, &limit, DBUS_TYPE_INVALID);
	if (strcmp(user, "*") == 0 && !r->caller.is_admin) {
		reply_error(r, REGS_E_ACCESS_DENIED,
		            "only administrators read every account's log");
		return;
	}
	const char *target = strcmp(user, "*") == 0 ? "" : request_target(r, user, 0);
	if (!target)
		return;
	struct log_ctx l = {NULL, limit == 0 ? LOG_LIMIT_DEFAULT : limit, 0};
	if (l.limit > LOG_LIMIT_MAX)
		l.limit = LOG_LIMIT_MAX;
	l.ring = calloc(l.limit, sizeof(*l.ring));
	if (!l.ring) {
		reply_storage_error(r, REGS_ERR_NOMEM);
		return;
	}
	audit_scan(r->txn, target, since > INT64_MAX ? INT64_MAX : (int64_t)since, keep_record, &l);
	reply_log(r, &l);
	free(l.ring);
}

struct list_ctx {
	struct request *r;
	DBusMessageIter *arr;
	uint32_t want; /* a flag that must be set, or 0 */
	int unbound;   /* only accounts with nothing bound */
};

static int list_account(void *ctx, struct store_val key, struct store_val val)
{
	struct list_ctx *l = ctx;
	struct account_rec a;
	char user[REC_NAME_MAX];
	DBusMessageIter st;
	if (key.len >= sizeof(user) || account_rec_decode(val.data, val.len, &a) != REGS_OK)
		return 0;
	memcpy(user, key.data, key.len);
	user[key.len] = '\0';
	uint32_t flags = account_flags(l->r, user, &a);
	if ((l->want && !(flags & l->want)) ||
	    (l->unbound && (flags & (REGS_F_OTP_BOUND | REGS_F_CARD_BOUND))))
		return 0;
	const char *u = user;
	dbus_uint32_t failures = a.failures, lock = policy_lock_seconds_left(&a, l->r->now);
	open_struct(l->arr, &st);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_STRING, &u);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT32, &flags);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT32, &failures);
	dbus_message_iter_append_basic(&st, DBUS_TYPE_UINT32, &lock);
	dbus_message_iter_close_container(l->arr, &st);
	return 0;
}

static int require_admin(struct request *r)
{
	if (r->caller.is_admin)
		return 1;
	reply_error(r, REGS_E_ACCESS_DENIED, "administrators only (root or the admin group)");
	return 0;
}

void handle_list_accounts(struct request *r)
{
	const char *arg[1];
	DBusMessageIter it, arr;
	request_strings(r, arg, 1);
	if (!require_admin(r))
		return;
	struct list_ctx l = {r, &arr, 0, 0};
	if (strcmp(arg[0], "locked") == 0)
		l.want = REGS_F_LOCKED;
	else if (strcmp(arg[0], "otp") == 0)
		l.want = REGS_F_OTP_BOUND;
	else if (strcmp(arg[0], "card") == 0)
		l.want = REGS_F_CARD_BOUND;
	else if (strcmp(arg[0], "unbound") == 0)
		l.unbound = 1;
	else if (strcmp(arg[0], "password-login-disabled") == 0)
		l.want = REGS_F_PASSWORD_LOGIN_DISABLED;
	else if (*arg[0]) {
		reply_error(r, REGS_E_INVALID_ARGS,
		            "unknown filter (locked, otp, card, unbound, password-login-disabled)");
		return;
	}
	r->reply = dbus_message_new_method_return(r->msg);
	if (!r->reply)
		return;
	dbus_message_iter_init_append(r->reply, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "(suuu)", &arr);
	struct store_val none = {"", 0};
	store_scan(r->txn, STORE_ACCOUNTS, none, none, list_account, &l);
	dbus_message_iter_close_container(&it, &arr);
}

/* Loads the account an administrator names; sets the error reply when it cannot. */
static int admin_account(struct request *r, const char *user, struct account_rec *a)
{
	if (!require_admin(r))
		return 0;
	if (!valid_user_name(user)) {
		reply_error(r, REGS_E_INVALID_ARGS, "invalid user name");
		return 0;
	}
	return account_open_for_change(r, user, a);
}

static void admin_done(struct request *r, const char *user, const char *event, const char *method)
{
	struct audit_event e = {user, event, method, "regsctl", "", REGS_R_OK};
	audit_record(r, &e);
	regsd_log(LOG_NOTICE, "%s %s of %s by uid %u", event, *method ? method : "all", user,
	          (unsigned)r->caller.uid);
	reply_args(r, DBUS_TYPE_INVALID);
}

void handle_unlock(struct request *r)
{
	const char *arg[1];
	struct account_rec a;
	request_strings(r, arg, 1);
	if (!admin_account(r, arg[0], &a))
		return;
	policy_clear(&a);
	account_save(r, arg[0], &a);
	admin_done(r, arg[0], "unlock", "");
}

/* Password login stays disabled only while a card or Google account can log
 * in (R6.1); otherwise the reset would leave no way in: re-enable it, with a
 * new password required (R6.4). */
static void reopen_password_login(struct request *r, const char *user, struct account_rec *a)
{
	uint32_t flags = account_flags(r, user, a);
	int google_login = (flags & REGS_F_GOOGLE_BOUND) && (flags & REGS_F_OTP_BOUND); /* R5.3 */
	if (!(a->flags & REGS_F_PASSWORD_LOGIN_DISABLED) || (flags & REGS_F_CARD_BOUND) ||
	    google_login)
		return;
	a->flags &= ~(uint32_t)REGS_F_PASSWORD_LOGIN_DISABLED;
	a->password_login_disabled_at = 0;
	a->must_change_password = 1;
}

void handle_reset(struct request *r)
{
	const char *arg[2];
	struct account_rec a;
	request_strings(r, arg, 2);
	static const char *const methods[] = {"", "otp", "card", "google", "mobile"};
	int known = 0;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		known |= strcmp(arg[1], methods[i]) == 0;
	if (!known) {
		reply_error(r, REGS_E_INVALID_ARGS,
		            "unknown method (otp, card, google, mobile, or empty for all)");
		return;
	}
	if (!admin_account(r, arg[0], &a))
		return;
	if (!*arg[1] || strcmp(arg[1], "otp") == 0) {
		otp_delete(r, arg[0]);
		pending_delete(r, arg[0]);
	}
	if (!*arg[1] || strcmp(arg[1], "card") == 0)
		card_delete(r, arg[0]);
	if (!*arg[1] || strcmp(arg[1], "google") == 0)
		google_delete(r, arg[0]);
	if (!*arg[1] || strcmp(arg[1], "mobile") == 0)
		mobile_delete(r, arg[0]);
	reopen_password_login(r, arg[0], &a);
	account_save(r, arg[0], &a);
	admin_done(r, arg[0], "reset", arg[1]);
}
