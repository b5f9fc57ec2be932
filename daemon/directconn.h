/* Inside regsd's direct socket (direct.c): one connection's reading, authentication and
 * sending (directconn.c). */
#ifndef REGSD_DIRECTCONN_H
#define REGSD_DIRECTCONN_H
#include "direct.h"

/* A new connection with the kernel's uid for it. 0 or -1 (no memory). */
int directconn_add(struct direct *x, int fd, uid_t uid);
/* Closes connection i; its slot takes the last one. gone (may be NULL) hears of an
 * authenticated one. */
void directconn_drop(struct direct *x, unsigned i, direct_gone_fn gone, void *ctx);
struct direct_conn *directconn_find(struct direct *x, const char *sender);
/* 1 when a whole message is already read. */
int directconn_ready(const struct direct_conn *c);
/* Works connection i after poll (revents may be 0 when a message waits); whole calls go to out
 * (at most max). A broken or misbehaving connection is dropped. Returns the calls taken. */
int directconn_service(struct direct *x, unsigned i, short revents, DBusMessage **out, int max,
                       direct_gone_fn gone, void *ctx);
/* Queues reply and writes what the socket takes now. */
void directconn_send(struct direct *x, struct direct_conn *c, DBusMessage *reply);

#endif
