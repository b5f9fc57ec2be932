/* Sends a composed mail over SMTP with libcurl: TLS verified, AUTH only over TLS, the password
 * read from its secret file and wiped after the transfer. */
#include "base/error.h"
#include "base/trustedfile.h"
#include "base/wipe.h"
#include "mail/mail.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAIL_PASSWORD_MAX 256
#define MAIL_PASSWORD_FILE_MAX 4096

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
		regs_explain(errbuf, errlen, "%s: %s", path, why);
		/* a missing file is as bad as an unreadable one here */
		return err == REGS_ERR_NOT_FOUND ? REGS_ERR_IO : err;
	}
	size_t len = strcspn(data, "\r\n");
	if (len == 0 || len >= MAIL_PASSWORD_MAX) {
		regs_explain(errbuf, errlen, "%s: the first line must hold the password", path);
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
		regs_explain(errbuf, errlen, "cannot set up the SMTP client");
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
		regs_explain(errbuf, errlen, "%s: %s", cfg->smtp_url,
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
	regs_explain(errbuf, errlen, "%s", "");
	if (cfg->smtp_url[0] == '\0') {
		regs_explain(errbuf, errlen, "mail is not configured (smtp_url is empty)");
		return REGS_ERR_CONFIG;
	}
	if (!mail_address_valid(to) || !mail_address_valid(cfg->smtp_from) || message == NULL) {
		regs_explain(errbuf, errlen, "not a plausible e-mail address");
		return REGS_ERR_INVALID;
	}
	pthread_once(&mail_curl_once, mail_curl_init);
	if (mail_curl_init_result != CURLE_OK) {
		regs_explain(errbuf, errlen, "cannot initialise libcurl");
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
