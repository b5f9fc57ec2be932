/* The PAM conversation: messages, and info text sent together with its prompt (sshd
 * keyboard-interactive). */
#ifndef PAM_REGS_CONV_H
#define PAM_REGS_CONV_H
#include <security/pam_modules.h>

/* Shows one message (PAM_TEXT_INFO or PAM_ERROR_MSG). */
int conv_show(pam_handle_t *pamh, int style, const char *text);
int conv_error(pam_handle_t *pamh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Asks one question, with info (may be NULL) in the same conversation call.
 * *answer is malloc'd; the caller wipes and frees it (conv_free_answer). */
int conv_ask(pam_handle_t *pamh, const char *info, const char *prompt, int echo, char **answer);
/* Asks one question with an error text (may be NULL) in the same conversation call: a
 * client that drops messages without a prompt (Cockpit) or escapes their non-ASCII bytes
 * (OpenSSH) still shows it. */
int conv_ask_after_error(pam_handle_t *pamh, const char *error, const char *prompt, int echo,
                         char **answer);
void conv_free_answer(char *answer);

#endif
