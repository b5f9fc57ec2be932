/* The mail worker: one thread takes composed mails from a queue, sends them, and hands them back.
 */
#include "mailer.h"
#include "base/wipe.h"
#include "mail/mail.h"
#include <stdlib.h>
#include <string.h>

static void push(struct mail_job **list, struct mail_job *job)
{
	job->next = NULL;
	while (*list)
		list = &(*list)->next;
	*list = job;
}

static void *worker(void *arg)
{
	struct mailer *m = arg;
	pthread_mutex_lock(&m->lock);
	for (;;) {
		while (!m->queue && !m->stop)
			pthread_cond_wait(&m->wake, &m->lock);
		if (!m->queue)
			break;
		struct mail_job *job = m->queue;
		m->queue = job->next;
		pthread_mutex_unlock(&m->lock);
		job->sent = mail_send(m->cfg, job->code.address, job->message, job->error,
		                      sizeof(job->error)) == REGS_OK;
		pthread_mutex_lock(&m->lock);
		push(&m->done, job);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int mailer_start(struct mailer *m, const struct regs_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	if (pthread_create(&m->thread, NULL, worker, m) != 0)
		return -1;
	m->running = 1;
	return 0;
}

void mailer_stop(struct mailer *m)
{
	if (!m->running)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	m->running = 0;
	for (struct mail_job *j = m->done, *next; j; j = next) {
		next = j->next;
		mail_job_free(j);
	}
}

void mailer_submit(struct mailer *m, struct mail_job *job)
{
	pthread_mutex_lock(&m->lock);
	push(&m->queue, job);
	m->in_flight++;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

struct mail_job *mailer_take_done(struct mailer *m, unsigned max)
{
	struct mail_job *taken = NULL, **tail = &taken;
	pthread_mutex_lock(&m->lock);
	for (unsigned n = 0; n < max && m->done; n++) {
		*tail = m->done;
		m->done = m->done->next;
		tail = &(*tail)->next;
		*tail = NULL;
		m->in_flight--;
	}
	pthread_mutex_unlock(&m->lock);
	return taken;
}

unsigned mailer_in_flight(struct mailer *m)
{
	pthread_mutex_lock(&m->lock);
	unsigned n = m->in_flight;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void mail_job_free(struct mail_job *job)
{
	if (!job)
		return;
	if (job->msg)
		dbus_message_unref(job->msg);
	regs_free_secret_str(job->message);
	regs_wipe(job, sizeof(*job));
	free(job);
}
