/* Step-up proofs (R7.1): a small table in memory (a restart of regsd simply asks users to
 * re-verify), and the check a settings change makes before it acts. */
#include "stepup.h"
#include "account.h"
#include "proto/bus.h"
#include "reply.h"
#include <string.h>

static int same(const struct stepup_proof *p, const char *sender, uid_t uid, const char *purpose)
{
	return p->uid == uid && strcmp(p->sender, sender) == 0 && strcmp(p->purpose, purpose) == 0;
}

void stepup_grant(struct stepup_table *t, const char *sender, uid_t uid, const char *purpose,
                  int64_t expires, int64_t now)
{
	struct stepup_proof *slot = NULL;
	if (strlen(sender) >= sizeof(slot->sender) || strlen(purpose) >= sizeof(slot->purpose))
		return;
	for (int i = 0; i < STEPUP_SLOTS; i++) {
		struct stepup_proof *p = &t->proof[i];
		if (p->expires > now && same(p, sender, uid, purpose)) {
			slot = p; /* renew */
			break;
		}
		if (!slot && p->expires <= now)
			slot = p;
	}
	if (!slot) { /* full: replace the proof that expires first */
		slot = &t->proof[0];
		for (int i = 1; i < STEPUP_SLOTS; i++)
			if (t->proof[i].expires < slot->expires)
				slot = &t->proof[i];
	}
	strcpy(slot->sender, sender);
	strcpy(slot->purpose, purpose);
	slot->uid = uid;
	slot->expires = expires;
}

int stepup_take(struct stepup_table *t, const char *sender, uid_t uid, const char *purpose,
                int64_t now, int consume)
{
	for (int i = 0; i < STEPUP_SLOTS; i++) {
		struct stepup_proof *p = &t->proof[i];
		if (p->expires > now && same(p, sender, uid, purpose)) {
			if (consume)
				memset(p, 0, sizeof(*p));
			return 1;
		}
	}
	return 0;
}

static const char *const purposes[] = {
    REGS_PURPOSE_VIEW, REGS_PURPOSE_OTP,    REGS_PURPOSE_PASSWORD_LOGIN, REGS_PURPOSE_EMAIL,
    REGS_PURPOSE_CARD, REGS_PURPOSE_GOOGLE, REGS_PURPOSE_MOBILE};

int stepup_purpose_known(const char *purpose)
{
	for (size_t i = 0; i < sizeof(purposes) / sizeof(purposes[0]); i++)
		if (strcmp(purpose, purposes[i]) == 0)
			return 1;
	return 0;
}

int require_step_up(struct request *r, const char *user, const char *purpose, int consume)
{
	struct account_rec a;
	if (strcmp(user, r->caller.name) != 0 && r->caller.is_admin)
		return 1; /* an administrator acting on another account */
	enum regs_err err = account_load(r, user, &a);
	uint32_t flags = err == REGS_OK ? account_flags(r, user, &a) : 0;
	if (!(flags &
	      (REGS_F_OTP_BOUND | REGS_F_CARD_BOUND | REGS_F_GOOGLE_BOUND | REGS_F_MOBILE_BOUND)))
		return 1; /* nothing to re-verify with: binding is forced anyway (R1.4) */
	if (stepup_take(&r->d->gate.stepups, dbus_message_get_sender(r->msg), r->caller.uid,
	                purpose, r->now, consume))
		return 1;
	reply_error(r, REGS_E_STEP_UP_REQUIRED,
	            "re-verify with a bound method first (step-up '%s')", purpose);
	return 0;
}
