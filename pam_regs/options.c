/* Module arguments: the regs.conf parser with the module's own option table; bad arguments are
 * logged. */
#include "options.h"
#include "base/config.h"
#include <security/pam_ext.h>
#include <stddef.h>
#include <syslog.h>

static const char *const failmodes[] = {"secure", "open", NULL};
static const char *const enrol_modes[] = {"refuse", "inline", NULL};
static const char *const text_modes[] = {"utf8", "ascii", NULL};
static const char *const card_modes[] = {"auto", "yes", "no", NULL};

#define OPT(n, t, f, lo, hi, ch)                                                                   \
	{                                                                                          \
		n, t, offsetof(struct module_options, f), sizeof(int), lo, hi, ch                  \
	}
static const struct opt_desc module_option_table[] = {
    OPT("otp", OPT_FLAG, otp, 0, 1, NULL),
    OPT("authfail", OPT_FLAG, authfail, 0, 1, NULL),
    OPT("split", OPT_FLAG, split, 0, 1, NULL),
    OPT("failmode", OPT_ENUM, failmode, 0, 0, failmodes),
    OPT("enrol", OPT_ENUM, enrol, 0, 0, enrol_modes),
    OPT("card", OPT_ENUM, card, 0, 0, card_modes),
    OPT("timeout", OPT_INT, timeout_ms, 100, 120000, NULL),
    OPT("tries", OPT_INT, tries, 1, 10, NULL),
    OPT("webconsole", OPT_FLAG, webconsole, 0, 1, NULL),
    OPT("text", OPT_ENUM, text, 0, 0, text_modes),
    OPT("debug", OPT_FLAG, debug, 0, 1, NULL),
    {NULL, 0, 0, 0, 0, 0, NULL},
};

/* line is the argument's position (1 = the first after the module path): the parser does
 * not echo an argument it does not know. */
static void report_syslog(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)file;
	pam_syslog((pam_handle_t *)ctx, LOG_ERR, "module argument %u: %s", line, msg);
}

int options_parse(pam_handle_t *pamh, int argc, const char **argv, struct module_options *o)
{
	int bad = 0;
	o->otp = o->authfail = o->split = o->debug = o->webconsole = 0;
	o->text = TEXT_UTF8;
	o->failmode = REGS_FAILMODE_SECURE;
	o->enrol = ENROL_REFUSE;
	o->card = CARD_AUTO;
	o->timeout_ms = 5000;
	o->tries = 1;
	for (int i = 0; i < argc; i++)
		if (opt_apply(module_option_table, o, argv[i], "argument", (unsigned)i + 1,
		              report_syslog, pamh) != REGS_OK)
			bad = 1;
	if (o->webconsole)
		o->text = TEXT_ASCII; /* Cockpit shows no other text legibly */
	return bad ? -1 : 0;
}

enum module_mode options_mode(const struct module_options *o)
{
	if (o->otp)
		return MODE_OTP;
	if (o->authfail)
		return MODE_AUTHFAIL;
	return o->split ? MODE_SPLIT : MODE_SELECT;
}
