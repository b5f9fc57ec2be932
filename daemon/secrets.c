/* regsd holds the seal key and client secrets for its lifetime: the process is kept out of
 * core dumps and ptrace, and a secret file others can read stops the start, not a login. */
#include "secrets.h"
#include "base/trustedfile.h"
#include "base/wipe.h"
#include "daemon.h"
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <syslog.h>

#define SECRET_FILE_MAX 16384

int secrets_protect_process(void)
{
	const struct rlimit none = {0, 0};
	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		regsd_log(LOG_ERR, "cannot turn core dumps off: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		regsd_log(LOG_ERR, "cannot make the process non-dumpable: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads the file through the one check and wipes what it read. */
static int check_one(const char *what, const char *path)
{
	char why[TRUSTED_WHY_MAX];
	char *text = NULL;
	enum regs_err err =
	    trusted_file_read_text(path, TRUSTED_SECRET, SECRET_FILE_MAX, &text, why, sizeof(why));
	regs_free_secret_str(text);
	if (err == REGS_OK)
		return 0;
	regsd_log(LOG_ERR, "%s %s: %s", what, path, why);
	return -1;
}

int secrets_check_files(const struct regs_config *cfg)
{
	int bad = 0;
	/* lib/mail/send.c reads the password only when a user is configured */
	if (*cfg->smtp_user && check_one("smtp_password_file", cfg->smtp_password_file) != 0)
		bad = 1;
	if (*cfg->oidc_client_file && check_one("oidc_client_file", cfg->oidc_client_file) != 0)
		bad = 1;
	if (*cfg->mobile_url && check_one("mobile_key_file", cfg->mobile_key_file) != 0)
		bad = 1;
	return bad ? -1 : 0;
}
