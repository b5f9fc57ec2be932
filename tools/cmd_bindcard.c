/* The citizen certificate card for regsctl: opening it, its PIN (sent once, never to a locked
 * card) and its signatures over challenges from regsd, shared by the re-verification with the
 * card (prompt.c, R7.1) and regsctl bind card: binds (or rebinds) the card of one's own account
 * (R3.6, R7.1, R7.2), after re-verification with a bound method when there is one (an OTP code,
 * or for an account with only a card, that card: the same session signs both, one PIN); a
 * challenge is used once, so after a re-verification the card signs a new one. */
#include "base/i18n.h"
#include "card/card.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Card problems exit like card-check: 10 + the number of the check that fails there. */
enum {
	EXIT_CARD_SERVICE = REGSCTL_EXIT_CARD_CHECK + 1,
	EXIT_CARD_READER,
	EXIT_CARD_CARD,
	EXIT_CARD_CERTIFICATE,
	EXIT_CARD_PIN,
};

static const char *hint_locked(void)
{
	return _("The PIN is locked after 3 wrong PINs: unlock the card at the MOICA site "
	         "(https://moica.nat.gov.tw), with the card in the reader.");
}

/* Says on stderr what is wrong with the card and how to fix it; returns the exit code, fallback
 * for a card that failed in another way. */
static int report_card(const struct regsctl_card *k, enum card_status status, int fallback)
{
	const char *hint = NULL;
	int code = fallback;

	switch (status) {
	case CARD_NOMEM:
		return regsctl_report_nomem();
	case CARD_NO_SERVICE:
		regsctl_error("%s", _("the card service (pcscd) is not running"));
		hint = _("Start the PC/SC service: sudo systemctl start pcscd.socket "
		         "(Debian package pcscd).");
		code = EXIT_CARD_SERVICE;
		break;
	case CARD_NO_READER:
		regsctl_error("%s", _("no card reader found"));
		hint = _("Plug in the card reader; if it is plugged in, install its driver "
		         "(Debian package libccid) and restart pcscd.");
		code = EXIT_CARD_READER;
		break;
	case CARD_NO_CARD:
		regsctl_error("%s", _("no card in the reader"));
		hint = _("Insert the citizen certificate card into the reader, chip first "
		         "(use --wait SECONDS to give yourself time).");
		code = EXIT_CARD_CARD;
		break;
	case CARD_UNKNOWN:
		regsctl_error(_("the card is not recognised (ATR %s)"), card_atr_hex(k->card));
		hint = _("This is not a citizen certificate card, or it is inserted the "
		         "wrong way: insert your citizen certificate card, chip first.");
		code = EXIT_CARD_CARD;
		break;
	case CARD_SECOND_GENERATION:
		regsctl_error("%s", _("Unsupported card generation: this citizen certificate card "
		                      "cannot be used here yet."));
		code = EXIT_CARD_CARD;
		break;
	case CARD_LOCKED:
		regsctl_error("%s", _("the card is locked; no PIN was sent"));
		hint = hint_locked();
		code = EXIT_CARD_PIN;
		break;
	case CARD_REMOVED:
		if (k->binding) {
			regsctl_error("%s", _("the card was removed; nothing was bound"));
			hint = _("Insert the card and run 'regsctl bind card' again.");
		} else {
			regsctl_error("%s", _("the card was removed; nothing was done"));
			hint = _("Insert the card and run the command again.");
		}
		code = EXIT_CARD_CARD;
		break;
	default:
		regsctl_error(_("cannot use the card (%s)"), card_error_detail(k->card));
		hint = _("Take the card out, insert it again and try again; 'regsctl card-check' "
		         "checks the reader and the card.");
		break;
	}
	if (hint)
		fprintf(stderr, "%s\n", hint);
	return code;
}

/* The card, its certificate and its PIN tries, without sending a PIN. */
static int open_card(struct regsctl_card *k, unsigned wait_seconds, int *tries)
{
	enum card_status status = card_open((int)wait_seconds * 1000, NULL, &k->card);

	if (status != CARD_OK)
		return report_card(k, status, EXIT_CARD_CARD);
	status = card_read_certificate(k->card, &k->cert, &k->cert_len);
	if (status != CARD_OK)
		return report_card(k, status, EXIT_CARD_CERTIFICATE);
	status = card_pin_tries(k->card, tries);
	if (status != CARD_OK) /* CARD_LOCKED: the PIN is never sent */
		return report_card(k, status, EXIT_CARD_PIN);
	return REGSCTL_EXIT_OK;
}

/* A regsctl_code_attempt_fn: sends the PIN to the card, at most once (a PIN that is not 6 to 8
 * digits is not sent and may be entered again). */
static int pin_attempt(struct regsctl_context *ctx, const char *pin, void *data, unsigned *tries)
{
	struct regsctl_card *k = data;
	int left = -1;
	enum card_status status = card_verify_pin(k->card, pin, &left);

	(void)ctx;
	*tries = 0;
	switch (status) {
	case CARD_OK:
		return REGSCTL_EXIT_OK;
	case CARD_BAD_PIN_FORMAT:
		regsctl_error("%s", _("A card PIN is 6 to 8 digits."));
		*tries = 3; /* nothing was sent: the dialog bounds the asking */
		return REGSCTL_EXIT_VERIFY;
	case CARD_WRONG_PIN:
		regsctl_error(dngettext(REGS_TEXTDOMAIN,
		                        "Wrong PIN. %d try left before the card locks.",
		                        "Wrong PIN. %d tries left before the card locks.",
		                        (unsigned long)left),
		              left);
		return REGSCTL_EXIT_VERIFY;
	case CARD_LOCKED:
		regsctl_error("%s", _("Wrong PIN: the card is now locked."));
		fprintf(stderr, "%s\n", hint_locked());
		return REGSCTL_EXIT_VERIFY;
	default:
		return report_card(k, status, EXIT_CARD_CARD);
	}
}

static int verify_pin(struct regsctl_context *ctx, struct regsctl_card *k, int tries)
{
	char prompt[256];
	const struct regsctl_code_dialog d = {
	    .prompt = prompt,
	    .no_code = k->binding ? _("no PIN entered; the card is not bound")
	                          : _("no PIN entered; nothing was done"),
	    .exhausted = k->binding ? _("no PIN was sent to the card; the card is not bound")
	                            : _("no PIN was sent to the card; nothing was done"),
	    .attempt = pin_attempt,
	    .data = k,
	    .secret = 1,
	};

	if (tries == CARD_TRIES_UNKNOWN) /* the card does not report them (R11.5) */
		snprintf(prompt, sizeof(prompt), "%s",
		         _("PIN of the card (it locks after 3 wrong PINs): "));
	else
		snprintf(
		    prompt, sizeof(prompt),
		    dngettext(
		        REGS_TEXTDOMAIN, "PIN of the card (%d try left before it locks): ",
		        "PIN of the card (%d tries left before it locks): ", (unsigned long)tries),
		    tries);
	return regsctl_run_code_dialog(ctx, &d);
}

int regsctl_card_unlock(struct regsctl_context *ctx, struct regsctl_card *k)
{
	int tries = 0, code;

	regsctl_catch_interrupt(); /* Ctrl-C ends the PIN prompt with the echo restored */
	code = open_card(k, ctx->args.wait_seconds, &tries);
	if (code == REGSCTL_EXIT_OK)
		code = verify_pin(ctx, k, tries);
	return code;
}

int regsctl_card_sign_challenge(struct regsctl_context *ctx, struct regsctl_card *k,
                                const char *card_purpose, struct regs_card_challenge *ch,
                                uint8_t *sig, size_t *sig_len, enum regs_client_err *err)
{
	uint8_t digest[SHA256_DIGEST_LENGTH];
	enum card_status status;

	*sig_len = 0;
	*err = regs_card_challenge(ctx->client, "", card_purpose, ch);
	if (*err != RC_OK)
		return REGSCTL_EXIT_OK;
	SHA256(ch->nonce, ch->nonce_len, digest);
	status = card_sign_sha256(k->card, digest, sig, sig_len);
	return status == CARD_OK ? REGSCTL_EXIT_OK : report_card(k, status, EXIT_CARD_CARD);
}

int regsctl_report_card_result(const struct regsctl_card *k, uint32_t result)
{
	switch (result) {
	case REGS_R_CERT_INVALID:
		regsctl_error("%s", _("Certificate invalid: check the card's status with the "
		                      "certificate authority."));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_CERT_UNTRUSTED:
		regsctl_error("%s", _("This card's certificate is not from the authority for this "
		                      "account (personal accounts: MOICA; institution accounts: "
		                      "XCA)."));
		return REGSCTL_EXIT_REFUSED;
	case REGS_R_CARD_NOT_BOUND:
		regsctl_error("%s", _("This is not the card bound to this account: re-verify with "
		                      "the card that is bound."));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_CARD_BOUND_ELSEWHERE:
		regsctl_error("%s", _("This certificate is already bound to another account "
		                      "(R3.6)."));
		return REGSCTL_EXIT_ALREADY_BOUND;
	case REGS_R_BAD_SIGNATURE:
		regsctl_error("%s", k->binding ? _("The card's signature does not match its "
		                                   "certificate; the card is not bound.")
		                               : _("The card's signature does not match its "
		                                   "certificate; nothing was done."));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_NO_FRESH_CRL:
		regsctl_error(
		    "%s", k->binding ? _("The certificate's revocation status cannot be checked "
		                         "right now; the card is not bound. Please try again "
		                         "later or contact an administrator.")
		                     : _("The certificate's revocation status cannot be checked "
		                         "right now; nothing was done. Please try again later or "
		                         "contact an administrator."));
		return REGSCTL_EXIT_REFUSED;
	case REGS_R_BAD_CHALLENGE:
		regsctl_error("%s", k->binding ? _("The challenge expired or was already used; run "
		                                   "'regsctl bind card' again.")
		                               : _("The challenge expired or was already used; run "
		                                   "the command again."));
		return REGSCTL_EXIT_VERIFY;
	}
	regsctl_error(_("unexpected answer from regsd (result %u)"), result);
	return REGSCTL_EXIT_OTHER;
}

void regsctl_card_close(struct regsctl_card *k)
{
	card_close(k->card);
	k->card = NULL;
	free(k->cert);
	k->cert = NULL;
	k->cert_len = 0;
}

/* ---- bind card ---- */

struct card_binding {
	struct regsctl_card card;
	int sign_code;   /* exit code of a failed signature (reported), else REGSCTL_EXIT_OK */
	uint32_t result; /* BindCard's answer */
};

/* A regsctl_call_fn: a new challenge, signed by the card, given to BindCard. A failed signature
 * leaves RC_OK with b->sign_code set. */
static enum regs_client_err sign_and_bind(struct regsctl_context *ctx, void *data)
{
	struct card_binding *b = data;
	struct regs_card_challenge ch;
	uint8_t sig[CARD_SIGNATURE_LEN];
	size_t sig_len = 0;
	enum regs_client_err err;

	b->sign_code =
	    regsctl_card_sign_challenge(ctx, &b->card, REGS_CARD_BIND, &ch, sig, &sig_len, &err);
	if (b->sign_code != REGSCTL_EXIT_OK || err != RC_OK)
		return err;
	return regs_bind_card(ctx->client, ch.handle, b->card.cert, b->card.cert_len, sig, sig_len,
	                      &b->result);
}

static int bind_card(struct regsctl_context *ctx)
{
	struct card_binding b = {.card = {.binding = 1}};
	enum regs_client_err err;
	int code;

	code = regsctl_card_unlock(ctx, &b.card);
	if (code == REGSCTL_EXIT_OK) {
		/* A card-only account re-verifies with this card: no second PIN (R7.1). */
		ctx->card = &b.card;
		code = regsctl_call_with_step_up(ctx, REGS_PURPOSE_CARD, sign_and_bind, &b, &err);
		ctx->card = NULL;
	}
	if (code == REGSCTL_EXIT_OK) {
		if (err != RC_OK)
			code = regsctl_report_failure(ctx->client, err);
		else if (b.sign_code != REGSCTL_EXIT_OK)
			code = b.sign_code;
		else if (b.result == REGS_R_OK)
			printf("%s\n",
			       _("Citizen certificate card bound; log in again with a bound "
			         "method."));
		else
			code = regsctl_report_card_result(&b.card, b.result);
	}
	regsctl_card_close(&b.card);
	return code;
}

int cmd_bind(struct regsctl_context *ctx)
{
	const char *method = ctx->args.operands[0];

	if (strcmp(method, "card") == 0 && ctx->args.n_operands == 1)
		return bind_card(ctx);
	if (strcmp(method, "google") == 0 && ctx->args.n_operands == 1)
		return cmd_bind_google(ctx);
	if (strcmp(method, "mobile") == 0)
		return cmd_bind_mobile(ctx);
	if (strcmp(method, "otp") == 0)
		regsctl_error("%s",
		              _("to bind OTP, run 'regsctl enrol otp' (or 'regsctl rebind otp' "
		                "to move it to a new phone)"));
	else
		regsctl_error(
		    _("cannot bind '%s' with 'regsctl bind': card, google or mobile [ID]"), method);
	return regsctl_usage_error("bind");
}
