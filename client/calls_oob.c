/* The regsd client's calls for out-of-band logins and bindings: Google (R5), mobile ID (R4). */
#include "call.h"
#include "proto/bus.h"

#include <stdlib.h>
#include <string.h>

enum regs_client_err regs_google_begin(struct regs_client *c, const char *user, const char *purpose,
                                       const char *service, const char *rhost,
                                       struct regs_oob_start *out)
{
	struct wire_iter it;
	memset(out, 0, sizeof(*out));
	int saved = client_net_timeout(c);
	enum regs_client_err rc =
	    client_call(c, REGS_METHOD(REGS_M_GOOGLE_BEGIN), &it, user, purpose, service, rhost);
	client_restore_timeout(c, saved);
	if (rc != RC_OK)
		return rc;
	client_copy_string(out->handle, sizeof(out->handle), client_next_string(&it));
	client_copy_string(out->uri, sizeof(out->uri), client_next_string(&it));
	client_copy_string(out->user_code, sizeof(out->user_code), client_next_string(&it));
	client_copy_string(out->uri_complete, sizeof(out->uri_complete), client_next_string(&it));
	out->expires_in = client_next_uint32(&it);
	return RC_OK;
}

enum regs_client_err regs_google_login(struct regs_client *c, const char *handle, const char *code,
                                       const char *service, const char *rhost,
                                       struct regs_verdict *out)
{
	return client_call_verdict(c, REGS_METHOD(REGS_M_GOOGLE_LOGIN), out, handle, code, service,
	                           rhost);
}

enum regs_client_err regs_mobile_begin(struct regs_client *c, const char *user, const char *id_num,
                                       const char *purpose, const char *service, const char *rhost,
                                       struct regs_oob_start *out)
{
	struct wire_iter it;
	memset(out, 0, sizeof(*out));
	int saved = client_net_timeout(c);
	enum regs_client_err rc = client_call(c, REGS_METHOD(REGS_M_MOBILE_BEGIN), &it, user,
	                                      id_num, purpose, service, rhost);
	client_restore_timeout(c, saved);
	if (rc != RC_OK)
		return rc;
	client_copy_string(out->handle, sizeof(out->handle), client_next_string(&it));
	out->expires_in = client_next_uint32(&it);
	return RC_OK;
}

enum regs_client_err regs_mobile_qr(struct regs_client *c, const char *handle, char **ticket)
{
	struct wire_iter it;
	*ticket = NULL;
	int saved = client_net_timeout(c);
	enum regs_client_err rc = client_call(c, REGS_METHOD(REGS_M_MOBILE_QR), &it, handle);
	client_restore_timeout(c, saved);
	if (rc != RC_OK)
		return rc;
	*ticket = strdup(client_next_string(&it));
	return *ticket ? RC_OK : RC_NOMEM;
}

enum regs_client_err regs_oob_wait(struct regs_client *c, const char *handle,
                                   struct regs_oob_status *out)
{
	uint32_t v[3] = {0};
	int saved = client_net_timeout(c);
	enum regs_client_err rc =
	    client_call_uints(c, REGS_METHOD(REGS_M_OOB_WAIT), v, sizeof(v) / sizeof(v[0]), handle);
	client_restore_timeout(c, saved);
	out->state = v[0];
	out->seconds_left = v[1];
	out->lock_seconds = v[2];
	return rc;
}

enum regs_client_err regs_oob_bind(struct regs_client *c, const char *handle, uint32_t *result)
{
	uint32_t v[1] = {0};
	enum regs_client_err rc =
	    client_call_uints(c, REGS_METHOD(REGS_M_OOB_BIND), v, sizeof(v) / sizeof(v[0]), handle);
	*result = v[0];
	return rc;
}

enum regs_client_err regs_oob_cancel(struct regs_client *c, const char *handle)
{
	return client_call(c, REGS_METHOD(REGS_M_OOB_CANCEL), NULL, handle);
}
