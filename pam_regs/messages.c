/* Every text the module shows; the wording follows the operation manual (zh_TW catalogue in po/).
 */
#include "messages.h"
#include "base/i18n.h"
#include "card/card.h"
#include "proto/bus.h"
#include <stdio.h>
#include <string.h>

const char *msg_unreachable(void)
{
	return _("The two-factor login service (regsd) is not reachable; login refused. "
	         "Please contact your administrator.");
}

const char *msg_service_error(enum regs_client_err err)
{
	if (err == RC_UNAVAILABLE) /* R10.2 */
		return _("The two-factor login service is unavailable (its database cannot be "
		         "reached); login refused, and nothing was counted against you. Please try "
		         "again later.");
	if (err == RC_STORAGE)
		return _("The two-factor login service could not record this attempt (a storage "
		         "error on the server); login refused. Please contact your administrator.");
	return _("The two-factor login service refused this request; login refused. Please "
	         "contact your administrator.");
}

void msg_enrol_wrong(char *buf, size_t size, uint32_t tries_left)
{
	snprintf(buf, size,
	         dngettext(REGS_TEXTDOMAIN, "Wrong code. %lu more try for this binding.",
	                   "Wrong code. %lu more tries for this binding.", tries_left),
	         (unsigned long)tries_left);
}

const char *msg_otp_prompt(void)
{
	return _("OTP code: ");
}

const char *msg_otp_prompt_lost(void)
{
	return _("OTP code (or 'lost' if you lost your phone): ");
}

const char *msg_reset_code_prompt(void)
{
	return _("Emergency code from the mail: ");
}

void msg_reset_wrong(char *buf, size_t size, uint32_t tries_left)
{
	snprintf(buf, size,
	         dngettext(REGS_TEXTDOMAIN, "Wrong emergency code. %lu more try.",
	                   "Wrong emergency code. %lu more tries.", tries_left),
	         (unsigned long)tries_left);
}

const char *msg_reset_code_dead(void)
{
	return _("This emergency code has expired or is used up. Log in again and type 'lost' "
	         "to get a new one.");
}

const char *msg_bindings_deleted(void)
{
	return _("All login bindings of this account were deleted. Bind OTP again now.");
}

const char *msg_reset_refused(int reason)
{
	switch (reason) {
	case MSG_RESET_CONTACT_ADMIN:
		return _("Resetting the login binding by e-mail is not available for this account. "
		         "Please contact an administrator.");
	case MSG_RESET_NO_EMAIL:
		return _("This account has no verified e-mail address, so no emergency code can be "
		         "sent. Please contact an administrator.");
	default:
		return _("The mail could not be sent, so no emergency code is valid. Please try "
		         "again later or contact an administrator.");
	}
}

void msg_code_sent(char *buf, size_t size, const char *prefix, uint32_t seconds)
{
	snprintf(buf, size,
	         _("An emergency code was sent to your verified e-mail address. Its prefix is %s- "
	           "(match it with the newest mail); it is valid for %lu minutes. Do not share "
	           "it with anyone."),
	         prefix, (unsigned long)(seconds + 59) / 60);
}

const char *msg_code_recent(void)
{
	return _("An emergency code was sent to your verified e-mail address a moment ago: "
	         "use the newest mail.");
}

const char *msg_password_change(int reason)
{
	if (reason == MSG_PASSWORD_EXPIRED)
		return _("Your password has not been changed for too long: change it now.");
	return _("Your password must be changed now (password login was re-enabled or the "
	         "password was reset).");
}

const char *msg_enrol_prompt(void)
{
	return _("Enter the 6-digit code from the app: ");
}

const char *msg_bound_log_in_again(void)
{
	return _("OTP bound; log in again with a bound method.");
}

const char *msg_forced_binding_refusal(void)
{
	return _("This account has no second factor (OTP or citizen certificate) bound, and no "
	         "work is possible without one. Bind OTP first: run 'regsctl enrol otp' in a "
	         "session that is already open, or log in on the console or over ssh, where "
	         "binding is offered.");
}

const char *msg_password_login_disabled(void)
{
	return _("Password login is disabled for this account. Log in with the citizen "
	         "certificate or the Google account.");
}

const char *msg_card_only(void)
{
	return _("No OTP is bound to this account. Log in with the citizen certificate.");
}

const char *msg_card_not_here(void)
{
	return _("The citizen certificate card can only be read at this computer. Over ssh, log "
	         "in with the card's key (public-key authentication with the card in your own "
	         "reader).");
}

const char *msg_enrol_expired(void)
{
	return _("This binding has expired or used up its tries. Log in again to start a new "
	         "one: the QR code is valid for one binding only.");
}

const char *msg_card_support_missing(void)
{
	return _("Card login is not available: card support is not installed on this computer, "
	         "or was refused as unsafe. Ask the administrator.");
}

const char *msg_card_busy(void)
{
	return _("Too many card logins are in progress for this account. Try again in a minute.");
}

const char *msg_user_name_too_long(void)
{
	return _("This user name is too long for two-factor login (more than 255 bytes). "
	         "Ask the administrator.");
}

const char *msg_clock_hint(void)
{
	return _("The code does not match the current time: the clock of your phone is off.\n"
	         "iOS: Settings > General > Date & Time > Set Automatically.\n"
	         "Android: Google Authenticator > Settings > Time correction for codes > "
	         "Sync now.");
}

void msg_locked(char *buf, size_t size, uint32_t lock_seconds)
{
	unsigned long minutes = (lock_seconds + 59) / 60;
	snprintf(buf, size,
	         dngettext(REGS_TEXTDOMAIN,
	                   "Account locked after too many failed attempts. Try again in %lu "
	                   "minute.",
	                   "Account locked after too many failed attempts. Try again in %lu "
	                   "minutes.",
	                   minutes),
	         minutes);
}

const char *msg_press_enter_to_end(void)
{
	return _("Press Enter to end this login: ");
}

const char *msg_press_enter_to_continue(void)
{
	return _("Press Enter to continue: ");
}

static void msg_tries_left(char *buf, size_t size, uint32_t failures_left)
{
	snprintf(buf, size,
	         dngettext(REGS_TEXTDOMAIN, "%lu more failed attempt will lock the account.",
	                   "%lu more failed attempts will lock the account.", failures_left),
	         (unsigned long)failures_left);
}

static void msg_wrong(char *buf, size_t size, uint32_t failures_left)
{
	snprintf(buf, size,
	         dngettext(REGS_TEXTDOMAIN,
	                   "Wrong OTP code. %lu more failed attempt will lock the account.",
	                   "Wrong OTP code. %lu more failed attempts will lock the account.",
	                   failures_left),
	         (unsigned long)failures_left);
}

void msg_verdict(char *buf, size_t size, uint32_t result, uint32_t lock_seconds,
                 uint32_t failures_left)
{
	if (lock_seconds > 0) {
		msg_locked(buf, size, lock_seconds);
		return;
	}
	switch (result) {
	case REGS_R_REPLAYED:
		snprintf(buf, size, "%s",
		         _("This OTP code has already been used. Wait for the next code in the "
		           "app."));
		break;
	case REGS_R_CLOCK_DRIFT: /* counted like a wrong code (R12.4): say what is left */
		snprintf(buf, size, "%s\n", msg_clock_hint());
		msg_tries_left(buf + strlen(buf), size - strlen(buf), failures_left);
		break;
	case REGS_R_MALFORMED:
		snprintf(buf, size, "%s", _("An OTP code is 6 digits."));
		break;
	case REGS_R_NOT_BOUND:
		snprintf(buf, size, "%s", _("No OTP is bound to this account."));
		break;
	case REGS_R_EXPIRED:
		snprintf(buf, size, "%s", msg_enrol_expired());
		break;
	default:
		msg_wrong(buf, size, failures_left);
	}
}

void msg_enrol_info(char *buf, size_t size, const char *qr, const char *secret, const char *uri,
                    uint32_t expires_in)
{
	snprintf(buf, size,
	         _("This account has no second factor bound: bind OTP now.\n"
	           "Scan this QR code with Google Authenticator or Microsoft Authenticator:\n"
	           "%s"
	           "or add this key by hand: %s\n"
	           "(%s)\n"
	           "The QR code is valid for this binding only and expires in %lu minutes."),
	         qr, secret, uri, (unsigned long)(expires_in + 59) / 60);
}

void msg_enrol_info_typed(char *buf, size_t size, const char *grouped_key, uint32_t expires_in)
{
	snprintf(buf, size,
	         _("This account has no second factor bound: bind OTP now. In Google "
	           "Authenticator or Microsoft Authenticator add an account, choose to enter a "
	           "setup key, type this key (time based): %s - then type the code the app shows. "
	           "The key is valid for this binding only and expires in %lu minutes."),
	         grouped_key, (unsigned long)(expires_in + 59) / 60);
}

const char *msg_method_header(void)
{
	return _("Login methods:");
}

const char *msg_method_label(int method)
{
	switch (method) {
	case MSG_METHOD_CARD:
		return _("citizen certificate card (自然人憑證)");
	case MSG_METHOD_MOBILE:
		return _("mobile citizen certificate (行動自然人憑證)");
	case MSG_METHOD_GOOGLE:
		return _("Google account + OTP");
	default:
		return _("password + OTP");
	}
}

const char *msg_method_unknown(void)
{
	return _("Unknown choice: answer with the number of one of the methods shown.");
}

const char *msg_method_prompt(void)
{
	return _("Choose a login method [1]: ");
}

const char *msg_insert_card(void)
{
	return _("Insert the citizen certificate card into the reader.");
}

void msg_pin_prompt(char *buf, size_t size, int tries)
{
	if (tries < 0) { /* the card does not report its tries (R11.5) */
		snprintf(buf, size, "%s", _("PIN of the card (it locks after 3 wrong PINs): "));
		return;
	}
	snprintf(
	    buf, size,
	    dngettext(REGS_TEXTDOMAIN, "PIN of the card (%d try left before it locks): ",
	              "PIN of the card (%d tries left before it locks): ", (unsigned long)tries),
	    tries);
}

void msg_wrong_pin(char *buf, size_t size, int tries_left)
{
	if (tries_left <= 0) {
		snprintf(buf, size, "%s", msg_card_status(CARD_LOCKED));
		return;
	}
	snprintf(buf, size,
	         dngettext(REGS_TEXTDOMAIN, "Wrong PIN. %d try left before the card locks.",
	                   "Wrong PIN. %d tries left before the card locks.",
	                   (unsigned long)tries_left),
	         tries_left);
}

const char *msg_card_status(int status)
{
	switch (status) {
	case CARD_NO_SERVICE:
		return _(
		    "The smart card service (pcscd) is not running. Run 'regsctl card-check' or "
		    "ask an administrator.");
	case CARD_NO_READER:
		return _("No card reader found: check that the reader is connected. Run "
		         "'regsctl card-check' for a self-check.");
	case CARD_NO_CARD:
		return _("No card in the reader: insert the citizen certificate card.");
	case CARD_REMOVED:
		return _("The card was removed during the login: insert it and log in again.");
	case CARD_UNKNOWN:
		return _("This card is not a supported citizen certificate card.");
	case CARD_SECOND_GENERATION:
		return _(
		    "Unsupported card generation: this citizen certificate card cannot be used "
		    "here yet.");
	case CARD_LOCKED:
		return _("The card is locked after 3 wrong PINs: unlock it at the MOICA site "
		         "(內政部憑證管理中心) before using it again.");
	case CARD_BAD_PIN_FORMAT:
		return _("A card PIN is 6 to 8 digits.");
	default:
		return _("The card could not be read: take it out, insert it again and retry.");
	}
}

void msg_card_verdict(char *buf, size_t size, uint32_t result, uint32_t lock_seconds)
{
	if (result == REGS_R_LOCKED || lock_seconds > 0) {
		msg_locked(buf, size, lock_seconds);
		return;
	}
	const char *text;
	switch (result) {
	case REGS_R_CERT_INVALID:
		text = _("Certificate invalid: check the card's status with the certificate "
		         "authority (自然人憑證失效).");
		break;
	case REGS_R_CERT_UNTRUSTED:
		text = _("This card's certificate is not from the authority for this account.");
		break;
	case REGS_R_CARD_NOT_BOUND:
		text = _("This card is not the one bound to this account. Bind it with 'regsctl "
		         "bind card' after logging in another way.");
		break;
	case REGS_R_NO_FRESH_CRL:
		text = _("The certificate's revocation status cannot be checked right now; login "
		         "refused. Please try again later or contact an administrator.");
		break;
	default:
		text = _("The card's signature could not be verified; login refused.");
	}
	snprintf(buf, size, "%s", text);
}

const char *msg_split_prompt(void)
{
	return _("Password followed by the OTP code: ");
}

const char *msg_split_malformed(void)
{
	return _("Type your password followed directly by the 6-digit OTP code from your "
	         "authenticator app (no space between them), in one answer.");
}

const char *msg_split_needs_otp(void)
{
	return _("This login takes the password and the OTP code in one answer, so it needs OTP "
	         "bound to this account, and binding cannot be done here. Bind OTP first: log in "
	         "on the console or over ssh, where binding is offered, or run 'regsctl enrol "
	         "otp' in a session that is already open.");
}
