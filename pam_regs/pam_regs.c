/* pam_regs entry points: translate PAM calls into flows; the flows and regsd decide. */
#include "base/i18n.h"
#include "flows.h"
#include "user_locale.h"
#include <security/pam_modules.h>

#define PAM_REGS_EXPORT __attribute__((visibility("default")))

static void init_i18n(void)
{
	bindtextdomain(REGS_TEXTDOMAIN, LOCALEDIR);
}

static int run(pam_handle_t *pamh, int flags, int argc, const char **argv,
               int (*step)(struct flow *))
{
	struct flow f;
	struct user_locale ul;
	init_i18n();
	user_locale_enter(pamh, &ul);
	int rc = flow_start(&f, pamh, argc, argv, &ul);
	f.pam_flags = flags;
	if (rc == PAM_SUCCESS)
		rc = step(&f);
	rc = flow_end(&f, rc);
	user_locale_leave(&ul);
	return rc;
}

static int authenticate(struct flow *f)
{
	switch (options_mode(&f->opt)) {
	case MODE_OTP:
		return flow_otp(f);
	case MODE_AUTHFAIL:
		return flow_authfail(f);
	case MODE_SPLIT:
		return flow_split(f);
	default:
		return flow_select(f);
	}
}

PAM_REGS_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return run(pamh, flags, argc, argv, authenticate);
}

PAM_REGS_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_SUCCESS;
}

PAM_REGS_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return run(pamh, flags, argc, argv, flow_account);
}

PAM_REGS_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_IGNORE;
}

PAM_REGS_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh, (void)flags, (void)argc, (void)argv;
	return PAM_IGNORE;
}

/* Records a successful password change (R9.2, R6.4); list it after the
 * password module with "requisite" there, so only a real change gets here. */
PAM_REGS_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return run(pamh, flags, argc, argv, flow_password);
}
