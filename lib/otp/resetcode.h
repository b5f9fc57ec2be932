/* E-mailed one-time codes (R8.2, R8.3, R9.5): made at random, checked for form, kept as salt +
 * hash. */
#ifndef REGS_RESETCODE_H
#define REGS_RESETCODE_H
#include "base/error.h"
#include <stdint.h>

#define RESETCODE_SIZE 16       /* buffer for "KX-125770" and its NUL (10 used) */
#define RESETCODE_PREFIX_SIZE 3 /* "KX" and its NUL */
#define RESETCODE_SALT_SIZE 16
#define RESETCODE_HASH_SIZE 32

/* Makes a code "KX-125770": two letters from A-Z without I and O (shown on
 * screen so the user can match the newest mail, R8.2), a dash, six digits.
 * Every symbol is uniform (getrandom, rejection sampling: no modulo bias).
 * prefix gets the two letters. The caller wipes code after mailing it. */
enum regs_err resetcode_generate(char code[RESETCODE_SIZE], char prefix[RESETCODE_PREFIX_SIZE]);

/* 1 when input reads as a code: two letters, an optional '-' or one space,
 * six digits; any case; blanks around it are ignored. NULL gives 0. */
int resetcode_well_formed(const char *input);

/* SHA-256 over salt || the normalised code (upper case, no dash, no blanks).
 * Only this hash and the salt are stored. A malformed input gives
 * REGS_ERR_INVALID and an EVP failure REGS_ERR_CRYPTO; out is then all zero. */
enum regs_err resetcode_hash(const uint8_t salt[RESETCODE_SALT_SIZE], const char *input,
                             uint8_t out[RESETCODE_HASH_SIZE]);

/* 1 when input hashes to hash under salt (constant-time compare); 0 when it
 * does not, is malformed or NULL, or the hash cannot be computed. */
int resetcode_matches(const uint8_t salt[RESETCODE_SALT_SIZE],
                      const uint8_t hash[RESETCODE_HASH_SIZE], const char *input);

/* The two letters of a code in upper case, "" when it is malformed. */
void resetcode_prefix(const char *code, char prefix[RESETCODE_PREFIX_SIZE]);

#endif
