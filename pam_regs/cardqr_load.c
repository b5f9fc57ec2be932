/* Loads the card and QR plugin for the module: where it is, whether it may run, its table. */
#include "cardqr_load.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef REGS_PAM_MODULE_PATH
#error "REGS_PAM_MODULE_PATH: where make install puts pam_regs.so"
#endif
#ifndef REGS_CARDQR_PATH
#error "REGS_CARDQR_PATH: where make install puts the card and QR plugin"
#endif

static int cardqr_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

enum regs_err cardqr_plugin_path(const char *module_path, const struct stat *module_st,
                                 const struct stat *installed_st, const char *installed_plugin,
                                 char *out, size_t size)
{
	int n;
	if (installed_st != NULL && cardqr_same_file(module_st, installed_st)) {
		n = snprintf(out, size, "%s", installed_plugin);
	} else {
		const char *slash = strrchr(module_path, '/');
		if (slash == NULL)
			return REGS_ERR_INVALID;
		n = snprintf(out, size, "%.*s/%s", (int)(slash - module_path), module_path,
		             CARDQR_FILE);
	}
	return n > 0 && (size_t)n < size ? REGS_OK : REGS_ERR_INVALID;
}

/* Root, or whoever could replace the module itself anyway. */
static int cardqr_owner_ok(const struct stat *st, uid_t owner)
{
	return st->st_uid == 0 || st->st_uid == owner;
}

enum regs_err cardqr_file_check(const struct stat *file, const struct stat *dir, uid_t owner,
                                char *why, size_t whylen)
{
	const mode_t writable = S_IWGRP | S_IWOTH;
	if (!S_ISREG(file->st_mode))
		regs_explain(why, whylen, "refused: not a regular file");
	else if (!cardqr_owner_ok(file, owner))
		regs_explain(why, whylen,
		             "refused: owned by uid %u, not root or uid %u owning the module",
		             (unsigned)file->st_uid, (unsigned)owner);
	else if (file->st_mode & writable)
		regs_explain(why, whylen, "refused: writable by group or others (mode %04o)",
		             (unsigned)(file->st_mode & 07777));
	else if (!cardqr_owner_ok(dir, owner))
		regs_explain(why, whylen, "refused: its directory is owned by uid %u",
		             (unsigned)dir->st_uid);
	else if (dir->st_mode & writable)
		regs_explain(why, whylen, "refused: its directory is writable by group or others");
	else
		return REGS_OK;
	return REGS_ERR_PERM;
}

enum regs_err cardqr_table_check(const struct cardqr_table *code, char *why, size_t whylen)
{
	if (code == NULL)
		regs_explain(why, whylen, "no table");
	else if (code->abi != CARDQR_ABI)
		regs_explain(why, whylen, "plugin ABI %u, the module needs %u", (unsigned)code->abi,
		             (unsigned)CARDQR_ABI);
	else if (code->size < sizeof(struct cardqr_table))
		regs_explain(why, whylen, "plugin table of %u bytes, the module needs %zu",
		             (unsigned)code->size, sizeof(struct cardqr_table));
	else
		return REGS_OK;
	return REGS_ERR_INVALID;
}

/* This module's own file (dladdr on one of its functions) and where its plugin is. */
static enum regs_err cardqr_locate(char *path, size_t size, uid_t *owner, char *why, size_t whylen)
{
	Dl_info self;
	struct stat module_st, installed_st;
	if (dladdr((const void *)&cardqr_load, &self) == 0 || self.dli_fname == NULL ||
	    stat(self.dli_fname, &module_st) != 0) {
		regs_explain(why, whylen, "cannot find the module's own file");
		return REGS_ERR_INVALID;
	}
	*owner = module_st.st_uid;
	int installed = stat(REGS_PAM_MODULE_PATH, &installed_st) == 0;
	if (cardqr_plugin_path(self.dli_fname, &module_st, installed ? &installed_st : NULL,
	                       REGS_CARDQR_PATH, path, size) != REGS_OK) {
		regs_explain(why, whylen, "no plugin path for the module %s", self.dli_fname);
		return REGS_ERR_INVALID;
	}
	return REGS_OK;
}

/* The file at path, opened without following a link, and its directory, checked. */
static enum regs_err cardqr_check_path(const char *path, uid_t owner, char *why, size_t whylen)
{
	struct stat file, dir;
	char dirpath[PATH_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		int saved = errno;
		regs_explain(why, whylen, saved == ELOOP ? "refused: a symbolic link" : "%s",
		             strerror(saved));
		return saved == ENOENT ? REGS_ERR_NOT_FOUND
		                       : (saved == ELOOP ? REGS_ERR_PERM : REGS_ERR_IO);
	}
	const char *slash = strrchr(path, '/'); /* cardqr_plugin_path gives one */
	int dirlen = slash != NULL ? (int)(slash - path) : 0;
	snprintf(dirpath, sizeof(dirpath), "%.*s", dirlen > 0 ? dirlen : 1,
	         slash != NULL ? path : ".");
	enum regs_err err = REGS_ERR_IO;
	if (fstat(fd, &file) != 0 || stat(dirpath, &dir) != 0)
		regs_explain(why, whylen, "cannot stat: %s", strerror(errno));
	else
		err = cardqr_file_check(&file, &dir, owner, why, whylen);
	close(fd);
	return err;
}

/* dlopen and the table; the handle is dropped again when the table is not usable. */
static enum regs_err cardqr_open(const char *path, struct cardqr *out, char *why, size_t whylen)
{
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (handle == NULL) {
		const char *detail = dlerror();
		regs_explain(why, whylen, "cannot load: %s", detail ? detail : "dlopen failed");
		return REGS_ERR_INVALID;
	}
	cardqr_entry_fn entry;
	void *sym = dlsym(handle, CARDQR_ENTRY);
	memcpy(&entry, &sym, sizeof(entry)); /* POSIX: a data pointer may hold a function's */
	const struct cardqr_table *code = entry ? entry() : NULL;
	enum regs_err err = cardqr_table_check(code, why, whylen);
	if (err != REGS_OK) {
		dlclose(handle);
		return err;
	}
	out->handle = handle;
	out->code = code;
	return REGS_OK;
}

enum regs_err cardqr_load(struct cardqr *out, char *why, size_t whylen)
{
	char path[PATH_MAX], detail[CARDQR_WHY_MAX] = "";
	uid_t owner = 0;
	*out = (struct cardqr){0};
	enum regs_err err = cardqr_locate(path, sizeof(path), &owner, detail, sizeof(detail));
	if (err != REGS_OK) {
		regs_explain(why, whylen, "%s", detail);
		return err;
	}
	err = cardqr_check_path(path, owner, detail, sizeof(detail));
	if (err == REGS_OK)
		err = cardqr_open(path, out, detail, sizeof(detail));
	regs_explain(why, whylen, "%s: %s", path, err == REGS_OK ? "loaded" : detail);
	return err;
}

void cardqr_release(struct cardqr *c)
{
	if (c->handle != NULL)
		dlclose(c->handle);
	*c = (struct cardqr){0};
}
