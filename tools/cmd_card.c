/* regsctl card-check: the citizen certificate self-check (R3.2) in the order of the manual's
 * 「自然人憑證無法登入之自我檢測」: card component (pcscd), reader and card, certificate, PIN. */
#include "base/config.h"
#include "base/i18n.h"
#include "card/card.h"
#include "output.h"
#include "regsctl.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DETAIL_SIZE 768
#define NAME_SIZE 256
#define DATE_SIZE 32

enum check_id { CHECK_SERVICE, CHECK_READER, CHECK_CARD, CHECK_CERTIFICATE, CHECK_PIN, N_CHECKS };
enum check_result { CHECK_NOT_RUN, CHECK_PASS, CHECK_FAIL };

struct check_row {
	enum check_result result;
	char detail[DETAIL_SIZE];
	const char *hint; /* translated; set on failure */
};

struct certificate_info {
	char subject[NAME_SIZE], issuer[NAME_SIZE], not_before[DATE_SIZE], not_after[DATE_SIZE];
};

struct card_check {
	int wait_ms;
	struct card *card;
	enum card_status open_status;
	struct check_row rows[N_CHECKS];
	int have_certificate;
	struct certificate_info certificate;
	int tries; /* -1: not known */
};

static const struct {
	const char *key;   /* JSON */
	const char *label; /* N_() */
} check_names[N_CHECKS] = {
    {"pcsc-service", N_("Card service (PC/SC, pcscd)")},
    {"reader", N_("Card reader")},
    {"card", N_("Citizen certificate card")},
    {"certificate", N_("Certificate")},
    {"pin", N_("PIN (card password)")},
};

__attribute__((format(printf, 3, 4))) static enum check_result
row_set(struct check_row *row, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(row->detail, sizeof(row->detail), fmt, ap);
	va_end(ap);
	row->hint = hint;
	return hint ? CHECK_FAIL : CHECK_PASS;
}

static const char *hint_reinsert(void)
{
	return _("Take the card out, insert it again and run the check again; if it still fails, "
	         "try another reader.");
}

/* 1: the card component: pcscd. card_open also finds the reader and waits for the card. */
static enum check_result check_service(struct card_check *k, struct check_row *row)
{
	k->open_status = card_open(k->wait_ms, NULL, &k->card);
	if (k->open_status == CARD_NOMEM)
		return row_set(row, _("Free some memory and try again."), "%s", _("out of memory"));
	if (k->open_status == CARD_NO_SERVICE)
		return row_set(row,
		               _("Start the PC/SC service: sudo systemctl start pcscd.socket "
		                 "(Debian package pcscd)."),
		               _("not running (%s)"), card_error_detail(k->card));
	return row_set(row, NULL, "%s", _("running"));
}

/* 2: a reader. */
static enum check_result check_reader(struct card_check *k, struct check_row *row)
{
	if (k->open_status == CARD_NO_READER)
		return row_set(row,
		               _("Plug in the card reader; if it is plugged in, install its driver "
		                 "(Debian package libccid) and restart pcscd."),
		               "%s", _("no reader found"));
	return row_set(row, NULL, "%s", card_reader_name(k->card));
}

/* 3: a card, and the right one. */
static enum check_result check_card(struct card_check *k, struct check_row *row)
{
	const char *atr = card_atr_hex(k->card);

	switch (k->open_status) {
	case CARD_OK:
		return row_set(row, NULL, _("recognised (ATR %s)"), atr);
	case CARD_NO_CARD:
		return row_set(row,
		               _("Insert the citizen certificate card into the reader, chip first "
		                 "(use --wait SECONDS to give yourself time)."),
		               "%s", _("no card in the reader"));
	case CARD_UNKNOWN:
		return row_set(row,
		               _("This is not a citizen certificate card, or it is inserted the "
		                 "wrong way: insert your citizen certificate card, chip first."),
		               _("not recognised (ATR %s)"), atr);
	case CARD_SECOND_GENERATION:
		return row_set(row,
		               _("Second-generation citizen certificate cards are not supported "
		                 "yet: log in with another method."),
		               _("unsupported card generation (ATR %s)"), atr);
	default:
		return row_set(row, hint_reinsert(), _("cannot use the card (%s)"),
		               card_error_detail(k->card));
	}
}

static void name_text(const X509_NAME *name, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (bio == NULL)
		return;
	/* RFC 2253 order, UTF-8 kept as is (the MOICA names are Chinese). */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		n = BIO_read(bio, out, (int)size - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
}

static void date_text(const ASN1_TIME *t, char out[DATE_SIZE])
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(out, DATE_SIZE, "%Y-%m-%d", &tm) == 0)
		snprintf(out, DATE_SIZE, "?");
}

/* Fills info from der; returns the row's result with the validity checked against now. */
static enum check_result describe_certificate(const uint8_t *der, size_t len,
                                              struct certificate_info *info, struct check_row *row)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	enum check_result result;
	const char *hint = NULL;

	if (x == NULL)
		return row_set(row, hint_reinsert(), "%s", _("not a valid X.509 certificate"));
	name_text(X509_get_subject_name(x), info->subject, sizeof(info->subject));
	name_text(X509_get_issuer_name(x), info->issuer, sizeof(info->issuer));
	date_text(X509_get0_notBefore(x), info->not_before);
	date_text(X509_get0_notAfter(x), info->not_after);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		hint = _("The certificate has expired: apply for a new citizen certificate at a "
		         "household registration office.");
	else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		hint = _("The certificate is not valid yet: check the computer's date and time.");
	result = row_set(row, hint, _("subject: %s; issuer: %s; valid %s to %s"), info->subject,
	                 info->issuer, info->not_before, info->not_after);
	X509_free(x);
	return result;
}

static void ignore_report(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx, (void)file, (void)line, (void)msg;
}

enum signature_check { SIGNATURE_UNKNOWN, SIGNATURE_VERIFIED, SIGNATURE_BROKEN };

/* Checks x's signature with the anchors in the bundle at path that issued it. */
static enum signature_check check_with_bundle(X509 *x, const char *path)
{
	enum signature_check verdict = SIGNATURE_UNKNOWN;
	BIO *bio = *path ? BIO_new_file(path, "r") : NULL;
	X509 *anchor;

	if (bio == NULL)
		return SIGNATURE_UNKNOWN;
	while (verdict != SIGNATURE_VERIFIED &&
	       (anchor = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_check_issued(anchor, x) == X509_V_OK)
			verdict = X509_verify(x, X509_get0_pubkey(anchor)) == 1 ? SIGNATURE_VERIFIED
			                                                        : SIGNATURE_BROKEN;
		X509_free(anchor);
	}
	BIO_free(bio);
	return verdict;
}

/* Whether x's signature verifies with the anchor that issued it, from the bundles named in
 * regs.conf; SIGNATURE_UNKNOWN when regs.conf or the bundles cannot be read (regsctl runs as
 * the user) or no anchor issued x (regsd checks the whole chain and revocation at login). */
static enum signature_check check_signature(X509 *x)
{
	struct regs_config cfg;
	enum signature_check personal, institution;

	if (regs_config_load(&cfg, REGS_DEFAULT_CONFIG, 0, ignore_report, NULL) != REGS_OK)
		return SIGNATURE_UNKNOWN;
	personal = check_with_bundle(x, cfg.anchors_personal);
	institution = check_with_bundle(x, cfg.anchors_institution);
	ERR_clear_error();
	if (personal == SIGNATURE_VERIFIED || institution == SIGNATURE_VERIFIED)
		return SIGNATURE_VERIFIED;
	return personal == SIGNATURE_BROKEN || institution == SIGNATURE_BROKEN ? SIGNATURE_BROKEN
	                                                                       : SIGNATURE_UNKNOWN;
}

/* 4: the certificate can be read, is within its validity and, when the anchors can be read,
 * is signed by the authority that issued it. */
static enum check_result check_certificate(struct card_check *k, struct check_row *row)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509 *x;
	enum card_status status = card_read_certificate(k->card, &der, &len);
	enum check_result result;

	if (status == CARD_NOMEM)
		return row_set(row, _("Free some memory and try again."), "%s", _("out of memory"));
	if (status != CARD_OK)
		return row_set(row, hint_reinsert(), _("cannot be read (%s)"),
		               card_error_detail(k->card));
	k->have_certificate = 1;
	result = describe_certificate(der, len, &k->certificate, row);
	p = der;
	x = result == CHECK_PASS ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (x != NULL && check_signature(x) == SIGNATURE_BROKEN)
		result = row_set(
		    row,
		    _("The certificate on the card is damaged: it cannot be used to log "
		      "in. Apply for a new citizen certificate at a household "
		      "registration office."),
		    _("the signature of its issuer (%s) does not verify"), k->certificate.issuer);
	X509_free(x);
	free(der);
	return result;
}

/* 5: PIN tries left, asked without sending a PIN. */
static enum check_result check_pin(struct card_check *k, struct check_row *row)
{
	enum card_status status = card_pin_tries(k->card, &k->tries);

	if (status == CARD_OK && k->tries == CARD_TRIES_UNKNOWN) /* R11.5 */
		return row_set(row, NULL, "%s",
		               _("not reported by the card; a login asks for the PIN and the "
		                 "card's answer tells the tries left"));
	if (status == CARD_OK)
		return row_set(row, NULL, _("%d tries left"), k->tries);
	if (status == CARD_LOCKED)
		return row_set(
		    row,
		    _("The PIN is locked after 3 wrong PINs: unlock the card at the "
		      "MOICA site (https://moica.nat.gov.tw), with the card in the reader."),
		    "%s", _("locked"));
	return row_set(row, hint_reinsert(), _("cannot read the tries left (%s)"),
	               card_error_detail(k->card));
}

typedef enum check_result (*check_fn)(struct card_check *k, struct check_row *row);
static const check_fn checks[N_CHECKS] = {check_service, check_reader, check_card,
                                          check_certificate, check_pin};

/* Runs the checks in order up to the first failure; returns its index, or N_CHECKS. */
static int run_checks(struct card_check *k)
{
	for (int i = 0; i < N_CHECKS; i++) {
		k->rows[i].result = checks[i](k, &k->rows[i]);
		if (k->rows[i].result == CHECK_FAIL)
			return i;
	}
	return N_CHECKS;
}

static const char *result_mark(enum check_result r)
{
	switch (r) {
	case CHECK_PASS:
		return "✔";
	case CHECK_FAIL:
		return "✘";
	case CHECK_NOT_RUN:
		break;
	}
	return _("not checked");
}

/* An output_row_fn: row i of the card_check behind data. */
static int add_check_row(struct output_table *t, const void *data, size_t i)
{
	const struct card_check *k = data;
	char label[128];
	const char *row[3];

	snprintf(label, sizeof(label), "%zu. %s", i + 1, _(check_names[i].label));
	row[0] = label;
	row[1] = result_mark(k->rows[i].result);
	row[2] = k->rows[i].result == CHECK_NOT_RUN ? "" : k->rows[i].detail;
	return output_table_add(t, row);
}

static int print_table(const struct card_check *k, int failed)
{
	const char *header[] = {_("Check"), _("Result"), _("Details")};

	if (output_table_print_rows(stdout, 3, header, N_CHECKS, add_check_row, k) < 0)
		return -1;
	if (failed < N_CHECKS)
		printf("\n%s %s\n", _("To fix:"), k->rows[failed].hint);
	else
		printf("\n%s\n", _("The card and its certificate can be read; regsd checks the "
		                   "certificate's chain and revocation at login."));
	return 0;
}

static const char *result_key(enum check_result r)
{
	return r == CHECK_PASS ? "pass" : r == CHECK_FAIL ? "fail" : "not-checked";
}

static json_object *certificate_json(const struct card_check *k)
{
	json_object *o;

	if (!k->have_certificate)
		return NULL;
	o = json_object_new_object();
	output_json_add_string(o, "subject", k->certificate.subject);
	output_json_add_string(o, "issuer", k->certificate.issuer);
	output_json_add_string(o, "not_before", k->certificate.not_before);
	output_json_add_string(o, "not_after", k->certificate.not_after);
	return o;
}

static int print_json(const struct card_check *k, int exit_code)
{
	json_object *doc = json_object_new_object(), *array = json_object_new_array();

	for (int i = 0; array && i < N_CHECKS; i++) {
		const struct check_row *r = &k->rows[i];
		json_object *o = json_object_new_object();

		output_json_add_string(o, "check", check_names[i].key);
		output_json_add_string(o, "result", result_key(r->result));
		output_json_add_string(o, "detail", r->result == CHECK_NOT_RUN ? NULL : r->detail);
		output_json_add_string(o, "hint", r->result == CHECK_FAIL ? r->hint : NULL);
		json_object_array_add(array, o);
	}
	json_object_object_add(doc, "checks", array);
	output_json_add_string(doc, "reader",
	                       *card_reader_name(k->card) ? card_reader_name(k->card) : NULL);
	output_json_add_string(doc, "atr", *card_atr_hex(k->card) ? card_atr_hex(k->card) : NULL);
	json_object_object_add(doc, "certificate", certificate_json(k));
	json_object_object_add(doc, "pin_tries_left",
	                       k->tries >= 0 ? json_object_new_int(k->tries) : NULL);
	json_object_object_add(doc, "exit_status", json_object_new_int(exit_code));
	return output_json_emit(doc, stdout);
}

int cmd_card_check(struct regsctl_context *ctx)
{
	struct card_check k = {.tries = -1};
	int failed, code, printed;

	k.wait_ms = (int)ctx->args.wait_seconds * 1000;
	failed = run_checks(&k);
	code = failed < N_CHECKS ? REGSCTL_EXIT_CARD_CHECK + failed + 1 : REGSCTL_EXIT_OK;
	printed = ctx->args.json ? print_json(&k, code) : print_table(&k, failed);
	card_close(k.card);
	return printed < 0 ? regsctl_report_nomem() : code;
}
