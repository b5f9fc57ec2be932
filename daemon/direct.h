/* regsd's direct socket: pam_regs's peer-to-peer connections to regsd, beside the system bus.
 * The same contract (data/tw.regs.Daemon1.xml), the same messages and handlers; the caller is
 * the uid the kernel gives for the socket (SO_PEERCRED), checked at authentication. */
#ifndef REGSD_DIRECT_H
#define REGSD_DIRECT_H
#include "base/buf.h"
#include "caller.h"
#include "proto/sasl.h"
#include <dbus/dbus.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#define DIRECT_CONNS_MAX 512  /* connections at once */
#define DIRECT_PER_UID_MAX 32 /* for each uid but root: one user cannot crowd out sshd */
/* Kept for root (sshd, login, su): all other users together never take the last of them. */
#define DIRECT_ROOT_RESERVE 64
#define DIRECT_MESSAGE_MAX (1u << 20)
/* A direct caller's sender name; the bus never gives out such a name (its are ":1.N"). */
#define DIRECT_SENDER_PREFIX ":regsd-direct."

struct direct_conn {
	int fd;
	uint64_t id;
	char sender[40];
	uid_t uid;
	struct sasl_server sasl;
	struct regs_buf in;  /* read, not yet taken (wiped: calls carry codes) */
	struct regs_buf out; /* to send (the socket was full) */
	uint32_t serial;     /* of the last message regsd sent on it */
	int broken;          /* an answer could not be queued: dropped at the next look */
	int caller_known;
	struct caller who; /* resolved once per connection */
};

struct direct {
	int listen_fd; /* -1: no direct socket */
	char path[108];
	uint64_t next_id;
	char guid[33];
	struct direct_conn *conn[DIRECT_CONNS_MAX];
	unsigned n;
	int64_t last_refusal_log;
};

/* Called with the sender name of each direct connection that goes away. */
typedef void (*direct_gone_fn)(void *ctx, const char *sender);

/* Listens on path ("" = none): the parent directory must be root's (or regsd's) and not
 * writable by others; a stale socket there is replaced, any other file refuses. 0 or -1. */
int direct_start(struct direct *x, const char *path);
void direct_stop(struct direct *x);
/* The descriptors to wait on: fills fds (room for 1 + DIRECT_CONNS_MAX), returns how many. */
int direct_fill_poll(struct direct *x, struct pollfd *fds);
/* After poll: accepts, authenticates, reads. Whole calls go to out (at most max, sender set to
 * the connection's name; the caller unrefs them); connections that closed or misbehaved are
 * dropped and named to gone. Returns the number of calls. */
int direct_take(struct direct *x, const struct pollfd *fds, int nfds, DBusMessage **out, int max,
                direct_gone_fn gone, void *ctx);
/* 1 when a whole call is already read and waits (do not sleep in poll). */
int direct_pending(const struct direct *x);
/* 1 when sender names a direct connection. */
int direct_is_sender(const char *sender);
/* Sends reply on the connection the call came from (dropped when it is gone). */
void direct_send(struct direct *x, DBusMessage *call, DBusMessage *reply);
/* The caller of a direct connection (resolved once). 0, or -1 when the connection is gone. */
int direct_caller(struct direct *x, struct caller_cache *cache, const char *sender,
                  struct caller *out);

#endif
