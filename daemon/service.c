/* The bus side of regsd: method table, argument checks, and the batch loop with one commit per
 * batch. */
#include "account/clock.h"
#include "audit.h"
#include "handlers.h"
#include "introspect.h"
#include "oobflow.h"
#include "proto/bus.h"
#include "reply.h"
#include <poll.h>
#include <string.h>
#include <syslog.h>

#define BATCH_MAX 64
#define SWEEP_SECONDS 60
#define PENDING_GRACE_SECONDS 300

struct method {
	const char *name;
	const char *in;  /* the call's signature */
	const char *out; /* the reply's signature */
	void (*handle)(struct request *r);
};

/* Names and signatures from the bus contract (data/tw.regs.Daemon1.xml, proto/contract.h); the
 * build checks that this table has every method of it. */
static const struct method methods[] = {
    {REGS_METHOD(REGS_M_GET_ACCOUNT), handle_get_account},
    {REGS_METHOD(REGS_M_VERIFY_OTP), handle_verify_otp},
    {REGS_METHOD(REGS_M_RECORD_FAILURE), handle_record_failure},
    {REGS_METHOD(REGS_M_BEGIN_OTP_ENROL), handle_begin_otp_enrol},
    {REGS_METHOD(REGS_M_CONFIRM_OTP_ENROL), handle_confirm_otp_enrol},
    {REGS_METHOD(REGS_M_CANCEL_OTP_ENROL), handle_cancel_otp_enrol},
    {REGS_METHOD(REGS_M_GET_STATUS), handle_get_status},
    {REGS_METHOD(REGS_M_GET_LOG), handle_get_log},
    {REGS_METHOD(REGS_M_LIST_ACCOUNTS), handle_list_accounts},
    {REGS_METHOD(REGS_M_UNLOCK), handle_unlock},
    {REGS_METHOD(REGS_M_RESET), handle_reset},
    {REGS_METHOD(REGS_M_STEP_UP), handle_step_up},
    {REGS_METHOD(REGS_M_SET_PASSWORD_LOGIN), handle_set_password_login},
    {REGS_METHOD(REGS_M_PASSWORD_CHANGED), handle_password_changed},
    {REGS_METHOD(REGS_M_SET_CLASS), handle_set_class},
    {REGS_METHOD(REGS_M_SET_EMAIL), handle_set_email},
    {REGS_METHOD(REGS_M_VERIFY_EMAIL), handle_verify_email},
    {REGS_METHOD(REGS_M_GET_EMAIL), handle_get_email},
    {REGS_METHOD(REGS_M_SET_LANGUAGE), handle_set_language},
    {REGS_METHOD(REGS_M_REQUEST_RESET_CODE), handle_request_reset_code},
    {REGS_METHOD(REGS_M_REDEEM_RESET_CODE), handle_redeem_reset_code},
    {REGS_METHOD(REGS_M_CARD_CHALLENGE), handle_card_challenge},
    {REGS_METHOD(REGS_M_CARD_LOGIN), handle_card_login},
    {REGS_METHOD(REGS_M_CARD_LOGIN_SERIAL), handle_card_login_serial},
    {REGS_METHOD(REGS_M_CARD_KNOWN), handle_card_known},
    {REGS_METHOD(REGS_M_BIND_CARD), handle_bind_card},
    {REGS_METHOD(REGS_M_STEP_UP_CARD), handle_step_up_card},
    {REGS_METHOD(REGS_M_AUTHORIZED_KEY), handle_authorized_key},
    {REGS_METHOD(REGS_M_GOOGLE_BEGIN), handle_google_begin},
    {REGS_METHOD(REGS_M_GOOGLE_LOGIN), handle_google_login},
    {REGS_METHOD(REGS_M_MOBILE_BEGIN), handle_mobile_begin},
    {REGS_METHOD(REGS_M_MOBILE_QR), handle_mobile_qr},
    {REGS_METHOD(REGS_M_OOB_WAIT), handle_oob_wait},
    {REGS_METHOD(REGS_M_OOB_BIND), handle_oob_bind},
    {REGS_METHOD(REGS_M_OOB_CANCEL), handle_oob_cancel},
};
_Static_assert(sizeof(methods) / sizeof(methods[0]) == REGS_BUS_METHOD_COUNT,
               "regsd's method table and the bus contract disagree");

static const struct method *find_method(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

/* The caller: a direct connection's kernel credentials, or the bus's answer for the sender. */
static int identify(struct daemon *d, DBusMessage *msg, struct caller *out)
{
	const char *sender = dbus_message_get_sender(msg);
	if (direct_is_sender(sender))
		return direct_caller(&d->conn.direct, &d->conn.callers, sender, out);
	return caller_identify(&d->conn.callers, d->conn.bus, msg, out);
}

void service_send(struct daemon *d, DBusMessage *call, DBusMessage *reply)
{
	if (dbus_message_get_no_reply(call))
		return;
	if (direct_is_sender(dbus_message_get_sender(call)))
		direct_send(&d->conn.direct, call, reply);
	else
		dbus_connection_send(d->conn.bus, reply, NULL);
}

/* Everything on our interface is dispatched; Introspect and Ping are answered before. */
static void dispatch(struct request *r)
{
	const char *iface = dbus_message_get_interface(r->msg);
	const char *member = dbus_message_get_member(r->msg);
	const struct method *m = member ? find_method(member) : NULL;
	if ((iface && strcmp(iface, REGS_BUS_IFACE) != 0) || !m) {
		reply_error(r, REGS_E_UNKNOWN_METHOD, "unknown method");
		return;
	}
	if (!dbus_message_has_signature(r->msg, m->in)) {
		reply_error(r, REGS_E_INVALID_ARGS, "%s takes (%s), got (%s)", m->name, m->in,
		            dbus_message_get_signature(r->msg));
		return;
	}
	if (identify(r->d, r->msg, &r->caller) != 0) {
		reply_error(r, REGS_E_ACCESS_DENIED, "caller cannot be identified");
		return;
	}
	m->handle(r);
}

/* org.freedesktop.DBus.Peer.Ping, which the bus policy allows: an empty reply. */
static int answer_ping(struct daemon *d, DBusMessage *msg)
{
	if (!dbus_message_is_method_call(msg, DBUS_INTERFACE_PEER, "Ping"))
		return 0;
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply) {
		service_send(d, msg, reply);
		dbus_message_unref(reply);
	}
	return 1;
}

/* A caller's connection went away (an sshd session cut mid-login): its flows end. */
static void forget_sender(void *ctx, const char *sender)
{
	struct daemon *d = ctx;
	oob_forget_sender(&d->flows.oob, sender);
	challenge_forget_sender(&d->cards.challenges, sender);
}

/* NameOwnerChanged(name, old, "") for a unique name: that connection left the bus. */
static int answer_name_gone(struct daemon *d, DBusMessage *msg)
{
	const char *name = NULL, *old_owner = NULL, *new_owner = NULL;
	if (!dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged") ||
	    !dbus_message_has_sender(msg, DBUS_SERVICE_DBUS))
		return 0;
	if (dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &old_owner,
	                          DBUS_TYPE_STRING, &new_owner, DBUS_TYPE_INVALID) &&
	    name[0] == ':' && !*new_owner && !direct_is_sender(name))
		forget_sender(d, name);
	return 1;
}

static int is_our_call(DBusMessage *msg)
{
	return dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_METHOD_CALL &&
	       dbus_message_has_path(msg, REGS_BUS_PATH);
}

/* Hello on a direct connection: clients written for a bus (gdbus, jeepney's blocking connection)
 * say it first; the answer is the connection's name, as a bus would give. */
static int answer_hello(struct daemon *d, DBusMessage *msg)
{
	const char *sender = dbus_message_get_sender(msg);
	if (!direct_is_sender(sender) ||
	    !dbus_message_is_method_call(msg, DBUS_INTERFACE_DBUS, "Hello"))
		return 0;
	DBusMessage *reply = dbus_message_new_method_return(msg);
	if (reply && dbus_message_append_args(reply, DBUS_TYPE_STRING, &sender, DBUS_TYPE_INVALID))
		service_send(d, msg, reply);
	if (reply)
		dbus_message_unref(reply);
	return 1;
}

/* Answers what is not ours to dispatch (Ping, Introspect, NameOwnerChanged, other objects);
 * returns 1 when msg was such a message (and may be unref'd). */
static int answer_aside(struct daemon *d, DBusMessage *msg)
{
	if (answer_ping(d, msg) || answer_hello(d, msg) || introspect_answer(d, msg) ||
	    answer_name_gone(d, msg))
		return 1;
	if (is_our_call(msg))
		return 0;
	if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_METHOD_CALL) {
		DBusMessage *err =
		    dbus_message_new_error(msg, DBUS_ERROR_UNKNOWN_OBJECT, "no such object");
		if (err) {
			service_send(d, msg, err);
			dbus_message_unref(err);
		}
	}
	return 1;
}

/* Keeps the calls of in[0..n) that are ours in batch; returns how many. */
static int keep_ours(struct daemon *d, DBusMessage **in, int n, DBusMessage **batch)
{
	int kept = 0;
	for (int i = 0; i < n; i++) {
		if (answer_aside(d, in[i]))
			dbus_message_unref(in[i]);
		else
			batch[kept++] = in[i];
	}
	return kept;
}

/* Collects up to BATCH_MAX calls already read: from the bus, then from direct connections. */
static int take_batch(struct daemon *d, const struct pollfd *fds, int nfds, DBusMessage **batch)
{
	DBusMessage *in[BATCH_MAX], *msg;
	int n = 0, kept;
	while (n < BATCH_MAX && (msg = dbus_connection_pop_message(d->conn.bus)) != NULL)
		in[n++] = msg;
	kept = keep_ours(d, in, n, batch);
	n = direct_take(&d->conn.direct, fds, nfds, in, BATCH_MAX - kept, forget_sender, d);
	return kept + keep_ours(d, in, n, batch + kept);
}

/* A call of a failed batch keeps the error it was refused with, unless that was the storage
 * error of a database that went away under it. */
static int keeps_its_error(const struct request *r, enum regs_err err)
{
	if (!r->reply || dbus_message_get_type(r->reply) != DBUS_MESSAGE_TYPE_ERROR)
		return 0;
	const char *name = dbus_message_get_error_name(r->reply);
	return err != REGS_ERR_UNAVAILABLE || !name || strcmp(name, REGS_E_STORAGE) != 0;
}

/* Nothing of the batch was kept (or it never started): every call that would have succeeded,
 * or was not answered yet, gets a storage error, or the database's absence (R10.2: refused,
 * nothing counted). */
static void fail_batch(struct request *req, int n, enum regs_err err)
{
	regsd_log(LOG_ERR, "storage: transaction failed (%s); %d calls refused, none of them kept",
	          regs_strerror(err), n);
	for (int i = 0; i < n; i++) {
		if (req[i].deferred || keeps_its_error(&req[i], err))
			continue;
		if (err == REGS_ERR_UNAVAILABLE)
			reply_error(&req[i], REGS_E_UNAVAILABLE,
			            "the database cannot be reached: nothing was kept");
		else
			reply_error(&req[i], REGS_E_STORAGE, "storage error: %s",
			            regs_strerror(err));
	}
}

/* A handler's reply that the contract does not describe is a bug of regsd: logged once per
 * reply, so that the tests, which read the log, see it. */
static void check_reply(const struct request *r)
{
	const char *member = dbus_message_get_member(r->msg);
	const struct method *m = member ? find_method(member) : NULL;
	if (m && dbus_message_get_type(r->reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
	    !dbus_message_has_signature(r->reply, m->out))
		regsd_log(LOG_ERR, "bus contract: %s replied (%s), the contract says (%s)", m->name,
		          dbus_message_get_signature(r->reply), m->out);
}

static void send_replies(struct daemon *d, struct request *req, int n)
{
	for (int i = 0; i < n; i++) {
		if (req[i].reply) {
			check_reply(&req[i]);
			service_send(d, req[i].msg, req[i].reply);
			dbus_message_unref(req[i].reply);
		}
		dbus_message_unref(req[i].msg);
	}
	dbus_connection_flush(d->conn.bus);
}

/* After the commit: staged mails go to the worker (their calls wait);
 * after a failed commit they are dropped, and their calls were refused. */
static void release_jobs(struct daemon *d, struct request *req, int n, int committed)
{
	for (int i = 0; i < n; i++) {
		if (!req[i].job)
			continue;
		if (committed && !req[i].reply)
			mailer_submit(&d->mailer, req[i].job);
		else
			mail_job_free(req[i].job);
		req[i].job = NULL;
	}
}

/* Mails finished since the last batch: each becomes a request of this batch. */
static int take_finished_mail(struct daemon *d, struct request *req, int n, struct mail_job **jobs)
{
	int k = 0;
	for (struct mail_job *j = mailer_take_done(&d->mailer, BATCH_MAX), *next; j; j = next) {
		next = j->next;
		req[n + k].msg = dbus_message_ref(j->msg);
		req[n + k].caller = j->caller;
		jobs[k++] = j;
	}
	return k;
}

/* Flows whose network step finished: each becomes a request of this batch,
 * answering the call that waited for it. */
static int finish_flows(struct daemon *d, struct request *req, int n, struct store_txn *txn,
                        int64_t now, int ok)
{
	struct oob_flow *ready[BATCH_MAX];
	int k = 0;
	oob_lock(&d->flows.oob);
	int m = oob_take_ready(&d->flows.oob, ready, BATCH_MAX);
	for (int i = 0; i < m; i++) {
		struct oob_flow *f = ready[i];
		if (!f->waiting)
			continue;
		req[n + k] = (struct request){
		    .d = d, .msg = f->waiting, .txn = txn, .now = now, .caller = f->waiting_caller};
		f->waiting = NULL; /* the request holds the reference now */
		if (ok)
			oob_complete(&req[n + k], f);
		k++;
	}
	if (ok)
		oob_sweep(&d->flows.oob, now);
	oob_unlock(&d->flows.oob);
	return k;
}

/* What a batch's transaction must allow (run_batch). */
enum batch_kind {
	BATCH_ANY,      /* any call, finished mail and flows, the sweep: a plain write */
	BATCH_ACCOUNTS, /* calls that touch only their named account's rows and the activity log */
	BATCH_READS,    /* GetAccount alone: a read transaction */
};

/* The account a call names first, when it names one; NULL for "the caller". */
static const char *named_account(DBusMessage *msg)
{
	DBusMessageIter it;
	const char *user = NULL;
	if (!dbus_message_iter_init(msg, &it) ||
	    dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_STRING)
		return NULL;
	dbus_message_iter_get_basic(&it, &user);
	size_t len = strlen(user);
	return len > 0 && len <= REGS_USER_NAME_MAX ? user : NULL;
}

/* A call that reads and writes only the rows its first argument's account has in
 * store_account_tables, and activity-log rows: GetAccount, VerifyOtp, RecordFailure (gate.c,
 * otpverify.c, account.c, audit.c). */
static int account_call(DBusMessage *msg, int *reads)
{
	const char *member = dbus_message_get_member(msg);
	if (!member || !named_account(msg))
		return 0;
	*reads = strcmp(member, REGS_M_GET_ACCOUNT) == 0;
	return *reads || strcmp(member, REGS_M_VERIFY_OTP) == 0 ||
	       strcmp(member, REGS_M_RECORD_FAILURE) == 0;
}

/* A batch with no mail or network flow to finish and no sweep due, of account calls alone,
 * needs no more than their accounts (BATCH_ACCOUNTS); of GetAccount calls alone, only reads
 * (BATCH_READS: GetAccount's answer is advice for the prompt; every attempt that follows is
 * checked again in a write batch). On a shared database these take the fleet's batch lock
 * shared, or not at all (store_pg.h). */
static enum batch_kind batch_kind(struct daemon *d, DBusMessage **batch, int n, int64_t now)
{
	int reads = 1, one;
	if (n == 0 || now >= d->data.next_sweep || mailer_in_flight(&d->mailer) ||
	    oob_active(&d->flows.oob))
		return BATCH_ANY;
	for (int i = 0; i < n; i++) {
		if (!account_call(batch[i], &one))
			return BATCH_ANY;
		reads &= one;
	}
	return reads ? BATCH_READS : BATCH_ACCOUNTS;
}

/* Begins the batch's transaction with the accounts it names read ahead (store_prefetch). */
static enum regs_err begin_batch(struct daemon *d, enum batch_kind kind, DBusMessage **batch, int n,
                                 struct store_txn **txn)
{
	struct store_val users[BATCH_MAX];
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		const char *user = named_account(batch[i]);
		if (user)
			users[k++] = store_str(user);
	}
	if (kind == BATCH_ACCOUNTS)
		return store_begin_accounts(d->data.store, users, k, txn);
	enum regs_err err = store_begin(d->data.store, kind == BATCH_ANY, txn);
	if (err == REGS_OK)
		store_prefetch(*txn, users, k);
	return err;
}

static void run_batch(struct daemon *d, DBusMessage **batch, int n)
{
	struct request req[3 * BATCH_MAX];
	struct mail_job *finished[BATCH_MAX];
	struct store_txn *txn = NULL;
	int64_t now = regs_now();
	enum batch_kind kind = batch_kind(d, batch, n, now);
	int any = kind == BATCH_ANY;
	enum regs_err err = begin_batch(d, kind, batch, n, &txn);
	memset(req, 0, sizeof(req));
	for (int i = 0; i < n; i++) {
		req[i] = (struct request){.d = d, .msg = batch[i], .txn = txn, .now = now};
		if (err == REGS_OK)
			dispatch(&req[i]);
	}
	int k = any ? take_finished_mail(d, req, n, finished) : 0;
	for (int i = 0; i < k; i++) {
		req[n + i].d = d;
		req[n + i].txn = txn;
		req[n + i].now = now;
		if (err == REGS_OK)
			mail_complete(&req[n + i], finished[i]);
		mail_job_free(finished[i]);
	}
	if (any)
		k += finish_flows(d, req, n + k, txn, now, err == REGS_OK);
	if (err == REGS_OK && any && now >= d->data.next_sweep) {
		service_sweep(d, txn, now);
		d->data.next_sweep = now + SWEEP_SECONDS;
	}
	if (err == REGS_OK)
		err = store_commit(txn);
	if (err != REGS_OK)
		fail_batch(req, n + k, err);
	if (err == REGS_ERR_FATAL)
		d->data.fatal = 1; /* LMDB cannot go on: exit, and systemd starts a fresh regsd */
	release_jobs(d, req, n, err == REGS_OK);
	send_replies(d, req, n + k);
}

/* Waits for the bus or a direct connection, at most wait_ms; fds gets the direct socket's
 * descriptors (after the bus's) for direct_take. Returns their count. */
static int wait_for_calls(struct daemon *d, struct pollfd *fds, int wait_ms)
{
	int bus_fd = -1;
	dbus_connection_get_unix_fd(d->conn.bus, &bus_fd);
	fds[0] = (struct pollfd){bus_fd, POLLIN, 0};
	int n = 1 + direct_fill_poll(&d->conn.direct, fds + 1);
	if (poll(fds, (nfds_t)n, wait_ms) < 0)
		for (int i = 0; i < n; i++)
			fds[i].revents = 0; /* a signal: the loop looks at the stop flag */
	return n - 1;
}

int service_run(struct daemon *d, volatile int *stop)
{
	DBusMessage *batch[BATCH_MAX];
	static struct pollfd fds[2 + DIRECT_CONNS_MAX];
	while (!*stop) {
		/* While mail or a network flow is out, look for finished work often. Calls
		 * already read (a batch of more than BATCH_MAX, or read while a caller's uid
		 * was asked of the bus) must not wait for new socket activity. */
		int busy = mailer_in_flight(&d->mailer) || oob_active(&d->flows.oob);
		int queued = dbus_connection_get_dispatch_status(d->conn.bus) ==
		                 DBUS_DISPATCH_DATA_REMAINS ||
		             direct_pending(&d->conn.direct);
		int wait_ms = queued ? 0 : busy ? 20 : 1000;
		wait_ms = service_flush_idle(d, wait_ms); /* regsd(8), DURABILITY */
		int nfds = wait_for_calls(d, fds, wait_ms);
		if (!dbus_connection_read_write(d->conn.bus, 0))
			return -1; /* disconnected from the bus */
		int n = take_batch(d, fds + 1, nfds, batch);
		if (n > 0 || busy || regs_now() >= d->data.next_sweep)
			run_batch(d, batch, n);
		if (d->data.fatal)
			return -1;
	}
	return 0;
}

struct sweep_ctx {
	int64_t now;
	unsigned n;
	char users[256][REC_NAME_MAX];
};

static int collect_expired_pending(void *ctx, struct store_val key, struct store_val val)
{
	struct sweep_ctx *s = ctx;
	struct pending_rec p;
	if (s->n >= 256)
		return 1;
	/* Kept one more lifetime after expiry, so that a late confirmation is told
	 * "expired" rather than "no such enrolment"; the secret inside stays sealed. */
	if (pending_rec_decode(val.data, val.len, &p) == REGS_OK &&
	    p.expires + PENDING_GRACE_SECONDS > s->now)
		return 0;
	if (key.len < sizeof(s->users[0])) {
		memcpy(s->users[s->n], key.data, key.len);
		s->users[s->n++][key.len] = '\0';
	}
	return 0;
}

void service_sweep(struct daemon *d, struct store_txn *txn, int64_t now)
{
	static struct sweep_ctx s;
	struct store_val none = {"", 0};
	s.now = now;
	s.n = 0;
	store_scan(txn, STORE_PENDING, none, none, collect_expired_pending, &s);
	for (unsigned i = 0; i < s.n; i++)
		store_del(txn, STORE_PENDING, store_str(s.users[i]));
	audit_expire(d, txn, now - (int64_t)d->cfg.audit_keep_days * 86400, 1000);
}
