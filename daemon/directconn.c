/* One connection on regsd's direct socket: the authentication, whole messages in (checked by
 * libdbus's own demarshaller, as a bus message would be), answers out without blocking regsd. */
#include "directconn.h"
#include "base/wipe.h"
#include "daemon.h"
#include "proto/wire.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK 16384
#define OUT_MAX (8u << 20) /* answers a client has not read: past this it is dropped */

int directconn_add(struct direct *x, int fd, uid_t uid)
{
	struct direct_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->fd = fd;
	c->uid = uid;
	c->id = ++x->next_id;
	snprintf(c->sender, sizeof(c->sender), DIRECT_SENDER_PREFIX "%" PRIu64, c->id);
	sasl_server_init(&c->sasl, uid, x->guid);
	c->in.max = DIRECT_MESSAGE_MAX + SASL_LINE_MAX * SASL_LINES_MAX;
	c->out.max = OUT_MAX;
	x->conn[x->n++] = c;
	return 0;
}

void directconn_drop(struct direct *x, unsigned i, direct_gone_fn gone, void *ctx)
{
	struct direct_conn *c = x->conn[i];
	if (gone && c->sasl.state == SASL_DONE)
		gone(ctx, c->sender);
	close(c->fd);
	regs_buf_free(&c->in);
	regs_buf_free(&c->out);
	free(c);
	x->conn[i] = x->conn[--x->n];
	x->conn[x->n] = NULL;
}

struct direct_conn *directconn_find(struct direct *x, const char *sender)
{
	if (!direct_is_sender(sender))
		return NULL;
	for (unsigned i = 0; i < x->n; i++)
		if (strcmp(x->conn[i]->sender, sender) == 0)
			return x->conn[i];
	return NULL;
}

/* Writes what is queued; 0, or -1 when the connection is broken. */
static int flush_out(struct direct_conn *c)
{
	size_t done = 0;
	if (!c->out.len)
		return 0;
	while (done < c->out.len) {
		ssize_t n =
		    send(c->fd, c->out.data + done, c->out.len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	memmove(c->out.data, c->out.data + done, c->out.len - done);
	c->out.len -= done;
	return 0;
}

void directconn_send(struct direct *x, struct direct_conn *c, DBusMessage *reply)
{
	char *bytes = NULL;
	int len = 0;
	(void)x;
	dbus_message_set_serial(reply, ++c->serial ? c->serial : ++c->serial);
	if (!dbus_message_marshal(reply, &bytes, &len))
		return; /* out of memory: the client's call times out, as on the bus */
	regs_buf_append(&c->out, bytes, (size_t)len);
	dbus_free(bytes);
	/* A client that does not read its answers, or a broken socket: dropped at the next look. */
	if (c->out.err != REGS_OK || flush_out(c) != 0)
		c->broken = 1;
}

/* The authentication lines at the start of in; the rest is messages. */
static int authenticate(struct direct_conn *c)
{
	if (!c->in.len)
		return 0;
	size_t used = sasl_server_feed(&c->sasl, c->in.data, c->in.len, &c->out);
	memmove(c->in.data, c->in.data + used, c->in.len - used);
	c->in.len -= used;
	if (c->sasl.state == SASL_FAILED || c->out.err != REGS_OK || flush_out(c) != 0)
		return -1;
	return 0;
}

int directconn_ready(const struct direct_conn *c)
{
	if (c->sasl.state != SASL_DONE || c->in.len < WIRE_FIXED_HEADER)
		return 0;
	size_t n = wire_message_length((const uint8_t *)c->in.data, DIRECT_MESSAGE_MAX);
	return n > 0 && c->in.len >= n;
}

/* The whole message at the start of in (directconn_ready), or NULL with *bad set when it is
 * malformed, or NULL alone when it is dropped. Only method
 * calls are taken: a peer-to-peer client has nothing else to send regsd. */
static DBusMessage *take_message(struct direct_conn *c, int *bad)
{
	DBusError err;
	size_t n = wire_message_length((const uint8_t *)c->in.data, DIRECT_MESSAGE_MAX);
	dbus_error_init(&err);
	DBusMessage *m = dbus_message_demarshal(c->in.data, (int)n, &err);
	dbus_error_free(&err);
	memmove(c->in.data, c->in.data + n, c->in.len - n);
	regs_wipe(c->in.data + c->in.len - n, n);
	c->in.len -= n;
	if (c->in.len == 0 && c->in.cap > 2 * READ_CHUNK)
		regs_buf_free(&c->in); /* a large call passed: its room goes back */
	if (!m || dbus_message_get_type(m) != DBUS_MESSAGE_TYPE_METHOD_CALL ||
	    dbus_message_contains_unix_fds(m) || !dbus_message_set_sender(m, c->sender)) {
		if (m)
			dbus_message_unref(m);
		*bad = !m; /* a malformed message ends the connection; a stray reply is dropped */
		return NULL;
	}
	return m;
}

static int read_in(struct direct_conn *c)
{
	if (regs_buf_reserve(&c->in, READ_CHUNK) != REGS_OK)
		return -1;
	ssize_t n = recv(c->fd, c->in.data + c->in.len, READ_CHUNK, MSG_DONTWAIT);
	if (n > 0)
		c->in.len += (size_t)n;
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)) ? 0 : -1;
}

int directconn_service(struct direct *x, unsigned i, short revents, DBusMessage **out, int max,
                       direct_gone_fn gone, void *ctx)
{
	struct direct_conn *c = x->conn[i];
	int got = 0, bad = 0;
	if (c->broken || ((revents & POLLOUT) && flush_out(c) != 0))
		bad = 1;
	if (!bad && (revents & (POLLIN | POLLHUP | POLLERR)) && read_in(c) != 0)
		bad = 1;
	if (!bad && c->sasl.state != SASL_DONE && authenticate(c) != 0)
		bad = 1;
	while (!bad && got < max && directconn_ready(c)) {
		DBusMessage *m = take_message(c, &bad);
		if (m)
			out[got++] = m;
	}
	if (!bad && c->sasl.state == SASL_DONE && c->in.len >= WIRE_FIXED_HEADER &&
	    wire_message_length((const uint8_t *)c->in.data, DIRECT_MESSAGE_MAX) == 0)
		bad = 1; /* not a message, or one too long */
	if (bad)
		directconn_drop(x, i, gone, ctx);
	return got;
}
