/* Names on the bus shared by regsd, pam_regs and regsctl. The interface itself (methods, their
 * arguments, errors, flags, results) is data/tw.regs.Daemon1.xml, from which the build generates
 * proto/contract.h; here are the argument values the methods take. */
#ifndef REGS_BUS_H
#define REGS_BUS_H

#include "proto/contract.h"

/* The longest user name anywhere in pam_regs, in bytes without the NUL (R12.1): Linux's
 * LOGIN_NAME_MAX (256 with the NUL), which LDAP/SSSD fully-qualified names may use. A longer
 * name is refused clearly, never cut: a cut name could be another account's. */
#define REGS_USER_NAME_MAX 255

/* Step-up purposes (StepUp, StepUpCard; R7.1). */
#define REGS_PURPOSE_VIEW "view"                     /* GetStatus of one's own account */
#define REGS_PURPOSE_OTP "otp"                       /* rebind OTP */
#define REGS_PURPOSE_PASSWORD_LOGIN "password-login" /* disable or enable password login */
#define REGS_PURPOSE_EMAIL "email"                   /* set the e-mail address */
#define REGS_PURPOSE_CARD "card"                     /* step-up for binding a card */
#define REGS_PURPOSE_GOOGLE "google"                 /* step-up for binding a Google account */
#define REGS_PURPOSE_MOBILE "mobile"                 /* step-up for binding a mobile certificate */

/* RequestResetCode, RedeemResetCode purposes. */
#define REGS_RESET_BINDING "binding"
#define REGS_RESET_PASSWORD "password"

/* CardChallenge purposes. */
#define REGS_CARD_STEP_UP "step-up"
#define REGS_CARD_LOGIN "login"
#define REGS_CARD_BIND "bind"

/* GoogleBegin, MobileBegin purposes. */
#define REGS_OOB_LOGIN "login"
#define REGS_OOB_BIND "bind"

#endif
