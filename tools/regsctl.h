/* What regsctl's command files share: exit codes, parsed arguments and error reporting. */
#ifndef REGSCTL_H
#define REGSCTL_H
#include "client.h"
#include <stdint.h>

/* Exit codes; documented in --help and regsctl(1). */
enum regsctl_exit {
	REGSCTL_EXIT_OK = 0,
	REGSCTL_EXIT_USAGE = 1,
	REGSCTL_EXIT_UNREACHABLE = 2,
	REGSCTL_EXIT_DENIED = 3,
	REGSCTL_EXIT_VERIFY = 4, /* wrong, replayed, drifted or expired code */
	REGSCTL_EXIT_LOCKED = 5,
	REGSCTL_EXIT_NOT_FOUND = 6, /* no such user or enrolment */
	REGSCTL_EXIT_ALREADY_BOUND = 7,
	REGSCTL_EXIT_OTHER = 8,   /* storage, protocol, memory */
	REGSCTL_EXIT_REFUSED = 9, /* refused by policy: not allowed, contact an administrator, no
	                           * verified e-mail, too soon, mail not sent */
};

/* The command line after option parsing. */
struct regsctl_args {
	int json;
	const char *user;   /* --user NAME, "*" for --all, "" for the caller */
	int64_t since;      /* --since, seconds since the epoch; 0 = from the start */
	uint32_t limit;     /* --limit */
	const char *filter; /* list: "", "locked", "unbound", "otp", "password-login-disabled" */
	int yes;            /* --yes: do not ask for confirmation */
	int no_wait;        /* --no-wait: only send the code, do not ask for it */
	int password;       /* --password: the reset code is for the password (R9.5) */
	char **operands;
	int n_operands;
};

struct regsctl_context {
	struct regs_client *client;
	struct regsctl_args args;
};

/* User commands (cmd_user.c). */
int cmd_status(struct regsctl_context *ctx);
int cmd_enrol(struct regsctl_context *ctx);
int cmd_rebind(struct regsctl_context *ctx);
int cmd_password_login(struct regsctl_context *ctx);
int cmd_email(struct regsctl_context *ctx);
int cmd_reset_code(struct regsctl_context *ctx);
int cmd_log(struct regsctl_context *ctx);

/* Administrator commands (cmd_admin.c). */
int cmd_list(struct regsctl_context *ctx);
int cmd_unlock(struct regsctl_context *ctx);
int cmd_reset(struct regsctl_context *ctx);
int cmd_set_email(struct regsctl_context *ctx);
int cmd_set_class(struct regsctl_context *ctx);

/* Prints "regsctl: MESSAGE" on stderr. */
__attribute__((format(printf, 1, 2))) void regsctl_error(const char *fmt, ...);
/* Says on stderr why a call to regsd failed; returns the exit code for it. */
int regsctl_report_failure(const struct regs_client *c, enum regs_client_err err);
/* Says on stderr that we ran out of memory; returns REGSCTL_EXIT_OTHER. */
int regsctl_report_nomem(void);

/* Whole minutes left, rounded up, for lock and expiry messages. */
static inline unsigned regsctl_minutes(uint32_t seconds)
{
	return seconds / 60u + (seconds % 60u != 0);
}

#endif
