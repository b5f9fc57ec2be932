/* What regsctl's command files share: exit codes, parsed arguments and error reporting. */
#ifndef REGSCTL_H
#define REGSCTL_H
#include "client.h"
#include <stddef.h>
#include <stdint.h>

/* Exit codes; documented in --help and regsctl(1). */
enum regsctl_exit {
	REGSCTL_EXIT_OK = 0,
	REGSCTL_EXIT_USAGE = 1,
	REGSCTL_EXIT_UNREACHABLE = 2,
	REGSCTL_EXIT_DENIED = 3,
	REGSCTL_EXIT_VERIFY = 4, /* wrong, replayed, drifted or expired code */
	REGSCTL_EXIT_LOCKED = 5,
	REGSCTL_EXIT_NOT_FOUND = 6, /* no such user or enrolment */
	REGSCTL_EXIT_ALREADY_BOUND = 7,
	REGSCTL_EXIT_OTHER = 8,   /* storage, protocol, memory */
	REGSCTL_EXIT_REFUSED = 9, /* refused by policy: not allowed, contact an administrator, no
	                           * verified e-mail, too soon, mail not sent */
	/* card-check: 10 + the number of the failed check (11-15); bind card exits the same way
	 * when the card fails at one of these checks */
	REGSCTL_EXIT_CARD_CHECK = 10,
};

/* The command line after option parsing. */
struct regsctl_args {
	int json;
	const char *user;   /* --user NAME, "*" for --all, "" for the caller */
	int64_t since;      /* --since, seconds since the epoch; 0 = from the start */
	uint32_t limit;     /* --limit */
	const char *filter; /* list: "", "locked", "unbound", "otp", "password-login-disabled" */
	int yes;            /* --yes: do not ask for confirmation */
	int no_wait;        /* --no-wait: only send the code, do not ask for it */
	int password;       /* --password: the reset code is for the password (R9.5) */
	/* --wait SECONDS: card-check and bind card wait this long for a card */
	unsigned wait_seconds;
	char **operands;
	int n_operands;
};

struct regsctl_card;

struct regsctl_context {
	struct regs_client *client;
	struct regsctl_args args;
	/* The card opened with its PIN verified (bind card), or NULL: a re-verification with the
	 * card signs with it instead of opening the card and asking the PIN again. */
	struct regsctl_card *card;
};

/* The service name regsctl gives regsd with codes (shown in the activity log). */
#define REGSCTL_SERVICE "regsctl"

/* User commands, a file each: cmd_status.c, cmd_enrol.c (enrol and rebind), cmd_password.c,
 * cmd_email.c, cmd_reset.c, cmd_log.c. */
int cmd_status(struct regsctl_context *ctx);
int cmd_enrol(struct regsctl_context *ctx);
int cmd_rebind(struct regsctl_context *ctx);
int cmd_password_login(struct regsctl_context *ctx);
int cmd_email(struct regsctl_context *ctx);
int cmd_reset_code(struct regsctl_context *ctx);
int cmd_log(struct regsctl_context *ctx);
/* The citizen certificate card self-check (cmd_card.c); needs no regsd. */
int cmd_card_check(struct regsctl_context *ctx);
/* bind card: bind or rebind one's own citizen certificate card (cmd_bindcard.c). */
int cmd_bind(struct regsctl_context *ctx);
/* bind google, bind mobile [ID]: an out-of-band binding (cmd_bindoob.c). */
int cmd_bind_google(struct regsctl_context *ctx);
int cmd_bind_mobile(struct regsctl_context *ctx);
/* authorized-keys [USER]: sshd's AuthorizedKeysCommand (cmd_sshkeys.c, R11.4). */
int cmd_authorized_keys(struct regsctl_context *ctx);

/* language [zh_TW|en|default]; set-language USER LANGUAGE (administrators) (cmd_language.c). */
int cmd_language(struct regsctl_context *ctx);
int cmd_set_language(struct regsctl_context *ctx);
/* R9.6: regsctl's messages in the caller's language as a login's are (pam_regs(8)): the
 * account's own choice, else the terminal's locale, else the site default. */
void regsctl_use_account_language(struct regsctl_context *ctx);

/* Administrator commands (cmd_admin.c). */
int cmd_list(struct regsctl_context *ctx);
int cmd_unlock(struct regsctl_context *ctx);
int cmd_reset(struct regsctl_context *ctx);
int cmd_set_email(struct regsctl_context *ctx);
int cmd_set_class(struct regsctl_context *ctx);
/* store copy FROM TO: regsd's offline copy of a database, root only (cmd_store.c, R10.5). */
int cmd_store(struct regsctl_context *ctx);

/* Prints "regsctl: MESSAGE" on stderr. */
__attribute__((format(printf, 1, 2))) void regsctl_error(const char *fmt, ...);
/* Says on stderr why a call to regsd failed; returns the exit code for it. */
int regsctl_report_failure(const struct regs_client *c, enum regs_client_err err);
/* Says on stderr that we ran out of memory; returns REGSCTL_EXIT_OTHER. */
int regsctl_report_nomem(void);

/* Points to 'regsctl help COMMAND' on stderr; returns REGSCTL_EXIT_USAGE. */
int regsctl_usage_error(const char *command);

/* ---- subcommands: password-login, email, reset-code (regsctl.c) ---- */

struct regsctl_subcommand {
	const char *name;
	int min_args, max_args; /* operands after the subcommand */
	int (*run)(struct regsctl_context *ctx, char **args, int n_args);
};

/* Runs the subcommand named by the first operand of command; returns the exit code. */
int regsctl_run_subcommand(struct regsctl_context *ctx, const char *command,
                           const struct regsctl_subcommand *subs, size_t n);

/* ---- questions on the terminal and re-verification (prompt.c) ---- */

/* Makes Ctrl-C (and SIGTERM) interrupt the read of an answer instead of ending regsctl. */
void regsctl_catch_interrupt(void);
/* Prints prompt on stderr and reads one line without its spaces; NULL on end of input. The
 * caller frees it with regs_free_secret_str (base/wipe.h). */
char *regsctl_read_line(const char *prompt);
/* Asks question; only "y" or "yes" (or the translated yes) is a yes. */
int regsctl_ask_yes(const char *question);

/* One code given to regsd; says what the answer means and sets *tries to how many more codes
 * regsd allows (0: do not ask again). Returns the exit code. */
typedef int (*regsctl_code_attempt_fn)(struct regsctl_context *ctx, const char *code, void *data,
                                       unsigned *tries);

/* Asking for a code: from the command line (given) or up to 3 times on stdin. */
struct regsctl_code_dialog {
	const char *prompt;    /* translated */
	const char *given;     /* the code from the command line, or NULL to ask */
	const char *no_code;   /* translated: said on end of input */
	const char *exhausted; /* translated or NULL: said after the last failed attempt */
	regsctl_code_attempt_fn attempt;
	void *data;
	int secret; /* not echoed on a terminal (a card PIN) */
};

/* Runs the dialog; returns the exit code of the last attempt. */
int regsctl_run_code_dialog(struct regsctl_context *ctx, const struct regsctl_code_dialog *d);

/* Says why an OTP code was not accepted (anything but ok and expired); returns the exit code
 * and sets *tries to how many more codes may be tried. */
int regsctl_report_verdict(const struct regs_verdict *v, unsigned *tries);

/* One call to regsd that may need a step-up proof. */
typedef enum regs_client_err (*regsctl_call_fn)(struct regsctl_context *ctx, void *data);

/* Makes the call; when regsd answers StepUpRequired, re-verifies this connection for purpose
 * (an OTP code from stdin; the citizen certificate card and its PIN when the caller's account
 * has a card but no OTP bound) and makes it once more. Returns REGSCTL_EXIT_OK with the call's
 * own outcome in *err (not reported), or the exit code of a failed re-verification (reported).
 * purpose NULL: no re-verification. */
int regsctl_call_with_step_up(struct regsctl_context *ctx, const char *purpose,
                              regsctl_call_fn call, void *data, enum regs_client_err *err);
/* regsctl_call_with_step_up that also reports a failed call; returns the exit code. */
int regsctl_run_with_step_up(struct regsctl_context *ctx, const char *purpose, regsctl_call_fn call,
                             void *data);

/* ---- the citizen certificate card: opened, PIN sent once, signing (cmd_bindcard.c) ---- */

struct card;

struct regsctl_card {
	struct card *card;
	uint8_t *cert; /* the certificate paired with the SIGN key, DER */
	size_t cert_len;
	int binding; /* bind card: messages say the card is not bound (else: nothing was done) */
};

/* Opens the card (waiting --wait seconds), reads its certificate and PIN tries and sends the PIN
 * read from stdin once (never to a locked card). Returns the exit code, reported on failure:
 * card problems as card-check (11-15), a wrong PIN REGSCTL_EXIT_VERIFY. */
int regsctl_card_unlock(struct regsctl_context *ctx, struct regsctl_card *k);
/* A new challenge for card_purpose (REGS_CARD_BIND, REGS_CARD_STEP_UP) signed by the unlocked
 * card into sig (CARD_SIGNATURE_LEN bytes). Returns REGSCTL_EXIT_OK with the outcome of
 * CardChallenge in *err (not reported; RC_OK: ch, sig and *sig_len set), or the exit code of a
 * failed signature (reported). */
int regsctl_card_sign_challenge(struct regsctl_context *ctx, struct regsctl_card *k,
                                const char *card_purpose, struct regs_card_challenge *ch,
                                uint8_t *sig, size_t *sig_len, enum regs_client_err *err);
/* Says what a CardChallenge answer other than ok means (BindCard, StepUpCard); returns the exit
 * code. */
int regsctl_report_card_result(const struct regsctl_card *k, uint32_t result);
/* Disconnects the card (dropping the verified PIN) and frees; fine twice. */
void regsctl_card_close(struct regsctl_card *k);

/* ---- codes sent by mail: e-mail verification and emergency codes (mailcode.c) ---- */

/* A code from a mail: how it is given to regsd and what success means. */
struct regsctl_mailed_code {
	enum regs_client_err (*submit)(struct regsctl_context *ctx, const char *code,
	                               struct regs_code_verdict *v);
	const char *again;   /* the command that sends a new code */
	const char *prompt;  /* N_() */
	const char *no_code; /* N_() */
	const char *done;    /* N_() */
};

/* Says that a code was mailed: to address (e-mail verification), or for NULL an emergency code
 * to the verified address; with its prefix and how long it is valid. */
void regsctl_print_code_sent(const char *address, const struct regs_code_sent *sent);
/* Gives regsd the code given on the command line, or asks for it. Returns the exit code. */
int regsctl_enter_mailed_code(struct regsctl_context *ctx, const struct regsctl_mailed_code *m,
                              const char *given);

/* ---- the e-mail address, also shown by status (cmd_email.c) ---- */

struct json_object;

struct regsctl_email_query {
	const char *user;
	struct regs_email email;
};

/* A regsctl_call_fn: GetEmail for the regsctl_email_query behind data. */
enum regs_client_err regsctl_fetch_email(struct regsctl_context *ctx, void *data);
void regsctl_print_email(const struct regs_email *e);
struct json_object *regsctl_email_json(const struct regs_email *e);

/* Whole minutes left, rounded up, for lock and expiry messages. */
static inline unsigned regsctl_minutes(uint32_t seconds)
{
	return seconds / 60u + (seconds % 60u != 0);
}

#endif
