/* Citizen certificate card login latency, split into the card's round trips and regsd's
 * verification. For each of K logins of one bound user it does what pam_regs' card login does
 * (pam_regs/cardlogin.c), with a new card session and a new bus connection per login:
 *
 *   card   card_open + card_read_certificate + card_pin_tries + card_verify_pin,
 *          then card_sign_sha256 of SHA-256(challenge), then card_close (resets the card)
 *   connect regs_client_open (connect, EXTERNAL auth, Hello)
 *   daemon regs_card_challenge(user, "login") + regs_card_login (RSA verify, chain,
 *          CRL lookup, account update and durable commit)
 *
 * and prints one line of key=value pairs with p50/p99 in microseconds. With --bind it instead
 * binds the card in the reader to the caller's own account (run it as that user):
 * CardChallenge(purpose "bind") + BindCard, signed by the card. */
#include "card/card.h"
#include "client.h"
#include "common.h"
#include "proto/bus.h"
#include <getopt.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_WAIT_MS 15000
#define CALL_TIMEOUT_MS 30000

enum part {
	P_CARD,
	P_CONNECT,
	P_CHALLENGE,
	P_LOGIN,
	P_DAEMON,
	P_TOTAL,
	/* the card's share, by call */
	P_OPEN,
	P_CERT,
	P_PIN,
	P_SIGN,
	P_CLOSE,
	P_COUNT
};
static const char *const part_name[P_COUNT] = {"card",     "connect",   "challenge", "login",
                                               "daemon",   "total",     "card_open", "card_cert",
                                               "card_pin", "card_sign", "card_close"};

struct options {
	const char *user;
	const char *pin;
	const char *reader;
	unsigned long count;
	unsigned long warmup;
	int bind;
};

/* The card half before the challenge: a new session, the certificate, tries left, the PIN.
 * t (may be NULL) gets the nanoseconds of card_open, of card_read_certificate, and of
 * card_pin_tries + card_verify_pin. */
static enum card_status card_unlock(const struct options *o, struct card **card, uint8_t **cert,
                                    size_t *cert_len, int64_t t[P_COUNT])
{
	int tries = -1;
	int64_t t0 = bench_now_ns();
	enum card_status st = card_open(CARD_WAIT_MS, o->reader, card);
	int64_t t1 = bench_now_ns();
	if (st == CARD_OK)
		st = card_read_certificate(*card, cert, cert_len);
	int64_t t2 = bench_now_ns();
	if (st == CARD_OK)
		st = card_pin_tries(*card, &tries);
	if (st == CARD_OK)
		st = card_verify_pin(*card, o->pin, &tries);
	if (t) {
		t[P_OPEN] = t1 - t0;
		t[P_CERT] = t2 - t1;
		t[P_PIN] = bench_now_ns() - t2;
	}
	return st;
}

static void card_failed(const char *what, struct card *card, enum card_status st)
{
	fprintf(stderr, "cardbench: %s: %s%s%s\n", what, card_status_text(st),
	        card && *card_error_detail(card) ? ": " : "", card ? card_error_detail(card) : "");
}

static void client_failed(const char *what, struct regs_client *c, enum regs_client_err err)
{
	fprintf(stderr, "cardbench: %s failed (%d)%s%s%s%s\n", what, (int)err, c ? ": " : "",
	        c ? regs_client_error_name(c) : "", c ? " " : "",
	        c ? regs_client_error_message(c) : "");
}

static int do_bind(const struct options *o)
{
	struct card *card = NULL;
	struct regs_client *c = NULL;
	struct regs_card_challenge ch;
	uint8_t *cert = NULL, digest[SHA256_DIGEST_LENGTH], sig[CARD_SIGNATURE_LEN];
	size_t cert_len = 0, sig_len = 0;
	uint32_t result = 0;
	int rc = 1;
	enum regs_client_err err;
	enum card_status st = card_unlock(o, &card, &cert, &cert_len, NULL);
	if (st != CARD_OK) {
		card_failed("card", card, st);
		goto done;
	}
	err = regs_client_open(CALL_TIMEOUT_MS, &c);
	if (err != RC_OK) {
		client_failed("connect", NULL, err);
		goto done;
	}
	err = regs_card_challenge(c, "", REGS_CARD_BIND, &ch);
	if (err != RC_OK) {
		client_failed("CardChallenge(bind)", c, err);
		goto done;
	}
	SHA256(ch.nonce, ch.nonce_len, digest);
	st = card_sign_sha256(card, digest, sig, &sig_len);
	if (st != CARD_OK) {
		card_failed("sign", card, st);
		goto done;
	}
	err = regs_bind_card(c, ch.handle, cert, cert_len, sig, sig_len, &result);
	if (err != RC_OK) {
		client_failed("BindCard", c, err);
		goto done;
	}
	if (result != REGS_R_OK) {
		fprintf(stderr, "cardbench: BindCard: %s\n", regs_result_name(result));
		goto done;
	}
	printf("cardbench: bound the card in %s (%zu-byte certificate)\n", card_reader_name(card),
	       cert_len);
	rc = 0;
done:
	regs_client_close(c);
	card_close(card);
	free(cert);
	return rc;
}

/* One login; t[] gets the nanoseconds of each part. 0 on success. */
static int one_login(const struct options *o, int64_t t[P_COUNT])
{
	struct card *card = NULL;
	struct regs_client *c = NULL;
	struct regs_card_challenge ch;
	struct regs_verdict v;
	uint8_t *cert = NULL, digest[SHA256_DIGEST_LENGTH], sig[CARD_SIGNATURE_LEN];
	size_t cert_len = 0, sig_len = 0;
	enum regs_client_err err;
	int rc = -1;

	int64_t t0 = bench_now_ns();
	enum card_status st = card_unlock(o, &card, &cert, &cert_len, t);
	int64_t t1 = bench_now_ns();
	if (st != CARD_OK) {
		card_failed("card", card, st);
		goto done;
	}
	err = regs_client_open(CALL_TIMEOUT_MS, &c);
	int64_t t2 = bench_now_ns();
	if (err != RC_OK) {
		client_failed("connect", NULL, err);
		goto done;
	}
	err = regs_card_challenge(c, o->user, REGS_CARD_LOGIN, &ch);
	int64_t t3 = bench_now_ns();
	if (err != RC_OK) {
		client_failed("CardChallenge(login)", c, err);
		goto done;
	}
	SHA256(ch.nonce, ch.nonce_len, digest);
	st = card_sign_sha256(card, digest, sig, &sig_len);
	int64_t t4 = bench_now_ns();
	if (st != CARD_OK) {
		card_failed("sign", card, st);
		goto done;
	}
	err = regs_card_login(c, ch.handle, cert, cert_len, sig, sig_len, "bench", "", &v);
	int64_t t5 = bench_now_ns();
	if (err != RC_OK) {
		client_failed("CardLogin", c, err);
		goto done;
	}
	card_close(card); /* pam_regs closes (and so resets) the card before it returns */
	card = NULL;
	int64_t t6 = bench_now_ns();
	if (v.result != REGS_R_OK) {
		fprintf(stderr, "cardbench: CardLogin: %s\n", regs_result_name(v.result));
		goto done;
	}
	t[P_CARD] = (t1 - t0) + (t4 - t3) + (t6 - t5);
	t[P_CONNECT] = t2 - t1;
	t[P_CHALLENGE] = t3 - t2;
	t[P_LOGIN] = t5 - t4;
	t[P_DAEMON] = t[P_CHALLENGE] + t[P_LOGIN];
	t[P_TOTAL] = t6 - t0;
	t[P_SIGN] = t4 - t3;
	t[P_CLOSE] = t6 - t5;
	rc = 0;
done:
	regs_client_close(c);
	card_close(card);
	free(cert);
	return rc;
}

static int do_logins(const struct options *o)
{
	int64_t *lat[P_COUNT];
	unsigned long ok = 0, failures = 0;
	for (int p = 0; p < P_COUNT; p++) {
		lat[p] = malloc(sizeof(int64_t) * (o->count ? o->count : 1));
		if (!lat[p]) {
			fprintf(stderr, "cardbench: out of memory\n");
			return 1;
		}
	}
	for (unsigned long i = 0; i < o->warmup + o->count; i++) {
		int64_t t[P_COUNT];
		if (one_login(o, t) != 0) {
			failures++;
			if (failures > 3 + o->count / 100) {
				fprintf(stderr, "cardbench: too many failures, stopping\n");
				break;
			}
			continue;
		}
		if (i < o->warmup)
			continue;
		for (int p = 0; p < P_COUNT; p++)
			lat[p][ok] = t[p];
		ok++;
	}
	printf("cardbench: user=%s count=%lu failures=%lu", o->user, ok, failures);
	for (int p = 0; p < P_COUNT; p++) {
		int64_t sum = 0;
		for (unsigned long i = 0; i < ok; i++)
			sum += lat[p][i];
		bench_sort(lat[p], ok);
		printf(" %s_p50_us=%lld %s_p99_us=%lld %s_mean_us=%lld", part_name[p],
		       (long long)(bench_percentile(lat[p], ok, 50) / 1000), part_name[p],
		       (long long)(bench_percentile(lat[p], ok, 99) / 1000), part_name[p],
		       (long long)(ok ? sum / (int64_t)ok / 1000 : 0));
		free(lat[p]);
	}
	printf("\n");
	return failures == 0 && ok == o->count ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cardbench --user NAME [--count K] [--warmup W] [--pin PIN] "
	           "[--reader NAME]\n"
	           "       cardbench --bind [--pin PIN] [--reader NAME]   (as the user)\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"user", required_argument, NULL, 'u'},   {"count", required_argument, NULL, 'n'},
	    {"warmup", required_argument, NULL, 'w'}, {"pin", required_argument, NULL, 'p'},
	    {"reader", required_argument, NULL, 'r'}, {"bind", no_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct options o = {NULL, "123456", NULL, 200, 5, 0};
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			o.user = optarg;
			break;
		case 'n':
			o.count = bench_parse_ulong("--count", optarg);
			break;
		case 'w':
			o.warmup = bench_parse_ulong("--warmup", optarg);
			break;
		case 'p':
			o.pin = optarg;
			break;
		case 'r':
			o.reader = optarg;
			break;
		case 'b':
			o.bind = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (!o.bind && !o.user)) {
		usage(stderr);
		return 2;
	}
	return o.bind ? do_bind(&o) : do_logins(&o);
}
