/* The regsd client's connection to the system bus and its errors: D-Bus error names mapped to
 * enum regs_client_err, with the typed values regsd sends along. */
#include "call.h"
#include "proto/bus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	enum regs_client_err err;
} error_map[] = {
    {DBUS_ERROR_NO_REPLY, RC_UNREACHABLE},
    {DBUS_ERROR_SERVICE_UNKNOWN, RC_UNREACHABLE},
    {DBUS_ERROR_NAME_HAS_NO_OWNER, RC_UNREACHABLE},
    {DBUS_ERROR_DISCONNECTED, RC_UNREACHABLE},
    {DBUS_ERROR_NO_SERVER, RC_UNREACHABLE},
    {DBUS_ERROR_TIMEOUT, RC_UNREACHABLE},
    {DBUS_ERROR_TIMED_OUT, RC_UNREACHABLE},
    {DBUS_ERROR_NO_MEMORY, RC_NOMEM},
    {DBUS_ERROR_ACCESS_DENIED, RC_DENIED},
    {REGS_E_ACCESS_DENIED, RC_DENIED},
    {REGS_E_INVALID_ARGS, RC_INVALID},
    {REGS_E_NO_SUCH_USER, RC_NO_SUCH_USER},
    {REGS_E_ALREADY_BOUND, RC_ALREADY_BOUND},
    {REGS_E_NO_SUCH_ENROLMENT, RC_NO_ENROLMENT},
    {REGS_E_STORAGE, RC_STORAGE},
    {REGS_E_STEP_UP_REQUIRED, RC_STEP_UP_REQUIRED},
    {REGS_E_NOT_ALLOWED, RC_NOT_ALLOWED},
    {REGS_E_CONTACT_ADMIN, RC_CONTACT_ADMIN},
    {REGS_E_NO_VERIFIED_EMAIL, RC_NO_VERIFIED_EMAIL},
    {REGS_E_MAIL_FAILED, RC_MAIL_FAILED},
    {REGS_E_TOO_SOON, RC_TOO_SOON},
    {REGS_E_UNREACHABLE, RC_PROVIDER_UNREACHABLE},
    {REGS_E_NOT_CONFIGURED, RC_NOT_CONFIGURED},
};

#define DBUS_SPAWN_ERROR_PREFIX "org.freedesktop.DBus.Error.Spawn."

static enum regs_client_err map_error_name(const char *name)
{
	if (!name)
		return RC_PROTOCOL;
	for (size_t i = 0; i < sizeof(error_map) / sizeof(error_map[0]); i++) {
		if (strcmp(name, error_map[i].name) == 0)
			return error_map[i].err;
	}
	/* Bus activation of regsd failed: as good as not running. */
	if (strncmp(name, DBUS_SPAWN_ERROR_PREFIX, strlen(DBUS_SPAWN_ERROR_PREFIX)) == 0)
		return RC_UNREACHABLE;
	return RC_PROTOCOL;
}

enum regs_client_err client_set_error(struct regs_client *c, enum regs_client_err err,
                                      const char *name, const char *fmt, ...)
{
	va_list ap;

	c->error_has_wait = 0;
	c->error_wait_seconds = 0;
	snprintf(c->error_name, sizeof(c->error_name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(c->error_message, sizeof(c->error_message), fmt, ap);
	va_end(ap);
	return err;
}

/* regsd's errors are (s message), TooSoon's (s message, u seconds_to_wait) (the bus contract,
 * data/tw.regs.Daemon1.xml). */
enum regs_client_err client_record_error_reply(struct regs_client *c, DBusMessage *reply)
{
	const char *name = dbus_message_get_error_name(reply);
	const char *message = "";
	DBusMessageIter it;
	enum regs_client_err rc;

	if (dbus_message_iter_init(reply, &it) &&
	    dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_STRING)
		message = client_next_string(&it);
	rc = client_set_error(c, map_error_name(name), name ? name : "", "%s", message);
	if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_UINT32) {
		c->error_wait_seconds = client_next_uint32(&it);
		c->error_has_wait = 1;
	}
	return rc;
}

enum regs_client_err regs_client_open(int timeout_ms, struct regs_client **out)
{
	struct regs_client *c;
	DBusError error;
	enum regs_client_err rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return RC_NOMEM;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : DBUS_TIMEOUT_USE_DEFAULT;
	dbus_error_init(&error);
	c->conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &error);
	if (!c->conn) {
		rc = dbus_error_has_name(&error, DBUS_ERROR_NO_MEMORY) ? RC_NOMEM : RC_UNREACHABLE;
		dbus_error_free(&error);
		free(c);
		return rc;
	}
	/* libdbus would otherwise _exit() the host process (sshd, login) when the bus goes away. */
	dbus_connection_set_exit_on_disconnect(c->conn, FALSE);
	*out = c;
	return RC_OK;
}

void regs_client_close(struct regs_client *c)
{
	if (!c)
		return;
	if (c->conn) {
		dbus_connection_close(c->conn);
		dbus_connection_unref(c->conn);
	}
	free(c);
}

const char *regs_client_error_name(const struct regs_client *c)
{
	return c ? c->error_name : "";
}

const char *regs_client_error_message(const struct regs_client *c)
{
	return c ? c->error_message : "";
}

int regs_client_error_wait(const struct regs_client *c, uint32_t *seconds)
{
	if (!c || !c->error_has_wait)
		return 0;
	*seconds = c->error_wait_seconds;
	return 1;
}
