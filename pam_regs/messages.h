/* Every text the module shows, translated through gettext (domain pam_regs). */
#ifndef PAM_REGS_MESSAGES_H
#define PAM_REGS_MESSAGES_H
#include <stddef.h>
#include <stdint.h>

const char *msg_unreachable(void);
/* regsd answered with an error: storage (nothing recorded) or another refusal. */
const char *msg_service_error(int storage);
/* A wrong first code during inline enrolment, with the tries it has left. */
void msg_enrol_wrong(char *buf, size_t size, uint32_t tries_left);
const char *msg_otp_prompt(void);
const char *msg_enrol_prompt(void);
const char *msg_bound_log_in_again(void);
const char *msg_forced_binding_refusal(void);
const char *msg_password_login_disabled(void);
const char *msg_card_only(void);
const char *msg_enrol_expired(void);
const char *msg_clock_hint(void);
/* "Account locked ... Try again in N minutes." */
void msg_locked(char *buf, size_t size, uint32_t lock_seconds);
/* The refusal for a verification result (enum regs_result), with tries left. */
void msg_verdict(char *buf, size_t size, uint32_t result, uint32_t lock_seconds,
                 uint32_t failures_left);
/* The inline-enrolment text shown above the code prompt. */
void msg_enrol_info(char *buf, size_t size, const char *qr, const char *secret, const char *uri,
                    uint32_t expires_in);

#endif
