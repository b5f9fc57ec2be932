/* CRLs: fetched over HTTP(S) by a background thread, cached on disk, swapped in whole; logins only
 * look up. */
#include "revocation.h"
#include "account/clock.h"
#include "daemon.h"
#include "net/http.h"
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#define RETRY_SECONDS 60

/* One GET with lib/net/http.c: http/https only, certificates verified, size capped, a short body
 * is an error, and only a 200 answer is a CRL. */
static int fetch(const struct revocation *rv, const char *url, struct http_response *resp,
                 char *err, size_t errlen)
{
	struct http_opts o = {rv->cfg->crl_ca_file, 60, (size_t)rv->cfg->crl_max_mb << 20};
	if (http_get(&o, url, resp, err, errlen) != REGS_OK)
		return -1;
	if (resp->status == 200)
		return 0;
	snprintf(err, errlen, "HTTP status %ld, not 200", resp->status);
	return -1;
}

/* A CRL verified against either class's anchors (its signer must be one of them). */
static struct crl_set *parse_verified(const struct revocation *rv, const uint8_t *der, size_t len,
                                      int64_t *this_update)
{
	struct crl_set *set = NULL;
	for (int i = 0; i < 2 && !set; i++)
		if (rv->anchors[i] &&
		    crl_parse(der, len, rv->anchors[i], &set, this_update, NULL) != REGS_OK)
			set = NULL;
	return set;
}

static void install(struct revocation *rv, struct crl_source *s, struct crl_set *set,
                    int64_t this_update)
{
	pthread_mutex_lock(&rv->lock);
	struct crl_set *old = s->set;
	s->set = set;
	s->this_update = this_update;
	s->fetched_at = regs_now();
	pthread_mutex_unlock(&rv->lock);
	crl_set_free(old);
}

/* Returns 0 when the source has a fresh CRL from the network. */
static int refresh_one(struct revocation *rv, struct crl_source *s)
{
	struct http_response b = {0};
	char err[300] = "";
	int64_t this_update = 0;
	int rc = fetch(rv, s->url, &b, err, sizeof(err));
	const uint8_t *der = (const uint8_t *)b.body;
	struct crl_set *set = rc == 0 ? parse_verified(rv, der, b.len, &this_update) : NULL;
	if (rc == 0 && !set)
		snprintf(err, sizeof(err), "not a CRL signed by a configured anchor");
	if (set && s->set && this_update < s->this_update) {
		/* a replayed older CRL could un-revoke a certificate: keep ours */
		snprintf(err, sizeof(err), "older than the CRL already held");
		crl_set_free(set);
		set = NULL;
	}
	if (set) {
		if (crl_cache_write(rv->cache_dir, s->cache_name, der, b.len) != REGS_OK)
			regsd_log(LOG_WARNING, "CRL %s: cannot write the cache", s->url);
		regsd_log(LOG_INFO, "CRL %s: %zu revoked serials", s->url, crl_set_count(set));
		install(rv, s, set, this_update);
	} else {
		regsd_log(LOG_WARNING, "CRL %s not refreshed: %s", s->url, err);
	}
	http_response_free(&b);
	return set ? 0 : -1;
}

static void *refresher(void *arg)
{
	struct revocation *rv = arg;
	pthread_mutex_lock(&rv->lock);
	while (!rv->stop) {
		pthread_mutex_unlock(&rv->lock);
		int failed = 0;
		for (int i = 0; i < rv->n; i++)
			failed |= refresh_one(rv, &rv->src[i]) != 0;
		pthread_mutex_lock(&rv->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += failed ? RETRY_SECONDS : rv->cfg->crl_refresh_seconds;
		while (!rv->stop && pthread_cond_timedwait(&rv->wake, &rv->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&rv->lock);
	return NULL;
}

static void name_source(struct crl_source *s)
{
	uint8_t d[SHA256_DIGEST_LENGTH];
	SHA256((const uint8_t *)s->url, strlen(s->url), d);
	snprintf(s->cache_name, sizeof(s->cache_name), "crl-%02x%02x%02x%02x%02x%02x%02x%02x.der",
	         d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

/* Splits crl_urls; loads what the cache has, so logins work before the first fetch. */
static void load_sources(struct revocation *rv)
{
	char urls[sizeof(rv->cfg->crl_urls)], *save = NULL;
	snprintf(urls, sizeof(urls), "%s", rv->cfg->crl_urls);
	for (char *u = strtok_r(urls, " \t", &save); u && rv->n < REVOCATION_URLS;
	     u = strtok_r(NULL, " \t", &save)) {
		struct crl_source *s = &rv->src[rv->n++];
		snprintf(s->url, sizeof(s->url), "%s", u);
		name_source(s);
		uint8_t *der = NULL;
		size_t len = 0;
		if (crl_cache_read(rv->cache_dir, s->cache_name, (size_t)rv->cfg->crl_max_mb << 20,
		                   &der, &len) == REGS_OK)
			s->set = parse_verified(rv, der, len, &s->this_update);
		free(der);
	}
}

int revocation_start(struct revocation *rv, const struct regs_config *cfg,
                     const struct x509_anchors *personal, const struct x509_anchors *institution)
{
	memset(rv, 0, sizeof(*rv));
	rv->cfg = cfg;
	rv->anchors[0] = personal;
	rv->anchors[1] = institution;
	snprintf(rv->cache_dir, sizeof(rv->cache_dir), "%s/crl", cfg->state_dir);
	mkdir(rv->cache_dir, 0700);
	pthread_mutex_init(&rv->lock, NULL);
	pthread_cond_init(&rv->wake, NULL);
	http_global_init();
	load_sources(rv);
	if (rv->n == 0)
		return 0; /* nothing to fetch: crl_policy decides */
	if (pthread_create(&rv->thread, NULL, refresher, rv) != 0)
		return -1;
	rv->running = 1;
	return 0;
}

void revocation_stop(struct revocation *rv)
{
	if (rv->running) {
		pthread_mutex_lock(&rv->lock);
		rv->stop = 1;
		pthread_cond_signal(&rv->wake);
		pthread_mutex_unlock(&rv->lock);
		pthread_join(rv->thread, NULL);
		rv->running = 0;
	}
	for (int i = 0; i < rv->n; i++)
		crl_set_free(rv->src[i].set);
	rv->n = 0;
}

enum x509_verdict revocation_check(struct revocation *rv, const uint8_t *der, size_t len,
                                   int64_t now)
{
	struct x509_identity id;
	if (x509_identity(der, len, &id) != REGS_OK)
		return X509_VERDICT_MALFORMED;
	enum x509_verdict v = X509_VERDICT_NO_FRESH_CRL;
	pthread_mutex_lock(&rv->lock);
	for (int i = 0; i < rv->n && v != X509_VERDICT_REVOKED; i++) {
		enum x509_verdict one = crl_verdict(rv->src[i].set, &id, now, 0);
		if (one != X509_VERDICT_NO_FRESH_CRL)
			v = one;
	}
	pthread_mutex_unlock(&rv->lock);
	if (v == X509_VERDICT_NO_FRESH_CRL && rv->cfg->crl_policy == REGS_CRL_ALLOW) {
		regsd_log(LOG_WARNING, "no current CRL for %s: allowed by crl_policy", id.issuer);
		return X509_VERDICT_OK;
	}
	return v;
}
