/* Finding, checking and loading the card and QR plugin; no PAM types (the caller logs). */
#ifndef PAM_REGS_CARDQR_LOAD_H
#define PAM_REGS_CARDQR_LOAD_H
#include "base/error.h"
#include "cardqr.h"
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define CARDQR_WHY_MAX 512

/* A loaded plugin: dlopen'ed with RTLD_NODELETE, so releasing it never unmaps its code. */
struct cardqr {
	void *handle;
	const struct cardqr_table *code;
};

/* The plugin's file for the module at module_path (module_st: its stat): the installed module
 * (the same file as installed_module, when that exists: installed_st non-NULL) loads the
 * installed plugin; any other copy (a build tree, the tests' copy) loads CARDQR_FILE from its own
 * directory. REGS_ERR_INVALID when module_path names no directory or out is too small. */
enum regs_err cardqr_plugin_path(const char *module_path, const struct stat *module_st,
                                 const struct stat *installed_st, const char *installed_plugin,
                                 char *out, size_t size);

/* The rule for code the module runs: a regular file, owned by root or by the module file's
 * owner, not writable by group or others, in a directory with the same owner rule and not
 * writable by group or others (so that no one else can swap the file between this check and
 * dlopen). REGS_ERR_PERM with why saying which part failed. */
enum regs_err cardqr_file_check(const struct stat *file, const struct stat *dir, uid_t owner,
                                char *why, size_t whylen);

/* REGS_OK when the table is one this module can use: its ABI, and at least the entries it
 * knows. */
enum regs_err cardqr_table_check(const struct cardqr_table *code, char *why, size_t whylen);

/* Finds the plugin for this module, checks it and loads it (RTLD_NOW | RTLD_LOCAL |
 * RTLD_NODELETE). REGS_ERR_NOT_FOUND: not installed; REGS_ERR_PERM: refused by the rule
 * above; REGS_ERR_INVALID: not a plugin of this ABI, or not loadable. why names the file. */
enum regs_err cardqr_load(struct cardqr *out, char *why, size_t whylen);

/* Drops this use of the plugin (it stays mapped); NULL handle is fine. */
void cardqr_release(struct cardqr *c);

#endif
