/* Arguments of a method call whose signature the method table already checked. */
#include "request.h"

void request_strings(struct request *r, const char **out, int n)
{
	DBusMessageIter it;
	dbus_message_iter_init(r->msg, &it);
	for (int i = 0; i < n; i++) {
		dbus_message_iter_get_basic(&it, &out[i]);
		dbus_message_iter_next(&it);
	}
}
