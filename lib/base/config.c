/* One key=value parser for regs.conf and module arguments, and the safe config file reader. */
#include "base/config.h"
#include "base/language.h"
#include "base/trustedfile.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_MESSAGE_MAX 320
#define OPT_UNKNOWN_KEY "unknown key (the text is not shown: it may hold a secret)"

/* Formats a message and hands it to report (which may be NULL). */
__attribute__((format(printf, 5, 6))) static void
opt_report(opt_report_fn report, void *ctx, const char *file, unsigned line, const char *fmt, ...);

static void opt_report(opt_report_fn report, void *ctx, const char *file, unsigned line,
                       const char *fmt, ...)
{
	if (report == NULL)
		return;
	char msg[OPT_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(ctx, file, line, msg);
}

static int opt_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copies s[0..len) into dst (size dstsz) without surrounding blanks; 0 if it does not fit. */
static int opt_copy_trimmed(char *dst, size_t dstsz, const char *s, size_t len)
{
	while (len > 0 && opt_is_blank(*s)) {
		s++;
		len--;
	}
	while (len > 0 && opt_is_blank(s[len - 1]))
		len--;
	if (len >= dstsz)
		return 0;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 1;
}

static const struct opt_desc *opt_find(const struct opt_desc *table, const char *key)
{
	for (; table->name != NULL; table++)
		if (strcmp(table->name, key) == 0)
			return table;
	return NULL;
}

static int opt_parse_long(const char *value, long *out)
{
	if (*value == '\0')
		return 0;
	char *end = NULL;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	*out = v;
	return 1;
}

/* Parses a flag's value: bare key or yes/no, true/false, 1/0. */
static int opt_parse_flag(const char *value, int has_value, int *out)
{
	static const char *const on[] = {"yes", "true", "1", "on", NULL};
	static const char *const off[] = {"no", "false", "0", "off", NULL};
	if (!has_value) {
		*out = 1;
		return 1;
	}
	for (size_t i = 0; on[i] != NULL; i++) {
		if (strcmp(value, on[i]) == 0) {
			*out = 1;
			return 1;
		}
		if (strcmp(value, off[i]) == 0) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

static int opt_find_choice(const char *const *choices, const char *value, int *out)
{
	for (int i = 0; choices != NULL && choices[i] != NULL; i++) {
		if (strcmp(choices[i], value) == 0) {
			*out = i;
			return 1;
		}
	}
	return 0;
}

/* Says which values an enum option takes (its choices are names, never secrets). */
static void opt_report_choices(const struct opt_desc *opt, const char *file, unsigned line,
                               opt_report_fn report, void *ctx)
{
	char list[OPT_MESSAGE_MAX / 2];
	size_t used = 0;
	list[0] = '\0';
	for (size_t i = 0; opt->choices[i] != NULL && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
		                         opt->choices[i]);
	opt_report(report, ctx, file, line, "value for '%s' is not one of: %s", opt->name, list);
}

/* Stores value into the option's field; reports and returns REGS_ERR_CONFIG when it is bad. */
static enum regs_err opt_store(const struct opt_desc *opt, void *target, const char *value,
                               int has_value, const char *file, unsigned line, opt_report_fn report,
                               void *ctx)
{
	char *field = (char *)target + opt->offset;
	long number = 0;
	int index = 0;
	if (opt->type != OPT_FLAG && !has_value) {
		opt_report(report, ctx, file, line, "missing value for '%s'", opt->name);
		return REGS_ERR_CONFIG;
	}
	switch (opt->type) {
	case OPT_INT:
		if (!opt_parse_long(value, &number) || number < opt->min || number > opt->max ||
		    number < INT_MIN || number > INT_MAX)
			break;
		*(int *)(void *)field = (int)number;
		return REGS_OK;
	case OPT_STRING:
		if (strlen(value) >= opt->size) {
			opt_report(report, ctx, file, line,
			           "value for '%s' is too long (at most %zu characters)", opt->name,
			           opt->size - 1);
			return REGS_ERR_CONFIG;
		}
		memcpy(field, value, strlen(value) + 1);
		return REGS_OK;
	case OPT_ENUM:
		if (!opt_find_choice(opt->choices, value, &index))
			break;
		*(int *)(void *)field = index;
		return REGS_OK;
	case OPT_FLAG:
		if (!opt_parse_flag(value, has_value, &index))
			break;
		*(int *)(void *)field = index;
		return REGS_OK;
	}
	/* The value is never echoed: the same parser reads files that hold secrets, and a
	 * secret on the wrong line would reach syslog. The key is a known name. */
	if (opt->type == OPT_INT)
		opt_report(report, ctx, file, line, "value for '%s' is not a number in %ld..%ld",
		           opt->name, opt->min, opt->max);
	else if (opt->type == OPT_ENUM)
		opt_report_choices(opt, file, line, report, ctx);
	else
		opt_report(report, ctx, file, line, "value for '%s' is not yes or no", opt->name);
	return REGS_ERR_CONFIG;
}

enum regs_err opt_apply(const struct opt_desc *table, void *target, const char *item,
                        const char *file, unsigned line, opt_report_fn report, void *ctx)
{
	char key[64];
	char value[1024];
	const char *eq = strchr(item, '=');
	size_t keylen = eq != NULL ? (size_t)(eq - item) : strlen(item);
	/* An unknown key is not echoed either: a line without '=' (say "client_secret: ...")
	 * is all key, and a base64 secret alone on a line ends in '='. The line number says
	 * where. */
	if (!opt_copy_trimmed(key, sizeof(key), item, keylen)) {
		opt_report(report, ctx, file, line, OPT_UNKNOWN_KEY);
		return REGS_ERR_CONFIG;
	}
	if (key[0] == '\0') {
		opt_report(report, ctx, file, line, "missing key before '='");
		return REGS_ERR_CONFIG;
	}
	const struct opt_desc *opt = opt_find(table, key);
	if (opt == NULL) {
		opt_report(report, ctx, file, line, OPT_UNKNOWN_KEY);
		return REGS_ERR_CONFIG;
	}
	value[0] = '\0';
	if (eq != NULL && !opt_copy_trimmed(value, sizeof(value), eq + 1, strlen(eq + 1))) {
		opt_report(report, ctx, file, line, "value for '%s' is too long", key);
		return REGS_ERR_CONFIG;
	}
	return opt_store(opt, target, value, eq != NULL, file, line, report, ctx);
}

/* Length of the line's content before a comment: '#' at the start or after a blank. */
static size_t opt_content_length(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] == '#' && (i == 0 || opt_is_blank(line[i - 1])))
			return i;
	return len;
}

static int opt_is_blank_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!opt_is_blank(s[i]))
			return 0;
	return 1;
}

enum regs_err opt_parse_buffer(const struct opt_desc *table, void *target, const char *buf,
                               const char *file, opt_report_fn report, void *ctx)
{
	enum regs_err result = REGS_OK;
	unsigned lineno = 0;
	for (const char *line = buf; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		size_t content = opt_content_length(line, len);
		lineno++;
		if (!opt_is_blank_text(line, content)) {
			char *item = strndup(line, content);
			if (item == NULL)
				return REGS_ERR_NOMEM;
			if (opt_apply(table, target, item, file, lineno, report, ctx) != REGS_OK)
				result = REGS_ERR_CONFIG;
			free(item);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return result;
}

enum regs_err config_read_file_safely(const char *path, char **out, opt_report_fn report, void *ctx)
{
	char why[TRUSTED_WHY_MAX];
	enum regs_err err = trusted_file_read_text(path, TRUSTED_CONFIG, REGS_CONFIG_MAX_BYTES, out,
	                                           why, sizeof(why));
	if (err != REGS_OK && err != REGS_ERR_NOT_FOUND)
		opt_report(report, ctx, path, 0, "%s", why);
	/* too large or holding a NUL byte: a bad configuration file */
	return err == REGS_ERR_INVALID ? REGS_ERR_CONFIG : err;
}

void regs_config_defaults(struct regs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", REGS_DEFAULT_STATE_DIR);
	snprintf(cfg->seal_key_file, sizeof(cfg->seal_key_file), "%s/seal.key",
	         REGS_DEFAULT_STATE_DIR);
	snprintf(cfg->direct_socket, sizeof(cfg->direct_socket), "%s", REGS_DIRECT_SOCKET);
	strcpy(cfg->issuer, "pam_regs");
	cfg->lock_threshold = 3;
	cfg->lock_minutes = 15;
	cfg->otp_window = 1;
	cfg->drift_hint_window = 10;
	cfg->enrol_timeout_seconds = 300;
	cfg->map_size_mb = 4096;
	cfg->audit_keep_days = 365;
	cfg->step_up_seconds = 300;
	cfg->password_max_age_days = 90;
	strcpy(cfg->system_name, "pam_regs");
	cfg->smtp_starttls = REGS_SMTP_TLS_REQUIRED;
	cfg->smtp_timeout_seconds = 20;
	cfg->reset_code_seconds = 300;
	cfg->reset_resend_seconds = 60;
	cfg->reset_code_tries = 3;
	cfg->crl_refresh_seconds = 3600;
	cfg->crl_policy = REGS_CRL_DENY;
	cfg->crl_max_mb = 64;
	cfg->net_workers = 4;
	cfg->net_timeout_seconds = 15;
	strcpy(cfg->oidc_issuer, "https://accounts.google.com");
	strcpy(cfg->oidc_scope, "openid email");
	cfg->oidc_skew_seconds = 60;
	cfg->oidc_max_attempts = 10;
	cfg->oidc_attempt_window = 600;
	strcpy(cfg->mobile_hint, "pam_regs login");
	cfg->mobile_time_limit = 180;
	cfg->mobile_poll_seconds = 4;
	cfg->mobile_max_attempts = 5;
	cfg->mobile_attempt_window = 600;
	cfg->language = -1;
}

const char *regs_config_language(const struct regs_config *cfg)
{
	return cfg->language >= 0 ? regs_languages[cfg->language] : "";
}

static const char *const store_kinds[] = {"lmdb", "postgresql", NULL};

static const char *const crl_policies[] = {"deny", "allow", NULL};

static const char *const smtp_tls_modes[] = {"required", "optional", NULL};

#define CFG_STRING(field)                                                                          \
	{                                                                                          \
#field, OPT_STRING, offsetof(struct regs_config, field),                           \
		    sizeof(((struct regs_config *)0)->field), 0, 0, NULL                           \
	}
#define CFG_INT(field, lo, hi)                                                                     \
	{                                                                                          \
#field, OPT_INT, offsetof(struct regs_config, field), sizeof(int), lo, hi, NULL    \
	}

const struct opt_desc regs_config_options[] = {
    {"store", OPT_ENUM, offsetof(struct regs_config, store), sizeof(int), 0, 0, store_kinds},
    CFG_STRING(postgresql),
    CFG_STRING(host_name),
    CFG_STRING(state_dir),
    CFG_STRING(direct_socket),
    CFG_STRING(seal_key_file),
    CFG_STRING(issuer),
    CFG_STRING(admin_group),
    CFG_STRING(verifier_group),
    CFG_INT(lock_threshold, 1, 100),
    CFG_INT(lock_minutes, 1, 1440),
    CFG_INT(otp_window, 0, 1),
    CFG_INT(drift_hint_window, 2, 120),
    CFG_INT(enrol_timeout_seconds, 60, 3600),
    CFG_INT(map_size_mb, 16, 1048576),
    CFG_INT(audit_keep_days, 1, 3650),
    CFG_INT(step_up_seconds, 30, 3600),
    CFG_INT(password_max_age_days, 0, 3650),
    CFG_STRING(system_name),
    CFG_STRING(smtp_url),
    CFG_STRING(smtp_from),
    {"smtp_starttls", OPT_ENUM, offsetof(struct regs_config, smtp_starttls), sizeof(int), 0, 0,
     smtp_tls_modes},
    CFG_STRING(smtp_user),
    CFG_STRING(smtp_password_file),
    CFG_STRING(smtp_ca_file),
    CFG_INT(smtp_timeout_seconds, 1, 300),
    CFG_INT(reset_code_seconds, 60, 3600),
    CFG_INT(reset_resend_seconds, 0, 3600),
    CFG_INT(reset_code_tries, 1, 10),
    CFG_STRING(anchors_personal),
    CFG_STRING(anchors_institution),
    CFG_STRING(crl_urls),
    CFG_STRING(crl_ca_file),
    CFG_INT(crl_refresh_seconds, 60, 604800),
    {"crl_policy", OPT_ENUM, offsetof(struct regs_config, crl_policy), sizeof(int), 0, 0,
     crl_policies},
    CFG_INT(crl_max_mb, 1, 1024),
    CFG_STRING(authorized_keys_user),
    CFG_INT(net_workers, 1, 32),
    CFG_INT(net_timeout_seconds, 1, 120),
    CFG_STRING(oidc_issuer),
    CFG_STRING(oidc_discovery_url),
    CFG_STRING(oidc_client_file),
    CFG_STRING(oidc_ca_file),
    CFG_STRING(oidc_scope),
    CFG_INT(oidc_skew_seconds, 0, 600),
    CFG_INT(oidc_max_attempts, 1, 1000),
    CFG_INT(oidc_attempt_window, 60, 86400),
    CFG_STRING(mobile_url),
    CFG_STRING(mobile_service_id),
    CFG_STRING(mobile_key_file),
    CFG_STRING(mobile_anchors),
    CFG_STRING(mobile_ca_file),
    CFG_STRING(mobile_hint),
    CFG_INT(mobile_time_limit, 30, 600),
    CFG_INT(mobile_poll_seconds, 4, 60),
    CFG_INT(mobile_max_attempts, 1, 100),
    CFG_INT(mobile_attempt_window, 60, 86400),
    {"language", OPT_ENUM, offsetof(struct regs_config, language), sizeof(int), 0, 0,
     regs_languages},
    {NULL, OPT_INT, 0, 0, 0, 0, NULL},
};

enum regs_err regs_config_load(struct regs_config *cfg, const char *path, int missing_ok,
                               opt_report_fn report, void *ctx)
{
	struct regs_config loaded;
	char *buf = NULL;
	regs_config_defaults(cfg);
	enum regs_err err = config_read_file_safely(path, &buf, report, ctx);
	if (err == REGS_ERR_NOT_FOUND && missing_ok)
		return REGS_OK;
	if (err == REGS_ERR_NOT_FOUND)
		opt_report(report, ctx, path, 0, "cannot open: %s", strerror(ENOENT));
	if (err != REGS_OK)
		return err;
	/* Parse into a copy so a bad file leaves the defaults, not half of the file. */
	regs_config_defaults(&loaded);
	err = opt_parse_buffer(regs_config_options, &loaded, buf, path, report, ctx);
	free(buf);
	if (err == REGS_OK)
		*cfg = loaded;
	return err;
}

void regs_report_stderr(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	if (line > 0)
		fprintf(stderr, "%s:%u: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
}
