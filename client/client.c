/* The D-Bus client of regsd: one call helper marshals arguments, checks reply signatures and maps
 * errors. */
#include "client.h"
#include "base/wipe.h"
#include "proto/bus.h"

#include <dbus/dbus.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct regs_client {
	DBusConnection *conn;
	int timeout_ms;
	char error_name[128];
	char error_message[256];
};

/* Decodes the fields of one reply array element into one row of a result array. */
typedef void (*regs_row_reader)(DBusMessageIter *fields, void *row);

#define CLIENT_ERROR_PROTOCOL "tw.regs.Client.Protocol"
#define CLIENT_ERROR_INVALID "tw.regs.Client.InvalidArgument"
#define DBUS_SPAWN_ERROR_PREFIX "org.freedesktop.DBus.Error.Spawn."

static const struct {
	const char *name;
	enum regs_client_err err;
} error_map[] = {
    {DBUS_ERROR_NO_REPLY, RC_UNREACHABLE},
    {DBUS_ERROR_SERVICE_UNKNOWN, RC_UNREACHABLE},
    {DBUS_ERROR_NAME_HAS_NO_OWNER, RC_UNREACHABLE},
    {DBUS_ERROR_DISCONNECTED, RC_UNREACHABLE},
    {DBUS_ERROR_NO_SERVER, RC_UNREACHABLE},
    {DBUS_ERROR_TIMEOUT, RC_UNREACHABLE},
    {DBUS_ERROR_TIMED_OUT, RC_UNREACHABLE},
    {DBUS_ERROR_NO_MEMORY, RC_NOMEM},
    {DBUS_ERROR_ACCESS_DENIED, RC_DENIED},
    {REGS_E_ACCESS_DENIED, RC_DENIED},
    {REGS_E_INVALID_ARGS, RC_INVALID},
    {REGS_E_NO_SUCH_USER, RC_NO_SUCH_USER},
    {REGS_E_ALREADY_BOUND, RC_ALREADY_BOUND},
    {REGS_E_NO_SUCH_ENROLMENT, RC_NO_ENROLMENT},
    {REGS_E_STORAGE, RC_STORAGE},
    {REGS_E_STEP_UP_REQUIRED, RC_STEP_UP_REQUIRED},
    {REGS_E_NOT_ALLOWED, RC_NOT_ALLOWED},
    {REGS_E_CONTACT_ADMIN, RC_CONTACT_ADMIN},
    {REGS_E_NO_VERIFIED_EMAIL, RC_NO_VERIFIED_EMAIL},
    {REGS_E_MAIL_FAILED, RC_MAIL_FAILED},
    {REGS_E_TOO_SOON, RC_TOO_SOON},
    {REGS_E_UNREACHABLE, RC_PROVIDER_UNREACHABLE},
    {REGS_E_NOT_CONFIGURED, RC_NOT_CONFIGURED},
};

static enum regs_client_err map_error_name(const char *name)
{
	if (!name)
		return RC_PROTOCOL;
	for (size_t i = 0; i < sizeof(error_map) / sizeof(error_map[0]); i++) {
		if (strcmp(name, error_map[i].name) == 0)
			return error_map[i].err;
	}
	/* Bus activation of regsd failed: as good as not running. */
	if (strncmp(name, DBUS_SPAWN_ERROR_PREFIX, strlen(DBUS_SPAWN_ERROR_PREFIX)) == 0)
		return RC_UNREACHABLE;
	return RC_PROTOCOL;
}

__attribute__((format(printf, 4, 5))) static enum regs_client_err
set_error(struct regs_client *c, enum regs_client_err err, const char *name, const char *fmt, ...)
{
	va_list ap;

	snprintf(c->error_name, sizeof(c->error_name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(c->error_message, sizeof(c->error_message), fmt, ap);
	va_end(ap);
	return err;
}

static enum regs_client_err record_dbus_error(struct regs_client *c, const DBusError *error)
{
	return set_error(c, map_error_name(error->name), error->name ? error->name : "", "%s",
	                 error->message ? error->message : "");
}

/* Appends one string; libdbus aborts the process on invalid UTF-8, so it is refused here. */
static enum regs_client_err append_string(struct regs_client *c, DBusMessageIter *it, const char *s)
{
	if (!s)
		s = "";
	if (!dbus_validate_utf8(s, NULL))
		return set_error(c, RC_INVALID, CLIENT_ERROR_INVALID,
		                 "argument is not valid UTF-8");
	if (!dbus_message_iter_append_basic(it, DBUS_TYPE_STRING, &s))
		return set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	return RC_OK;
}

/* Appends the arguments named by in_sig ('s' const char *, 'u' uint32_t, 't' int64_t,
 * 'b' int, 'y' a byte array given as const uint8_t * and size_t). */
static enum regs_client_err append_bytes(struct regs_client *c, DBusMessageIter *it,
                                         const uint8_t *data, size_t len)
{
	DBusMessageIter arr;
	int n = (int)len;
	if (len > INT32_MAX ||
	    !dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE_AS_STRING,
	                                      &arr) ||
	    !dbus_message_iter_append_fixed_array(&arr, DBUS_TYPE_BYTE, &data, n) ||
	    !dbus_message_iter_close_container(it, &arr))
		return set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	return RC_OK;
}

static enum regs_client_err append_args(struct regs_client *c, DBusMessage *msg, const char *in_sig,
                                        va_list ap)
{
	DBusMessageIter it;
	enum regs_client_err rc = RC_OK;

	dbus_message_iter_init_append(msg, &it);
	for (const char *p = in_sig; *p && rc == RC_OK; p++) {
		dbus_uint32_t u;
		dbus_uint64_t t;
		dbus_bool_t b;
		int64_t since;

		switch (*p) {
		case 's':
			rc = append_string(c, &it, va_arg(ap, const char *));
			break;
		case 'u':
			u = va_arg(ap, uint32_t);
			if (!dbus_message_iter_append_basic(&it, DBUS_TYPE_UINT32, &u))
				rc = set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
			break;
		case 't':
			since = va_arg(ap, int64_t);
			t = since > 0 ? (dbus_uint64_t)since : 0;
			if (!dbus_message_iter_append_basic(&it, DBUS_TYPE_UINT64, &t))
				rc = set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
			break;
		case 'y': {
			const uint8_t *data = va_arg(ap, const uint8_t *);
			rc = append_bytes(c, &it, data, va_arg(ap, size_t));
			break;
		}
		case 'b':
			b = va_arg(ap, int) ? TRUE : FALSE;
			if (!dbus_message_iter_append_basic(&it, DBUS_TYPE_BOOLEAN, &b))
				rc = set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
			break;
		default:
			rc = set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
			               "bad argument type %c", *p);
		}
	}
	return rc;
}

/* The one marshalling path: calls method with in_sig arguments and checks the
 * reply's signature. reply NULL discards a successful reply. */
static enum regs_client_err call_va(struct regs_client *c, const char *method, const char *in_sig,
                                    const char *reply_sig, DBusMessage **reply, va_list ap)
{
	DBusMessage *msg, *answer;
	DBusError error;
	enum regs_client_err rc;

	if (reply)
		*reply = NULL;
	if (!c || !c->conn)
		return c ? set_error(c, RC_UNREACHABLE, DBUS_ERROR_DISCONNECTED, "not connected")
		         : RC_UNREACHABLE;
	msg = dbus_message_new_method_call(REGS_BUS_NAME, REGS_BUS_PATH, REGS_BUS_IFACE, method);
	if (!msg)
		return set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	rc = append_args(c, msg, in_sig, ap);
	if (rc != RC_OK)
		goto out;
	dbus_error_init(&error);
	answer = dbus_connection_send_with_reply_and_block(c->conn, msg, c->timeout_ms, &error);
	if (!answer) {
		rc = record_dbus_error(c, &error);
		dbus_error_free(&error);
		goto out;
	}
	if (!dbus_message_has_signature(answer, reply_sig)) {
		rc = set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
		               "%s replied with signature '%s', expected '%s'", method,
		               dbus_message_get_signature(answer), reply_sig);
		dbus_message_unref(answer);
		goto out;
	}
	if (reply)
		*reply = answer;
	else
		dbus_message_unref(answer);
out:
	dbus_message_unref(msg);
	return rc;
}

static enum regs_client_err call(struct regs_client *c, const char *method, const char *in_sig,
                                 const char *reply_sig, DBusMessage **reply, ...)
{
	va_list ap;
	enum regs_client_err rc;

	va_start(ap, reply);
	rc = call_va(c, method, in_sig, reply_sig, reply, ap);
	va_end(ap);
	return rc;
}

static void copy_string(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static const char *next_string(DBusMessageIter *it)
{
	const char *s = "";

	dbus_message_iter_get_basic(it, &s);
	dbus_message_iter_next(it);
	return s;
}

static uint32_t next_uint32(DBusMessageIter *it)
{
	dbus_uint32_t u = 0;

	dbus_message_iter_get_basic(it, &u);
	dbus_message_iter_next(it);
	return u;
}

static int64_t next_time(DBusMessageIter *it)
{
	dbus_uint64_t t = 0;

	dbus_message_iter_get_basic(it, &t);
	dbus_message_iter_next(it);
	return t > (dbus_uint64_t)INT64_MAX ? INT64_MAX : (int64_t)t;
}

static int next_bool(DBusMessageIter *it)
{
	dbus_bool_t b = FALSE;

	dbus_message_iter_get_basic(it, &b);
	dbus_message_iter_next(it);
	return b ? 1 : 0;
}

/* Reads a reply of one array of structs (signature already checked) into a calloc'd array. */
static enum regs_client_err read_rows(struct regs_client *c, DBusMessage *reply, size_t row_size,
                                      regs_row_reader read_row, void **out, size_t *n)
{
	DBusMessageIter top, array;
	unsigned char *rows;
	size_t count, i;

	dbus_message_iter_init(reply, &top);
	count = (size_t)dbus_message_iter_get_element_count(&top);
	rows = calloc(count ? count : 1, row_size);
	if (!rows)
		return set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	dbus_message_iter_recurse(&top, &array);
	for (i = 0; i < count && dbus_message_iter_get_arg_type(&array) == DBUS_TYPE_STRUCT; i++) {
		DBusMessageIter fields;

		dbus_message_iter_recurse(&array, &fields);
		read_row(&fields, rows + i * row_size);
		dbus_message_iter_next(&array);
	}
	*out = rows;
	*n = i;
	return RC_OK;
}

/* Calls a method whose reply is one array of structs, then decodes it with read_row. */
static enum regs_client_err call_rows(struct regs_client *c, const char *method, const char *in_sig,
                                      const char *reply_sig, size_t row_size,
                                      regs_row_reader read_row, void **out, size_t *n, ...)
{
	va_list ap;
	DBusMessage *reply;
	enum regs_client_err rc;

	*out = NULL;
	*n = 0;
	va_start(ap, n);
	rc = call_va(c, method, in_sig, reply_sig, &reply, ap);
	va_end(ap);
	if (rc != RC_OK)
		return rc;
	rc = read_rows(c, reply, row_size, read_row, out, n);
	dbus_message_unref(reply);
	return rc;
}

/* Calls a method whose reply is only uint32s (reply_sig "uu...") and stores them in vals. */
static enum regs_client_err call_uints_va(struct regs_client *c, const char *method,
                                          const char *in_sig, const char *reply_sig, uint32_t *vals,
                                          va_list ap)
{
	DBusMessage *reply;
	DBusMessageIter it;
	enum regs_client_err rc;

	rc = call_va(c, method, in_sig, reply_sig, &reply, ap);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	for (size_t i = 0; reply_sig[i]; i++)
		vals[i] = next_uint32(&it);
	dbus_message_unref(reply);
	return RC_OK;
}

static enum regs_client_err call_uints(struct regs_client *c, const char *method,
                                       const char *in_sig, const char *reply_sig, uint32_t *vals,
                                       ...)
{
	va_list ap;
	enum regs_client_err rc;

	va_start(ap, vals);
	rc = call_uints_va(c, method, in_sig, reply_sig, vals, ap);
	va_end(ap);
	return rc;
}

static void verdict_from(const uint32_t v[3], struct regs_verdict *out)
{
	out->result = v[0];
	out->lock_seconds = v[1];
	out->failures_left = v[2];
}

/* Calls a method that answers (u result, u lock_seconds_left, u failures_left). */
static enum regs_client_err call_verdict(struct regs_client *c, const char *method,
                                         const char *in_sig, struct regs_verdict *out, ...)
{
	va_list ap;
	uint32_t v[3];
	enum regs_client_err rc;

	va_start(ap, out);
	rc = call_uints_va(c, method, in_sig, "uuu", v, ap);
	va_end(ap);
	if (rc == RC_OK)
		verdict_from(v, out);
	return rc;
}

/* Calls a method that answers (u result, u tries_left). */
static enum regs_client_err call_code_verdict(struct regs_client *c, const char *method,
                                              const char *in_sig, struct regs_code_verdict *out,
                                              ...)
{
	va_list ap;
	uint32_t v[2];
	enum regs_client_err rc;

	va_start(ap, out);
	rc = call_uints_va(c, method, in_sig, "uu", v, ap);
	va_end(ap);
	if (rc == RC_OK) {
		out->result = v[0];
		out->tries_left = v[1];
	}
	return rc;
}

/* Calls a method that answers (s prefix, u expires_in[, u resend_after]) about a mailed code. */
#define MAIL_CALL_TIMEOUT_MS (310 * 1000)

static enum regs_client_err call_code_sent(struct regs_client *c, const char *method,
                                           const char *in_sig, const char *reply_sig,
                                           struct regs_code_sent *out, ...)
{
	va_list ap;
	DBusMessage *reply;
	DBusMessageIter it;
	enum regs_client_err rc;
	size_t len;

	memset(out, 0, sizeof(*out));
	/* regsd answers once the mail is out: allow for a slow mail server
	 * (smtp_timeout_seconds is at most 300) beyond the usual call timeout. */
	int usual = c->timeout_ms;
	if (c->timeout_ms < MAIL_CALL_TIMEOUT_MS)
		c->timeout_ms = MAIL_CALL_TIMEOUT_MS;
	va_start(ap, out);
	rc = call_va(c, method, in_sig, reply_sig, &reply, ap);
	va_end(ap);
	c->timeout_ms = usual;
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	copy_string(out->prefix, sizeof(out->prefix), next_string(&it));
	/* The prefix is the letters only ("KX"); a dash sent along is dropped. */
	len = strlen(out->prefix);
	if (len > 0 && out->prefix[len - 1] == '-')
		out->prefix[len - 1] = '\0';
	out->expires_in = next_uint32(&it);
	if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_UINT32)
		out->resend_after = next_uint32(&it);
	dbus_message_unref(reply);
	return RC_OK;
}

enum regs_client_err regs_client_open(int timeout_ms, struct regs_client **out)
{
	struct regs_client *c;
	DBusError error;
	enum regs_client_err rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return RC_NOMEM;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DBUS_TIMEOUT_USE_DEFAULT;
	dbus_error_init(&error);
	c->conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &error);
	if (!c->conn) {
		rc = dbus_error_has_name(&error, DBUS_ERROR_NO_MEMORY) ? RC_NOMEM : RC_UNREACHABLE;
		dbus_error_free(&error);
		free(c);
		return rc;
	}
	/* libdbus would otherwise _exit() the host process (sshd, login) when the bus goes away. */
	dbus_connection_set_exit_on_disconnect(c->conn, FALSE);
	*out = c;
	return RC_OK;
}

void regs_client_close(struct regs_client *c)
{
	if (!c)
		return;
	if (c->conn) {
		dbus_connection_close(c->conn);
		dbus_connection_unref(c->conn);
	}
	free(c);
}

const char *regs_client_error_name(const struct regs_client *c)
{
	return c ? c->error_name : "";
}

const char *regs_client_error_message(const struct regs_client *c)
{
	return c ? c->error_message : "";
}

enum regs_client_err regs_get_account(struct regs_client *c, const char *user,
                                      struct regs_account_info *out)
{
	DBusMessage *reply;
	DBusMessageIter it;
	enum regs_client_err rc;

	memset(out, 0, sizeof(*out));
	rc = call(c, REGS_M_GET_ACCOUNT, "s", "uuuss", &reply, user);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	out->flags = next_uint32(&it);
	out->lock_seconds = next_uint32(&it);
	out->failures = next_uint32(&it);
	copy_string(out->language, sizeof(out->language), next_string(&it));
	copy_string(out->site_language, sizeof(out->site_language), next_string(&it));
	dbus_message_unref(reply);
	return RC_OK;
}

enum regs_client_err regs_set_language(struct regs_client *c, const char *user,
                                       const char *language)
{
	return call(c, REGS_M_SET_LANGUAGE, "ss", "", NULL, user, language);
}

enum regs_client_err regs_verify_otp(struct regs_client *c, const char *user, const char *code,
                                     const char *service, const char *rhost,
                                     struct regs_verdict *out)
{
	return call_verdict(c, REGS_M_VERIFY_OTP, "ssss", out, user, code, service, rhost);
}

enum regs_client_err regs_record_failure(struct regs_client *c, const char *user,
                                         const char *method, const char *service, const char *rhost,
                                         struct regs_verdict *out)
{
	return call_verdict(c, REGS_M_RECORD_FAILURE, "ssss", out, user, method, service, rhost);
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
	DBusMessage *reply;
	DBusMessageIter it;
	enum regs_client_err rc;

	memset(out, 0, sizeof(*out));
	rc = call(c, REGS_M_BEGIN_OTP_ENROL, "s", "sssu", &reply, user);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	out->handle = strdup(next_string(&it));
	out->uri = strdup(next_string(&it));
	out->secret = strdup(next_string(&it));
	out->expires_in = next_uint32(&it);
	dbus_message_unref(reply);
	if (!out->handle || !out->uri || !out->secret) {
		regs_enrolment_clear(out);
		return set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	}
	return RC_OK;
}

enum regs_client_err regs_confirm_otp_enrol(struct regs_client *c, const char *handle,
                                            const char *code, const char *service,
                                            const char *rhost, struct regs_verdict *out)
{
	return call_verdict(c, REGS_M_CONFIRM_OTP_ENROL, "ssss", out, handle, code, service, rhost);
}

enum regs_client_err regs_cancel_otp_enrol(struct regs_client *c, const char *handle)
{
	return call(c, REGS_M_CANCEL_OTP_ENROL, "s", "", NULL, handle);
}

static void read_method_status(DBusMessageIter *fields, void *row)
{
	struct regs_method_status *m = row;

	copy_string(m->method, sizeof(m->method), next_string(fields));
	m->bound = next_bool(fields);
	m->since = next_time(fields);
}

enum regs_client_err regs_get_status(struct regs_client *c, const char *user,
                                     struct regs_method_status **out, size_t *n)
{
	void *rows;
	enum regs_client_err rc;

	rc = call_rows(c, REGS_M_GET_STATUS, "s", "a(sbt)", sizeof(**out), read_method_status,
	               &rows, n, user);
	*out = rows;
	return rc;
}

static void read_log_entry(DBusMessageIter *fields, void *row)
{
	struct regs_log_entry *e = row;

	e->time = next_time(fields);
	copy_string(e->user, sizeof(e->user), next_string(fields));
	copy_string(e->event, sizeof(e->event), next_string(fields));
	copy_string(e->method, sizeof(e->method), next_string(fields));
	copy_string(e->service, sizeof(e->service), next_string(fields));
	copy_string(e->rhost, sizeof(e->rhost), next_string(fields));
	copy_string(e->result, sizeof(e->result), next_string(fields));
	e->actor_uid = next_uint32(fields);
}

enum regs_client_err regs_get_log(struct regs_client *c, const char *user, int64_t since,
                                  uint32_t limit, struct regs_log_entry **out, size_t *n)
{
	void *rows;
	enum regs_client_err rc;

	/* Eight fields as listed in bus.h (time, user, event, method, service, rhost, result,
	 * actor uid): a(tssssssu). */
	rc = call_rows(c, REGS_M_GET_LOG, "stu", "a(tssssssu)", sizeof(**out), read_log_entry,
	               &rows, n, user, since, limit);
	*out = rows;
	return rc;
}

static void read_account_row(DBusMessageIter *fields, void *row)
{
	struct regs_account_row *a = row;

	copy_string(a->user, sizeof(a->user), next_string(fields));
	a->flags = next_uint32(fields);
	a->failures = next_uint32(fields);
	a->lock_seconds = next_uint32(fields);
}

enum regs_client_err regs_list_accounts(struct regs_client *c, const char *filter,
                                        struct regs_account_row **out, size_t *n)
{
	void *rows;
	enum regs_client_err rc;

	rc = call_rows(c, REGS_M_LIST_ACCOUNTS, "s", "a(suuu)", sizeof(**out), read_account_row,
	               &rows, n, filter);
	*out = rows;
	return rc;
}

enum regs_client_err regs_unlock(struct regs_client *c, const char *user)
{
	return call(c, REGS_M_UNLOCK, "s", "", NULL, user);
}

enum regs_client_err regs_reset(struct regs_client *c, const char *user, const char *method)
{
	return call(c, REGS_M_RESET, "ss", "", NULL, user, method);
}

enum regs_client_err regs_step_up(struct regs_client *c, const char *purpose, const char *code,
                                  const char *service, const char *rhost, struct regs_step_up *out)
{
	uint32_t v[4];
	enum regs_client_err rc;

	rc = call_uints(c, REGS_M_STEP_UP, "ssss", "uuuu", v, purpose, code, service, rhost);
	if (rc != RC_OK)
		return rc;
	verdict_from(v, &out->verdict);
	out->valid_for = v[3];
	return RC_OK;
}

enum regs_client_err regs_set_password_login(struct regs_client *c, const char *user, int enabled)
{
	return call(c, REGS_M_SET_PASSWORD_LOGIN, "sb", "", NULL, user, enabled);
}

enum regs_client_err regs_password_changed(struct regs_client *c, const char *user)
{
	return call(c, REGS_M_PASSWORD_CHANGED, "s", "", NULL, user);
}

enum regs_client_err regs_set_email(struct regs_client *c, const char *user, const char *address,
                                    struct regs_code_sent *out)
{
	return call_code_sent(c, REGS_M_SET_EMAIL, "ss", "su", out, user, address);
}

enum regs_client_err regs_verify_email(struct regs_client *c, const char *code,
                                       struct regs_code_verdict *out)
{
	return call_code_verdict(c, REGS_M_VERIFY_EMAIL, "s", out, code);
}

enum regs_client_err regs_get_email(struct regs_client *c, const char *user, struct regs_email *out)
{
	DBusMessage *reply;
	DBusMessageIter it;
	enum regs_client_err rc;

	memset(out, 0, sizeof(*out));
	rc = call(c, REGS_M_GET_EMAIL, "s", "sbs", &reply, user);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	copy_string(out->address, sizeof(out->address), next_string(&it));
	out->verified = next_bool(&it);
	copy_string(out->pending, sizeof(out->pending), next_string(&it));
	dbus_message_unref(reply);
	return RC_OK;
}

enum regs_client_err regs_request_reset_code(struct regs_client *c, const char *user,
                                             const char *purpose, const char *service,
                                             const char *rhost, struct regs_code_sent *out)
{
	return call_code_sent(c, REGS_M_REQUEST_RESET_CODE, "ssss", "suu", out, user, purpose,
	                      service, rhost);
}

enum regs_client_err regs_redeem_reset_code(struct regs_client *c, const char *user,
                                            const char *purpose, const char *code,
                                            const char *service, const char *rhost,
                                            struct regs_code_verdict *out)
{
	return call_code_verdict(c, REGS_M_REDEEM_RESET_CODE, "sssss", out, user, purpose, code,
	                         service, rhost);
}

enum regs_client_err regs_set_class(struct regs_client *c, const char *user, const char *cls)
{
	return call(c, REGS_M_SET_CLASS, "ss", "", NULL, user, cls);
}

enum regs_client_err regs_card_challenge(struct regs_client *c, const char *user,
                                         const char *purpose, struct regs_card_challenge *out)
{
	DBusMessage *reply;
	DBusMessageIter it, arr;
	const uint8_t *nonce = NULL;
	int n = 0;
	memset(out, 0, sizeof(*out));
	enum regs_client_err rc =
	    call(c, REGS_M_CARD_CHALLENGE, "ss", "sayu", &reply, user, purpose);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	copy_string(out->handle, sizeof(out->handle), next_string(&it));
	dbus_message_iter_recurse(&it, &arr);
	dbus_message_iter_get_fixed_array(&arr, &nonce, &n);
	dbus_message_iter_next(&it);
	out->expires_in = next_uint32(&it);
	if (n > 0 && (size_t)n <= sizeof(out->nonce)) {
		memcpy(out->nonce, nonce, (size_t)n);
		out->nonce_len = (size_t)n;
	} else {
		rc = set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL, "bad challenge length %d", n);
	}
	dbus_message_unref(reply);
	return rc;
}

enum regs_client_err regs_card_login(struct regs_client *c, const char *handle, const uint8_t *cert,
                                     size_t cert_len, const uint8_t *sig, size_t sig_len,
                                     const char *service, const char *rhost,
                                     struct regs_verdict *out)
{
	return call_verdict(c, REGS_M_CARD_LOGIN, "syyss", out, handle, cert, cert_len, sig,
	                    sig_len, service, rhost);
}

enum regs_client_err regs_card_known(struct regs_client *c, const char *user,
                                     const char *card_serial, int *known)
{
	DBusMessage *reply;
	DBusMessageIter it;
	*known = 0;
	enum regs_client_err rc = call(c, REGS_M_CARD_KNOWN, "ss", "b", &reply, user, card_serial);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	*known = next_bool(&it);
	dbus_message_unref(reply);
	return rc;
}

enum regs_client_err regs_card_login_serial(struct regs_client *c, const char *handle,
                                            const char *card_serial, const uint8_t *cert,
                                            size_t cert_len, const uint8_t *sig, size_t sig_len,
                                            const char *service, const char *rhost,
                                            struct regs_verdict *out)
{
	static const uint8_t none[1];
	return call_verdict(c, REGS_M_CARD_LOGIN_SERIAL, "syysss", out, handle, cert ? cert : none,
	                    cert ? cert_len : 0, sig, sig_len, service, rhost, card_serial);
}

enum regs_client_err regs_bind_card(struct regs_client *c, const char *handle, const uint8_t *cert,
                                    size_t cert_len, const uint8_t *sig, size_t sig_len,
                                    uint32_t *result)
{
	uint32_t v[1] = {0};
	enum regs_client_err rc =
	    call_uints(c, REGS_M_BIND_CARD, "syy", "u", v, handle, cert, cert_len, sig, sig_len);
	*result = v[0];
	return rc;
}

enum regs_client_err regs_step_up_card(struct regs_client *c, const char *handle,
                                       const uint8_t *cert, size_t cert_len, const uint8_t *sig,
                                       size_t sig_len, const char *purpose,
                                       struct regs_step_up *out)
{
	uint32_t v[4] = {0};
	enum regs_client_err rc = call_uints(c, REGS_M_STEP_UP_CARD, "syys", "uuuu", v, handle,
	                                     cert, cert_len, sig, sig_len, purpose);
	verdict_from(v, &out->verdict);
	out->valid_for = v[3];
	return rc;
}

enum regs_client_err regs_authorized_key(struct regs_client *c, const char *user, uint32_t *result,
                                         char *line, size_t size)
{
	DBusMessage *reply;
	DBusMessageIter it;
	*result = REGS_R_CARD_NOT_BOUND;
	copy_string(line, size, "");
	enum regs_client_err rc = call(c, REGS_M_AUTHORIZED_KEY, "s", "us", &reply, user);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	*result = next_uint32(&it);
	const char *key = next_string(&it);
	if (strlen(key) >= size) /* never a cut key */
		rc = RC_PROTOCOL;
	else if (*result == REGS_R_OK)
		copy_string(line, size, key);
	dbus_message_unref(reply);
	return rc;
}

/* Calls that wait for regsd's network work get a longer timeout. */
static int net_timeout(struct regs_client *c)
{
	int saved = c ? c->timeout_ms : 0;
	if (c && (c->timeout_ms < REGS_CLIENT_NET_TIMEOUT_MS))
		c->timeout_ms = REGS_CLIENT_NET_TIMEOUT_MS;
	return saved;
}

static void restore_timeout(struct regs_client *c, int saved)
{
	if (c)
		c->timeout_ms = saved;
}

enum regs_client_err regs_google_begin(struct regs_client *c, const char *user, const char *purpose,
                                       const char *service, const char *rhost,
                                       struct regs_oob_start *out)
{
	DBusMessage *reply;
	DBusMessageIter it;
	memset(out, 0, sizeof(*out));
	int saved = net_timeout(c);
	enum regs_client_err rc =
	    call(c, REGS_M_GOOGLE_BEGIN, "ssss", "ssssu", &reply, user, purpose, service, rhost);
	restore_timeout(c, saved);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	copy_string(out->handle, sizeof(out->handle), next_string(&it));
	copy_string(out->uri, sizeof(out->uri), next_string(&it));
	copy_string(out->user_code, sizeof(out->user_code), next_string(&it));
	copy_string(out->uri_complete, sizeof(out->uri_complete), next_string(&it));
	out->expires_in = next_uint32(&it);
	dbus_message_unref(reply);
	return RC_OK;
}

enum regs_client_err regs_google_login(struct regs_client *c, const char *handle, const char *code,
                                       const char *service, const char *rhost,
                                       struct regs_verdict *out)
{
	return call_verdict(c, REGS_M_GOOGLE_LOGIN, "ssss", out, handle, code, service, rhost);
}

enum regs_client_err regs_mobile_begin(struct regs_client *c, const char *user, const char *id_num,
                                       const char *purpose, const char *service, const char *rhost,
                                       struct regs_oob_start *out)
{
	DBusMessage *reply;
	DBusMessageIter it;
	memset(out, 0, sizeof(*out));
	int saved = net_timeout(c);
	enum regs_client_err rc = call(c, REGS_M_MOBILE_BEGIN, "sssss", "su", &reply, user, id_num,
	                               purpose, service, rhost);
	restore_timeout(c, saved);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	copy_string(out->handle, sizeof(out->handle), next_string(&it));
	out->expires_in = next_uint32(&it);
	dbus_message_unref(reply);
	return RC_OK;
}

enum regs_client_err regs_mobile_qr(struct regs_client *c, const char *handle, char **ticket)
{
	DBusMessage *reply;
	DBusMessageIter it;
	*ticket = NULL;
	int saved = net_timeout(c);
	enum regs_client_err rc = call(c, REGS_M_MOBILE_QR, "s", "s", &reply, handle);
	restore_timeout(c, saved);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	*ticket = strdup(next_string(&it));
	dbus_message_unref(reply);
	return *ticket ? RC_OK : RC_NOMEM;
}

enum regs_client_err regs_oob_wait(struct regs_client *c, const char *handle,
                                   struct regs_oob_status *out)
{
	uint32_t v[3] = {0};
	int saved = net_timeout(c);
	enum regs_client_err rc = call_uints(c, REGS_M_OOB_WAIT, "s", "uuu", v, handle);
	restore_timeout(c, saved);
	out->state = v[0];
	out->seconds_left = v[1];
	out->lock_seconds = v[2];
	return rc;
}

enum regs_client_err regs_oob_bind(struct regs_client *c, const char *handle, uint32_t *result)
{
	uint32_t v[1] = {0};
	enum regs_client_err rc = call_uints(c, REGS_M_OOB_BIND, "s", "u", v, handle);
	*result = v[0];
	return rc;
}

enum regs_client_err regs_oob_cancel(struct regs_client *c, const char *handle)
{
	return call(c, REGS_M_OOB_CANCEL, "s", "", NULL, handle);
}
