/* regsd's secrets: kept out of core dumps and away from ptrace, and every secret file checked at
 * start-up. */
#ifndef REGSD_SECRETS_H
#define REGSD_SECRETS_H
#include "base/config.h"

/* No core dumps (RLIMIT_CORE 0) and not dumpable (no ptrace, no /proc/PID/mem for anyone
 * without CAP_SYS_PTRACE). Call first in main, before any secret is read; -1 if the
 * kernel refused (regsd then does not start). */
int secrets_protect_process(void);

/* Every configured secret file besides the seal key (the SMTP password, the OpenID client
 * file, the mobile-ID key) passes the TRUSTED_SECRET rule (lib/base/trustedfile.h); each refusal is
 * logged with the file's name and the reason. 0 when all pass. */
int secrets_check_files(const struct regs_config *cfg);

#endif
