/* Module arguments, parsed by the same option parser as regs.conf. */
#ifndef PAM_REGS_OPTIONS_H
#define PAM_REGS_OPTIONS_H
#include <security/pam_modules.h>

enum module_mode { MODE_SELECT, MODE_AUTHFAIL, MODE_OTP, MODE_SPLIT };
enum enrol_mode { ENROL_REFUSE = 0, ENROL_INLINE = 1 };
enum text_mode { TEXT_UTF8 = 0, TEXT_ASCII = 1 };
/* R11.4: where the card is offered. auto: only to a login with no remote host (the reader
 * must be at the user's side, which it is not over ssh or a web console). */
enum card_mode { CARD_AUTO = 0, CARD_YES = 1, CARD_NO = 2 };

struct module_options {
	int otp;      /* flag: ask for and verify the OTP code */
	int authfail; /* flag: the password module before failed: count it */
	int split;    /* flag: password and code in one answer (R11.3) */
	int failmode; /* enum regs_failmode: secure (default) or open */
	int enrol;    /* enum enrol_mode, for the account phase (R1.4) */
	int card;     /* enum card_mode: offer the citizen certificate card (R11.4) */
	int timeout_ms;
	int tries;      /* OTP codes asked in one login (R11.2); each wrong one counts (R9.1) */
	int webconsole; /* flag: the client answers the first hidden prompt with its login
	                 * form's password and shows one line of ASCII per text (Cockpit) */
	int text;       /* enum text_mode; webconsole implies ascii */
	int debug;
};

/* Parses argv; reports bad arguments through pam_syslog. Returns 0 or -1. */
int options_parse(pam_handle_t *pamh, int argc, const char **argv, struct module_options *o);
enum module_mode options_mode(const struct module_options *o);

#endif
