/* The fleet's seal key check (R10.4): the database keeps the check value of the key it was
 * sealed with, and a host with another key refuses it rather than write records no other host
 * can open. */
#include "keycheck.h"
#include "daemon.h"
#include <stdio.h>
#include <string.h>

/* The key id (the check value's first bytes) as 8 hex digits, as the message shows it. */
static void keycheck_id_hex(const uint8_t check[SEAL_KEY_CHECK_BYTES],
                            char hex[2 * SEAL_KEY_ID_BYTES + 1])
{
	for (size_t i = 0; i < SEAL_KEY_ID_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", check[i]);
}

static enum regs_err keycheck_mismatch(const uint8_t ours[SEAL_KEY_CHECK_BYTES],
                                       const uint8_t theirs[SEAL_KEY_CHECK_BYTES], char *why,
                                       size_t whysz)
{
	char our_id[2 * SEAL_KEY_ID_BYTES + 1];
	char their_id[2 * SEAL_KEY_ID_BYTES + 1];
	keycheck_id_hex(ours, our_id);
	keycheck_id_hex(theirs, their_id);
	snprintf(
	    why, whysz,
	    "this host's seal key (id %s) is not the one the database was sealed with (id %s): "
	    "copy the fleet's seal key file from a host already in use (regs.conf "
	    "seal_key_file) and start again",
	    our_id, their_id);
	return REGS_ERR_PERM;
}

enum regs_err keycheck_seal_key(const struct seal_key *key, struct store_txn *t, char *why,
                                size_t whysz)
{
	uint8_t ours[SEAL_KEY_CHECK_BYTES];
	struct store_val val;
	const struct store_val name = store_str(KEYCHECK_META_KEY);
	enum regs_err err = seal_key_check(key, ours);
	if (err != REGS_OK) {
		snprintf(why, whysz, "the seal key's check value cannot be computed: %s",
		         regs_strerror(err));
		return err;
	}
	err = store_get(t, STORE_META, name, &val);
	if (err == REGS_ERR_NOT_FOUND) {
		store_put(t, STORE_META, name, (struct store_val){ours, sizeof(ours)});
		err = store_txn_error(t);
	} else if (err == REGS_OK &&
	           (val.len != sizeof(ours) || memcmp(val.data, ours, val.len) != 0)) {
		uint8_t theirs[SEAL_KEY_CHECK_BYTES] = {0};
		memcpy(theirs, val.data, val.len < sizeof(theirs) ? val.len : sizeof(theirs));
		return keycheck_mismatch(ours, theirs, why, whysz);
	}
	if (err != REGS_OK)
		snprintf(why, whysz, "the database's seal key check cannot be read or written: %s",
		         regs_strerror(err));
	return err;
}

enum regs_err keycheck_attach(void *ctx, struct store_txn *t, char *why, size_t whysz)
{
	struct daemon *d = ctx;
	return keycheck_seal_key(&d->data.key, t, why, whysz);
}
