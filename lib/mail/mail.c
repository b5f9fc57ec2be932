/* Mailing codes: bilingual texts, RFC 5322 + MIME composition, and SMTP delivery through libcurl.
 */
#include "mail/mail.h"
#include "base/trustedfile.h"

#include "base/base64.h"
#include "base/buf.h"
#include "base/random.h"
#include "base/wipe.h"
#include "otp/resetcode.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAIL_BASE64_LINE_BYTES 57 /* 76 characters of base64 per body line */
#define MAIL_WORD_BYTES 39        /* 52 characters of base64: "Subject: " + word < 78 */
#define MAIL_PASSWORD_MAX 256
#define MAIL_PASSWORD_FILE_MAX 4096

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

/* ---- Addresses and headers. ---- */

int mail_address_valid(const char *addr)
{
	if (addr == NULL)
		return 0;
	size_t len = strlen(addr);
	const char *at = strchr(addr, '@');
	if (len == 0 || len > MAIL_ADDRESS_MAX || at == NULL || at == addr ||
	    strchr(at + 1, '@') != NULL || at[1] == '\0' || at[1] == '.' || addr[len - 1] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>()[],;:\"\\", *p) != NULL)
			return 0;
	return 1;
}

static int mail_has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Plain printable ASCII can go into a header as it is; anything else (and
 * text that would read as an encoded word) is B-encoded. */
static int mail_needs_encoding(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 1;
	return strstr(s, "=?") != NULL;
}

/* n bytes (at most MAIL_BASE64_LINE_BYTES) as base64; the copy on the stack is wiped. */
static void mail_buf_base64(struct regs_buf *b, const unsigned char *data, size_t n)
{
	char text[BASE64_ENCODED_SIZE(MAIL_BASE64_LINE_BYTES)];
	if (n > MAIL_BASE64_LINE_BYTES) {
		regs_buf_fail(b, REGS_ERR_INVALID);
		return;
	}
	regs_buf_append(b, text, base64_encode(data, n, text));
	regs_wipe(text, sizeof(text));
}

/* RFC 2047 encoded words, each at most 75 characters, folded with CRLF SP;
 * chunks end on UTF-8 character boundaries so each word decodes on its own. */
static void mail_buf_encoded_words(struct regs_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t left = strlen(text);
	int first = 1;
	while (left > 0) {
		size_t n = left < MAIL_WORD_BYTES ? left : MAIL_WORD_BYTES;
		while (n < left && n > 1 && (p[n] & 0xc0) == 0x80)
			n--; /* do not split a character */
		regs_buf_append_str(b, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
		mail_buf_base64(b, p, n);
		regs_buf_append_str(b, "?=");
		p += n;
		left -= n;
		first = 0;
	}
}

static void mail_buf_header_text(struct regs_buf *b, const char *name, const char *text)
{
	regs_buf_append_str(b, name);
	regs_buf_append_str(b, ": ");
	if (mail_needs_encoding(text))
		mail_buf_encoded_words(b, text);
	else
		regs_buf_append_str(b, text);
	regs_buf_append_str(b, "\r\n");
}

/* From: "system name" <address>; a non-ASCII name as encoded words. */
static void mail_buf_from(struct regs_buf *b, const struct regs_config *cfg)
{
	regs_buf_append_str(b, "From: ");
	if (cfg->system_name[0] != '\0' && mail_needs_encoding(cfg->system_name)) {
		mail_buf_encoded_words(b, cfg->system_name);
		regs_buf_append_str(b, " ");
	} else if (cfg->system_name[0] != '\0') {
		regs_buf_append_str(b, "\"");
		for (const char *p = cfg->system_name; *p; p++) {
			if (*p == '"' || *p == '\\')
				regs_buf_append_str(b, "\\");
			regs_buf_append(b, p, 1);
		}
		regs_buf_append_str(b, "\" ");
	}
	regs_buf_append_str(b, "<");
	regs_buf_append_str(b, cfg->smtp_from);
	regs_buf_append_str(b, ">\r\n");
}

/* RFC 5322 date in UTC, with English names whatever the locale is. */
static void mail_buf_date(struct regs_buf *b, int64_t now)
{
	static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)now;
	struct tm tm;
	char line[64];
	if (gmtime_r(&t, &tm) == NULL) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	         days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
	         tm.tm_hour, tm.tm_min, tm.tm_sec);
	regs_buf_append_str(b, line);
}

static enum regs_err mail_buf_message_id(struct regs_buf *b, const char *from)
{
	char hex[33];
	enum regs_err err = regs_random_hex(hex, 16);
	if (err != REGS_OK)
		return err;
	regs_buf_append_str(b, "Message-ID: <");
	regs_buf_append_str(b, hex);
	regs_buf_append_str(b, strchr(from, '@'));
	regs_buf_append_str(b, ">\r\n");
	return REGS_OK;
}

/* The body in canonical form (CRLF line ends), base64 in 76-character lines. */
static void mail_buf_body(struct regs_buf *b, const char *body)
{
	struct regs_buf text = REGS_BUF_INIT(0);
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			regs_buf_append(&text, "\r", 1);
		regs_buf_append(&text, p, 1);
	}
	if (text.err != REGS_OK) {
		regs_buf_fail(b, text.err);
	} else {
		for (size_t off = 0; off < text.len; off += MAIL_BASE64_LINE_BYTES) {
			size_t n = text.len - off;
			mail_buf_base64(b, (const unsigned char *)text.data + off,
			                n < MAIL_BASE64_LINE_BYTES ? n : MAIL_BASE64_LINE_BYTES);
			regs_buf_append_str(b, "\r\n");
		}
	}
	regs_buf_free(&text);
}

enum regs_err mail_compose(const struct regs_config *cfg, const char *to, const char *subject,
                           const char *body, int64_t now, char **out)
{
	struct regs_buf b = REGS_BUF_INIT(0);
	enum regs_err err;
	*out = NULL;
	if (!mail_address_valid(cfg->smtp_from) || mail_has_line_break(cfg->system_name))
		return REGS_ERR_CONFIG;
	if (!mail_address_valid(to) || subject == NULL || body == NULL ||
	    mail_has_line_break(subject) || strlen(subject) > MAIL_SUBJECT_MAX)
		return REGS_ERR_INVALID;
	mail_buf_from(&b, cfg);
	regs_buf_append_str(&b, "To: <");
	regs_buf_append_str(&b, to);
	regs_buf_append_str(&b, ">\r\n");
	mail_buf_header_text(&b, "Subject", subject);
	mail_buf_date(&b, now);
	err = mail_buf_message_id(&b, cfg->smtp_from);
	if (err != REGS_OK) {
		regs_buf_free(&b);
		return err;
	}
	regs_buf_append_str(&b, "MIME-Version: 1.0\r\n"
	                        "Content-Type: text/plain; charset=UTF-8\r\n"
	                        "Content-Transfer-Encoding: base64\r\n"
	                        "Auto-Submitted: auto-generated\r\n"
	                        "\r\n");
	mail_buf_body(&b, body);
	*out = regs_buf_take(&b, NULL);
	return *out != NULL ? REGS_OK : REGS_ERR_NOMEM;
}

/* ---- Delivery. ---- */

__attribute__((format(printf, 3, 4))) static void mail_error(char *errbuf, size_t errlen,
                                                             const char *fmt, ...);

static void mail_error(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (errbuf == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static pthread_once_t mail_curl_once = PTHREAD_ONCE_INIT;
static CURLcode mail_curl_init_result = CURLE_FAILED_INIT;

static void mail_curl_init(void)
{
	mail_curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Copies the first line of the password file (a TRUSTED_SECRET file: base/trustedfile.h) into
 * password. */
static enum regs_err mail_read_password(const char *path, char password[MAIL_PASSWORD_MAX],
                                        char *errbuf, size_t errlen)
{
	char why[TRUSTED_WHY_MAX];
	char *data = NULL;
	password[0] = '\0';
	enum regs_err err = trusted_file_read_text(path, TRUSTED_SECRET, MAIL_PASSWORD_FILE_MAX,
	                                           &data, why, sizeof(why));
	if (err != REGS_OK) {
		mail_error(errbuf, errlen, "%s: %s", path, why);
		/* a missing file is as bad as an unreadable one here */
		return err == REGS_ERR_NOT_FOUND ? REGS_ERR_IO : err;
	}
	size_t len = strcspn(data, "\r\n");
	if (len == 0 || len >= MAIL_PASSWORD_MAX) {
		mail_error(errbuf, errlen, "%s: the first line must hold the password", path);
		err = REGS_ERR_INVALID;
	} else {
		memcpy(password, data, len);
		password[len] = '\0';
	}
	regs_free_secret_str(data);
	return err;
}

struct mail_upload {
	const char *data;
	size_t len, sent;
};

static size_t mail_upload_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct mail_upload *up = userdata;
	size_t n = up->len - up->sent;
	if (n > size * nmemb)
		n = size * nmemb;
	memcpy(ptr, up->data + up->sent, n);
	up->sent += n;
	return n;
}

/* STARTTLS must succeed when configured so, and always when a password is sent. */
static long mail_tls_level(const struct regs_config *cfg)
{
	if (cfg->smtp_starttls == REGS_SMTP_TLS_REQUIRED || cfg->smtp_user[0] != '\0')
		return (long)CURLUSESSL_ALL;
	return (long)CURLUSESSL_TRY;
}

/* The options every transfer gets; the first failure is returned. */
static CURLcode mail_set_transport(CURL *curl, const struct regs_config *cfg, char *curl_error)
{
	long timeout = cfg->smtp_timeout_seconds > 0 ? cfg->smtp_timeout_seconds : 20;
	CURLcode rc = curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_USE_SSL, mail_tls_level(cfg));
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rc == CURLE_OK && cfg->smtp_ca_file[0] != '\0')
		rc = curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->smtp_ca_file);
	return rc;
}

static CURLcode mail_set_envelope(CURL *curl, const char *from_path, struct curl_slist *rcpt,
                                  struct mail_upload *up)
{
	CURLcode rc = curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_path);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_upload_read);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_READDATA, up);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->len);
	return rc;
}

static CURLcode mail_set_login(CURL *curl, const struct regs_config *cfg, const char *password)
{
	CURLcode rc = curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->smtp_user);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
	return rc;
}

/* One transfer with the password (if any) already read. */
static enum regs_err mail_transfer(const struct regs_config *cfg, const char *to,
                                   const char *message, const char *password, char *errbuf,
                                   size_t errlen)
{
	char curl_error[CURL_ERROR_SIZE] = "";
	char from_path[sizeof(cfg->smtp_from) + 2], to_path[MAIL_ADDRESS_MAX + 3];
	struct mail_upload up = {.data = message, .len = strlen(message)};
	snprintf(from_path, sizeof(from_path), "<%s>", cfg->smtp_from);
	snprintf(to_path, sizeof(to_path), "<%s>", to);
	struct curl_slist *rcpt = curl_slist_append(NULL, to_path);
	CURL *curl = rcpt != NULL ? curl_easy_init() : NULL;
	if (curl == NULL) {
		curl_slist_free_all(rcpt);
		mail_error(errbuf, errlen, "cannot set up the SMTP client");
		return REGS_ERR_NOMEM;
	}
	CURLcode rc = mail_set_transport(curl, cfg, curl_error);
	if (rc == CURLE_OK)
		rc = mail_set_envelope(curl, from_path, rcpt, &up);
	if (rc == CURLE_OK && password != NULL)
		rc = mail_set_login(curl, cfg, password);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		mail_error(errbuf, errlen, "%s: %s", cfg->smtp_url,
		           curl_error[0] != '\0' ? curl_error : curl_easy_strerror(rc));
	curl_easy_cleanup(curl);
	curl_slist_free_all(rcpt);
	return rc == CURLE_OK ? REGS_OK : REGS_ERR_IO;
}

enum regs_err mail_send(const struct regs_config *cfg, const char *to, const char *message,
                        char *errbuf, size_t errlen)
{
	char password[MAIL_PASSWORD_MAX] = "";
	enum regs_err err;
	mail_error(errbuf, errlen, "%s", "");
	if (cfg->smtp_url[0] == '\0') {
		mail_error(errbuf, errlen, "mail is not configured (smtp_url is empty)");
		return REGS_ERR_CONFIG;
	}
	if (!mail_address_valid(to) || !mail_address_valid(cfg->smtp_from) || message == NULL) {
		mail_error(errbuf, errlen, "not a plausible e-mail address");
		return REGS_ERR_INVALID;
	}
	pthread_once(&mail_curl_once, mail_curl_init);
	if (mail_curl_init_result != CURLE_OK) {
		mail_error(errbuf, errlen, "cannot initialise libcurl");
		return REGS_ERR_IO;
	}
	if (cfg->smtp_user[0] != '\0') {
		err = mail_read_password(cfg->smtp_password_file, password, errbuf, errlen);
		if (err != REGS_OK)
			return err;
	}
	err = mail_transfer(cfg, to, message, cfg->smtp_user[0] != '\0' ? password : NULL, errbuf,
	                    errlen);
	regs_wipe(password, sizeof(password));
	return err;
}

/* ---- The texts. ----
 * Fixed bilingual text (Traditional Chinese first, then English), not
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
