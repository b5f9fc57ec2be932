/* regsctl's option parsing: getopt_long over the options a command takes, and their values. */
#include "options.h"
#include "base/i18n.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REGSCTL_DEFAULT_LIMIT 100
#define OPTION_VALUE_BASE 256 /* getopt_long values: OPTION_VALUE_BASE + enum option_index */

static const struct option long_options[] = {
    {"json", no_argument, NULL, OPTION_VALUE_BASE + OPTION_JSON},
    {"user", required_argument, NULL, OPTION_VALUE_BASE + OPTION_USER},
    {"all", no_argument, NULL, OPTION_VALUE_BASE + OPTION_ALL},
    {"since", required_argument, NULL, OPTION_VALUE_BASE + OPTION_SINCE},
    {"limit", required_argument, NULL, OPTION_VALUE_BASE + OPTION_LIMIT},
    {"locked", no_argument, NULL, OPTION_VALUE_BASE + OPTION_LOCKED},
    {"unbound", no_argument, NULL, OPTION_VALUE_BASE + OPTION_UNBOUND},
    {"otp", no_argument, NULL, OPTION_VALUE_BASE + OPTION_OTP},
    {"password-login-disabled", no_argument, NULL,
     OPTION_VALUE_BASE + OPTION_PASSWORD_LOGIN_DISABLED},
    {"yes", no_argument, NULL, OPTION_VALUE_BASE + OPTION_YES},
    {"no-wait", no_argument, NULL, OPTION_VALUE_BASE + OPTION_NO_WAIT},
    {"password", no_argument, NULL, OPTION_VALUE_BASE + OPTION_PASSWORD},
    {"wait", required_argument, NULL, OPTION_VALUE_BASE + OPTION_WAIT},
    {"help", no_argument, NULL, OPTION_VALUE_BASE + OPTION_HELP},
    {NULL, 0, NULL, 0},
};

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
	}
	return 1;
}

/* --since: a local date YYYY-MM-DD (from its midnight) or seconds since the epoch. */
static int parse_since(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int year, month, day, end = 0;
	unsigned long long epoch;
	time_t t;

	if (all_digits(s)) {
		errno = 0;
		epoch = strtoull(s, NULL, 10);
		if (errno || epoch > INT64_MAX)
			return -1;
		*out = (int64_t)epoch;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &year, &month, &day, &end) != 3 || s[end] != '\0' ||
	    end != 10)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	/* mktime normalises 2024-02-31 to March: refuse dates that moved. */
	if (t == (time_t)-1 || tm.tm_mday != day || tm.tm_mon != month - 1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int parse_limit(const char *s, uint32_t *out)
{
	unsigned long long n;

	if (!all_digits(s))
		return -1;
	errno = 0;
	n = strtoull(s, NULL, 10);
	if (errno || n == 0 || n > UINT32_MAX)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

/* --wait: whole seconds, at most an hour. */
static int parse_wait(const char *s, unsigned *out)
{
	unsigned long n;

	if (!all_digits(s) || strlen(s) > 4)
		return -1;
	n = strtoul(s, NULL, 10);
	if (n > 3600)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static int set_filter(struct regsctl_args *a, const char *filter)
{
	if (*a->filter) {
		regsctl_error(_(
		    "--locked, --unbound, --otp and --password-login-disabled exclude each other"));
		return -1;
	}
	a->filter = filter;
	return 0;
}

static int set_user(struct regsctl_args *a, const char *user)
{
	if (*a->user) {
		regsctl_error(_("--user and --all exclude each other"));
		return -1;
	}
	a->user = user;
	return 0;
}

/* Applies one option the command takes; says what is wrong and returns -1 on a bad value. */
static int apply_option(enum option_index option, const char *value, struct regsctl_args *a,
                        int *help)
{
	switch (option) {
	case OPTION_JSON:
		a->json = 1;
		return 0;
	case OPTION_USER:
		return set_user(a, value);
	case OPTION_ALL:
		return set_user(a, "*");
	case OPTION_SINCE:
		if (parse_since(value, &a->since) == 0)
			return 0;
		regsctl_error(
		    _("--since wants a date YYYY-MM-DD or seconds since the epoch, not '%s'"),
		    value);
		return -1;
	case OPTION_LIMIT:
		if (parse_limit(value, &a->limit) == 0)
			return 0;
		regsctl_error(_("--limit wants a positive number, not '%s'"), value);
		return -1;
	case OPTION_LOCKED:
		return set_filter(a, "locked");
	case OPTION_UNBOUND:
		return set_filter(a, "unbound");
	case OPTION_OTP:
		return set_filter(a, "otp");
	case OPTION_PASSWORD_LOGIN_DISABLED:
		return set_filter(a, "password-login-disabled");
	case OPTION_YES:
		a->yes = 1;
		return 0;
	case OPTION_NO_WAIT:
		a->no_wait = 1;
		return 0;
	case OPTION_PASSWORD:
		a->password = 1;
		return 0;
	case OPTION_WAIT:
		if (parse_wait(value, &a->wait_seconds) == 0)
			return 0;
		regsctl_error(_("--wait wants a number of seconds up to 3600, not '%s'"), value);
		return -1;
	case OPTION_HELP:
		*help = 1;
		return 0;
	}
	return -1;
}

/* Says why getopt_long stopped at argv[optind - 1]. */
static void report_bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		regsctl_error(_("option '%s' needs a value"), arg);
	else if (optopt)
		regsctl_error(_("unknown option '-%c'"), optopt);
	else
		regsctl_error(_("unknown option '%s'"), arg);
}

int regsctl_parse_arguments(const struct regsctl_syntax *cmd, int argc, char **argv,
                            struct regsctl_args *a, int *help)
{
	int c;

	a->user = "";
	a->filter = "";
	a->limit = REGSCTL_DEFAULT_LIMIT;
	optind = 0; /* glibc: start afresh */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		enum option_index option =
		    c == 'h' ? OPTION_HELP : (enum option_index)(c - OPTION_VALUE_BASE);

		if (c == ':' || c == '?') {
			report_bad_option(c, argv);
			return regsctl_usage_error(cmd->name);
		}
		if (option != OPTION_HELP && !(cmd->options & TAKES(option))) {
			regsctl_error(_("'%s' does not take --%s"), cmd->name,
			              long_options[option].name);
			return regsctl_usage_error(cmd->name);
		}
		if (apply_option(option, optarg, a, help) < 0)
			return regsctl_usage_error(cmd->name);
	}
	a->operands = argv + optind;
	a->n_operands = argc - optind;
	if (!*help && (a->n_operands < cmd->min_operands || a->n_operands > cmd->max_operands)) {
		regsctl_error(_("wrong number of arguments for '%s'"), cmd->name);
		return regsctl_usage_error(cmd->name);
	}
	return REGSCTL_EXIT_OK;
}
