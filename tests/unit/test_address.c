/* Unit tests for where the regsd client connects (client/address.c): D-Bus server address lists
 * (unix:path= and unix:abstract=, %-escapes, other transports skipped) and regsd's direct socket
 * from $REGS_DIRECT_SOCKET, which must be an absolute path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "address.h"

#define PATH_AT offsetof(struct sockaddr_un, sun_path)

/* The path address_parse gives for list (a unix:path= one), or NULL when it refuses. */
static const char *parse_path(const char *list, struct sockaddr_un *sa)
{
	socklen_t len = 0;
	if (address_parse(list, sa, &len) != 0)
		return NULL;
	assert_int_equal(sa->sun_family, AF_UNIX);
	assert_int_equal(len, PATH_AT + strlen(sa->sun_path) + 1);
	return sa->sun_path;
}

static void test_unix_path_read(void **state)
{
	struct sockaddr_un sa;
	(void)state;
	assert_string_equal(parse_path("unix:path=/var/run/dbus/system_bus_socket", &sa),
	                    "/var/run/dbus/system_bus_socket");
	assert_string_equal(parse_path("unix:path=/x,guid=0123456789abcdef0123456789abcdef", &sa),
	                    "/x");
	assert_string_equal(parse_path("unix:guid=0123,path=/y", &sa), "/y");
}

static void test_unix_abstract_read(void **state)
{
	struct sockaddr_un sa;
	socklen_t len = 0;
	(void)state;
	assert_int_equal(address_parse("unix:abstract=/tmp/dbus-XYZ,guid=01", &sa, &len), 0);
	assert_int_equal(sa.sun_family, AF_UNIX);
	assert_int_equal(sa.sun_path[0], '\0');
	assert_memory_equal(sa.sun_path + 1, "/tmp/dbus-XYZ", 13);
	assert_int_equal(len, PATH_AT + 1 + 13); /* no NUL after an abstract name */
}

static void test_percent_escapes_decoded(void **state)
{
	struct sockaddr_un sa;
	(void)state;
	assert_string_equal(parse_path("unix:path=%2frun%2Fa%20b%2c%3bc", &sa), "/run/a b,;c");
	assert_string_equal(parse_path("unix:path=/caf%c3%a9", &sa), "/caf\xc3\xa9");
}

static void test_first_unix_address_of_a_list_taken(void **state)
{
	struct sockaddr_un sa;
	(void)state;
	assert_string_equal(parse_path("tcp:host=localhost,port=4711;unix:path=/second", &sa),
	                    "/second");
	assert_string_equal(parse_path("unix:tmpdir=/tmp;unix:path=/third;unix:path=/no", &sa),
	                    "/third");
	assert_string_equal(parse_path("unix:path=;unix:path=/after_empty", &sa), "/after_empty");
}

static void test_R12_6_invalid_escapes_refused(void **state)
{
	static const char *const bad[] = {"unix:path=/a%",   "unix:path=/a%2",  "unix:path=/a%zz",
	                                  "unix:path=/a%g0", "unix:path=/a%00", "unix:abstract=%0"};
	struct sockaddr_un sa;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(parse_path(bad[i], &sa));
}

static void test_R12_6_paths_too_long_refused(void **state)
{
	char list[300] = "unix:path=/";
	struct sockaddr_un sa;
	socklen_t len;
	(void)state;
	memset(list + 11, 'p', sizeof(sa.sun_path) - 2); /* with the '/': the longest path */
	assert_non_null(parse_path(list, &sa));
	assert_int_equal(strlen(sa.sun_path), sizeof(sa.sun_path) - 1);
	strcat(list, "p");
	assert_null(parse_path(list, &sa));
	strcpy(list, "unix:abstract=");
	memset(list + 14, 'q', 200);
	assert_int_equal(address_parse(list, &sa, &len), -1);
	list[14 + 100] = '\0';
	assert_int_equal(address_parse(list, &sa, &len), 0);
	assert_int_equal(len, PATH_AT + 1 + 100);
}

static void test_R12_6_no_usable_address_refused(void **state)
{
	static const char *const none[] = {"",
	                                   ";",
	                                   "unix:",
	                                   "unix:path=",
	                                   "unix:abstract=",
	                                   "unix:tmpdir=/tmp",
	                                   "unix:runtime=yes",
	                                   "tcp:host=localhost,port=4711",
	                                   "path=/x",
	                                   "unixpath=/x",
	                                   "nonce-tcp:path=/x"};
	struct sockaddr_un sa;
	(void)state;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		assert_null(parse_path(none[i], &sa));
}

/* The keys of one address end at its ';': a path= of the next, non-unix, address is not the
 * unix address's. */
static void test_R12_6_keys_read_within_their_own_address(void **state)
{
	struct sockaddr_un sa;
	(void)state;
	assert_null(parse_path("unix:tmpdir=/tmp;tcp:host=h,path=/not_unix", &sa));
	assert_string_equal(parse_path("unix:tmpdir=/tmp;tcp:host=h,path=/n;unix:path=/u", &sa),
	                    "/u");
}

static void test_direct_socket_from_environment(void **state)
{
	struct sockaddr_un sa;
	socklen_t len = 0;
	(void)state;
	assert_int_equal(unsetenv("REGS_DIRECT_SOCKET"), 0);
	assert_int_equal(address_direct(&sa, &len), 0);
	assert_string_equal(sa.sun_path, REGS_DIRECT_SOCKET);
	assert_int_equal(len, PATH_AT + strlen(REGS_DIRECT_SOCKET) + 1);
	assert_int_equal(setenv("REGS_DIRECT_SOCKET", "/tmp/regs test/d.sock", 1), 0);
	assert_int_equal(address_direct(&sa, &len), 0);
	assert_int_equal(sa.sun_family, AF_UNIX);
	assert_string_equal(sa.sun_path, "/tmp/regs test/d.sock"); /* a path, not an address */
	assert_int_equal(len, PATH_AT + strlen("/tmp/regs test/d.sock") + 1);
	assert_int_equal(setenv("REGS_DIRECT_SOCKET", "", 1), 0);
	assert_int_equal(address_direct(&sa, &len), 0);
	assert_string_equal(sa.sun_path, REGS_DIRECT_SOCKET);
	unsetenv("REGS_DIRECT_SOCKET");
}

static void test_R12_6_direct_socket_relative_or_too_long_refused(void **state)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct sockaddr_un sa;
	socklen_t len = 0;
	(void)state;
	assert_int_equal(setenv("REGS_DIRECT_SOCKET", "regsd.sock", 1), 0);
	assert_int_equal(address_direct(&sa, &len), -1);
	assert_int_equal(setenv("REGS_DIRECT_SOCKET", "unix:path=/run/regsd/regsd.sock", 1), 0);
	assert_int_equal(address_direct(&sa, &len), -1);
	memset(path, 'd', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0'; /* as long as sun_path: no room for the NUL */
	assert_int_equal(setenv("REGS_DIRECT_SOCKET", path, 1), 0);
	assert_int_equal(address_direct(&sa, &len), -1);
	path[sizeof(path) - 2] = '\0';
	assert_int_equal(setenv("REGS_DIRECT_SOCKET", path, 1), 0);
	assert_int_equal(address_direct(&sa, &len), 0);
	unsetenv("REGS_DIRECT_SOCKET");
}

static void test_system_bus_from_environment_or_default(void **state)
{
	struct sockaddr_un sa;
	socklen_t len = 0;
	(void)state;
	assert_int_equal(unsetenv("DBUS_SYSTEM_BUS_ADDRESS"), 0);
	assert_int_equal(address_system_bus(&sa, &len), 0);
	assert_string_equal(sa.sun_path, "/var/run/dbus/system_bus_socket");
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", "tcp:host=x;unix:path=/tmp/bus", 1), 0);
	assert_int_equal(address_system_bus(&sa, &len), 0);
	assert_string_equal(sa.sun_path, "/tmp/bus");
	assert_int_equal(setenv("DBUS_SYSTEM_BUS_ADDRESS", "tcp:host=x", 1), 0);
	assert_int_equal(address_system_bus(&sa, &len), -1);
	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unix_path_read),
	    cmocka_unit_test(test_unix_abstract_read),
	    cmocka_unit_test(test_percent_escapes_decoded),
	    cmocka_unit_test(test_first_unix_address_of_a_list_taken),
	    cmocka_unit_test(test_R12_6_invalid_escapes_refused),
	    cmocka_unit_test(test_R12_6_paths_too_long_refused),
	    cmocka_unit_test(test_R12_6_no_usable_address_refused),
	    cmocka_unit_test(test_R12_6_keys_read_within_their_own_address),
	    cmocka_unit_test(test_direct_socket_from_environment),
	    cmocka_unit_test(test_R12_6_direct_socket_relative_or_too_long_refused),
	    cmocka_unit_test(test_system_bus_from_environment_or_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
