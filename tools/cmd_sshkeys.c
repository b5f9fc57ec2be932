/* authorized-keys: sshd's AuthorizedKeysCommand (R11.4), the OpenSSH key of an account's bound
 * citizen certificate card, printed only when regsd finds the certificate valid. */
#include "base/i18n.h"
#include "pki/sshkey.h"
#include "proto/bus.h"
#include "regsctl.h"

#include <stdio.h>

/* Why regsd gave no key: said on stderr (sshd discards it; a person at a terminal reads it). */
static const char *no_key_reason(uint32_t result)
{
	switch (result) {
	case REGS_R_CARD_NOT_BOUND:
		return N_("no citizen certificate card is bound to this account, or it was bound "
		          "before keys were kept: bind it again with 'regsctl bind card'");
	case REGS_R_CERT_INVALID:
		return N_("the card's certificate is revoked or outside its validity");
	case REGS_R_CERT_UNTRUSTED:
		return N_("the card's certificate is not from the authority for this account, or "
		          "its key cannot be used by OpenSSH");
	case REGS_R_NO_FRESH_CRL:
		return N_("the certificate's revocation status cannot be checked right now");
	case REGS_R_LOCKED:
		return N_("the account is locked");
	default:
		return N_("no key");
	}
}

/* Prints the key and exits 0; with no key prints nothing and exits 0 as well, so that sshd
 * quietly tries the user's other methods. Only a failed call exits non-zero (sshd then
 * refuses the key: fail closed). */
int cmd_authorized_keys(struct regsctl_context *ctx)
{
	const char *user = ctx->args.n_operands > 0 ? ctx->args.operands[0] : "";
	char line[SSHKEY_LINE_MAX];
	uint32_t result;
	enum regs_client_err err =
	    regs_authorized_key(ctx->client, user, &result, line, sizeof(line));
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (result != REGS_R_OK) {
		regsctl_error("%s", _(no_key_reason(result)));
		return REGSCTL_EXIT_OK;
	}
	printf("%s\n", line);
	return fflush(stdout) == 0 ? REGSCTL_EXIT_OK : REGSCTL_EXIT_OTHER;
}
