/* Bulk-loads benchmark users: regsd's LMDB store or the fleet's PostgreSQL store (sealed exactly
 * as regsd seals), Google bindings in LMDB, google-authenticator files, a pam_oath usersfile, a
 * passwd file. */
#include "account/record.h"
#include "common.h"
#include "otp/base32.h"
#include "store/seal.h"
#include "store/store.h"
#include "store/store_pg.h"
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 10000

static void usage(void)
{
	fprintf(
	    stderr,
	    "Usage: populate regs STATE_DIR SEAL_KEY FROM TO [MAP_MB]\n"
	    "       populate regs-pg CONNINFO SEAL_KEY FROM TO  (the fleet's PostgreSQL store)\n"
	    "       populate google STATE_DIR FROM TO ISSUER  (Google bindings: sub "
	    "bench-sub-USER)\n"
	    "       populate ga DIR FROM TO        (DIR/USER: ~/.google_authenticator format)\n"
	    "       populate oath FILE FROM TO     (pam_oath usersfile, appended)\n"
	    "       populate passwd FILE FROM TO HOME (passwd lines, appended; uid 100000+i)\n"
	    "Users are u0000001.. (FROM..TO inclusive); each secret is\n"
	    "HMAC-SHA1($BENCH_SEED or \"" BENCH_DEFAULT_SEED "\", user).\n");
	exit(2);
}

static const char *seed(void)
{
	const char *s = getenv("BENCH_SEED");
	return s && *s ? s : BENCH_DEFAULT_SEED;
}

static void die_regs(const char *what, enum regs_err err)
{
	fprintf(stderr, "populate: %s: %s\n", what, regs_strerror(err));
	exit(1);
}

/* One account as regsd's enrolment leaves it: account record plus OTP record
 * whose secret is sealed with the user name as additional data. */
static void put_account(struct store_txn *t, const struct seal_key *key, unsigned i, int64_t now)
{
	char user[BENCH_NAME_MAX];
	uint8_t secret[BENCH_SECRET_BYTES], buf[REC_BUF_MAX];
	struct account_rec a;
	struct otp_rec o;
	bench_user(user, i);
	bench_secret(seed(), user, secret);
	memset(&o, 0, sizeof(o));
	o.bound_at = now;
	o.last_step = -1;
	enum regs_err err = seal_encrypt(key, secret, sizeof(secret), user, strlen(user), o.sealed,
	                                 sizeof(o.sealed));
	if (err != REGS_OK)
		die_regs("seal_encrypt", err);
	o.sealed_len = (uint8_t)(sizeof(secret) + SEAL_OVERHEAD);
	memset(&a, 0, sizeof(a));
	a.class = ACCOUNT_PERSONAL;
	a.created = now;
	struct store_val v = {buf, otp_rec_encode(&o, buf)};
	store_put(t, STORE_OTP, store_str(user), v);
	v.len = account_rec_encode(&a, buf);
	store_put(t, STORE_ACCOUNTS, store_str(user), v);
}

static int fsync_data(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		fprintf(stderr, "populate: fsync %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* Accounts from..to into s, BATCH per transaction, sealed under the key at key_path (made when
 * absent, as regsd makes it). */
static void load_accounts(struct store *s, const char *key_path, unsigned from, unsigned to)
{
	struct seal_key key;
	enum regs_err err = seal_key_load(key_path, 1, &key);
	if (err != REGS_OK)
		die_regs(key_path, err);
	int64_t now = (int64_t)time(NULL);
	for (unsigned i = from; i <= to;) {
		struct store_txn *t;
		err = store_begin(s, 1, &t);
		if (err != REGS_OK)
			die_regs("begin", err);
		for (unsigned n = 0; n < BATCH && i <= to; n++, i++)
			put_account(t, &key, i, now);
		err = store_commit(t);
		if (err != REGS_OK)
			die_regs("commit", err);
	}
	seal_key_wipe(&key);
}

/* Loads with MDB_NOSYNC and batched commits, then fsyncs the data file once. */
static int populate_regs(const char *dir, const char *key_path, unsigned from, unsigned to,
                         unsigned long map_mb)
{
	struct store *s;
	struct store_options so = {dir, (size_t)map_mb << 20, 0};
	enum regs_err err = store_lmdb_open(&so, &s);
	if (err != REGS_OK)
		die_regs(dir, err);
	load_accounts(s, key_path, from, to);
	store_close(s);
	return fsync_data(dir);
}

/* Through store_pg.h as regsd writes (its schema, its batch lock; no attach): each commit is
 * one durable PostgreSQL commit. */
static int populate_regs_pg(const char *conninfo, const char *key_path, unsigned from, unsigned to)
{
	struct store *s;
	char why[700] = "";
	struct store_pg_options po = {.conninfo = conninfo};
	enum regs_err err = store_pg_open(&po, &s, why, sizeof(why));
	if (err != REGS_OK) {
		fprintf(stderr, "populate: PostgreSQL: %s\n", *why ? why : regs_strerror(err));
		return 1;
	}
	load_accounts(s, key_path, from, to);
	store_close(s);
	return 0;
}

/* What a Google binding leaves (daemon/oobstore.c google_save): the record under the user and
 * the index SHA-256(iss NUL sub) -> user. The subject is "bench-sub-" USER. */
static int populate_google(const char *dir, unsigned from, unsigned to, const char *iss)
{
	struct store *s;
	struct store_txn *t;
	struct store_options so = {dir, (size_t)4096 << 20, 0};
	if (strlen(iss) >= REC_FIELD_MAX) {
		fprintf(stderr, "populate: issuer too long\n");
		return 1;
	}
	enum regs_err err = store_lmdb_open(&so, &s);
	if (err != REGS_OK)
		die_regs(dir, err);
	err = store_begin(s, 1, &t);
	if (err != REGS_OK)
		die_regs("begin", err);
	int64_t now = (int64_t)time(NULL);
	for (unsigned i = from; i <= to; i++) {
		char user[BENCH_NAME_MAX], keybuf[2 * REC_FIELD_MAX];
		uint8_t buf[REC_BUF_MAX], digest[SHA256_DIGEST_LENGTH];
		struct google_rec g;
		bench_user(user, i);
		memset(&g, 0, sizeof(g));
		snprintf(g.iss, sizeof(g.iss), "%s", iss);
		snprintf(g.sub, sizeof(g.sub), "bench-sub-%s", user);
		snprintf(g.email, sizeof(g.email), "%s@bench.invalid", user);
		g.bound_at = now;
		size_t ilen = strlen(g.iss), slen = strlen(g.sub);
		memcpy(keybuf, g.iss, ilen);
		keybuf[ilen] = '\0';
		memcpy(keybuf + ilen + 1, g.sub, slen);
		SHA256((const uint8_t *)keybuf, ilen + 1 + slen, digest);
		struct store_val v = {buf, google_rec_encode(&g, buf)};
		struct store_val index = {digest, sizeof(digest)};
		store_put(t, STORE_GOOGLE, store_str(user), v);
		store_put(t, STORE_GOOGLE_INDEX, index, store_str(user));
	}
	err = store_commit(t);
	if (err != REGS_OK)
		die_regs("commit", err);
	store_close(s);
	return fsync_data(dir);
}

/* The file google-authenticator -t -d -r 3 -R 30 -w 3 writes (no scratch codes). */
static int populate_ga(const char *dir, unsigned from, unsigned to)
{
	char user[BENCH_NAME_MAX], b32[64], path[4096], text[256];
	uint8_t secret[BENCH_SECRET_BYTES];
	for (unsigned i = from; i <= to; i++) {
		bench_user(user, i);
		bench_secret(seed(), user, secret);
		if (base32_encode(secret, sizeof(secret), b32, sizeof(b32)) != REGS_OK)
			return 1;
		int len = snprintf(text, sizeof(text),
		                   "%s\n\" RATE_LIMIT 3 30\n\" WINDOW_SIZE 3\n\" DISALLOW_REUSE\n"
		                   "\" TOTP_AUTH\n",
		                   b32);
		snprintf(path, sizeof(path), "%s/%s", dir, user);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || write(fd, text, (size_t)len) != len || close(fd) != 0) {
			fprintf(stderr, "populate: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}

static int populate_oath(const char *file, unsigned from, unsigned to)
{
	char user[BENCH_NAME_MAX];
	uint8_t secret[BENCH_SECRET_BYTES];
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		fprintf(stderr, "populate: %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (unsigned i = from; i <= to; i++) {
		bench_user(user, i);
		bench_secret(seed(), user, secret);
		fprintf(f, "HOTP/T30/6\t%s\t-\t", user);
		for (size_t k = 0; k < sizeof(secret); k++)
			fprintf(f, "%02x", secret[k]);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : 1;
}

static int populate_passwd(const char *file, unsigned from, unsigned to, const char *home)
{
	char user[BENCH_NAME_MAX];
	FILE *f = fopen(file, "a");
	if (!f) {
		fprintf(stderr, "populate: %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (unsigned i = from; i <= to; i++) {
		bench_user(user, i);
		fprintf(f, "%s:x:%u:%u:%s:%s:/bin/sh\n", user, 100000 + i, 100000 + i, user, home);
	}
	return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		usage();
	const char *mode = argv[1];
	if (strcmp(mode, "regs") == 0 && (argc == 6 || argc == 7)) {
		unsigned from = (unsigned)bench_parse_ulong("FROM", argv[4]);
		unsigned to = (unsigned)bench_parse_ulong("TO", argv[5]);
		unsigned long map_mb = argc == 7 ? bench_parse_ulong("MAP_MB", argv[6]) : 4096;
		umask(077);
		return populate_regs(argv[2], argv[3], from, to, map_mb);
	}
	if (strcmp(mode, "regs-pg") == 0 && argc == 6) {
		unsigned from = (unsigned)bench_parse_ulong("FROM", argv[4]);
		unsigned to = (unsigned)bench_parse_ulong("TO", argv[5]);
		umask(077);
		return populate_regs_pg(argv[2], argv[3], from, to);
	}
	if (strcmp(mode, "google") == 0 && argc == 6) {
		unsigned from = (unsigned)bench_parse_ulong("FROM", argv[3]);
		unsigned to = (unsigned)bench_parse_ulong("TO", argv[4]);
		umask(077);
		return populate_google(argv[2], from, to, argv[5]);
	}
	if (argc != 5 && !(strcmp(mode, "passwd") == 0 && argc == 6))
		usage();
	unsigned from = (unsigned)bench_parse_ulong("FROM", argv[3]);
	unsigned to = (unsigned)bench_parse_ulong("TO", argv[4]);
	if (strcmp(mode, "ga") == 0)
		return populate_ga(argv[2], from, to);
	if (strcmp(mode, "oath") == 0)
		return populate_oath(argv[2], from, to);
	if (strcmp(mode, "passwd") == 0 && argc == 6)
		return populate_passwd(argv[2], from, to, argv[5]);
	usage();
	return 2;
}
