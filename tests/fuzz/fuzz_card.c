/* The card's answers to a whole session (lib/card/card.c over lib/card/apdu.c): open with the HiCOS
 * ATR (or, when the first byte is odd, an ATR from the next bytes), read the SIGN certificate
 * through the directory files, ask the PIN tries, VERIFY and sign. The rest of the input is the
 * script of the card's answers (fuzz_util.h); tests/fuzz/make_seeds.py records the seeds from
 * the virtual card tests/fixtures/vcard.py. */
#include "card/card.h"
#include "fuzz_util.h"
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "card";

static const uint8_t hicos_atr[] = {0x3B, 0xB8, 0x13, 0x00, 0x81, 0x31, 0xFA, 0x52, 0x43,
                                    0x48, 0x54, 0x4D, 0x4F, 0x49, 0x43, 0x41, 0xA5};

static void session(struct card *c)
{
	uint8_t *der = NULL;
	size_t len = 0;
	if (card_read_certificate(c, &der, &len) == CARD_OK && (der == NULL || len == 0))
		fuzz_fail("card_read_certificate: CARD_OK without a certificate");
	free(der);
	int tries = -1;
	if (card_pin_tries(c, &tries) != CARD_OK)
		return;
	int left = -1;
	if (card_verify_pin(c, "123456", &left) != CARD_OK)
		return;
	uint8_t digest[CARD_DIGEST_LEN] = {1, 2, 3}, sig[CARD_SIGNATURE_LEN];
	size_t sig_len = 0;
	enum card_status status = card_sign_sha256(c, digest, sig, &sig_len);
	fuzz_note("card_sign_sha256", status);
	if (status == CARD_OK && sig_len != CARD_SIGNATURE_LEN)
		fuzz_fail("card_sign_sha256: CARD_OK with a short signature");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *atr = hicos_atr, *p = data + 1;
	size_t atr_len = sizeof(hicos_atr);
	if (data[0] & 1) {
		size_t skip = size < 2 ? size : 2;
		atr_len = size > 2 ? data[1] % 34 : 0;
		if (atr_len > size - skip)
			atr_len = size - skip;
		atr = data + skip;
		p = atr + atr_len;
	}
	struct fuzz_script s = {p, data + size};
	struct apdu_io io = fuzz_script_io(&s);
	struct card *c = NULL;
	if (card_open_io(&io, atr, atr_len, &c) == CARD_OK)
		session(c);
	(void)card_reader_name(c);
	(void)card_atr_hex(c);
	(void)card_error_detail(c);
	card_close(c);
	return 0;
}
