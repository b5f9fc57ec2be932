/* Citizen certificate login (R3): reader, card, tries left, PIN, the card signs regsd's challenge;
 * the certificate is read from the card only when regsd does not hold it for this card. */
#include "base/wipe.h"
#include "card/card.h"
#include "cardqr_flow.h"
#include "conv.h"
#include "flows.h"
#include "messages.h"
#include "proto/bus.h"
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define CARD_WAIT_MS 30000

/* The card in the reader: its serial, and its certificate unless regsd holds it for this card. */
struct card_session {
	const struct cardqr_table *code; /* the plugin's card code */
	struct card *card;
	char serial[CARD_SERIAL_HEX_SIZE];
	uint8_t *cert; /* NULL: regsd holds it (CardKnown), so it was not read */
	size_t cert_len;
};

/* Says why the card cannot be used; never reached after a PIN was sent to a locked card. */
static int card_refused(struct flow *f, const struct card_session *s, enum card_status st)
{
	pam_syslog(f->pamh, LOG_NOTICE, "card login of %s: %s", f->user,
	           s->code->card_status_text(st));
	conv_show(f->pamh, PAM_ERROR_MSG, msg_card_status(st));
	return PAM_AUTH_ERR;
}

/* A wrong PIN counts toward the account's lock like a wrong code (R9.1). */
static int wrong_pin(struct flow *f, int tries_left)
{
	struct regs_verdict v;
	char text[512];
	msg_wrong_pin(text, sizeof(text), tries_left);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	enum regs_client_err err = RC_UNREACHABLE;
	if (f->client)
		err = regs_record_failure(f->client, f->user, "card", f->service, f->rhost, &v);
	if (err != RC_OK) {
		pam_syslog(f->pamh, LOG_ERR,
		           "wrong card PIN of %s not counted: regsd did not answer", f->user);
		return PAM_AUTH_ERR;
	}
	if (v.lock_seconds == 0)
		return PAM_AUTH_ERR;
	msg_locked(text, sizeof(text), v.lock_seconds);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	return PAM_MAXTRIES; /* as when a login locks the account (finish_login) */
}

/* Asks for the PIN once tries-left is known, and sends it at most once (R3.3). */
static int unlock_card(struct flow *f, const struct card_session *s)
{
	int tries = -1;
	char prompt[256], *pin = NULL;
	enum card_status st = s->code->card_pin_tries(s->card, &tries);
	if (st != CARD_OK)
		return card_refused(f, s, st); /* CARD_LOCKED: no PIN is ever sent */
	msg_pin_prompt(prompt, sizeof(prompt), tries);
	if (conv_ask(f->pamh, NULL, prompt, 0, &pin) != PAM_SUCCESS)
		return PAM_AUTH_ERR;
	st = s->code->card_verify_pin(s->card, pin, &tries);
	conv_free_answer(pin);
	if (st == CARD_WRONG_PIN)
		return wrong_pin(f, tries);
	return st == CARD_OK ? PAM_SUCCESS : card_refused(f, s, st);
}

/* R3: the certificate is read from the card only when regsd does not hold it for this card
 * serial; the card proves possession of the key at every login anyway (sign_challenge). */
static enum card_status identify_card(struct flow *f, struct card_session *s)
{
	int known = 0;
	enum card_status st = s->code->card_read_serial(s->card, s->serial);
	if (st != CARD_OK)
		return st;
	if (*s->serial && f->client &&
	    regs_card_known(f->client, f->user, s->serial, &known) == RC_OK && known)
		return CARD_OK;
	return s->code->card_read_certificate(s->card, &s->cert, &s->cert_len);
}

/* regsd's verdict on the signed challenge; *cert_needed when regsd turned out not to hold this
 * card's certificate (nothing was judged or counted: read it and sign again). */
static int finish_login(struct flow *f, const struct card_session *s,
                        const struct regs_card_challenge *ch, const uint8_t *sig, size_t sig_len,
                        int *cert_needed)
{
	struct regs_verdict v;
	char text[1024];
	enum regs_client_err err =
	    regs_card_login_serial(f->client, ch->handle, s->serial, s->cert, s->cert_len, sig,
	                           sig_len, f->service, f->rhost, &v);
	if (err != RC_OK)
		return flow_call_failed(f, err);
	if (v.result == REGS_R_OK)
		return PAM_SUCCESS;
	if (v.result == REGS_R_CARD_CERT_NEEDED && s->cert == NULL) {
		*cert_needed = 1;
		return PAM_AUTH_ERR;
	}
	msg_card_verdict(text, sizeof(text), v.result, v.lock_seconds);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	return v.lock_seconds > 0 ? PAM_MAXTRIES : PAM_AUTH_ERR;
}

/* Signs SHA-256 of regsd's fresh challenge with the card's SIGN key (R3.4). */
static int sign_challenge(struct flow *f, const struct card_session *s, int *cert_needed)
{
	struct regs_card_challenge ch;
	uint8_t digest[CARD_DIGEST_LEN], sig[CARD_SIGNATURE_LEN];
	size_t sig_len = 0;
	enum regs_client_err err = regs_card_challenge(f->client, f->user, REGS_CARD_LOGIN, &ch);
	if (err == RC_TOO_SOON) { /* R12.2: too many card logins at once; nothing was counted */
		conv_show(f->pamh, PAM_ERROR_MSG, msg_card_busy());
		return PAM_AUTH_ERR;
	}
	if (err != RC_OK)
		return flow_call_failed(f, err);
	s->code->sha256(ch.nonce, ch.nonce_len, digest);
	enum card_status st = s->code->card_sign_sha256(s->card, digest, sig, &sig_len);
	if (st != CARD_OK)
		return card_refused(f, s, st);
	return finish_login(f, s, &ch, sig, sig_len, cert_needed);
}

/* regsd did not hold this card's certificate after all (another card with the same serial):
 * read it and sign a new challenge; the PIN verified in this session still holds. */
static int sign_with_certificate(struct flow *f, struct card_session *s)
{
	int cert_needed = 0;
	enum card_status st = s->code->card_read_certificate(s->card, &s->cert, &s->cert_len);
	if (st != CARD_OK)
		return card_refused(f, s, st);
	return sign_challenge(f, s, &cert_needed);
}

/* The login with the plugin's card code loaded. */
static int card_login(struct flow *f, struct card_session *s)
{
	int cert_needed = 0;
	conv_show(f->pamh, PAM_TEXT_INFO, msg_insert_card());
	enum card_status st = s->code->card_open(CARD_WAIT_MS, NULL, &s->card);
	if (st == CARD_OK)
		st = identify_card(f, s);
	int rc = st == CARD_OK ? unlock_card(f, s) : card_refused(f, s, st);
	if (rc == PAM_SUCCESS)
		rc = sign_challenge(f, s, &cert_needed);
	if (cert_needed)
		rc = sign_with_certificate(f, s);
	free(s->cert);
	s->code->card_close(s->card);
	return rc;
}

int flow_card_login(struct flow *f)
{
	struct cardqr plugin;
	int rc = flow_card_code(f, &plugin); /* fail closed: no card code, no card login */
	if (rc != PAM_SUCCESS)
		return rc;
	struct card_session s = {.code = plugin.code};
	rc = card_login(f, &s);
	cardqr_release(&plugin);
	return rc;
}
