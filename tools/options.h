/* regsctl's options: which ones there are, and the parser of a command's arguments. */
#ifndef REGSCTL_OPTIONS_H
#define REGSCTL_OPTIONS_H
#include "regsctl.h"

/* Options, in the order of long_options; a command lists those it takes as a bit mask. */
enum option_index {
	OPTION_JSON,
	OPTION_USER,
	OPTION_ALL,
	OPTION_SINCE,
	OPTION_LIMIT,
	OPTION_LOCKED,
	OPTION_UNBOUND,
	OPTION_OTP,
	OPTION_PASSWORD_LOGIN_DISABLED,
	OPTION_YES,
	OPTION_NO_WAIT,
	OPTION_PASSWORD,
	OPTION_WAIT,
	OPTION_HELP,
};
#define TAKES(o) (1u << (o))
#define TAKES_FILTER                                                                               \
	(TAKES(OPTION_LOCKED) | TAKES(OPTION_UNBOUND) | TAKES(OPTION_OTP) |                        \
	 TAKES(OPTION_PASSWORD_LOGIN_DISABLED))

/* What a command accepts: its name (for messages), its TAKES() bits, how many operands. */
struct regsctl_syntax {
	const char *name;
	unsigned options;
	int min_operands, max_operands;
};

/* Parses argv (argv[0] is the command name) into a; sets *help for --help. Says what is wrong
 * and returns the usage exit code, or REGSCTL_EXIT_OK. */
int regsctl_parse_arguments(const struct regsctl_syntax *syntax, int argc, char **argv,
                            struct regsctl_args *a, int *help);

#endif
