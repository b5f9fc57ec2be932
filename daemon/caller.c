/* Identifies callers by the uid the bus daemon took from the kernel (SO_PEERCRED), never by
 * arguments. */
#include "caller.h"
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

static unsigned slot_of(const char *sender)
{
	unsigned h = 5381;
	for (const char *p = sender; *p; p++)
		h = h * 33u + (unsigned char)*p;
	return h % CALLER_CACHE_SLOTS;
}

static int in_group(const char *user, gid_t primary, const char *group)
{
	if (!group || !*group || !*user)
		return 0;
	struct group *gr = getgrnam(group);
	if (!gr)
		return 0;
	gid_t want = gr->gr_gid;
	int n = 64;
	gid_t *groups = malloc(sizeof(gid_t) * (size_t)n);
	if (groups && getgrouplist(user, primary, groups, &n) < 0) {
		gid_t *bigger = realloc(groups, sizeof(gid_t) * (size_t)n);
		groups = bigger;
		if (groups && getgrouplist(user, primary, groups, &n) < 0)
			n = 0;
	}
	int found = 0;
	for (int i = 0; groups && i < n && !found; i++)
		found = groups[i] == want;
	free(groups);
	return found;
}

void caller_resolve(struct caller_cache *cache, uid_t uid, struct caller *who)
{
	struct passwd *pw = getpwuid(uid);
	memset(who, 0, sizeof(*who));
	who->uid = uid;
	const char *name = pw ? pw->pw_name : "";
	if (strlen(name) < sizeof(who->name))
		strcpy(who->name, name);
	else
		who->name_too_long = 1; /* a cut name could be another account's (R12.1) */
	gid_t gid = pw ? pw->pw_gid : (gid_t)-1;
	/* groups by the whole name NSS gave, never by a shortened copy */
	who->is_admin = uid == 0 || in_group(name, gid, cache->admin_group);
	who->is_verifier = who->is_admin || in_group(name, gid, cache->verifier_group);
}

int caller_identify(struct caller_cache *cache, DBusConnection *bus, DBusMessage *msg,
                    struct caller *out)
{
	const char *sender = dbus_message_get_sender(msg);
	if (!sender)
		return -1;
	struct caller_slot *slot = &cache->slot[slot_of(sender)];
	if (strcmp(slot->sender, sender) == 0) {
		*out = slot->who;
		return 0;
	}
	DBusError err;
	dbus_error_init(&err);
	unsigned long uid = dbus_bus_get_unix_user(bus, sender, &err);
	if (dbus_error_is_set(&err)) {
		dbus_error_free(&err);
		return -1;
	}
	caller_resolve(cache, (uid_t)uid, out);
	if (strlen(sender) < sizeof(slot->sender)) {
		strcpy(slot->sender, sender);
		slot->who = *out;
	}
	return 0;
}

int caller_user_exists(const char *user)
{
	return getpwnam(user) != NULL;
}
