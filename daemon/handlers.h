/* The method handlers: each reads its checked arguments, authorises, acts, and sets r->reply.
 * Login attempts go through the gate (gate.h); argument helpers are in request.h. */
#ifndef REGSD_HANDLERS_H
#define REGSD_HANDLERS_H
#include "daemon.h"

void handle_get_account(struct request *r);
void handle_verify_otp(struct request *r);
void handle_record_failure(struct request *r);
void handle_begin_otp_enrol(struct request *r);
void handle_confirm_otp_enrol(struct request *r);
void handle_cancel_otp_enrol(struct request *r);
void handle_get_status(struct request *r);
void handle_get_log(struct request *r);
void handle_list_accounts(struct request *r);
void handle_unlock(struct request *r);
void handle_reset(struct request *r);
void handle_step_up(struct request *r);
void handle_set_password_login(struct request *r);
void handle_password_changed(struct request *r);
void handle_set_class(struct request *r);
void handle_set_email(struct request *r);
void handle_verify_email(struct request *r);
void handle_get_email(struct request *r);
void handle_set_language(struct request *r);
void handle_request_reset_code(struct request *r);
void handle_redeem_reset_code(struct request *r);
void handle_card_challenge(struct request *r);
void handle_card_login(struct request *r);
void handle_card_login_serial(struct request *r);
void handle_card_known(struct request *r);
void handle_bind_card(struct request *r);
void handle_step_up_card(struct request *r);
void handle_google_begin(struct request *r);
void handle_google_login(struct request *r);
void handle_mobile_begin(struct request *r);
void handle_mobile_qr(struct request *r);
void handle_oob_wait(struct request *r);
void handle_oob_bind(struct request *r);
void handle_oob_cancel(struct request *r);
void handle_authorized_key(struct request *r);
/* Finishes a mailed-code call once its mail went out or failed (email.c). */
void mail_complete(struct request *r, struct mail_job *job);

#endif
