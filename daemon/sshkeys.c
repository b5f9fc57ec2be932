/* sshd's AuthorizedKeysCommand (R11.4): the OpenSSH key of an account's bound card, given only
 * while its certificate passes the checks of a card login. */
#include "account.h"
#include "bindings.h"
#include "handlers.h"
#include "pki/sshkey.h"
#include "proto/bus.h"
#include "reply.h"
#include "request.h"
#include <openssl/sha.h>
#include <string.h>
#include <syslog.h>

/* Whose key the caller may read: its own, an administrator any, and the user sshd runs the
 * command as (authorized_keys_user) any. Root is an administrator. Everyone else would learn
 * who holds a card, so is refused. */
static const char *key_target(struct request *r, const char *user)
{
	const char *keys_user = r->d->cfg.authorized_keys_user;
	if (*user && *keys_user && !r->caller.name_too_long &&
	    strcmp(r->caller.name, keys_user) == 0) {
		if (valid_user_name(user))
			return user;
		reply_error(r, REGS_E_INVALID_ARGS, "invalid user name");
		return NULL;
	}
	return request_target(r, user, 0);
}

/* The bound certificate, checked against the card record it was bound with. */
static uint32_t load_certificate(struct request *r, const char *user, struct store_val *der,
                                 const char **why)
{
	struct card_rec card;
	uint8_t digest[SHA256_DIGEST_LENGTH];
	if (card_load(r, user, &card) != REGS_OK) {
		*why = "no card bound";
		return REGS_R_CARD_NOT_BOUND;
	}
	if (store_get(r->txn, STORE_CARD_CERTS, store_str(user), der) != REGS_OK) {
		*why = "the card was bound before regsd kept certificates: rebind it "
		       "(regsctl bind card)";
		return REGS_R_CARD_NOT_BOUND;
	}
	SHA256(der->data, der->len, digest);
	if (memcmp(digest, card.sha256, sizeof(digest)) != 0) {
		*why = "the stored certificate is not the bound one: rebind the card";
		return REGS_R_CARD_NOT_BOUND;
	}
	return REGS_R_OK;
}

/* REGS_R_OK with the key in line, or why not. */
static uint32_t key_verdict(struct request *r, const char *user, char *line, size_t size,
                            const char **why)
{
	struct account_rec a;
	struct store_val der;
	enum regs_err err = account_load(r, user, &a);
	if (err != REGS_OK) {
		*why = err == REGS_ERR_NOT_FOUND ? "no such account"
		                                 : "the account record is unreadable";
		return REGS_R_CARD_NOT_BOUND;
	}
	uint32_t result = load_certificate(r, user, &der, why);
	if (result != REGS_R_OK)
		return result;
	if (policy_lock_seconds_left(&a, r->now) > 0) {
		*why = "the account is locked";
		return REGS_R_LOCKED; /* R9.1: a lock stops every way in */
	}
	enum x509_verdict v = card_certificate_verdict(r, der.data, der.len, &a);
	if (v != X509_VERDICT_OK) {
		*why = x509_verdict_name(v);
		return card_result_of(v);
	}
	if (sshkey_from_certificate(der.data, der.len, line, size) != REGS_OK) {
		*why = "the certificate's key has no OpenSSH form";
		return REGS_R_CERT_UNTRUSTED;
	}
	return REGS_R_OK;
}

void handle_authorized_key(struct request *r)
{
	const char *arg[1];
	request_strings(r, arg, 1);
	const char *user = key_target(r, arg[0]);
	if (!user)
		return;
	char line[SSHKEY_LINE_MAX] = "";
	const char *why = "";
	uint32_t result = key_verdict(r, user, line, sizeof(line), &why);
	if (result != REGS_R_OK) {
		line[0] = '\0';
		regsd_log(LOG_NOTICE, "ssh key of %s withheld (asked by uid %u): %s", user,
		          (unsigned)r->caller.uid, why);
	} else {
		regsd_log(LOG_INFO, "ssh key of %s given (asked by uid %u)", user,
		          (unsigned)r->caller.uid);
	}
	const char *key = line;
	reply_args(r, DBUS_TYPE_UINT32, &result, DBUS_TYPE_STRING, &key, DBUS_TYPE_INVALID);
}
