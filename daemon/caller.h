/* Who is calling: the kernel-verified uid of a bus connection, its name and its privileges. */
#ifndef REGSD_CALLER_H
#define REGSD_CALLER_H
#include "account/record.h"
#include <dbus/dbus.h>
#include <sys/types.h>

#define CALLER_CACHE_SLOTS 256

struct caller {
	uid_t uid;
	char name[REC_NAME_MAX]; /* "" when NSS does not know the uid or the name is too long */
	int name_too_long;       /* NSS's name exceeds REGS_USER_NAME_MAX: refused, never cut */
	int is_admin;            /* root or member of admin_group */
	int is_verifier;         /* root, admin, or member of verifier_group */
};

/* Unique bus names are never reused, so a cached answer stays true for
 * the connection's life; a slot is simply overwritten when it collides. */
struct caller_slot {
	char sender[32];
	struct caller who;
};

struct caller_cache {
	struct caller_slot slot[CALLER_CACHE_SLOTS];
	const char *admin_group;
	const char *verifier_group;
};

/* Resolves the sender of msg with GetConnectionUnixUser (cached).
 * Returns 0 on success, -1 when the bus cannot tell. */
int caller_identify(struct caller_cache *cache, DBusConnection *bus, DBusMessage *msg,
                    struct caller *out);
/* The caller with kernel-verified uid uid: its name and privileges from NSS. */
void caller_resolve(struct caller_cache *cache, uid_t uid, struct caller *who);
/* True when NSS knows the user name. */
int caller_user_exists(const char *user);

#endif
