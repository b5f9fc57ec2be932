/* Google / OpenID Connect (R5): beginning a device flow, binding its account, logging in with it
 * and the OTP (R5.3). The network half is google_net.c. */
#include "account.h"
#include "audit.h"
#include "bindings.h"
#include "gate.h"
#include "handlers.h"
#include "oobflow.h"
#include "otpverify.h"
#include "proto/bus.h"
#include "ratelimit.h"
#include "reply.h"
#include "request.h"
#include <stdio.h>
#include <string.h>

/* Each login flow asks the provider for a device code: at most oidc_max_attempts per
 * account and remote host in the window (a host cannot use up another's). */
static int google_rate_ok(struct request *r, const char *user, const char *rhost)
{
	char key[REC_NAME_MAX + TEXT_FIELD_MAX + 2], owner[32];
	snprintf(key, sizeof(key), "%s@%s", user, rhost);
	caller_quota_key(r, owner, sizeof(owner));
	unsigned wait = rate_limit_take(r->d->flows.google_rate, "google", key, owner, r->now);
	if (wait)
		reply_too_soon(r, wait, "too many attempts: try again in %u seconds", wait);
	return wait == 0;
}

void handle_google_begin(struct request *r)
{
	const char *arg[4];
	request_strings(r, arg, 4);
	int bind = strcmp(arg[1], REGS_OOB_BIND) == 0;
	if (!bind && strcmp(arg[1], REGS_OOB_LOGIN) != 0) {
		reply_error(r, REGS_E_INVALID_ARGS, "purpose is login or bind");
		return;
	}
	if (!r->d->flows.oob.google.configured) {
		reply_error(r, REGS_E_NOT_CONFIGURED, "Google login is not configured");
		return;
	}
	const char *user = bind ? request_target(r, "", 0) : request_target(r, arg[0], 1);
	uint32_t need = REGS_F_OTP_BOUND | (bind ? 0 : REGS_F_GOOGLE_BOUND); /* R5.1, R5.3, R5.4 */
	if (!user || !oob_account_ready(r, user, need, bind ? REGS_PURPOSE_GOOGLE : NULL) ||
	    (!bind && !google_rate_ok(r, user, arg[3])))
		return;
	oob_lock(&r->d->flows.oob);
	oob_flow_begin(r, OOB_GOOGLE, user, bind, arg[2], arg[3]);
	oob_unlock(&r->d->flows.oob);
}

void google_begin_done(struct request *r, struct oob_flow *f)
{
	if (f->net != NET_PENDING || !f->begun) {
		reply_error(r, REGS_E_UNREACHABLE, "the OpenID provider cannot be used: %s",
		            f->error);
		oob_release(&r->d->flows.oob, f);
		return;
	}
	const char *handle = f->handle, *uri = f->dev.verification_uri, *code = f->dev.user_code;
	const char *complete = f->dev.verification_uri_complete;
	uint32_t expires_in = f->dev.expires_in;
	reply_args(r, DBUS_TYPE_STRING, &handle, DBUS_TYPE_STRING, &uri, DBUS_TYPE_STRING, &code,
	           DBUS_TYPE_STRING, &complete, DBUS_TYPE_UINT32, &expires_in, DBUS_TYPE_INVALID);
}

/* A verified ID token for a login: the account's own Google account (R5.4)? */
int google_matches(struct request *r, const struct oob_flow *f)
{
	struct google_rec g;
	return google_load(r, f->user, &g) == REGS_OK && strcmp(g.iss, f->claims.iss) == 0 &&
	       strcmp(g.sub, f->claims.sub) == 0;
}

/* R5.2: one Google account, one local account; a rebind replaces the old one. */
uint32_t google_bind(struct request *r, struct oob_flow *f)
{
	struct google_rec g;
	char owner[REC_NAME_MAX];
	if (strlen(f->claims.iss) >= sizeof(g.iss) || strlen(f->claims.sub) >= sizeof(g.sub))
		return REGS_R_OOB_REFUSED; /* longer than a binding can hold */
	google_owner(r, f->claims.iss, f->claims.sub, owner, sizeof(owner));
	if (*owner && strcmp(owner, f->user) != 0)
		return REGS_R_OOB_BOUND_ELSEWHERE;
	memset(&g, 0, sizeof(g));
	rec_copy(g.iss, sizeof(g.iss), f->claims.iss);
	rec_copy(g.sub, sizeof(g.sub), f->claims.sub);
	rec_copy(g.email, sizeof(g.email), f->claims.email);
	g.bound_at = r->now;
	google_save(r, f->user, &g);
	return REGS_R_OK;
}

/* R5.3: Google approved this flow; now the OTP. The flow is used up either way. */
void handle_google_login(struct request *r)
{
	const char *arg[4];
	char user[REC_NAME_MAX];
	request_strings(r, arg, 4);
	oob_lock(&r->d->flows.oob);
	struct oob_flow *f = oob_find(&r->d->flows.oob, arg[0], dbus_message_get_sender(r->msg));
	int approved = f && f->kind == OOB_GOOGLE && !f->bind && !f->busy && !f->waiting &&
	               f->state == REGS_OOB_APPROVED;
	if (f && approved)
		rec_copy(user, sizeof(user), f->user);
	if (f)
		oob_release(&r->d->flows.oob, f);
	oob_unlock(&r->d->flows.oob);
	if (!approved) {
		reply_verdict(r, REGS_R_OOB_NOT_APPROVED, NULL);
		return;
	}
	otp_attempt(r, user, arg[1], NULL, arg[2], arg[3]);
}
