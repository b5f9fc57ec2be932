/* OpenID Connect answers (lib/net/oidc.c): the input as a discovery document (with and without an
 * expected issuer, with and without loopback http), a device authorization answer and a token
 * answer. No signature guards these: the ID token in a token answer goes to fuzz_jwt. */
#include "base/wipe.h"
#include "fuzz_util.h"
#include "net/oidc.h"
#include <string.h>

const char fuzz_target_name[] = "oidc";

static void terminated(const char *field, size_t size)
{
	if (memchr(field, 0, size) == NULL)
		fuzz_fail("an unterminated field");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	struct oidc_endpoints ep;
	if (oidc_parse_discovery(json, size, "https://accounts.google.com", size & 1, &ep) ==
	        REGS_OK ||
	    oidc_parse_discovery(json, size, "", 1, &ep) == REGS_OK) {
		terminated(ep.issuer, sizeof(ep.issuer));
		terminated(ep.device_endpoint, sizeof(ep.device_endpoint));
		terminated(ep.token_endpoint, sizeof(ep.token_endpoint));
		terminated(ep.jwks_uri, sizeof(ep.jwks_uri));
	}
	struct oidc_device dev;
	if (oidc_parse_device(json, size, &dev) == REGS_OK) {
		terminated(dev.device_code, sizeof(dev.device_code));
		terminated(dev.user_code, sizeof(dev.user_code));
		terminated(dev.verification_uri, sizeof(dev.verification_uri));
		terminated(dev.verification_uri_complete, sizeof(dev.verification_uri_complete));
		if (dev.expires_in < 1 || dev.expires_in > 3600 || dev.interval < 1 ||
		    dev.interval > 3600)
			fuzz_fail("oidc_parse_device: expires_in or interval out of range");
	}
	char *id_token = NULL, err[128];
	enum oidc_poll poll = oidc_parse_token(json, size, &id_token, err, sizeof(err));
	if (poll == OIDC_POLL_TOKEN && id_token == NULL)
		fuzz_fail("oidc_parse_token: a token answer without the token");
	regs_free_secret_str(id_token);
	return 0;
}
