/* Unit tests for the fleet's seal key check (R10.4) over an LMDB store in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "keycheck.h"

struct fixture {
	char base[64];
	char dir[128];
	struct store *store;
	struct daemon d;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	scratch_make(f->base, sizeof(f->base), "keycheck");
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	struct store_options opt = {f->dir, 1u << 20, 0};
	assert_int_equal(store_lmdb_open(&opt, &f->store), REGS_OK);
	for (size_t i = 0; i < SEAL_KEY_BYTES; i++)
		f->d.data.key.key[i] = (uint8_t)(i * 5 + 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	seal_key_wipe(&f->d.data.key);
	if (scratch_remove(f->base) != 0)
		return -1;
	free(f);
	return 0;
}

/* One attach in its own write transaction, committed when it succeeds (as regsd does). */
static enum regs_err attach(struct fixture *f, char *why, size_t whysz)
{
	struct store_txn *t = NULL;
	assert_int_equal(store_begin(f->store, 1, &t), REGS_OK);
	why[0] = '\0';
	enum regs_err err = keycheck_attach(&f->d, t, why, whysz);
	if (err != REGS_OK) {
		store_abort(t);
		return err;
	}
	return store_commit(t);
}

/* The check value the database keeps, or NOT_FOUND. */
static enum regs_err stored_check(struct fixture *f, uint8_t out[SEAL_KEY_CHECK_BYTES])
{
	struct store_txn *t = NULL;
	struct store_val val;
	assert_int_equal(store_begin(f->store, 0, &t), REGS_OK);
	enum regs_err err = store_get(t, STORE_META, store_str(KEYCHECK_META_KEY), &val);
	if (err == REGS_OK) {
		assert_int_equal(val.len, SEAL_KEY_CHECK_BYTES);
		memcpy(out, val.data, SEAL_KEY_CHECK_BYTES);
	}
	store_abort(t);
	return err;
}

static void id_hex(const struct seal_key *key, char hex[9])
{
	uint8_t id[SEAL_KEY_ID_BYTES];
	assert_int_equal(seal_key_id(key, id), REGS_OK);
	snprintf(hex, 9, "%02x%02x%02x%02x", id[0], id[1], id[2], id[3]);
}

static void test_R10_4_new_database_takes_this_hosts_key_check(void **state)
{
	struct fixture *f = *state;
	char why[512];
	uint8_t stored[SEAL_KEY_CHECK_BYTES];
	uint8_t ours[SEAL_KEY_CHECK_BYTES];
	assert_int_equal(stored_check(f, stored), REGS_ERR_NOT_FOUND);
	assert_int_equal(attach(f, why, sizeof(why)), REGS_OK);
	assert_int_equal(stored_check(f, stored), REGS_OK);
	assert_int_equal(seal_key_check(&f->d.data.key, ours), REGS_OK);
	assert_memory_equal(stored, ours, sizeof(ours));
	/* The check value is not the key. */
	assert_memory_not_equal(stored, f->d.data.key.key, SEAL_KEY_BYTES);
	/* The same key again: accepted, nothing changed. */
	assert_int_equal(attach(f, why, sizeof(why)), REGS_OK);
	assert_int_equal(stored_check(f, stored), REGS_OK);
	assert_memory_equal(stored, ours, sizeof(ours));
}

static void test_R10_4_host_with_another_key_is_refused(void **state)
{
	struct fixture *f = *state;
	char why[512];
	char fleet_id[9], host_id[9];
	uint8_t before[SEAL_KEY_CHECK_BYTES], after[SEAL_KEY_CHECK_BYTES];
	assert_int_equal(attach(f, why, sizeof(why)), REGS_OK);
	assert_int_equal(stored_check(f, before), REGS_OK);
	id_hex(&f->d.data.key, fleet_id);
	f->d.data.key.key[7] ^= 0x10;
	id_hex(&f->d.data.key, host_id);
	assert_int_equal(attach(f, why, sizeof(why)), REGS_ERR_PERM);
	assert_non_null(strstr(why, "is not the one the database was sealed with"));
	assert_non_null(strstr(why, host_id));
	assert_non_null(strstr(why, fleet_id));
	assert_true(strstr(why, host_id) < strstr(why, fleet_id));
	assert_non_null(strstr(why, "seal_key_file"));
	/* Refused, and the database still names the fleet's key. */
	assert_int_equal(stored_check(f, after), REGS_OK);
	assert_memory_equal(before, after, sizeof(before));
	f->d.data.key.key[7] ^= 0x10;
	assert_int_equal(attach(f, why, sizeof(why)), REGS_OK);
}

static void test_R10_4_damaged_key_check_is_refused(void **state)
{
	struct fixture *f = *state;
	char why[512];
	struct store_txn *t = NULL;
	/* A value of the wrong length is no key's check value. */
	assert_int_equal(store_begin(f->store, 1, &t), REGS_OK);
	store_put(t, STORE_META, store_str(KEYCHECK_META_KEY), store_str("short"));
	assert_int_equal(store_commit(t), REGS_OK);
	assert_int_equal(attach(f, why, sizeof(why)), REGS_ERR_PERM);
	assert_non_null(strstr(why, "is not the one the database was sealed with"));
}

#define KEYCHECK_TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    KEYCHECK_TEST(test_R10_4_new_database_takes_this_hosts_key_check),
	    KEYCHECK_TEST(test_R10_4_host_with_another_key_is_refused),
	    KEYCHECK_TEST(test_R10_4_damaged_key_check_is_refused),
	};
	return cmocka_run_group_tests_name("keycheck", tests, NULL, NULL);
}
