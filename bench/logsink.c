/* A /dev/log that accepts and drops messages: bench/run gives it to every driver so that a
 * module's syslog line costs what it costs on a host with a syslog daemon, not a console
 * write. Binds a unix datagram socket at PATH, says "ready", counts what arrives; on SIGTERM
 * prints the count, removes PATH and exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int bind_sink(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || strlen(path) >= sizeof(addr.sun_path))
		return -1;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || chmod(path, 0666) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART: recv returns EINTR */
	char buf[8192];
	unsigned long messages = 0;
	if (argc != 2) {
		fprintf(stderr, "Usage: logsink PATH\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int fd = bind_sink(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "logsink: cannot bind %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			messages++;
	unlink(argv[1]);
	fprintf(stderr, "logsink: %lu messages dropped\n", messages);
	return 0;
}
