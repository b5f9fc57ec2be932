/* regsd's mail texts (R8.6, R9.5): fixed bilingual wording, composed by lib/mail. */
#ifndef REGS_MAILTEXTS_H
#define REGS_MAILTEXTS_H
#include "base/config.h"
#include "base/error.h"

/* The subject and body of an emergency code mail: purpose_password = 0 for
 * resetting the login bindings (R8), 1 for a forgotten password (R9.5).
 * The subject names cfg->system_name and the purpose (R8.6); the body gives
 * the code, its prefix, its life in minutes, that only the newest code
 * counts, and not to share it. Both malloc'd; the body holds the code: free
 * it with regs_free_secret_str. A malformed code gives REGS_ERR_INVALID. */
enum regs_err mail_reset_code_text(const struct regs_config *cfg, const char *user,
                                   const char *code, int purpose_password, int minutes,
                                   char **subject, char **body);

/* The same for the code that verifies a new e-mail address (SetEmail). */
enum regs_err mail_verify_code_text(const struct regs_config *cfg, const char *user,
                                    const char *code, int minutes, char **subject, char **body);

#endif
