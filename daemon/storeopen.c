/* Opens regsd's database: the embedded LMDB, or the fleet's PostgreSQL (R10). */
#include "storeopen.h"
#include "keycheck.h"
#include "store/store_pg.h"
#include <errno.h>
#include <sys/stat.h>
#include <syslog.h>

static void note(int up, const char *what)
{
	regsd_log(up ? LOG_NOTICE : LOG_ERR, "storage: %s", what);
}

static int open_lmdb(struct daemon *d)
{
	struct store_options so = {d->cfg.state_dir, (size_t)d->cfg.map_size_mb << 20, 1};
	enum regs_err err = store_lmdb_open(&so, &d->data.store);
	if (err != REGS_OK) {
		regsd_log(LOG_ERR, "database in %s cannot be opened: %s", d->cfg.state_dir,
		          regs_strerror(err));
		return -1;
	}
	return 0;
}

int storeopen_prepare(struct daemon *d)
{
	if (d->cfg.store == REGS_STORE_LMDB)
		return open_lmdb(d);
	/* The seal key's default place is the state directory. */
	if (mkdir(d->cfg.state_dir, 0700) != 0 && errno != EEXIST) {
		regsd_log(LOG_ERR, "state directory %s cannot be made: %m", d->cfg.state_dir);
		return -1;
	}
	return 0;
}

static int open_postgresql(struct daemon *d)
{
	char why[700] = "";
	struct store_pg_options po = {
	    .conninfo = d->cfg.postgresql, .attach = keycheck_attach, .attach_ctx = d, .log = note};
	enum regs_err err = store_pg_open(&po, &d->data.store, why, sizeof(why));
	if (err == REGS_ERR_UNAVAILABLE) {
		regsd_log(LOG_WARNING,
		          "storage: %s; logins are refused until it can be reached (tried again at "
		          "most every second)",
		          why);
		return 0;
	}
	if (err != REGS_OK) {
		regsd_log(LOG_ERR, "storage: PostgreSQL refused: %s",
		          *why ? why : regs_strerror(err));
		return -1;
	}
	regsd_log(LOG_INFO, "storage: PostgreSQL connected");
	return 0;
}

/* R10.4 on LMDB: the database is new and takes this host's seal key, or was sealed with it. */
static int attach_lmdb(struct daemon *d)
{
	char why[512] = "";
	struct store_txn *t = NULL;
	enum regs_err err = store_begin(d->data.store, 1, &t);
	if (err == REGS_OK)
		err = keycheck_attach(d, t, why, sizeof(why));
	if (t != NULL && err == REGS_OK)
		err = store_commit(t);
	else if (t != NULL)
		store_abort(t);
	if (err == REGS_OK)
		return 0;
	regsd_log(LOG_ERR, "seal key %s refused by the database in %s: %s", d->cfg.seal_key_file,
	          d->cfg.state_dir, *why ? why : regs_strerror(err));
	return -1;
}

int storeopen_attach(struct daemon *d)
{
	if (d->cfg.store == REGS_STORE_POSTGRESQL)
		return open_postgresql(d);
	return attach_lmdb(d);
}

int storeopen_check_config(const struct regs_config *cfg)
{
	char why[300];
	if (cfg->store != REGS_STORE_POSTGRESQL)
		return 0;
	if (!*cfg->postgresql) {
		regsd_log(LOG_ERR,
		          "store = postgresql needs a connection string: postgresql = ...");
		return -1;
	}
	if (store_pg_check_conninfo(cfg->postgresql, why, sizeof(why)) != REGS_OK) {
		regsd_log(LOG_ERR, "%s", why);
		return -1;
	}
	return 0;
}
