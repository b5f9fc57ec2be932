/* Sealing TOTP secrets at rest with AES-256-GCM under a root-only key file. */
#include "store/seal.h"
#include "base/fileio.h"

#include "base/random.h"
#include "base/trustedfile.h"
#include "base/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_VERSION 0x01

/* Creates a new random key file; O_EXCL so an existing file is never overwritten. */
static enum regs_err seal_key_create(const char *path, struct seal_key *key)
{
	enum regs_err err = regs_random_bytes(key->key, sizeof(key->key));
	if (err != REGS_OK)
		return err;
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? REGS_ERR_EXISTS : REGS_ERR_IO;
	/* fchmod: the umask must not decide the key's mode. */
	if (fchmod(fd, 0600) != 0 || regs_write_all(fd, key->key, sizeof(key->key)) != 0 ||
	    fsync(fd) != 0) {
		int saved = errno;
		close(fd);
		unlink(path);
		errno = saved;
		return REGS_ERR_IO;
	}
	if (close(fd) != 0)
		return REGS_ERR_IO;
	return REGS_OK;
}

/* A secret file (base/trustedfile.h) of exactly the key's size. */
static enum regs_err seal_key_read(const char *path, struct seal_key *key)
{
	int fd;
	size_t size;
	enum regs_err err =
	    trusted_file_open(path, TRUSTED_SECRET, SEAL_KEY_BYTES, &fd, &size, NULL, 0);
	if (err == REGS_OK && size != SEAL_KEY_BYTES)
		err = REGS_ERR_PERM;
	if (err == REGS_OK && regs_read_exact(fd, key->key, sizeof(key->key)) != 0)
		err = REGS_ERR_IO;
	if (fd >= 0)
		close(fd);
	if (err != REGS_OK)
		seal_key_wipe(key);
	return err;
}

enum regs_err seal_key_load(const char *path, int create, struct seal_key *key)
{
	if (path == NULL || key == NULL)
		return REGS_ERR_INVALID;
	enum regs_err err = seal_key_read(path, key);
	if (err != REGS_ERR_NOT_FOUND || !create)
		return err;
	err = seal_key_create(path, key);
	/* Lost a race with another creator: use the key it wrote. */
	if (err == REGS_ERR_EXISTS)
		return seal_key_read(path, key);
	if (err != REGS_OK)
		seal_key_wipe(key);
	return err;
}

void seal_key_wipe(struct seal_key *key)
{
	if (key != NULL)
		regs_wipe(key->key, sizeof(key->key));
}

/* Sets up ctx for AES-256-GCM with key and nonce, for encryption (enc=1) or decryption. */
static int seal_cipher_init(EVP_CIPHER_CTX *ctx, const struct seal_key *key, const uint8_t *nonce,
                            int enc)
{
	return EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_BYTES, NULL) == 1 &&
	       EVP_CipherInit_ex(ctx, NULL, NULL, key->key, nonce, enc) == 1;
}

static int seal_lengths_fit(size_t len, size_t aadlen)
{
	return len <= INT32_MAX - SEAL_OVERHEAD && aadlen <= INT32_MAX;
}

enum regs_err seal_encrypt(const struct seal_key *key, const uint8_t *plain, size_t len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz)
{
	if (key == NULL || (plain == NULL && len > 0) || (aad == NULL && aadlen > 0) ||
	    out == NULL || !seal_lengths_fit(len, aadlen) || outsz < len + SEAL_OVERHEAD)
		return REGS_ERR_INVALID;
	uint8_t *nonce = out + 1;
	uint8_t *cipher = nonce + SEAL_NONCE_BYTES;
	uint8_t *tag = cipher + len;
	enum regs_err err = regs_random_bytes(nonce, SEAL_NONCE_BYTES);
	if (err != REGS_OK)
		return err;
	out[0] = SEAL_VERSION;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	int ok = ctx != NULL && seal_cipher_init(ctx, key, nonce, 1) &&
	         (aadlen == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1) &&
	         (len == 0 || EVP_EncryptUpdate(ctx, cipher, &n, plain, (int)len) == 1) &&
	         EVP_EncryptFinal_ex(ctx, cipher + n, &n) == 1 &&
	         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_BYTES, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		regs_wipe(out, len + SEAL_OVERHEAD);
		return REGS_ERR_CRYPTO;
	}
	return REGS_OK;
}

enum regs_err seal_decrypt(const struct seal_key *key, const uint8_t *sealed, size_t sealed_len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz,
                           size_t *outlen)
{
	if (key == NULL || sealed == NULL || (aad == NULL && aadlen > 0) || out == NULL ||
	    outlen == NULL || sealed_len < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION)
		return REGS_ERR_INVALID;
	size_t len = sealed_len - SEAL_OVERHEAD;
	if (outsz < len || !seal_lengths_fit(len, aadlen))
		return REGS_ERR_INVALID;
	const uint8_t *nonce = sealed + 1;
	const uint8_t *cipher = nonce + SEAL_NONCE_BYTES;
	/* OpenSSL's ctrl takes a non-const tag buffer even when it only reads it. */
	uint8_t tag[SEAL_TAG_BYTES];
	memcpy(tag, cipher + len, SEAL_TAG_BYTES);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	int ok = ctx != NULL && seal_cipher_init(ctx, key, nonce, 0) &&
	         (aadlen == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1) &&
	         (len == 0 || EVP_DecryptUpdate(ctx, out, &n, cipher, (int)len) == 1) &&
	         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_BYTES, tag) == 1 &&
	         EVP_DecryptFinal_ex(ctx, out + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		/* Never hand out plaintext that failed authentication. */
		regs_wipe(out, len);
		return REGS_ERR_CRYPTO;
	}
	*outlen = len;
	return REGS_OK;
}
