/* regsd's idle sync (regsd(8), DURABILITY): the last commit's meta page reaches the device
 * within STORE_IDLE_SYNC_MS when no later commit's sync carries it. */
#include "daemon.h"
#include <syslog.h>

int service_flush_idle(struct daemon *d, int wait_ms)
{
	enum regs_err err = REGS_OK;
	int next = store_flush_idle(d->data.store, wait_ms, &err);
	if (err != REGS_OK)
		regsd_log(LOG_ERR,
		          "storage: sync failed (%s); the last commit may not survive a power loss",
		          regs_strerror(err));
	return next;
}
