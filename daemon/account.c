/* Account, OTP and pending-enrolment records of one account, read and written in the batch's
 * transaction. */
#include "account.h"
#include "proto/bus.h"
#include "reply.h"
#include <string.h>

enum regs_err account_load(struct request *r, const char *user, struct account_rec *a)
{
	struct store_val v;
	enum regs_err err = store_get(r->txn, STORE_ACCOUNTS, store_str(user), &v);
	if (err != REGS_OK)
		return err;
	return account_rec_decode(v.data, v.len, a) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

enum regs_err account_load_or_new(struct request *r, const char *user, struct account_rec *a)
{
	enum regs_err err = account_load(r, user, a);
	if (err != REGS_ERR_NOT_FOUND)
		return err;
	if (!caller_user_exists(user))
		return REGS_ERR_NOT_FOUND;
	memset(a, 0, sizeof(*a));
	a->class = ACCOUNT_PERSONAL;
	a->created = r->now;
	return REGS_OK;
}

void account_save(struct request *r, const char *user, const struct account_rec *a)
{
	uint8_t buf[REC_BUF_MAX];
	struct store_val v = {buf, account_rec_encode(a, buf)};
	store_put(r->txn, STORE_ACCOUNTS, store_str(user), v);
}

enum regs_err otp_load(struct request *r, const char *user, struct otp_rec *o)
{
	struct store_val v;
	enum regs_err err = store_get(r->txn, STORE_OTP, store_str(user), &v);
	if (err != REGS_OK)
		return err;
	return otp_rec_decode(v.data, v.len, o) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

void otp_save(struct request *r, const char *user, const struct otp_rec *o)
{
	uint8_t buf[REC_BUF_MAX];
	struct store_val v = {buf, otp_rec_encode(o, buf)};
	store_put(r->txn, STORE_OTP, store_str(user), v);
}

void otp_delete(struct request *r, const char *user)
{
	store_del(r->txn, STORE_OTP, store_str(user));
}

enum regs_err pending_load(struct request *r, const char *user, struct pending_rec *p)
{
	struct store_val v;
	enum regs_err err = store_get(r->txn, STORE_PENDING, store_str(user), &v);
	if (err != REGS_OK)
		return err;
	return pending_rec_decode(v.data, v.len, p) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

void pending_save(struct request *r, const struct pending_rec *p)
{
	uint8_t buf[REC_BUF_MAX];
	struct store_val v = {buf, pending_rec_encode(p, buf)};
	store_put(r->txn, STORE_PENDING, store_str(p->user), v);
}

void pending_delete(struct request *r, const char *user)
{
	store_del(r->txn, STORE_PENDING, store_str(user));
}

/* R9.2 for accounts that log in with passwords (R6.3: not while disabled).
 * An account regsd has never seen a change for counts from its creation. */
static int password_expired(const struct request *r, const struct account_rec *a)
{
	int64_t max_age = (int64_t)r->d->cfg.password_max_age_days * 86400;
	int64_t since = a->password_changed ? a->password_changed : a->created;
	if (max_age == 0 || (a->flags & REGS_F_PASSWORD_LOGIN_DISABLED))
		return 0;
	return r->now - since > max_age;
}

uint32_t account_flags(struct request *r, const char *user, const struct account_rec *a)
{
	struct store_val v;
	uint32_t flags = 0;
	if (!a)
		return 0;
	flags |= REGS_F_KNOWN | (a->flags & REGS_F_PASSWORD_LOGIN_DISABLED);
	if (store_get(r->txn, STORE_OTP, store_str(user), &v) == REGS_OK)
		flags |= REGS_F_OTP_BOUND;
	if (store_get(r->txn, STORE_CARDS, store_str(user), &v) == REGS_OK)
		flags |= REGS_F_CARD_BOUND;
	if (store_get(r->txn, STORE_GOOGLE, store_str(user), &v) == REGS_OK)
		flags |= REGS_F_GOOGLE_BOUND;
	if (store_get(r->txn, STORE_MOBILE, store_str(user), &v) == REGS_OK)
		flags |= REGS_F_MOBILE_BOUND;
	if (policy_lock_seconds_left(a, r->now) > 0)
		flags |= REGS_F_LOCKED;
	if (a->must_change_password)
		flags |= REGS_F_MUST_CHANGE_PASSWORD;
	if (password_expired(r, a))
		flags |= REGS_F_PASSWORD_EXPIRED;
	if (a->email_verified_at)
		flags |= REGS_F_EMAIL_VERIFIED;
	if (a->class == ACCOUNT_INSTITUTION)
		flags |= REGS_F_INSTITUTION;
	return flags;
}

int account_open_for_change(struct request *r, const char *user, struct account_rec *a)
{
	enum regs_err err = account_load_or_new(r, user, a);
	if (err == REGS_ERR_NOT_FOUND)
		reply_error(r, REGS_E_NO_SUCH_USER, "no such user");
	else if (err != REGS_OK)
		reply_storage_error(r, err);
	return err == REGS_OK;
}
