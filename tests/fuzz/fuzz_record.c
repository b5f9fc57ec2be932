/* Stored records (lib/account/record.c): any input through every *_rec_decode; a record that
 * decodes is encoded again, and that encoding must decode and encode to the same bytes. (Not the
 * same struct: a decoded field may hold bytes after an embedded NUL, which no encoder writes.) */
#include "account/record.h"
#include "fuzz_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fuzz_target_name[] = "record";

/* Decode, encode, decode, encode, compare: T is the record type, NAME its functions' prefix. */
#define ROUND_TRIP(T, NAME)                                                                        \
	do {                                                                                       \
		struct T a, b;                                                                     \
		uint8_t buf[REC_BUF_MAX], again[REC_BUF_MAX];                                      \
		if (NAME##_decode(data, size, &a) != REGS_OK)                                      \
			break;                                                                     \
		size_t n = NAME##_encode(&a, buf);                                                 \
		if (n > REC_BUF_MAX || NAME##_decode(buf, n, &b) != REGS_OK ||                     \
		    NAME##_encode(&b, again) != n || memcmp(buf, again, n) != 0)                   \
			fuzz_fail(#NAME ": a decoded record does not survive encoding");           \
	} while (0)

/* With REGS_FUZZ_RECORD_SEEDS=DIR (tests/fuzz/make_seeds.py only), the real encoders write a
 * record of each kind into DIR: the seeds of this target. */
static void write_seed(const char *dir, const char *name, const uint8_t *buf, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0)
		fuzz_fail("writing a seed");
}

static void write_seeds(const char *dir)
{
	uint8_t buf[REC_BUF_MAX];
	struct account_rec a = {
	    ACCOUNT_INSTITUTION, 1,      2, 1700000900, 1690000000, 1695000000, 0, 1, 1699000000,
	    "alice@example.org", "zh_TW"};
	write_seed(dir, "account", buf, account_rec_encode(&a, buf));
	struct otp_rec o = {1690000000, 56666666, 20, {0x01, 0x02, 0x03}, 2, {56666670, 56666672}};
	write_seed(dir, "otp", buf, otp_rec_encode(&o, buf));
	struct pending_rec p = {1000, 1700000000, 1700000300, 1, "alice", "9f8e7d6c", 20, {9}};
	write_seed(dir, "pending", buf, pending_rec_encode(&p, buf));
	struct audit_rec u = {1700000000, 0, 3, "alice", "login", "otp", "sshd", "192.0.2.7"};
	write_seed(dir, "audit", buf, audit_rec_encode(&u, buf));
	struct card_rec c = {
	    {0xAB}, "CN=MOICA,O=行政院,C=TW", "0A1B2C3D4E5F", 1700000000, "54570000000000000A01"};
	write_seed(dir, "card", buf, card_rec_encode(&c, buf));
	struct code_rec k = {{1}, {2}, "KX", 1700000000, 1700000300, 2, "alice@example.org"};
	write_seed(dir, "code", buf, code_rec_encode(&k, buf));
	struct google_rec g = {"https://accounts.google.com", "110169484474386276334",
	                       "alice@gmail.com", 1700000000};
	write_seed(dir, "google", buf, google_rec_encode(&g, buf));
	struct mobile_rec m = {"5a2f6c0e9b7d4a31c8e2f1d0b9a8c7e6", 1700000000};
	write_seed(dir, "mobile", buf, mobile_rec_encode(&m, buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int seeded;
	const char *seed_dir = getenv("REGS_FUZZ_RECORD_SEEDS");
	if (!seeded && seed_dir != NULL)
		write_seeds(seed_dir);
	seeded = 1;
	ROUND_TRIP(account_rec, account_rec);
	ROUND_TRIP(otp_rec, otp_rec);
	ROUND_TRIP(pending_rec, pending_rec);
	ROUND_TRIP(audit_rec, audit_rec);
	ROUND_TRIP(card_rec, card_rec);
	ROUND_TRIP(code_rec, code_rec);
	ROUND_TRIP(google_rec, google_rec);
	ROUND_TRIP(mobile_rec, mobile_rec);
	return 0;
}
