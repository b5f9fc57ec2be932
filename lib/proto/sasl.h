/* The server side of D-Bus authentication (specification, "Authentication Protocol") for
 * regsd's direct socket: EXTERNAL only, the claimed uid checked against the socket's kernel
 * credentials; no file descriptor passing. */
#ifndef REGS_SASL_H
#define REGS_SASL_H
#include "base/buf.h"
#include <stddef.h>
#include <sys/types.h>

enum sasl_state {
	SASL_WAIT_NUL,   /* the credentials byte */
	SASL_WAIT_AUTH,  /* AUTH */
	SASL_WAIT_DATA,  /* AUTH EXTERNAL without a uid: DATA follows */
	SASL_WAIT_BEGIN, /* OK sent */
	SASL_DONE,       /* BEGIN: messages follow */
	SASL_FAILED,     /* close the connection */
};

#define SASL_LINE_MAX 256
#define SASL_LINES_MAX 16

struct sasl_server {
	enum sasl_state state;
	uid_t peer_uid; /* from SO_PEERCRED */
	char guid[33];  /* the server's id, 32 hex digits */
	unsigned lines;
};

void sasl_server_init(struct sasl_server *s, uid_t peer_uid, const char *guid);
/* Takes the complete lines of in (len bytes); appends the answers to out. Returns the bytes used:
 * at SASL_DONE the rest of in is the first message. A line too long, too many lines, or a NUL
 * where none belongs make it SASL_FAILED. */
size_t sasl_server_feed(struct sasl_server *s, const char *in, size_t len, struct regs_buf *out);

#endif
