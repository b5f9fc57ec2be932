/* Every text the module shows, translated through gettext (domain pam_regs). */
#ifndef PAM_REGS_MESSAGES_H
#define PAM_REGS_MESSAGES_H
#include "client.h"
#include <stddef.h>
#include <stdint.h>

const char *msg_unreachable(void);
/* regsd answered with an error: its database unreachable or failed (nothing recorded), or
 * another refusal. */
const char *msg_service_error(enum regs_client_err err);
/* A wrong first code during inline enrolment, with the tries it has left. */
void msg_enrol_wrong(char *buf, size_t size, uint32_t tries_left);
const char *msg_otp_prompt(void);
const char *msg_enrol_prompt(void);
/* The OTP prompt when the account can get an emergency code (R8.1). */
const char *msg_otp_prompt_lost(void);
const char *msg_reset_code_prompt(void);
const char *msg_bindings_deleted(void);
/* A wrong emergency code, with the tries left; one that expired or was used up. */
void msg_reset_wrong(char *buf, size_t size, uint32_t tries_left);
const char *msg_reset_code_dead(void);
enum { MSG_RESET_CONTACT_ADMIN, MSG_RESET_NO_EMAIL, MSG_RESET_MAIL_FAILED };
const char *msg_reset_refused(int reason);
/* The prefix of the code just mailed (R8.2). */
void msg_code_sent(char *buf, size_t size, const char *prefix, uint32_t seconds);
/* A code was mailed a moment ago (resend cooldown, R8.3). */
const char *msg_code_recent(void);
enum { MSG_PASSWORD_MUST_CHANGE, MSG_PASSWORD_EXPIRED };
const char *msg_password_change(int reason);
const char *msg_bound_log_in_again(void);
const char *msg_forced_binding_refusal(void);
const char *msg_password_login_disabled(void);
const char *msg_card_only(void);
/* R11.4: the card is bound but this login (remote) cannot use a reader. */
const char *msg_card_not_here(void);
const char *msg_enrol_expired(void);
const char *msg_clock_hint(void);
/* R12.1: a name pam_regs cannot handle whole is refused, never cut. */
const char *msg_user_name_too_long(void);
/* R12.2: regsd refused a new card challenge (account, caller or table at its limit). */
const char *msg_card_busy(void);
/* The card code (the plugin) is absent or refused: the card login is refused. */
const char *msg_card_support_missing(void);
/* "Account locked ... Try again in N minutes." */
void msg_locked(char *buf, size_t size, uint32_t lock_seconds);
/* The prompt after a refusal that ends the login (R11.1). */
const char *msg_press_enter_to_end(void);
/* The prompt after a refusal that only a prompt shows legibly (R9.6, R11.1). */
const char *msg_press_enter_to_continue(void);
/* The refusal for a verification result (enum regs_result), with tries left. */
void msg_verdict(char *buf, size_t size, uint32_t result, uint32_t lock_seconds,
                 uint32_t failures_left);
/* The inline-enrolment text shown above the code prompt. */
void msg_enrol_info(char *buf, size_t size, const char *qr, const char *secret, const char *uri,
                    uint32_t expires_in);
/* The same without a QR code, for clients that show one line of text (text=ascii). */
void msg_enrol_info_typed(char *buf, size_t size, const char *grouped_key, uint32_t expires_in);

/* The method menu (R1.3): a header, one line per offered method, the prompt. */
enum { MSG_METHOD_CARD, MSG_METHOD_MOBILE, MSG_METHOD_GOOGLE, MSG_METHOD_PASSWORD };
const char *msg_method_header(void);
const char *msg_method_label(int method);
const char *msg_method_prompt(void);
const char *msg_method_unknown(void);

/* Out-of-band logins (R4, R5): kind is MSG_METHOD_GOOGLE or MSG_METHOD_MOBILE. */
void msg_google_info(char *buf, size_t size, const char *uri, const char *user_code, const char *qr,
                     uint32_t seconds);
void msg_mobile_pushed(char *buf, size_t size, uint32_t seconds);
void msg_mobile_qr(char *buf, size_t size, const char *qr);
/* The push text for clients that cannot show a QR code (text=ascii). */
void msg_mobile_pushed_no_qr(char *buf, size_t size, uint32_t seconds);
/* offer_qr: the mobile prompt offers q for a QR code (not with text=ascii). */
void msg_oob_prompt(char *buf, size_t size, int kind, int offer_qr, uint32_t seconds_left);
const char *msg_oob_pending(void);
/* Why an out-of-band login ended without success (enum regs_oob_state). */
void msg_oob_outcome(char *buf, size_t size, int kind, uint32_t state, uint32_t lock_seconds);
/* regsd refused to start the flow (enum regs_client_err); its English detail goes to the log. */
void msg_oob_not_started(char *buf, size_t size, int kind, int err);
const char *msg_id_prompt(void);
const char *msg_id_invalid(void);
const char *msg_qr_unavailable(void);

/* Citizen certificate card (R3). */
const char *msg_insert_card(void);
void msg_pin_prompt(char *buf, size_t size, int tries);
void msg_wrong_pin(char *buf, size_t size, int tries_left);
const char *msg_card_status(int status); /* enum card_status */
void msg_card_verdict(char *buf, size_t size, uint32_t result, uint32_t lock_seconds);

/* Single-prompt clients (R11.3): password and code in one answer. */
const char *msg_split_prompt(void);
const char *msg_split_malformed(void);
/* No OTP bound: binding needs a second prompt, which such a client cannot answer. */
const char *msg_split_needs_otp(void);

#endif
