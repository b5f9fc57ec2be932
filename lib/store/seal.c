/* Sealing TOTP secrets at rest with AES-256-GCM under a root-only key file. */
#include "store/seal.h"
#include "base/fileio.h"

#include "base/random.h"
#include "base/trustedfile.h"
#include "base/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_VERSION_1 0x01 /* version byte, nonce, ciphertext, tag */
#define SEAL_VERSION 0x02   /* version byte, key id, nonce, ciphertext, tag */

static const char seal_check_label[] = "pam_regs seal key check";

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

enum regs_err seal_key_check(const struct seal_key *key, uint8_t out[SEAL_KEY_CHECK_BYTES])
{
	unsigned int len = 0;
	if (key == NULL || out == NULL)
		return REGS_ERR_INVALID;
	if (HMAC(EVP_sha256(), key->key, sizeof(key->key), (const unsigned char *)seal_check_label,
	         sizeof(seal_check_label) - 1, out, &len) == NULL ||
	    len != SEAL_KEY_CHECK_BYTES)
		return REGS_ERR_CRYPTO;
	return REGS_OK;
}

enum regs_err seal_key_id(const struct seal_key *key, uint8_t out[SEAL_KEY_ID_BYTES])
{
	uint8_t check[SEAL_KEY_CHECK_BYTES];
	enum regs_err err = seal_key_check(key, check);
	if (err == REGS_OK)
		memcpy(out, check, SEAL_KEY_ID_BYTES);
	return err;
}

/* The length of the blob's header (version byte, and key id from version 2 on), which its
 * nonce follows; 0 for a blob too short or of an unknown version. */
static size_t seal_header_len(const uint8_t *sealed, size_t sealed_len)
{
	if (sealed == NULL || sealed_len < SEAL_V1_OVERHEAD)
		return 0;
	if (sealed[0] == SEAL_VERSION_1)
		return 1;
	if (sealed[0] == SEAL_VERSION && sealed_len >= SEAL_OVERHEAD)
		return 1 + SEAL_KEY_ID_BYTES;
	return 0;
}

enum regs_err seal_blob_key_id(const uint8_t *sealed, size_t sealed_len,
                               uint8_t out[SEAL_KEY_ID_BYTES])
{
	size_t header = seal_header_len(sealed, sealed_len);
	if (header == 0 || out == NULL)
		return REGS_ERR_INVALID;
	if (header == 1)
		return REGS_ERR_NOT_FOUND;
	memcpy(out, sealed + 1, SEAL_KEY_ID_BYTES);
	return REGS_OK;
}

/* Sets up ctx for AES-256-GCM with key and nonce, for encryption (enc=1) or decryption. */
static int seal_cipher_init(EVP_CIPHER_CTX *ctx, const struct seal_key *key, const uint8_t *nonce,
                            int enc)
{
	return EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_BYTES, NULL) == 1 &&
	       EVP_CipherInit_ex(ctx, NULL, NULL, key->key, nonce, enc) == 1;
}

/* Feeds authenticated data that is not encrypted: the blob's header, then the caller's aad. */
static int seal_cipher_aad(EVP_CIPHER_CTX *ctx, const uint8_t *header, size_t header_len,
                           const void *aad, size_t aadlen)
{
	int n = 0;
	return (header_len == 0 || EVP_CipherUpdate(ctx, NULL, &n, header, (int)header_len) == 1) &&
	       (aadlen == 0 || EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1);
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
	const size_t header = 1 + SEAL_KEY_ID_BYTES;
	uint8_t *nonce = out + header;
	uint8_t *cipher = nonce + SEAL_NONCE_BYTES;
	uint8_t *tag = cipher + len;
	out[0] = SEAL_VERSION;
	enum regs_err err = seal_key_id(key, out + 1);
	if (err == REGS_OK)
		err = regs_random_bytes(nonce, SEAL_NONCE_BYTES);
	if (err != REGS_OK)
		return err;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	int ok = ctx != NULL && seal_cipher_init(ctx, key, nonce, 1) &&
	         seal_cipher_aad(ctx, out, header, aad, aadlen) &&
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

/* A version 2 blob must name this key: one sealed under another key (after a rotation, or
 * copied from another fleet) is refused before any decryption is tried. */
static enum regs_err seal_check_blob_key(const struct seal_key *key, const uint8_t *sealed,
                                         size_t sealed_len)
{
	uint8_t named[SEAL_KEY_ID_BYTES];
	uint8_t ours[SEAL_KEY_ID_BYTES];
	enum regs_err err = seal_blob_key_id(sealed, sealed_len, named);
	if (err == REGS_ERR_NOT_FOUND)
		return REGS_OK; /* version 1: sealed before keys had ids, under the current key */
	if (err == REGS_OK)
		err = seal_key_id(key, ours);
	if (err == REGS_OK && memcmp(named, ours, SEAL_KEY_ID_BYTES) != 0)
		err = REGS_ERR_CRYPTO;
	return err;
}

enum regs_err seal_decrypt(const struct seal_key *key, const uint8_t *sealed, size_t sealed_len,
                           const void *aad, size_t aadlen, uint8_t *out, size_t outsz,
                           size_t *outlen)
{
	size_t header = seal_header_len(sealed, sealed_len);
	if (key == NULL || header == 0 || (aad == NULL && aadlen > 0) || out == NULL ||
	    outlen == NULL)
		return REGS_ERR_INVALID;
	size_t len = sealed_len - header - SEAL_NONCE_BYTES - SEAL_TAG_BYTES;
	if (outsz < len || !seal_lengths_fit(len, aadlen))
		return REGS_ERR_INVALID;
	enum regs_err err = seal_check_blob_key(key, sealed, sealed_len);
	if (err != REGS_OK)
		return err;
	const uint8_t *nonce = sealed + header;
	const uint8_t *cipher = nonce + SEAL_NONCE_BYTES;
	/* Version 1 authenticated the caller's aad alone. */
	size_t bound_header = header == 1 ? 0 : header;
	/* OpenSSL's ctrl takes a non-const tag buffer even when it only reads it. */
	uint8_t tag[SEAL_TAG_BYTES];
	memcpy(tag, cipher + len, SEAL_TAG_BYTES);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0;
	int ok = ctx != NULL && seal_cipher_init(ctx, key, nonce, 0) &&
	         seal_cipher_aad(ctx, sealed, bound_header, aad, aadlen) &&
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
