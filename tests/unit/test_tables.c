/* Unit tests for regsd's in-memory tables (R12.2): card challenges and rate-limit windows. No
 * caller can evict or exhaust another caller's state: per-caller and per-account quotas, and a full
 * table refuses the newcomer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "ratelimit.h"

#define NOW ((int64_t)1700000000)

static struct challenge_table *new_table(void)
{
	struct challenge_table *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	return t;
}

static enum challenge_refusal make(struct challenge_table *t, const char *user, const char *owner,
                                   const char *sender, int64_t now, const struct challenge **out)
{
	unsigned wait = 0;
	enum challenge_refusal v = challenge_new(t, user, "login", sender, owner, now, out, &wait);
	if (v == CHALLENGE_MADE)
		assert_int_equal(wait, 0);
	else
		assert_in_range(wait, 1, CHALLENGE_SECONDS);
	return v;
}

/* Takes a copy of a challenge's handle, so that later calls cannot change it under us. */
static void handle_of(const struct challenge *c, char out[33])
{
	memcpy(out, c->handle, 33);
}

static void test_R12_2_one_caller_cannot_evict_another_challenge(void **state)
{
	(void)state;
	struct challenge_table *t = new_table();
	const struct challenge *c;
	char victim[33];
	assert_int_equal(make(t, "bob", ":1.5", ":1.5", NOW, &c), CHALLENGE_MADE);
	handle_of(c, victim);
	/* A local user asks for far more challenges than the table holds, from many connections. */
	unsigned made = 0;
	for (int i = 0; i < 3 * CHALLENGE_SLOTS; i++) {
		char sender[32];
		snprintf(sender, sizeof(sender), ":1.%d", 100 + i);
		if (make(t, "mallory", "uid:1666", sender, NOW + 1, &c) == CHALLENGE_MADE)
			made++;
	}
	assert_int_equal(made, CHALLENGE_PER_ACCOUNT);
	struct challenge out;
	assert_int_equal(challenge_take(t, victim, "login", ":1.5", NOW + 2, &out), 1);
	assert_string_equal(out.user, "bob");
	free(t);
}

static void test_R12_2_caller_quota_across_accounts(void **state)
{
	(void)state;
	struct challenge_table *t = new_table();
	const struct challenge *c;
	unsigned made = 0;
	for (int i = 0; i < 50; i++) {
		char user[32];
		snprintf(user, sizeof(user), "ghost%d", i);
		if (make(t, user, "uid:1501", ":1.9", NOW, &c) == CHALLENGE_MADE)
			made++;
	}
	assert_int_equal(made, CHALLENGE_PER_CALLER);
	assert_int_equal(make(t, "ghost99", "uid:1501", ":1.10", NOW, &c), CHALLENGE_CALLER_QUOTA);
	/* Another caller is not affected, and the quota frees when the challenges expire. */
	assert_int_equal(make(t, "alice", ":1.11", ":1.11", NOW, &c), CHALLENGE_MADE);
	assert_int_equal(make(t, "ghost99", "uid:1501", ":1.10", NOW + CHALLENGE_SECONDS, &c),
	                 CHALLENGE_MADE);
	free(t);
}

static void test_R12_2_full_challenge_table_refuses_newcomer(void **state)
{
	(void)state;
	struct challenge_table *t = new_table();
	const struct challenge *c;
	char first[33] = "";
	for (int i = 0; i < CHALLENGE_SLOTS; i++) {
		char user[32], owner[32];
		snprintf(user, sizeof(user), "user%d", i);
		snprintf(owner, sizeof(owner), ":1.%d", i);
		assert_int_equal(make(t, user, owner, owner, NOW + i % 7, &c), CHALLENGE_MADE);
		if (i == 0)
			handle_of(c, first);
	}
	assert_int_equal(make(t, "late", ":2.1", ":2.1", NOW + 10, &c), CHALLENGE_TABLE_FULL);
	assert_null(c);
	struct challenge out;
	assert_int_equal(challenge_take(t, first, "login", ":1.0", NOW + 10, &out), 1);
	/* The slot just used is free again. */
	assert_int_equal(make(t, "late", ":2.1", ":2.1", NOW + 10, &c), CHALLENGE_MADE);
	free(t);
}

static void test_R12_2_challenges_of_a_gone_connection_are_freed(void **state)
{
	(void)state;
	struct challenge_table *t = new_table();
	const struct challenge *c;
	char h[33];
	for (int i = 0; i < CHALLENGE_PER_ACCOUNT; i++)
		assert_int_equal(make(t, "carol", ":1.7", ":1.7", NOW, &c), CHALLENGE_MADE);
	handle_of(c, h);
	assert_int_equal(make(t, "carol", ":1.8", ":1.8", NOW, &c), CHALLENGE_ACCOUNT_QUOTA);
	challenge_forget_sender(t, ":1.7");
	struct challenge out;
	assert_int_equal(challenge_take(t, h, "login", ":1.7", NOW, &out), 0);
	assert_int_equal(make(t, "carol", ":1.8", ":1.8", NOW, &c), CHALLENGE_MADE);
	free(t);
}

static void test_R12_2_rate_window_never_evicted(void **state)
{
	(void)state;
	struct rate_limit *rl = rate_limit_new(2, 600);
	assert_non_null(rl);
	/* The victim's ID number has used its attempts. */
	assert_int_equal(rate_limit_take(rl, "id", "A123456789", ":1.1", NOW), 0);
	assert_int_equal(rate_limit_take(rl, "id", "A123456789", ":1.1", NOW), 0);
	assert_true(rate_limit_take(rl, "id", "A123456789", ":1.1", NOW) > 0);
	/* Flooding new keys from one caller stops at its quota, from many callers at the table's
	 * size; neither frees the used-up window. */
	unsigned opened = 0;
	for (int i = 0; i < 2000; i++) {
		char key[32], owner[32];
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(owner, sizeof(owner), "uid:%d", i < 100 ? 1666 : 2000 + i);
		if (rate_limit_take(rl, "id", key, owner, NOW + 1) == 0)
			opened++;
	}
	assert_in_range(opened, RATE_PER_OWNER, 511);
	unsigned wait = rate_limit_take(rl, "id", "A123456789", ":1.1", NOW + 2);
	assert_in_range(wait, 1, 600);
	assert_int_equal(rate_limit_wait(rl, "id", "A123456789", NOW + 2), wait);
	/* A full table refuses a newcomer with the time until a window ends. */
	assert_in_range(rate_limit_take(rl, "id", "newcomer", "uid:9999", NOW + 2), 1, 600);
	/* After the window every key may try again. */
	assert_int_equal(rate_limit_take(rl, "id", "A123456789", ":1.1", NOW + 601), 0);
	rate_limit_free(rl);
}

static void test_R12_2_rate_owner_quota(void **state)
{
	(void)state;
	struct rate_limit *rl = rate_limit_new(5, 60);
	assert_non_null(rl);
	for (int i = 0; i < RATE_PER_OWNER; i++) {
		char key[32];
		snprintf(key, sizeof(key), "alice@host%d", i);
		assert_int_equal(rate_limit_take(rl, "google", key, "uid:1001", NOW), 0);
	}
	assert_in_range(rate_limit_take(rl, "google", "alice@more", "uid:1001", NOW), 1, 60);
	/* An existing window of the same owner still counts; others are unaffected. */
	assert_int_equal(rate_limit_take(rl, "google", "alice@host0", "uid:1001", NOW), 0);
	assert_int_equal(rate_limit_take(rl, "google", "bob@x", "uid:1002", NOW), 0);
	rate_limit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R12_2_one_caller_cannot_evict_another_challenge),
	    cmocka_unit_test(test_R12_2_caller_quota_across_accounts),
	    cmocka_unit_test(test_R12_2_full_challenge_table_refuses_newcomer),
	    cmocka_unit_test(test_R12_2_challenges_of_a_gone_connection_are_freed),
	    cmocka_unit_test(test_R12_2_rate_window_never_evicted),
	    cmocka_unit_test(test_R12_2_rate_owner_quota),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
