/* regsctl store copy FROM TO (R10.5): root runs regsd's offline copy, regsd --copy-store, which
 * links the database code; regsctl itself links neither LMDB nor libpq. */
#include "../daemon/storecopy.h"
#include "base/i18n.h"
#include "regsctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef REGS_REGSD_PATH
#define REGS_REGSD_PATH "/usr/sbin/regsd"
#endif

/* The installed regsd; a test hook names another (the build tree's). */
static const char *regsd_path(void)
{
	const char *path = secure_getenv("REGS_TEST_REGSD");
	return path && *path ? path : REGS_REGSD_PATH;
}

/* regsd --copy-store's exit status (daemon/storecopy.h) as regsctl's. */
static int exit_code_of(int status)
{
	if (!WIFEXITED(status))
		return REGSCTL_EXIT_OTHER;
	switch (WEXITSTATUS(status)) {
	case STORECOPY_OK:
		return REGSCTL_EXIT_OK;
	case STORECOPY_USAGE:
		return REGSCTL_EXIT_USAGE;
	case STORECOPY_NOT_EMPTY:
		return REGSCTL_EXIT_REFUSED;
	default:
		return REGSCTL_EXIT_OTHER;
	}
}

static int run_regsd_copy(const char *from, const char *to)
{
	const char *path = regsd_path();
	char *const argv[] = {(char *)path, (char *)"--copy-store", (char *)from, (char *)to, NULL};
	int status;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		regsctl_error(_("cannot start %s: %s"), path, strerror(errno));
		return REGSCTL_EXIT_OTHER;
	}
	if (pid == 0) {
		execv(path, argv);
		regsctl_error(_("cannot start %s: %s"), path, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			regsctl_error(_("lost %s: %s"), path, strerror(errno));
			return REGSCTL_EXIT_OTHER;
		}
	}
	return exit_code_of(status);
}

static int store_copy(struct regsctl_context *ctx, char **args, int n_args)
{
	(void)ctx;
	(void)n_args;
	if (getuid() != 0 || geteuid() != 0) {
		regsctl_error(_("'store copy' is for root only: it reads and writes the databases "
		                "directly"));
		return REGSCTL_EXIT_DENIED;
	}
	return run_regsd_copy(args[0], args[1]);
}

int cmd_store(struct regsctl_context *ctx)
{
	static const struct regsctl_subcommand subs[] = {
	    {"copy", 2, 2, store_copy},
	};

	return regsctl_run_subcommand(ctx, "store", subs, sizeof(subs) / sizeof(subs[0]));
}
