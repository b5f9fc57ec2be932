/* The texts of the Google and mobile citizen certificate logins (R4, R5); zh_TW in po/. */
#include "base/i18n.h"
#include "client.h"
#include "messages.h"
#include "proto/bus.h"
#include <stdio.h>

void msg_google_info(char *buf, size_t size, const char *uri, const char *user_code, const char *qr,
                     uint32_t seconds)
{
	snprintf(buf, size,
	         _("Google account login: on your phone or computer, open\n  %s\nand enter the "
	           "code  %s\n%s\nThe code is valid for %u:%02u. Then come back here."),
	         uri, user_code, qr, seconds / 60, seconds % 60);
}

void msg_mobile_pushed(char *buf, size_t size, uint32_t seconds)
{
	snprintf(buf, size,
	         _("A login request was sent to the TW FidO app on your phone; confirm it there "
	           "with your fingerprint or face (valid for %u:%02u).\nIf no notification "
	           "arrives, type q to show a QR code to scan with the app instead."),
	         seconds / 60, seconds % 60);
}

void msg_mobile_pushed_no_qr(char *buf, size_t size, uint32_t seconds)
{
	snprintf(buf, size,
	         _("A login request was sent to the TW FidO app on your phone; confirm it there "
	           "with your fingerprint or face (valid for %u:%02u)."),
	         seconds / 60, seconds % 60);
}

void msg_mobile_qr(char *buf, size_t size, const char *qr)
{
	snprintf(buf, size, _("Scan this QR code with the TW FidO app:\n%s"), qr);
}

void msg_oob_prompt(char *buf, size_t size, int kind, int offer_qr, uint32_t seconds_left)
{
	if (kind == MSG_METHOD_MOBILE && !offer_qr)
		snprintf(buf, size, _("Press Enter after confirming (%u:%02u left): "),
		         seconds_left / 60, seconds_left % 60);
	else if (kind == MSG_METHOD_MOBILE)
		snprintf(buf, size,
		         _("Press Enter after confirming, or q for a QR code (%u:%02u left): "),
		         seconds_left / 60, seconds_left % 60);
	else
		snprintf(buf, size, _("Press Enter after approving (%u:%02u left): "),
		         seconds_left / 60, seconds_left % 60);
}

const char *msg_oob_pending(void)
{
	return _("Not confirmed yet.");
}

static const char *outcome_text(int kind, uint32_t state)
{
	int google = kind == MSG_METHOD_GOOGLE;
	switch (state) {
	case REGS_OOB_DENIED:
		return google ? _("The Google login was denied.")
		              : _("The login was refused on the phone.");
	case REGS_OOB_EXPIRED:
		return _("The login request expired before it was confirmed. Please start again.");
	case REGS_OOB_UNREACHABLE:
		return google
		           ? _("The Google login service cannot be reached; please try another "
		               "method or try again later.")
		           : _("The mobile citizen certificate service cannot be reached; please "
		               "try another method or try again later.");
	case REGS_OOB_REFUSED:
		return _("The answer could not be verified; login refused.");
	case REGS_OOB_NOT_BOUND:
		return google ? _("This Google account is not the one bound to this account.")
		              : _("This mobile citizen certificate is not the one bound to this "
		                  "account.");
	default:
		return _("The login request is no longer valid. Please start again.");
	}
}

void msg_oob_outcome(char *buf, size_t size, int kind, uint32_t state, uint32_t lock_seconds)
{
	if (state == REGS_OOB_LOCKED || lock_seconds > 0)
		msg_locked(buf, size, lock_seconds);
	else
		snprintf(buf, size, "%s", outcome_text(kind, state));
}

void msg_oob_not_started(char *buf, size_t size, int kind, int err)
{
	const char *text;
	switch (err) {
	case RC_PROVIDER_UNREACHABLE:
		text = outcome_text(kind, REGS_OOB_UNREACHABLE);
		break;
	case RC_TOO_SOON:
		text = _("Too many attempts; please wait a few minutes and try again.");
		break;
	case RC_NOT_CONFIGURED:
		text = _("This login method is not set up on this system.");
		break;
	case RC_INVALID:
		text = msg_id_invalid();
		break;
	default:
		text =
		    kind == MSG_METHOD_MOBILE
		        ? _("The mobile citizen certificate service refused the request; check the "
		            "ID number and that the TW FidO app is set up on your phone.")
		        : _("This login method cannot be used for this account now.");
	}
	snprintf(buf, size, "%s", text);
}

const char *msg_id_prompt(void)
{
	return _("National ID number (身分證統一編號): ");
}

const char *msg_id_invalid(void)
{
	return _("That is not a valid national ID number (one letter and nine digits).");
}

const char *msg_qr_unavailable(void)
{
	return _("No QR code is available right now; the push request is still valid.");
}
