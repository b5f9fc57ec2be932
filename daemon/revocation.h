/* Revocation (R3.5): CRLs loaded from the cache at start, refreshed by a background thread, looked
 * up in memory. */
#ifndef REGSD_REVOCATION_H
#define REGSD_REVOCATION_H
#include "base/config.h"
#include "pki/crl.h"
#include "pki/x509.h"
#include <pthread.h>

#define REVOCATION_URLS 8

struct crl_source {
	char url[256];
	char cache_name[40];
	struct crl_set *set; /* immutable; replaced whole under the lock */
	int64_t this_update; /* of set: an older CRL never replaces a newer one */
	int64_t fetched_at;
};

struct revocation {
	const struct regs_config *cfg;
	const struct x509_anchors *anchors[2]; /* personal, institution: CRL signers */
	char cache_dir[300];
	struct crl_source src[REVOCATION_URLS];
	int n;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running, stop;
};

/* Loads the cached CRLs, then starts the refresh thread. */
int revocation_start(struct revocation *rv, const struct regs_config *cfg,
                     const struct x509_anchors *personal, const struct x509_anchors *institution);
void revocation_stop(struct revocation *rv);
/* X509_VERDICT_OK, _REVOKED, or _NO_FRESH_CRL when no current CRL of the
 * certificate's issuer is at hand and crl_policy is deny. */
enum x509_verdict revocation_check(struct revocation *rv, const uint8_t *der, size_t len,
                                   int64_t now);

#endif
