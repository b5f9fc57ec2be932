/* Mobile citizen certificate (R4): the ID number, a push to the phone (or the QR of the same
 * transaction), and a countdown until the phone confirms. */
#include "base/wipe.h"
#include "conv.h"
#include "flows.h"
#include "messages.h"
#include "ooblogin.h"
#include "proto/bus.h"
#include "ui/twid.h"
#include <string.h>

int flow_mobile_login(struct flow *f)
{
	struct regs_oob_start s;
	char *id = NULL, info[1024];
	uint32_t lock = 0;
	int rc = PAM_AUTH_ERR;
	if (conv_ask(f->pamh, NULL, msg_id_prompt(), 1, &id) != PAM_SUCCESS)
		return PAM_AUTH_ERR;
	if (!twid_valid(id)) { /* R4.1: nothing is sent for a bad number */
		conv_free_answer(id);
		conv_show(f->pamh, PAM_ERROR_MSG, msg_id_invalid());
		return PAM_AUTH_ERR;
	}
	enum regs_client_err err =
	    regs_mobile_begin(f->client, f->user, id, REGS_OOB_LOGIN, f->service, f->rhost, &s);
	conv_free_answer(id);
	if (err != RC_OK)
		return oob_not_started(f, MSG_METHOD_MOBILE, err);
	if (flow_plain(f)) /* no QR code to offer */
		msg_mobile_pushed_no_qr(info, sizeof(info), s.expires_in);
	else
		msg_mobile_pushed(info, sizeof(info), s.expires_in);
	struct oob_wait w = {MSG_METHOD_MOBILE, s.handle, info, s.expires_in, 0};
	int state = oob_wait(f, &w, &lock, &rc);
	if (state < 0)
		return rc;
	return state == REGS_OOB_APPROVED ? PAM_SUCCESS
	                                  : oob_refuse(f, MSG_METHOD_MOBILE, (uint32_t)state, lock);
}
