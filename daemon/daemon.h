/* regsd's shared state and the per-request context handed to every method handler. */
#ifndef REGSD_DAEMON_H
#define REGSD_DAEMON_H
#include "account/policy.h"
#include "base/config.h"
#include "caller.h"
#include "challenge.h"
#include "direct.h"
#include "mailer.h"
#include "oob.h"
#include "revocation.h"
#include "stepup.h"
#include "store/seal.h"
#include "store/store.h"
#include <dbus/dbus.h>
#include <stdint.h>

/* regsd's state in parts, each owned by one side of the daemon and freed in main.c. */
struct daemon_data { /* the database and what protects it */
	struct store *store;
	struct seal_key key;
	uint64_t audit_seq; /* makes audit keys unique; starts at the start-up time in ns */
	int64_t next_sweep;
	int fatal; /* the database environment failed: stop after replying */
};
struct daemon_conn { /* the bus, the direct socket, and who is calling */
	DBusConnection *bus;
	struct direct direct;
	struct caller_cache callers;
};
struct daemon_gate { /* the gate's rules and proofs (gate.c, stepup.c) */
	struct lock_policy lock;
	struct stepup_table stepups; /* R7.1 proofs, in memory only */
};
struct daemon_cards {                             /* the citizen certificate card (R1.2, R3) */
	struct challenge_table challenges;        /* card challenges, in memory (R3.4) */
	struct x509_anchors *anchors_personal;    /* R1.2: MOICA chain */
	struct x509_anchors *anchors_institution; /* R1.2: XCA chain */
	struct revocation revocation;             /* CRLs, refreshed in the background */
};
struct daemon_flows { /* Google and mobile-ID flows (R4, R5) */
	struct oob oob;
	struct rate_limit *oob_rate;    /* mobile-ID attempts per account and ID number (R4.1) */
	struct rate_limit *google_rate; /* Google logins begun per account and remote host */
};

struct daemon {
	struct regs_config cfg;
	struct daemon_data data;
	struct daemon_conn conn;
	struct daemon_gate gate;
	struct daemon_cards cards;
	struct daemon_flows flows;
	struct mailer mailer;
};

/* One method call inside a batch: all calls of a batch share one write
 * transaction, committed before any reply is sent (group commit). */
struct request {
	struct daemon *d;
	DBusMessage *msg;
	struct store_txn *txn;
	struct caller caller; /* resolved from the bus, never from arguments */
	int64_t now;
	DBusMessage *reply;
	struct mail_job *job; /* a mail to send once the batch is committed; reply waits */
	int deferred;         /* the reply is sent later by an out-of-band flow (oob.h) */
};

/* Logs to syslog (and stderr with --stderr). Never pass a secret. */
void regsd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends reply to call's sender, on the bus or on its direct connection (not when the call asked
 * for no reply). */
void service_send(struct daemon *d, DBusMessage *call, DBusMessage *reply);
/* The batch loop (service.c). Returns when asked to stop or the bus goes away. */
int service_run(struct daemon *d, volatile int *stop);
/* Syncs the store when its last commit has waited long enough for a next one (idlesync.c);
 * returns how long the loop may wait, at most wait_ms, before calling it again. */
int service_flush_idle(struct daemon *d, int wait_ms);
/* Periodic work: expired enrolments, audit retention. */
void service_sweep(struct daemon *d, struct store_txn *txn, int64_t now);

#endif
