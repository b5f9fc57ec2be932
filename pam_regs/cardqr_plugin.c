/* The card and QR plugin (cardqr.so): lib/card and lib/ui/qr behind one versioned table. */
#include "cardqr.h"
#include "ui/qr.h"
#include <openssl/sha.h>

static void cardqr_sha256(const uint8_t *data, size_t len, uint8_t digest[CARD_DIGEST_LEN])
{
	SHA256(data, len, digest);
}

static const struct cardqr_table cardqr_code = {
    .abi = CARDQR_ABI,
    .size = sizeof(struct cardqr_table),
    .card_open = card_open,
    .card_read_serial = card_read_serial,
    .card_read_certificate = card_read_certificate,
    .card_pin_tries = card_pin_tries,
    .card_verify_pin = card_verify_pin,
    .card_sign_sha256 = card_sign_sha256,
    .card_close = card_close,
    .card_status_text = card_status_text,
    .sha256 = cardqr_sha256,
    .qr_render_utf8 = qr_render_utf8,
};

__attribute__((visibility("default"))) const struct cardqr_table *regs_cardqr_table(void)
{
	return &cardqr_code;
}
