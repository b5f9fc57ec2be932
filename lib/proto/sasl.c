/* regsd's side of the D-Bus authentication on the direct socket: a line protocol, EXTERNAL only.
 * The uid the client claims must be the one the kernel gives for the socket (SO_PEERCRED); an
 * empty claim means "the one you see". */
#include "proto/sasl.h"
#include "base/hex.h"
#include <stdio.h>
#include <string.h>

void sasl_server_init(struct sasl_server *s, uid_t peer_uid, const char *guid)
{
	memset(s, 0, sizeof(*s));
	s->peer_uid = peer_uid;
	snprintf(s->guid, sizeof(s->guid), "%s", guid);
}

/* The EXTERNAL identity: hex digits of the uid's decimal text; "" accepts the peer's own. */
static int identity_ok(const struct sasl_server *s, const char *hex)
{
	char text[24], want[24];
	size_t n = strlen(hex);
	if (n == 0)
		return 1;
	if (n % 2 || n / 2 >= sizeof(text))
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = regs_hex_digit(hex[2 * i]), lo = regs_hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		text[i] = (char)(hi * 16 + lo);
	}
	text[n / 2] = '\0';
	snprintf(want, sizeof(want), "%lu", (unsigned long)s->peer_uid);
	return strcmp(text, want) == 0;
}

static void answer(struct regs_buf *out, const char *text)
{
	regs_buf_append_str(out, text);
	regs_buf_append_str(out, "\r\n");
}

static void decide(struct sasl_server *s, const char *hex, struct regs_buf *out)
{
	if (!identity_ok(s, hex)) {
		answer(out, "REJECTED EXTERNAL");
		s->state = SASL_WAIT_AUTH;
		return;
	}
	regs_buf_append_str(out, "OK ");
	answer(out, s->guid);
	s->state = SASL_WAIT_BEGIN;
}

/* One line without its CR LF. */
static void line(struct sasl_server *s, const char *l, struct regs_buf *out)
{
	if (strcmp(l, "BEGIN") == 0 && s->state == SASL_WAIT_BEGIN)
		s->state = SASL_DONE;
	else if (strncmp(l, "AUTH EXTERNAL", 13) == 0 && (l[13] == '\0' || l[13] == ' ') &&
	         s->state == SASL_WAIT_AUTH) {
		if (l[13] == '\0') {
			answer(out, "DATA");
			s->state = SASL_WAIT_DATA;
		} else
			decide(s, l + 14, out);
	} else if (strncmp(l, "DATA", 4) == 0 && (l[4] == '\0' || l[4] == ' ') &&
	           s->state == SASL_WAIT_DATA)
		decide(s, l[4] ? l + 5 : "", out);
	else if (strcmp(l, "NEGOTIATE_UNIX_FD") == 0 && s->state == SASL_WAIT_BEGIN)
		answer(out, "ERROR \"no file descriptors here\"");
	else if (s->state == SASL_WAIT_AUTH &&
	         (strncmp(l, "AUTH", 4) == 0 || strcmp(l, "CANCEL") == 0 ||
	          strncmp(l, "ERROR", 5) == 0))
		answer(out, "REJECTED EXTERNAL");
	else if (strcmp(l, "CANCEL") == 0 || strncmp(l, "ERROR", 5) == 0) {
		answer(out, "REJECTED EXTERNAL");
		s->state = SASL_WAIT_AUTH;
	} else
		answer(out, "ERROR \"unknown command\"");
}

size_t sasl_server_feed(struct sasl_server *s, const char *in, size_t len, struct regs_buf *out)
{
	size_t used = 0;
	if (s->state == SASL_WAIT_NUL && len > 0) {
		s->state = in[0] == '\0' ? SASL_WAIT_AUTH : SASL_FAILED;
		used = 1;
	}
	while (s->state != SASL_DONE && s->state != SASL_FAILED && used < len) {
		const char *start = in + used, *nl = memchr(start, '\n', len - used);
		size_t n = nl ? (size_t)(nl - start) : len - used;
		if (n >= SASL_LINE_MAX || ++s->lines > SASL_LINES_MAX ||
		    memchr(start, '\0', n) != NULL || (nl && (n == 0 || start[n - 1] != '\r'))) {
			s->state = SASL_FAILED;
			break;
		}
		if (!nl) {
			s->lines--; /* not complete yet */
			break;
		}
		char l[SASL_LINE_MAX];
		memcpy(l, start, n - 1);
		l[n - 1] = '\0';
		line(s, l, out);
		used += n + 1;
	}
	return used;
}
