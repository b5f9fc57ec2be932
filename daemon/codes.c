/* Mailed codes: generation, staging the mail, completion after sending, and redemption. */
#include "codes.h"
#include "audit.h"
#include "base/random.h"
#include "base/wipe.h"
#include "handlers.h"
#include "mail/mail.h"
#include "mailtexts.h"
#include "otp/resetcode.h"
#include "proto/bus.h"
#include "reply.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static size_t code_key(uint8_t *out, const char *user, const char *kind)
{
	size_t u = strlen(user) + 1, k = strlen(kind);
	memcpy(out, user, u);
	memcpy(out + u, kind, k);
	return u + k;
}

enum regs_err code_load(struct request *r, const char *user, const char *kind, struct code_rec *c)
{
	uint8_t key[REC_NAME_MAX + 16];
	struct store_val k = {key, code_key(key, user, kind)}, v;
	enum regs_err err = store_get(r->txn, STORE_CODES, k, &v);
	if (err != REGS_OK)
		return err;
	return code_rec_decode(v.data, v.len, c) == REGS_OK ? REGS_OK : REGS_ERR_STORAGE;
}

void code_save(struct request *r, const char *user, const char *kind, const struct code_rec *c)
{
	uint8_t key[REC_NAME_MAX + 16], buf[REC_BUF_MAX];
	struct store_val k = {key, code_key(key, user, kind)}, v = {buf, code_rec_encode(c, buf)};
	store_put(r->txn, STORE_CODES, k, v);
}

void code_delete(struct request *r, const char *user, const char *kind)
{
	uint8_t key[REC_NAME_MAX + 16];
	struct store_val k = {key, code_key(key, user, kind)};
	store_del(r->txn, STORE_CODES, k);
}

void codes_delete_resets(struct request *r, const char *user)
{
	code_delete(r, user, REGS_RESET_BINDING);
	code_delete(r, user, REGS_RESET_PASSWORD);
}

/* The mail text for a kind of code (fixed bilingual text: see mailtexts.c). */
static enum regs_err compose(struct request *r, const char *user, const char *kind,
                             const char *code, const char *to, char **message)
{
	char *subject = NULL, *body = NULL;
	const struct regs_config *cfg = &r->d->cfg;
	int minutes = (cfg->reset_code_seconds + 59) / 60;
	enum regs_err err =
	    strcmp(kind, CODE_VERIFY) == 0
	        ? mail_verify_code_text(cfg, user, code, minutes, &subject, &body)
	        : mail_reset_code_text(cfg, user, code, strcmp(kind, REGS_RESET_PASSWORD) == 0,
	                               minutes, &subject, &body);
	if (err == REGS_OK)
		err = mail_compose(cfg, to, subject, body, r->now, message);
	regs_free_secret_str(body);
	free(subject);
	return err;
}

static struct mail_job *new_job(struct request *r, const char *user, const char *kind,
                                const char *address, const char *service, const char *rhost)
{
	struct mail_job *job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->msg = dbus_message_ref(r->msg);
	job->caller = r->caller;
	rec_copy(job->user, sizeof(job->user), user);
	rec_copy(job->kind, sizeof(job->kind), kind);
	rec_copy(job->code.address, sizeof(job->code.address), address);
	text_sanitize(service, job->service, sizeof(job->service));
	text_sanitize(rhost, job->rhost, sizeof(job->rhost));
	return job;
}

int code_stage_mail(struct request *r, const char *user, const char *kind, const char *address,
                    const char *service, const char *rhost)
{
	char code[16];
	if (!*r->d->cfg.smtp_url) {
		reply_error(r, REGS_E_MAIL_FAILED, "e-mail is not configured on this system");
		return 0;
	}
	struct mail_job *job = new_job(r, user, kind, address, service, rhost);
	enum regs_err err = job ? resetcode_generate(code, job->code.prefix) : REGS_ERR_NOMEM;
	if (err == REGS_OK)
		err = regs_random_bytes(job->code.salt, sizeof(job->code.salt));
	if (err == REGS_OK)
		err = resetcode_hash(job->code.salt, code, job->code.hash);
	if (err == REGS_OK)
		err = compose(r, user, kind, code, address, &job->message);
	regs_wipe(code, sizeof(code));
	if (err != REGS_OK) {
		mail_job_free(job);
		if (err == REGS_ERR_INVALID)
			reply_error(r, REGS_E_INVALID_ARGS, "invalid e-mail address");
		else
			reply_storage_error(r, err);
		return 0;
	}
	r->job = job; /* submitted after the commit; the reply waits for the mail */
	return 1;
}

/* Called in a later batch when the mail is out (or not): only then is the code live. */
void mail_complete(struct request *r, struct mail_job *job)
{
	struct audit_event e = {job->user,    "mail-code", job->kind,
	                        job->service, job->rhost,  job->sent ? REGS_R_OK : REGS_R_EXPIRED};
	audit_record(r, &e);
	if (!job->sent) {
		regsd_log(LOG_ERR, "mail for %s (%s code) not sent: %s", job->user, job->kind,
		          job->error);
		code_delete(r, job->user, job->kind); /* a resend kills the old code (R8.3) */
		reply_error(r, REGS_E_MAIL_FAILED, "the mail could not be sent: no code is valid");
		return;
	}
	job->code.sent_at = r->now;
	job->code.expires = r->now + r->d->cfg.reset_code_seconds;
	job->code.tries = 0;
	code_save(r, job->user, job->kind, &job->code); /* replaces the previous code (R8.3) */
	const char *prefix = job->code.prefix;
	uint32_t expires_in = (uint32_t)r->d->cfg.reset_code_seconds;
	uint32_t resend = (uint32_t)r->d->cfg.reset_resend_seconds;
	if (strcmp(job->kind, CODE_VERIFY) == 0)
		reply_args(r, DBUS_TYPE_STRING, &prefix, DBUS_TYPE_UINT32, &expires_in,
		           DBUS_TYPE_INVALID);
	else
		reply_args(r, DBUS_TYPE_STRING, &prefix, DBUS_TYPE_UINT32, &expires_in,
		           DBUS_TYPE_UINT32, &resend, DBUS_TYPE_INVALID);
}

static uint32_t count_try(struct request *r, const char *user, const char *kind, struct code_rec *c,
                          uint32_t *tries_left)
{
	uint32_t max = (uint32_t)r->d->cfg.reset_code_tries;
	c->tries++;
	if (c->tries >= max)
		code_delete(r, user, kind); /* a few wrong entries kill the code (R8.3) */
	else
		code_save(r, user, kind, c);
	*tries_left = c->tries >= max ? 0 : max - c->tries;
	return REGS_R_WRONG;
}

uint32_t code_redeem(struct request *r, const char *user, const char *kind, const char *input,
                     const char *address, struct code_rec *c, uint32_t *tries_left)
{
	*tries_left = 0;
	enum regs_err err = code_load(r, user, kind, c);
	if (err != REGS_OK)
		return REGS_R_EXPIRED; /* none, or already used: ask for a new one */
	if (c->expires <= r->now || (address && strcmp(address, c->address) != 0)) {
		code_delete(r, user, kind);
		return REGS_R_EXPIRED;
	}
	char full[RESETCODE_SIZE + 8];
	if (strlen(input) == 6 && strspn(input, "0123456789") == 6) {
		/* the digits alone: the prefix is the one shown on screen */
		snprintf(full, sizeof(full), "%s-%s", c->prefix, input);
		input = full;
	}
	int match = resetcode_well_formed(input) && resetcode_matches(c->salt, c->hash, input);
	regs_wipe(full, sizeof(full));
	if (!match)
		return count_try(r, user, kind, c, tries_left);
	code_delete(r, user, kind); /* one use */
	return REGS_R_OK;
}
