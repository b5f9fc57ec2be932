/* Replies and argument checks shared by every method handler. */
#include "reply.h"
#include "base/error.h"
#include "proto/bus.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

void reply_args(struct request *r, int first_type, ...)
{
	va_list ap;
	DBusMessage *m = dbus_message_new_method_return(r->msg);
	if (!m)
		return;
	va_start(ap, first_type);
	if (!dbus_message_append_args_valist(m, first_type, ap)) {
		dbus_message_unref(m);
		m = NULL;
	}
	va_end(ap);
	r->reply = m;
}

static void reply_error_va(struct request *r, const char *name, const char *fmt, va_list ap)
{
	char text[256];
	vsnprintf(text, sizeof(text), fmt, ap);
	if (r->reply)
		dbus_message_unref(r->reply);
	r->reply = dbus_message_new_error(r->msg, name, text);
}

void reply_error(struct request *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error_va(r, name, fmt, ap);
	va_end(ap);
}

void reply_too_soon(struct request *r, uint32_t seconds, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	reply_error_va(r, REGS_E_TOO_SOON, fmt, ap);
	va_end(ap);
	if (r->reply &&
	    !dbus_message_append_args(r->reply, DBUS_TYPE_UINT32, &seconds, DBUS_TYPE_INVALID)) {
		dbus_message_unref(r->reply);
		r->reply = NULL;
	}
}

void reply_storage_error(struct request *r, int err)
{
	regsd_log(LOG_ERR, "storage error in %s: %s", dbus_message_get_member(r->msg),
	          regs_strerror((enum regs_err)err));
	reply_error(r, REGS_E_STORAGE, "storage error: %s", regs_strerror((enum regs_err)err));
}

int valid_user_name(const char *user)
{
	size_t len = strlen(user);
	if (len == 0 || len > REGS_USER_NAME_MAX || user[0] == '-')
		return 0;
	return strspn(user, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
	       len;
}

const char *request_target(struct request *r, const char *user, int allow_verifier)
{
	const struct caller *c = &r->caller;
	if (!*user) {
		if (c->name_too_long) {
			reply_error(
			    r, REGS_E_INVALID_ARGS,
			    "the user name of uid %u is longer than %d bytes: refused, not cut",
			    (unsigned)c->uid, REGS_USER_NAME_MAX);
			return NULL;
		}
		if (!*c->name) {
			reply_error(r, REGS_E_NO_SUCH_USER, "caller uid %u has no account",
			            (unsigned)c->uid);
			return NULL;
		}
		return c->name;
	}
	if (!valid_user_name(user)) {
		if (strlen(user) > REGS_USER_NAME_MAX)
			reply_error(r, REGS_E_INVALID_ARGS, "user name longer than %d bytes",
			            REGS_USER_NAME_MAX);
		else
			reply_error(r, REGS_E_INVALID_ARGS, "invalid user name");
		return NULL;
	}
	if (strcmp(user, c->name) == 0 || c->is_admin || (allow_verifier && c->is_verifier))
		return user;
	reply_error(r, REGS_E_ACCESS_DENIED, "uid %u may not act on another account",
	            (unsigned)c->uid);
	return NULL;
}

void caller_quota_key(const struct request *r, char *out, size_t size)
{
	if (r->caller.uid == 0)
		snprintf(out, size, "%s", dbus_message_get_sender(r->msg));
	else
		snprintf(out, size, "uid:%u", (unsigned)r->caller.uid);
}
