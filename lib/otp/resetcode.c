/* E-mailed one-time codes: uniform generation, a lenient reader, salted SHA-256, constant-time
 * check. */
#include "otp/resetcode.h"

#include "base/random.h"
#include "base/wipe.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define RESETCODE_LETTERS 2
#define RESETCODE_DIGITS 6
#define RESETCODE_NORMAL_LEN (RESETCODE_LETTERS + RESETCODE_DIGITS)

/* No I or O: they read like 1 and 0 in many mail fonts. */
static const char resetcode_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";

/* Random bytes drawn in batches, so one code costs one or two getrandom calls. */
struct resetcode_pool {
	uint8_t bytes[32];
	size_t used;
};

/* A uniform value below limit (<= 256): bytes at or above the largest
 * multiple of limit are thrown away instead of folded in (no modulo bias). */
static enum regs_err resetcode_draw(struct resetcode_pool *pool, unsigned limit, unsigned *out)
{
	const unsigned accept = 256u - 256u % limit;
	for (;;) {
		if (pool->used == sizeof(pool->bytes)) {
			enum regs_err err = regs_random_bytes(pool->bytes, sizeof(pool->bytes));
			if (err != REGS_OK)
				return err;
			pool->used = 0;
		}
		unsigned b = pool->bytes[pool->used++];
		if (b < accept) {
			*out = b % limit;
			return REGS_OK;
		}
	}
}

enum regs_err resetcode_generate(char code[RESETCODE_SIZE], char prefix[RESETCODE_PREFIX_SIZE])
{
	struct resetcode_pool pool = {.used = sizeof(pool.bytes)};
	const unsigned letters = (unsigned)(sizeof(resetcode_alphabet) - 1);
	enum regs_err err = REGS_OK;
	size_t n = 0;
	unsigned v = 0;
	memset(code, 0, RESETCODE_SIZE);
	for (int i = 0; i < RESETCODE_LETTERS && err == REGS_OK; i++) {
		err = resetcode_draw(&pool, letters, &v);
		code[n++] = resetcode_alphabet[v];
	}
	code[n++] = '-';
	for (int i = 0; i < RESETCODE_DIGITS && err == REGS_OK; i++) {
		err = resetcode_draw(&pool, 10, &v);
		code[n++] = (char)('0' + v);
	}
	regs_wipe(&pool, sizeof(pool));
	regs_wipe(&v, sizeof(v));
	if (err != REGS_OK) {
		regs_wipe(code, RESETCODE_SIZE);
		prefix[0] = '\0';
		return err;
	}
	resetcode_prefix(code, prefix);
	return REGS_OK;
}

static int resetcode_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int resetcode_is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int resetcode_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Writes the normal form ("KX125770") into out; 1 when input is well formed.
 * ASCII ranges, not <ctype.h>: the reader must not depend on the locale. */
static int resetcode_normalize(const char *input, char out[RESETCODE_NORMAL_LEN + 1])
{
	const char *p = input;
	size_t n = 0;
	if (p == NULL)
		goto malformed;
	while (resetcode_is_blank(*p))
		p++;
	for (; n < RESETCODE_LETTERS; n++, p++) {
		if (!resetcode_is_letter(*p))
			goto malformed;
		out[n] = (char)(*p & ~0x20); /* ASCII upper case */
	}
	if (*p == '-' || *p == ' ')
		p++;
	for (; n < RESETCODE_NORMAL_LEN; n++, p++) {
		if (!resetcode_is_digit(*p))
			goto malformed;
		out[n] = *p;
	}
	while (resetcode_is_blank(*p))
		p++;
	if (*p != '\0')
		goto malformed;
	out[n] = '\0';
	return 1;
malformed:
	regs_wipe(out, RESETCODE_NORMAL_LEN + 1);
	return 0;
}

int resetcode_well_formed(const char *input)
{
	char normal[RESETCODE_NORMAL_LEN + 1];
	int ok = resetcode_normalize(input, normal);
	regs_wipe(normal, sizeof(normal));
	return ok;
}

enum regs_err resetcode_hash(const uint8_t salt[RESETCODE_SALT_SIZE], const char *input,
                             uint8_t out[RESETCODE_HASH_SIZE])
{
	uint8_t data[RESETCODE_SALT_SIZE + RESETCODE_NORMAL_LEN + 1];
	unsigned int len = 0;
	enum regs_err err = REGS_ERR_INVALID;
	memset(out, 0, RESETCODE_HASH_SIZE);
	memcpy(data, salt, RESETCODE_SALT_SIZE);
	if (!resetcode_normalize(input, (char *)data + RESETCODE_SALT_SIZE))
		goto out;
	err = REGS_ERR_CRYPTO;
	if (EVP_Digest(data, RESETCODE_SALT_SIZE + RESETCODE_NORMAL_LEN, out, &len, EVP_sha256(),
	               NULL) != 1 ||
	    len != RESETCODE_HASH_SIZE) {
		memset(out, 0, RESETCODE_HASH_SIZE);
		goto out;
	}
	err = REGS_OK;
out:
	regs_wipe(data, sizeof(data));
	return err;
}

int resetcode_matches(const uint8_t salt[RESETCODE_SALT_SIZE],
                      const uint8_t hash[RESETCODE_HASH_SIZE], const char *input)
{
	uint8_t candidate[RESETCODE_HASH_SIZE];
	int match = 0;
	if (resetcode_hash(salt, input, candidate) == REGS_OK)
		match = CRYPTO_memcmp(candidate, hash, RESETCODE_HASH_SIZE) == 0;
	regs_wipe(candidate, sizeof(candidate));
	return match;
}

void resetcode_prefix(const char *code, char prefix[RESETCODE_PREFIX_SIZE])
{
	char normal[RESETCODE_NORMAL_LEN + 1];
	prefix[0] = '\0';
	if (resetcode_normalize(code, normal)) {
		memcpy(prefix, normal, RESETCODE_LETTERS);
		prefix[RESETCODE_LETTERS] = '\0';
	}
	regs_wipe(normal, sizeof(normal));
}
