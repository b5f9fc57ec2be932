/* Unit tests for mailing codes: texts (R8.6, R9.5), message composition, and real delivery to a
 * local SMTP server. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "base/config.h"
#include "base/wipe.h"
#include "mail/mail.h"
#include "mailtexts.h"
#include "otp/resetcode.h"

#define PYTHON3 "/usr/bin/python3"
#define T_NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 UTC */
#define T_CODE "KX-125770"
#define T_TO "alice@example.org"
#define T_PASSWORD "s3cret-smtp-pass"
#define DIR_MAX 128  /* the temporary directory */
#define FILE_MAX 256 /* files below it; fits regs_config paths */

extern char **environ;

/* ---- Helpers: reading a composed message back. ---- */

static void test_config(struct regs_config *cfg)
{
	regs_config_defaults(cfg);
	strcpy(cfg->smtp_from, "regs@example.org");
	strcpy(cfg->system_name, "pam_regs");
}

/* Where the body starts: after the first empty line (CRLF or LF files). */
static const char *body_start(const char *message)
{
	const char *p = strstr(message, "\r\n\r\n");
	if (p != NULL)
		return p + 4;
	p = strstr(message, "\n\n");
	return p != NULL ? p + 2 : NULL;
}

/* Decodes base64 text (line breaks ignored) into a malloc'd NUL-terminated string. */
static char *base64_decode(const char *text, size_t len)
{
	char *clean = malloc(len + 1), *out = malloc(len + 1);
	size_t n = 0, pad = 0;
	assert_non_null(clean);
	assert_non_null(out);
	for (size_t i = 0; i < len; i++)
		if (text[i] != '\r' && text[i] != '\n')
			clean[n++] = text[i];
	for (size_t i = n; i > 0 && clean[i - 1] == '='; i--)
		pad++;
	int got = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean, (int)n);
	assert_true(got >= 0);
	out[(size_t)got - pad] = '\0';
	free(clean);
	return out;
}

static char *decode_body(const char *message)
{
	const char *body = body_start(message);
	assert_non_null(body);
	return base64_decode(body, strlen(body));
}

/* The value of a header (with folded lines joined as they are), malloc'd. */
static char *header_value(const char *message, const char *name)
{
	size_t nlen = strlen(name);
	const char *end = body_start(message);
	for (const char *line = message; line != NULL && line < end;) {
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 2, *e = v;
			while ((e = strchr(e, '\n')) != NULL && (e[1] == ' ' || e[1] == '\t'))
				e++;
			size_t len = (size_t)(e - v);
			if (len > 0 && v[len - 1] == '\r')
				len--;
			return strndup(v, len);
		}
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	return NULL;
}

/* Joins the RFC 2047 B-encoded words of a header value; checks each one. */
static char *decode_words(const char *value)
{
	char *out = calloc(1, strlen(value) + 1);
	assert_non_null(out);
	for (const char *p = strstr(value, "=?UTF-8?B?"); p != NULL; p = strstr(p, "=?UTF-8?B?")) {
		const char *start = p + 10, *end = strstr(start, "?=");
		assert_non_null(end);
		assert_true(end + 2 - p <= 75); /* RFC 2047 word limit */
		char *part = base64_decode(start, (size_t)(end - start));
		assert_true(((unsigned char)part[0] & 0xc0) != 0x80); /* whole characters */
		strcat(out, part);
		free(part);
		p = end + 2;
	}
	return out;
}

static void assert_crlf_only(const char *message)
{
	for (const char *p = message; *p; p++) {
		if (*p == '\n')
			assert_true(p > message && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
	}
}

static void assert_lines_at_most(const char *text, size_t max)
{
	for (const char *line = text; *line;) {
		const char *e = strchr(line, '\n');
		size_t len = e != NULL ? (size_t)(e - line) : strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		assert_true(len <= max);
		if (e == NULL)
			break;
		line = e + 1;
	}
}

/* ---- Composition. ---- */

static void test_compose_headers_present_and_crlf(void **state)
{
	struct regs_config cfg;
	char *msg = NULL;
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_compose(&cfg, T_TO, "Hello", "line 1\nline 2\n", T_NOW, &msg),
	                 REGS_OK);
	assert_non_null(msg);
	static const char from[] = "From: \"pam_regs\" <regs@example.org>\r\nTo: ";
	assert_true(strncmp(msg, from, strlen(from)) == 0);
	assert_non_null(strstr(msg, "\r\nTo: <alice@example.org>\r\n"));
	assert_non_null(strstr(msg, "\r\nSubject: Hello\r\n"));
	assert_non_null(strstr(msg, "\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: base64\r\n"));
	char *id = header_value(msg, "Message-ID");
	assert_non_null(id);
	assert_int_equal(strlen(id), 1 + 32 + strlen("@example.org") + 1);
	assert_int_equal(strspn(id + 1, "0123456789abcdef"), 32);
	assert_string_equal(id + 33, "@example.org>");
	assert_crlf_only(msg);
	char *body = decode_body(msg);
	assert_string_equal(body, "line 1\r\nline 2\r\n"); /* canonical CRLF text */
	free(body);
	free(id);
	regs_free_secret_str(msg);
}

static void test_compose_body_base64_wraps_at_76_and_decodes_back(void **state)
{
	struct regs_config cfg;
	char text[3000] = "", *msg = NULL;
	(void)state;
	test_config(&cfg);
	for (int i = 0; i < 100; i++)
		strcat(text, i % 3 ? "緊急驗證碼 code\r\n" : "請勿告知他人 do not share ");
	assert_int_equal(mail_compose(&cfg, T_TO, "x", text, T_NOW, &msg), REGS_OK);
	const char *body = body_start(msg);
	assert_lines_at_most(body, 76);
	assert_int_equal(strchr(body, '\r') - body, 76); /* full lines are exactly 76 */
	char *decoded = decode_body(msg);
	assert_string_equal(decoded, text);
	free(decoded);
	regs_free_secret_str(msg);
}

static void test_compose_subject_rfc2047_when_not_ascii(void **state)
{
	static const char subject[] =
	    "[學籍管理系統 2.0] 重設登入綁定緊急驗證碼 Emergency code to reset login bindings (KX)";
	struct regs_config cfg;
	char *msg = NULL;
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_compose(&cfg, T_TO, subject, "b", T_NOW, &msg), REGS_OK);
	char *value = header_value(msg, "Subject");
	assert_non_null(value);
	assert_true(strncmp(value, "=?UTF-8?B?", 10) == 0);
	assert_non_null(strstr(value, "?=\r\n =?UTF-8?B?")); /* folded: several words */
	char *decoded = decode_words(value);
	assert_string_equal(decoded, subject);
	const char *end = body_start(msg);
	char *headers = strndup(msg, (size_t)(end - msg));
	assert_lines_at_most(headers, 78);
	assert_crlf_only(msg);
	free(headers);
	free(decoded);
	free(value);
	regs_free_secret_str(msg);
}

static void test_compose_encoded_word_lookalike_is_encoded(void **state)
{
	struct regs_config cfg;
	char *msg = NULL;
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_compose(&cfg, T_TO, "=?UTF-8?B?cGF3bmVk?=", "b", T_NOW, &msg),
	                 REGS_OK);
	char *value = header_value(msg, "Subject");
	char *decoded = decode_words(value);
	assert_string_equal(decoded, "=?UTF-8?B?cGF3bmVk?=");
	free(decoded);
	free(value);
	regs_free_secret_str(msg);
}

static void test_compose_non_ascii_system_name_in_from(void **state)
{
	struct regs_config cfg;
	char *msg = NULL;
	(void)state;
	test_config(&cfg);
	strcpy(cfg.system_name, "國民中小學學籍管理系統");
	assert_int_equal(mail_compose(&cfg, T_TO, "s", "b", T_NOW, &msg), REGS_OK);
	char *from = header_value(msg, "From");
	assert_non_null(from);
	assert_true(strncmp(from, "=?UTF-8?B?", 10) == 0);
	const char *addr = strrchr(from, ' ');
	assert_string_equal(addr, " <regs@example.org>");
	char *name = decode_words(from);
	assert_string_equal(name, "國民中小學學籍管理系統");
	free(name);
	free(from);
	regs_free_secret_str(msg);
}

static void test_compose_header_injection_refused(void **state)
{
	struct regs_config cfg;
	char *msg = (char *)"untouched";
	(void)state;
	test_config(&cfg);
	assert_int_equal(
	    mail_compose(&cfg, "alice@example.org\r\nBcc: eve@example.org", "s", "b", T_NOW, &msg),
	    REGS_ERR_INVALID);
	assert_null(msg);
	assert_int_equal(mail_compose(&cfg, "alice@example.org\n", "s", "b", T_NOW, &msg),
	                 REGS_ERR_INVALID);
	assert_int_equal(mail_compose(&cfg, T_TO, "hi\r\nBcc: eve@example.org", "b", T_NOW, &msg),
	                 REGS_ERR_INVALID);
	assert_int_equal(mail_compose(&cfg, T_TO, "hi\nX-Evil: 1", "b", T_NOW, &msg),
	                 REGS_ERR_INVALID);
	assert_int_equal(mail_compose(&cfg, T_TO, "hi\rX", "b", T_NOW, &msg), REGS_ERR_INVALID);
	assert_null(msg);
	strcpy(cfg.system_name, "x\r\nBcc: eve@example.org");
	assert_int_equal(mail_compose(&cfg, T_TO, "s", "b", T_NOW, &msg), REGS_ERR_CONFIG);
}

static void test_compose_implausible_addresses_refused(void **state)
{
	static const char *const bad[] = {
	    "",          "alice",      "@example.org", "alice@",        "a@b@example.org",
	    "a b@c.org", "<a@b.org>",  "a@b.org,c@d",  "a\t@b.org",     "a@.org",
	    "a@b.org.",  "a\"b@c.org", "a@b;c.org",    "ä@example.org", "a@b\x7f.org",
	};
	struct regs_config cfg;
	char long_addr[300], *msg = NULL;
	(void)state;
	test_config(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mail_address_valid(bad[i]));
		assert_int_equal(mail_compose(&cfg, bad[i], "s", "b", T_NOW, &msg),
		                 REGS_ERR_INVALID);
	}
	assert_false(mail_address_valid(NULL));
	memset(long_addr, 'a', sizeof(long_addr));
	strcpy(long_addr + 300 - 13, "@example.org");
	assert_false(mail_address_valid(long_addr));
	strcpy(long_addr + 254 - 12, "@example.org");
	assert_int_equal(strlen(long_addr), 254);
	assert_true(mail_address_valid(long_addr));
	assert_true(mail_address_valid("first.last+tag@sub.example.org"));
	strcpy(cfg.smtp_from, "not an address");
	assert_int_equal(mail_compose(&cfg, T_TO, "s", "b", T_NOW, &msg), REGS_ERR_CONFIG);
}

static void test_compose_date_utc_and_fresh_message_ids(void **state)
{
	struct regs_config cfg;
	char *a = NULL, *b = NULL;
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_compose(&cfg, T_TO, "s", "b", 0, &a), REGS_OK);
	assert_int_equal(mail_compose(&cfg, T_TO, "s", "b", 0, &b), REGS_OK);
	assert_non_null(strstr(a, "\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	char *ida = header_value(a, "Message-ID"), *idb = header_value(b, "Message-ID");
	assert_string_not_equal(ida, idb);
	free(ida);
	free(idb);
	regs_free_secret_str(a);
	regs_free_secret_str(b);
}

/* ---- The texts. ---- */

static void reset_text(const char *system, int purpose_password, int minutes, char **subject,
                       char **body)
{
	struct regs_config cfg;
	test_config(&cfg);
	strcpy(cfg.system_name, system);
	assert_int_equal(
	    mail_reset_code_text(&cfg, "alice", T_CODE, purpose_password, minutes, subject, body),
	    REGS_OK);
}

static void test_R8_6_subject_names_system_and_purpose(void **state)
{
	char *subject, *body;
	(void)state;
	reset_text("學籍管理系統 2.0", 0, 5, &subject, &body);
	assert_true(strncmp(subject, "[學籍管理系統 2.0] ", 23) == 0);
	assert_non_null(strstr(subject, "重設登入綁定緊急驗證碼"));
	assert_non_null(strstr(subject, "Emergency code to reset login bindings"));
	assert_non_null(strstr(subject, "(KX)")); /* matches the prefix on screen (R8.2) */
	assert_null(strstr(subject, "125770"));   /* the code itself stays in the body */
	free(subject);
	regs_free_secret_str(body);
}

static void test_R8_6_body_says_do_not_share(void **state)
{
	char *subject, *body;
	(void)state;
	reset_text("pam_regs", 0, 5, &subject, &body);
	assert_non_null(strstr(body, "請勿將此驗證碼告知他人"));
	assert_non_null(strstr(body, "Do not share this code with anyone"));
	free(subject);
	regs_free_secret_str(body);
}

static void test_R8_2_body_gives_code_prefix_and_newest_only(void **state)
{
	char *subject, *body;
	(void)state;
	reset_text("pam_regs", 0, 5, &subject, &body);
	assert_non_null(strstr(body, "    KX-125770\n"));
	assert_non_null(strstr(body, "英文碼「KX」與畫面上顯示的相同"));
	assert_non_null(strstr(body, "只有最新一封信的驗證碼有效"));
	assert_non_null(strstr(body, "letters \"KX\" match the ones shown on your screen"));
	assert_non_null(strstr(body, "only the code in the newest mail is valid"));
	assert_non_null(strstr(body, "帳號 alice"));
	assert_non_null(strstr(body, "the account alice"));
	/* Traditional Chinese first, then English. */
	assert_true(strstr(body, "您好") < strstr(body, "Hello"));
	free(subject);
	regs_free_secret_str(body);
}

static void test_R8_3_body_gives_minutes(void **state)
{
	char *subject, *body;
	(void)state;
	reset_text("pam_regs", 0, 5, &subject, &body);
	assert_non_null(strstr(body, "驗證碼將於 5 分鐘後失效，變更 E-Mail 後也會失效"));
	assert_non_null(strstr(body, "expires in 5 minutes, and also when the e-mail address"));
	free(subject);
	regs_free_secret_str(body);
	reset_text("pam_regs", 0, 1, &subject, &body);
	assert_non_null(strstr(body, "expires in 1 minute,"));
	free(subject);
	regs_free_secret_str(body);
}

static void test_R8_4_body_says_bindings_are_deleted(void **state)
{
	char *subject, *body;
	(void)state;
	reset_text("pam_regs", 0, 5, &subject, &body);
	assert_non_null(strstr(body, "先前所有的登入綁定都會被刪除，需再次進行綁定"));
	assert_non_null(strstr(body, "deletes all login bindings"));
	free(subject);
	regs_free_secret_str(body);
}

static void test_R9_5_password_text_names_password_reset(void **state)
{
	char *subject, *body;
	(void)state;
	reset_text("pam_regs", 1, 5, &subject, &body);
	assert_non_null(strstr(subject, "重設密碼緊急驗證碼"));
	assert_non_null(strstr(subject, "reset your password"));
	assert_non_null(strstr(body, "忘記密碼"));
	assert_non_null(strstr(body, "須設定新密碼"));
	assert_non_null(strstr(body, "requires a new password"));
	assert_non_null(strstr(body, "Do not share this code"));
	assert_null(strstr(body, "綁定")); /* nothing about bindings */
	assert_null(strstr(body, "binding"));
	free(subject);
	regs_free_secret_str(body);
}

static void test_R8_6_verification_text(void **state)
{
	struct regs_config cfg;
	char *subject, *body;
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_verify_code_text(&cfg, "alice", "AB-000123", 10, &subject, &body),
	                 REGS_OK);
	assert_non_null(strstr(subject, "[pam_regs]"));
	assert_non_null(strstr(subject, "E-Mail 驗證碼"));
	assert_non_null(strstr(subject, "E-mail verification code"));
	assert_non_null(strstr(body, "    AB-000123\n"));
	assert_non_null(strstr(body, "10 分鐘"));
	assert_non_null(strstr(body, "10 minutes"));
	assert_non_null(strstr(body, "請勿將此驗證碼告知他人"));
	free(subject);
	regs_free_secret_str(body);
}

static void test_texts_refuse_malformed_code(void **state)
{
	struct regs_config cfg;
	char *subject = (char *)"x", *body = (char *)"x";
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_reset_code_text(&cfg, "alice", "KX-12", 0, 5, &subject, &body),
	                 REGS_ERR_INVALID);
	assert_null(subject);
	assert_null(body);
	assert_int_equal(mail_reset_code_text(&cfg, "alice", T_CODE, 0, 0, &subject, &body),
	                 REGS_ERR_INVALID);
	assert_int_equal(mail_verify_code_text(&cfg, NULL, T_CODE, 5, &subject, &body),
	                 REGS_ERR_INVALID);
}

static void test_R8_6_text_composes_into_a_message(void **state)
{
	struct regs_config cfg;
	char *subject, *body, *msg;
	(void)state;
	test_config(&cfg);
	strcpy(cfg.system_name, "學籍管理系統");
	assert_int_equal(mail_reset_code_text(&cfg, "alice", T_CODE, 0, 5, &subject, &body),
	                 REGS_OK);
	assert_int_equal(mail_compose(&cfg, T_TO, subject, body, T_NOW, &msg), REGS_OK);
	assert_null(strstr(msg, "125770")); /* only inside the base64 body */
	char *value = header_value(msg, "Subject"), *decoded = decode_words(value);
	assert_string_equal(decoded, subject);
	char *text = decode_body(msg);
	assert_non_null(strstr(text, "    KX-125770\r\n"));
	free(text);
	free(decoded);
	free(value);
	free(subject);
	regs_free_secret_str(body);
	regs_free_secret_str(msg);
}

/* ---- Real delivery to tests/fixtures/smtp_server.py. ---- */

struct live {
	char dir[DIR_MAX];      /* everything lives below; removed at the end */
	char good_ca[FILE_MAX]; /* CA of the server certificate */
	char other_ca[FILE_MAX];
	char cert[FILE_MAX], key[FILE_MAX];
	char script[PATH_MAX];
	int serial; /* names each server's directory */
};

struct smtp_server {
	pid_t pid;
	int port;
	char maildir[FILE_MAX];
	char log[FILE_MAX];
};

static int run_wait(char *const argv[])
{
	pid_t pid;
	int status = -1;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int make_certs(const char *srcdir, const char *dir)
{
	char script[PATH_MAX];
	snprintf(script, sizeof(script), "%s/tests/fixtures/make_certs.sh", srcdir);
	char *const argv[] = {(char *)"/bin/sh", script, (char *)dir, NULL};
	return run_wait(argv);
}

static int live_setup(void **state)
{
	const char *srcdir = getenv("REGS_SRCDIR");
	const char *tmp = getenv("TMPDIR");
	struct live *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -1;
	srcdir = srcdir != NULL ? srcdir : ".";
	tmp = tmp != NULL && strlen(tmp) < DIR_MAX - 20 ? tmp : "/tmp";
	snprintf(l->dir, sizeof(l->dir), "%s/regs-mail-XXXXXX", tmp);
	if (mkdtemp(l->dir) == NULL)
		return -1;
	snprintf(l->script, sizeof(l->script), "%s/tests/fixtures/smtp_server.py", srcdir);
	snprintf(l->good_ca, sizeof(l->good_ca), "%s/good/ca.pem", l->dir);
	snprintf(l->other_ca, sizeof(l->other_ca), "%s/other/ca.pem", l->dir);
	snprintf(l->cert, sizeof(l->cert), "%s/good/server.pem", l->dir);
	snprintf(l->key, sizeof(l->key), "%s/good/server.key", l->dir);
	char good[FILE_MAX], other[FILE_MAX];
	snprintf(good, sizeof(good), "%s/good", l->dir);
	snprintf(other, sizeof(other), "%s/other", l->dir);
	if (make_certs(srcdir, good) != 0 || make_certs(srcdir, other) != 0) {
		fprintf(stderr, "# make_certs.sh failed\n");
		return -1;
	}
	*state = l;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int live_teardown(void **state)
{
	struct live *l = *state;
	if (l != NULL)
		nftw(l->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(l);
	return 0;
}

/* A loopback port that was free a moment ago. */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void dump_log(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "# %s", line);
	fclose(f);
}

/* Waits for the server's "ready" line on fd. */
static int wait_ready(int fd)
{
	char buf[64];
	size_t got = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (got < sizeof(buf) - 1 && poll(&pfd, 1, 20000) == 1) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "ready\n") != NULL)
			return 1;
	}
	return 0;
}

/* Starts smtp_server.py with extra arguments (NULL-terminated) on a fresh port. */
static void server_start(struct live *l, struct smtp_server *s, const char *const extra[])
{
	char port[16], *argv[24];
	int n = 0, pipefd[2];
	posix_spawn_file_actions_t fa;
	s->port = free_port();
	snprintf(port, sizeof(port), "%d", s->port);
	snprintf(s->maildir, sizeof(s->maildir), "%s/mail%d", l->dir, ++l->serial);
	snprintf(s->log, sizeof(s->log), "%s/server%d.log", l->dir, l->serial);
	argv[n++] = (char *)PYTHON3;
	argv[n++] = l->script;
	argv[n++] = (char *)"--port";
	argv[n++] = port;
	argv[n++] = (char *)"--maildir";
	argv[n++] = s->maildir;
	for (int i = 0; extra[i] != NULL && n < 23; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, s->log, O_WRONLY | O_CREAT | O_TRUNC,
	                                 0600);
	int rc = posix_spawn(&s->pid, PYTHON3, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	assert_int_equal(rc, 0);
	int ready = wait_ready(pipefd[0]);
	close(pipefd[0]);
	if (!ready)
		dump_log(s->log);
	assert_true(ready);
}

static void server_stop(struct smtp_server *s)
{
	int status;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* The messages delivered so far (files in the Maildir's new/). */
static int maildir_count(const struct smtp_server *s)
{
	char path[PATH_MAX + 8];
	int count = 0;
	snprintf(path, sizeof(path), "%s/new", s->maildir);
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		count += e->d_name[0] != '.';
	closedir(d);
	return count;
}

/* The one delivered message, malloc'd. */
static char *maildir_read_only_message(const struct smtp_server *s)
{
	char dir[PATH_MAX + 8], path[2 * PATH_MAX];
	struct dirent *e;
	snprintf(dir, sizeof(dir), "%s/new", s->maildir);
	DIR *d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && e->d_name[0] == '.')
		;
	assert_non_null(e);
	snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
	closedir(d);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *data = calloc(1, 65536);
	assert_non_null(data);
	size_t n = fread(data, 1, 65535, f);
	fclose(f);
	assert_true(n > 0);
	return data;
}

static void live_config(const struct live *l, const struct smtp_server *s, const char *scheme,
                        struct regs_config *cfg)
{
	test_config(cfg);
	snprintf(cfg->smtp_url, sizeof(cfg->smtp_url), "%s://127.0.0.1:%d", scheme, s->port);
	snprintf(cfg->smtp_ca_file, sizeof(cfg->smtp_ca_file), "%s", l->good_ca);
	cfg->smtp_timeout_seconds = 10;
}

/* Writes a password file with the given mode; returns its path in out. */
static void write_password_file(const struct live *l, const char *name, const char *password,
                                mode_t mode, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", l->dir, name);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, password, strlen(password)), (ssize_t)strlen(password));
	assert_int_equal(write(fd, "\n", 1), 1);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Composes a reset-code mail for T_TO and sends it; returns mail_send's result. */
static enum regs_err send_code(const struct regs_config *cfg, const char *code, char *errbuf,
                               size_t errlen)
{
	char *subject, *body, *msg;
	assert_int_equal(mail_reset_code_text(cfg, "alice", code, 0, 5, &subject, &body), REGS_OK);
	assert_int_equal(mail_compose(cfg, T_TO, subject, body, T_NOW, &msg), REGS_OK);
	enum regs_err err = mail_send(cfg, T_TO, msg, errbuf, errlen);
	free(subject);
	regs_free_secret_str(body);
	regs_free_secret_str(msg);
	return err;
}

static void test_R8_1_code_delivered_over_starttls(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char code[RESETCODE_SIZE], prefix[RESETCODE_PREFIX_SIZE], err[MAIL_ERROR_MAX];
	const char *const extra[] = {"--tls-cert",         l->cert, "--tls-key", l->key,
	                             "--require-starttls", NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	assert_int_equal(resetcode_generate(code, prefix), REGS_OK);
	enum regs_err rc = send_code(&cfg, code, err, sizeof(err));
	server_stop(&s);
	if (rc != REGS_OK)
		fprintf(stderr, "# mail_send: %s\n", err);
	assert_int_equal(rc, REGS_OK);
	assert_int_equal(maildir_count(&s), 1);
	char *msg = maildir_read_only_message(&s);
	char *rcpt = header_value(msg, "X-RcptTo"), *from = header_value(msg, "X-MailFrom");
	assert_string_equal(rcpt, T_TO);
	assert_string_equal(from, "regs@example.org");
	char *text = decode_body(msg);
	assert_non_null(strstr(text, code));
	assert_non_null(strstr(text, "請勿將此驗證碼告知他人"));
	free(text);
	free(rcpt);
	free(from);
	free(msg);
}

static void test_R8_1_code_delivered_over_implicit_tls(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX];
	const char *const extra[] = {"--tls-cert", l->cert,          "--tls-key",
	                             l->key,       "--implicit-tls", NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtps", &cfg);
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	if (rc != REGS_OK)
		fprintf(stderr, "# mail_send: %s\n", err);
	assert_int_equal(rc, REGS_OK);
	assert_int_equal(maildir_count(&s), 1);
}

static void test_R8_1_starttls_required_but_not_offered_fails(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX];
	const char *const extra[] = {NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	assert_int_equal(rc, REGS_ERR_IO);
	assert_true(err[0] != '\0');
	assert_int_equal(maildir_count(&s), 0);
}

static void test_R8_1_starttls_optional_sends_in_the_clear(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX];
	const char *const extra[] = {NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	cfg.smtp_starttls = REGS_SMTP_TLS_OPTIONAL;
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	assert_int_equal(rc, REGS_OK);
	assert_int_equal(maildir_count(&s), 1);
}

static void test_R8_1_untrusted_server_certificate_fails(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX];
	const char *const extra[] = {"--tls-cert",         l->cert, "--tls-key", l->key,
	                             "--require-starttls", NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	snprintf(cfg.smtp_ca_file, sizeof(cfg.smtp_ca_file), "%s", l->other_ca);
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	/* Optional STARTTLS still verifies a certificate that is offered. */
	cfg.smtp_starttls = REGS_SMTP_TLS_OPTIONAL;
	enum regs_err rc_optional = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	assert_int_equal(rc, REGS_ERR_IO);
	assert_int_equal(rc_optional, REGS_ERR_IO);
	assert_non_null(strstr(err, "certificate"));
	assert_int_equal(maildir_count(&s), 0);
}

static void test_R8_1_server_down_fails_clearly(void **state)
{
	struct live *l = *state;
	struct smtp_server s = {.port = free_port()};
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX];
	live_config(l, &s, "smtp", &cfg);
	assert_int_equal(send_code(&cfg, T_CODE, err, sizeof(err)), REGS_ERR_IO);
	assert_non_null(strstr(err, cfg.smtp_url));
	assert_non_null(strstr(err, "onnect")); /* "Failed to connect ...", "Couldn't connect" */
}

static void test_R8_1_auth_with_password_file_delivers(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX], server_pw[FILE_MAX], client_pw[FILE_MAX];
	write_password_file(l, "server.pw", T_PASSWORD, 0600, server_pw, sizeof(server_pw));
	write_password_file(l, "client.pw", T_PASSWORD, 0600, client_pw, sizeof(client_pw));
	const char *const extra[] = {
	    "--tls-cert",           l->cert,   "--tls-key", l->key, "--auth-user", "regs",
	    "--auth-password-file", server_pw, NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	strcpy(cfg.smtp_user, "regs");
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", client_pw);
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	if (rc != REGS_OK)
		fprintf(stderr, "# mail_send: %s\n", err);
	assert_int_equal(rc, REGS_OK);
	assert_int_equal(maildir_count(&s), 1);
}

static void test_R8_1_auth_wrong_password_fails_without_showing_it(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX], server_pw[FILE_MAX], client_pw[FILE_MAX];
	write_password_file(l, "server2.pw", T_PASSWORD, 0600, server_pw, sizeof(server_pw));
	write_password_file(l, "client2.pw", "wrong-pass-xyz", 0600, client_pw, sizeof(client_pw));
	const char *const extra[] = {
	    "--tls-cert",           l->cert,   "--tls-key", l->key, "--auth-user", "regs",
	    "--auth-password-file", server_pw, NULL};
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	strcpy(cfg.smtp_user, "regs");
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", client_pw);
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	assert_int_equal(rc, REGS_ERR_IO);
	assert_true(err[0] != '\0');
	assert_null(strstr(err, "wrong-pass-xyz"));
	assert_null(strstr(err, T_PASSWORD));
	assert_int_equal(maildir_count(&s), 0);
}

static void test_R8_1_password_never_sent_without_tls(void **state)
{
	struct live *l = *state;
	struct smtp_server s;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX], client_pw[FILE_MAX];
	const char *const extra[] = {NULL};
	write_password_file(l, "client3.pw", T_PASSWORD, 0600, client_pw, sizeof(client_pw));
	server_start(l, &s, extra);
	live_config(l, &s, "smtp", &cfg);
	cfg.smtp_starttls = REGS_SMTP_TLS_OPTIONAL; /* AUTH overrides: TLS is required */
	strcpy(cfg.smtp_user, "regs");
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", client_pw);
	enum regs_err rc = send_code(&cfg, T_CODE, err, sizeof(err));
	server_stop(&s);
	assert_int_equal(rc, REGS_ERR_IO);
	assert_int_equal(maildir_count(&s), 0);
}

static void test_R8_1_unsafe_password_file_refused(void **state)
{
	struct live *l = *state;
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX], pw[FILE_MAX], link[FILE_MAX];
	/* No server: these fail before any connection. */
	test_config(&cfg);
	strcpy(cfg.smtp_url, "smtp://127.0.0.1:1");
	strcpy(cfg.smtp_user, "regs");
	write_password_file(l, "loose.pw", T_PASSWORD, 0640, pw, sizeof(pw));
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", pw);
	assert_int_equal(mail_send(&cfg, T_TO, "x\r\n", err, sizeof(err)), REGS_ERR_PERM);
	assert_non_null(strstr(err, "group or others"));
	assert_null(strstr(err, T_PASSWORD));
	write_password_file(l, "tight.pw", T_PASSWORD, 0600, pw, sizeof(pw));
	snprintf(link, sizeof(link), "%s/link.pw", l->dir);
	assert_int_equal(symlink(pw, link), 0);
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", link);
	assert_int_equal(mail_send(&cfg, T_TO, "x\r\n", err, sizeof(err)), REGS_ERR_PERM);
	assert_non_null(strstr(err, "symbolic link"));
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s/missing.pw", l->dir);
	assert_int_equal(mail_send(&cfg, T_TO, "x\r\n", err, sizeof(err)), REGS_ERR_IO);
	snprintf(cfg.smtp_password_file, sizeof(cfg.smtp_password_file), "%s", l->dir);
	assert_int_equal(mail_send(&cfg, T_TO, "x\r\n", err, sizeof(err)), REGS_ERR_PERM);
}

static void test_R8_1_send_refuses_without_url_or_with_bad_recipient(void **state)
{
	struct regs_config cfg;
	char err[MAIL_ERROR_MAX];
	(void)state;
	test_config(&cfg);
	assert_int_equal(mail_send(&cfg, T_TO, "x\r\n", err, sizeof(err)), REGS_ERR_CONFIG);
	assert_non_null(strstr(err, "smtp_url"));
	strcpy(cfg.smtp_url, "smtp://127.0.0.1:1");
	assert_int_equal(mail_send(&cfg, "a@b\r\nRCPT TO:<eve@x.org>", "x\r\n", err, sizeof(err)),
	                 REGS_ERR_INVALID);
	strcpy(cfg.smtp_url, "file:///etc/passwd");
	assert_int_equal(mail_send(&cfg, T_TO, "x\r\n", err, sizeof(err)), REGS_ERR_IO);
}

int main(void)
{
	/* One group (one TAP plan); the group set-up makes the test certificates. */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compose_headers_present_and_crlf),
	    cmocka_unit_test(test_compose_body_base64_wraps_at_76_and_decodes_back),
	    cmocka_unit_test(test_compose_subject_rfc2047_when_not_ascii),
	    cmocka_unit_test(test_compose_encoded_word_lookalike_is_encoded),
	    cmocka_unit_test(test_compose_non_ascii_system_name_in_from),
	    cmocka_unit_test(test_compose_header_injection_refused),
	    cmocka_unit_test(test_compose_implausible_addresses_refused),
	    cmocka_unit_test(test_compose_date_utc_and_fresh_message_ids),
	    cmocka_unit_test(test_R8_6_subject_names_system_and_purpose),
	    cmocka_unit_test(test_R8_6_body_says_do_not_share),
	    cmocka_unit_test(test_R8_2_body_gives_code_prefix_and_newest_only),
	    cmocka_unit_test(test_R8_3_body_gives_minutes),
	    cmocka_unit_test(test_R8_4_body_says_bindings_are_deleted),
	    cmocka_unit_test(test_R9_5_password_text_names_password_reset),
	    cmocka_unit_test(test_R8_6_verification_text),
	    cmocka_unit_test(test_texts_refuse_malformed_code),
	    cmocka_unit_test(test_R8_6_text_composes_into_a_message),
	    cmocka_unit_test(test_R8_1_send_refuses_without_url_or_with_bad_recipient),
	    cmocka_unit_test(test_R8_1_code_delivered_over_starttls),
	    cmocka_unit_test(test_R8_1_code_delivered_over_implicit_tls),
	    cmocka_unit_test(test_R8_1_starttls_required_but_not_offered_fails),
	    cmocka_unit_test(test_R8_1_starttls_optional_sends_in_the_clear),
	    cmocka_unit_test(test_R8_1_untrusted_server_certificate_fails),
	    cmocka_unit_test(test_R8_1_server_down_fails_clearly),
	    cmocka_unit_test(test_R8_1_auth_with_password_file_delivers),
	    cmocka_unit_test(test_R8_1_auth_wrong_password_fails_without_showing_it),
	    cmocka_unit_test(test_R8_1_password_never_sent_without_tls),
	    cmocka_unit_test(test_R8_1_unsafe_password_file_refused),
	};
	return cmocka_run_group_tests_name("mail", tests, live_setup, live_teardown);
}
