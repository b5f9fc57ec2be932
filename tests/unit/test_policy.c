/* Unit tests for the lockout rules (R9.1, R9.4) and the stored records' encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "account/policy.h"
#include "account/record.h"

#define T0 1700000000LL

static const struct lock_policy lock15 = {3, 15 * 60};

#define OTP_REC_V1_BASE (1 + 8 + 8 + 1 + 20) /* the sample, before burned steps existed */

static void test_R9_1_third_failure_locks(void **state)
{
	struct account_rec a = {0};
	(void)state;
	assert_int_equal(policy_record_failure(&a, &lock15, T0), 0);
	assert_int_equal(policy_lock_seconds_left(&a, T0), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 1), 0);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 1), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 2), 1);
	assert_int_equal(a.failures, 3);
	assert_int_equal(a.locked_until, T0 + 2 + 15 * 60);
	assert_int_not_equal(policy_lock_seconds_left(&a, T0 + 2), 0);
}

static void test_R9_1_lock_lasts_configured_minutes(void **state)
{
	struct account_rec a = {0};
	(void)state;
	for (int i = 0; i < 3; i++)
		policy_record_failure(&a, &lock15, T0);
	assert_int_equal(policy_lock_seconds_left(&a, T0), 900);
	assert_int_equal(policy_minutes(policy_lock_seconds_left(&a, T0)), 15);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 1), 899);
	assert_int_equal(policy_minutes(899), 15);
	assert_int_equal(policy_minutes(policy_lock_seconds_left(&a, T0 + 60)), 14);
	assert_int_equal(policy_minutes(policy_lock_seconds_left(&a, T0 + 61)), 14);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 899), 1);
	assert_int_equal(policy_minutes(1), 1);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 900), 0);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 100000), 0);
	assert_int_equal(policy_minutes(0), 0);
	assert_int_equal(policy_minutes(60), 1);
	assert_int_equal(policy_minutes(61), 2);
	assert_int_equal(policy_minutes(UINT32_MAX), (uint32_t)(((uint64_t)UINT32_MAX + 59) / 60));

	/* Another configured length. */
	struct lock_policy p5 = {5, 120};
	struct account_rec b = {0};
	for (int i = 0; i < 4; i++)
		assert_int_equal(policy_record_failure(&b, &p5, T0), 0);
	assert_int_equal(policy_record_failure(&b, &p5, T0), 1);
	assert_int_equal(policy_lock_seconds_left(&b, T0), 120);
	assert_int_equal(policy_minutes(policy_lock_seconds_left(&b, T0)), 2);

	/* A lock far in the future saturates instead of wrapping. */
	struct account_rec c = {0};
	c.locked_until = INT64_MAX;
	assert_int_equal(policy_lock_seconds_left(&c, 0), UINT32_MAX);
}

static void test_R9_1_lock_lapses_and_count_restarts(void **state)
{
	struct account_rec a = {0};
	(void)state;
	for (int i = 0; i < 3; i++)
		policy_record_failure(&a, &lock15, T0);
	int64_t lapse = T0 + 900;
	assert_int_equal(policy_lock_seconds_left(&a, lapse - 1), 1);
	assert_int_equal(policy_lock_seconds_left(&a, lapse), 0);
	/* The first failure after the lapse starts a fresh count, not an immediate lock. */
	assert_int_equal(policy_record_failure(&a, &lock15, lapse), 0);
	assert_int_equal(a.failures, 1);
	assert_int_equal(a.locked_until, 0);
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 2);
	assert_int_equal(policy_record_failure(&a, &lock15, lapse + 1), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, lapse + 2), 1);
	assert_int_equal(policy_lock_seconds_left(&a, lapse + 2), 900);
}

static void test_R9_1_success_clears_count(void **state)
{
	struct account_rec a = {0};
	(void)state;
	policy_record_failure(&a, &lock15, T0);
	policy_record_failure(&a, &lock15, T0 + 1);
	assert_int_equal(a.failures, 2);
	policy_clear(&a);
	assert_int_equal(a.failures, 0);
	assert_int_equal(a.locked_until, 0);
	/* Failures must be consecutive: two more after a success do not lock. */
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 2), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 3), 0);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 3), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 4), 1);
}

static void test_R9_1_failures_while_locked_do_not_extend_lock(void **state)
{
	struct account_rec a = {0};
	(void)state;
	for (int i = 0; i < 3; i++)
		policy_record_failure(&a, &lock15, T0);
	int64_t until = a.locked_until;
	for (int64_t t = T0 + 1; t < T0 + 900; t += 100) {
		assert_int_equal(policy_record_failure(&a, &lock15, t), 0);
		assert_int_equal(a.locked_until, until);
		assert_int_equal(a.failures, 3);
	}
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 900), 0);
}

static void test_R9_4_clear_unlocks(void **state)
{
	struct account_rec a = {0};
	(void)state;
	a.class = ACCOUNT_INSTITUTION;
	a.flags = 1;
	a.created = T0 - 10;
	for (int i = 0; i < 3; i++)
		policy_record_failure(&a, &lock15, T0);
	assert_int_not_equal(policy_lock_seconds_left(&a, T0 + 1), 0);
	policy_clear(&a);
	assert_int_equal(policy_lock_seconds_left(&a, T0 + 1), 0);
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 3);
	/* The unlock touches only the lockout fields. */
	assert_int_equal(a.class, ACCOUNT_INSTITUTION);
	assert_int_equal(a.flags, 1);
	assert_int_equal(a.created, T0 - 10);
	/* A full count is needed to lock again. */
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 2), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 2), 0);
	assert_int_equal(policy_record_failure(&a, &lock15, T0 + 2), 1);
}

static void test_policy_failures_left(void **state)
{
	struct account_rec a = {0};
	(void)state;
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 3);
	policy_record_failure(&a, &lock15, T0);
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 2);
	policy_record_failure(&a, &lock15, T0);
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 1);
	policy_record_failure(&a, &lock15, T0);
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 0);
	policy_record_failure(&a, &lock15, T0 + 1);
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 0);
	/* Once the lock has lapsed, a full count is allowed again. */
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 15 * 60), 3);
	/* A count above the threshold (e.g. a lowered threshold) never wraps. */
	a.failures = 10;
	assert_int_equal(policy_failures_left(&a, &lock15, T0 + 1), 0);
	a.failures = UINT32_MAX;
	a.locked_until = 0;
	policy_record_failure(&a, &lock15, T0);
	assert_int_equal(a.failures, UINT32_MAX);
}

/* ---- records ---- */

static void test_account_record_roundtrip(void **state)
{
	struct account_rec in = {0}, out;
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	in.class = ACCOUNT_INSTITUTION;
	in.flags = 0x80000001u;
	in.failures = 0x01020304u;
	in.locked_until = INT64_MAX;
	in.created = INT64_MIN;
	in.password_changed = -1;
	in.password_login_disabled_at = 0x0102030405060708LL;
	size_t n = account_rec_encode(&in, buf);
	assert_in_range(n, 2, REC_BUF_MAX);
	assert_int_equal(buf[0], 1);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(account_rec_decode(buf, n, &out), REGS_OK);
	assert_int_equal(out.class, in.class);
	assert_int_equal(out.flags, in.flags);
	assert_int_equal(out.failures, in.failures);
	assert_true(out.locked_until == in.locked_until);
	assert_true(out.created == in.created);
	assert_true(out.password_changed == in.password_changed);
	assert_true(out.password_login_disabled_at == in.password_login_disabled_at);
	/* Big-endian on disk. */
	assert_int_equal(buf[2], 0x80);
	assert_int_equal(buf[5], 0x01);
}

static void test_otp_record_roundtrip(void **state)
{
	struct otp_rec in = {0}, out;
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	in.bound_at = T0;
	in.last_step = -1;
	in.sealed_len = OTP_SEALED_MAX;
	for (int i = 0; i < OTP_SEALED_MAX; i++)
		in.sealed[i] = (uint8_t)(255 - i);
	size_t n = otp_rec_encode(&in, buf);
	assert_in_range(n, 2, REC_BUF_MAX);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(otp_rec_decode(buf, n, &out), REGS_OK);
	assert_true(out.bound_at == in.bound_at);
	assert_true(out.last_step == -1);
	assert_int_equal(out.sealed_len, OTP_SEALED_MAX);
	assert_memory_equal(out.sealed, in.sealed, OTP_SEALED_MAX);

	/* Empty secret. */
	in.sealed_len = 0;
	in.last_step = 57000000;
	n = otp_rec_encode(&in, buf);
	assert_int_equal(otp_rec_decode(buf, n, &out), REGS_OK);
	assert_int_equal(out.sealed_len, 0);
	assert_true(out.last_step == 57000000);
}

/* Burned steps (R12.4) survive a round trip; a record written before them reads as none. */
static void test_R12_4_otp_record_keeps_burned_steps(void **state)
{
	struct otp_rec in = {.bound_at = T0, .last_step = 7, .sealed_len = 20, .n_burned = 3}, out;
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	for (int i = 0; i < 3; i++)
		in.burned[i] = 57000010 + i;
	size_t n = otp_rec_encode(&in, buf);
	assert_int_equal(otp_rec_decode(buf, n, &out), REGS_OK);
	assert_int_equal(out.n_burned, 3);
	for (int i = 0; i < 3; i++)
		assert_true(out.burned[i] == 57000010 + i);
	assert_int_equal(otp_rec_decode(buf, OTP_REC_V1_BASE, &out), REGS_OK);
	assert_int_equal(out.n_burned, 0);
	assert_true(out.last_step == 7);
	/* A count larger than the table keeps what fits and reads the rest. */
	buf[OTP_REC_V1_BASE] = 9;
	for (int i = 3; i < 9; i++)
		memset(buf + n + 8 * (i - 3), 0, 8);
	assert_int_equal(otp_rec_decode(buf, n + 8 * 6, &out), REGS_OK);
	assert_int_equal(out.n_burned, OTP_BURNED_MAX);
}

/* R9.6: the user's language survives a round trip; a record written before it reads as none
 * chosen, with every older field intact. */
static void test_R9_6_account_record_keeps_language(void **state)
{
	struct account_rec in = {.failures = 2, .email_verified_at = T0}, out;
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	rec_copy(in.email, sizeof(in.email), "a@example.org");
	rec_copy(in.language, sizeof(in.language), "zh_TW");
	size_t n = account_rec_encode(&in, buf);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(account_rec_decode(buf, n, &out), REGS_OK);
	assert_string_equal(out.language, "zh_TW");
	assert_string_equal(out.email, "a@example.org");
	/* The same record as written before the language existed: 1 + 6 bytes shorter. */
	size_t before = n - 1 - strlen("zh_TW");
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(account_rec_decode(buf, before, &out), REGS_OK);
	assert_string_equal(out.language, "");
	assert_string_equal(out.email, "a@example.org");
	assert_int_equal(out.failures, 2);
	assert_true(out.email_verified_at == T0);
	/* None chosen: an empty field, read back empty. */
	in.language[0] = '\0';
	n = account_rec_encode(&in, buf);
	assert_int_equal(buf[n - 1], 0);
	assert_int_equal(account_rec_decode(buf, n, &out), REGS_OK);
	assert_string_equal(out.language, "");
	/* A length byte promising more than is there is refused. */
	rec_copy(in.language, sizeof(in.language), "en");
	n = account_rec_encode(&in, buf);
	assert_int_equal(account_rec_decode(buf, n - 1, &out), REGS_ERR_INVALID);
}

/* R12.1: a user name of the platform's full length is stored whole, never cut. */
static void test_R12_1_records_keep_a_255_byte_user_name(void **state)
{
	char name[REGS_USER_NAME_MAX + 1];
	uint8_t buf[REC_BUF_MAX];
	struct pending_rec p = {0}, pout;
	struct audit_rec a = {0}, aout;
	(void)state;
	memset(name, 'n', REGS_USER_NAME_MAX);
	name[REGS_USER_NAME_MAX] = '\0';
	memcpy(name + REGS_USER_NAME_MAX - 4, "tail", 4);
	assert_int_equal(REGS_USER_NAME_MAX, 255);
	rec_copy(p.user, sizeof(p.user), name);
	rec_copy(a.user, sizeof(a.user), name);
	memset(a.service, 's', sizeof(a.service) - 1);
	memset(a.rhost, 'r', sizeof(a.rhost) - 1);
	assert_int_equal(pending_rec_decode(buf, pending_rec_encode(&p, buf), &pout), REGS_OK);
	assert_string_equal(pout.user, name);
	size_t n = audit_rec_encode(&a, buf);
	assert_true(n < REC_BUF_MAX); /* nothing dropped at the buffer's end */
	assert_int_equal(audit_rec_decode(buf, n, &aout), REGS_OK);
	assert_string_equal(aout.user, name);
	assert_int_equal(strlen(aout.rhost), sizeof(aout.rhost) - 1);
}

static void test_pending_record_roundtrip(void **state)
{
	struct pending_rec in, out;
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	memset(&in, 0, sizeof(in));
	in.owner_uid = 4294967294u;
	in.created = T0;
	in.expires = T0 + 600;
	in.tries = 2;
	rec_copy(in.user, sizeof(in.user), "alice");
	rec_copy(in.token, sizeof(in.token), "0123456789abcdef0123456789abcdef");
	in.sealed_len = 48;
	for (int i = 0; i < 48; i++)
		in.sealed[i] = (uint8_t)(i * 3);
	size_t n = pending_rec_encode(&in, buf);
	assert_in_range(n, 2, REC_BUF_MAX);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(pending_rec_decode(buf, n, &out), REGS_OK);
	assert_int_equal(out.owner_uid, in.owner_uid);
	assert_true(out.created == in.created);
	assert_true(out.expires == in.expires);
	assert_int_equal(out.tries, 2);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.token, in.token);
	assert_int_equal(out.sealed_len, 48);
	assert_memory_equal(out.sealed, in.sealed, 48);
}

static void fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

/* R3: the card serial is appended to the card record; a record written before it reads with
 * none (the next login reads the certificate from the card), and an older regsd reading a new
 * record ignores it (trailing bytes). */
static void test_R3_card_record_keeps_card_serial_and_reads_older_records(void **state)
{
	struct card_rec in = {.bound_at = T0}, out;
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	memset(in.sha256, 0x5A, sizeof(in.sha256));
	rec_copy(in.issuer, sizeof(in.issuer), "CN=MOICA");
	rec_copy(in.serial, sizeof(in.serial), "1A2B");
	rec_copy(in.card_serial, sizeof(in.card_serial), "54570000123456789ABC");
	size_t n = card_rec_encode(&in, buf);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(card_rec_decode(buf, n, &out), REGS_OK);
	assert_memory_equal(out.sha256, in.sha256, sizeof(in.sha256));
	assert_string_equal(out.serial, "1A2B");
	assert_true(out.bound_at == T0);
	assert_string_equal(out.card_serial, "54570000123456789ABC");
	/* the layout before: version, sha256, issuer, serial, bound_at */
	size_t old = 1 + 1 + 32 + 1 + strlen(in.issuer) + 1 + strlen(in.serial) + 8;
	assert_int_equal(n, old + 1 + strlen(in.card_serial));
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(card_rec_decode(buf, old, &out), REGS_OK);
	assert_string_equal(out.serial, "1A2B");
	assert_true(out.bound_at == T0);
	assert_string_equal(out.card_serial, "");
	/* cut inside the new field: malformed */
	assert_int_equal(card_rec_decode(buf, old + 3, &out), REGS_ERR_INVALID);
}

/* R10.1: the host is appended to the activity record; a record written before it reads with
 * none, and a cut inside the new field is malformed. */
static void test_R10_1_audit_record_keeps_host_and_reads_older_records(void **state)
{
	struct audit_rec in = {.time = T0, .actor_uid = 0, .result = 1}, out;
	uint8_t buf[REC_BUF_MAX];
	char longhost[200];
	(void)state;
	rec_copy(in.user, sizeof(in.user), "alice");
	rec_copy(in.event, sizeof(in.event), "login");
	rec_copy(in.method, sizeof(in.method), "otp");
	rec_copy(in.service, sizeof(in.service), "sshd");
	rec_copy(in.rhost, sizeof(in.rhost), "192.0.2.9");
	rec_copy(in.host, sizeof(in.host), "school-a.example");
	size_t n = audit_rec_encode(&in, buf);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(audit_rec_decode(buf, n, &out), REGS_OK);
	assert_string_equal(out.host, "school-a.example");
	assert_string_equal(out.rhost, "192.0.2.9");
	/* the layout before: everything up to rhost */
	size_t old = n - 1 - strlen(in.host);
	memset(&out, 0xAA, sizeof(out));
	assert_int_equal(audit_rec_decode(buf, old, &out), REGS_OK);
	assert_string_equal(out.host, "");
	assert_string_equal(out.rhost, "192.0.2.9");
	assert_string_equal(out.user, "alice");
	assert_true(out.time == T0);
	assert_int_equal(audit_rec_decode(buf, old + 3, &out), REGS_ERR_INVALID);
	/* A host name longer than the field is cut to it, NUL-terminated. */
	fill(longhost, sizeof(longhost) - 1, 'h');
	rec_copy(in.host, sizeof(in.host), longhost);
	assert_int_equal(audit_rec_decode(buf, audit_rec_encode(&in, buf), &out), REGS_OK);
	assert_int_equal(strlen(out.host), AUDIT_HOST_MAX - 1);
}

static void test_audit_record_roundtrip(void **state)
{
	struct audit_rec in, out;
	uint8_t buf[REC_BUF_MAX];
	char longstr[400];
	(void)state;
	memset(&in, 0, sizeof(in));
	in.time = T0;
	in.actor_uid = 1000;
	in.result = 3;
	rec_copy(in.user, sizeof(in.user), "bob");
	rec_copy(in.event, sizeof(in.event), "login");
	rec_copy(in.method, sizeof(in.method), "otp");
	rec_copy(in.service, sizeof(in.service), "sshd");
	rec_copy(in.rhost, sizeof(in.rhost), "192.0.2.7");
	size_t n = audit_rec_encode(&in, buf);
	assert_int_equal(audit_rec_decode(buf, n, &out), REGS_OK);
	assert_true(out.time == T0);
	assert_int_equal(out.actor_uid, 1000);
	assert_int_equal(out.result, 3);
	assert_string_equal(out.user, "bob");
	assert_string_equal(out.event, "login");
	assert_string_equal(out.method, "otp");
	assert_string_equal(out.service, "sshd");
	assert_string_equal(out.rhost, "192.0.2.7");

	/* Long strings are truncated by rec_copy to fit their field, NUL-terminated. */
	fill(longstr, sizeof(longstr) - 1, 'x');
	rec_copy(in.user, sizeof(in.user), longstr);
	rec_copy(in.event, sizeof(in.event), longstr);
	rec_copy(in.method, sizeof(in.method), longstr);
	rec_copy(in.service, sizeof(in.service), longstr);
	rec_copy(in.rhost, sizeof(in.rhost), longstr);
	assert_int_equal(strlen(in.user), REC_NAME_MAX - 1);
	assert_int_equal(strlen(in.rhost), REC_FIELD_MAX - 1);
	n = audit_rec_encode(&in, buf);
	assert_in_range(n, 2, REC_BUF_MAX);
	assert_int_equal(audit_rec_decode(buf, n, &out), REGS_OK);
	assert_int_equal(strlen(out.user), REC_NAME_MAX - 1);
	assert_int_equal(strlen(out.event), sizeof(out.event) - 1);
	assert_int_equal(strlen(out.method), sizeof(out.method) - 1);
	assert_int_equal(strlen(out.service), REC_FIELD_MAX - 1);
	assert_int_equal(strlen(out.rhost), REC_FIELD_MAX - 1);

	/* A stored record whose strings are longer than the fields (255 bytes each) decodes
	 * truncated, without writing past the fields. */
	struct {
		struct audit_rec rec;
		uint8_t guard[64];
	} g;
	uint8_t big[1 + 8 + 4 + 1 + 5 * 256];
	size_t off = 0;
	big[off++] = 1;
	for (int i = 0; i < 13; i++)
		big[off++] = (uint8_t)i;
	for (int f = 0; f < 5; f++) {
		big[off++] = 255;
		memset(big + off, 'a' + f, 255);
		off += 255;
	}
	assert_int_equal(off, sizeof(big));
	memset(g.guard, 0x5A, sizeof(g.guard));
	assert_int_equal(audit_rec_decode(big, sizeof(big), &g.rec), REGS_OK);
	for (size_t i = 0; i < sizeof(g.guard); i++)
		assert_int_equal(g.guard[i], 0x5A);
	assert_int_equal(strlen(g.rec.user), REC_NAME_MAX - 1);
	assert_int_equal(g.rec.user[0], 'a');
	assert_int_equal(strlen(g.rec.event), sizeof(g.rec.event) - 1);
	assert_int_equal(g.rec.event[0], 'b');
	assert_int_equal(strlen(g.rec.method), sizeof(g.rec.method) - 1);
	assert_int_equal(g.rec.method[0], 'c');
	assert_int_equal(strlen(g.rec.service), REC_FIELD_MAX - 1);
	assert_int_equal(g.rec.service[0], 'd');
	assert_int_equal(strlen(g.rec.rhost), REC_FIELD_MAX - 1);
	assert_int_equal(g.rec.rhost[0], 'e');
}

/* One encoded sample of every record type, each field non-default. */
static size_t encode_sample(int kind, uint8_t *buf)
{
	switch (kind) {
	case 0: {
		struct account_rec a = {.class = 1,
		                        .flags = 2,
		                        .failures = 3,
		                        .locked_until = T0,
		                        .created = T0,
		                        .password_changed = T0,
		                        .password_login_disabled_at = T0,
		                        .language = "en"};
		return account_rec_encode(&a, buf);
	}
	case 1: {
		struct otp_rec o = {
		    .bound_at = T0, .last_step = 99, .sealed_len = 20, .n_burned = 2};
		memset(o.sealed, 0x33, 20);
		o.burned[0] = 120;
		o.burned[1] = 121;
		return otp_rec_encode(&o, buf);
	}
	case 2: {
		struct pending_rec p;
		memset(&p, 0, sizeof(p));
		p.owner_uid = 1;
		rec_copy(p.user, sizeof(p.user), "carol");
		rec_copy(p.token, sizeof(p.token), "tok");
		p.sealed_len = 20;
		return pending_rec_encode(&p, buf);
	}
	default: {
		struct audit_rec r;
		memset(&r, 0, sizeof(r));
		rec_copy(r.user, sizeof(r.user), "dave");
		rec_copy(r.event, sizeof(r.event), "enrol");
		rec_copy(r.method, sizeof(r.method), "otp");
		rec_copy(r.service, sizeof(r.service), "login");
		rec_copy(r.rhost, sizeof(r.rhost), "h");
		rec_copy(r.host, sizeof(r.host), "host-a");
		return audit_rec_encode(&r, buf);
	}
	}
}

static enum regs_err decode_kind(int kind, const void *data, size_t len)
{
	union {
		struct account_rec a;
		struct otp_rec o;
		struct pending_rec p;
		struct audit_rec r;
	} u;
	switch (kind) {
	case 0:
		return account_rec_decode(data, len, &u.a);
	case 1:
		return otp_rec_decode(data, len, &u.o);
	case 2:
		return pending_rec_decode(data, len, &u.p);
	default:
		return audit_rec_decode(data, len, &u.r);
	}
}

/* version, class, flags, failures, locked_until, created, password_changed,
 * password_login_disabled_at: the first layout of an account record */
#define ACCOUNT_REC_V1_BASE (1 + 1 + 4 + 4 + 8 + 8 + 8 + 8)
/* ... then the e-mail fields: 1 + 8 + 1 (no address); then the language (R9.6). */
#define ACCOUNT_REC_BEFORE_LANGUAGE (ACCOUNT_REC_V1_BASE + 1 + 8 + 1)
/* The audit sample before the host (R10.1): version, time, actor, result, then user, event,
 * method, service and rhost with their length bytes. */
#define AUDIT_REC_BEFORE_HOST (1 + 8 + 4 + 1 + (1 + 4) + (1 + 5) + (1 + 3) + (1 + 5) + (1 + 1))

static void test_record_truncated_is_invalid(void **state)
{
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	for (int kind = 0; kind < 4; kind++) {
		size_t n = encode_sample(kind, buf);
		assert_int_equal(decode_kind(kind, buf, n), REGS_OK);
		for (size_t len = 0; len < n; len++) {
			/* A fresh heap copy of exactly len bytes lets sanitizers catch over-reads.
			 */
			uint8_t *copy = malloc(len ? len : 1);
			assert_non_null(copy);
			memcpy(copy, buf, len);
			/* An account record that ends where the e-mail fields or the language
			 * begin (an audit record where the host begins) was written before they
			 * existed: it is complete, not truncated. */
			int old_layout = (kind == 0 && (len == ACCOUNT_REC_V1_BASE ||
			                                len == ACCOUNT_REC_BEFORE_LANGUAGE)) ||
			                 (kind == 1 && len == OTP_REC_V1_BASE) ||
			                 (kind == 3 && len == AUDIT_REC_BEFORE_HOST);
			enum regs_err want = old_layout ? REGS_OK : REGS_ERR_INVALID;
			assert_int_equal(decode_kind(kind, copy, len), want);
			free(copy);
		}
	}
	assert_int_equal(decode_kind(0, NULL, 0), REGS_ERR_INVALID);
}

static void test_record_unknown_version_is_invalid(void **state)
{
	uint8_t buf[REC_BUF_MAX];
	(void)state;
	static const uint8_t versions[] = {0, 2, 0x7f, 0xff};
	for (int kind = 0; kind < 4; kind++) {
		size_t n = encode_sample(kind, buf);
		for (size_t i = 0; i < sizeof(versions); i++) {
			buf[0] = versions[i];
			assert_int_equal(decode_kind(kind, buf, n), REGS_ERR_INVALID);
		}
	}
}

static void test_record_longer_newer_record_accepted(void **state)
{
	uint8_t buf[REC_BUF_MAX + 32];
	(void)state;
	for (int kind = 0; kind < 4; kind++) {
		size_t n = encode_sample(kind, buf);
		memset(buf + n, 0xEE, 32);
		assert_int_equal(decode_kind(kind, buf, n + 1), REGS_OK);
		assert_int_equal(decode_kind(kind, buf, n + 32), REGS_OK);
	}
	/* And the known fields still read correctly. */
	struct account_rec in = {.failures = 2, .locked_until = T0 + 900, .created = T0}, out;
	size_t n = account_rec_encode(&in, buf);
	memset(buf + n, 0xEE, 16);
	assert_int_equal(account_rec_decode(buf, n + 16, &out), REGS_OK);
	assert_int_equal(out.failures, 2);
	assert_true(out.locked_until == T0 + 900);
	assert_true(out.password_login_disabled_at == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R9_1_third_failure_locks),
	    cmocka_unit_test(test_R9_1_lock_lasts_configured_minutes),
	    cmocka_unit_test(test_R9_1_lock_lapses_and_count_restarts),
	    cmocka_unit_test(test_R9_1_success_clears_count),
	    cmocka_unit_test(test_R9_1_failures_while_locked_do_not_extend_lock),
	    cmocka_unit_test(test_R9_4_clear_unlocks),
	    cmocka_unit_test(test_policy_failures_left),
	    cmocka_unit_test(test_account_record_roundtrip),
	    cmocka_unit_test(test_otp_record_roundtrip),
	    cmocka_unit_test(test_R12_4_otp_record_keeps_burned_steps),
	    cmocka_unit_test(test_R9_6_account_record_keeps_language),
	    cmocka_unit_test(test_R12_1_records_keep_a_255_byte_user_name),
	    cmocka_unit_test(test_pending_record_roundtrip),
	    cmocka_unit_test(test_audit_record_roundtrip),
	    cmocka_unit_test(test_R10_1_audit_record_keeps_host_and_reads_older_records),
	    cmocka_unit_test(test_R3_card_record_keeps_card_serial_and_reads_older_records),
	    cmocka_unit_test(test_record_truncated_is_invalid),
	    cmocka_unit_test(test_record_unknown_version_is_invalid),
	    cmocka_unit_test(test_record_longer_newer_record_accepted),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
