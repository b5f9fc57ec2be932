/* regsctl's questions on the terminal: yes/no answers, codes read from stdin (a few tries; a card
 * PIN is not echoed), what regsd's verdict on an OTP code means, and re-verifying this connection
 * before changing or showing one's own bindings (step-up, R7.1): with an OTP code, or with the
 * citizen certificate card for an account that has a card but no OTP bound. */
#include "base/i18n.h"
#include "base/wipe.h"
#include "card/card.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#define CODE_ATTEMPTS 3

/* Set by SIGINT during enrolment so that the pending enrolment is cancelled. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int signo)
{
	(void)signo;
	interrupted = 1;
}

/* Ctrl-C interrupts the read of the code (no SA_RESTART), so the enrolment is cancelled. */
void regsctl_catch_interrupt(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- questions on the terminal ---- */

/* Turns the terminal's echo off for a secret (the newline is still echoed); returns whether it
 * did, with the settings to restore in saved. */
static int hide_input(struct termios *saved)
{
	struct termios quiet;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) != 0)
		return 0;
	quiet = *saved;
	quiet.c_lflag = (quiet.c_lflag & ~(tcflag_t)ECHO) | ECHONL;
	return tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
}

/* Prints prompt on stderr (stdout may be a pipe for --json) and reads one line from stdin,
 * keeping only its non-space characters ("123 456" is fine); a secret is not echoed on a
 * terminal. Returns NULL on end of input or interruption. */
static char *read_answer(const char *prompt, int secret)
{
	char *line = NULL, *out;
	size_t size = 0;
	ssize_t len;
	struct termios saved;
	int hidden;

	if (interrupted)
		return NULL;
	fflush(stdout);
	fputs(prompt, stderr);
	fflush(stderr);
	hidden = secret && hide_input(&saved);
	len = getline(&line, &size, stdin);
	if (hidden) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		if (len < 0) /* no newline was echoed */
			fputc('\n', stderr);
	}
	if (!isatty(STDIN_FILENO))
		fputc('\n', stderr); /* the piped answer was not echoed: end the prompt's line */
	if (len < 0 || interrupted) {
		if (line)
			regs_wipe(line, size);
		free(line);
		return NULL;
	}
	out = line;
	for (const char *p = line; *p; p++) {
		if (!isspace((unsigned char)*p))
			*out++ = *p;
	}
	regs_wipe(out, (size_t)(line + size - out));
	return line;
}

char *regsctl_read_line(const char *prompt)
{
	return read_answer(prompt, 0);
}

int regsctl_ask_yes(const char *question)
{
	char *answer = read_answer(question, 0);
	int yes = answer && (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0 ||
	                     /* TRANSLATORS: an answer to a [y/N] question */
	                     strcmp(answer, _("yes")) == 0);

	free(answer);
	return yes;
}

int regsctl_run_code_dialog(struct regsctl_context *ctx, const struct regsctl_code_dialog *d)
{
	unsigned attempts = d->given ? 1 : CODE_ATTEMPTS, tries = 1;
	int code = REGSCTL_EXIT_VERIFY;

	for (unsigned attempt = 1; tries > 0 && attempt <= attempts; attempt++) {
		char *answer = d->given ? strdup(d->given) : read_answer(d->prompt, d->secret);

		if (!answer) {
			if (d->given)
				return regsctl_report_nomem();
			regsctl_error("%s", d->no_code);
			return REGSCTL_EXIT_VERIFY;
		}
		code = d->attempt(ctx, answer, d->data, &tries);
		regs_free_secret_str(answer);
		if (tries > 0 && attempt < attempts)
			regsctl_error(_("try again (attempts left: %u)"),
			              tries < attempts - attempt ? tries : attempts - attempt);
	}
	if (tries > 0 && !d->given && d->exhausted)
		regsctl_error("%s", d->exhausted);
	return code;
}

/* ---- OTP verdicts and re-verification (step-up, R7.1) ---- */

static void print_drift_hint(void)
{
	fputs(_("Your phone's clock is off. Set it to the network time, then enter a new code:\n"
	        "  iOS: Settings > General > Date & Time > Set Automatically\n"
	        "  Android: Google Authenticator > ☰ > Settings > Time correction for codes > "
	        "Sync now\n"),
	      stderr);
}

int regsctl_report_verdict(const struct regs_verdict *v, unsigned *tries)
{
	*tries = 0;
	/* lock_seconds is also set when this very attempt locked the account. */
	if (v->result == REGS_R_LOCKED || v->lock_seconds > 0) {
		regsctl_error(_("too many wrong codes: the account is locked for %u more min"),
		              regsctl_minutes(v->lock_seconds));
		return REGSCTL_EXIT_LOCKED;
	}
	/* Not locked yet: at least one more code (CODE_ATTEMPTS bounds the asking). */
	*tries = v->failures_left > 0 ? v->failures_left : 1;
	switch (v->result) {
	case REGS_R_WRONG:
		regsctl_error("%s", _("wrong code"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_MALFORMED:
		regsctl_error("%s", _("the code is 6 digits"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_REPLAYED:
		regsctl_error("%s", _("that code was already used; wait for the next one"));
		return REGSCTL_EXIT_VERIFY;
	case REGS_R_CLOCK_DRIFT:
		regsctl_error("%s", _("the code is for another time than now"));
		print_drift_hint();
		return REGSCTL_EXIT_VERIFY;
	}
	*tries = 0;
	if (v->result == REGS_R_NOT_BOUND) {
		regsctl_error("%s", _("re-verification needs an OTP code, but this account has no "
		                      "OTP bound; ask an administrator"));
		return REGSCTL_EXIT_VERIFY;
	}
	regsctl_error(_("unexpected answer from regsd (result %u)"), v->result);
	return REGSCTL_EXIT_OTHER;
}

static int step_up_attempt(struct regsctl_context *ctx, const char *code, void *data,
                           unsigned *tries)
{
	const char *purpose = data;
	struct regs_step_up proof;
	enum regs_client_err err;

	*tries = 0;
	err = regs_step_up(ctx->client, purpose, code, REGSCTL_SERVICE, "", &proof);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (proof.verdict.result == REGS_R_OK)
		return REGSCTL_EXIT_OK;
	return regsctl_report_verdict(&proof.verdict, tries);
}

/* Proves this connection for purpose with an OTP code read from stdin. */
static int step_up(struct regsctl_context *ctx, const char *purpose)
{
	const struct regsctl_code_dialog d = {
	    .prompt = _("OTP code (re-verification): "),
	    .secret = 1, /* hidden, as the login hides it */
	    .no_code = _("no code entered; nothing was done"),
	    .exhausted = _("re-verification failed; nothing was done"),
	    .attempt = step_up_attempt,
	    .data = (void *)purpose,
	};

	return regsctl_run_code_dialog(ctx, &d);
}

/* Proves this connection for purpose with the card bound to the caller's account: the card
 * already unlocked for this command (ctx->card), or the card in the reader and its PIN. */
static int step_up_with_card(struct regsctl_context *ctx, const char *purpose)
{
	struct regsctl_card own = {0}, *k = ctx->card ? ctx->card : &own;
	struct regs_card_challenge ch;
	struct regs_step_up proof;
	uint8_t sig[CARD_SIGNATURE_LEN];
	size_t sig_len = 0;
	enum regs_client_err err = RC_OK;
	int code = REGSCTL_EXIT_OK;

	fprintf(stderr, "%s\n", _("Re-verify with your citizen certificate card."));
	if (!ctx->card)
		code = regsctl_card_unlock(ctx, &own);
	if (code == REGSCTL_EXIT_OK)
		code = regsctl_card_sign_challenge(ctx, k, REGS_CARD_STEP_UP, &ch, sig, &sig_len,
		                                   &err);
	if (code == REGSCTL_EXIT_OK && err == RC_OK)
		err = regs_step_up_card(ctx->client, ch.handle, k->cert, k->cert_len, sig, sig_len,
		                        purpose, &proof);
	if (code == REGSCTL_EXIT_OK && err != RC_OK)
		code = regsctl_report_failure(ctx->client, err);
	else if (code == REGSCTL_EXIT_OK &&
	         (proof.verdict.result == REGS_R_LOCKED || proof.verdict.lock_seconds > 0)) {
		regsctl_error(_("too many failed attempts: the account is locked for %u more min"),
		              regsctl_minutes(proof.verdict.lock_seconds));
		code = REGSCTL_EXIT_LOCKED;
	} else if (code == REGSCTL_EXIT_OK && proof.verdict.result != REGS_R_OK)
		code = regsctl_report_card_result(k, proof.verdict.result);
	regsctl_card_close(&own);
	return code;
}

/* Re-verifies with the card when the caller's account has one but no OTP, else with OTP. */
static int step_up_with_bound_method(struct regsctl_context *ctx, const char *purpose)
{
	struct regs_account_info info;
	enum regs_client_err err = regs_get_account(ctx->client, "", &info);

	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (!(info.flags & REGS_F_OTP_BOUND) && (info.flags & REGS_F_CARD_BOUND))
		return step_up_with_card(ctx, purpose);
	return step_up(ctx, purpose);
}

int regsctl_call_with_step_up(struct regsctl_context *ctx, const char *purpose,
                              regsctl_call_fn call, void *data, enum regs_client_err *err)
{
	int code;

	*err = call(ctx, data);
	if (*err != RC_STEP_UP_REQUIRED || !purpose)
		return REGSCTL_EXIT_OK;
	code = step_up_with_bound_method(ctx, purpose);
	if (code == REGSCTL_EXIT_OK)
		*err = call(ctx, data);
	return code;
}

int regsctl_run_with_step_up(struct regsctl_context *ctx, const char *purpose, regsctl_call_fn call,
                             void *data)
{
	enum regs_client_err err;
	int code = regsctl_call_with_step_up(ctx, purpose, call, data, &err);

	if (code == REGSCTL_EXIT_OK && err != RC_OK)
		code = regsctl_report_failure(ctx->client, err);
	return code;
}
