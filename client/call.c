/* The one call path to regsd: marshals arguments by the contract's signatures, waits for the
 * answer, checks the reply's signature, and reads the reply shapes the calls share. */
#include "call.h"
#include "base/utf8.h"
#include "proto/bus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_OF_MEMORY(c) client_set_error(c, RC_NOMEM, CLIENT_ERROR_NO_MEMORY, "out of memory")

/* Appends one string; a string that is not UTF-8 cannot go on the wire. */
static enum regs_client_err append_string(struct regs_client *c, struct wire_call *w, const char *s)
{
	if (!s)
		s = "";
	if (!utf8_valid(s))
		return client_set_error(c, RC_INVALID, CLIENT_ERROR_INVALID,
		                        "argument is not valid UTF-8");
	return wire_put_string(w, s) == 0 ? RC_OK : OUT_OF_MEMORY(c);
}

/* Appends the arguments named by in_sig ('s' const char *, 'u' uint32_t, 't' int64_t,
 * 'b' int, "ay" a byte array given as const uint8_t * and size_t). */
static enum regs_client_err append_args(struct regs_client *c, struct wire_call *w,
                                        const char *in_sig, va_list ap)
{
	enum regs_client_err rc = RC_OK;

	for (const char *p = in_sig; *p && rc == RC_OK; p++) {
		int64_t since;
		int failed = 0;

		switch (*p) {
		case 's':
			rc = append_string(c, w, va_arg(ap, const char *));
			break;
		case 'u':
			failed = wire_put_u32(w, va_arg(ap, uint32_t));
			break;
		case 't':
			since = va_arg(ap, int64_t);
			failed = wire_put_u64(w, since > 0 ? (uint64_t)since : 0);
			break;
		case 'a': {
			const uint8_t *data = *++p == 'y' ? va_arg(ap, const uint8_t *) : NULL;
			if (!data)
				rc = client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
				                      "bad argument type a%c", *p);
			else
				failed = wire_put_bytes(w, data, va_arg(ap, size_t));
			break;
		}
		case 'b':
			failed = wire_put_bool(w, va_arg(ap, int));
			break;
		default:
			rc = client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
			                      "bad argument type %c", *p);
		}
		if (failed)
			rc = OUT_OF_MEMORY(c);
	}
	return rc;
}

/* Sends the call on the connection there is and waits for its answer: 0, -1 or -2 as
 * transport_answer, or 1 with rc set when it could not be sent. */
static int try_call(struct regs_client *c, struct wire_call *w, const char *method,
                    struct wire_msg *answer, enum regs_client_err *rc)
{
	struct regs_buf msg = REGS_BUF_INIT(WIRE_MESSAGE_MAX);
	int64_t deadline = transport_now_ms() + c->timeout_ms;
	*rc = RC_OK;
	if (wire_call_finish(w, 1, c->t.on_bus ? REGS_BUS_NAME : NULL, REGS_BUS_PATH,
	                     REGS_BUS_IFACE, method, &msg) != 0)
		*rc = client_set_error(c, RC_INVALID, CLIENT_ERROR_INVALID, "%s: too long", method);
	else if (transport_send(&c->t, &msg, deadline) != 0)
		*rc =
		    client_set_error(c, RC_UNREACHABLE, CLIENT_ERROR_DISCONNECTED, "%s", c->t.why);
	regs_buf_free(&msg); /* wiped: it held the code or the PIN block */
	return *rc != RC_OK ? 1 : transport_answer(&c->t, c->t.serial, deadline, answer);
}

/* Builds the call for the connection it goes on (through the bus it names regsd) and sends
 * it, then waits for its answer (a method return or an error reply). A connection that regsd
 * closed since the last answer (regsd restarted) is opened again first: nothing was in flight
 * on it. */
static enum regs_client_err send_and_wait(struct regs_client *c, struct wire_call *w,
                                          const char *method, struct wire_msg *answer)
{
	enum regs_client_err rc = RC_OK;

	if (transport_closed(&c->t) && (rc = client_connect(c)) != RC_OK)
		return rc;
	int got = try_call(c, w, method, answer, &rc);
	if (got == -1 && c->t.shut_out) {
		/* regsd closed the direct socket before authenticating (at its limit): it did
		 * nothing of the call, which goes by the bus instead. */
		if ((rc = client_connect_bus(c)) != RC_OK)
			return rc;
		got = try_call(c, w, method, answer, &rc);
	}
	if (got == 1)
		return rc;
	if (got == -2)
		return client_set_error(c, RC_UNREACHABLE, CLIENT_ERROR_NO_REPLY, "%s", c->t.why);
	if (got != 0) {
		transport_close(&c->t); /* out of step with regsd: never read on it again */
		return client_set_error(c, RC_UNREACHABLE, CLIENT_ERROR_DISCONNECTED, "%s",
		                        c->t.why);
	}
	return RC_OK;
}

/* Checks the answer: an error reply is recorded, a return must have the contract's signature. */
static enum regs_client_err take_answer(struct regs_client *c, const char *method,
                                        const char *reply_sig, const struct wire_msg *answer,
                                        struct wire_iter *reply)
{
	if (answer->type == WIRE_ERROR)
		return client_record_error_reply(c, answer);
	if (strcmp(answer->signature, reply_sig) != 0)
		return client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
		                        "%s replied with signature '%s', expected '%s'", method,
		                        answer->signature, reply_sig);
	if (reply)
		wire_iter_init(reply, answer);
	return RC_OK;
}

/* The one marshalling path: calls method with in_sig arguments and checks the
 * reply's signature. reply NULL discards a successful reply. */
static enum regs_client_err client_call_va(struct regs_client *c, const char *method,
                                           const char *in_sig, const char *reply_sig,
                                           struct wire_iter *reply, va_list ap)
{
	struct wire_call w;
	struct wire_msg answer;
	enum regs_client_err rc;

	if (!c)
		return RC_UNREACHABLE;
	wire_call_init(&w);
	rc = append_args(c, &w, in_sig, ap);
	if (rc == RC_OK)
		rc = send_and_wait(c, &w, method, &answer);
	wire_call_free(&w); /* wiped likewise */
	if (rc == RC_OK)
		rc = take_answer(c, method, reply_sig, &answer, reply);
	return rc;
}

enum regs_client_err client_call(struct regs_client *c, const char *method, const char *in_sig,
                                 const char *reply_sig, struct wire_iter *reply, ...)
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

const char *client_next_string(struct wire_iter *it)
{
	return wire_next_string(it);
}

uint32_t client_next_uint32(struct wire_iter *it)
{
	return wire_next_u32(it);
}

int64_t client_next_time(struct wire_iter *it)
{
	uint64_t t = wire_next_u64(it);
	return t > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)t;
}

int client_next_bool(struct wire_iter *it)
{
	return wire_next_bool(it);
}

/* Reads a reply of one array of structs (signature already checked) into a calloc'd array. */
static enum regs_client_err read_rows(struct regs_client *c, struct wire_iter *reply,
                                      size_t row_size, regs_row_reader read_row, void **out,
                                      size_t *n)
{
	struct wire_iter array, fields;
	size_t count = wire_enter_array(reply, &array), i;
	unsigned char *rows = calloc(count ? count : 1, row_size);

	if (!rows)
		return OUT_OF_MEMORY(c);
	for (i = 0; i < count && wire_array_next(&array, &fields); i++)
		read_row(&fields, rows + i * row_size);
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
	struct wire_iter reply;
	enum regs_client_err rc;

	*out = NULL;
	*n = 0;
	va_start(ap, n);
	rc = client_call_va(c, method, in_sig, reply_sig, &reply, ap);
	va_end(ap);
	if (rc != RC_OK)
		return rc;
	return read_rows(c, &reply, row_size, read_row, out, n);
}

/* Calls a method whose reply is only uint32s (reply_sig "uu...") and stores them in vals. */
static enum regs_client_err call_uints_va(struct regs_client *c, const char *method,
                                          const char *in_sig, const char *reply_sig, uint32_t *vals,
                                          size_t n, va_list ap)
{
	struct wire_iter it;
	enum regs_client_err rc;

	if (strlen(reply_sig) != n || strspn(reply_sig, "u") != n)
		return client_set_error(c, RC_PROTOCOL, CLIENT_ERROR_PROTOCOL,
		                        "%s: the contract says (%s), not %zu uint32s", method,
		                        reply_sig, n);
	rc = client_call_va(c, method, in_sig, reply_sig, &it, ap);
	if (rc != RC_OK)
		return rc;
	for (size_t i = 0; reply_sig[i]; i++)
		vals[i] = client_next_uint32(&it);
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
	struct wire_iter it;
	enum regs_client_err rc;
	size_t len;

	memset(out, 0, sizeof(*out));
	/* regsd answers once the mail is out: allow for a slow mail server
	 * (smtp_timeout_seconds is at most 300) beyond the usual call timeout. */
	int usual = c->timeout_ms;
	if (c->timeout_ms < MAIL_CALL_TIMEOUT_MS)
		c->timeout_ms = MAIL_CALL_TIMEOUT_MS;
	va_start(ap, out);
	rc = client_call_va(c, method, in_sig, reply_sig, &it, ap);
	va_end(ap);
	c->timeout_ms = usual;
	if (rc != RC_OK)
		return rc;
	client_copy_string(out->prefix, sizeof(out->prefix), client_next_string(&it));
	/* The prefix is the letters only ("KX"); a dash sent along is dropped. */
	len = strlen(out->prefix);
	if (len > 0 && out->prefix[len - 1] == '-')
		out->prefix[len - 1] = '\0';
	out->expires_in = client_next_uint32(&it);
	if (wire_iter_type(&it) == 'u')
		out->resend_after = client_next_uint32(&it);
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
