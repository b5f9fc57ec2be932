/* Where the regsd client connects: regsd's direct socket, or the system bus. */
#ifndef REGS_CLIENT_ADDRESS_H
#define REGS_CLIENT_ADDRESS_H
#include <sys/socket.h>
#include <sys/un.h>

#ifndef REGS_DIRECT_SOCKET
#define REGS_DIRECT_SOCKET "/run/regsd/regsd.sock"
#endif
#define REGS_SYSTEM_BUS_DEFAULT "unix:path=/var/run/dbus/system_bus_socket"

/* regsd's direct socket: $REGS_DIRECT_SOCKET (a path; ignored in a set-id process, as libdbus
 * ignores $DBUS_SYSTEM_BUS_ADDRESS there), else REGS_DIRECT_SOCKET. 0 or -1. */
int address_direct(struct sockaddr_un *sa, socklen_t *len);
/* The system bus: the first unix:path= or unix:abstract= address of $DBUS_SYSTEM_BUS_ADDRESS
 * (same rule), else the standard one. 0 or -1. */
int address_system_bus(struct sockaddr_un *sa, socklen_t *len);
/* Parses a D-Bus server address list (specification, "Server Addresses"): the first unix
 * transport with a path or abstract name, its %-escapes decoded. 0 or -1. */
int address_parse(const char *list, struct sockaddr_un *sa, socklen_t *len);

#endif
