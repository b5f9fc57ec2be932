/* regsd's mail texts (R8.6, R9.5): the subject and body of each code mail, bilingual. */
#include "mailtexts.h"
#include "otp/resetcode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Formats into a fresh allocation sized exactly (vasprintf's internal
 * growth would leave unwiped copies of the code in freed memory). */
__attribute__((format(printf, 2, 3))) static enum regs_err mail_format(char **out, const char *fmt,
                                                                       ...);

static enum regs_err mail_format(char **out, const char *fmt, ...)
{
	va_list ap;
	*out = NULL;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return REGS_ERR_INVALID;
	char *s = malloc((size_t)n + 1);
	if (s == NULL)
		return REGS_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*out = s;
	return REGS_OK;
}

/* Fixed bilingual text (Traditional Chinese first, then English), not
 * gettext: regsd writes the mail without knowing the reader's locale, and
 * the reader may open it anywhere. Wording follows the manual's section 八. */

struct mail_purpose {
	const char *zh_subject, *en_subject;
	const char *zh_request, *zh_code_name, *zh_expiry, *zh_effect, *zh_ignore;
	const char *en_request, *en_code_name, *en_expiry, *en_effect, *en_ignore;
};

static const struct mail_purpose mail_purpose_binding = {
    .zh_subject = "重設登入綁定緊急驗證碼",
    .en_subject = "Emergency code to reset login bindings",
    .zh_request = "重設登入綁定",
    .zh_code_name = "緊急驗證碼",
    .zh_expiry = "，變更 E-Mail 後也會失效",
    .zh_effect = "驗證成功後，此帳號先前所有的登入綁定都會被刪除，需再次進行綁定。",
    .zh_ignore = "，您的登入綁定不會改變",
    .en_request = "reset the login bindings",
    .en_code_name = "emergency code",
    .en_expiry = ", and also when the e-mail address is changed",
    .en_effect = "A correct code deletes all login bindings of this account; you will then "
                 "have to bind a method again.",
    .en_ignore = "; your login bindings stay as they are",
};

static const struct mail_purpose mail_purpose_password = {
    .zh_subject = "重設密碼緊急驗證碼",
    .en_subject = "Emergency code to reset your password",
    .zh_request = "忘記密碼（重設密碼）",
    .zh_code_name = "緊急驗證碼",
    .zh_expiry = "，變更 E-Mail 後也會失效",
    .zh_effect = "驗證成功後，此帳號須設定新密碼；若無法變更，請洽管理者協助重設。",
    .zh_ignore = "，您的密碼不會改變",
    .en_request = "reset the password",
    .en_code_name = "emergency code",
    .en_expiry = ", and also when the e-mail address is changed",
    .en_effect = "A correct code requires a new password for this account; if you cannot "
                 "change it yourself, ask an administrator to reset it.",
    .en_ignore = "; your password stays as it is",
};

static const struct mail_purpose mail_purpose_verify = {
    .zh_subject = "E-Mail 驗證碼",
    .en_subject = "E-mail verification code",
    .zh_request = "設定 E-Mail",
    .zh_code_name = "E-Mail 驗證碼",
    .zh_expiry = "",
    .zh_effect = "輸入驗證碼後，此 E-Mail 即完成驗證，日後可用來收取緊急驗證碼。",
    .zh_ignore = "，此 E-Mail 不會被使用",
    .en_request = "verify this e-mail address",
    .en_code_name = "e-mail verification code",
    .en_expiry = "",
    .en_effect = "Entering the code verifies this address; it can then receive "
                 "emergency codes.",
    .en_ignore = "; this address will not be used",
};

static enum regs_err mail_code_text(const struct regs_config *cfg, const char *user,
                                    const char *code, int minutes, const struct mail_purpose *t,
                                    char **subject, char **body)
{
	char prefix[RESETCODE_PREFIX_SIZE];
	const char *sys = cfg->system_name[0] != '\0' ? cfg->system_name : "pam_regs";
	*subject = NULL;
	*body = NULL;
	if (user == NULL || minutes <= 0 || !resetcode_well_formed(code))
		return REGS_ERR_INVALID;
	resetcode_prefix(code, prefix);
	enum regs_err err =
	    mail_format(subject, "[%s] %s %s (%s)", sys, t->zh_subject, t->en_subject, prefix);
	if (err == REGS_OK)
		err = mail_format(
		    body,
		    "您好：\n\n"
		    "「%s」系統收到帳號 %s 的%s申請。您的%s是：\n\n"
		    "    %s\n\n"
		    "* "
		    "請確認驗證碼的英文碼「%"
		    "s」與畫面上顯示的相同；若重新發送過，只有最新一封信的驗證碼有效。\n"
		    "* 驗證碼將於 %d 分鐘後失效%s。\n"
		    "* %s\n"
		    "* 為確保資料安全，請勿將此驗證碼告知他人，系統人員也不會向您索取。\n"
		    "* 若您沒有提出此申請，請忽略本信%s。\n\n"
		    "Hello,\n\n"
		    "The system \"%s\" received a request to %s for the account %s. "
		    "Your %s is:\n\n"
		    "    %s\n\n"
		    "* Check that its letters \"%s\" match the ones shown on your screen; if a new "
		    "code was sent, only the code in the newest mail is valid.\n"
		    "* The code expires in %d minute%s%s.\n"
		    "* %s\n"
		    "* Do not share this code with anyone; administrators will never ask you for "
		    "it.\n"
		    "* If you did not ask for this, ignore this mail%s.\n\n"
		    "-- \n%s（本信由系統自動發送，請勿回覆。This mail was sent automatically; "
		    "please do not reply.）\n",
		    sys, user, t->zh_request, t->zh_code_name, code, prefix, minutes, t->zh_expiry,
		    t->zh_effect, t->zh_ignore, sys, t->en_request, user, t->en_code_name, code,
		    prefix, minutes, minutes == 1 ? "" : "s", t->en_expiry, t->en_effect,
		    t->en_ignore, sys);
	if (err != REGS_OK) {
		free(*subject);
		*subject = NULL;
	}
	return err;
}

enum regs_err mail_reset_code_text(const struct regs_config *cfg, const char *user,
                                   const char *code, int purpose_password, int minutes,
                                   char **subject, char **body)
{
	return mail_code_text(cfg, user, code, minutes,
	                      purpose_password ? &mail_purpose_password : &mail_purpose_binding,
	                      subject, body);
}

enum regs_err mail_verify_code_text(const struct regs_config *cfg, const char *user,
                                    const char *code, int minutes, char **subject, char **body)
{
	return mail_code_text(cfg, user, code, minutes, &mail_purpose_verify, subject, body);
}
