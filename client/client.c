/* The regsd client's calls about accounts: their state, OTP enrolment and login, step-up,
 * administration, e-mail and reset codes. */
#include "base/wipe.h"
#include "call.h"
#include "proto/bus.h"

#include <stdlib.h>
#include <string.h>

enum regs_client_err regs_get_account(struct regs_client *c, const char *user,
                                      struct regs_account_info *out)
{
	struct wire_iter it;
	enum regs_client_err rc;

	memset(out, 0, sizeof(*out));
	rc = client_call(c, REGS_METHOD(REGS_M_GET_ACCOUNT), &it, user);
	if (rc != RC_OK)
		return rc;
	out->flags = client_next_uint32(&it);
	out->lock_seconds = client_next_uint32(&it);
	out->failures = client_next_uint32(&it);
	client_copy_string(out->language, sizeof(out->language), client_next_string(&it));
	client_copy_string(out->site_language, sizeof(out->site_language), client_next_string(&it));
	return RC_OK;
}

enum regs_client_err regs_set_language(struct regs_client *c, const char *user,
                                       const char *language)
{
	return client_call(c, REGS_METHOD(REGS_M_SET_LANGUAGE), NULL, user, language);
}

enum regs_client_err regs_verify_otp(struct regs_client *c, const char *user, const char *code,
                                     const char *service, const char *rhost,
                                     struct regs_verdict *out)
{
	return client_call_verdict(c, REGS_METHOD(REGS_M_VERIFY_OTP), out, user, code, service,
	                           rhost);
}

enum regs_client_err regs_record_failure(struct regs_client *c, const char *user,
                                         const char *method, const char *service, const char *rhost,
                                         struct regs_verdict *out)
{
	return client_call_verdict(c, REGS_METHOD(REGS_M_RECORD_FAILURE), out, user, method,
	                           service, rhost);
}

void regs_enrolment_clear(struct regs_enrolment *e)
{
	if (!e)
		return;
	regs_free_secret_str(e->handle);
	regs_free_secret_str(e->uri);
	regs_free_secret_str(e->secret);
	e->handle = e->uri = e->secret = NULL;
	e->expires_in = 0;
}

enum regs_client_err regs_begin_otp_enrol(struct regs_client *c, const char *user,
                                          struct regs_enrolment *out)
{
	struct wire_iter it;
	enum regs_client_err rc;

	memset(out, 0, sizeof(*out));
	rc = client_call(c, REGS_METHOD(REGS_M_BEGIN_OTP_ENROL), &it, user);
	if (rc != RC_OK)
		return rc;
	out->handle = strdup(client_next_string(&it));
	out->uri = strdup(client_next_string(&it));
	out->secret = strdup(client_next_string(&it));
	out->expires_in = client_next_uint32(&it);
	if (!out->handle || !out->uri || !out->secret) {
		regs_enrolment_clear(out);
		return client_set_error(c, RC_NOMEM, CLIENT_ERROR_NO_MEMORY, "out of memory");
	}
	return RC_OK;
}

enum regs_client_err regs_confirm_otp_enrol(struct regs_client *c, const char *handle,
                                            const char *code, const char *service,
                                            const char *rhost, struct regs_verdict *out)
{
	return client_call_verdict(c, REGS_METHOD(REGS_M_CONFIRM_OTP_ENROL), out, handle, code,
	                           service, rhost);
}

enum regs_client_err regs_cancel_otp_enrol(struct regs_client *c, const char *handle)
{
	return client_call(c, REGS_METHOD(REGS_M_CANCEL_OTP_ENROL), NULL, handle);
}

static void read_method_status(struct wire_iter *fields, void *row)
{
	struct regs_method_status *m = row;

	client_copy_string(m->method, sizeof(m->method), client_next_string(fields));
	m->bound = client_next_bool(fields);
	m->since = client_next_time(fields);
}

enum regs_client_err regs_get_status(struct regs_client *c, const char *user,
                                     struct regs_method_status **out, size_t *n)
{
	void *rows;
	enum regs_client_err rc;

	rc = client_call_rows(c, REGS_METHOD(REGS_M_GET_STATUS), sizeof(**out), read_method_status,
	                      &rows, n, user);
	*out = rows;
	return rc;
}

static void read_log_entry(struct wire_iter *fields, void *row)
{
	struct regs_log_entry *e = row;

	e->time = client_next_time(fields);
	client_copy_string(e->user, sizeof(e->user), client_next_string(fields));
	client_copy_string(e->event, sizeof(e->event), client_next_string(fields));
	client_copy_string(e->method, sizeof(e->method), client_next_string(fields));
	client_copy_string(e->service, sizeof(e->service), client_next_string(fields));
	client_copy_string(e->rhost, sizeof(e->rhost), client_next_string(fields));
	client_copy_string(e->result, sizeof(e->result), client_next_string(fields));
	e->actor_uid = client_next_uint32(fields);
	client_copy_string(e->host, sizeof(e->host), client_next_string(fields));
}

enum regs_client_err regs_get_log(struct regs_client *c, const char *user, int64_t since,
                                  uint32_t limit, struct regs_log_entry **out, size_t *n)
{
	void *rows;
	enum regs_client_err rc;

	/* Nine fields as listed in the contract (time, user, event, method, service, rhost, result,
	 * actor uid, host): a(tssssssus). */
	rc = client_call_rows(c, REGS_METHOD(REGS_M_GET_LOG), sizeof(**out), read_log_entry, &rows,
	                      n, user, since, limit);
	*out = rows;
	return rc;
}

static void read_account_row(struct wire_iter *fields, void *row)
{
	struct regs_account_row *a = row;

	client_copy_string(a->user, sizeof(a->user), client_next_string(fields));
	a->flags = client_next_uint32(fields);
	a->failures = client_next_uint32(fields);
	a->lock_seconds = client_next_uint32(fields);
}

enum regs_client_err regs_list_accounts(struct regs_client *c, const char *filter,
                                        struct regs_account_row **out, size_t *n)
{
	void *rows;
	enum regs_client_err rc;

	rc = client_call_rows(c, REGS_METHOD(REGS_M_LIST_ACCOUNTS), sizeof(**out), read_account_row,
	                      &rows, n, filter);
	*out = rows;
	return rc;
}

enum regs_client_err regs_unlock(struct regs_client *c, const char *user)
{
	return client_call(c, REGS_METHOD(REGS_M_UNLOCK), NULL, user);
}

enum regs_client_err regs_reset(struct regs_client *c, const char *user, const char *method)
{
	return client_call(c, REGS_METHOD(REGS_M_RESET), NULL, user, method);
}

enum regs_client_err regs_step_up(struct regs_client *c, const char *purpose, const char *code,
                                  const char *service, const char *rhost, struct regs_step_up *out)
{
	uint32_t v[4];
	enum regs_client_err rc;

	rc = client_call_uints(c, REGS_METHOD(REGS_M_STEP_UP), v, sizeof(v) / sizeof(v[0]), purpose,
	                       code, service, rhost);
	if (rc != RC_OK)
		return rc;
	client_verdict_from(v, &out->verdict);
	out->valid_for = v[3];
	return RC_OK;
}

enum regs_client_err regs_set_password_login(struct regs_client *c, const char *user, int enabled)
{
	return client_call(c, REGS_METHOD(REGS_M_SET_PASSWORD_LOGIN), NULL, user, enabled);
}

enum regs_client_err regs_password_changed(struct regs_client *c, const char *user)
{
	return client_call(c, REGS_METHOD(REGS_M_PASSWORD_CHANGED), NULL, user);
}

enum regs_client_err regs_set_email(struct regs_client *c, const char *user, const char *address,
                                    struct regs_code_sent *out)
{
	return client_call_code_sent(c, REGS_METHOD(REGS_M_SET_EMAIL), out, user, address);
}

enum regs_client_err regs_verify_email(struct regs_client *c, const char *code,
                                       struct regs_code_verdict *out)
{
	return client_call_code_verdict(c, REGS_METHOD(REGS_M_VERIFY_EMAIL), out, code);
}

enum regs_client_err regs_get_email(struct regs_client *c, const char *user, struct regs_email *out)
{
	struct wire_iter it;
	enum regs_client_err rc;

	memset(out, 0, sizeof(*out));
	rc = client_call(c, REGS_METHOD(REGS_M_GET_EMAIL), &it, user);
	if (rc != RC_OK)
		return rc;
	client_copy_string(out->address, sizeof(out->address), client_next_string(&it));
	out->verified = client_next_bool(&it);
	client_copy_string(out->pending, sizeof(out->pending), client_next_string(&it));
	return RC_OK;
}

enum regs_client_err regs_request_reset_code(struct regs_client *c, const char *user,
                                             const char *purpose, const char *service,
                                             const char *rhost, struct regs_code_sent *out)
{
	return client_call_code_sent(c, REGS_METHOD(REGS_M_REQUEST_RESET_CODE), out, user, purpose,
	                             service, rhost);
}

enum regs_client_err regs_redeem_reset_code(struct regs_client *c, const char *user,
                                            const char *purpose, const char *code,
                                            const char *service, const char *rhost,
                                            struct regs_code_verdict *out)
{
	return client_call_code_verdict(c, REGS_METHOD(REGS_M_REDEEM_RESET_CODE), out, user,
	                                purpose, code, service, rhost);
}

enum regs_client_err regs_set_class(struct regs_client *c, const char *user, const char *cls)
{
	return client_call(c, REGS_METHOD(REGS_M_SET_CLASS), NULL, user, cls);
}
