/* Where the regsd client connects: the direct socket's path, and the system bus address parsed
 * from the D-Bus address syntax ("unix:path=/x,guid=...;tcp:..."). */
#include "address.h"
#include "base/hex.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Decodes the value that runs from v to its end (',' ';' or NUL) into out. Its length, or -1. */
static int unescape(const char *v, char *out, size_t size)
{
	size_t n = 0;
	for (; *v && *v != ',' && *v != ';'; v++) {
		int c = (unsigned char)*v;
		if (c == '%') {
			int hi = regs_hex_digit(v[1]), lo = hi < 0 ? -1 : regs_hex_digit(v[2]);
			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			v += 2;
		}
		if (n + 1 >= size || c == 0)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

/* One address "unix:key=value,...": fills sa from path= or abstract=. 0, or -1 when it is
 * another transport or has neither. */
static int parse_one(const char *a, struct sockaddr_un *sa, socklen_t *len)
{
	if (strncmp(a, "unix:", 5) != 0)
		return -1;
	/* Its keys end at its ';': the next address's are not its own. */
	const char *end = a + strcspn(a, ";");
	for (const char *k = a + 5; k < end; k += strcspn(k, ",;") + 1) {
		int abstract = strncmp(k, "abstract=", 9) == 0;
		if (!abstract && strncmp(k, "path=", 5) != 0)
			continue;
		memset(sa, 0, sizeof(*sa));
		sa->sun_family = AF_UNIX;
		int n = unescape(k + (abstract ? 9 : 5), sa->sun_path + abstract,
		                 sizeof(sa->sun_path) - (size_t)abstract);
		if (n <= 0)
			return -1;
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)abstract +
		                   (size_t)n + (abstract ? 0 : 1));
		return 0;
	}
	return -1;
}

int address_parse(const char *list, struct sockaddr_un *sa, socklen_t *len)
{
	for (const char *a = list; a && *a; a = strchr(a, ';') ? strchr(a, ';') + 1 : NULL)
		if (parse_one(a, sa, len) == 0)
			return 0;
	return -1;
}

int address_direct(struct sockaddr_un *sa, socklen_t *len)
{
	const char *path = secure_getenv("REGS_DIRECT_SOCKET");
	if (!path || !*path)
		path = REGS_DIRECT_SOCKET;
	size_t n = strlen(path);
	if (path[0] != '/' || n >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int address_system_bus(struct sockaddr_un *sa, socklen_t *len)
{
	const char *list = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
	return address_parse(list && *list ? list : REGS_SYSTEM_BUS_DEFAULT, sa, len);
}
