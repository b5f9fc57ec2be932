/* The network half of the mobile citizen certificate (R4), on a worker thread: the push, the QR
 * ticket of the same transaction, and result polling with the answer verified (R4.5). */
#include "account/clock.h"
#include "base/config.h"
#include "base/trustedfile.h"
#include "base/wipe.h"
#include "daemon.h"
#include "net/http.h"
#include "oob.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define KEY_FILE_MAX 4096

/* The agency key (a TRUSTED_SECRET file: base/trustedfile.h) and the anchors of the phones'
 * certificates. */
int mobile_net_load(struct oob *o)
{
	const struct regs_config *cfg = o->cfg;
	char *buf = NULL;
	if (!*cfg->mobile_url)
		return 0; /* mobile citizen certificate is off */
	if (strncmp(cfg->mobile_url, "https://", 8) != 0) {
		regsd_log(LOG_ERR, "mobile_url must be an https URL (ID numbers are sent to it)");
		return -1;
	}
	char why[TRUSTED_WHY_MAX];
	enum regs_err err = trusted_file_read_text(cfg->mobile_key_file, TRUSTED_SECRET,
	                                           KEY_FILE_MAX, &buf, why, sizeof(why));
	if (err != REGS_OK)
		regsd_log(LOG_ERR, "%s: %s", cfg->mobile_key_file, why);
	if (err == REGS_OK)
		err = mid_key_decode(buf, &o->mobile.key);
	regs_free_secret_str(buf);
	if (err == REGS_OK)
		err = x509_anchors_load(cfg->mobile_anchors, &o->mobile.anchors);
	if (err != REGS_OK || !*cfg->mobile_service_id) {
		regsd_log(LOG_ERR,
		          "mobile citizen certificate cannot be used: key file %s, anchors %s, "
		          "service id: %s",
		          cfg->mobile_key_file, cfg->mobile_anchors,
		          err != REGS_OK ? regs_strerror(err) : "missing");
		return -1;
	}
	o->mobile.configured = 1;
	return 0;
}

void mobile_net_free(struct oob *o)
{
	x509_anchors_free(o->mobile.anchors);
	o->mobile.anchors = NULL;
	regs_wipe(&o->mobile.key, sizeof(o->mobile.key));
}

static void fail(struct oob_flow *f, enum oob_net net, const char *what, const char *why)
{
	f->net = net;
	snprintf(f->error, sizeof(f->error), "%s: %s", what, why);
}

static enum oob_net net_of(enum mid_verdict v)
{
	switch (v) {
	case MID_PENDING:
		return NET_PENDING;
	case MID_DENIED:
		return NET_DENIED;
	case MID_EXPIRED:
		return NET_EXPIRED;
	case MID_MALFORMED:
		return NET_UNREACHABLE;
	default:
		return NET_REFUSED; /* a service error, or an answer that does not verify */
	}
}

/* POSTs json to endpoint under mobile_url; the answer in resp. */
static int post(struct oob *o, const char *endpoint, char *json, struct http_response *resp,
                char *err, size_t errlen)
{
	char url[512];
	struct http_opts h = {o->cfg->mobile_ca_file, o->cfg->net_timeout_seconds, 256 * 1024};
	const char *base = o->cfg->mobile_url;
	size_t len = strlen(base);
	snprintf(url, sizeof(url), "%s%s%s", base, len && base[len - 1] == '/' ? "" : "/",
	         endpoint);
	enum regs_err rc = json ? http_post_json(&h, url, json, resp, err, errlen) : REGS_ERR_NOMEM;
	regs_free_secret_str(json); /* it held the ID number */
	if (rc != REGS_OK && !*err)
		snprintf(err, errlen, "%s", regs_strerror(rc));
	return rc == REGS_OK ? 0 : -1;
}

static struct mid_request request_of(const struct oob *o, const struct oob_flow *f)
{
	struct mid_request q = {f->txn, o->cfg->mobile_service_id, f->id_num, o->cfg->mobile_hint,
	                        (unsigned)o->cfg->mobile_time_limit};
	return q;
}

/* R4.2: the push; it also makes the transaction the QR shares (R4.4). */
static void mobile_begin(struct oob *o, struct oob_flow *f)
{
	struct http_response resp = {0};
	char err[160] = "";
	if (mid_new_transaction_id(f->txn) != REGS_OK) {
		fail(f, NET_UNREACHABLE, "transaction id", "no randomness");
		return;
	}
	struct mid_request q = request_of(o, f);
	if (post(o, "requestAthOrSignPush", mid_push_json(&o->mobile.key, &q), &resp, err,
	         sizeof(err)) != 0) {
		fail(f, NET_UNREACHABLE, "push", err);
		return;
	}
	enum mid_verdict v = mid_parse_ticket_answer(&o->mobile.key, resp.body, resp.len, f->txn,
	                                             f->sp_ticket, &f->ticket, err, sizeof(err));
	http_response_free(&resp);
	if (v != MID_OK) {
		fail(f, net_of(v) == NET_PENDING ? NET_REFUSED : net_of(v), "push",
		     *err ? err : mid_verdict_name(v));
		return;
	}
	int64_t now = regs_now();
	f->begun = 1;
	f->net = NET_PENDING;
	f->interval = (unsigned)o->cfg->mobile_poll_seconds;
	/* The rule spaces polls (4 s apart), not the push and the first poll: a user who
	 * confirms on the phone and presses Enter at once is answered at once (R11.1). */
	f->next_poll = now;
	f->expires = now + o->cfg->mobile_time_limit;
}

/* R4.2: the QR (getSpTicket) of the same transaction. */
static void mobile_qr(struct oob *o, struct oob_flow *f)
{
	struct http_response resp = {0};
	struct mid_ticket t;
	char err[160] = "";
	struct mid_request q = request_of(o, f);
	if (post(o, "getSpTicket", mid_ticket_json(&o->mobile.key, &q), &resp, err, sizeof(err)) !=
	    0) {
		snprintf(f->error, sizeof(f->error), "QR ticket: %s", err);
		return;
	}
	enum mid_verdict v = mid_parse_ticket_answer(&o->mobile.key, resp.body, resp.len, f->txn,
	                                             f->qr_ticket, &t, err, sizeof(err));
	http_response_free(&resp);
	if (v == MID_OK && strcmp(t.sp_ticket_id, f->ticket.sp_ticket_id) == 0)
		f->have_qr = 1;
	else
		snprintf(f->error, sizeof(f->error), "QR ticket: %s",
		         v == MID_OK ? "another transaction" : (*err ? err : mid_verdict_name(v)));
}

/* ATH-02, no faster than every mobile_poll_seconds (>= 4). */
static void mobile_poll(struct oob *o, struct oob_flow *f)
{
	struct http_response resp = {0};
	char err[160] = "";
	int64_t now = regs_now();
	if (f->expires <= now) {
		fail(f, NET_EXPIRED, "transaction", "time ran out (R4.3)");
		return;
	}
	char *json = mid_result_json(&o->mobile.key, f->txn, o->cfg->mobile_service_id,
	                             f->ticket.sp_ticket_id);
	if (post(o, "getAthOrSignResult", json, &resp, err, sizeof(err)) != 0) {
		fail(f, NET_UNREACHABLE, "result", err);
		return;
	}
	enum mid_verdict v =
	    mid_parse_result(&o->mobile.key, resp.body, resp.len, f->txn, &f->ticket,
	                     o->mobile.anchors, now, &f->result, err, sizeof(err));
	http_response_free(&resp);
	f->next_poll = regs_now() + f->interval + OOB_POLL_MARGIN;
	if (v == MID_OK)
		f->net = NET_VERIFIED;
	else if (v != MID_PENDING) /* a service error code while polling is not the user's doing */
		fail(f, v == MID_SERVICE_ERROR ? NET_UNREACHABLE : net_of(v), "result",
		     *err ? err : mid_verdict_name(v));
}

void mobile_net_step(struct oob *o, struct oob_flow *f, enum oob_step step)
{
	if (step == OOB_STEP_BEGIN)
		mobile_begin(o, f);
	else if (step == OOB_STEP_QR)
		mobile_qr(o, f);
	else
		mobile_poll(o, f);
}
