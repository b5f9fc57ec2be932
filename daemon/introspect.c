/* Introspection of regsd's object and of the path down to it. */
#include "introspect.h"
#include "proto/bus.h"
#include <stdio.h>
#include <string.h>

#define INTROSPECT_DOCTYPE                                                                         \
	"<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"       \
	" \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"

/* The node on the way to REGS_BUS_PATH below path ("/" -> "tw"), or NULL when path is not a
 * parent of it; *len is the child's length. */
static const char *child_below(const char *path, size_t *len)
{
	size_t n = strcmp(path, "/") == 0 ? 0 : strlen(path);
	const char *rest = REGS_BUS_PATH + n;
	if (strncmp(REGS_BUS_PATH, path, n) != 0 || rest[0] != '/' || !rest[1])
		return NULL;
	rest++;
	*len = strcspn(rest, "/");
	return rest;
}

static DBusMessage *introspection_of(DBusMessage *msg, const char *path)
{
	char parent[256];
	const char *xml = regsd_introspection_xml, *child;
	size_t len = 0;
	if (strcmp(path, REGS_BUS_PATH) != 0) {
		child = child_below(path, &len);
		if (!child)
			return NULL;
		snprintf(parent, sizeof(parent),
		         INTROSPECT_DOCTYPE "<node>\n  <node name=\"%.*s\"/>\n</node>\n", (int)len,
		         child);
		xml = parent;
	}
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	return reply;
}

int introspect_answer(struct daemon *d, DBusMessage *msg)
{
	const char *path = dbus_message_get_path(msg);
	if (!dbus_message_is_method_call(msg, DBUS_INTERFACE_INTROSPECTABLE, "Introspect") || !path)
		return 0;
	DBusMessage *reply;
	if (!dbus_message_has_signature(msg, ""))
		reply = dbus_message_new_error(msg, DBUS_ERROR_INVALID_ARGS, "Introspect takes ()");
	else if (!(reply = introspection_of(msg, path)))
		return 0; /* not our object: answered as any unknown object */
	if (reply) {
		service_send(d, msg, reply);
		dbus_message_unref(reply);
	}
	return 1;
}
