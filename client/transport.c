/* The regsd client's socket: connecting (direct socket or system bus), EXTERNAL authentication
 * sent ahead of the first call, and whole messages in and out within a deadline. The host may
 * be sshd or a web server: no signal (MSG_NOSIGNAL), no descriptor left to a child (CLOEXEC). */
#include "transport.h"
#include "address.h"
#include "base/wipe.h"
#include "proto/bus.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 4096
#define AUTH_LINE_MAX 512

int64_t transport_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct transport *t, const char *what)
{
	snprintf(t->why, sizeof(t->why), "%s: %s", what, errno ? strerror(errno) : "protocol");
	return -1;
}

/* A blocking connect bounded by timeout_ms (a unix socket whose listen queue is full makes a
 * blocking connect wait), then non-blocking for the calls. */
static int connect_unix(struct transport *t, const struct sockaddr_un *sa, socklen_t len,
                        int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return fail(t, "socket");
	setsockopt(t->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(t->fd, (const struct sockaddr *)sa, len) != 0 ||
	    fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK) != 0) {
		int saved = errno;
		close(t->fd);
		t->fd = -1;
		errno = saved;
		return fail(t, sa->sun_path[0] ? sa->sun_path : "abstract socket");
	}
	return 0;
}

static int send_all(struct transport *t, const void *data, size_t len, int64_t deadline_ms)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n, len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(t, "send");
		struct pollfd pfd = {t->fd, POLLOUT, 0};
		int64_t left = deadline_ms - transport_now_ms();
		if (left <= 0 || (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)) {
			errno = ETIMEDOUT;
			return fail(t, "send");
		}
	}
	return 0;
}

/* "\0AUTH EXTERNAL <uid in hex digits of its decimal text>", then BEGIN at once (the server
 * checks the uid against the socket's kernel credentials, so only the truth gets an OK). */
static int send_auth(struct transport *t, int64_t deadline_ms)
{
	char uid[24], line[96];
	int n = snprintf(uid, sizeof(uid), "%lu", (unsigned long)getuid());
	size_t used = 0;
	line[used++] = '\0';
	used += (size_t)snprintf(line + used, sizeof(line) - used, "AUTH EXTERNAL ");
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%02x",
		                         (unsigned char)uid[i]);
	used += (size_t)snprintf(line + used, sizeof(line) - used, "\r\nBEGIN\r\n");
	return send_all(t, line, used, deadline_ms);
}

/* On the bus, Hello must be the first call; its answer (serial 1) is passed over later. */
static int send_hello(struct transport *t, int64_t deadline_ms)
{
	struct wire_call w;
	struct regs_buf msg = REGS_BUF_INIT(WIRE_MESSAGE_MAX);
	wire_call_init(&w);
	int rc = wire_call_finish(&w, ++t->serial, "org.freedesktop.DBus", "/org/freedesktop/DBus",
	                          "org.freedesktop.DBus", "Hello", &msg);
	if (rc == 0)
		rc = send_all(t, msg.data, msg.len, deadline_ms);
	wire_call_free(&w);
	regs_buf_free(&msg);
	return rc;
}

/* The direct socket must be served by root, as only root may own regsd's name on the bus:
 * the kernel tells who listens (SO_PEERCRED on the client's side). */
static int served_by_root(struct transport *t)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(t->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return fail(t, "credentials");
	if (cred.uid != 0) {
		errno = EPERM;
		return fail(t, "the direct socket is not served by root");
	}
	return 0;
}

int transport_open(struct transport *t, int bus, int timeout_ms)
{
	struct sockaddr_un sa;
	socklen_t len;
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->in.max = WIRE_MESSAGE_MAX + AUTH_LINE_MAX;
	t->on_bus = bus;
	if ((bus ? address_system_bus(&sa, &len) : address_direct(&sa, &len)) != 0) {
		errno = 0;
		return fail(t, "no usable address");
	}
	int64_t deadline = transport_now_ms() + timeout_ms;
	if (connect_unix(t, &sa, len, timeout_ms) != 0 || (!bus && served_by_root(t) != 0) ||
	    send_auth(t, deadline) != 0 || (bus && send_hello(t, deadline) != 0)) {
		transport_close(t);
		return -1;
	}
	return 0;
}

void transport_close(struct transport *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	regs_buf_free(&t->in);
}

int transport_closed(struct transport *t)
{
	char c;
	if (t->fd < 0)
		return 1;
	ssize_t n = recv(t->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* Drops the bytes the last answer used (wiped). */
static void drop_taken(struct transport *t)
{
	if (!t->taken)
		return;
	size_t rest = t->in.len - t->taken;
	memmove(t->in.data, t->in.data + t->taken, rest);
	regs_wipe(t->in.data + rest, t->taken);
	t->in.len = rest;
	t->in.data[rest] = '\0';
	t->taken = 0;
}

int transport_send(struct transport *t, struct regs_buf *msg, int64_t deadline_ms)
{
	drop_taken(t);
	if (t->fd < 0 || msg->len < WIRE_FIXED_HEADER)
		return -1;
	uint32_t serial = ++t->serial;
	for (int i = 0; i < 4; i++)
		msg->data[8 + i] = (char)(uint8_t)(serial >> (8 * i));
	return send_all(t, msg->data, msg->len, deadline_ms);
}

/* Reads what is there, waiting until the deadline. 0, -1 (closed or an error), -2 (deadline). */
static int read_more(struct transport *t, int64_t deadline_ms)
{
	for (;;) {
		if (regs_buf_reserve(&t->in, READ_CHUNK) != REGS_OK) {
			errno = EMSGSIZE;
			return fail(t, "answer");
		}
		ssize_t n = recv(t->fd, t->in.data + t->in.len, READ_CHUNK, 0);
		if (n > 0) {
			t->in.len += (size_t)n;
			t->in.data[t->in.len] = '\0';
			return 0;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			if (n == 0)
				errno = ECONNRESET;
			return fail(t, "receive");
		}
		struct pollfd pfd = {t->fd, POLLIN, 0};
		int64_t left = deadline_ms - transport_now_ms();
		if (left <= 0 || (poll(&pfd, 1, (int)left) == 0)) {
			errno = ETIMEDOUT;
			fail(t, "receive");
			return -2;
		}
	}
}

/* The server's answer to the authentication: "OK <guid>" lets the messages follow. */
static int read_auth(struct transport *t, int64_t deadline_ms)
{
	char *end;
	while (!(end = memchr(t->in.data ? t->in.data : "", '\n', t->in.len))) {
		if (t->in.len > AUTH_LINE_MAX)
			return errno = EPROTO, fail(t, "authentication");
		int rc = read_more(t, deadline_ms);
		if (rc == -1 && t->in.len == 0)
			t->shut_out = 1; /* regsd at its limit: it read nothing of ours */
		if (rc != 0)
			return rc;
	}
	int ok = t->in.len >= 3 && memcmp(t->in.data, "OK ", 3) == 0 && end[-1] == '\r';
	t->taken = (size_t)(end - t->in.data) + 1;
	drop_taken(t);
	if (!ok) {
		errno = EACCES;
		return fail(t, "authentication refused");
	}
	t->authed = 1;
	return 0;
}

/* One whole message at the start of in: its length, 0 when more must be read, or -1. */
static int whole_message(struct transport *t, size_t *len)
{
	*len = 0;
	if (t->in.len < WIRE_FIXED_HEADER)
		return 0;
	size_t n = wire_message_length((const uint8_t *)t->in.data, WIRE_MESSAGE_MAX);
	if (n == 0)
		return errno = EPROTO, fail(t, "answer");
	*len = t->in.len >= n ? n : 0;
	return 0;
}

int transport_answer(struct transport *t, uint32_t serial, int64_t deadline_ms,
                     struct wire_msg *answer)
{
	int rc = t->authed ? 0 : read_auth(t, deadline_ms);
	while (rc == 0) {
		size_t len;
		if (whole_message(t, &len) != 0)
			return -1;
		if (len == 0) {
			rc = read_more(t, deadline_ms);
			continue;
		}
		if (wire_parse((const uint8_t *)t->in.data, len, answer) != 0)
			return errno = EPROTO, fail(t, "malformed answer");
		t->taken = len;
		if ((answer->type == WIRE_METHOD_RETURN || answer->type == WIRE_ERROR) &&
		    answer->reply_serial == serial)
			return 0;
		drop_taken(t); /* a signal, or the answer to Hello */
	}
	return rc;
}
