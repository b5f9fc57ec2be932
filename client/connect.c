/* The regsd client's connection (regsd's direct socket, else the system bus) and its errors:
 * D-Bus error names mapped to enum regs_client_err, with the typed values regsd sends along. */
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
    {CLIENT_ERROR_NO_REPLY, RC_UNREACHABLE},
    {"org.freedesktop.DBus.Error.ServiceUnknown", RC_UNREACHABLE},
    {"org.freedesktop.DBus.Error.NameHasNoOwner", RC_UNREACHABLE},
    {CLIENT_ERROR_DISCONNECTED, RC_UNREACHABLE},
    {CLIENT_ERROR_NO_SERVER, RC_UNREACHABLE},
    {"org.freedesktop.DBus.Error.Timeout", RC_UNREACHABLE},
    {"org.freedesktop.DBus.Error.TimedOut", RC_UNREACHABLE},
    {CLIENT_ERROR_NO_MEMORY, RC_NOMEM},
    {"org.freedesktop.DBus.Error.AccessDenied", RC_DENIED},
    {REGS_E_ACCESS_DENIED, RC_DENIED},
    {REGS_E_INVALID_ARGS, RC_INVALID},
    {REGS_E_NO_SUCH_USER, RC_NO_SUCH_USER},
    {REGS_E_ALREADY_BOUND, RC_ALREADY_BOUND},
    {REGS_E_NO_SUCH_ENROLMENT, RC_NO_ENROLMENT},
    {REGS_E_STORAGE, RC_STORAGE},
    {REGS_E_UNAVAILABLE, RC_UNAVAILABLE},
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
enum regs_client_err client_record_error_reply(struct regs_client *c, const struct wire_msg *reply)
{
	const char *name = reply->error_name;
	const char *message = "";
	struct wire_iter it;
	enum regs_client_err rc;

	wire_iter_init(&it, reply);
	if (wire_iter_type(&it) == 's')
		message = client_next_string(&it);
	rc = client_set_error(c, map_error_name(name), name ? name : "", "%s", message);
	if (wire_iter_type(&it) == 'u') {
		c->error_wait_seconds = client_next_uint32(&it);
		c->error_has_wait = 1;
	}
	return rc;
}

/* The direct socket first (a peer-to-peer connection to regsd: no bus hop, no Hello); when it
 * is not there (regsd not started yet, or an older regsd), the system bus, which also starts
 * regsd on demand. */
enum regs_client_err client_connect(struct regs_client *c)
{
	transport_close(&c->t);
	if (!c->bus_only && transport_open(&c->t, 0, c->timeout_ms) == 0)
		return RC_OK;
	return client_connect_bus(c);
}

enum regs_client_err client_connect_bus(struct regs_client *c)
{
	transport_close(&c->t);
	if (transport_open(&c->t, 1, c->timeout_ms) == 0)
		return RC_OK;
	return client_set_error(c, RC_UNREACHABLE, CLIENT_ERROR_NO_SERVER, "%s", c->t.why);
}

static enum regs_client_err open_client(int timeout_ms, int bus_only, struct regs_client **out)
{
	struct regs_client *c;
	enum regs_client_err rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return RC_NOMEM;
	c->t.fd = -1;
	c->bus_only = bus_only;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : REGS_CLIENT_DEFAULT_TIMEOUT_MS;
	rc = client_connect(c);
	if (rc != RC_OK) {
		regs_client_close(c);
		return rc;
	}
	*out = c;
	return RC_OK;
}

enum regs_client_err regs_client_open(int timeout_ms, struct regs_client **out)
{
	return open_client(timeout_ms, 0, out);
}

enum regs_client_err regs_client_open_bus(int timeout_ms, struct regs_client **out)
{
	return open_client(timeout_ms, 1, out);
}

void regs_client_close(struct regs_client *c)
{
	if (!c)
		return;
	transport_close(&c->t);
	free(c);
}

int regs_client_direct(const struct regs_client *c)
{
	return c && c->t.fd >= 0 && !c->t.on_bus;
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
