/* Building replies: success values, named errors, and the argument checks every handler shares. */
#ifndef REGSD_REPLY_H
#define REGSD_REPLY_H
#include "daemon.h"

/* Sets r->reply to a method return carrying the given arguments
 * (dbus_message_append_args style, terminated by DBUS_TYPE_INVALID). */
void reply_args(struct request *r, int first_type, ...);
/* Sets r->reply to a named error with a formatted message (no secrets). */
void reply_error(struct request *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets r->reply to tw.regs.Error.TooSoon carrying (s message, u seconds_to_wait): the typed wait
 * is what clients read, the message is for logs. */
void reply_too_soon(struct request *r, uint32_t seconds, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Maps a storage error to tw.regs.Error.Storage and logs it once. */
void reply_storage_error(struct request *r, int err);

/* A user name regsd accepts: 1..REGS_USER_NAME_MAX (255) bytes of [A-Za-z0-9._@-], not starting
 * with '-'. */
int valid_user_name(const char *user);

/* Resolves the account a call acts on: "" means the caller's own account.
 * Acting on another account needs admin (or verifier when allow_verifier).
 * On refusal sets the error reply and returns NULL. */
const char *request_target(struct request *r, const char *user, int allow_verifier);

/* Whose quota a request draws on (R12.2): each connection of root (every login through sshd or
 * login is root's, one connection each), otherwise the caller's uid, however many connections it
 * opens. */
void caller_quota_key(const struct request *r, char *out, size_t size);

#endif
