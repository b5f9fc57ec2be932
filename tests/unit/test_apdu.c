/* Unit tests for the card's APDU layer and the HiCOS profile over a scripted transmit (R3.1,
 * R3.3): 61xx/6Cxx, SELECT, chunked READ BINARY, PKCS#15 parsing, ATR refusal, PIN rules, signing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winscard.h>

#include "card/apdu.h"
#include "card/card.h"
#include "card/pinwrap.h"

static const uint8_t hicos_atr[] = {0x3B, 0xB8, 0x13, 0x00, 0x81, 0x31, 0xFA, 0x52, 0x43,
                                    0x48, 0x54, 0x4D, 0x4F, 0x49, 0x43, 0x41, 0xA5};
static const uint8_t other_atr[] = {0x3B, 0x8C, 0x80, 0x01, 0x50, 0x12, 0x34, 0x56};

/* ---- a scripted card: expected commands and their answers, plus files ---- */

#define STEPS_MAX 48
#define LOG_MAX 128
#define FILES_MAX 6
#define ANY_VERIFY "verify" /* matches a protected VERIFY; the PIN is decrypted and checked */

struct step {
	const char *cmd;  /* hex, or ANY_VERIFY */
	const char *resp; /* hex */
	long rv;          /* transport result; nonzero: no response */
	const uint8_t *verify_key;
	const char *verify_pin;
};

struct file {
	uint16_t fid;
	const uint8_t *data;
	size_t len;
};

/* SELECT and READ BINARY are answered from files when files are given; the rest follows steps. */
struct script {
	struct step steps[STEPS_MAX];
	size_t n, pos;
	struct file files[FILES_MAX];
	size_t n_files;
	const struct file *selected;
	int short_read_sw_ok; /* the end of a file: 9000 instead of 6282 */
	int retry_smaller_once;
	uint8_t log[LOG_MAX][APDU_COMMAND_MAX];
	size_t log_len[LOG_MAX], n_log;
};

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned byte;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_int_equal(sscanf(hex, "%2x", &byte), 1);
		assert_true(n < max);
		out[n++] = (uint8_t)byte;
		hex += 2;
	}
	return n;
}

static void set_sw(uint8_t *resp, size_t *len, uint16_t sw)
{
	resp[*len] = (uint8_t)(sw >> 8);
	resp[*len + 1] = (uint8_t)sw;
	*len += 2;
}

static int answer_from_files(struct script *s, const uint8_t *cmd, size_t len, uint8_t *resp,
                             size_t *resp_len)
{
	*resp_len = 0;
	if (len == 7 && cmd[0] == 0x80 && cmd[1] == 0xA4) {
		uint16_t fid = (uint16_t)(cmd[5] << 8 | cmd[6]);

		if (fid == 0x3F00 || fid == 0x5030) {
			set_sw(resp, resp_len, 0x9000);
			return 1;
		}
		for (size_t i = 0; i < s->n_files; i++) {
			if (s->files[i].fid == fid) {
				s->selected = &s->files[i];
				set_sw(resp, resp_len, 0x9000);
				return 1;
			}
		}
		set_sw(resp, resp_len, 0x6A82);
		return 1;
	}
	if (len == 5 && cmd[0] == 0x80 && cmd[1] == 0xB0 && s->selected) {
		size_t offset = (size_t)(cmd[2] << 8 | cmd[3]), le = cmd[4] ? cmd[4] : 256, n;

		assert_true(le <= APDU_READ_CHUNK);
		if (s->retry_smaller_once && le > 100) {
			s->retry_smaller_once = 0;
			set_sw(resp, resp_len, 0x6987);
			return 1;
		}
		if (offset >= s->selected->len) {
			set_sw(resp, resp_len, 0x6B00);
			return 1;
		}
		n = s->selected->len - offset < le ? s->selected->len - offset : le;
		memcpy(resp, s->selected->data + offset, n);
		*resp_len = n;
		set_sw(resp, resp_len, n < le && !s->short_read_sw_ok ? 0x6282 : 0x9000);
		return 1;
	}
	return 0;
}

/* Decrypts a protected VERIFY and checks PIN(10) || MAC(8) || padding under key. */
static void check_verify(const uint8_t *cmd, size_t len, const uint8_t *key, const char *pin)
{
	uint8_t plain[32], padded[10];
	int n = 0, final_n = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	assert_int_equal(len, PINWRAP_APDU_LEN);
	assert_memory_equal(cmd, "\x8C\x20\x00\x01\x20", 5);
	assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_des_ede_cbc(), NULL, key, cmd + 5), 1);
	assert_int_equal(EVP_DecryptUpdate(ctx, plain, &n, cmd + 13, 24), 1);
	assert_int_equal(EVP_DecryptFinal_ex(ctx, plain + n, &final_n), 1);
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(n + final_n, 18);
	memset(padded, 0xFF, sizeof(padded));
	memcpy(padded, pin, strlen(pin));
	assert_memory_equal(plain, padded, sizeof(padded));
}

static long scripted_transmit(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                              size_t *resp_len)
{
	struct script *s = ctx;
	uint8_t want[APDU_COMMAND_MAX];
	const struct step *step;

	assert_true(s->n_log < LOG_MAX);
	memcpy(s->log[s->n_log], cmd, len);
	s->log_len[s->n_log++] = len;
	if (s->n_files > 0 && answer_from_files(s, cmd, len, resp, resp_len))
		return 0;
	assert_true(s->pos < s->n); /* an unexpected command */
	step = &s->steps[s->pos++];
	if (strcmp(step->cmd, ANY_VERIFY) == 0) {
		check_verify(cmd, len, step->verify_key, step->verify_pin);
	} else {
		size_t want_len = unhex(step->cmd, want, sizeof(want));

		assert_int_equal(len, want_len);
		assert_memory_equal(cmd, want, len);
	}
	if (step->rv != 0)
		return step->rv;
	*resp_len = unhex(step->resp, resp, APDU_RESPONSE_MAX);
	return 0;
}

static void add_step(struct script *s, const char *cmd, const char *resp)
{
	assert_true(s->n < STEPS_MAX);
	s->steps[s->n].cmd = cmd;
	s->steps[s->n].resp = resp;
	s->n++;
}

static void add_verify(struct script *s, const uint8_t *key, const char *pin, const char *resp)
{
	add_step(s, ANY_VERIFY, resp);
	s->steps[s->n - 1].verify_key = key;
	s->steps[s->n - 1].verify_pin = pin;
}

static void add_file(struct script *s, uint16_t fid, const uint8_t *data, size_t len)
{
	assert_true(s->n_files < FILES_MAX);
	s->files[s->n_files++] = (struct file){fid, data, len};
}

static struct apdu_io script_io(struct script *s)
{
	struct apdu_io io = {scripted_transmit, s};
	return io;
}

static void add_select_key_file(struct script *s)
{
	add_step(s, "80 A4 00 00 02 3F 00", "90 00");
	add_step(s, "80 A4 00 00 02 50 30", "90 00");
	add_step(s, "80 A4 00 00 02 08 10", "90 00");
}

/* ---- DER builders for directory files ---- */

/* Writes tag, length and value at out; value may be at out already (wrapping in place). */
static size_t tlv(uint8_t *out, uint8_t tag, const uint8_t *value, size_t len)
{
	uint8_t header[4];
	size_t h = 0;

	header[h++] = tag;
	if (len < 0x80) {
		header[h++] = (uint8_t)len;
	} else if (len < 0x100) {
		header[h++] = 0x81;
		header[h++] = (uint8_t)len;
	} else {
		header[h++] = 0x82;
		header[h++] = (uint8_t)(len >> 8);
		header[h++] = (uint8_t)len;
	}
	memmove(out + h, value, len);
	memcpy(out, header, h);
	return h + len;
}

/* value as n big-endian bytes */
static size_t be(uint8_t *out, uint32_t value, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(value >> (8 * (n - 1 - i)));
	return n;
}

static size_t path_tlv(uint8_t *out, uint32_t index, size_t index_len, uint32_t length)
{
	uint8_t v[32], num[4];
	size_t n = 0;

	n += tlv(v + n, 0x04, (const uint8_t *)"\x3F\x00\x50\x30\x08\xF2", 6);
	n += tlv(v + n, 0x02, num, be(num, index, index_len));
	n += tlv(v + n, 0x80, num, be(num, length, 2));
	return tlv(out, 0x30, v, n);
}

/* A full PKCS#15 x509Certificate entry: label, iD, [1] { { Path } }. */
static size_t cdf_entry(uint8_t *out, const char *id, uint32_t index, size_t index_len,
                        uint32_t length)
{
	uint8_t v[128], inner[64], attrs[64];
	size_t n = 0, m;

	m = tlv(attrs, 0x0C, (const uint8_t *)"cert", 4);
	m += tlv(attrs + m, 0x03, (const uint8_t *)"\x06\x40", 2);
	n += tlv(v + n, 0x30, attrs, m);
	m = tlv(attrs, 0x04, (const uint8_t *)id, strlen(id));
	n += tlv(v + n, 0x30, attrs, m);
	m = path_tlv(inner, index, index_len, length);
	m = tlv(inner, 0x30, inner, m);
	n += tlv(v + n, 0xA1, inner, m);
	return tlv(out, 0x30, v, n);
}

/* A PKCS#15 privateRSAKey entry: label, { iD, usage, keyReference }, [1] { ... }. */
static size_t prkdf_entry(uint8_t *out, const char *id, int key_reference)
{
	uint8_t v[128], attrs[64], num[2];
	size_t n = 0, m;

	m = tlv(attrs, 0x0C, (const uint8_t *)id, strlen(id));
	n += tlv(v + n, 0x30, attrs, m);
	m = tlv(attrs, 0x04, (const uint8_t *)id, strlen(id));
	m += tlv(attrs + m, 0x03, (const uint8_t *)"\x02\x20", 2);
	if (key_reference >= 0)
		m += tlv(attrs + m, 0x02, num,
		         be(num, (uint32_t)key_reference, key_reference > 0xFF ? 2 : 1));
	n += tlv(v + n, 0x30, attrs, m);
	m = tlv(attrs, 0x02, (const uint8_t *)"\x08\x00", 2);
	m = tlv(attrs, 0x30, attrs, m);
	n += tlv(v + n, 0xA1, attrs, m);
	return tlv(out, 0x30, v, n);
}

/* The usual CDF: KEYX at 0 (1-byte index), SIGN at 0x0700 (2-byte index), then padding. */
static size_t sample_cdf(uint8_t *out, size_t size, uint8_t padding)
{
	size_t n = cdf_entry(out, "KEYX", 0x00, 1, 0x40);

	n += cdf_entry(out + n, "SIGN", 0x0700, 2, 0x100);
	memset(out + n, padding, size - n);
	return n;
}

/* ---- exchanges ---- */

static void test_R3_1_exchange_follows_61xx_with_get_response(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	const uint8_t cmd[] = {0x80, 0xB0, 0x00, 0x00, 0x05};
	uint8_t data[16];
	size_t len;
	uint16_t sw;

	add_step(&s, "80 B0 00 00 05", "01 02 61 03");
	add_step(&s, "00 C0 00 00 03", "03 04 61 01");
	add_step(&s, "00 C0 00 00 01", "05 90 00");
	assert_int_equal(apdu_exchange(&io, cmd, sizeof(cmd), data, sizeof(data), &len, &sw),
	                 APDU_OK);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "\x01\x02\x03\x04\x05", 5);
	assert_int_equal(s.pos, s.n);
}

static void test_R3_1_exchange_resends_with_le_on_6cxx(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	const uint8_t case2[] = {0x80, 0xB0, 0x00, 0x10, 0xC8};
	const uint8_t case1[] = {0x80, 0xCA, 0x01, 0x02};
	const uint8_t case3[] = {0x80, 0xCB, 0x00, 0x00, 0x01, 0xAA};
	uint8_t data[16];
	size_t len;
	uint16_t sw;

	add_step(&s, "80 B0 00 10 C8", "6C 03");
	add_step(&s, "80 B0 00 10 03", "0A 0B 0C 90 00");
	add_step(&s, "80 CA 01 02", "6C 02");
	add_step(&s, "80 CA 01 02 02", "0D 0E 90 00");
	add_step(&s, "80 CB 00 00 01 AA", "6C 01");
	add_step(&s, "80 CB 00 00 01 AA 01", "0F 61 01");
	add_step(&s, "00 C0 00 00 01", "6C 01"); /* even GET RESPONSE may be corrected */
	add_step(&s, "00 C0 00 00 01", "10 90 00");
	assert_int_equal(apdu_exchange(&io, case2, sizeof(case2), data, sizeof(data), &len, &sw),
	                 APDU_OK);
	assert_int_equal(len, 3);
	assert_int_equal(sw, 0x9000);
	assert_int_equal(apdu_exchange(&io, case1, sizeof(case1), data, sizeof(data), &len, &sw),
	                 APDU_OK);
	assert_int_equal(len, 2);
	assert_int_equal(apdu_exchange(&io, case3, sizeof(case3), data, sizeof(data), &len, &sw),
	                 APDU_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(data, "\x0F\x10", 2);
	assert_int_equal(s.pos, s.n);
}

static void test_R3_1_exchange_bounds_and_errors(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	const uint8_t cmd[] = {0x80, 0xB0, 0x00, 0x00, 0x04};
	uint8_t data[8];
	size_t len;
	uint16_t sw;

	/* more data than the buffer: refused, the bytes after it untouched */
	memset(data, 0xEE, sizeof(data));
	add_step(&s, "80 B0 00 00 04", "01 02 03 04 90 00");
	assert_int_equal(apdu_exchange(&io, cmd, sizeof(cmd), data, 3, &len, &sw),
	                 APDU_ERR_BAD_DATA);
	assert_int_equal(data[3], 0xEE);
	/* a response without a status word */
	add_step(&s, "80 B0 00 00 04", "90");
	assert_int_equal(apdu_exchange(&io, cmd, sizeof(cmd), data, sizeof(data), &len, &sw),
	                 APDU_ERR_BAD_DATA);
	/* the transport fails */
	add_step(&s, "80 B0 00 00 04", "");
	s.steps[s.n - 1].rv = SCARD_E_NO_SMARTCARD;
	assert_int_equal(apdu_exchange(&io, cmd, sizeof(cmd), data, sizeof(data), &len, &sw),
	                 APDU_ERR_TRANSPORT);
	/* a card that says 61xx for ever */
	add_step(&s, "80 B0 00 00 04", "61 01");
	for (int i = 0; i < 32; i++)
		add_step(&s, "00 C0 00 00 01", "61 01");
	assert_int_equal(apdu_exchange(&io, cmd, sizeof(cmd), NULL, 0, &len, &sw),
	                 APDU_ERR_BAD_DATA);
	/* malformed commands are not sent */
	assert_int_equal(apdu_exchange(&io, cmd, 3, data, sizeof(data), &len, &sw),
	                 APDU_ERR_INVALID);
	assert_int_equal(s.pos, s.n);
}

static void test_R3_1_select_path_uses_cla_80_and_stops_at_error(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	const uint16_t path[] = {0x3F00, 0x5030, 0x4104};
	uint16_t sw;

	add_step(&s, "80 A4 00 00 02 3F 00", "90 00");
	add_step(&s, "80 A4 00 00 02 50 30", "6A 82");
	assert_int_equal(apdu_select_path(&io, path, 3, &sw), APDU_ERR_STATUS);
	assert_int_equal(sw, 0x6A82);
	assert_int_equal(s.pos, s.n);
}

/* ---- READ BINARY ---- */

static void fill_pattern(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + 7);
}

static void assert_reads(const struct script *s, size_t first, const char *const *want, size_t n)
{
	uint8_t cmd[8];

	assert_int_equal(s->n_log - first, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(unhex(want[i], cmd, sizeof(cmd)), s->log_len[first + i]);
		assert_memory_equal(s->log[first + i], cmd, s->log_len[first + i]);
	}
}

static void test_R3_1_read_binary_in_chunks_of_200_until_short_read(void **state)
{
	static uint8_t file[450], buf[1000];
	static const char *const reads[] = {"80 B0 00 00 C8", "80 B0 00 C8 C8", "80 B0 01 90 C8"};
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	size_t len;
	uint16_t sw;

	fill_pattern(file, sizeof(file));
	add_file(&s, 0x08F2, file, sizeof(file));
	s.selected = &s.files[0];
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_TO_END, buf, &len, &sw), APDU_OK);
	assert_int_equal(len, sizeof(file));
	assert_memory_equal(buf, file, sizeof(file));
	assert_reads(&s, 0, reads, 3);
}

static void test_R3_1_read_binary_end_by_6b00_and_9000_short(void **state)
{
	static uint8_t file[400], buf[1000];
	static const char *const reads[] = {"80 B0 00 00 C8", "80 B0 00 C8 C8", "80 B0 01 90 C8"};
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	size_t len;
	uint16_t sw;

	fill_pattern(file, sizeof(file));
	add_file(&s, 0x08F2, file, sizeof(file));
	s.selected = &s.files[0];
	s.short_read_sw_ok = 1;
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_TO_END, buf, &len, &sw), APDU_OK);
	assert_int_equal(len, 400);
	assert_reads(&s, 0, reads, 3); /* the third is answered 6B00 */
	assert_int_equal(sw, 0x6B00);
}

static void test_R3_1_read_binary_slice_at_offset(void **state)
{
	static uint8_t file[0x0900], buf[300];
	static const char *const reads[] = {"80 B0 07 00 C8", "80 B0 07 C8 64"};
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	size_t len;
	uint16_t sw;

	fill_pattern(file, sizeof(file));
	add_file(&s, 0x08F2, file, sizeof(file));
	s.selected = &s.files[0];
	assert_int_equal(apdu_read_binary_all(&io, 0x0700, 300, APDU_READ_TO_END, buf, &len, &sw),
	                 APDU_OK);
	assert_int_equal(len, 300);
	assert_memory_equal(buf, file + 0x0700, 300);
	assert_reads(&s, 0, reads, 2);
}

static void test_R3_1_read_binary_6987_retries_with_smaller_le(void **state)
{
	static uint8_t file[150], buf[200];
	static const char *const reads[] = {"80 B0 00 00 C8", "80 B0 00 00 64", "80 B0 00 64 64"};
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	size_t len;
	uint16_t sw;

	fill_pattern(file, sizeof(file));
	add_file(&s, 0x08F2, file, sizeof(file));
	s.selected = &s.files[0];
	s.retry_smaller_once = 1;
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_TO_END, buf, &len, &sw), APDU_OK);
	assert_int_equal(len, 150);
	assert_reads(&s, 0, reads, 3);
}

static void test_R3_1_read_binary_refuses_other_status_words(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	uint8_t buf[300];
	size_t len;
	uint16_t sw;

	add_step(&s, "80 B0 00 00 C8", "69 82");
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_TO_END, buf, &len, &sw),
	    APDU_ERR_STATUS);
	assert_int_equal(sw, 0x6982);
	/* 62xx still carries data */
	add_step(&s, "80 B0 00 00 C8", "01 02 03 62 82");
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_TO_END, buf, &len, &sw), APDU_OK);
	assert_int_equal(len, 3);
}

static void test_R3_1_directory_read_stops_at_padding(void **state)
{
	static uint8_t file[1000], buf[4096];
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	size_t len, n;
	uint16_t sw;

	n = sample_cdf(file, sizeof(file), 0xFF);
	add_file(&s, 0x4104, file, sizeof(file));
	s.selected = &s.files[0];
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_DIRECTORY, buf, &len, &sw),
	    APDU_OK);
	assert_int_equal(len, n);
	assert_int_equal(s.n_log, 1); /* the padding is in the first chunk */
}

static void test_R3_1_directory_read_entries_cut_off_refused(void **state)
{
	static uint8_t file[1000], buf[4096];
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	size_t len, n;
	uint16_t sw;

	n = sample_cdf(file, sizeof(file), 0x00);
	add_file(&s, 0x4104, file, n - 5); /* the file ends inside the second entry */
	s.selected = &s.files[0];
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_DIRECTORY, buf, &len, &sw),
	    APDU_ERR_BAD_DATA);
	/* entries up to the end of the file, no padding: fine */
	s.files[0].len = n;
	s.n_log = 0;
	assert_int_equal(
	    apdu_read_binary_all(&io, 0, sizeof(buf), APDU_READ_DIRECTORY, buf, &len, &sw),
	    APDU_OK);
	assert_int_equal(len, n);
	/* entries that do not fit the buffer */
	s.files[0].len = sizeof(file);
	assert_int_equal(apdu_read_binary_all(&io, 0, 30, APDU_READ_DIRECTORY, buf, &len, &sw),
	                 APDU_ERR_BAD_DATA);
}

/* ---- PKCS#15 ---- */

static void test_R3_1_cdf_parsed_with_one_and_two_byte_index(void **state)
{
	uint8_t dir[512];
	struct pkcs15_cert_ref certs[PKCS15_ENTRIES_MAX];
	size_t n, len = sample_cdf(dir, sizeof(dir), 0x00);

	assert_int_equal(pkcs15_parse_cdf(dir, sizeof(dir), certs, PKCS15_ENTRIES_MAX, &n),
	                 APDU_OK);
	assert_int_equal(n, 2);
	assert_int_equal(certs[0].id_len, 4);
	assert_memory_equal(certs[0].id, "KEYX", 4);
	assert_int_equal(certs[0].file_id, 0x08F2);
	assert_int_equal(certs[0].offset, 0);
	assert_int_equal(certs[0].length, 0x40);
	assert_memory_equal(certs[1].id, "SIGN", 4);
	assert_int_equal(certs[1].offset, 0x0700);
	assert_int_equal(certs[1].length, 0x100);
	/* no padding at all */
	assert_int_equal(pkcs15_parse_cdf(dir, len, certs, PKCS15_ENTRIES_MAX, &n), APDU_OK);
	assert_int_equal(n, 2);
	/* a bare Path as the entry, as the profile document draws it */
	len = path_tlv(dir, 0x15, 1, 0x0123);
	assert_int_equal(len, 17);
	assert_memory_equal(dir, "\x30\x0F\x04\x06\x3F\x00\x50\x30\x08\xF2\x02\x01\x15\x80\x02",
	                    15);
	assert_int_equal(pkcs15_parse_cdf(dir, len, certs, PKCS15_ENTRIES_MAX, &n), APDU_OK);
	assert_int_equal(n, 1);
	assert_int_equal(certs[0].id_len, 0);
	assert_int_equal(certs[0].offset, 0x15);
	assert_int_equal(certs[0].length, 0x0123);
}

/* Every prefix of a valid CDF, in a heap buffer of exactly that size (ASan sees over-reads). */
static void test_R3_1_cdf_truncated_never_over_read(void **state)
{
	uint8_t dir[512];
	struct pkcs15_cert_ref certs[PKCS15_ENTRIES_MAX];
	size_t n, full = sample_cdf(dir, sizeof(dir), 0x00);

	for (size_t len = 1; len < full; len++) {
		uint8_t *copy = malloc(len);
		enum apdu_err err;
		size_t end;

		assert_non_null(copy);
		memcpy(copy, dir, len);
		err = pkcs15_parse_cdf(copy, len, certs, PKCS15_ENTRIES_MAX, &n);
		assert_true(err == APDU_ERR_BAD_DATA || (err == APDU_OK && n == 1));
		assert_int_not_equal(pkcs15_directory_end(copy, len, &end), PKCS15_END_MALFORMED);
		free(copy);
	}
}

static void assert_cdf_refused(const uint8_t *dir, size_t len)
{
	struct pkcs15_cert_ref certs[PKCS15_ENTRIES_MAX];
	size_t n;
	uint8_t *copy = malloc(len);

	assert_non_null(copy);
	memcpy(copy, dir, len);
	assert_int_equal(pkcs15_parse_cdf(copy, len, certs, PKCS15_ENTRIES_MAX, &n),
	                 APDU_ERR_BAD_DATA);
	free(copy);
}

static void test_R3_1_cdf_malformed_entries_refused(void **state)
{
	uint8_t dir[1024];
	size_t n;

	/* path not below 3F00 5030 */
	assert_cdf_refused((const uint8_t *)"\x30\x0F\x04\x06\x3F\x00\x50\x15\x08\xF2\x02\x01\x00"
	                                    "\x80\x02\x01\x00",
	                   17);
	/* no length */
	assert_cdf_refused((const uint8_t *)"\x30\x0B\x04\x06\x3F\x00\x50\x30\x08\xF2\x02\x01\x00",
	                   13);
	/* a 4-byte index */
	assert_cdf_refused((const uint8_t *)"\x30\x12\x04\x06\x3F\x00\x50\x30\x08\xF2\x02\x04\x00"
	                                    "\x00\x00\x00\x80\x02\x01\x00",
	                   20);
	/* offset + length past the 15-bit offsets */
	assert_cdf_refused((const uint8_t *)"\x30\x10\x04\x06\x3F\x00\x50\x30\x08\xF2\x02\x02\x7F"
	                                    "\x00\x80\x02\x10\x00",
	                   18);
	/* zero length */
	assert_cdf_refused((const uint8_t *)"\x30\x0F\x04\x06\x3F\x00\x50\x30\x08\xF2\x02\x01\x00"
	                                    "\x80\x02\x00\x00",
	                   17);
	/* indefinite and over-long lengths */
	assert_cdf_refused((const uint8_t *)"\x30\x80\x04\x06\x3F\x00\x00\x00", 8);
	assert_cdf_refused((const uint8_t *)"\x30\x84\x00\x00\x00\x0F\x04\x06", 8);
	/* a length past the buffer inside an entry */
	assert_cdf_refused((const uint8_t *)"\x30\x0F\x04\x46\x3F\x00\x50\x30\x08\xF2\x02\x01\x00"
	                                    "\x80\x02\x01\x00",
	                   17);
	/* a primitive entry, and an entry with no path */
	assert_cdf_refused((const uint8_t *)"\x04\x02\x01\x02", 4);
	assert_cdf_refused((const uint8_t *)"\x30\x04\x0C\x02\x41\x42", 6);
	/* an iD longer than 32 bytes */
	n = cdf_entry(dir, "0123456789012345678901234567890123", 0, 1, 1);
	assert_cdf_refused(dir, n);
	/* more entries than the caller has room for */
	n = 0;
	for (int i = 0; i <= PKCS15_ENTRIES_MAX; i++)
		n += path_tlv(dir + n, 0, 1, 1);
	assert_cdf_refused(dir, n);
}

static void test_R3_1_prkdf_gives_key_references(void **state)
{
	uint8_t dir[512];
	struct pkcs15_key_ref keys[PKCS15_ENTRIES_MAX];
	size_t n, len;

	len = prkdf_entry(dir, "KEYX", 0x01);
	len += prkdf_entry(dir + len, "SIGN", 0x02);
	len += prkdf_entry(dir + len, "NONE", -1);
	memset(dir + len, 0xFF, 10);
	assert_int_equal(pkcs15_parse_prkdf(dir, len + 10, keys, PKCS15_ENTRIES_MAX, &n), APDU_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(keys[1].id, "SIGN", 4);
	assert_int_equal(keys[0].key_reference, 1);
	assert_int_equal(keys[1].key_reference, 2);
	assert_int_equal(keys[2].key_reference, -1);
	/* a key reference that does not fit P2 */
	len = prkdf_entry(dir, "SIGN", 0x100);
	assert_int_equal(pkcs15_parse_prkdf(dir, len, keys, PKCS15_ENTRIES_MAX, &n),
	                 APDU_ERR_BAD_DATA);
	/* truncated */
	len = prkdf_entry(dir, "SIGN", 2);
	for (size_t cut = 1; cut < len; cut++) {
		uint8_t *copy = malloc(cut);

		assert_non_null(copy);
		memcpy(copy, dir, cut);
		assert_int_equal(pkcs15_parse_prkdf(copy, cut, keys, PKCS15_ENTRIES_MAX, &n),
		                 APDU_ERR_BAD_DATA);
		free(copy);
	}
}

/* ---- the card: ATR, PIN rules, certificate, signing ---- */

static void test_R3_1_second_generation_refused_before_any_verify(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	struct card *c;
	int tries;
	uint8_t *der;
	size_t len;

	add_step(&s, "00 A4 04 00 10 A0 00 00 02 83 00 00 06 22 01 69 64 00 01 01 01 00", "90 00");
	assert_int_equal(card_open_io(&io, other_atr, sizeof(other_atr), &c),
	                 CARD_SECOND_GENERATION);
	assert_string_equal(card_atr_hex(c), "3B 8C 80 01 50 12 34 56");
	/* nothing more is sent: no status query, no VERIFY, no read */
	assert_int_equal(card_pin_tries(c, &tries), CARD_SECOND_GENERATION);
	assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_SECOND_GENERATION);
	assert_int_equal(card_read_certificate(c, &der, &len), CARD_SECOND_GENERATION);
	assert_int_equal(s.n_log, 1);
	card_close(c);
}

static void test_R3_1_unknown_card_refused_and_hicos_atr_sends_nothing(void **state)
{
	struct script s = {0};
	struct apdu_io io = script_io(&s);
	struct card *c;
	int tries;

	add_step(&s, "00 A4 04 00 10 A0 00 00 02 83 00 00 06 22 01 69 64 00 01 01 01 00", "6A 82");
	assert_int_equal(card_open_io(&io, other_atr, sizeof(other_atr), &c), CARD_UNKNOWN);
	assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_UNKNOWN);
	assert_int_equal(s.n_log, 1);
	card_close(c);
	s.n_log = 0;
	assert_int_equal(card_open_io(&io, hicos_atr, sizeof(hicos_atr), &c), CARD_OK);
	assert_int_equal(s.n_log, 0);
	assert_string_equal(card_atr_hex(c), "3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5");
	card_close(c);
}

static struct card *open_hicos(struct script *s)
{
	struct apdu_io io = script_io(s);
	struct card *c;

	assert_int_equal(card_open_io(&io, hicos_atr, sizeof(hicos_atr), &c), CARD_OK);
	return c;
}

static void test_R3_3_pin_status_then_one_verify(void **state)
{
	struct script s = {0};
	struct card *c = open_hicos(&s);
	int tries;

	/* no PIN before the tries are known */
	assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_IO);
	assert_int_equal(s.n_log, 0);
	add_select_key_file(&s);
	add_step(&s, "8C 20 00 01", "63 C3");
	assert_int_equal(card_pin_tries(c, &tries), CARD_OK);
	assert_int_equal(tries, 3);
	/* a malformed PIN is not sent and does not use up the attempt */
	assert_int_equal(card_verify_pin(c, "12345", &tries), CARD_BAD_PIN_FORMAT);
	assert_int_equal(card_verify_pin(c, "12345a", &tries), CARD_BAD_PIN_FORMAT);
	assert_int_equal(s.n_log, 4);
	add_select_key_file(&s);
	add_verify(&s, pinwrap_key_primary, "654321", "63 C2");
	assert_int_equal(card_verify_pin(c, "654321", &tries), CARD_WRONG_PIN);
	assert_int_equal(tries, 2);
	/* never a second PIN in one session */
	assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_IO);
	assert_int_equal(s.pos, s.n);
	assert_int_equal(s.n_log, 8);
	card_close(c);
}

static void test_R3_3_locked_card_is_never_sent_a_pin(void **state)
{
	struct script s = {0};
	struct card *c = open_hicos(&s);
	int tries;

	add_select_key_file(&s);
	add_step(&s, "8C 20 00 01", "69 83");
	assert_int_equal(card_pin_tries(c, &tries), CARD_LOCKED);
	assert_int_equal(tries, 0);
	assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_LOCKED);
	assert_int_equal(s.n_log, 4);
	card_close(c);
	/* 63C0 is locked too */
	memset(&s, 0, sizeof(s));
	c = open_hicos(&s);
	add_select_key_file(&s);
	add_step(&s, "8C 20 00 01", "63 C0");
	assert_int_equal(card_pin_tries(c, &tries), CARD_LOCKED);
	card_close(c);
}

/* R11.5: the status query is not in the card document; any other answer leaves the tries
 * unknown, the PIN may be sent once, and the VERIFY answer tells the tries or the lock. */
static void test_R11_5_status_query_refused_means_tries_unknown(void **state)
{
	static const char *const answers[] = {"67 00", "6D 00", "6A 86", "90 00", "6E 00"};
	static const struct {
		const char *sw;
		enum card_status status;
		int tries;
	} outcomes[] = {
	    {"90 00", CARD_OK, -1}, {"63 C2", CARD_WRONG_PIN, 2}, {"69 83", CARD_LOCKED, 0}};

	for (size_t a = 0; a < sizeof(answers) / sizeof(answers[0]); a++) {
		for (size_t o = 0; o < sizeof(outcomes) / sizeof(outcomes[0]); o++) {
			struct script s = {0};
			struct card *c = open_hicos(&s);
			int tries = 99;

			/* never a PIN before the query */
			assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_IO);
			assert_int_equal(s.n_log, 0);
			add_select_key_file(&s);
			add_step(&s, "8C 20 00 01", answers[a]);
			assert_int_equal(card_pin_tries(c, &tries), CARD_OK);
			assert_int_equal(tries, CARD_TRIES_UNKNOWN);
			add_select_key_file(&s);
			add_verify(&s, pinwrap_key_primary, "123456", outcomes[o].sw);
			assert_int_equal(card_verify_pin(c, "123456", &tries), outcomes[o].status);
			assert_int_equal(tries, outcomes[o].tries);
			/* still never a second PIN */
			assert_int_equal(card_verify_pin(c, "123456", &tries), CARD_IO);
			assert_int_equal(s.pos, s.n);
			card_close(c);
		}
	}
}

static void test_R3_3_verify_6a88_retries_alternative_key_once(void **state)
{
	struct script s = {0};
	struct card *c = open_hicos(&s);
	int tries;

	add_select_key_file(&s);
	add_step(&s, "8C 20 00 01", "63 C3");
	add_select_key_file(&s);
	add_verify(&s, pinwrap_key_primary, "12345678", "6A 88");
	add_verify(&s, pinwrap_key_alternative, "12345678", "90 00");
	assert_int_equal(card_pin_tries(c, &tries), CARD_OK);
	assert_int_equal(card_verify_pin(c, "12345678", &tries), CARD_OK);
	assert_int_equal(s.pos, s.n);
	card_close(c);
	/* the last try: locked */
	memset(&s, 0, sizeof(s));
	c = open_hicos(&s);
	add_select_key_file(&s);
	add_step(&s, "8C 20 00 01", "63 C1");
	add_select_key_file(&s);
	add_verify(&s, pinwrap_key_primary, "000000", "69 83");
	assert_int_equal(card_pin_tries(c, &tries), CARD_OK);
	assert_int_equal(card_verify_pin(c, "000000", &tries), CARD_LOCKED);
	assert_int_equal(tries, 0);
	card_close(c);
}

static void test_R3_1_card_removed_during_transmit(void **state)
{
	struct script s = {0};
	struct card *c = open_hicos(&s);
	int tries;

	add_step(&s, "80 A4 00 00 02 3F 00", "");
	s.steps[0].rv = SCARD_W_REMOVED_CARD;
	assert_int_equal(card_pin_tries(c, &tries), CARD_REMOVED);
	assert_true(strlen(card_error_detail(c)) > 0);
	card_close(c);
}

static void test_R3_1_certificate_paired_with_sign_key(void **state)
{
	static uint8_t cdf[600], certs[0x0800];
	struct script s = {0};
	struct card *c = open_hicos(&s);
	uint8_t *der;
	size_t len;

	sample_cdf(cdf, sizeof(cdf), 0x00);
	memset(certs, 0xFF, sizeof(certs));
	fill_pattern(certs, 0x40);
	memcpy(certs, "\x30\x3E", 2);
	fill_pattern(certs + 0x0700, 0x100);
	memcpy(certs + 0x0700, "\x30\x82\x00\xFC", 4);
	add_file(&s, 0x4104, cdf, sizeof(cdf));
	add_file(&s, 0x08F2, certs, sizeof(certs));
	assert_int_equal(card_read_certificate(c, &der, &len), CARD_OK);
	assert_int_equal(len, 0x100);
	assert_memory_equal(der, certs + 0x0700, 0x100);
	free(der);
	/* a certificate whose DER says it is longer than its slot */
	certs[0x0703] = 0xFF;
	assert_int_equal(card_read_certificate(c, &der, &len), CARD_BAD_DATA);
	assert_null(der);
	card_close(c);
}

static void test_R3_4_pkcs1_block_layout(void **state)
{
	uint8_t digest[32], block[256];
	static const uint8_t digest_info[] = {0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60,
	                                      0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
	                                      0x01, 0x05, 0x00, 0x04, 0x20};

	fill_pattern(digest, sizeof(digest));
	card_pkcs1_sha256_block(digest, block);
	assert_int_equal(block[0], 0x00);
	assert_int_equal(block[1], 0x01);
	for (size_t i = 2; i < 256 - 52; i++)
		assert_int_equal(block[i], 0xFF);
	assert_int_equal(block[256 - 52], 0x00);
	assert_memory_equal(block + 256 - 51, digest_info, sizeof(digest_info));
	assert_memory_equal(block + 256 - 32, digest, 32);
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02X ", b[i]);
}

static void test_R3_4_sign_sends_two_halves_and_reads_the_rest(void **state)
{
	static uint8_t prkdf[300], sig_expected[256];
	static char ea1[5 * 3 + 128 * 3 + 1], ea2[sizeof(ea1)], resp2[128 * 3 + 7],
	    resp3[sizeof(resp2)];
	struct script s = {0};
	struct card *c = open_hicos(&s);
	uint8_t digest[32], block[256], sig[256];
	size_t len, sig_len;

	len = prkdf_entry(prkdf, "KEYX", 1);
	len += prkdf_entry(prkdf + len, "SIGN", 2);
	add_file(&s, 0x4100, prkdf, sizeof(prkdf));
	add_file(&s, 0x0810, prkdf, 1);
	fill_pattern(digest, sizeof(digest));
	fill_pattern(sig_expected, sizeof(sig_expected));
	card_pkcs1_sha256_block(digest, block);
	hex_of((const uint8_t *)"\x80\xEA\x82\x02\x80", 5, ea1);
	hex_of(block, 128, ea1 + 15);
	hex_of((const uint8_t *)"\x80\xEA\x02\x02\x80", 5, ea2);
	hex_of(block + 128, 128, ea2 + 15);
	hex_of(sig_expected, 128, resp2);
	strcat(resp2, "90 00");
	hex_of(sig_expected + 128, 128, resp3);
	strcat(resp3, "90 00");
	add_step(&s, ea1, "90 00");
	add_step(&s, ea2, resp2);
	add_step(&s, "80 C1 00 80 80", resp3);
	assert_int_equal(card_sign_sha256(c, digest, sig, &sig_len), CARD_OK);
	assert_int_equal(sig_len, 256);
	assert_memory_equal(sig, sig_expected, 256);
	assert_int_equal(s.pos, s.n);
	/* the PIN not verified: the card's refusal is reported */
	add_step(&s, ea1, "69 82");
	assert_int_equal(card_sign_sha256(c, digest, sig, &sig_len), CARD_IO);
	assert_int_equal(sig_len, 0);
	card_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_R3_1_exchange_follows_61xx_with_get_response),
	    cmocka_unit_test(test_R3_1_exchange_resends_with_le_on_6cxx),
	    cmocka_unit_test(test_R3_1_exchange_bounds_and_errors),
	    cmocka_unit_test(test_R3_1_select_path_uses_cla_80_and_stops_at_error),
	    cmocka_unit_test(test_R3_1_read_binary_in_chunks_of_200_until_short_read),
	    cmocka_unit_test(test_R3_1_read_binary_end_by_6b00_and_9000_short),
	    cmocka_unit_test(test_R3_1_read_binary_slice_at_offset),
	    cmocka_unit_test(test_R3_1_read_binary_6987_retries_with_smaller_le),
	    cmocka_unit_test(test_R3_1_read_binary_refuses_other_status_words),
	    cmocka_unit_test(test_R3_1_directory_read_stops_at_padding),
	    cmocka_unit_test(test_R3_1_directory_read_entries_cut_off_refused),
	    cmocka_unit_test(test_R3_1_cdf_parsed_with_one_and_two_byte_index),
	    cmocka_unit_test(test_R3_1_cdf_truncated_never_over_read),
	    cmocka_unit_test(test_R3_1_cdf_malformed_entries_refused),
	    cmocka_unit_test(test_R3_1_prkdf_gives_key_references),
	    cmocka_unit_test(test_R3_1_second_generation_refused_before_any_verify),
	    cmocka_unit_test(test_R3_1_unknown_card_refused_and_hicos_atr_sends_nothing),
	    cmocka_unit_test(test_R3_3_pin_status_then_one_verify),
	    cmocka_unit_test(test_R3_3_locked_card_is_never_sent_a_pin),
	    cmocka_unit_test(test_R11_5_status_query_refused_means_tries_unknown),
	    cmocka_unit_test(test_R3_3_verify_6a88_retries_alternative_key_once),
	    cmocka_unit_test(test_R3_1_card_removed_during_transmit),
	    cmocka_unit_test(test_R3_1_certificate_paired_with_sign_key),
	    cmocka_unit_test(test_R3_4_pkcs1_block_layout),
	    cmocka_unit_test(test_R3_4_sign_sends_two_halves_and_reads_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
