/* The flow table and its worker threads: workers take flows that ask for a step, run it without
 * the lock, and mark them ready for the batch loop. */
#include "oob.h"
#include "account/clock.h"
#include "base/random.h"
#include "base/wipe.h"
#include "daemon.h"
#include "net/http.h"
#include <openssl/crypto.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define IDLE_WAKE_MS 250

void oob_lock(struct oob *o)
{
	pthread_mutex_lock(&o->lock);
}

void oob_unlock(struct oob *o)
{
	pthread_mutex_unlock(&o->lock);
}

/* A flow with work a worker may start now. */
static struct oob_flow *next_work(struct oob *o, int64_t now)
{
	for (int i = 0; i < OOB_SLOTS; i++) {
		struct oob_flow *f = &o->flow[i];
		if (!f->used || f->busy || f->ready || f->cancelled || f->step == OOB_STEP_NONE)
			continue;
		if (f->step != OOB_STEP_POLL || f->next_poll <= now)
			return f;
	}
	return NULL;
}

static void idle_wait(struct oob *o)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += IDLE_WAKE_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&o->wake, &o->lock, &until);
}

static void run_step(struct oob *o, struct oob_flow *f, enum oob_step step)
{
	if (f->kind == OOB_GOOGLE)
		google_net_step(o, f, step);
	else
		mobile_net_step(o, f, step);
}

static void *worker(void *arg)
{
	struct oob *o = arg;
	oob_lock(o);
	while (!o->stop) {
		struct oob_flow *f = next_work(o, regs_now());
		if (!f) {
			idle_wait(o);
			continue;
		}
		enum oob_step step = f->step;
		f->busy = 1;
		oob_unlock(o);
		run_step(o, f, step);
		oob_lock(o);
		f->busy = 0;
		f->step = OOB_STEP_NONE;
		f->ready = 1;
	}
	oob_unlock(o);
	return NULL;
}

int oob_start(struct oob *o, const struct regs_config *cfg)
{
	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->wake, NULL);
	pthread_mutex_init(&o->google.lock, NULL);
	http_global_init();
	if (google_net_load(o) != 0 || mobile_net_load(o) != 0)
		return -1;
	int want = cfg->net_workers < OOB_WORKERS_MAX ? cfg->net_workers : OOB_WORKERS_MAX;
	for (int i = 0; i < want; i++) {
		if (pthread_create(&o->thread[i], NULL, worker, o) != 0)
			break;
		o->nthreads++;
	}
	return o->nthreads > 0 ? 0 : -1;
}

static void flow_free(struct oob_flow *f)
{
	if (f->waiting)
		dbus_message_unref(f->waiting);
	regs_wipe(f, sizeof(*f));
}

void oob_stop(struct oob *o)
{
	oob_lock(o);
	o->stop = 1;
	pthread_cond_broadcast(&o->wake);
	oob_unlock(o);
	for (int i = 0; i < o->nthreads; i++)
		pthread_join(o->thread[i], NULL);
	o->nthreads = 0;
	for (int i = 0; i < OOB_SLOTS; i++)
		if (o->flow[i].used)
			flow_free(&o->flow[i]);
	google_net_free(o);
	mobile_net_free(o);
}

/* At OOB_PER_USER live flows of user, the oldest one nobody waits on ends. */
static void limit_per_user(struct oob *o, const char *user)
{
	struct oob_flow *oldest = NULL;
	int live = 0;
	for (int i = 0; i < OOB_SLOTS; i++) {
		struct oob_flow *f = &o->flow[i];
		if (!f->used || f->cancelled || strcmp(f->user, user) != 0)
			continue;
		live++;
		if (!f->busy && !f->waiting && (!oldest || f->created < oldest->created))
			oldest = f;
	}
	if (live >= OOB_PER_USER && oldest)
		oob_release(o, oldest);
}

struct oob_flow *oob_new(struct oob *o, enum oob_kind kind, const char *user, const char *sender,
                         int64_t now)
{
	struct oob_flow *f = NULL;
	limit_per_user(o, user);
	for (int i = 0; i < OOB_SLOTS && !f; i++)
		if (!o->flow[i].used)
			f = &o->flow[i];
	if (!f || strlen(sender) >= sizeof(f->sender))
		return NULL;
	memset(f, 0, sizeof(*f));
	if (regs_random_hex(f->handle, 16) != REGS_OK)
		return NULL;
	f->used = 1;
	f->kind = kind;
	rec_copy(f->user, sizeof(f->user), user);
	strcpy(f->sender, sender);
	f->next_poll = now;
	f->created = now;
	return f;
}

struct oob_flow *oob_find(struct oob *o, const char *handle, const char *sender)
{
	if (strlen(handle) != 32)
		return NULL;
	for (int i = 0; i < OOB_SLOTS; i++) {
		struct oob_flow *f = &o->flow[i];
		if (f->used && !f->cancelled && CRYPTO_memcmp(f->handle, handle, 32) == 0 &&
		    strcmp(f->sender, sender) == 0)
			return f;
	}
	return NULL;
}

void oob_request(struct oob *o, struct oob_flow *f, enum oob_step step, DBusMessage *msg,
                 const struct caller *caller)
{
	if (msg) {
		if (f->waiting)
			dbus_message_unref(f->waiting);
		f->waiting = dbus_message_ref(msg);
		f->waiting_caller = *caller;
		f->waiting_step = step;
	}
	f->step = step;
	pthread_cond_signal(&o->wake);
}

void oob_release(struct oob *o, struct oob_flow *f)
{
	(void)o;
	if (f->busy || f->waiting) {
		/* Its worker hands it back as ready, or the batch loop takes it now: the
		 * waiting call is told the flow is gone, then it is freed. */
		f->cancelled = 1;
		f->ready = !f->busy;
		f->step = OOB_STEP_NONE;
		return;
	}
	flow_free(f);
}

int oob_take_ready(struct oob *o, struct oob_flow **out, int max)
{
	int n = 0;
	for (int i = 0; i < OOB_SLOTS && n < max; i++) {
		struct oob_flow *f = &o->flow[i];
		if (!f->used || !f->ready)
			continue;
		f->ready = 0;
		if (f->cancelled && !f->waiting)
			flow_free(f);
		else
			out[n++] = f;
	}
	return n;
}

int oob_active(struct oob *o)
{
	int active = 0;
	oob_lock(o);
	for (int i = 0; i < OOB_SLOTS && !active; i++)
		active = o->flow[i].used &&
		         (o->flow[i].busy || o->flow[i].ready || o->flow[i].step != OOB_STEP_NONE);
	oob_unlock(o);
	return active;
}

void oob_forget_sender(struct oob *o, const char *sender)
{
	int n = 0;
	oob_lock(o);
	for (int i = 0; i < OOB_SLOTS; i++) {
		struct oob_flow *f = &o->flow[i];
		if (f->used && !f->cancelled && strcmp(f->sender, sender) == 0) {
			oob_release(o, f);
			n++;
		}
	}
	oob_unlock(o);
	if (n)
		regsd_log(LOG_INFO, "%d login flow(s) of %s ended: the connection left the bus", n,
		          sender);
}

void oob_sweep(struct oob *o, int64_t now)
{
	for (int i = 0; i < OOB_SLOTS; i++) {
		struct oob_flow *f = &o->flow[i];
		if (f->used && !f->busy && !f->ready && !f->waiting && f->expires <= now)
			flow_free(f);
	}
}
