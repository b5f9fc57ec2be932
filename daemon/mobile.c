/* Mobile citizen certificate (R4): beginning a transaction (ID number checked, attempts
 * rate-limited), the QR for the same transaction, and what a verified result means. The network
 * half is mobile_net.c. */
#include "account.h"
#include "base/wipe.h"
#include "bindings.h"
#include "handlers.h"
#include "oobflow.h"
#include "proto/bus.h"
#include "ratelimit.h"
#include "reply.h"
#include "request.h"
#include "ui/twid.h"
#include <string.h>

/* R4.1: attempts per account and per ID number; 0 when this one may go. Every
 * attempt counts for its ID number; only a push that went out counts for the account
 * (mobile_begin_done), so that numbers without a phone cannot use up the account's. */
static unsigned rate_wait(struct request *r, const char *user, const char *id_num)
{
	struct rate_limit *rl = r->d->flows.oob_rate;
	char owner[32];
	unsigned wait = rate_limit_wait(rl, "user", user, r->now);
	unsigned wait_id = rate_limit_wait(rl, "id", id_num, r->now);
	if (wait_id > wait)
		wait = wait_id;
	caller_quota_key(r, owner, sizeof(owner));
	return wait ? wait : rate_limit_take(rl, "id", id_num, owner, r->now);
}

static const char *mobile_target(struct request *r, const char *user, const char *purpose,
                                 int *bind)
{
	*bind = strcmp(purpose, REGS_OOB_BIND) == 0;
	if (!*bind && strcmp(purpose, REGS_OOB_LOGIN) != 0) {
		reply_error(r, REGS_E_INVALID_ARGS, "purpose is login or bind");
		return NULL;
	}
	if (!r->d->flows.oob.mobile.configured) {
		reply_error(r, REGS_E_NOT_CONFIGURED,
		            "mobile citizen certificate is not configured");
		return NULL;
	}
	return *bind ? request_target(r, "", 0) : request_target(r, user, 1);
}

void handle_mobile_begin(struct request *r)
{
	const char *arg[5];
	int bind;
	request_strings(r, arg, 5);
	const char *user = mobile_target(r, arg[0], arg[2], &bind);
	if (!user)
		return;
	if (!twid_valid(arg[1])) { /* R4.1: nothing is sent for a bad number */
		reply_error(r, REGS_E_INVALID_ARGS, "not a valid national ID number");
		return;
	}
	uint32_t need = bind ? 0 : REGS_F_MOBILE_BOUND;
	if (!oob_account_ready(r, user, need, bind ? REGS_PURPOSE_MOBILE : NULL))
		return;
	unsigned wait = rate_wait(r, user, arg[1]);
	if (wait) {
		reply_too_soon(r, wait, "too many attempts: try again in %u seconds", wait);
		return;
	}
	oob_lock(&r->d->flows.oob);
	struct oob_flow *f = oob_flow_begin(r, OOB_MOBILE, user, bind, arg[3], arg[4]);
	if (f)
		rec_copy(f->id_num, sizeof(f->id_num), arg[1]);
	oob_unlock(&r->d->flows.oob);
}

/* R4.3: the seconds left, never more than the time limit: the worker's clock may have
 * passed a second boundary after this batch read its own. */
static uint32_t begin_seconds_left(const struct request *r, const struct oob_flow *f)
{
	int64_t left = f->expires - r->now;
	int64_t limit = r->d->cfg.mobile_time_limit;
	if (left > limit)
		left = limit;
	return left > 0 ? (uint32_t)left : 0;
}

void mobile_begin_done(struct request *r, struct oob_flow *f)
{
	if (f->net != NET_PENDING || !f->begun) {
		const char *name =
		    f->net == NET_UNREACHABLE ? REGS_E_UNREACHABLE : REGS_E_NOT_ALLOWED;
		reply_error(r, name, "the mobile-ID service refused the transaction: %s", f->error);
		oob_release(&r->d->flows.oob, f);
		return;
	}
	char owner[32];
	caller_quota_key(r, owner, sizeof(owner));
	/* the push went out: it counts if it can; a full table already refused at rate_wait */
	(void)rate_limit_take(r->d->flows.oob_rate, "user", f->user, owner, r->now);
	const char *handle = f->handle;
	uint32_t expires_in = begin_seconds_left(r, f);
	reply_args(r, DBUS_TYPE_STRING, &handle, DBUS_TYPE_UINT32, &expires_in, DBUS_TYPE_INVALID);
}

/* R4.2, R4.4: the QR of the same transaction, for when no push arrives. */
void handle_mobile_qr(struct request *r)
{
	const char *arg[1];
	request_strings(r, arg, 1);
	oob_lock(&r->d->flows.oob);
	struct oob_flow *f = oob_find(&r->d->flows.oob, arg[0], dbus_message_get_sender(r->msg));
	if (!f || f->kind != OOB_MOBILE || f->state != REGS_OOB_PENDING) {
		reply_error(r, REGS_E_NO_SUCH_ENROLMENT, "no such mobile-ID transaction");
	} else if (f->waiting || f->busy) { /* a worker may be writing the ticket */
		reply_error(r, REGS_E_INVALID_ARGS, "the transaction is busy: try again");
	} else if (f->have_qr) {
		const char *ticket = f->qr_ticket;
		reply_args(r, DBUS_TYPE_STRING, &ticket, DBUS_TYPE_INVALID);
	} else {
		oob_request(&r->d->flows.oob, f, OOB_STEP_QR, r->msg, &r->caller);
		r->deferred = 1;
	}
	oob_unlock(&r->d->flows.oob);
}

void mobile_qr_done(struct request *r, struct oob_flow *f)
{
	if (!f->have_qr) {
		reply_error(r, REGS_E_UNREACHABLE, "no QR code from the mobile-ID service: %s",
		            f->error);
		return; /* the push half goes on */
	}
	const char *ticket = f->qr_ticket;
	reply_args(r, DBUS_TYPE_STRING, &ticket, DBUS_TYPE_INVALID);
}

/* A verified result for a login: the phone bound to this account? */
int mobile_matches(struct request *r, const struct oob_flow *f)
{
	struct mobile_rec m;
	return mobile_load(r, f->user, &m) == REGS_OK &&
	       strcmp(m.hashed_id, f->result.hashed_id_num) == 0;
}

/* Binding stores the service's hash of the ID number, never the number (R4). */
uint32_t mobile_bind(struct request *r, struct oob_flow *f)
{
	struct mobile_rec m;
	char owner[REC_NAME_MAX];
	if (!*f->result.hashed_id_num || strlen(f->result.hashed_id_num) >= sizeof(m.hashed_id))
		return REGS_R_OOB_REFUSED;
	mobile_owner(r, f->result.hashed_id_num, owner, sizeof(owner));
	if (*owner && strcmp(owner, f->user) != 0)
		return REGS_R_OOB_BOUND_ELSEWHERE;
	memset(&m, 0, sizeof(m));
	rec_copy(m.hashed_id, sizeof(m.hashed_id), f->result.hashed_id_num);
	m.bound_at = r->now;
	mobile_save(r, f->user, &m);
	return REGS_R_OK;
}
