/* gettext for every user-facing string; the domain is the package name. */
#ifndef REGS_I18N_H
#define REGS_I18N_H
#include <libintl.h>

#define REGS_TEXTDOMAIN "pam_regs"
#define _(s) dgettext(REGS_TEXTDOMAIN, s)
#define N_(s) (s)

#endif
