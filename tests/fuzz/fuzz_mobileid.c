/* Mobile citizen certificate answers (lib/net/mobileid.c): the input as a ticket answer and as a
 * result. Before parsing, the harness re-signs what the service and the phone would have signed,
 * so the checks behind them are reached: an sp_ticket "BODY.X" gets the right hash of BODY,
 * result.cert "CERT" becomes its own leaf certificate (its CA is the anchor), result
 * signed_response "SIGN" the leaf's signature over the challenge, and an idp_checksum member
 * (any value) the right checksum. Input that is not a JSON object is parsed as it is. */
#include "fuzz_util.h"
#include "net/mobileid.h"
#include "net/strictjson.h"
#include <json-c/json.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "mobileid";

#define TXN "3f2b8c1e-5d4a-4e6b-9c7d-0a1b2c3d4e5f"
#define TICKET_ID "tkt-0001"
#define HASHED "5a2f6c0e9b7d4a31c8e2f1d0b9a8c7e6f5d4c3b2a1908f7e6d5c4b3a29181706"

static const struct mid_key key = {{0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42}};

static void set_string(struct json_object *o, const char *name, const char *value)
{
	json_object_object_add(o, name, json_object_new_string(value));
}

/* sp_ticket "BODY.anything" -> "BODY." base64url(SHA-256(BODY)). */
static void rehash_ticket(struct json_object *result)
{
	const char *t = sjson_string_member(result, "sp_ticket");
	const char *dot = t ? strchr(t, '.') : NULL;
	if (dot == NULL)
		return;
	uint8_t digest[32];
	if (EVP_Digest(t, (size_t)(dot - t), digest, NULL, EVP_sha256(), NULL) != 1)
		fuzz_fail("EVP_Digest");
	char *hash = fuzz_base64(digest, sizeof(digest), 1);
	size_t body = (size_t)(dot - t) + 1;
	char *fixed = malloc(body + strlen(hash) + 1);
	if (fixed == NULL)
		fuzz_fail("out of memory");
	memcpy(fixed, t, body);
	strcpy(fixed + body, hash);
	set_string(result, "sp_ticket", fixed);
	free(fixed);
	free(hash);
}

static void sign_result(struct json_object *result)
{
	const struct fuzz_pki *pki = fuzz_pki();
	const char *cert = sjson_string_member(result, "cert");
	if (cert != NULL && strcmp(cert, "CERT") == 0) {
		char *b64 = fuzz_base64(pki->leaf_der, pki->leaf_der_len, 0);
		set_string(result, "cert", b64);
		free(b64);
	}
	const char *sig = sjson_string_member(result, "signed_response");
	if (sig != NULL && strcmp(sig, "SIGN") == 0) {
		char challenge[MID_CHALLENGE_MAX];
		uint8_t *s;
		size_t s_len;
		mid_challenge(TXN, TICKET_ID, challenge);
		fuzz_sign(pki->leaf_key, challenge, strlen(challenge), &s, &s_len);
		char *b64 = fuzz_base64(s, s_len, 0);
		set_string(result, "signed_response", b64);
		free(b64);
		free(s);
	}
}

/* The checksum over fields (NULL where the answer lacks one), when idp_checksum is present. */
static void set_checksum(struct json_object *result, const char *const *fields, size_t n)
{
	char sum[MID_CHECKSUM_HEX];
	if (json_object_object_get_ex(result, "idp_checksum", NULL) &&
	    mid_checksum(&key, fields, n, sum) == REGS_OK)
		set_string(result, "idp_checksum", sum);
}

static void parse_ticket_answer(const char *json, size_t len)
{
	char sp_ticket[MID_TICKET_MAX], err[128];
	struct mid_ticket ticket;
	enum mid_verdict v =
	    mid_parse_ticket_answer(&key, json, len, TXN, sp_ticket, &ticket, err, sizeof(err));
	fuzz_note("mid_parse_ticket_answer", v);
	if (v == MID_OK &&
	    (memchr(sp_ticket, 0, sizeof(sp_ticket)) == NULL || strcmp(ticket.transaction_id, TXN)))
		fuzz_fail("mid_parse_ticket_answer: MID_OK with a bad ticket");
	if (memchr(err, 0, sizeof(err)) == NULL)
		fuzz_fail("mid_parse_ticket_answer: err not terminated");
}

static void parse_result(const char *json, size_t len)
{
	struct mid_ticket ticket;
	memset(&ticket, 0, sizeof(ticket));
	strcpy(ticket.transaction_id, TXN);
	strcpy(ticket.sp_ticket_id, TICKET_ID);
	strcpy(ticket.sp_service_id, "regs-test-sp");
	strcpy(ticket.hashed_id_num, HASHED);
	strcpy(ticket.op_code, "ATH");
	ticket.expiration_time = FUZZ_NOW + 180;
	struct mid_result out;
	char err[128];
	enum mid_verdict v = mid_parse_result(&key, json, len, TXN, &ticket, fuzz_pki()->anchors,
	                                      FUZZ_NOW, &out, err, sizeof(err));
	fuzz_note("mid_parse_result", v);
	if (v == MID_OK && strcmp(out.hashed_id_num, HASHED) != 0)
		fuzz_fail("mid_parse_result: MID_OK for another person");
}

static void parse_json(const char *json)
{
	size_t len = strlen(json);
	parse_ticket_answer(json, len);
	parse_result(json, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	parse_ticket_answer(json, size);
	parse_result(json, size);
	struct mid_key k;
	char *text = fuzz_strndup(data, size);
	(void)mid_key_decode(text, &k);
	struct mid_ticket t;
	(void)mid_ticket_parse(text, &t);
	free(text);

	struct json_object *root = sjson_parse_object(json, size);
	struct json_object *result = NULL;
	if (root != NULL && json_object_object_get_ex(root, "result", &result) &&
	    json_object_is_type(result, json_type_object)) {
		const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
		const char *code = sjson_string_member(root, "error_code");
		rehash_ticket(result);
		const char *const ticket_fields[3] = {TXN, code,
		                                      sjson_string_member(result, "sp_ticket")};
		set_checksum(result, ticket_fields, 3);
		parse_json(json_object_to_json_string_ext(root, flags));
		sign_result(result);
		const char *const result_fields[4] = {
		    TXN, code, sjson_string_member(result, "hashed_id_num"),
		    sjson_string_member(result, "signed_response")};
		set_checksum(result, result_fields, 4);
		parse_json(json_object_to_json_string_ext(root, flags));
	}
	json_object_put(root);
	ERR_clear_error();
	return 0;
}
