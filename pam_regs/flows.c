/* The module's decisions: pre-check, counting password failures, OTP, and forced binding (R1.4). */
#include "flows.h"
#include "base/config.h"
#include "base/wipe.h"
#include "cardqr_flow.h"
#include "conv.h"
#include "messages.h"
#include "plaintext.h"
#include "proto/bus.h"
#include <security/pam_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#define ENROL_INFO_MAX 16384
#define BIND_PENDING_KEY "pam_regs_bind_pending"
#define CLIENT_KEY "pam_regs_client"
#define PASSWORDLESS_KEY "pam_regs_passwordless" /* logged in without a password (R1.3) */

enum { METHOD_NONE = -1 };
#define MENU_MAX 4
#define MENU_TEXT_MAX 1024

static void close_client(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh, (void)error_status;
	regs_client_close(data);
}

/* One connection to regsd per PAM transaction, shared by every pam_regs line
 * of the stack (pre-check, otp, account) and closed by pam_end. A failed
 * connection is retried by the next line. */
static struct regs_client *shared_client(pam_handle_t *pamh, int timeout_ms)
{
	const void *data = NULL;
	struct regs_client *c = NULL;
	if (pam_get_data(pamh, CLIENT_KEY, &data) == PAM_SUCCESS && data)
		return (struct regs_client *)data;
	if (regs_client_open(timeout_ms, &c) != RC_OK)
		return NULL;
	if (pam_set_data(pamh, CLIENT_KEY, c, close_client) != PAM_SUCCESS) {
		regs_client_close(c);
		return NULL;
	}
	return c;
}

/* text=ascii: the client cannot show Chinese (Cockpit 287 turns each byte into '?'), so
 * English for this call, whatever language was chosen. */
static void enter_plain_text(struct flow *f)
{
	conv_set_plain(f->pamh, flow_plain(f));
	if (flow_plain(f))
		user_locale_pin_english(f->locale);
}

int flow_plain(const struct flow *f)
{
	return f->opt.text == TEXT_ASCII;
}

int flow_start(struct flow *f, pam_handle_t *pamh, int argc, const char **argv,
               struct user_locale *locale)
{
	memset(f, 0, sizeof(*f));
	f->pamh = pamh;
	f->locale = locale;
	if (options_parse(pamh, argc, argv, &f->opt) != 0)
		return PAM_SERVICE_ERR; /* a misconfigured stack must not pass */
	enter_plain_text(f);
	int rc = pam_get_user(pamh, &f->user, NULL);
	if (rc != PAM_SUCCESS || !f->user || !*f->user)
		return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
	if (strlen(f->user) > REGS_USER_NAME_MAX) { /* R12.1 */
		pam_syslog(pamh, LOG_ERR, "user name of %zu bytes refused: the limit is %d",
		           strlen(f->user), REGS_USER_NAME_MAX);
		conv_error(pamh, "%s", msg_user_name_too_long());
		return PAM_USER_UNKNOWN;
	}
	const void *service = NULL, *rhost = NULL;
	pam_get_item(pamh, PAM_SERVICE, &service);
	pam_get_item(pamh, PAM_RHOST, &rhost);
	text_sanitize(service, f->service, sizeof(f->service));
	text_sanitize(rhost, f->rhost, sizeof(f->rhost));
	flow_recall_language(f); /* regsd told it to an earlier line of this transaction */
	f->client = shared_client(pamh, f->opt.timeout_ms);
	return PAM_SUCCESS;
}

static int is_refusal(int rc)
{
	return rc == PAM_AUTH_ERR || rc == PAM_MAXTRIES || rc == PAM_AUTHINFO_UNAVAIL ||
	       rc == PAM_CRED_INSUFFICIENT;
}

int flow_end(struct flow *f, int rc)
{
	f->client = NULL; /* owned by the PAM handle: closed at pam_end */
	if (f->pamh && f->opt.webconsole && is_refusal(rc) && conv_text_pending(f->pamh))
		return PAM_PERM_DENIED;
	return rc;
}

/* webconsole: the client answers the first hidden prompt with the password typed in its
 * login form, whichever module asks it. Read it here, before any method's hidden prompt
 * (an OTP code, a PIN), as the password (PAM_AUTHTOK) for the password module after us
 * (use_first_pass). A method without a password (Google, card, phone) leaves it unused:
 * it is never sent to regsd. */
static int read_form_password(struct flow *f)
{
	const char *password = NULL;
	int rc = pam_get_authtok(f->pamh, PAM_AUTHTOK, &password, NULL);
	return rc == PAM_SUCCESS ? PAM_SUCCESS : PAM_AUTH_ERR;
}

static int flow_unreachable(struct flow *f, int secure_code, int open_code)
{
	int open = f->opt.failmode == REGS_FAILMODE_OPEN;
	int rc = open ? open_code : secure_code;
	if (open && (rc == PAM_SUCCESS || rc == PAM_IGNORE)) {
		pam_syslog(f->pamh, LOG_CRIT,
		           "regsd not reachable: failmode=open lets %s past pam_regs without a "
		           "second factor",
		           f->user);
		return rc;
	}
	pam_syslog(f->pamh, LOG_ERR, "regsd not reachable: login of %s refused", f->user);
	conv_show(f->pamh, PAM_ERROR_MSG, msg_unreachable());
	return rc;
}

/* regsd answered with an error (storage, protocol): always fail closed;
 * failmode=open covers only a daemon that cannot be reached. */
static int call_failed(struct flow *f, enum regs_client_err err, int secure_code, int open_code)
{
	if (err == RC_UNREACHABLE)
		return flow_unreachable(f, secure_code, open_code);
	pam_syslog(f->pamh, LOG_ERR, "regsd refused the call for %s: %s", f->user,
	           regs_client_error_message(f->client));
	conv_show(f->pamh, PAM_ERROR_MSG, msg_service_error(err));
	return secure_code;
}

void flow_show_locked(struct flow *f, uint32_t seconds)
{
	char text[512];
	msg_locked(text, sizeof(text), seconds);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
}

/* R11.1: a refusal that ends the login comes with a prompt of its own, so it is the last
 * text the user reads. A message with no prompt after it is dropped by Cockpit and printed
 * by the OpenSSH client with every non-ASCII byte as an octal escape, and the client then
 * goes on by itself (another method, its own closing line); a prompt's text is shown as it
 * is and waits for the user. The answer is ignored. */
static void show_final(struct flow *f, const char *text)
{
	char *answer = NULL;
	if (flow_plain(f)) { /* webconsole: flow_end makes the refusal one Cockpit shows */
		conv_show(f->pamh, PAM_ERROR_MSG, text);
		return;
	}
	if (conv_ask_after_error(f->pamh, text, msg_press_enter_to_end(), 1, &answer) ==
	    PAM_SUCCESS)
		conv_free_answer(answer);
}

static int is_ascii(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p >= 0x80)
			return 0;
	return 1;
}

/* A refusal after which the client may ask again (sshd starts keyboard-interactive over).
 * Text with non-ASCII bytes (Chinese, R9.6) comes with a prompt: the OpenSSH client prints a
 * message with no prompt after it with every such byte as an octal escape, and the prompt's
 * text as it is. */
static void show_refusal(struct flow *f, const char *text)
{
	char *answer = NULL;
	if (is_ascii(text) || flow_plain(f))
		conv_show(f->pamh, PAM_ERROR_MSG, text);
	else if (conv_ask_after_error(f->pamh, text, msg_press_enter_to_continue(), 1, &answer) ==
	         PAM_SUCCESS)
		conv_free_answer(answer);
}

/* The lock ends the login (PAM_MAXTRIES: sshd offers keyboard-interactive no more). */
static int refuse_locked(struct flow *f, uint32_t seconds)
{
	char text[512];
	msg_locked(text, sizeof(text), seconds);
	show_final(f, text);
	return PAM_MAXTRIES;
}

/* Account state, or the failmode answer in *rc when regsd does not answer. */
static int get_account(struct flow *f, struct regs_account_info *info, int secure, int open,
                       int *rc)
{
	enum regs_client_err err = RC_UNREACHABLE;
	if (f->client && (err = regs_get_account(f->client, f->user, info)) == RC_OK) {
		flow_use_account_language(f, info);
		return 1;
	}
	*rc = call_failed(f, err, secure, open);
	return 0;
}

/* R11.4: the card reader must be at the user's side. PAM_RHOST is unset or empty for login on
 * a console, su or a local display manager; sshd and web consoles set it. A loopback rhost is
 * not local: ssh port forwards and reverse proxies (cockpit-ws) arrive from 127.0.0.1 for users
 * anywhere. card=yes / card=no decide for the service instead. */
static int card_offered(const struct flow *f)
{
	if (f->opt.card == CARD_AUTO)
		return f->rhost[0] == '\0';
	return f->opt.card == CARD_YES;
}

/* R1.3: the methods this account can use here, in menu order; returns how many. */
static int offered_methods(const struct flow *f, uint32_t flags, int methods[MENU_MAX])
{
	int n = 0;
	if ((flags & REGS_F_CARD_BOUND) && card_offered(f))
		methods[n++] = MSG_METHOD_CARD;
	if (flags & REGS_F_MOBILE_BOUND)
		methods[n++] = MSG_METHOD_MOBILE;
	if ((flags & REGS_F_GOOGLE_BOUND) && (flags & REGS_F_OTP_BOUND)) /* R5.3 */
		methods[n++] = MSG_METHOD_GOOGLE;
	if (!(flags & REGS_F_PASSWORD_LOGIN_DISABLED))
		methods[n++] = MSG_METHOD_PASSWORD;
	return n;
}

/* The account has a card, but this login cannot offer it (R11.4). */
static int card_elsewhere(const struct flow *f, uint32_t flags)
{
	return (flags & REGS_F_CARD_BOUND) && !card_offered(f);
}

static void menu_text(char *buf, size_t size, const int *methods, int n)
{
	size_t used = (size_t)snprintf(buf, size, "%s", msg_method_header());
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "\n  %d) %s", i + 1,
		                         msg_method_label(methods[i]));
}

/* Asks which method; the password alone needs no menu (pam_unix asks next). */
static int choose_method(struct flow *f, uint32_t flags)
{
	int methods[MENU_MAX], n = offered_methods(f, flags, methods);
	char text[MENU_TEXT_MAX], *answer = NULL;
	if (n == 0)
		return MSG_METHOD_PASSWORD; /* password login disabled, nothing else: refused below
		                             */
	if (n == 1)
		return methods[0];
	menu_text(text, sizeof(text), methods, n);
	if (conv_ask(f->pamh, text, msg_method_prompt(), 1, &answer) != PAM_SUCCESS)
		return METHOD_NONE;
	int choice = *answer ? atoi(answer) : 1;
	int known = choice >= 1 && choice <= n && strspn(answer, "0123456789") == strlen(answer);
	conv_free_answer(answer);
	if (known)
		return methods[choice - 1];
	conv_show(f->pamh, PAM_ERROR_MSG, msg_method_unknown());
	return METHOD_NONE;
}

static int passwordless(struct flow *f, int rc)
{
	if (rc == PAM_SUCCESS) /* success ends the stack: no password (R1.3b) */
		pam_set_data(f->pamh, PASSWORDLESS_KEY, (void *)PASSWORDLESS_KEY, NULL);
	return rc;
}

int flow_select(struct flow *f)
{
	struct regs_account_info info;
	int rc;
	if (f->opt.webconsole && (rc = read_form_password(f)) != PAM_SUCCESS)
		return rc;
	if (!get_account(f, &info, PAM_AUTHINFO_UNAVAIL, PAM_IGNORE, &rc))
		return rc;
	if (info.flags & REGS_F_LOCKED)
		return refuse_locked(f, info.lock_seconds);
	switch (choose_method(f, info.flags)) {
	case MSG_METHOD_CARD:
		return passwordless(f, flow_card_login(f));
	case MSG_METHOD_MOBILE:
		return passwordless(f, flow_mobile_login(f));
	case MSG_METHOD_GOOGLE:
		return passwordless(f, flow_google_login(f));
	case MSG_METHOD_PASSWORD:
		break;
	default:
		return PAM_AUTH_ERR;
	}
	if (info.flags & REGS_F_PASSWORD_LOGIN_DISABLED) {
		show_refusal(f, card_elsewhere(f, info.flags) ? msg_card_not_here()
		                                              : msg_password_login_disabled());
		return PAM_AUTH_ERR; /* R6.3 */
	}
	return PAM_IGNORE; /* password + OTP: the password module asks next */
}

int flow_authfail(struct flow *f)
{
	struct regs_verdict v;
	enum regs_client_err err = RC_UNREACHABLE;
	if (!f->client || (err = regs_record_failure(f->client, f->user, "password", f->service,
	                                             f->rhost, &v)) != RC_OK)
		return call_failed(f, err, PAM_AUTH_ERR, PAM_AUTH_ERR);
	return v.lock_seconds > 0 ? refuse_locked(f, v.lock_seconds) : PAM_AUTH_ERR;
}

static int refuse_verdict(struct flow *f, const struct regs_verdict *v)
{
	char text[1024];
	msg_verdict(text, sizeof(text), v->result, v->lock_seconds, v->failures_left);
	if (v->lock_seconds > 0) {
		show_final(f, text);
		return PAM_MAXTRIES;
	}
	show_refusal(f, text);
	return PAM_AUTH_ERR;
}

/* True when a password module before us read a password in this transaction. */
static int password_given(struct flow *f)
{
	const void *password = NULL;
	return pam_get_item(f->pamh, PAM_AUTHTOK, &password) == PAM_SUCCESS && password;
}

/* failmode=open lets a verified password through alone; nothing lets no factor through. */
int flow_call_failed(struct flow *f, enum regs_client_err err)
{
	int open_code = password_given(f) ? PAM_SUCCESS : PAM_AUTHINFO_UNAVAIL;
	return call_failed(f, err, PAM_AUTHINFO_UNAVAIL, open_code);
}

enum { TRY_VERDICT = -1 };

/* One try: asks for the code, with the refusal of the try before (may be NULL) in the same
 * conversation call, and has regsd check it. TRY_VERDICT with *v filled, or the PAM code that
 * ends the login ("lost", a failed conversation, regsd not answering). */
static int otp_try(struct flow *f, int can_reset, const char *refusal, struct regs_verdict *v)
{
	char *code = NULL;
	const char *prompt = can_reset ? msg_otp_prompt_lost() : msg_otp_prompt();
	int rc = conv_ask_after_error(f->pamh, refusal, prompt, 0, &code);
	if (rc != PAM_SUCCESS)
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_AUTH_ERR;
	if (can_reset && strcasecmp(code, "lost") == 0) {
		conv_free_answer(code);
		return flow_lost_phone(f);
	}
	enum regs_client_err err =
	    regs_verify_otp(f->client, f->user, code, f->service, f->rhost, v);
	conv_free_answer(code);
	return err == RC_OK ? TRY_VERDICT : flow_call_failed(f, err);
}

/* R11.2: a wrong, mistyped or drifted code may be typed again in the same login (regsd has
 * counted it, R9.1). A lock ends the login, and so does a replayed code: it was right once,
 * so someone else may be holding it. */
static int may_try_again(const struct regs_verdict *v)
{
	if (v->lock_seconds > 0)
		return 0;
	return v->result == REGS_R_WRONG || v->result == REGS_R_MALFORMED ||
	       v->result == REGS_R_CLOCK_DRIFT;
}

/* Asks for the code and has regsd check it, up to tries=N times (R11.2). */
static int ask_and_verify(struct flow *f, int can_reset)
{
	char refusal[1024];
	struct regs_verdict v;
	int rc = otp_try(f, can_reset, NULL, &v);
	for (int tried = 1; rc == TRY_VERDICT; tried++) {
		if (v.result == REGS_R_OK)
			return PAM_SUCCESS;
		if (tried >= f->opt.tries || !may_try_again(&v))
			return refuse_verdict(f, &v);
		msg_verdict(refusal, sizeof(refusal), v.result, v.lock_seconds, v.failures_left);
		rc = otp_try(f, can_reset, refusal, &v);
	}
	return rc;
}

/* Nothing bound: the password module before us verified a password (the
 * documented stack reaches this line only then), so authentication passes
 * and the account phase forces binding (R1.4). Without a password in this
 * transaction (an OTP-only stack) there is no factor at all: refuse. */
int flow_password_only(struct flow *f)
{
	if (!password_given(f)) {
		conv_show(f->pamh, PAM_ERROR_MSG, msg_forced_binding_refusal());
		return PAM_AUTH_ERR;
	}
	pam_set_data(f->pamh, BIND_PENDING_KEY, (void *)BIND_PENDING_KEY, NULL);
	return PAM_SUCCESS;
}

int flow_otp(struct flow *f)
{
	struct regs_account_info info;
	enum regs_client_err err = RC_UNREACHABLE;
	if (flow_split_pending(f))
		return flow_split_otp(f); /* the code came with the password: no prompt */
	if (!f->client || (err = regs_get_account(f->client, f->user, &info)) != RC_OK)
		return flow_call_failed(f, err);
	flow_use_account_language(f, &info);
	if (info.flags & REGS_F_LOCKED)
		return refuse_locked(f, info.lock_seconds);
	if (info.flags & REGS_F_PASSWORD_LOGIN_DISABLED) {
		show_refusal(f, msg_password_login_disabled());
		return PAM_AUTH_ERR; /* R6.3 */
	}
	if (!(info.flags & REGS_F_OTP_BOUND)) {
		if (info.flags & REGS_F_CARD_BOUND) {
			show_refusal(f, card_elsewhere(f, info.flags) ? msg_card_not_here()
			                                              : msg_card_only());
			return PAM_AUTH_ERR;
		}
		return flow_password_only(f);
	}
	return ask_and_verify(f, (info.flags & REGS_F_EMAIL_VERIFIED) != 0);
}

/* Builds the text shown above the first-code prompt. */
static char *enrol_info(const struct flow *f, const struct regs_enrolment *e)
{
	char *qr = NULL, *info = malloc(ENROL_INFO_MAX), key[128];
	if (info && flow_plain(f)) { /* no QR: the key grouped for typing */
		plaintext_group_key(e->secret, key, sizeof(key));
		msg_enrol_info_typed(info, ENROL_INFO_MAX, key, e->expires_in);
		regs_wipe(key, sizeof(key));
	} else if (info && (qr = flow_qr(f, e->uri)) != NULL)
		msg_enrol_info(info, ENROL_INFO_MAX, qr, e->secret, e->uri, e->expires_in);
	else if (info)
		msg_enrol_info(info, ENROL_INFO_MAX, "", e->secret, e->uri, e->expires_in);
	regs_free_secret_str(qr);
	return info;
}

/* One try: 1 bound, 0 try again, -1 give up. */
static int enrol_try(struct flow *f, const char *handle, const char *info)
{
	struct regs_verdict v;
	char *code = NULL, text[1024];
	if (conv_ask(f->pamh, info, msg_enrol_prompt(), 1, &code) != PAM_SUCCESS)
		return -1;
	enum regs_client_err err =
	    regs_confirm_otp_enrol(f->client, handle, code, f->service, f->rhost, &v);
	conv_free_answer(code);
	if (err != RC_OK) {
		call_failed(f, err, PAM_PERM_DENIED, PAM_PERM_DENIED);
		return -1;
	}
	if (v.result == REGS_R_OK) {
		conv_show(f->pamh, PAM_TEXT_INFO, msg_bound_log_in_again());
		return 1;
	}
	if (v.result == REGS_R_WRONG || v.result == REGS_R_MALFORMED)
		msg_enrol_wrong(text, sizeof(text), v.failures_left);
	else
		msg_verdict(text, sizeof(text), v.result, 0, v.failures_left);
	conv_show(f->pamh, PAM_ERROR_MSG, text);
	if (v.result == REGS_R_EXPIRED || v.failures_left == 0) {
		if (v.result != REGS_R_EXPIRED)
			conv_show(f->pamh, PAM_ERROR_MSG, msg_enrol_expired());
		return -1;
	}
	return 0;
}

/* Inline enrolment (R1.4, R2.2, R2.3): QR + key + URI with the prompt in one call. */
static int enrol_inline(struct flow *f)
{
	struct regs_enrolment e = {0};
	if (regs_begin_otp_enrol(f->client, f->user, &e) != RC_OK) {
		pam_syslog(f->pamh, LOG_ERR, "enrolment for %s refused by regsd: %s", f->user,
		           regs_client_error_message(f->client));
		conv_show(f->pamh, PAM_ERROR_MSG, msg_forced_binding_refusal());
		return PAM_PERM_DENIED;
	}
	char *info = enrol_info(f, &e);
	int state = 0;
	for (int shown = 0; state == 0; shown = 1)
		state = enrol_try(f, e.handle, shown && !flow_plain(f) ? NULL : info);
	if (state < 0)
		regs_cancel_otp_enrol(f->client, e.handle);
	regs_free_secret_str(info);
	regs_enrolment_clear(&e);
	/* R2.3: a new binding is used by logging in again. */
	return PAM_PERM_DENIED;
}

/* R9.2, R6.4, R9.5: a password login with a password that must change. */
static int password_age(struct flow *f, uint32_t flags)
{
	if (flags & REGS_F_MUST_CHANGE_PASSWORD) {
		conv_show(f->pamh, PAM_ERROR_MSG, msg_password_change(MSG_PASSWORD_MUST_CHANGE));
		return PAM_NEW_AUTHTOK_REQD;
	}
	if (flags & REGS_F_PASSWORD_EXPIRED) {
		conv_show(f->pamh, PAM_ERROR_MSG, msg_password_change(MSG_PASSWORD_EXPIRED));
		return PAM_NEW_AUTHTOK_REQD;
	}
	return PAM_SUCCESS;
}

/* The password phase, after the password module changed it (requisite before us). */
int flow_password(struct flow *f)
{
	if (!(f->pam_flags & PAM_UPDATE_AUTHTOK))
		return PAM_IGNORE; /* the preliminary check: nothing to do yet */
	enum regs_client_err err = RC_UNREACHABLE;
	if (f->client && (err = regs_password_changed(f->client, f->user)) == RC_OK)
		return PAM_SUCCESS;
	/* The password did change; regsd keeps asking for a change until it hears of it. */
	pam_syslog(f->pamh, LOG_ERR, "password change of %s not recorded by regsd (%d)", f->user,
	           (int)err);
	return PAM_IGNORE;
}

int flow_account(struct flow *f)
{
	struct regs_account_info info;
	int rc;
	if (!get_account(f, &info, PAM_PERM_DENIED, PAM_SUCCESS, &rc))
		return rc;
	if (info.flags & REGS_F_LOCKED) {
		flow_show_locked(f, info.lock_seconds);
		return PAM_PERM_DENIED;
	}
	const void *passwordless_login = NULL;
	if (pam_get_data(f->pamh, PASSWORDLESS_KEY, &passwordless_login) == PAM_SUCCESS &&
	    passwordless_login)
		return PAM_SUCCESS; /* no password was used: its age does not matter */
	/* A password login passed its second factor with OTP (or was refused for a
	 * card-only account); Google or a phone alone give a password login no second
	 * factor, so binding is forced for them too (R1.4). */
	if (info.flags & (REGS_F_OTP_BOUND | REGS_F_CARD_BOUND))
		return password_age(f, info.flags);
	const void *pending = NULL;
	if (f->opt.enrol == ENROL_INLINE &&
	    pam_get_data(f->pamh, BIND_PENDING_KEY, &pending) == PAM_SUCCESS && pending)
		return enrol_inline(f); /* only after this transaction verified the password */
	conv_show(f->pamh, PAM_ERROR_MSG, msg_forced_binding_refusal());
	return PAM_PERM_DENIED;
}
