/* The login gate: the lock (R9.1), the bindings a method needs, failure counting, the activity log
 * (R9.3) and step-up grants (R7.1) for every login method, in one place. */
#include "gate.h"
#include "account.h"
#include "audit.h"
#include "proto/bus.h"
#include "reply.h"
#include <string.h>
#include <syslog.h>

struct gate_attempt gate_attempt_new(const struct gate_method *m, const char *user,
                                     const char *service, const char *rhost, void *ctx)
{
	struct gate_attempt g;
	memset(&g, 0, sizeof(g));
	g.m = m;
	g.user = user;
	g.method = m->name;
	g.service = service;
	g.rhost = rhost;
	g.purpose = "";
	g.ctx = ctx;
	g.result = GATE_UNDECIDED;
	return g;
}

void reply_verdict(struct request *r, uint32_t result, const struct account_rec *a)
{
	uint32_t lock = a ? policy_lock_seconds_left(a, r->now) : 0;
	uint32_t left = a ? policy_failures_left(a, &r->d->gate.lock, r->now) : 0;
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &lock, DBUS_TYPE_UINT32, &left,
	           DBUS_TYPE_INVALID);
}

static int is_step_up(const struct gate_method *m)
{
	return strcmp(m->event, "step-up") == 0;
}

/* The verdict reply; a step-up's carries how long its proof lasts (0 when refused). */
static void reply(struct request *r, const struct gate_attempt *g)
{
	const struct account_rec *a = g->have_account ? &g->a : NULL;
	if (g->m->reply) {
		g->m->reply(r, g);
		return;
	}
	if (!is_step_up(g->m)) {
		reply_verdict(r, g->result, a);
		return;
	}
	uint32_t result = g->result;
	uint32_t valid_for = result == REGS_R_OK ? (uint32_t)r->d->cfg.step_up_seconds : 0;
	uint32_t lock = a ? policy_lock_seconds_left(a, r->now) : 0;
	uint32_t left = a ? policy_failures_left(a, &r->d->gate.lock, r->now) : 0;
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_UINT32, &lock, DBUS_TYPE_UINT32, &left,
	           DBUS_TYPE_UINT32, &valid_for, DBUS_TYPE_INVALID);
}

/* Begin: the account, then what its state permits. 1 when the method may verify (or a verdict
 * is already set), 0 when the attempt ended here (replied). */
static int gate_begin(struct request *r, struct gate_attempt *g, int *fresh)
{
	enum regs_err err = account_load(r, g->user, &g->a);
	if (err == REGS_ERR_NOT_FOUND && g->m->nss_account) {
		err = account_load_or_new(r, g->user, &g->a);
		*fresh = err == REGS_OK;
	}
	if (err == REGS_ERR_NOT_FOUND && g->m->unbound == GATE_NO_SUCH_USER) {
		reply_error(r, REGS_E_NO_SUCH_USER, "no such user");
		return 0;
	}
	if (err != REGS_OK && err != REGS_ERR_NOT_FOUND) {
		reply_storage_error(r, err);
		return 0;
	}
	if (err == REGS_ERR_NOT_FOUND ||
	    (g->m->need && (account_flags(r, g->user, &g->a) & g->m->need) != g->m->need)) {
		g->result = g->m->unbound;
		reply(r, g); /* nothing to lock or log: have_account is 0 */
		return 0;
	}
	g->have_account = 1;
	if (g->result == GATE_UNDECIDED && policy_lock_seconds_left(&g->a, r->now) > 0)
		g->result = REGS_R_LOCKED; /* R9.1: a lock stops every way in */
	return 1;
}

/* Counts a failed attempt; logs a lock it causes. */
static void count_failure(struct request *r, struct gate_attempt *g)
{
	if (!policy_record_failure(&g->a, &r->d->gate.lock, r->now))
		return;
	struct audit_event e = {g->user, "lock", g->method, g->service, g->rhost, REGS_R_LOCKED};
	audit_record(r, &e);
	regsd_log(LOG_WARNING, "account %s locked for %d minutes after %u failed attempts", g->user,
	          r->d->cfg.lock_minutes, (unsigned)r->d->gate.lock.threshold);
}

/* Settle: count or clear, save what changed, one activity-log line, a step-up's proof. */
static void gate_settle(struct request *r, struct gate_attempt *g, const struct account_rec *before,
                        int fresh)
{
	const struct gate_method *m = g->m;
	int success = g->result == REGS_R_OK;
	if (success && !m->partial)
		policy_clear(&g->a);
	else if (!success && g->result != REGS_R_LOCKED && m->counts(g->result))
		count_failure(r, g);
	if (fresh || memcmp(before, &g->a, sizeof(g->a)) != 0)
		account_save(r, g->user, &g->a);
	const char *event = success && m->partial ? "approve" : m->event;
	struct audit_event e = {g->user, event, g->method, g->service, g->rhost, g->result};
	audit_record(r, &e);
	if (success && is_step_up(m))
		stepup_grant(&r->d->gate.stepups, dbus_message_get_sender(r->msg), r->caller.uid,
		             g->purpose, r->now + r->d->cfg.step_up_seconds, r->now);
}

void gate_run(struct request *r, struct gate_attempt *g)
{
	int fresh = 0;
	if (!gate_begin(r, g, &fresh))
		return;
	struct account_rec before = g->a;
	if (g->result == GATE_UNDECIDED)
		g->result = g->m->verify(r, g);
	if (!g->unjudged)
		gate_settle(r, g, &before, fresh);
	if (!r->reply) /* a verify that met an error has replied with it */
		reply(r, g);
}

static const struct {
	uint32_t flag;
	const char *missing;
} needed[] = {
    {REGS_F_OTP_BOUND, "bind OTP before a Google account (R5.1, R5.3)"},
    {REGS_F_GOOGLE_BOUND, "no Google account is bound to this account (R5.4)"},
    {REGS_F_MOBILE_BOUND, "no mobile citizen certificate is bound to this account"},
};

int gate_admit(struct request *r, const char *user, uint32_t need)
{
	struct account_rec a;
	enum regs_err err = account_load(r, user, &a);
	if (err != REGS_OK && err != REGS_ERR_NOT_FOUND) {
		reply_storage_error(r, err);
		return 0;
	}
	uint32_t flags = account_flags(r, user, err == REGS_OK ? &a : NULL);
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if ((need & needed[i].flag) && !(flags & needed[i].flag)) {
			reply_error(r, REGS_E_NOT_ALLOWED, "%s", needed[i].missing);
			return 0;
		}
	}
	if (flags & REGS_F_LOCKED) {
		reply_error(r, REGS_E_NOT_ALLOWED, "the account is locked");
		return 0;
	}
	return 1;
}
