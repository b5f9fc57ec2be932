/* The module's side of the card and QR plugin: a card login refused without it, a QR code
 * replaced by text without it, each logged once at the call that needed it. */
#include "cardqr_flow.h"
#include "conv.h"
#include "messages.h"
#include <security/pam_ext.h>
#include <syslog.h>

int flow_card_code(struct flow *f, struct cardqr *c)
{
	char why[CARDQR_WHY_MAX];
	if (cardqr_load(c, why, sizeof(why)) == REGS_OK)
		return PAM_SUCCESS;
	pam_syslog(f->pamh, LOG_ERR, "card login of %s refused: card support not loaded: %s",
	           f->user, why);
	conv_show(f->pamh, PAM_ERROR_MSG, msg_card_support_missing());
	return PAM_AUTH_ERR;
}

char *flow_qr(const struct flow *f, const char *text)
{
	struct cardqr c;
	char why[CARDQR_WHY_MAX], *qr = NULL;
	if (cardqr_load(&c, why, sizeof(why)) != REGS_OK) {
		pam_syslog(f->pamh, LOG_NOTICE, "QR code shown as text: QR support not loaded: %s",
		           why);
		return NULL;
	}
	if (c.code->qr_render_utf8(text, 1, &qr) != REGS_OK)
		qr = NULL;
	cardqr_release(&c);
	return qr;
}
