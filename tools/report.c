/* regsctl's errors: how a failed regsd call is told to the user, and its exit code. */
#include "base/i18n.h"
#include "regsctl.h"

#include <stdarg.h>
#include <stdio.h>

/* How a failed regsd call is told to the user and which exit code it gives. */
static const struct {
	enum regs_client_err err;
	int exit_code;
	const char *message; /* N_() */
} failures[] = {
    {RC_UNREACHABLE, REGSCTL_EXIT_UNREACHABLE,
     N_("cannot reach regsd on the system bus (is it installed and running?)")},
    {RC_DENIED, REGSCTL_EXIT_DENIED,
     N_("access denied (administrators only, or not your account)")},
    {RC_INVALID, REGSCTL_EXIT_USAGE, N_("regsd refused the arguments")},
    {RC_NO_SUCH_USER, REGSCTL_EXIT_NOT_FOUND, N_("no such user")},
    {RC_ALREADY_BOUND, REGSCTL_EXIT_ALREADY_BOUND, N_("the method is already bound")},
    {RC_NO_ENROLMENT, REGSCTL_EXIT_NOT_FOUND,
     N_("no such enrolment (it may have expired); start again with 'regsctl enrol otp'")},
    {RC_STORAGE, REGSCTL_EXIT_OTHER, N_("regsd could not read or write its database")},
    {RC_UNAVAILABLE, REGSCTL_EXIT_OTHER,
     N_("regsd cannot reach its database now; nothing was changed, try again later")},
    {RC_PROTOCOL, REGSCTL_EXIT_OTHER, N_("unexpected answer from regsd")},
    {RC_NOMEM, REGSCTL_EXIT_OTHER, N_("out of memory")},
    {RC_STEP_UP_REQUIRED, REGSCTL_EXIT_DENIED,
     N_("re-verification with a bound method is required")},
    {RC_NOT_ALLOWED, REGSCTL_EXIT_REFUSED, N_("not allowed")},
    {RC_CONTACT_ADMIN, REGSCTL_EXIT_REFUSED,
     N_("Not available for this account: contact an administrator.")},
    {RC_NO_VERIFIED_EMAIL, REGSCTL_EXIT_REFUSED,
     N_("the account has no verified e-mail address (set one with 'regsctl email set "
        "ADDRESS', or ask an administrator)")},
    {RC_MAIL_FAILED, REGSCTL_EXIT_REFUSED, N_("the mail could not be sent; no code is valid")},
    {RC_TOO_SOON, REGSCTL_EXIT_REFUSED, N_("too soon for another code; wait and try again")},
};

void regsctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("regsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int regsctl_report_failure(const struct regs_client *c, enum regs_client_err err)
{
	const char *detail = regs_client_error_message(c);
	uint32_t seconds;

	/* NotAllowed: regsd's message says why (R6.1). */
	if (err == RC_NOT_ALLOWED && *detail) {
		regsctl_error("%s", detail);
		return REGSCTL_EXIT_REFUSED;
	}
	/* TooSoon: regsd says how long, as a number (the bus contract), not in its message. */
	if (err == RC_TOO_SOON && regs_client_error_wait(c, &seconds)) {
		regsctl_error(_("too soon for another code: try again in %u s"), (unsigned)seconds);
		return REGSCTL_EXIT_REFUSED;
	}
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		if (failures[i].err != err)
			continue;
		if (*detail)
			regsctl_error("%s (%s)", _(failures[i].message), detail);
		else
			regsctl_error("%s", _(failures[i].message));
		return failures[i].exit_code;
	}
	regsctl_error(_("unexpected error %d"), (int)err);
	return REGSCTL_EXIT_OTHER;
}

int regsctl_report_nomem(void)
{
	return regsctl_report_failure(NULL, RC_NOMEM);
}
