/* TOTP secrets sealed at rest: AES-256-GCM under a root-only key file. */
#ifndef REGS_SEAL_H
#define REGS_SEAL_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES 32
#define SEAL_NONCE_BYTES 12
#define SEAL_TAG_BYTES 16
#define SEAL_KEY_CHECK_BYTES 32 /* HMAC-SHA256(key, "pam_regs seal key check") */
#define SEAL_KEY_ID_BYTES 4     /* the key check value's first bytes */
/* version byte + key id + nonce + tag (the current layout, version 2) */
#define SEAL_OVERHEAD (1 + SEAL_KEY_ID_BYTES + SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
/* version 1, still read: no key id (assumed to be the current key) */
#define SEAL_V1_OVERHEAD (1 + SEAL_NONCE_BYTES + SEAL_TAG_BYTES)

struct seal_key {
	uint8_t key[SEAL_KEY_BYTES];
};

/* Loads the key file; creates it (0600, random) when absent and create is
 * set. Refuses (REGS_ERR_PERM) a file that is a symlink, not a regular file,
 * not owned by the effective uid, or readable/writable by group or other,
 * or whose size is not SEAL_KEY_BYTES. */
enum regs_err seal_key_load(const char *path, int create, struct seal_key *key);
void seal_key_wipe(struct seal_key *key);

/* The key's check value: what a database records so that a host with another key can
 * tell (R10.4); it reveals nothing of the key. */
enum regs_err seal_key_check(const struct seal_key *key, uint8_t out[SEAL_KEY_CHECK_BYTES]);
/* The key's id: the first bytes of its check value, named by every blob it seals. */
enum regs_err seal_key_id(const struct seal_key *key, uint8_t out[SEAL_KEY_ID_BYTES]);
/* The key id a sealed blob names: REGS_ERR_NOT_FOUND for a version 1 blob (it names none),
 * REGS_ERR_INVALID for a blob too short or of an unknown version. */
enum regs_err seal_blob_key_id(const uint8_t *sealed, size_t sealed_len,
                               uint8_t out[SEAL_KEY_ID_BYTES]);

/* out must hold len + SEAL_OVERHEAD bytes. aad binds the blob to its owner
 * (the account name), so a sealed secret cannot be moved to another account; the blob's
 * version and key id are authenticated with it, so neither can be swapped. */
enum regs_err seal_encrypt(const struct seal_key *key, const uint8_t *plain, size_t len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz);
/* out must hold the plaintext (sealed_len less the blob's overhead); *outlen gets its length.
 * Reads versions 1 and 2; refuses (REGS_ERR_CRYPTO) a blob that names another key. */
enum regs_err seal_decrypt(const struct seal_key *key, const uint8_t *sealed, size_t sealed_len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz,
                           size_t *outlen);

#endif
