/* Inside the regsd client: the socket to regsd, either its direct socket (peer to peer) or the
 * system bus, the EXTERNAL authentication, and whole messages in and out with a deadline. */
#ifndef REGS_CLIENT_TRANSPORT_H
#define REGS_CLIENT_TRANSPORT_H
#include "base/buf.h"
#include "proto/wire.h"
#include <stdint.h>

struct transport {
	int fd;
	int on_bus;         /* through dbus-daemon: calls name a destination; Hello was sent */
	int authed;         /* the server's OK line was read */
	int shut_out;       /* closed before it authenticated: nothing sent on it was done */
	uint32_t serial;    /* of the last message sent */
	struct regs_buf in; /* bytes read and not yet taken (wiped: answers may hold secrets) */
	size_t taken;       /* bytes at the start of in that the last answer used */
	char why[128];      /* what went wrong, for the error message */
};

/* Connects to regsd's direct socket ($REGS_DIRECT_SOCKET when the process is not set-id, else
 * the built-in path), or with bus set, to the system bus ($DBUS_SYSTEM_BUS_ADDRESS, likewise).
 * The authentication (and the bus's Hello) are sent at once and their answers read with the
 * first reply. 0, or -1 with why set. */
int transport_open(struct transport *t, int bus, int timeout_ms);
void transport_close(struct transport *t);
/* 1 when the peer has closed the connection (nothing was sent on it since it answered). */
int transport_closed(struct transport *t);
/* Sends a built message; stamps its serial. 0 or -1. */
int transport_send(struct transport *t, struct regs_buf *msg, int64_t deadline_ms);
/* Reads until the answer to serial arrives (a method return or an error); other messages are
 * passed over. The answer's bytes stay valid until the next send. 0, -1 (connection lost or a
 * malformed message) or -2 (deadline). */
int transport_answer(struct transport *t, uint32_t serial, int64_t deadline_ms,
                     struct wire_msg *answer);
/* Now on CLOCK_MONOTONIC, in milliseconds. */
int64_t transport_now_ms(void);

#endif
