/* Writes the JSON request bodies that may hold a secret, in a buffer that is wiped as it grows. */
#include "net/jsonout.h"
#include "base/utf8.h"

#include <stdio.h>
#include <string.h>

void jsonout_begin(struct jsonout *j, size_t max)
{
	j->buf = (struct regs_buf)REGS_BUF_INIT(max);
	regs_buf_append(&j->buf, "{", 1);
}

static void jsonout_string(struct jsonout *j, const char *s)
{
	if (!utf8_valid(s)) {
		regs_buf_fail(&j->buf, REGS_ERR_INVALID);
		return;
	}
	regs_buf_append(&j->buf, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			regs_buf_append(&j->buf, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			regs_buf_append(&j->buf, esc, 6);
		} else {
			regs_buf_append(&j->buf, s, 1);
		}
	}
	regs_buf_append(&j->buf, "\"", 1);
}

void jsonout_member(struct jsonout *j, const char *name, const char *value)
{
	if (j->buf.len > 1)
		regs_buf_append(&j->buf, ",", 1);
	jsonout_string(j, name);
	regs_buf_append(&j->buf, ":", 1);
	jsonout_string(j, value);
}

char *jsonout_finish(struct jsonout *j)
{
	regs_buf_append(&j->buf, "}", 1);
	return regs_buf_take(&j->buf, NULL);
}
