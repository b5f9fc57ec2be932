/* regs.conf and module arguments: one key=value parser with range-checked option tables. */
#ifndef REGS_CONFIG_H
#define REGS_CONFIG_H
#include "base/error.h"
#include <stddef.h>
#include <stdio.h>

#define REGS_CONFIG_MAX_BYTES (64 * 1024)
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
/* Where configure put them (make install writes regs.conf there). */
#define REGS_DEFAULT_CONFIG SYSCONFDIR "/regs/regs.conf"
#define REGS_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/regs"

enum opt_type { OPT_INT, OPT_STRING, OPT_ENUM, OPT_FLAG };

/* One option: where it lives in the target struct and what values it takes. */
struct opt_desc {
	const char *name;
	enum opt_type type;
	size_t offset;              /* offsetof() into the target struct */
	size_t size;                /* OPT_STRING: buffer size */
	long min, max;              /* OPT_INT: inclusive range */
	const char *const *choices; /* OPT_ENUM: NULL-terminated; stored as int index */
};

/* Reports a problem; file is the file name or "argument", line the line or the argument's
 * position. Messages never repeat a value or an unknown key (they may be secrets). */
typedef void (*opt_report_fn)(void *ctx, const char *file, unsigned line, const char *msg);

/* Applies one "key=value" (or bare "key" for OPT_FLAG). Unknown keys and bad
 * values are reported and give REGS_ERR_CONFIG. */
enum regs_err opt_apply(const struct opt_desc *table, void *target, const char *item,
                        const char *file, unsigned line, opt_report_fn report, void *ctx);

/* Parses a whole buffer of lines: '#' comments, blank lines, "key = value".
 * Reports every bad line (not just the first); returns REGS_ERR_CONFIG if any. */
enum regs_err opt_parse_buffer(const struct opt_desc *table, void *target, const char *buf,
                               const char *file, opt_report_fn report, void *ctx);

/* Opens path as a TRUSTED_CONFIG file (base/trustedfile.h: O_NOFOLLOW, regular file, owned
 * by root or by the effective uid, not group/other writable), at most REGS_CONFIG_MAX_BYTES
 * and without a NUL byte (else REGS_ERR_CONFIG). Returns a malloc'd NUL-terminated buffer in
 * *out. A missing file gives REGS_ERR_NOT_FOUND (not reported); every other refusal is. */
enum regs_err config_read_file_safely(const char *path, char **out, opt_report_fn report,
                                      void *ctx);

/* The daemon's configuration (regs.conf). */
enum regs_failmode { REGS_FAILMODE_SECURE = 0, REGS_FAILMODE_OPEN = 1 };
/* Where the database lives (R10): the embedded LMDB, or one PostgreSQL shared by a fleet. */
enum regs_store_kind { REGS_STORE_LMDB = 0, REGS_STORE_POSTGRESQL = 1 };

struct regs_config {
	int store;                 /* enum regs_store_kind (lmdb) */
	char postgresql[1024];     /* libpq connection string for store = postgresql (R10) */
	char host_name[64];        /* names this host in the activity log ("" = gethostname) */
	char state_dir[256];       /* LMDB environment, mode 0700 */
	char seal_key_file[256];   /* AES-256-GCM key, 0600 root */
	char direct_socket[108];   /* pam_regs's peer-to-peer socket ("" = bus only) */
	char issuer[64];           /* otpauth issuer shown in the app */
	char admin_group[64];      /* may call admin methods ("" = root only) */
	char verifier_group[64];   /* may verify for other accounts (web apps) */
	int lock_threshold;        /* consecutive failures before a lock (3) */
	int lock_minutes;          /* lock length (15) */
	int otp_window;            /* steps either side accepted (1; R2.5 never wider) */
	int drift_hint_window;     /* steps either side checked for the clock hint (10) */
	int enrol_timeout_seconds; /* pending enrolment lifetime (300) */
	int map_size_mb;           /* LMDB map size (4096) */
	int audit_keep_days;       /* activity log retention (365) */
	int step_up_seconds;       /* how long a step-up proof lasts (300, R7.1) */
	int password_max_age_days; /* R9.2: 90; 0 = passwords do not expire */
	/* E-mail (R8): codes are mailed over SMTP; an empty smtp_url disables them. */
	char system_name[64];         /* names the system in mail subjects (R8.6) */
	char smtp_url[256];           /* smtp://host:port (STARTTLS) or smtps://host:port */
	char smtp_from[256];          /* envelope and From: address */
	int smtp_starttls;            /* enum regs_smtp_tls: required (default) or optional */
	char smtp_user[128];          /* AUTH user; "" = no AUTH */
	char smtp_password_file[256]; /* root-only file holding the AUTH password */
	char smtp_ca_file[256];       /* CA bundle for the server's certificate ("" = system) */
	int smtp_timeout_seconds;     /* whole transaction (20) */
	int reset_code_seconds;       /* a code's life (300, R8.3) */
	int reset_resend_seconds;     /* resend cooldown (60, R8.3) */
	int reset_code_tries;         /* wrong entries that kill a code (3) */
	/* Citizen certificate (R1.2, R3.5): trust anchors per account class and CRLs. */
	char anchors_personal[256];    /* PEM bundle: GRCA roots + MOICA intermediates */
	char anchors_institution[256]; /* PEM bundle: XCA chain */
	char crl_urls[1024];           /* space-separated http(s) URLs of the issuers' CRLs */
	char crl_ca_file[256];         /* CA bundle for https CRL URLs ("" = system) */
	int crl_refresh_seconds;       /* how often CRLs are fetched again (3600) */
	int crl_policy;                /* enum regs_crl_policy when no fresh CRL: deny */
	int crl_max_mb;                /* largest CRL accepted (64) */
	char authorized_keys_user[64]; /* sshd's AuthorizedKeysCommandUser: may read every
	                                  account's card key (R11.4); "" = none */
	/* Out-of-band logins (R4, R5): network work runs on worker threads. */
	int net_workers;         /* threads doing HTTP for OIDC and mobile ID (4) */
	int net_timeout_seconds; /* one HTTP request (15) */
	/* Google / OpenID Connect (R5): "" oidc_client_file disables it. */
	char oidc_issuer[256];        /* https://accounts.google.com */
	char oidc_discovery_url[256]; /* "" = issuer + /.well-known/openid-configuration */
	char oidc_client_file[256];   /* root-only: client_id = ..., client_secret = ... */
	char oidc_ca_file[256];       /* CA bundle for the provider ("" = system) */
	char oidc_scope[128];         /* openid email */
	int oidc_skew_seconds;        /* clock difference tolerated for exp / iat (60) */
	int oidc_max_attempts;        /* Google logins begun per account and host ... (10) */
	int oidc_attempt_window;      /* ... in this many seconds (600) */
	/* Mobile citizen certificate (R4): "" mobile_url disables it. */
	char mobile_url[256];        /* base URL of the service, ending in /moise/sp/ */
	char mobile_service_id[128]; /* sp_service_id */
	char mobile_key_file[256];   /* root-only: the agency's AES key, base64 */
	char mobile_anchors[256];    /* PEM bundle: the CA of the phones' certificates */
	char mobile_ca_file[256];    /* CA bundle for the service's TLS ("" = system) */
	char mobile_hint[128];       /* shown on the phone */
	int mobile_time_limit;       /* seconds a transaction lives (180, R4.3) */
	int mobile_poll_seconds;     /* between result polls (4; never faster) */
	int mobile_max_attempts;     /* per account and per ID number ... (5) */
	int mobile_attempt_window;   /* ... in this many seconds (600) */
	/* R9.6: the site's language for users who chose none and whose application gives
	 * none: an index into regs_languages (lib/base/language.h), -1 = no site default. */
	int language;
};

enum regs_crl_policy { REGS_CRL_DENY = 0, REGS_CRL_ALLOW = 1 };

enum regs_smtp_tls { REGS_SMTP_TLS_REQUIRED = 0, REGS_SMTP_TLS_OPTIONAL = 1 };

void regs_config_defaults(struct regs_config *cfg);
/* The site default language (R9.6): a tag of regs_languages, or "" when none is set. */
const char *regs_config_language(const struct regs_config *cfg);
extern const struct opt_desc regs_config_options[];
/* Loads path (defaults first). A missing file is fine when missing_ok. */
enum regs_err regs_config_load(struct regs_config *cfg, const char *path, int missing_ok,
                               opt_report_fn report, void *ctx);
/* Reports to stderr as "file:line: msg". */
void regs_report_stderr(void *ctx, const char *file, unsigned line, const char *msg);

#endif
