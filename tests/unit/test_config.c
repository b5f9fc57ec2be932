/* Unit tests for the regs.conf parser, module-argument items and the safe config file reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"

#define MAX_REPORTS 16
#define UNKNOWN_KEY "unknown key (the text is not shown: it may hold a secret)"

/* Collects every report so tests can check file, line and message. */
struct report_log {
	unsigned count;
	char file[MAX_REPORTS][256];
	unsigned line[MAX_REPORTS];
	char msg[MAX_REPORTS][320];
};

struct fixture {
	char dir[64];
	char path[128];
	struct report_log log;
};

static void collect_report(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct report_log *log = ctx;
	if (log->count >= MAX_REPORTS)
		return;
	snprintf(log->file[log->count], sizeof(log->file[0]), "%s", file);
	log->line[log->count] = line;
	snprintf(log->msg[log->count], sizeof(log->msg[0]), "%s", msg);
	log->count++;
}

SCRATCH_FIXTURE(struct fixture, "config", "regs.conf")

static void write_file(const char *path, const char *text, mode_t mode)
{
	scratch_write(path, text, strlen(text), mode);
}

static enum regs_err load(struct fixture *f, struct regs_config *cfg)
{
	return regs_config_load(cfg, f->path, 0, collect_report, &f->log);
}

static void test_config_defaults(void **state)
{
	(void)state;
	struct regs_config cfg;
	regs_config_defaults(&cfg);
	assert_string_equal(cfg.state_dir, REGS_DEFAULT_STATE_DIR);
	assert_string_equal(cfg.seal_key_file, REGS_DEFAULT_STATE_DIR "/seal.key");
	assert_string_equal(cfg.issuer, "pam_regs");
	assert_string_equal(cfg.admin_group, "");
	assert_string_equal(cfg.verifier_group, "");
	assert_int_equal(cfg.lock_threshold, 3);
	assert_int_equal(cfg.lock_minutes, 15);
	assert_int_equal(cfg.otp_window, 1);
	assert_int_equal(cfg.drift_hint_window, 10);
	assert_int_equal(cfg.enrol_timeout_seconds, 300);
	assert_int_equal(cfg.map_size_mb, 4096);
	assert_int_equal(cfg.audit_keep_days, 365);
}

static void test_config_file_values_loaded(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	write_file(f->path,
	           "# regs.conf\n"
	           "\n"
	           "state_dir = /srv/regs\n"
	           "issuer=Acme Corp   # shown in the app\n"
	           "  admin_group =  wheel  \n"
	           "verifier_group =\n"
	           "lock_threshold = 5\r\n"
	           "lock_minutes = 1440\n"
	           "otp_window = 0\n"
	           "drift_hint_window = 2\n"
	           "enrol_timeout_seconds = 3600\n"
	           "map_size_mb = 16\n"
	           "audit_keep_days = 30",
	           0644);
	assert_int_equal(load(f, &cfg), REGS_OK);
	assert_int_equal(f->log.count, 0);
	assert_string_equal(cfg.state_dir, "/srv/regs");
	assert_string_equal(cfg.seal_key_file, REGS_DEFAULT_STATE_DIR "/seal.key");
	assert_string_equal(cfg.issuer, "Acme Corp");
	assert_string_equal(cfg.admin_group, "wheel");
	assert_string_equal(cfg.verifier_group, "");
	assert_int_equal(cfg.lock_threshold, 5);
	assert_int_equal(cfg.lock_minutes, 1440);
	assert_int_equal(cfg.otp_window, 0);
	assert_int_equal(cfg.drift_hint_window, 2);
	assert_int_equal(cfg.enrol_timeout_seconds, 3600);
	assert_int_equal(cfg.map_size_mb, 16);
	assert_int_equal(cfg.audit_keep_days, 30);
}

static void test_config_unknown_key_reported_with_line(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	write_file(f->path, "# comment\nlock_minutes = 20\nfoo = 1\n", 0644);
	assert_int_equal(load(f, &cfg), REGS_ERR_CONFIG);
	assert_int_equal(f->log.count, 1);
	assert_string_equal(f->log.file[0], f->path);
	assert_int_equal(f->log.line[0], 3);
	assert_string_equal(f->log.msg[0], UNKNOWN_KEY);
	/* A bad file leaves the defaults, not half of the file. */
	assert_int_equal(cfg.lock_minutes, 15);
}

static void test_config_every_bad_line_reported(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	write_file(f->path,
	           "bogus = 1\n"
	           "lock_minutes = 10\n"
	           "lock_minutes = 0\n"
	           "\n"
	           "otp_window = 3\n"
	           "issuer\n",
	           0644);
	assert_int_equal(load(f, &cfg), REGS_ERR_CONFIG);
	assert_int_equal(f->log.count, 4);
	assert_int_equal(f->log.line[0], 1);
	assert_string_equal(f->log.msg[0], UNKNOWN_KEY);
	assert_int_equal(f->log.line[1], 3);
	assert_string_equal(f->log.msg[1], "value for 'lock_minutes' is not a number in 1..1440");
	assert_int_equal(f->log.line[2], 5);
	assert_string_equal(f->log.msg[2], "value for 'otp_window' is not a number in 0..1");
	assert_int_equal(f->log.line[3], 6);
	assert_string_equal(f->log.msg[3], "missing value for 'issuer'");
}

/* Secret hygiene: the parser also reads the OIDC client file; whatever a bad line holds,
 * no part of it but a known key name reaches the report (syslog). */
static void test_secret_hygiene_config_reports_never_echo_a_line(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	char longkey[200];
	memset(longkey, 'S', sizeof(longkey) - 2);
	memcpy(longkey, "s3cr3t", 6);
	longkey[sizeof(longkey) - 2] = '\n';
	longkey[sizeof(longkey) - 1] = '\0';
	char text[1024];
	snprintf(text, sizeof(text),
	         "client_secret: GOCSPX-s3cr3t-value\n"
	         "czNjcjN0LXZhbHVl==\n"
	         "lock_minutes = s3cr3t\n"
	         "crl_policy = s3cr3t\n"
	         "smtp_starttls = s3cr3t\n"
	         "%s",
	         longkey);
	write_file(f->path, text, 0600);
	assert_int_equal(load(f, &cfg), REGS_ERR_CONFIG);
	assert_int_equal(f->log.count, 6);
	for (unsigned i = 0; i < f->log.count; i++) {
		assert_int_equal(f->log.line[i], i + 1);
		assert_null(strstr(f->log.msg[i], "s3cr3t"));
		assert_null(strstr(f->log.msg[i], "czNjcjN0"));
		assert_null(strstr(f->log.msg[i], "GOCSPX"));
	}
	assert_string_equal(f->log.msg[0], UNKNOWN_KEY);
	assert_string_equal(f->log.msg[1], UNKNOWN_KEY);
	assert_string_equal(f->log.msg[2], "value for 'lock_minutes' is not a number in 1..1440");
	assert_string_equal(f->log.msg[5], UNKNOWN_KEY);
}

/* Loads "key = value" alone and returns the outcome. */
static enum regs_err load_one(struct fixture *f, const char *key, const char *value,
                              struct regs_config *cfg)
{
	char text[256];
	snprintf(text, sizeof(text), "%s = %s\n", key, value);
	write_file(f->path, text, 0644);
	f->log.count = 0;
	return load(f, cfg);
}

static void test_config_out_of_range_values_refused(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	static const char *const bad[][2] = {
	    {"lock_threshold", "0"},
	    {"lock_threshold", "101"},
	    {"lock_minutes", "1441"},
	    {"lock_minutes", "abc"},
	    {"lock_minutes", "15x"},
	    {"lock_minutes", ""},
	    {"lock_minutes", "99999999999999999999"},
	    {"otp_window", "-1"},
	    {"drift_hint_window", "1"},
	    {"drift_hint_window", "121"},
	    {"enrol_timeout_seconds", "59"},
	    {"enrol_timeout_seconds", "3601"},
	    {"map_size_mb", "15"},
	    {"map_size_mb", "1048577"},
	    {"audit_keep_days", "0"},
	    {"audit_keep_days", "3651"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_one(f, bad[i][0], bad[i][1], &cfg), REGS_ERR_CONFIG);
		assert_int_equal(f->log.count, 1);
		assert_int_equal(f->log.line[0], 1);
		assert_non_null(strstr(f->log.msg[0], bad[i][0]));
	}
	assert_int_equal(load_one(f, "lock_minutes", "abc", &cfg), REGS_ERR_CONFIG);
	assert_string_equal(f->log.msg[0], "value for 'lock_minutes' is not a number in 1..1440");
}

static void test_config_range_bounds_accepted(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	assert_int_equal(load_one(f, "lock_minutes", "1", &cfg), REGS_OK);
	assert_int_equal(cfg.lock_minutes, 1);
	assert_int_equal(load_one(f, "map_size_mb", "1048576", &cfg), REGS_OK);
	assert_int_equal(cfg.map_size_mb, 1048576);
	assert_int_equal(load_one(f, "lock_threshold", "100", &cfg), REGS_OK);
	assert_int_equal(cfg.lock_threshold, 100);
}

/* R9.6: the site default language is one the module ships; anything else is refused by name,
 * with the languages that are shipped. */
static void test_R9_6_config_language(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	regs_config_defaults(&cfg);
	assert_string_equal(regs_config_language(&cfg), "");
	assert_int_equal(load_one(f, "language", "zh_TW", &cfg), REGS_OK);
	assert_string_equal(regs_config_language(&cfg), "zh_TW");
	assert_int_equal(load_one(f, "language", "en", &cfg), REGS_OK);
	assert_string_equal(regs_config_language(&cfg), "en");
	static const char *const bad[] = {"fr", "zh_TW.UTF-8", "zh_tw", "EN", "", "zh_CN"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load_one(f, "language", bad[i], &cfg), REGS_ERR_CONFIG);
		assert_int_equal(f->log.count, 1);
		assert_int_equal(f->log.line[0], 1);
		assert_string_equal(f->log.msg[0], "value for 'language' is not one of: zh_TW, en");
		assert_string_equal(regs_config_language(&cfg), ""); /* the defaults, not half */
	}
}

static void test_config_string_too_long_refused(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	char issuer[80];
	memset(issuer, 'x', sizeof(issuer) - 1);
	issuer[sizeof(issuer) - 1] = '\0';
	assert_int_equal(load_one(f, "issuer", issuer, &cfg), REGS_ERR_CONFIG);
	assert_int_equal(f->log.count, 1);
	assert_non_null(strstr(f->log.msg[0], "'issuer' is too long"));
	issuer[63] = '\0';
	assert_int_equal(load_one(f, "issuer", issuer, &cfg), REGS_OK);
	assert_string_equal(cfg.issuer, issuer);
}

static void test_config_missing_file(void **state)
{
	struct fixture *f = *state;
	struct regs_config cfg;
	char *buf = NULL;
	assert_int_equal(regs_config_load(&cfg, f->path, 1, collect_report, &f->log), REGS_OK);
	assert_int_equal(cfg.lock_minutes, 15);
	assert_int_equal(f->log.count, 0);
	assert_int_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log),
	                 REGS_ERR_NOT_FOUND);
	assert_int_equal(f->log.count, 0);
	assert_int_equal(regs_config_load(&cfg, f->path, 0, collect_report, &f->log),
	                 REGS_ERR_NOT_FOUND);
	assert_int_equal(f->log.count, 1);
	assert_string_equal(f->log.file[0], f->path);
}

static void test_config_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char target[160];
	char *buf = NULL;
	snprintf(target, sizeof(target), "%s/real.conf", f->dir);
	write_file(target, "lock_minutes = 20\n", 0644);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log),
	                 REGS_ERR_PERM);
	assert_null(buf);
	assert_int_equal(f->log.count, 1);
	assert_string_equal(f->log.file[0], f->path);
	assert_non_null(strstr(f->log.msg[0], "symbolic link"));
}

static void test_config_writable_by_group_or_others_refused(void **state)
{
	struct fixture *f = *state;
	static const mode_t modes[] = {0664, 0646, 0666, 0620};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *buf = NULL;
		write_file(f->path, "lock_minutes = 20\n", modes[i]);
		f->log.count = 0;
		assert_int_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log),
		                 REGS_ERR_PERM);
		assert_null(buf);
		assert_int_equal(f->log.count, 1);
		assert_string_equal(f->log.file[0], f->path);
		assert_non_null(strstr(f->log.msg[0], "writable by group or others"));
	}
}

static void test_config_not_regular_file_refused(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_int_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log),
	                 REGS_ERR_PERM);
	assert_int_equal(f->log.count, 1);
	assert_non_null(strstr(f->log.msg[0], "not a regular file"));
}

static void test_config_foreign_owner_refused(void **state)
{
	struct fixture *f = *state;
	char *buf = NULL;
	/* Only root can give a file away; other users cannot make this case. */
	if (geteuid() != 0)
		skip();
	write_file(f->path, "lock_minutes = 20\n", 0644);
	assert_int_equal(chown(f->path, 12345, 12345), 0);
	assert_int_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log),
	                 REGS_ERR_PERM);
	assert_int_equal(f->log.count, 1);
	assert_non_null(strstr(f->log.msg[0], "owned by uid 12345"));
}

static void test_config_too_big_refused(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(REGS_CONFIG_MAX_BYTES + 2);
	char *buf = NULL;
	assert_non_null(big);
	memset(big, '#', REGS_CONFIG_MAX_BYTES + 1);
	big[REGS_CONFIG_MAX_BYTES + 1] = '\0';
	write_file(f->path, big, 0644);
	assert_int_not_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log),
	                     REGS_OK);
	assert_null(buf);
	assert_int_equal(f->log.count, 1);
	assert_non_null(strstr(f->log.msg[0], "larger than"));
	/* Exactly the limit is fine. */
	big[REGS_CONFIG_MAX_BYTES] = '\0';
	write_file(f->path, big, 0644);
	assert_int_equal(config_read_file_safely(f->path, &buf, collect_report, &f->log), REGS_OK);
	assert_int_equal(strlen(buf), REGS_CONFIG_MAX_BYTES);
	free(buf);
	free(big);
}

/* A module-argument style table with one option of each type. */
struct module_args {
	int debug;
	int retries;
	int mode;
	char service[16];
};

static const char *const mode_choices[] = {"secure", "open", NULL};

static const struct opt_desc module_options[] = {
    {"debug", OPT_FLAG, offsetof(struct module_args, debug), sizeof(int), 0, 0, NULL},
    {"retries", OPT_INT, offsetof(struct module_args, retries), sizeof(int), 1, 5, NULL},
    {"mode", OPT_ENUM, offsetof(struct module_args, mode), sizeof(int), 0, 0, mode_choices},
    {"service", OPT_STRING, offsetof(struct module_args, service), 16, 0, 0, NULL},
    {NULL, OPT_INT, 0, 0, 0, 0, NULL},
};

static void test_config_module_arguments_via_opt_apply(void **state)
{
	struct fixture *f = *state;
	struct module_args args = {0};
	static const char *const good[] = {"debug", "retries=3", "mode=open", "service=login"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(opt_apply(module_options, &args, good[i], "argument", 0,
		                           collect_report, &f->log),
		                 REGS_OK);
	assert_int_equal(f->log.count, 0);
	assert_int_equal(args.debug, 1);
	assert_int_equal(args.retries, 3);
	assert_int_equal(args.mode, 1);
	assert_string_equal(args.service, "login");
	assert_int_equal(
	    opt_apply(module_options, &args, "debug=no", "argument", 0, collect_report, &f->log),
	    REGS_OK);
	assert_int_equal(args.debug, 0);
}

static void test_config_bad_module_arguments_reported(void **state)
{
	struct fixture *f = *state;
	struct module_args args = {0};
	static const char *const bad[] = {"nope",
	                                  "mode=bogus",
	                                  "retries=9",
	                                  "retries",
	                                  "debug=maybe",
	                                  "=3",
	                                  "service=waaaaaaaaaaaaaaaaaay-too-long"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(opt_apply(module_options, &args, bad[i], "argument", 0,
		                           collect_report, &f->log),
		                 REGS_ERR_CONFIG);
	assert_int_equal(f->log.count, sizeof(bad) / sizeof(bad[0]));
	for (unsigned i = 0; i < f->log.count; i++) {
		assert_string_equal(f->log.file[i], "argument");
		assert_int_equal(f->log.line[i], 0);
	}
	assert_string_equal(f->log.msg[0], UNKNOWN_KEY);
	assert_string_equal(f->log.msg[2], "value for 'retries' is not a number in 1..5");
	assert_string_equal(f->log.msg[3], "missing value for 'retries'");
	/* Nothing bad was stored. */
	assert_int_equal(args.mode, 0);
	assert_int_equal(args.retries, 0);
	assert_string_equal(args.service, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test_setup_teardown(test_config_file_values_loaded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_unknown_key_reported_with_line, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_config_every_bad_line_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_hygiene_config_reports_never_echo_a_line,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_out_of_range_values_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_config_range_bounds_accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_string_too_long_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_R9_6_config_language, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_missing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_writable_by_group_or_others_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_config_not_regular_file_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_foreign_owner_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_too_big_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_module_arguments_via_opt_apply, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_config_bad_module_arguments_reported, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
