/* Composes a mail (R8, R9.5): an RFC 5322 message with RFC 2047 encoded words and a base64 UTF-8
 * body, built in a wiped buffer because the body holds the code. */
#include "mail/mail.h"

#include "base/base64.h"
#include "base/buf.h"
#include "base/random.h"
#include "base/wipe.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAIL_BASE64_LINE_BYTES 57 /* 76 characters of base64 per body line */
#define MAIL_WORD_BYTES 39        /* 52 characters of base64: "Subject: " + word < 78 */

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
