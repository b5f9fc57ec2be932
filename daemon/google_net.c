/* The network half of the Google flow (R5.5), on a worker thread: discovery, the device
 * authorization request, token polling per RFC 8628, and the ID token checked against the JWKS. */
#include "account/clock.h"
#include "base/config.h"
#include "base/trustedfile.h"
#include "base/wipe.h"
#include "daemon.h"
#include "net/http.h"
#include "oob.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define DISCOVERY_SECONDS 86400
#define JWKS_DEFAULT_SECONDS 3600
#define TOKEN_MAX_AGE 600
#define CLIENT_FILE_MAX 16384
#define GOOGLE_ISSUER "https://accounts.google.com"

struct client_file {
	char client_id[OOB_CLIENT_MAX];
	char client_secret[OOB_CLIENT_MAX];
};

static const struct opt_desc client_options[] = {
    {"client_id", OPT_STRING, offsetof(struct client_file, client_id), OOB_CLIENT_MAX, 0, 0, NULL},
    {"client_secret", OPT_STRING, offsetof(struct client_file, client_secret), OOB_CLIENT_MAX, 0, 0,
     NULL},
    {NULL, OPT_INT, 0, 0, 0, 0, NULL},
};

static void report(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	regsd_log(LOG_ERR, "%s:%u: %s", file, line, msg);
}

/* The client credentials: a secret file (TRUSTED_SECRET, base/trustedfile.h), parsed like
 * regs.conf. */
int google_net_load(struct oob *o)
{
	struct client_file c;
	char *buf = NULL;
	const char *path = o->cfg->oidc_client_file;
	if (!*path)
		return 0; /* Google login is off */
	if (strncmp(o->cfg->oidc_issuer, "https://", 8) != 0 ||
	    (*o->cfg->oidc_discovery_url &&
	     strncmp(o->cfg->oidc_discovery_url, "https://", 8) != 0)) {
		/* whoever could change a plain-http discovery document would choose the keys */
		regsd_log(LOG_ERR, "oidc_issuer and oidc_discovery_url must be https URLs");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	char why[TRUSTED_WHY_MAX];
	enum regs_err err =
	    trusted_file_read_text(path, TRUSTED_SECRET, CLIENT_FILE_MAX, &buf, why, sizeof(why));
	if (err != REGS_OK)
		regsd_log(LOG_ERR, "%s: %s", path, why);
	if (err == REGS_OK)
		err = opt_parse_buffer(client_options, &c, buf, path, report, NULL);
	regs_free_secret_str(buf);
	if (err == REGS_OK && !*c.client_id) {
		regsd_log(LOG_ERR, "%s: no client_id", path);
		err = REGS_ERR_CONFIG;
	}
	if (err != REGS_OK) {
		regsd_log(LOG_ERR, "OpenID client file %s cannot be used: %s", path,
		          regs_strerror(err));
		regs_wipe(&c, sizeof(c));
		return -1;
	}
	memcpy(o->google.client_id, c.client_id, sizeof(c.client_id));
	memcpy(o->google.client_secret, c.client_secret, sizeof(c.client_secret));
	regs_wipe(&c, sizeof(c));
	o->google.configured = 1;
	return 0;
}

void google_net_free(struct oob *o)
{
	jwks_free(o->google.jwks);
	o->google.jwks = NULL;
	regs_wipe(o->google.client_secret, sizeof(o->google.client_secret));
}

static struct http_opts net_opts(const struct oob *o)
{
	struct http_opts h = {o->cfg->oidc_ca_file, o->cfg->net_timeout_seconds, 1 << 20};
	return h;
}

static int fetch_endpoints(struct oob *o, struct oidc_endpoints *out, char *err, size_t errlen)
{
	char url[OIDC_URL_MAX + 64];
	struct http_response resp = {0};
	struct http_opts h = net_opts(o);
	if (*o->cfg->oidc_discovery_url)
		snprintf(url, sizeof(url), "%s", o->cfg->oidc_discovery_url);
	else
		snprintf(url, sizeof(url), "%s/.well-known/openid-configuration",
		         o->cfg->oidc_issuer);
	int rc = -1;
	if (http_get(&h, url, &resp, err, errlen) != REGS_OK)
		return -1;
	if (resp.status != 200)
		snprintf(err, errlen, "discovery: HTTP %ld", resp.status);
	else if (oidc_parse_discovery(resp.body, resp.len, o->cfg->oidc_issuer, 0, out) != REGS_OK)
		snprintf(err, errlen, "discovery document not usable");
	else
		rc = 0;
	http_response_free(&resp);
	return rc;
}

/* The provider's endpoints, from a cached discovery document. */
static int endpoints(struct oob *o, struct oidc_endpoints *out, char *err, size_t errlen)
{
	struct oob_google *g = &o->google;
	int64_t now = regs_now();
	pthread_mutex_lock(&g->lock);
	int fresh = g->endpoints_until > now;
	if (fresh)
		*out = g->endpoints;
	pthread_mutex_unlock(&g->lock);
	if (fresh)
		return 0;
	if (fetch_endpoints(o, out, err, errlen) != 0)
		return -1;
	pthread_mutex_lock(&g->lock);
	g->endpoints = *out;
	g->endpoints_until = now + DISCOVERY_SECONDS;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

static void fail(struct oob_flow *f, enum oob_net net, const char *what, const char *why)
{
	f->net = net;
	snprintf(f->error, sizeof(f->error), "%s: %s", what, why);
}

static void google_begin(struct oob *o, struct oob_flow *f)
{
	struct oidc_endpoints ep;
	struct http_response resp = {0};
	struct http_opts h = net_opts(o);
	char err[160] = "";
	if (endpoints(o, &ep, err, sizeof(err)) != 0) {
		fail(f, NET_UNREACHABLE, "discovery", err);
		return;
	}
	char *form = oidc_device_form(o->google.client_id, NULL, o->cfg->oidc_scope);
	enum regs_err rc =
	    form ? http_post_form(&h, ep.device_endpoint, form, &resp, err, sizeof(err))
	         : REGS_ERR_NOMEM;
	regs_free_secret_str(form);
	int64_t now = regs_now();
	if (rc != REGS_OK)
		fail(f, NET_UNREACHABLE, "device endpoint", *err ? err : regs_strerror(rc));
	else if (resp.status != 200 || oidc_parse_device(resp.body, resp.len, &f->dev) != REGS_OK)
		fail(f, NET_UNREACHABLE, "device endpoint", "no usable device code in the answer");
	else {
		/* Whatever the provider says: polled at least every OOB_MAX_INTERVAL, ended
		 * after OOB_MAX_SECONDS (a flow holds a slot of a shared table). */
		if (f->dev.expires_in > OOB_MAX_SECONDS)
			f->dev.expires_in = OOB_MAX_SECONDS;
		f->begun = 1;
		f->net = NET_PENDING;
		f->interval =
		    f->dev.interval < OOB_MAX_INTERVAL ? f->dev.interval : OOB_MAX_INTERVAL;
		f->next_poll = now + f->interval + OOB_POLL_MARGIN;
		f->expires = now + f->dev.expires_in;
	}
	http_response_free(&resp);
}

static struct jwks *fetch_jwks(struct oob *o, const char *uri, int64_t *until)
{
	struct http_response resp = {0};
	struct http_opts h = net_opts(o);
	struct jwks *k = NULL;
	char err[160];
	if (http_get(&h, uri, &resp, err, sizeof(err)) == REGS_OK && resp.status == 200 &&
	    jwks_parse(resp.body, resp.len, &k) == REGS_OK) {
		long age = resp.max_age > 0 ? resp.max_age : JWKS_DEFAULT_SECONDS;
		*until = regs_now() + (age < DISCOVERY_SECONDS ? age : DISCOVERY_SECONDS);
	} else {
		regsd_log(LOG_WARNING, "JWKS %s not fetched: %s", uri,
		          resp.status && resp.status != 200 ? "HTTP error" : "unusable answer");
	}
	http_response_free(&resp);
	return k;
}

/* Verifies with the cached keys; refresh fetches them first. *have_keys: there were
 * keys to verify with (a failed fetch is the provider's fault, not the user's). */
static enum jwt_verdict verify_cached(struct oob *o, const struct oidc_endpoints *ep,
                                      const char *token, int refresh, struct jwt_claims *out,
                                      int *have_keys)
{
	struct oob_google *g = &o->google;
	int64_t until = 0;
	struct jwks *fresh = refresh ? fetch_jwks(o, ep->jwks_uri, &until) : NULL;
	const char *issuers[] = {ep->issuer, NULL, NULL};
	if (strcmp(ep->issuer, GOOGLE_ISSUER) == 0)
		issuers[1] = "accounts.google.com"; /* Google writes both forms */
	struct jwt_expect want = {
	    issuers, g->client_id, regs_now(), o->cfg->oidc_skew_seconds, TOKEN_MAX_AGE, NULL};
	pthread_mutex_lock(&g->lock);
	if (fresh) {
		jwks_free(g->jwks);
		g->jwks = fresh;
		g->jwks_until = until;
	}
	enum jwt_verdict v = JWT_UNKNOWN_KID;
	*have_keys = refresh ? fresh != NULL : g->jwks && g->jwks_until > want.now;
	if (*have_keys)
		v = jwt_verify(token, g->jwks, &want, out);
	pthread_mutex_unlock(&g->lock);
	return v;
}

/* R5.5: the signature with the provider's JWKS (refetched once on an unknown
 * kid), then iss, aud/azp, exp, iat and sub. */
static void check_token(struct oob *o, struct oob_flow *f, const struct oidc_endpoints *ep,
                        const char *token)
{
	int have_keys = 0;
	enum jwt_verdict v = verify_cached(o, ep, token, 0, &f->claims, &have_keys);
	if (v == JWT_UNKNOWN_KID)
		v = verify_cached(o, ep, token, 1, &f->claims, &have_keys);
	if (v == JWT_OK) {
		/* R5.2: bindings key on the configured issuer, whichever form Google wrote */
		size_t n = strnlen(ep->issuer, sizeof(f->claims.iss) - 1);
		memcpy(f->claims.iss, ep->issuer, n);
		f->claims.iss[n] = '\0';
		f->net = NET_VERIFIED;
		return;
	}
	memset(&f->claims, 0, sizeof(f->claims));
	if (!have_keys)
		fail(f, NET_UNREACHABLE, "JWKS", "no signing keys could be fetched");
	else
		fail(f, NET_REFUSED, "ID token", jwt_verdict_name(v));
}

static void poll_answer(struct oob *o, struct oob_flow *f, const struct oidc_endpoints *ep,
                        const struct http_response *resp)
{
	char *token = NULL, err[128] = "";
	int64_t now = regs_now();
	switch (oidc_parse_token(resp->body, resp->len, &token, err, sizeof(err))) {
	case OIDC_POLL_TOKEN:
		check_token(o, f, ep, token);
		break;
	case OIDC_POLL_SLOW_DOWN:
		if (f->interval + 5 <= OOB_MAX_INTERVAL)
			f->interval += 5; /* RFC 8628 3.5 */
		                          /* fall through */
	case OIDC_POLL_PENDING:
		f->next_poll = now + f->interval + OOB_POLL_MARGIN;
		if (f->next_poll > f->expires)
			f->next_poll = f->expires; /* the last poll says "expired" in time */
		break;
	case OIDC_POLL_DENIED:
		fail(f, NET_DENIED, "token endpoint", "access denied");
		break;
	case OIDC_POLL_EXPIRED:
		fail(f, NET_EXPIRED, "token endpoint", "device code expired");
		break;
	default:
		fail(f, NET_UNREACHABLE, "token endpoint", *err ? err : "unusable answer");
	}
	regs_free_secret_str(token);
}

static void google_poll(struct oob *o, struct oob_flow *f)
{
	struct oidc_endpoints ep;
	struct http_response resp = {0};
	struct http_opts h = net_opts(o);
	char err[160] = "";
	if (f->expires <= regs_now()) {
		fail(f, NET_EXPIRED, "device flow", "time ran out");
		return;
	}
	if (endpoints(o, &ep, err, sizeof(err)) != 0) {
		fail(f, NET_UNREACHABLE, "discovery", err);
		return;
	}
	char *form =
	    oidc_token_form(o->google.client_id, o->google.client_secret, f->dev.device_code);
	enum regs_err rc =
	    form ? http_post_form(&h, ep.token_endpoint, form, &resp, err, sizeof(err))
	         : REGS_ERR_NOMEM;
	regs_free_secret_str(form);
	if (rc != REGS_OK)
		fail(f, NET_UNREACHABLE, "token endpoint", *err ? err : regs_strerror(rc));
	else
		poll_answer(o, f, &ep, &resp);
	http_response_free(&resp);
}

void google_net_step(struct oob *o, struct oob_flow *f, enum oob_step step)
{
	if (step == OOB_STEP_BEGIN)
		google_begin(o, f);
	else if (step == OOB_STEP_POLL)
		google_poll(o, f);
}
