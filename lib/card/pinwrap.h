/* The HiCOS profile's protected VERIFY: the PIN padded, MACed and encrypted with 2-key 3DES. */
#ifndef REGS_PINWRAP_H
#define REGS_PINWRAP_H
#include "base/error.h"
#include <stdint.h>

#define PINWRAP_KEY_LEN 16
#define PINWRAP_IV_LEN 8
#define PINWRAP_APDU_LEN (5 + 32) /* 8C 20 00 01 20 | IV(8) | C(24) */
#define PIN_MIN_DIGITS 6
#define PIN_MAX_DIGITS 8

/* The profile's fixed keys: "CHTTL8f0HiCardV2", and "TLETC812HiCOSV22" tried once when the card
 * answers 6A88 to the first. */
extern const uint8_t pinwrap_key_primary[PINWRAP_KEY_LEN];
extern const uint8_t pinwrap_key_alternative[PINWRAP_KEY_LEN];

/* 1 when pin is 6 to 8 ASCII digits. */
int pinwrap_pin_format_ok(const char *pin);

/* Builds 8C 20 00 01 20 | iv | C: the PIN padded with FF to 10 bytes; MAC = the last block of
 * 3DES-CBC (iv, PKCS#7 padding) over it; C = 3DES-CBC (iv, PKCS#7) over PIN(10) || MAC(8).
 * REGS_ERR_INVALID for a PIN that is not 6 to 8 digits (apdu untouched), REGS_ERR_CRYPTO when
 * OpenSSL fails (apdu wiped). Intermediates are wiped. */
enum regs_err pinwrap_verify_apdu(const char *pin, const uint8_t key[PINWRAP_KEY_LEN],
                                  const uint8_t iv[PINWRAP_IV_LEN], uint8_t apdu[PINWRAP_APDU_LEN]);

#endif
