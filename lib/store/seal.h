/* TOTP secrets sealed at rest: AES-256-GCM under a root-only key file. */
#ifndef REGS_SEAL_H
#define REGS_SEAL_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES 32
#define SEAL_NONCE_BYTES 12
#define SEAL_TAG_BYTES 16
#define SEAL_OVERHEAD (1 + SEAL_NONCE_BYTES + SEAL_TAG_BYTES) /* version byte + nonce + tag */

struct seal_key {
	uint8_t key[SEAL_KEY_BYTES];
};

/* Loads the key file; creates it (0600, random) when absent and create is
 * set. Refuses (REGS_ERR_PERM) a file that is a symlink, not a regular file,
 * not owned by the effective uid, or readable/writable by group or other,
 * or whose size is not SEAL_KEY_BYTES. */
enum regs_err seal_key_load(const char *path, int create, struct seal_key *key);
void seal_key_wipe(struct seal_key *key);

/* out must hold len + SEAL_OVERHEAD bytes. aad binds the blob to its owner
 * (the account name), so a sealed secret cannot be moved to another account. */
enum regs_err seal_encrypt(const struct seal_key *key, const uint8_t *plain, size_t len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz);
/* out must hold sealed_len - SEAL_OVERHEAD bytes; *outlen gets that. */
enum regs_err seal_decrypt(const struct seal_key *key, const uint8_t *sealed, size_t sealed_len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz,
                           size_t *outlen);

#endif
