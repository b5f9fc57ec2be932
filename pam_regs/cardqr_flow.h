/* The card and QR plugin for one call of the module: loaded when a card or QR code is used. */
#ifndef PAM_REGS_CARDQR_FLOW_H
#define PAM_REGS_CARDQR_FLOW_H
#include "cardqr_load.h"
#include "flows.h"

/* Loads the card code for a card login. PAM_SUCCESS, or PAM_AUTH_ERR after logging why and
 * telling the user that card support is not installed or was refused: a card login that
 * cannot load its code is refused, never passed. Release c with cardqr_release. */
int flow_card_code(struct flow *f, struct cardqr *c);

/* text as a QR code (malloc'd; free with regs_free_secret_str), or NULL when it cannot be
 * drawn, the plugin being absent or refused included: the caller then shows the text alone. */
char *flow_qr(const struct flow *f, const char *text);

#endif
