/* regsd --copy-store: every table of one database copied into an empty other, then verified. */
#include "storecopy.h"
#include "store/store_pg.h"
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

/* As large as regs.conf's map_size_mb allows, so that any database regsd made fits. LMDB only
 * reserves the address space; the file grows as it is written, and a regsd opening the copy
 * later maps it with its own map_size_mb (never less than the data). */
#define STORECOPY_LMDB_MAP_SIZE ((size_t)1 << 40)

/* Where a database is: "lmdb:DIR" or "postgresql:CONNINFO". */
struct store_spec {
	int postgresql;
	const char *where; /* DIR or CONNINFO */
};

static const struct store_val everything = {"", 0};

static int is_schema(enum store_table tb, struct store_val key)
{
	static const char schema[] = "schema";
	return tb == STORE_META && key.len == sizeof(schema) - 1 &&
	       memcmp(key.data, schema, key.len) == 0;
}

/* ---- the copy ---- */

struct copy_ctx {
	struct store_txn *to;
	enum store_table tb;
	int found;
};

static int note_record(void *ctx, struct store_val key, struct store_val val)
{
	struct copy_ctx *c = ctx;
	(void)val;
	if (is_schema(c->tb, key))
		return 0;
	c->found = 1;
	return 1;
}

static int copy_record(void *ctx, struct store_val key, struct store_val val)
{
	struct copy_ctx *c = ctx;
	if (!is_schema(c->tb, key))
		store_put(c->to, c->tb, key, val);
	return store_txn_error(c->to) != REGS_OK; /* the first failed write ends the copy */
}

/* Runs fn over every record of every table of from, in key order. */
static void scan_all(struct store_txn *from, struct store_txn *to, store_scan_fn fn, int *found)
{
	for (int tb = 0; tb < STORE_TABLE_COUNT && !*found; tb++) {
		struct copy_ctx c = {to, (enum store_table)tb, 0};
		store_scan(from, c.tb, everything, everything, fn, &c);
		*found = c.found;
	}
}

static enum storecopy_status copy_into(struct store_txn *src, struct store_txn *dst, char *why,
                                       size_t whysz)
{
	int found = 0;
	scan_all(dst, dst, note_record, &found);
	if (found) {
		regs_explain(why, whysz, "TO is not empty: nothing copied");
		return STORECOPY_NOT_EMPTY;
	}
	scan_all(src, dst, copy_record, &found);
	enum regs_err err = store_txn_error(src);
	if (err != REGS_OK) {
		regs_explain(why, whysz, "FROM cannot be read: %s; nothing copied",
		             regs_strerror(err));
		return STORECOPY_FAILED;
	}
	return STORECOPY_OK;
}

enum storecopy_status storecopy_copy(struct store *from, struct store *to, char *why, size_t whysz)
{
	struct store_txn *src = NULL, *dst = NULL;
	enum storecopy_status status = STORECOPY_FAILED;
	enum regs_err err = store_begin(from, 0, &src);
	if (err != REGS_OK) {
		regs_explain(why, whysz, "FROM cannot be read: %s; nothing copied",
		             regs_strerror(err));
		return STORECOPY_FAILED;
	}
	err = store_begin(to, 1, &dst);
	if (err != REGS_OK) {
		regs_explain(why, whysz, "TO cannot be written: %s; nothing copied",
		             regs_strerror(err));
		goto out;
	}
	status = copy_into(src, dst, why, whysz);
	if (status != STORECOPY_OK)
		goto out;
	err = store_commit(dst); /* one transaction: all of it is kept, or nothing */
	dst = NULL;
	if (err != REGS_OK) {
		regs_explain(why, whysz, "TO cannot be written: %s; nothing copied",
		             regs_strerror(err));
		status = STORECOPY_FAILED;
	}
out:
	store_abort(dst);
	store_abort(src);
	return status;
}

/* ---- the verification ---- */

struct digest_ctx {
	EVP_MD_CTX *md;
	enum store_table tb;
	uint64_t records;
	int failed;
};

static int hash_part(EVP_MD_CTX *md, struct store_val v)
{
	uint8_t len[8];
	store_be64(len, v.len);
	return EVP_DigestUpdate(md, len, sizeof(len)) == 1 &&
	       (v.len == 0 || EVP_DigestUpdate(md, v.data, v.len) == 1);
}

static int digest_record(void *ctx, struct store_val key, struct store_val val)
{
	struct digest_ctx *c = ctx;
	if (is_schema(c->tb, key))
		return 0;
	if (!hash_part(c->md, key) || !hash_part(c->md, val)) {
		c->failed = 1;
		return 1;
	}
	c->records++;
	return 0;
}

static enum regs_err digest_table(struct store_txn *t, EVP_MD_CTX *md, enum store_table tb,
                                  struct storecopy_digest *out)
{
	struct digest_ctx c = {md, tb, 0, 0};
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return REGS_ERR_CRYPTO;
	store_scan(t, tb, everything, everything, digest_record, &c);
	if (c.failed || EVP_DigestFinal_ex(md, out->sha256, NULL) != 1)
		return REGS_ERR_CRYPTO;
	out->records = c.records;
	return store_txn_error(t);
}

enum regs_err storecopy_digest(struct store *s, struct storecopy_digest out[STORE_TABLE_COUNT])
{
	struct store_txn *t = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	enum regs_err err = md ? store_begin(s, 0, &t) : REGS_ERR_NOMEM;
	for (int tb = 0; err == REGS_OK && tb < STORE_TABLE_COUNT; tb++)
		err = digest_table(t, md, (enum store_table)tb, &out[tb]);
	store_abort(t);
	EVP_MD_CTX_free(md);
	return err;
}

/* Prints the table's line; says on stderr how it differs, if it does. Returns 1 if it matches. */
static int report_table(enum store_table tb, const struct storecopy_digest *a,
                        const struct storecopy_digest *b, FILE *out)
{
	unsigned long long n = (unsigned long long)a->records;
	if (a->records != b->records) {
		fprintf(stderr, "regsd: %s: %llu records in FROM, %llu in TO\n",
		        store_table_name(tb), n, (unsigned long long)b->records);
		return 0;
	}
	if (memcmp(a->sha256, b->sha256, sizeof(a->sha256)) != 0) {
		fprintf(stderr, "regsd: %s: %llu records on each side, but they differ\n",
		        store_table_name(tb), n);
		return 0;
	}
	fprintf(out, "%s %llu records\n", store_table_name(tb), n);
	return 1;
}

enum storecopy_status storecopy_verify(struct store *from, struct store *to, FILE *out)
{
	struct storecopy_digest a[STORE_TABLE_COUNT], b[STORE_TABLE_COUNT];
	enum regs_err err = storecopy_digest(from, a);
	if (err == REGS_OK)
		err = storecopy_digest(to, b);
	if (err != REGS_OK) {
		fprintf(stderr, "regsd: copied, but not verified: reading it back failed: %s\n",
		        regs_strerror(err));
		return STORECOPY_MISMATCH;
	}
	int same = 1;
	for (int tb = 0; tb < STORE_TABLE_COUNT; tb++)
		same &= report_table((enum store_table)tb, &a[tb], &b[tb], out);
	if (!same) {
		fprintf(stderr, "regsd: the copy differs from FROM\n");
		return STORECOPY_MISMATCH;
	}
	fputs("verified\n", out);
	return STORECOPY_OK;
}

/* ---- opening FROM and TO ---- */

static int parse_spec(const char *text, struct store_spec *spec)
{
	static const char lmdb[] = "lmdb:", pg[] = "postgresql:";
	if (strncmp(text, lmdb, sizeof(lmdb) - 1) == 0)
		*spec = (struct store_spec){0, text + sizeof(lmdb) - 1};
	else if (strncmp(text, pg, sizeof(pg) - 1) == 0)
		*spec = (struct store_spec){1, text + sizeof(pg) - 1};
	else
		return -1;
	return *spec->where ? 0 : -1;
}

/* LMDB must not be opened twice in one process: the same directory on both sides is refused. */
static int same_lmdb(const struct store_spec *a, const struct store_spec *b)
{
	struct stat sa, sb;
	return !a->postgresql && !b->postgresql && stat(a->where, &sa) == 0 &&
	       stat(b->where, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* FROM must be a database already: opening a mistyped directory would create an empty one. */
static int lmdb_exists(const char *dir)
{
	char path[4096];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/data.mdb", dir);
	return n > 0 && (size_t)n < sizeof(path) && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int open_lmdb(const char *dir, const char *side, struct store **out)
{
	struct store_options so = {dir, STORECOPY_LMDB_MAP_SIZE, 1};
	enum regs_err err = store_lmdb_open(&so, out);
	if (err != REGS_OK)
		fprintf(stderr, "regsd: %s: the LMDB database in %s cannot be opened: %s\n", side,
		        dir, regs_strerror(err));
	return err == REGS_OK ? 0 : -1;
}

/* The connection string is not repeated: it is the administrator's, and may say too much. */
static int open_pg(const char *conninfo, const char *side, struct store **out)
{
	struct store_pg_options po = {.conninfo = conninfo, .attach = NULL};
	char why[700] = "";
	*out = NULL;
	enum regs_err err = store_pg_open(&po, out, why, sizeof(why));
	if (err == REGS_OK)
		return 0;
	store_close(*out); /* opened unconnected (REGS_ERR_UNAVAILABLE): no use to a copy */
	*out = NULL;
	fprintf(stderr, "regsd: %s: the PostgreSQL database cannot be opened: %s\n", side,
	        *why ? why : regs_strerror(err));
	return -1;
}

static int open_side(const struct store_spec *spec, int is_source, struct store **out)
{
	const char *side = is_source ? "FROM" : "TO";
	if (spec->postgresql)
		return open_pg(spec->where, side, out);
	if (is_source && !lmdb_exists(spec->where)) {
		fprintf(stderr, "regsd: FROM: no LMDB database in %s\n", spec->where);
		return -1;
	}
	return open_lmdb(spec->where, side, out);
}

enum storecopy_status storecopy_run(const char *from, const char *to, FILE *out)
{
	struct store_spec src, dst;
	struct store *a = NULL, *b = NULL;
	char why[256] = "";
	if (parse_spec(from, &src) != 0 || parse_spec(to, &dst) != 0) {
		fprintf(stderr, "regsd: FROM and TO are lmdb:DIR or postgresql:CONNINFO\n");
		return STORECOPY_USAGE;
	}
	if (same_lmdb(&src, &dst)) {
		fprintf(stderr, "regsd: FROM and TO are the same database\n");
		return STORECOPY_USAGE;
	}
	enum storecopy_status status = STORECOPY_FAILED;
	if (open_side(&src, 1, &a) == 0 && open_side(&dst, 0, &b) == 0) {
		status = storecopy_copy(a, b, why, sizeof(why));
		if (status == STORECOPY_OK)
			status = storecopy_verify(a, b, out);
		else
			fprintf(stderr, "regsd: %s\n", why);
	}
	store_close(b);
	store_close(a);
	return status;
}
