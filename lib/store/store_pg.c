/* The fleet store over libpq (store_pg.h). Stub while being written. */
#include "store/store_pg.h"
#include <libpq-fe.h>

enum regs_err store_pg_check_conninfo(const char *conninfo, char *why, size_t whysz)
{
	(void)conninfo;
	regs_explain(why, whysz, "not yet");
	return REGS_ERR_CONFIG;
}

enum regs_err store_pg_open(const struct store_pg_options *opt, struct store **out, char *why,
                            size_t whysz)
{
	(void)opt;
	*out = NULL;
	regs_explain(why, whysz, "PostgreSQL store not built yet");
	return REGS_ERR_CONFIG;
}
