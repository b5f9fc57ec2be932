/* regsd's direct socket: listening, accepting within the limits, and routing answers back to
 * the connection a call came from. Reading and authentication: directconn.c. */
#include "direct.h"
#include "base/random.h"
#include "daemon.h"
#include "directconn.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* The directory holds the socket: whoever may write there could put their own socket in its
 * place. Created (0755) when missing, as systemd's RuntimeDirectory would. */
static int check_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return -1;
	*slash = '\0';
	if (lstat(dir, &st) != 0 && errno == ENOENT && mkdir(dir, 0755) != 0)
		return -1;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022)) {
		regsd_log(LOG_ERR,
		          "direct socket %s refused: its directory must be root's and not writable "
		          "by group or others",
		          path);
		return -1;
	}
	return 0;
}

/* A socket left by a regsd that did not stop cleanly is removed (this regsd owns the bus name,
 * so no other one is running); anything else at the path is not ours to remove. */
static int clear_stale(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		regsd_log(LOG_ERR, "direct socket %s refused: a file that is not a socket is there",
		          path);
		return -1;
	}
	return unlink(path);
}

static void make_guid(char guid[33])
{
	uint8_t raw[16];
	if (regs_random_bytes(raw, sizeof(raw)) != REGS_OK)
		memset(raw, 0x5a, sizeof(raw));
	for (int i = 0; i < 16; i++)
		snprintf(guid + 2 * i, 3, "%02x", raw[i]);
}

int direct_start(struct direct *x, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memset(x, 0, sizeof(*x));
	x->listen_fd = -1;
	if (!*path)
		return 0;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		regsd_log(LOG_ERR, "direct socket %s refused: not an absolute path that fits",
		          path);
		return -1;
	}
	if (check_parent(path) != 0 || clear_stale(path) != 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	x->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (x->listen_fd < 0 || bind(x->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0666) != 0 || listen(x->listen_fd, 128) != 0) {
		regsd_log(LOG_ERR, "direct socket %s: %s", path, strerror(errno));
		direct_stop(x);
		return -1;
	}
	snprintf(x->path, sizeof(x->path), "%s", path);
	make_guid(x->guid);
	return 0;
}

void direct_stop(struct direct *x)
{
	while (x->n > 0)
		directconn_drop(x, x->n - 1, NULL, NULL);
	if (x->listen_fd >= 0) {
		close(x->listen_fd);
		if (*x->path)
			unlink(x->path);
	}
	x->listen_fd = -1;
	x->path[0] = '\0';
}

int direct_fill_poll(struct direct *x, struct pollfd *fds)
{
	int n = 0;
	if (x->listen_fd < 0)
		return 0;
	fds[n++] = (struct pollfd){x->listen_fd, POLLIN, 0};
	for (unsigned i = 0; i < x->n; i++)
		fds[n++] = (struct pollfd){
		    x->conn[i]->fd, (short)(POLLIN | (x->conn[i]->out.len ? POLLOUT : 0)), 0};
	return n;
}

static unsigned count_uid(const struct direct *x, uid_t uid)
{
	unsigned k = 0;
	for (unsigned i = 0; i < x->n; i++)
		k += x->conn[i]->uid == uid;
	return k;
}

/* Over a limit: the connection is closed at once, before authentication, so nothing it sent
 * was done, and its client goes to the bus instead; logged at most once a minute. */
static void refuse(struct direct *x, int fd, uid_t uid)
{
	struct timespec ts;
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec - x->last_refusal_log < 60)
		return;
	x->last_refusal_log = ts.tv_sec;
	regsd_log(
	    LOG_WARNING,
	    "direct socket: connection of uid %lu refused (%u open, at most %d per uid and %d "
	    "in all, the last %d for root); its client uses the bus",
	    (unsigned long)uid, x->n, DIRECT_PER_UID_MAX, DIRECT_CONNS_MAX, DIRECT_ROOT_RESERVE);
}

static void accept_new(struct direct *x)
{
	for (;;) {
		int fd = accept4(x->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			close(fd);
			continue;
		}
		if (x->n >= DIRECT_CONNS_MAX ||
		    (cred.uid != 0 && (x->n >= DIRECT_CONNS_MAX - DIRECT_ROOT_RESERVE ||
		                       count_uid(x, cred.uid) >= DIRECT_PER_UID_MAX)) ||
		    directconn_add(x, fd, cred.uid) != 0)
			refuse(x, fd, cred.uid);
	}
}

static short revents_of(const struct pollfd *fds, int nfds, int fd)
{
	for (int k = 1; k < nfds; k++)
		if (fds[k].fd == fd)
			return fds[k].revents;
	return 0;
}

int direct_take(struct direct *x, const struct pollfd *fds, int nfds, DBusMessage **out, int max,
                direct_gone_fn gone, void *ctx)
{
	int got = 0;
	if (x->listen_fd < 0)
		return 0;
	/* A dropped connection's slot takes the last one: the same index is looked at again. */
	for (unsigned i = 0; i < x->n && got < max;) {
		unsigned before = x->n;
		short ev = revents_of(fds, nfds, x->conn[i]->fd);
		if (ev || x->conn[i]->broken || directconn_ready(x->conn[i]))
			got += directconn_service(x, i, ev, out + got, max - got, gone, ctx);
		if (x->n == before)
			i++;
	}
	if (nfds > 0 && (fds[0].revents & POLLIN))
		accept_new(x);
	return got;
}

int direct_pending(const struct direct *x)
{
	for (unsigned i = 0; i < x->n; i++)
		if (directconn_ready(x->conn[i]))
			return 1;
	return 0;
}

int direct_is_sender(const char *sender)
{
	return sender && strncmp(sender, DIRECT_SENDER_PREFIX, strlen(DIRECT_SENDER_PREFIX)) == 0;
}

void direct_send(struct direct *x, DBusMessage *call, DBusMessage *reply)
{
	struct direct_conn *c = directconn_find(x, dbus_message_get_sender(call));
	if (c)
		directconn_send(x, c, reply);
}

int direct_caller(struct direct *x, struct caller_cache *cache, const char *sender,
                  struct caller *out)
{
	struct direct_conn *c = directconn_find(x, sender);
	if (!c)
		return -1;
	if (!c->caller_known) {
		caller_resolve(cache, c->uid, &c->who);
		c->caller_known = 1;
	}
	*out = c->who;
	return 0;
}
