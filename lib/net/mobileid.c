/* The mobile citizen certificate relying-party API (R4.5), the requests: the agency's key,
 * checksums, transaction ids and request bodies, as docs/twfido.md and docs/mobile-id.md describe
 * them. The answers are read in mobileid_answer.c. */
#include "net/mobileid.h"

#include "base/base64.h"
#include "base/random.h"
#include "base/wipe.h"
#include "ui/twid.h"

#include "net/jsonout.h"
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define MID_IV_BYTES 12
#define MID_TAG_BYTES 16
#define MID_DIGEST_HEX (2 * MID_SHA256_BYTES)
#define MID_CHECKSUM_LEN (2 * (MID_IV_BYTES + MID_DIGEST_HEX + MID_TAG_BYTES))
#define MID_TIME_LIMIT_MIN 30
#define MID_TIME_LIMIT_MAX 600
#define MID_OP_MODE_SCAN "I-SCAN"

_Static_assert(MID_CHECKSUM_HEX == MID_CHECKSUM_LEN + 1, "MID_CHECKSUM_HEX");

/* ---- Hex and the key ---- */

static void mid_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int mid_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum regs_err mid_key_decode(const char *b64, struct mid_key *out)
{
	if (b64 == NULL || out == NULL)
		return REGS_ERR_INVALID;
	size_t len = strlen(b64);
	while (len > 0 && mid_is_space(b64[len - 1]))
		len--;
	while (len > 0 && mid_is_space(*b64)) {
		b64++;
		len--;
	}
	uint8_t k[sizeof(out->k)];
	size_t n = 0;
	enum regs_err err = REGS_ERR_INVALID;
	if (base64_decode(b64, len, 0, k, sizeof(k), &n) == REGS_OK && n == sizeof(k)) {
		memcpy(out->k, k, sizeof(k));
		err = REGS_OK;
	}
	regs_wipe(k, sizeof(k));
	return err;
}

/* ---- Checksums ---- */

/* Lowercase hex of SHA-256 over the fields concatenated without separators. */
static enum regs_err mid_fields_digest_hex(const char *const *fields, size_t n,
                                           char hex[MID_DIGEST_HEX + 1])
{
	uint8_t md[MID_SHA256_BYTES];
	unsigned mdlen = 0;
	enum regs_err err = REGS_ERR_CRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (fields[i] != NULL && EVP_DigestUpdate(ctx, fields[i], strlen(fields[i])) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		goto out;
	mid_hex(md, sizeof(md), hex);
	err = REGS_OK;
out:
	regs_wipe(md, sizeof(md));
	EVP_MD_CTX_free(ctx); /* cleanses the digest state, which saw the ID number */
	ERR_clear_error();
	return err;
}

/* AES-256-GCM with the all-zero IV the scheme prescribes. */
static enum regs_err mid_gcm_seal(const struct mid_key *key, const uint8_t *pt, size_t len,
                                  uint8_t *ct, uint8_t tag[MID_TAG_BYTES])
{
	static const uint8_t iv[MID_IV_BYTES];
	enum regs_err err = REGS_ERR_CRYPTO;
	int outl = 0, finl = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->k, iv) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + outl, &finl) != 1 || (size_t)outl + (size_t)finl != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, MID_TAG_BYTES, tag) != 1)
		goto out;
	err = REGS_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

enum regs_err mid_checksum(const struct mid_key *key, const char *const *fields, size_t n,
                           char out[MID_CHECKSUM_HEX])
{
	static const uint8_t iv[MID_IV_BYTES];
	char digest[MID_DIGEST_HEX + 1];
	uint8_t sealed[MID_DIGEST_HEX + MID_TAG_BYTES];
	if (out == NULL)
		return REGS_ERR_INVALID;
	out[0] = '\0';
	if (key == NULL || (fields == NULL && n > 0))
		return REGS_ERR_INVALID;
	enum regs_err err = mid_fields_digest_hex(fields, n, digest);
	if (err == REGS_OK)
		err = mid_gcm_seal(key, (const uint8_t *)digest, MID_DIGEST_HEX, sealed,
		                   sealed + MID_DIGEST_HEX);
	if (err == REGS_OK) {
		mid_hex(iv, sizeof(iv), out);
		mid_hex(sealed, sizeof(sealed), out + 2 * MID_IV_BYTES);
	}
	regs_wipe(digest, sizeof(digest));
	return err;
}

static char mid_ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int mid_checksum_ok(const struct mid_key *key, const char *const *fields, size_t n,
                    const char *received)
{
	char expected[MID_CHECKSUM_HEX], got[MID_CHECKSUM_HEX];
	if (received == NULL || strnlen(received, MID_CHECKSUM_HEX) != MID_CHECKSUM_LEN)
		return 0;
	if (mid_checksum(key, fields, n, expected) != REGS_OK)
		return 0;
	for (size_t i = 0; i < MID_CHECKSUM_LEN; i++)
		got[i] = mid_ascii_lower(received[i]);
	return CRYPTO_memcmp(expected, got, MID_CHECKSUM_LEN) == 0;
}

/* ---- Transaction ids ---- */

enum regs_err mid_new_transaction_id(char out[MID_TXN_MAX])
{
	uint8_t b[16];
	enum regs_err err = regs_random_bytes(b, sizeof(b));
	if (err != REGS_OK)
		return err;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
	char *o = out;
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		mid_hex(b + i, 1, o);
		o += 2;
	}
	return REGS_OK;
}

void mid_challenge(const char *transaction_id, const char *sp_ticket_id,
                   char out[MID_CHALLENGE_MAX])
{
	snprintf(out, MID_CHALLENGE_MAX, "%s|%s", transaction_id ? transaction_id : "",
	         sp_ticket_id ? sp_ticket_id : "");
}

/* ---- Request bodies ----
 * Written with jsonout.h: a body holds the ID number, and the service checks the checksum over
 * the text it decoded, so text that is not UTF-8 gives no body. */

static int mid_request_ok(const struct mid_key *key, const struct mid_request *r)
{
	return key != NULL && r != NULL && r->transaction_id != NULL &&
	       strnlen(r->transaction_id, MID_TXN_MAX) < MID_TXN_MAX && r->sp_service_id != NULL &&
	       twid_valid(r->id_num) && r->time_limit >= MID_TIME_LIMIT_MIN &&
	       r->time_limit <= MID_TIME_LIMIT_MAX;
}

/* ATH-01 and ATH-03 differ in op_mode (NULL: absent) and in the checksum's
 * fields, which the caller lists. sign_info is for SIGN only and omitted. */
static char *mid_request_body(const struct mid_key *key, const struct mid_request *r,
                              const char *const fields[7], const char *op_mode)
{
	char checksum[MID_CHECKSUM_HEX], time_limit[16];
	if (mid_checksum(key, fields, 7, checksum) != REGS_OK)
		return NULL;
	snprintf(time_limit, sizeof(time_limit), "%u", r->time_limit);
	struct jsonout j;
	jsonout_begin(&j, MID_JSON_MAX - 1);
	jsonout_member(&j, "transaction_id", r->transaction_id);
	jsonout_member(&j, "sp_service_id", r->sp_service_id);
	jsonout_member(&j, "sp_checksum", checksum);
	jsonout_member(&j, "id_num", r->id_num);
	jsonout_member(&j, "op_code", MID_OP_ATH);
	if (op_mode != NULL)
		jsonout_member(&j, "op_mode", op_mode);
	jsonout_member(&j, "hint", r->hint != NULL ? r->hint : "");
	jsonout_member(&j, "time_limit", time_limit);
	return jsonout_finish(&j);
}

char *mid_push_json(const struct mid_key *key, const struct mid_request *r)
{
	if (!mid_request_ok(key, r))
		return NULL;
	/* transaction_id, sp_service_id, id_num, device_user_def_desc, op_code, hint, sign_data */
	const char *const fields[7] = {r->transaction_id, r->sp_service_id, r->id_num, "",
	                               MID_OP_ATH,        r->hint,          ""};
	return mid_request_body(key, r, fields, NULL);
}

char *mid_ticket_json(const struct mid_key *key, const struct mid_request *r)
{
	if (!mid_request_ok(key, r))
		return NULL;
	/* transaction_id, sp_service_id, id_num, op_code, op_mode, hint, sign_data */
	const char *const fields[7] = {r->transaction_id, r->sp_service_id, r->id_num, MID_OP_ATH,
	                               MID_OP_MODE_SCAN,  r->hint,          ""};
	return mid_request_body(key, r, fields, MID_OP_MODE_SCAN);
}

char *mid_result_json(const struct mid_key *key, const char *transaction_id,
                      const char *sp_service_id, const char *sp_ticket_id)
{
	char checksum[MID_CHECKSUM_HEX];
	if (key == NULL || transaction_id == NULL || sp_service_id == NULL || sp_ticket_id == NULL)
		return NULL;
	const char *const fields[3] = {transaction_id, sp_service_id, sp_ticket_id};
	if (mid_checksum(key, fields, 3, checksum) != REGS_OK)
		return NULL;
	struct jsonout j;
	jsonout_begin(&j, MID_JSON_MAX - 1);
	jsonout_member(&j, "transaction_id", transaction_id);
	jsonout_member(&j, "sp_service_id", sp_service_id);
	jsonout_member(&j, "sp_ticket_id", sp_ticket_id);
	jsonout_member(&j, "sp_checksum", checksum);
	return jsonout_finish(&j);
}
