/* The calls every out-of-band flow shares: waiting for the provider, binding, cancelling, and
 * the batch loop's half of a finished step. */
#include "account.h"
#include "audit.h"
#include "gate.h"
#include "handlers.h"
#include "oobflow.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include "stepup.h"
#include <string.h>
#include <syslog.h>

#define BEGIN_SECONDS 120 /* a flow's life until the provider says how long it lasts */

static const char *kind_name(const struct oob_flow *f)
{
	return f->kind == OOB_GOOGLE ? "google" : "mobile";
}

int oob_account_ready(struct request *r, const char *user, uint32_t need, const char *purpose)
{
	if (!gate_admit(r, user, need))
		return 0;
	return !purpose || require_step_up(r, user, purpose, 0);
}

struct oob_flow *oob_flow_begin(struct request *r, enum oob_kind kind, const char *user, int bind,
                                const char *service, const char *rhost)
{
	struct oob_flow *f =
	    oob_new(&r->d->flows.oob, kind, user, dbus_message_get_sender(r->msg), r->now);
	if (!f) {
		reply_error(r, REGS_E_TOO_SOON, "too many logins in progress: try again shortly");
		return NULL;
	}
	f->bind = bind;
	f->expires = r->now + BEGIN_SECONDS;
	text_sanitize(bind ? "regsctl" : service, f->service, sizeof(f->service));
	text_sanitize(bind ? "" : rhost, f->rhost, sizeof(f->rhost));
	oob_request(&r->d->flows.oob, f, OOB_STEP_BEGIN, r->msg, &r->caller);
	r->deferred = 1;
	return f;
}

static uint32_t state_of_net(const struct oob_flow *f, int64_t now)
{
	switch (f->net) {
	case NET_PENDING:
		return f->expires <= now ? REGS_OOB_EXPIRED : REGS_OOB_PENDING;
	case NET_DENIED:
		return REGS_OOB_DENIED;
	case NET_EXPIRED:
		return REGS_OOB_EXPIRED;
	case NET_UNREACHABLE:
		return REGS_OOB_UNREACHABLE;
	case NET_REFUSED:
		return REGS_OOB_REFUSED;
	default:
		return REGS_OOB_APPROVED;
	}
}

static void wait_reply(struct request *r, uint32_t state, const struct oob_flow *f,
                       const struct account_rec *a)
{
	uint32_t left = f && f->expires > r->now ? (uint32_t)(f->expires - r->now) : 0;
	uint32_t lock = a ? policy_lock_seconds_left(a, r->now) : 0;
	reply_args(r, DBUS_TYPE_UINT32, &state, DBUS_TYPE_UINT32, &left, DBUS_TYPE_UINT32, &lock,
	           DBUS_TYPE_INVALID);
}

/* A login flow's answer as the gate sees it: the flow and its state after the poll. */
struct oob_attempt {
	struct oob_flow *f;
	uint32_t state;
};

/* R9.1: a refused answer or someone else's account counts like a wrong code;
 * a denial, expiry or unreachable provider does not. */
static int oob_result_counts(uint32_t result)
{
	return result == REGS_R_OOB_REFUSED || result == REGS_R_OOB_NOT_BOUND;
}

/* The verdict of a settled answer; an approval must name the account's own binding (R5.4). */
static uint32_t oob_verify(struct request *r, struct gate_attempt *g)
{
	struct oob_attempt *x = g->ctx;
	if (x->state == REGS_OOB_APPROVED) {
		int match =
		    x->f->kind == OOB_GOOGLE ? google_matches(r, x->f) : mobile_matches(r, x->f);
		x->state = match ? REGS_OOB_APPROVED : REGS_OOB_NOT_BOUND;
	}
	switch (x->state) {
	case REGS_OOB_APPROVED:
		return REGS_R_OK;
	case REGS_OOB_REFUSED:
		return REGS_R_OOB_REFUSED;
	case REGS_OOB_NOT_BOUND:
		return REGS_R_OOB_NOT_BOUND;
	case REGS_OOB_EXPIRED:
		return REGS_R_EXPIRED;
	default:
		return REGS_R_OOB_NOT_APPROVED;
	}
}

/* The wait's reply (state, seconds left, lock): what the gate decided, in the flow's terms. */
static void oob_reply(struct request *r, const struct gate_attempt *g)
{
	struct oob_attempt *x = g->ctx;
	if (g->result == REGS_R_LOCKED)
		x->state = REGS_OOB_LOCKED;
	else if (!g->have_account)
		x->state = REGS_OOB_REFUSED; /* gone from NSS meanwhile */
	wait_reply(r, x->state, x->f, g->have_account ? &g->a : NULL);
}

/* A Google approval is only half a login: the OTP comes next (R5.3); mobile's is the whole. */
static const struct gate_method google_approval = {.name = "google",
                                                   .event = "login",
                                                   .unbound = REGS_R_OOB_REFUSED,
                                                   .nss_account = 1,
                                                   .partial = 1,
                                                   .verify = oob_verify,
                                                   .counts = oob_result_counts,
                                                   .reply = oob_reply};

static const struct gate_method mobile_approval = {.name = "mobile",
                                                   .event = "login",
                                                   .unbound = REGS_R_OOB_REFUSED,
                                                   .nss_account = 1,
                                                   .verify = oob_verify,
                                                   .counts = oob_result_counts,
                                                   .reply = oob_reply};

/* The state after a poll, replied; a login's answer goes through the gate. */
static uint32_t settle(struct request *r, struct oob_flow *f)
{
	uint32_t state = state_of_net(f, r->now);
	if (state != REGS_OOB_PENDING && (state != REGS_OOB_APPROVED || f->net != NET_VERIFIED))
		regsd_log(LOG_NOTICE, "%s %s of %s: %s", kind_name(f),
		          f->bind ? "binding" : "login", f->user, *f->error ? f->error : "ended");
	if (state == REGS_OOB_PENDING || f->bind) {
		wait_reply(r, state, f, NULL);
		return state;
	}
	struct oob_attempt x = {f, state};
	const struct gate_method *m = f->kind == OOB_GOOGLE ? &google_approval : &mobile_approval;
	struct gate_attempt g = gate_attempt_new(m, f->user, f->service, f->rhost, &x);
	gate_run(r, &g);
	if (!g.have_account)
		x.state = REGS_OOB_REFUSED; /* gone from NSS, or a storage error: the flow ends */
	return x.state;
}

/* A settled state ends the flow unless a next call still needs it. */
static int keep_flow(const struct oob_flow *f, uint32_t state)
{
	if (state == REGS_OOB_PENDING)
		return 1;
	return state == REGS_OOB_APPROVED && (f->bind || f->kind == OOB_GOOGLE);
}

static void poll_done(struct request *r, struct oob_flow *f)
{
	uint32_t state = settle(r, f);
	if (state != REGS_OOB_PENDING)
		f->state = state;
	if (!keep_flow(f, state))
		oob_release(&r->d->flows.oob, f);
}

/* The call waiting for a flow that was ended meanwhile (cancelled, or the
 * account began another one): told so, never left without an answer. */
static void cancelled_reply(struct request *r, enum oob_step step)
{
	if (step == OOB_STEP_POLL)
		wait_reply(r, REGS_OOB_GONE, NULL, NULL);
	else
		reply_error(r, REGS_E_NO_SUCH_ENROLMENT, "the login flow was ended meanwhile");
}

void oob_complete(struct request *r, struct oob_flow *f)
{
	if (f->cancelled) {
		cancelled_reply(r, f->waiting_step);
		oob_release(&r->d->flows.oob, f); /* nobody waits now: freed */
		return;
	}
	switch (f->waiting_step) {
	case OOB_STEP_BEGIN:
		if (f->kind == OOB_GOOGLE)
			google_begin_done(r, f);
		else
			mobile_begin_done(r, f);
		break;
	case OOB_STEP_QR:
		mobile_qr_done(r, f);
		break;
	default:
		poll_done(r, f);
	}
}

void handle_oob_wait(struct request *r)
{
	const char *arg[1];
	request_strings(r, arg, 1);
	oob_lock(&r->d->flows.oob);
	struct oob_flow *f = oob_find(&r->d->flows.oob, arg[0], dbus_message_get_sender(r->msg));
	if (!f) {
		wait_reply(r, REGS_OOB_GONE, NULL, NULL);
	} else if (f->waiting || f->busy) {
		reply_error(r, REGS_E_INVALID_ARGS, "a call on this flow is still running");
	} else if (f->state != REGS_OOB_PENDING || f->expires <= r->now) {
		uint32_t state = f->state != REGS_OOB_PENDING ? f->state : REGS_OOB_EXPIRED;
		wait_reply(r, state, f, NULL);
		if (!keep_flow(f, state))
			oob_release(&r->d->flows.oob, f);
	} else {
		oob_request(&r->d->flows.oob, f, OOB_STEP_POLL, r->msg, &r->caller);
		r->deferred = 1;
	}
	oob_unlock(&r->d->flows.oob);
}

static void bind_audit(struct request *r, const struct oob_flow *f, uint32_t result)
{
	struct audit_event e = {f->user, "bind", kind_name(f), "regsctl", "", result};
	audit_record(r, &e);
}

/* R7.1 (step-up consumed), R5.1 (OTP first), R5.2 / one phone one account. */
static uint32_t bind_flow(struct request *r, struct oob_flow *f)
{
	const char *purpose = f->kind == OOB_GOOGLE ? REGS_PURPOSE_GOOGLE : REGS_PURPOSE_MOBILE;
	struct account_rec a;
	if (!require_step_up(r, f->user, purpose, 1))
		return UINT32_MAX; /* replied */
	if (!account_open_for_change(r, f->user, &a))
		return UINT32_MAX;
	if (f->kind == OOB_GOOGLE && !(account_flags(r, f->user, &a) & REGS_F_OTP_BOUND))
		return REGS_R_OTP_REQUIRED;
	uint32_t result = f->kind == OOB_GOOGLE ? google_bind(r, f) : mobile_bind(r, f);
	if (result == REGS_R_OK)
		account_save(r, f->user, &a);
	return result;
}

void handle_oob_bind(struct request *r)
{
	const char *arg[1];
	request_strings(r, arg, 1);
	oob_lock(&r->d->flows.oob);
	struct oob_flow *f = oob_find(&r->d->flows.oob, arg[0], dbus_message_get_sender(r->msg));
	uint32_t result = REGS_R_OOB_NOT_APPROVED;
	if (f && f->bind && !f->busy && !f->waiting && f->state == REGS_OOB_APPROVED &&
	    strcmp(f->user, r->caller.name) == 0)
		result = bind_flow(r, f);
	if (result != UINT32_MAX) {
		if (f)
			bind_audit(r, f, result);
		reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_INVALID);
	}
	if (f && result != UINT32_MAX)
		oob_release(&r->d->flows.oob, f);
	oob_unlock(&r->d->flows.oob);
}

void handle_oob_cancel(struct request *r)
{
	const char *arg[1];
	request_strings(r, arg, 1);
	oob_lock(&r->d->flows.oob);
	struct oob_flow *f = oob_find(&r->d->flows.oob, arg[0], dbus_message_get_sender(r->msg));
	if (f)
		oob_release(&r->d->flows.oob, f);
	oob_unlock(&r->d->flows.oob);
	reply_args(r, DBUS_TYPE_INVALID);
}
