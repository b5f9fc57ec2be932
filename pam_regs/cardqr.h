/* The table of card and QR code that pam_regs.so loads from its plugin only when a login uses a
 * card or draws a QR code (issue 12): PC/SC, the HiCOS card, libcrypto and libqrencode stay out
 * of every other login. Shared by the module (cardqr_load.c) and the plugin (cardqr_plugin.c). */
#ifndef PAM_REGS_CARDQR_H
#define PAM_REGS_CARDQR_H
#include "base/error.h"
#include "card/card.h"
#include <stddef.h>
#include <stdint.h>

/* Raised whenever an entry changes meaning; entries are only ever appended, and a plugin whose
 * table is shorter than the module's is refused. */
#define CARDQR_ABI 1
/* The plugin's one exported symbol: a function returning its table. */
#define CARDQR_ENTRY "regs_cardqr_table"
/* The plugin's file name, in $(pkglibdir) once installed and beside the module in a build. */
#define CARDQR_FILE "cardqr.so"

struct cardqr_table {
	uint32_t abi;  /* CARDQR_ABI of the plugin */
	uint32_t size; /* sizeof(struct cardqr_table) in the plugin */
	/* lib/card/card.h */
	enum card_status (*card_open)(int wait_ms, const char *reader_or_NULL, struct card **out);
	enum card_status (*card_read_serial)(struct card *c, char hex[CARD_SERIAL_HEX_SIZE]);
	enum card_status (*card_read_certificate)(struct card *c, uint8_t **der, size_t *len);
	enum card_status (*card_pin_tries)(struct card *c, int *tries);
	enum card_status (*card_verify_pin)(struct card *c, const char *pin, int *tries_left);
	enum card_status (*card_sign_sha256)(struct card *c, const uint8_t digest[CARD_DIGEST_LEN],
	                                     uint8_t sig[CARD_SIGNATURE_LEN], size_t *sig_len);
	void (*card_close)(struct card *c);
	const char *(*card_status_text)(enum card_status status);
	/* SHA-256 of a challenge, the digest the card signs (libcrypto). */
	void (*sha256)(const uint8_t *data, size_t len, uint8_t digest[CARD_DIGEST_LEN]);
	/* lib/ui/qr.h */
	enum regs_err (*qr_render_utf8)(const char *text, int invert, char **out);
};

typedef const struct cardqr_table *(*cardqr_entry_fn)(void);

/* The plugin's entry point (CARDQR_ENTRY). */
const struct cardqr_table *regs_cardqr_table(void);

#endif
