/* Unit tests for AES-256-GCM sealing of secrets and the key file's safety checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/seal.h"

#define PLAIN "12345678901234567890"
#define PLAIN_LEN 20
#define AAD "alice"
#define AAD_LEN 5

struct fixture {
	char dir[64];
	char path[128];
	struct seal_key key;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	scratch_make(f->dir, sizeof(f->dir), "seal");
	snprintf(f->path, sizeof(f->path), "%s/seal.key", f->dir);
	for (size_t i = 0; i < SEAL_KEY_BYTES; i++)
		f->key.key[i] = (uint8_t)(i * 7 + 3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (scratch_remove(f->dir) != 0)
		return -1;
	seal_key_wipe(&f->key);
	free(f);
	return 0;
}

static void seal_with(const struct seal_key *key, uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD])
{
	assert_int_equal(seal_encrypt(key, (const uint8_t *)PLAIN, PLAIN_LEN, AAD, AAD_LEN, sealed,
	                              PLAIN_LEN + SEAL_OVERHEAD),
	                 REGS_OK);
}

static void seal_plain(const struct fixture *f, uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD])
{
	seal_with(&f->key, sealed);
}

static enum regs_err unseal_with(const struct seal_key *key, const uint8_t *sealed, const char *aad)
{
	uint8_t out[PLAIN_LEN];
	size_t outlen = 0;
	return seal_decrypt(key, sealed, PLAIN_LEN + SEAL_OVERHEAD, aad, strlen(aad), out,
	                    sizeof(out), &outlen);
}

static enum regs_err unseal(const struct fixture *f, const uint8_t *sealed, const char *aad)
{
	return unseal_with(&f->key, sealed, aad);
}

static void test_seal_roundtrip(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	uint8_t out[PLAIN_LEN];
	size_t outlen = 0;
	seal_plain(f, sealed);
	assert_int_equal(sealed[0], 0x02);
	/* The secret must not appear in the clear anywhere in the blob. */
	assert_null(memmem(sealed, sizeof(sealed), PLAIN, 8));
	assert_int_equal(
	    seal_decrypt(&f->key, sealed, sizeof(sealed), AAD, AAD_LEN, out, sizeof(out), &outlen),
	    REGS_OK);
	assert_int_equal(outlen, PLAIN_LEN);
	assert_memory_equal(out, PLAIN, PLAIN_LEN);
}

static void test_seal_nonce_is_fresh_each_time(void **state)
{
	struct fixture *f = *state;
	uint8_t a[PLAIN_LEN + SEAL_OVERHEAD];
	uint8_t b[PLAIN_LEN + SEAL_OVERHEAD];
	seal_plain(f, a);
	seal_plain(f, b);
	assert_memory_not_equal(a + 1 + SEAL_KEY_ID_BYTES, b + 1 + SEAL_KEY_ID_BYTES,
	                        SEAL_NONCE_BYTES);
	assert_memory_not_equal(a, b, sizeof(a));
}

static void test_seal_tampered_blob_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	seal_plain(f, sealed);
	/* Every byte after the version: key id, nonce, ciphertext and tag are all authenticated. */
	for (size_t i = 1; i < sizeof(sealed); i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_CRYPTO);
		sealed[i] ^= 0x01;
	}
	assert_int_equal(unseal(f, sealed, AAD), REGS_OK);
}

static void test_seal_wrong_aad_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	seal_plain(f, sealed);
	assert_int_equal(unseal(f, sealed, "mallory"), REGS_ERR_CRYPTO);
	assert_int_equal(unseal(f, sealed, "alicE"), REGS_ERR_CRYPTO);
	assert_int_equal(unseal(f, sealed, ""), REGS_ERR_CRYPTO);
}

static void test_seal_wrong_key_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	seal_plain(f, sealed);
	f->key.key[0] ^= 0x80;
	assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_CRYPTO);
}

static void test_seal_bad_blob_and_buffers_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	uint8_t out[PLAIN_LEN];
	size_t outlen = 0;
	assert_int_equal(seal_encrypt(&f->key, (const uint8_t *)PLAIN, PLAIN_LEN, AAD, AAD_LEN,
	                              sealed, sizeof(sealed) - 1),
	                 REGS_ERR_INVALID);
	seal_plain(f, sealed);
	assert_int_equal(seal_decrypt(&f->key, sealed, sizeof(sealed), AAD, AAD_LEN, out,
	                              sizeof(out) - 1, &outlen),
	                 REGS_ERR_INVALID);
	assert_int_equal(seal_decrypt(&f->key, sealed, SEAL_OVERHEAD - 1, AAD, AAD_LEN, out,
	                              sizeof(out), &outlen),
	                 REGS_ERR_INVALID);
	sealed[0] = 0x03;
	assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_INVALID);
	sealed[0] = 0x00;
	assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_INVALID);
}

/* A version 1 blob, sealed the way builds before key ids did: version byte, nonce,
 * ciphertext, tag, with the account name alone as AAD. */
static size_t seal_v1(const struct seal_key *key, uint8_t *out)
{
	uint8_t *nonce = out + 1;
	uint8_t *cipher = nonce + SEAL_NONCE_BYTES;
	int n = 0;
	out[0] = 0x01;
	memset(nonce, 0x5a, SEAL_NONCE_BYTES);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->key, nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)AAD, AAD_LEN), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, cipher, &n, (const uint8_t *)PLAIN, PLAIN_LEN), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, cipher + n, &n), 1);
	assert_int_equal(
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_BYTES, cipher + PLAIN_LEN), 1);
	EVP_CIPHER_CTX_free(ctx);
	return PLAIN_LEN + SEAL_V1_OVERHEAD;
}

static void test_seal_key_check_and_id(void **state)
{
	struct fixture *f = *state;
	uint8_t check[SEAL_KEY_CHECK_BYTES];
	uint8_t expected[SEAL_KEY_CHECK_BYTES];
	uint8_t id[SEAL_KEY_ID_BYTES];
	unsigned int len = 0;
	static const char label[] = "pam_regs seal key check";
	assert_non_null(HMAC(EVP_sha256(), f->key.key, SEAL_KEY_BYTES, (const uint8_t *)label,
	                     sizeof(label) - 1, expected, &len));
	assert_int_equal(seal_key_check(&f->key, check), REGS_OK);
	assert_memory_equal(check, expected, sizeof(check));
	assert_int_equal(seal_key_id(&f->key, id), REGS_OK);
	assert_memory_equal(id, expected, SEAL_KEY_ID_BYTES);
	/* Another key, another check value. */
	f->key.key[31] ^= 0x01;
	assert_int_equal(seal_key_check(&f->key, check), REGS_OK);
	assert_memory_not_equal(check, expected, sizeof(check));
}

static void test_seal_v2_blob_names_its_key(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	uint8_t id[SEAL_KEY_ID_BYTES];
	uint8_t named[SEAL_KEY_ID_BYTES];
	seal_plain(f, sealed);
	assert_int_equal(seal_key_id(&f->key, id), REGS_OK);
	assert_int_equal(seal_blob_key_id(sealed, sizeof(sealed), named), REGS_OK);
	assert_memory_equal(named, id, SEAL_KEY_ID_BYTES);
	assert_memory_equal(sealed + 1, id, SEAL_KEY_ID_BYTES);
	assert_int_equal(seal_blob_key_id(sealed, SEAL_OVERHEAD - 1, named), REGS_ERR_INVALID);
}

static void test_seal_v1_blob_still_opens(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_V1_OVERHEAD];
	uint8_t out[PLAIN_LEN];
	uint8_t named[SEAL_KEY_ID_BYTES];
	size_t outlen = 0;
	size_t len = seal_v1(&f->key, sealed);
	assert_int_equal(seal_blob_key_id(sealed, len, named), REGS_ERR_NOT_FOUND);
	assert_int_equal(
	    seal_decrypt(&f->key, sealed, len, AAD, AAD_LEN, out, sizeof(out), &outlen), REGS_OK);
	assert_int_equal(outlen, PLAIN_LEN);
	assert_memory_equal(out, PLAIN, PLAIN_LEN);
	/* Still authenticated: the owner and every byte after the version count. */
	assert_int_equal(
	    seal_decrypt(&f->key, sealed, len, "mallory", 7, out, sizeof(out), &outlen),
	    REGS_ERR_CRYPTO);
	sealed[len - 1] ^= 0x01;
	assert_int_equal(
	    seal_decrypt(&f->key, sealed, len, AAD, AAD_LEN, out, sizeof(out), &outlen),
	    REGS_ERR_CRYPTO);
}

static void test_seal_other_key_id_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	/* A blob sealed under another key names that key's id: refused as such. */
	struct seal_key other = f->key;
	other.key[0] ^= 0x80;
	seal_with(&other, sealed);
	assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_CRYPTO);
	assert_int_equal(unseal_with(&other, sealed, AAD), REGS_OK);
	seal_key_wipe(&other);
}

static void test_seal_key_id_swap_refused(void **state)
{
	struct fixture *f = *state;
	uint8_t sealed[PLAIN_LEN + SEAL_OVERHEAD];
	struct seal_key other = f->key;
	other.key[0] ^= 0x80;
	/* Sealed under other, then relabelled with this key's id: the id is in the AAD. */
	seal_with(&other, sealed);
	assert_int_equal(seal_key_id(&f->key, sealed + 1), REGS_OK);
	assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_CRYPTO);
	/* And this key's blob relabelled with another id is refused by both keys. */
	seal_plain(f, sealed);
	assert_int_equal(seal_key_id(&other, sealed + 1), REGS_OK);
	assert_int_equal(unseal(f, sealed, AAD), REGS_ERR_CRYPTO);
	assert_int_equal(unseal_with(&other, sealed, AAD), REGS_ERR_CRYPTO);
	seal_key_wipe(&other);
}

static void test_seal_key_created_mode_0600(void **state)
{
	struct fixture *f = *state;
	struct seal_key created;
	struct seal_key loaded;
	struct stat st;
	mode_t old_umask = umask(0);
	enum regs_err err = seal_key_load(f->path, 1, &created);
	umask(old_umask);
	assert_int_equal(err, REGS_OK);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, SEAL_KEY_BYTES);
	assert_int_equal(st.st_uid, geteuid());
	/* Loading again gives the same key, not a new one. */
	assert_int_equal(seal_key_load(f->path, 1, &loaded), REGS_OK);
	assert_memory_equal(created.key, loaded.key, SEAL_KEY_BYTES);
	seal_key_wipe(&created);
	seal_key_wipe(&loaded);
}

static void test_seal_key_missing_without_create(void **state)
{
	struct fixture *f = *state;
	struct seal_key key;
	assert_int_equal(seal_key_load(f->path, 0, &key), REGS_ERR_NOT_FOUND);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void write_key_file(const char *path, size_t len, mode_t mode)
{
	uint8_t bytes[64] = {0};
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void test_seal_key_readable_by_others_refused(void **state)
{
	struct fixture *f = *state;
	static const mode_t modes[] = {0644, 0640, 0604, 0660, 0606};
	struct seal_key key;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_key_file(f->path, SEAL_KEY_BYTES, modes[i]);
		assert_int_equal(seal_key_load(f->path, 1, &key), REGS_ERR_PERM);
	}
	write_key_file(f->path, SEAL_KEY_BYTES, 0400);
	assert_int_equal(seal_key_load(f->path, 0, &key), REGS_OK);
}

static void test_seal_key_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char target[160];
	struct seal_key key;
	snprintf(target, sizeof(target), "%s/real.key", f->dir);
	write_key_file(target, SEAL_KEY_BYTES, 0600);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(seal_key_load(f->path, 1, &key), REGS_ERR_PERM);
	/* A dangling symlink must not be followed to create a key elsewhere either. */
	assert_int_equal(unlink(target), 0);
	assert_int_not_equal(seal_key_load(f->path, 1, &key), REGS_OK);
	assert_int_equal(access(target, F_OK), -1);
}

static void test_seal_key_wrong_size_refused(void **state)
{
	struct fixture *f = *state;
	static const size_t sizes[] = {0, SEAL_KEY_BYTES - 1, SEAL_KEY_BYTES + 1, 64};
	struct seal_key key;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_key_file(f->path, sizes[i], 0600);
		assert_int_equal(seal_key_load(f->path, 1, &key), REGS_ERR_PERM);
	}
}

static void test_seal_key_not_regular_file_refused(void **state)
{
	struct fixture *f = *state;
	struct seal_key key;
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(seal_key_load(f->path, 1, &key), REGS_ERR_PERM);
}

static void test_seal_key_foreign_owner_refused(void **state)
{
	struct fixture *f = *state;
	struct seal_key key;
	/* Only root can give a file away. */
	if (geteuid() != 0)
		skip();
	write_key_file(f->path, SEAL_KEY_BYTES, 0600);
	assert_int_equal(chown(f->path, 12345, 12345), 0);
	assert_int_equal(seal_key_load(f->path, 0, &key), REGS_ERR_PERM);
}

#define SEAL_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    SEAL_TEST(test_seal_roundtrip),
	    SEAL_TEST(test_seal_nonce_is_fresh_each_time),
	    SEAL_TEST(test_seal_tampered_blob_refused),
	    SEAL_TEST(test_seal_wrong_aad_refused),
	    SEAL_TEST(test_seal_wrong_key_refused),
	    SEAL_TEST(test_seal_bad_blob_and_buffers_refused),
	    SEAL_TEST(test_seal_key_check_and_id),
	    SEAL_TEST(test_seal_v2_blob_names_its_key),
	    SEAL_TEST(test_seal_v1_blob_still_opens),
	    SEAL_TEST(test_seal_other_key_id_refused),
	    SEAL_TEST(test_seal_key_id_swap_refused),
	    SEAL_TEST(test_seal_key_created_mode_0600),
	    SEAL_TEST(test_seal_key_missing_without_create),
	    SEAL_TEST(test_seal_key_readable_by_others_refused),
	    SEAL_TEST(test_seal_key_symlink_refused),
	    SEAL_TEST(test_seal_key_wrong_size_refused),
	    SEAL_TEST(test_seal_key_not_regular_file_refused),
	    SEAL_TEST(test_seal_key_foreign_owner_refused),
	};
	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
