/* The regsd client's calls for the citizen certificate card (R3) and sshd's key lookup (R11.4). */
#include "call.h"
#include "proto/bus.h"

#include <stdlib.h>
#include <string.h>

enum regs_client_err regs_card_challenge(struct regs_client *c, const char *user,
                                         const char *purpose, struct regs_card_challenge *out)
{
	struct wire_iter it;
	const uint8_t *nonce = NULL;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	enum regs_client_err rc =
	    client_call(c, REGS_METHOD(REGS_M_CARD_CHALLENGE), &it, user, purpose);
	if (rc != RC_OK)
		return rc;
	client_copy_string(out->handle, sizeof(out->handle), client_next_string(&it));
	nonce = wire_next_bytes(&it, &n);
	out->expires_in = client_next_uint32(&it);
	if (nonce && n > 0 && n <= sizeof(out->nonce)) {
		memcpy(out->nonce, nonce, n);
		out->nonce_len = n;
	} else {
		rc = client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
		                      "bad challenge length %zu", n);
	}
	return rc;
}

enum regs_client_err regs_card_login(struct regs_client *c, const char *handle, const uint8_t *cert,
                                     size_t cert_len, const uint8_t *sig, size_t sig_len,
                                     const char *service, const char *rhost,
                                     struct regs_verdict *out)
{
	return client_call_verdict(c, REGS_METHOD(REGS_M_CARD_LOGIN), out, handle, cert, cert_len,
	                           sig, sig_len, service, rhost);
}

enum regs_client_err regs_card_known(struct regs_client *c, const char *user,
                                     const char *card_serial, int *known)
{
	struct wire_iter it;
	*known = 0;
	enum regs_client_err rc =
	    client_call(c, REGS_METHOD(REGS_M_CARD_KNOWN), &it, user, card_serial);
	if (rc != RC_OK)
		return rc;
	*known = client_next_bool(&it);
	return rc;
}

enum regs_client_err regs_card_login_serial(struct regs_client *c, const char *handle,
                                            const char *card_serial, const uint8_t *cert,
                                            size_t cert_len, const uint8_t *sig, size_t sig_len,
                                            const char *service, const char *rhost,
                                            struct regs_verdict *out)
{
	static const uint8_t none[1];
	return client_call_verdict(c, REGS_METHOD(REGS_M_CARD_LOGIN_SERIAL), out, handle,
	                           cert ? cert : none, cert ? cert_len : 0, sig, sig_len, service,
	                           rhost, card_serial);
}

enum regs_client_err regs_bind_card(struct regs_client *c, const char *handle, const uint8_t *cert,
                                    size_t cert_len, const uint8_t *sig, size_t sig_len,
                                    uint32_t *result)
{
	uint32_t v[1] = {0};
	enum regs_client_err rc =
	    client_call_uints(c, REGS_METHOD(REGS_M_BIND_CARD), v, sizeof(v) / sizeof(v[0]), handle,
	                      cert, cert_len, sig, sig_len);
	*result = v[0];
	return rc;
}

enum regs_client_err regs_step_up_card(struct regs_client *c, const char *handle,
                                       const uint8_t *cert, size_t cert_len, const uint8_t *sig,
                                       size_t sig_len, const char *purpose,
                                       struct regs_step_up *out)
{
	uint32_t v[4] = {0};
	enum regs_client_err rc =
	    client_call_uints(c, REGS_METHOD(REGS_M_STEP_UP_CARD), v, sizeof(v) / sizeof(v[0]),
	                      handle, cert, cert_len, sig, sig_len, purpose);
	client_verdict_from(v, &out->verdict);
	out->valid_for = v[3];
	return rc;
}

enum regs_client_err regs_authorized_key(struct regs_client *c, const char *user, uint32_t *result,
                                         char *line, size_t size)
{
	struct wire_iter it;
	*result = REGS_R_CARD_NOT_BOUND;
	client_copy_string(line, size, "");
	enum regs_client_err rc = client_call(c, REGS_METHOD(REGS_M_AUTHORIZED_KEY), &it, user);
	if (rc != RC_OK)
		return rc;
	*result = client_next_uint32(&it);
	const char *key = client_next_string(&it);
	if (strlen(key) >= size) /* never a cut key */
		rc = RC_PROTOCOL;
	else if (*result == REGS_R_OK)
		client_copy_string(line, size, key);
	return rc;
}
