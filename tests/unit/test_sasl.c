/* Unit tests for regsd's side of the D-Bus authentication on its direct socket (lib/proto/sasl.c):
 * EXTERNAL only, the claimed uid the kernel's; the messages pipelined after BEGIN left untouched;
 * any line out of protocol, too long or too many ends the connection (R12.6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proto/sasl.h"

#define GUID "0123456789abcdef0123456789abcdef"
#define OK_LINE "OK " GUID "\r\n"
#define REJECTED "REJECTED EXTERNAL\r\n"
#define PEER 1000
#define PEER_HEX "31303030" /* "1000" */

/* A literal with its NULs: the text and its length. */
#define LIT(s) s, sizeof(s) - 1

struct session {
	struct sasl_server s;
	struct regs_buf out;
};

static void session_start(struct session *t, uid_t peer)
{
	sasl_server_init(&t->s, peer, GUID);
	t->out = (struct regs_buf)REGS_BUF_INIT(0);
}

/* Feeds len bytes; the bytes used. The answers so far are in t->out. */
static size_t feed(struct session *t, const char *in, size_t len)
{
	return sasl_server_feed(&t->s, in, len, &t->out);
}

static const char *answers(const struct session *t)
{
	return t->out.data ? t->out.data : "";
}

static void test_external_with_the_peers_uid_ok_then_begin(void **state)
{
	static const char auth[] = "\0AUTH EXTERNAL " PEER_HEX "\r\n";
	static const char begin[] = "BEGIN\r\nl\x01\0\x01 message bytes\r\n";
	struct session t;
	(void)state;
	session_start(&t, PEER);
	assert_int_equal(t.s.state, SASL_WAIT_NUL);
	assert_int_equal(feed(&t, LIT(auth)), sizeof(auth) - 1);
	assert_string_equal(answers(&t), OK_LINE);
	assert_int_equal(t.s.state, SASL_WAIT_BEGIN);
	assert_int_equal(feed(&t, LIT(begin)), strlen("BEGIN\r\n"));
	assert_int_equal(t.s.state, SASL_DONE);
	assert_string_equal(answers(&t), OK_LINE);  /* BEGIN has no answer */
	assert_int_equal(feed(&t, LIT("more")), 0); /* nothing more is taken */
	regs_buf_free(&t.out);
}

static void test_whole_handshake_in_one_read_leaves_the_message(void **state)
{
	static const char in[] = "\0AUTH EXTERNAL 30\r\nBEGIN\r\nl\x01\0\x01";
	struct session t;
	(void)state;
	session_start(&t, 0);
	assert_int_equal(feed(&t, LIT(in)), sizeof(in) - 1 - 4);
	assert_int_equal(t.s.state, SASL_DONE);
	assert_string_equal(answers(&t), OK_LINE);
	regs_buf_free(&t.out);
}

static void test_R12_6_external_with_another_uid_rejected(void **state)
{
	static const char *const claims[] = {
	    "30",           /* 0 */
	    "313030303030", /* 100000: the peer's as a prefix */
	    "3130303",      /* odd length */
	    "3130303g",     /* not hex */
	    "3031303030",   /* "01000" */
	    "31303030 ",    /* a space after */
	};
	struct session t;
	char line[64];
	(void)state;
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		session_start(&t, PEER);
		snprintf(line, sizeof(line), "%cAUTH EXTERNAL %s\r\n", 0, claims[i]);
		size_t n = 1 + strlen(line + 1);
		assert_int_equal(feed(&t, line, n), n);
		assert_string_equal(answers(&t), REJECTED);
		assert_int_equal(t.s.state, SASL_WAIT_AUTH);
		regs_buf_free(&t.out);
	}
	/* A rejected client may try again with its own uid. */
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL 30\r\n"));
	feed(&t, LIT("AUTH EXTERNAL " PEER_HEX "\r\n"));
	assert_string_equal(answers(&t), REJECTED OK_LINE);
	assert_int_equal(t.s.state, SASL_WAIT_BEGIN);
	regs_buf_free(&t.out);
}

static void test_external_without_data_asks_then_takes_the_peers_uid(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL\r\n"));
	assert_string_equal(answers(&t), "DATA\r\n");
	assert_int_equal(t.s.state, SASL_WAIT_DATA);
	feed(&t, LIT("DATA\r\n")); /* empty: "the uid you see" */
	assert_string_equal(answers(&t), "DATA\r\n" OK_LINE);
	assert_int_equal(t.s.state, SASL_WAIT_BEGIN);
	regs_buf_free(&t.out);
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL\r\nDATA " PEER_HEX "\r\n"));
	assert_string_equal(answers(&t), "DATA\r\n" OK_LINE);
	regs_buf_free(&t.out);
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL\r\nDATA 30\r\n"));
	assert_string_equal(answers(&t), "DATA\r\n" REJECTED);
	assert_int_equal(t.s.state, SASL_WAIT_AUTH);
	regs_buf_free(&t.out);
}

static void test_R12_6_other_mechanisms_rejected(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH\r\nAUTH ANONYMOUS\r\nAUTH DBUS_COOKIE_SHA1 " PEER_HEX "\r\n"));
	assert_string_equal(answers(&t), REJECTED REJECTED REJECTED);
	assert_int_equal(t.s.state, SASL_WAIT_AUTH);
	regs_buf_free(&t.out);
}

static void test_R12_6_negotiate_unix_fd_refused(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL " PEER_HEX "\r\nNEGOTIATE_UNIX_FD\r\n"));
	assert_string_equal(answers(&t), OK_LINE "ERROR \"no file descriptors here\"\r\n");
	assert_int_equal(t.s.state, SASL_WAIT_BEGIN);
	feed(&t, LIT("BEGIN\r\n"));
	assert_int_equal(t.s.state, SASL_DONE);
	regs_buf_free(&t.out);
}

static void test_begin_before_ok_is_an_error(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0BEGIN\r\nDATA\r\n"));
	assert_string_equal(answers(&t),
	                    "ERROR \"unknown command\"\r\nERROR \"unknown command\"\r\n");
	assert_int_equal(t.s.state, SASL_WAIT_AUTH);
	regs_buf_free(&t.out);
}

static void test_cancel_returns_to_auth(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL\r\nCANCEL\r\n"));
	assert_string_equal(answers(&t), "DATA\r\n" REJECTED);
	assert_int_equal(t.s.state, SASL_WAIT_AUTH);
	regs_buf_free(&t.out);
}

static void test_R12_6_first_byte_not_nul_fails(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("AUTH EXTERNAL " PEER_HEX "\r\n"));
	assert_int_equal(t.s.state, SASL_FAILED);
	assert_string_equal(answers(&t), "");
	regs_buf_free(&t.out);
}

static void test_R12_6_line_without_cr_fails(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL " PEER_HEX "\n"));
	assert_int_equal(t.s.state, SASL_FAILED);
	assert_string_equal(answers(&t), "");
	regs_buf_free(&t.out);
	session_start(&t, PEER);
	feed(&t, LIT("\0\n"));
	assert_int_equal(t.s.state, SASL_FAILED);
	regs_buf_free(&t.out);
}

static void test_R12_6_nul_inside_a_line_fails(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0AUTH EXTERNAL\0 " PEER_HEX "\r\n"));
	assert_int_equal(t.s.state, SASL_FAILED);
	regs_buf_free(&t.out);
}

/* "\0", then a line of n bytes before its LF (the CR included), complete or not. */
static size_t long_line(char *buf, size_t n, int complete)
{
	buf[0] = '\0';
	memset(buf + 1, 'X', n - 1);
	buf[n] = '\r';
	buf[n + 1] = '\n';
	return complete ? n + 2 : n + 1;
}

static void test_R12_6_line_too_long_fails(void **state)
{
	char buf[SASL_LINE_MAX + 8];
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, buf, long_line(buf, SASL_LINE_MAX - 1, 1));
	assert_int_equal(t.s.state, SASL_WAIT_AUTH); /* the longest line: answered */
	assert_string_equal(answers(&t), "ERROR \"unknown command\"\r\n");
	regs_buf_free(&t.out);
	session_start(&t, PEER);
	feed(&t, buf, long_line(buf, SASL_LINE_MAX, 1));
	assert_int_equal(t.s.state, SASL_FAILED);
	regs_buf_free(&t.out);
	session_start(&t, PEER); /* refused before its end arrives */
	feed(&t, buf, long_line(buf, SASL_LINE_MAX, 0));
	assert_int_equal(t.s.state, SASL_FAILED);
	regs_buf_free(&t.out);
}

static void test_R12_6_too_many_lines_fail(void **state)
{
	struct session t;
	(void)state;
	session_start(&t, PEER);
	feed(&t, LIT("\0"));
	for (int i = 0; i < SASL_LINES_MAX; i++)
		assert_int_equal(feed(&t, LIT("AUTH\r\n")), 6);
	assert_int_equal(t.s.state, SASL_WAIT_AUTH);
	feed(&t, LIT("AUTH\r\n"));
	assert_int_equal(t.s.state, SASL_FAILED);
	regs_buf_free(&t.out);
}

/* Feeds in one byte at a time the way regsd reads: what is not used stays at the front. */
static size_t feed_bytewise(struct session *t, const char *in, size_t len, char *pending)
{
	size_t have = 0;
	for (size_t i = 0; i < len; i++) {
		pending[have++] = in[i];
		size_t used = feed(t, pending, have);
		memmove(pending, pending + used, have - used);
		have -= used;
	}
	return have;
}

static void same_bytewise(const char *in, size_t len)
{
	struct session whole, bytes;
	char pending[512];
	session_start(&whole, PEER);
	session_start(&bytes, PEER);
	size_t used = feed(&whole, in, len);
	assert_int_equal(feed_bytewise(&bytes, in, len, pending), len - used);
	assert_memory_equal(pending, in + used, len - used);
	assert_int_equal(bytes.s.state, whole.s.state);
	assert_string_equal(answers(&bytes), answers(&whole));
	regs_buf_free(&whole.out);
	regs_buf_free(&bytes.out);
}

static void test_bytes_one_at_a_time_same_as_all_at_once(void **state)
{
	(void)state;
	same_bytewise(LIT("\0AUTH EXTERNAL " PEER_HEX "\r\nBEGIN\r\nl\x01\0\x01rest"));
	same_bytewise(LIT("\0AUTH ANONYMOUS\r\nAUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\n"
	                  "BEGIN\r\n"));
	same_bytewise(LIT("\0AUTH EXTERNAL 30\r\nCANCEL\r\nBEGIN\r\n"));
	same_bytewise(LIT("\0AUTH EXTERNAL " PEER_HEX "\nBEGIN\r\n"));
	same_bytewise(LIT("X"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_external_with_the_peers_uid_ok_then_begin),
	    cmocka_unit_test(test_whole_handshake_in_one_read_leaves_the_message),
	    cmocka_unit_test(test_R12_6_external_with_another_uid_rejected),
	    cmocka_unit_test(test_external_without_data_asks_then_takes_the_peers_uid),
	    cmocka_unit_test(test_R12_6_other_mechanisms_rejected),
	    cmocka_unit_test(test_R12_6_negotiate_unix_fd_refused),
	    cmocka_unit_test(test_begin_before_ok_is_an_error),
	    cmocka_unit_test(test_cancel_returns_to_auth),
	    cmocka_unit_test(test_R12_6_first_byte_not_nul_fails),
	    cmocka_unit_test(test_R12_6_line_without_cr_fails),
	    cmocka_unit_test(test_R12_6_nul_inside_a_line_fails),
	    cmocka_unit_test(test_R12_6_line_too_long_fails),
	    cmocka_unit_test(test_R12_6_too_many_lines_fail),
	    cmocka_unit_test(test_bytes_one_at_a_time_same_as_all_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
