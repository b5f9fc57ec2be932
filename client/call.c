/* The one call path to regsd: marshals arguments by the contract's signatures, waits for the
 * answer, checks the reply's signature, and reads the reply shapes the calls share. */
#include "call.h"
#include "proto/bus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends one string; libdbus aborts the process on invalid UTF-8, so it is refused here. */
static enum regs_client_err append_string(struct regs_client *c, DBusMessageIter *it, const char *s)
{
	if (!s)
		s = "";
	if (!dbus_validate_utf8(s, NULL))
		return client_set_error(c, RC_INVALID, CLIENT_ERROR_INVALID,
		                        "argument is not valid UTF-8");
	if (!dbus_message_iter_append_basic(it, DBUS_TYPE_STRING, &s))
		return client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	return RC_OK;
}

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
		return client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	return RC_OK;
}

/* Appends the arguments named by in_sig ('s' const char *, 'u' uint32_t, 't' int64_t,
 * 'b' int, "ay" a byte array given as const uint8_t * and size_t). */
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
				rc = client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY,
				                      "out of memory");
			break;
		case 't':
			since = va_arg(ap, int64_t);
			t = since > 0 ? (dbus_uint64_t)since : 0;
			if (!dbus_message_iter_append_basic(&it, DBUS_TYPE_UINT64, &t))
				rc = client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY,
				                      "out of memory");
			break;
		case 'a': {
			const uint8_t *data = *++p == 'y' ? va_arg(ap, const uint8_t *) : NULL;
			rc = data ? append_bytes(c, &it, data, va_arg(ap, size_t))
			          : client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
			                             "bad argument type a%c", *p);
			break;
		}
		case 'b':
			b = va_arg(ap, int) ? TRUE : FALSE;
			if (!dbus_message_iter_append_basic(&it, DBUS_TYPE_BOOLEAN, &b))
				rc = client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY,
				                      "out of memory");
			break;
		default:
			rc = client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
			                      "bad argument type %c", *p);
		}
	}
	return rc;
}

/* Sends msg and waits for its answer, a method return or an error reply (kept whole: its typed
 * values are read, which dbus_connection_send_with_reply_and_block would drop). */
static DBusMessage *send_and_wait(struct regs_client *c, DBusMessage *msg, enum regs_client_err *rc)
{
	DBusPendingCall *pending = NULL;
	DBusMessage *answer;

	if (!dbus_connection_send_with_reply(c->conn, msg, &pending, c->timeout_ms)) {
		*rc = client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
		return NULL;
	}
	if (!pending) {
		*rc = client_set_error(c, RC_UNREACHABLE, DBUS_ERROR_DISCONNECTED,
		                       "Connection is closed");
		return NULL;
	}
	dbus_pending_call_block(pending);
	answer = dbus_pending_call_steal_reply(pending);
	dbus_pending_call_unref(pending);
	if (!answer)
		*rc = client_set_error(c, RC_UNREACHABLE, DBUS_ERROR_NO_REPLY, "no reply");
	return answer;
}

/* The one marshalling path: calls method with in_sig arguments and checks the
 * reply's signature. reply NULL discards a successful reply. */
static enum regs_client_err client_call_va(struct regs_client *c, const char *method,
                                           const char *in_sig, const char *reply_sig,
                                           DBusMessage **reply, va_list ap)
{
	DBusMessage *msg, *answer;
	enum regs_client_err rc;

	if (reply)
		*reply = NULL;
	if (!c || !c->conn)
		return c ? client_set_error(c, RC_UNREACHABLE, DBUS_ERROR_DISCONNECTED,
		                            "not connected")
		         : RC_UNREACHABLE;
	msg = dbus_message_new_method_call(REGS_BUS_NAME, REGS_BUS_PATH, REGS_BUS_IFACE, method);
	if (!msg)
		return client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
	rc = append_args(c, msg, in_sig, ap);
	if (rc != RC_OK)
		goto out;
	answer = send_and_wait(c, msg, &rc);
	if (!answer)
		goto out;
	if (dbus_message_get_type(answer) == DBUS_MESSAGE_TYPE_ERROR) {
		rc = client_record_error_reply(c, answer);
		dbus_message_unref(answer);
		goto out;
	}
	if (!dbus_message_has_signature(answer, reply_sig)) {
		rc = client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
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

enum regs_client_err client_call(struct regs_client *c, const char *method, const char *in_sig,
                                 const char *reply_sig, DBusMessage **reply, ...)
{
	va_list ap;
	enum regs_client_err rc;

	va_start(ap, reply);
	rc = client_call_va(c, method, in_sig, reply_sig, reply, ap);
	va_end(ap);
	return rc;
}

void client_copy_string(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

const char *client_next_string(DBusMessageIter *it)
{
	const char *s = "";

	dbus_message_iter_get_basic(it, &s);
	dbus_message_iter_next(it);
	return s;
}

uint32_t client_next_uint32(DBusMessageIter *it)
{
	dbus_uint32_t u = 0;

	dbus_message_iter_get_basic(it, &u);
	dbus_message_iter_next(it);
	return u;
}

int64_t client_next_time(DBusMessageIter *it)
{
	dbus_uint64_t t = 0;

	dbus_message_iter_get_basic(it, &t);
	dbus_message_iter_next(it);
	return t > (dbus_uint64_t)INT64_MAX ? INT64_MAX : (int64_t)t;
}

int client_next_bool(DBusMessageIter *it)
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
		return client_set_error(c, RC_NOMEM, DBUS_ERROR_NO_MEMORY, "out of memory");
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
enum regs_client_err client_call_rows(struct regs_client *c, const char *method, const char *in_sig,
                                      const char *reply_sig, size_t row_size,
                                      regs_row_reader read_row, void **out, size_t *n, ...)
{
	va_list ap;
	DBusMessage *reply;
	enum regs_client_err rc;

	*out = NULL;
	*n = 0;
	va_start(ap, n);
	rc = client_call_va(c, method, in_sig, reply_sig, &reply, ap);
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
                                          size_t n, va_list ap)
{
	DBusMessage *reply;
	DBusMessageIter it;
	enum regs_client_err rc;

	if (strlen(reply_sig) != n || strspn(reply_sig, "u") != n)
		return client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
		                        "%s: the contract says (%s), not %zu uint32s", method,
		                        reply_sig, n);
	rc = client_call_va(c, method, in_sig, reply_sig, &reply, ap);
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	for (size_t i = 0; reply_sig[i]; i++)
		vals[i] = client_next_uint32(&it);
	dbus_message_unref(reply);
	return RC_OK;
}

enum regs_client_err client_call_uints(struct regs_client *c, const char *method,
                                       const char *in_sig, const char *reply_sig, uint32_t *vals,
                                       size_t n, ...)
{
	va_list ap;
	enum regs_client_err rc;

	va_start(ap, n);
	rc = call_uints_va(c, method, in_sig, reply_sig, vals, n, ap);
	va_end(ap);
	return rc;
}

void client_verdict_from(const uint32_t v[3], struct regs_verdict *out)
{
	out->result = v[0];
	out->lock_seconds = v[1];
	out->failures_left = v[2];
}

/* Calls a method that answers (u result, u lock_seconds_left, u failures_left). */
enum regs_client_err client_call_verdict(struct regs_client *c, const char *method,
                                         const char *in_sig, const char *reply_sig,
                                         struct regs_verdict *out, ...)
{
	va_list ap;
	uint32_t v[3];
	enum regs_client_err rc;

	va_start(ap, out);
	rc = call_uints_va(c, method, in_sig, reply_sig, v, 3, ap);
	va_end(ap);
	if (rc == RC_OK)
		client_verdict_from(v, out);
	return rc;
}

/* Calls a method that answers (u result, u tries_left). */
enum regs_client_err client_call_code_verdict(struct regs_client *c, const char *method,
                                              const char *in_sig, const char *reply_sig,
                                              struct regs_code_verdict *out, ...)
{
	va_list ap;
	uint32_t v[2];
	enum regs_client_err rc;

	va_start(ap, out);
	rc = call_uints_va(c, method, in_sig, reply_sig, v, 2, ap);
	va_end(ap);
	if (rc == RC_OK) {
		out->result = v[0];
		out->tries_left = v[1];
	}
	return rc;
}

/* Calls a method that answers (s prefix, u expires_in[, u resend_after]) about a mailed code. */
#define MAIL_CALL_TIMEOUT_MS (310 * 1000)

enum regs_client_err client_call_code_sent(struct regs_client *c, const char *method,
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
	rc = client_call_va(c, method, in_sig, reply_sig, &reply, ap);
	va_end(ap);
	c->timeout_ms = usual;
	if (rc != RC_OK)
		return rc;
	dbus_message_iter_init(reply, &it);
	client_copy_string(out->prefix, sizeof(out->prefix), client_next_string(&it));
	/* The prefix is the letters only ("KX"); a dash sent along is dropped. */
	len = strlen(out->prefix);
	if (len > 0 && out->prefix[len - 1] == '-')
		out->prefix[len - 1] = '\0';
	out->expires_in = client_next_uint32(&it);
	if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_UINT32)
		out->resend_after = client_next_uint32(&it);
	dbus_message_unref(reply);
	return RC_OK;
}

/* Calls that wait for regsd's network work get a longer timeout. */
int client_net_timeout(struct regs_client *c)
{
	int saved = c ? c->timeout_ms : 0;
	if (c && (c->timeout_ms < REGS_CLIENT_NET_TIMEOUT_MS))
		c->timeout_ms = REGS_CLIENT_NET_TIMEOUT_MS;
	return saved;
}

void client_restore_timeout(struct regs_client *c, int saved)
{
	if (c)
		c->timeout_ms = saved;
}
