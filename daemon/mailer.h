/* Mail goes out from a worker thread, so a slow SMTP server never stalls logins. */
#ifndef REGSD_MAILER_H
#define REGSD_MAILER_H
#include "account/record.h"
#include "base/config.h"
#include "base/text.h"
#include "caller.h"
#include <dbus/dbus.h>
#include <pthread.h>

/* One mailed code. The call that asked for it gets its reply only when the
 * mail is out (or failed), and the code is stored only if the mail went out. */
struct mail_job {
	struct mail_job *next;
	DBusMessage *msg; /* the waiting call (a reference is held) */
	struct caller caller;
	char user[REC_NAME_MAX];
	char kind[16]; /* "verify", "binding", "password" */
	struct code_rec code;
	char service[TEXT_FIELD_MAX];
	char rhost[TEXT_FIELD_MAX];
	char *message; /* the composed mail; holds the code: wiped when freed */
	int sent;
	char error[256];
};

struct mailer {
	const struct regs_config *cfg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct mail_job *queue, *done;
	unsigned in_flight;
	int running, stop;
};

int mailer_start(struct mailer *m, const struct regs_config *cfg);
void mailer_stop(struct mailer *m);
void mailer_submit(struct mailer *m, struct mail_job *job);
/* Up to max jobs finished since the last call (a list), or NULL. */
struct mail_job *mailer_take_done(struct mailer *m, unsigned max);
unsigned mailer_in_flight(struct mailer *m);
void mail_job_free(struct mail_job *job);

#endif
