/* Out-of-band flows (R4, R5): Google device authorization and mobile-ID transactions. The network
 * half runs on worker threads, so a slow provider never stalls logins; the database half runs in
 * the batch loop. A flow belongs to the bus connection that made it. */
#ifndef REGSD_OOB_H
#define REGSD_OOB_H
#include "account/record.h"
#include "base/config.h"
#include "base/text.h"
#include "caller.h"
#include "net/jwt.h"
#include "net/mobileid.h"
#include "net/oidc.h"
#include "pki/x509.h"
#include <dbus/dbus.h>
#include <pthread.h>

#define OOB_SLOTS 128
#define OOB_WORKERS_MAX 32
#define OOB_CLIENT_MAX 256
/* regs_now() counts whole seconds: one more keeps a poll from coming a fraction of a second
 * before its interval is over (RFC 8628 3.5; R4: never faster than every 4 s). */
#define OOB_POLL_MARGIN 1
/* Live flows per account: a new one ends the oldest idle one, so that nobody can fill the
 * table with flows for their own account and starve the others. */
#define OOB_PER_USER 2
/* Whatever a provider says: a flow lives at most this long, and is polled at least this often. */
#define OOB_MAX_SECONDS 600
#define OOB_MAX_INTERVAL 30

enum oob_kind { OOB_GOOGLE, OOB_MOBILE };
/* The network work a flow asks for. */
enum oob_step { OOB_STEP_NONE, OOB_STEP_BEGIN, OOB_STEP_QR, OOB_STEP_POLL };
/* What the network half found; the batch loop turns it into a regs_oob_state. */
enum oob_net {
	NET_PENDING,
	NET_VERIFIED,    /* Google: a valid ID token (claims); mobile: a valid result */
	NET_DENIED,      /* refused by the user */
	NET_EXPIRED,     /* the provider says the time ran out */
	NET_UNREACHABLE, /* network error, server error, unreadable answer */
	NET_REFUSED,     /* the answer failed verification */
};

struct oob_flow {
	int used;
	char handle[33];
	char sender[32]; /* unique bus name: the only connection that may use the handle */
	enum oob_kind kind;
	int bind; /* purpose bind (else login) */
	char user[REC_NAME_MAX];
	char service[TEXT_FIELD_MAX], rhost[TEXT_FIELD_MAX];
	int64_t expires; /* by regs_now() */
	/* Shared with the workers, under the table lock. */
	enum oob_step step;   /* asked for; NONE when nothing is to be done */
	int busy;             /* a worker runs step: the network fields are its own */
	int ready;            /* step done (or flow cancelled): the batch loop looks at it */
	int cancelled;        /* freed once no worker holds it */
	DBusMessage *waiting; /* the call whose reply waits for the step (a reference) */
	struct caller waiting_caller;
	enum oob_step waiting_step; /* what waiting waits for */
	int64_t created;
	uint32_t state; /* enum regs_oob_state: the batch loop's verdict */
	/* Network fields: written by a worker while busy, read by the batch loop when not. */
	enum oob_net net;
	int have_qr; /* the QR ticket arrived */
	int begun;
	int64_t next_poll; /* no poll before this (RFC 8628 interval, R4 4 s) */
	unsigned interval;
	char error[160];        /* a short reason for the log: never a secret */
	struct oidc_device dev; /* Google: device_code is a secret */
	struct jwt_claims claims;
	char id_num[16]; /* mobile: a secret, wiped with the flow */
	char txn[MID_TXN_MAX];
	char sp_ticket[MID_TICKET_MAX]; /* from the push: names the sp_ticket_id */
	char qr_ticket[MID_TICKET_MAX]; /* from getSpTicket: the QR's content */
	struct mid_ticket ticket;
	struct mid_result result;
};

/* What the workers share: configuration, credentials and caches. */
struct oob_google {
	char client_id[OOB_CLIENT_MAX];
	char client_secret[OOB_CLIENT_MAX]; /* a secret: wiped at stop */
	int configured;
	pthread_mutex_t lock; /* guards the caches below */
	struct oidc_endpoints endpoints;
	int64_t endpoints_until; /* 0 = not fetched */
	struct jwks *jwks;
	int64_t jwks_until;
};

struct oob_mobile {
	struct mid_key key; /* a secret: wiped at stop */
	struct x509_anchors *anchors;
	int configured;
};

struct oob {
	const struct regs_config *cfg;
	struct oob_google google;
	struct oob_mobile mobile;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread[OOB_WORKERS_MAX];
	int nthreads, stop;
	struct oob_flow flow[OOB_SLOTS];
};

/* Loads credentials (root-only files) and starts the workers. -1 on a
 * configuration error (logged); an unconfigured method is simply off. */
int oob_start(struct oob *o, const struct regs_config *cfg);
void oob_stop(struct oob *o);

/* The batch loop and handlers hold the lock around every use of a flow. */
void oob_lock(struct oob *o);
void oob_unlock(struct oob *o);
/* A free slot, set up for kind/user/sender with a new random handle; NULL
 * when the table is full of live flows or randomness failed. */
struct oob_flow *oob_new(struct oob *o, enum oob_kind kind, const char *user, const char *sender,
                         int64_t now);
/* The live flow of handle made on sender's connection, or NULL. */
struct oob_flow *oob_find(struct oob *o, const char *handle, const char *sender);
/* Asks the workers for step; msg (may be NULL) gets its reply when it is done. */
void oob_request(struct oob *o, struct oob_flow *f, enum oob_step step, DBusMessage *msg,
                 const struct caller *caller);
/* Ends a flow: wiped and freed now, or, when a worker holds it or a call waits for
 * it, handed back as ready and cancelled so that the waiting call is answered. */
void oob_release(struct oob *o, struct oob_flow *f);
/* Up to max flows whose step finished (or that were cancelled with a call waiting),
 * marked not ready; returns how many. */
int oob_take_ready(struct oob *o, struct oob_flow **out, int max);
/* True while a worker has something to do (the loop then looks often); takes the lock. */
int oob_active(struct oob *o);
/* Ends every flow made on the connection sender (it left the bus). */
void oob_forget_sender(struct oob *o, const char *sender);
/* Releases expired flows nobody waits for. */
void oob_sweep(struct oob *o, int64_t now);

/* Worker side, one per kind (google_net.c, mobile_net.c): run without the
 * table lock, on a flow they hold busy. */
void google_net_step(struct oob *o, struct oob_flow *f, enum oob_step step);
void mobile_net_step(struct oob *o, struct oob_flow *f, enum oob_step step);
int google_net_load(struct oob *o);
int mobile_net_load(struct oob *o);
void google_net_free(struct oob *o);
void mobile_net_free(struct oob *o);

#endif
