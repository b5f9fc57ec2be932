/* Wrapping a PIN into the HiCOS profile's protected VERIFY APDU (3DES CBC-MAC, then 3DES-CBC). */
#include "card/pinwrap.h"
#include "base/wipe.h"

#include <openssl/evp.h>
#include <string.h>

#define PIN_BLOCK_LEN 10 /* the PIN padded with FF */
#define MAC_LEN 8
#define CIPHERTEXT_LEN 24 /* PIN(10) || MAC(8), PKCS#7-padded */
#define CBC_OUT_MAX 32

const uint8_t pinwrap_key_primary[PINWRAP_KEY_LEN] = "CHTTL8f0HiCardV2";
const uint8_t pinwrap_key_alternative[PINWRAP_KEY_LEN] = "TLETC812HiCOSV22";

int pinwrap_pin_format_ok(const char *pin)
{
	size_t len = 0;

	if (pin == NULL)
		return 0;
	for (; pin[len]; len++) {
		if (pin[len] < '0' || pin[len] > '9' || len == PIN_MAX_DIGITS)
			return 0;
	}
	return len >= PIN_MIN_DIGITS;
}

/* 3DES-CBC (2-key EDE) with PKCS#7 padding of in (at most 24 bytes) into out; *out_len bytes. */
static int encrypt_cbc(const uint8_t key[PINWRAP_KEY_LEN], const uint8_t iv[PINWRAP_IV_LEN],
                       const uint8_t *in, int in_len, uint8_t out[CBC_OUT_MAX], int *out_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int ok, len = 0, final_len = 0;

	if (ctx == NULL)
		return -1;
	ok = EVP_EncryptInit_ex(ctx, EVP_des_ede_cbc(), NULL, key, iv) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &len, in, in_len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + len, &final_len) == 1;
	EVP_CIPHER_CTX_free(ctx); /* clears the key schedule */
	*out_len = len + final_len;
	return ok ? 0 : -1;
}

enum regs_err pinwrap_verify_apdu(const char *pin, const uint8_t key[PINWRAP_KEY_LEN],
                                  const uint8_t iv[PINWRAP_IV_LEN], uint8_t apdu[PINWRAP_APDU_LEN])
{
	static const uint8_t header[5] = {0x8C, 0x20, 0x00, 0x01, 0x20};
	uint8_t plain[PIN_BLOCK_LEN + MAC_LEN], out[CBC_OUT_MAX];
	enum regs_err err = REGS_ERR_CRYPTO;
	int out_len;

	if (!pinwrap_pin_format_ok(pin))
		return REGS_ERR_INVALID;
	memset(plain, 0xFF, PIN_BLOCK_LEN);
	memcpy(plain, pin, strlen(pin));
	/* CBC-MAC: the last block of the CBC encryption of the padded PIN. */
	if (encrypt_cbc(key, iv, plain, PIN_BLOCK_LEN, out, &out_len) < 0 || out_len != 16)
		goto out;
	memcpy(plain + PIN_BLOCK_LEN, out + out_len - MAC_LEN, MAC_LEN);
	if (encrypt_cbc(key, iv, plain, (int)sizeof(plain), out, &out_len) < 0 ||
	    out_len != CIPHERTEXT_LEN)
		goto out;
	memcpy(apdu, header, sizeof(header));
	memcpy(apdu + sizeof(header), iv, PINWRAP_IV_LEN);
	memcpy(apdu + sizeof(header) + PINWRAP_IV_LEN, out, CIPHERTEXT_LEN);
	err = REGS_OK;
out:
	if (err != REGS_OK)
		regs_wipe(apdu, PINWRAP_APDU_LEN);
	regs_wipe(plain, sizeof(plain));
	regs_wipe(out, sizeof(out));
	return err;
}
