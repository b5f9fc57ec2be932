/* APDU exchanges (61xx/6Cxx), SELECT, chunked READ BINARY and bounds-checked PKCS#15 directory
 * parsing for the HiCOS card profile, independent of the transport. */
#include "card/apdu.h"
#include "base/der.h"

#include <string.h>

#define GET_RESPONSE_ROUNDS 32 /* 61xx answers followed before the card is deemed broken */
#define PATH_DEPTH_MAX 8       /* nesting searched for a certificate's path */
#define READ_LE_MIN 8          /* 6987: Le is halved down to this */

#define CARD_LENGTH_BYTES 2 /* the directory files' long-form lengths: one or two bytes */

/* ---- exchanges ---- */

static enum apdu_err transmit_once(const struct apdu_io *io, const uint8_t *cmd, size_t len,
                                   uint8_t resp[APDU_RESPONSE_MAX], size_t *data_len, uint16_t *sw)
{
	size_t resp_len = APDU_RESPONSE_MAX;

	if (io->transmit(io->ctx, cmd, len, resp, &resp_len) != 0)
		return APDU_ERR_TRANSPORT;
	if (resp_len < 2 || resp_len > APDU_RESPONSE_MAX)
		return APDU_ERR_BAD_DATA;
	*sw = (uint16_t)(resp[resp_len - 2] << 8 | resp[resp_len - 1]);
	*data_len = resp_len - 2;
	return APDU_OK;
}

/* Copies cmd into out with Le set to le: appended for cases 1 and 3, replaced for 2 and 4. */
static int command_with_le(const uint8_t *cmd, size_t len, uint8_t le,
                           uint8_t out[APDU_COMMAND_MAX], size_t *out_len)
{
	size_t lc;

	if (len < 4 || len > APDU_COMMAND_MAX)
		return -1;
	memcpy(out, cmd, len);
	if (len <= 5) { /* case 1: append; case 2: replace */
		out[4] = le;
		*out_len = 5;
		return 0;
	}
	lc = cmd[4];
	if (lc == 0 || (len != 5 + lc && len != 6 + lc))
		return -1; /* extended length or inconsistent: not this profile */
	if (len == 5 + lc)
		out[len++] = le;
	else
		out[len - 1] = le;
	*out_len = len;
	return 0;
}

/* One command; 6Cxx (wrong Le) sends it once more with Le = xx. */
static enum apdu_err transmit_with_le_fix(const struct apdu_io *io, const uint8_t *cmd, size_t len,
                                          uint8_t resp[APDU_RESPONSE_MAX], size_t *data_len,
                                          uint16_t *sw)
{
	uint8_t fixed[APDU_COMMAND_MAX];
	size_t fixed_len;
	enum apdu_err err;

	err = transmit_once(io, cmd, len, resp, data_len, sw);
	if (err != APDU_OK || (*sw >> 8) != 0x6C)
		return err;
	if (command_with_le(cmd, len, (uint8_t)(*sw & 0xFF), fixed, &fixed_len) < 0)
		return APDU_ERR_INVALID;
	err = transmit_once(io, fixed, fixed_len, resp, data_len, sw);
	memset(fixed, 0, sizeof(fixed));
	return err;
}

static enum apdu_err append_data(uint8_t *data, size_t size, size_t *len, const uint8_t *src,
                                 size_t n)
{
	if (data == NULL || n == 0)
		return APDU_OK;
	if (n > size - *len)
		return APDU_ERR_BAD_DATA;
	memcpy(data + *len, src, n);
	*len += n;
	return APDU_OK;
}

enum apdu_err apdu_exchange(const struct apdu_io *io, const uint8_t *cmd, size_t cmd_len,
                            uint8_t *data, size_t data_size, size_t *data_len, uint16_t *sw)
{
	uint8_t resp[APDU_RESPONSE_MAX];
	size_t n = 0;
	enum apdu_err err;

	*data_len = 0;
	*sw = 0;
	if (cmd_len < 4 || cmd_len > APDU_COMMAND_MAX)
		return APDU_ERR_INVALID;
	err = transmit_with_le_fix(io, cmd, cmd_len, resp, &n, sw);
	for (int round = 0; err == APDU_OK; round++) {
		uint8_t get_response[5] = {0x00, 0xC0, 0x00, 0x00, 0x00};

		err = append_data(data, data_size, data_len, resp, n);
		if (err != APDU_OK || (*sw >> 8) != 0x61)
			break;
		if (round == GET_RESPONSE_ROUNDS)
			return APDU_ERR_BAD_DATA;
		get_response[4] = (uint8_t)(*sw & 0xFF);
		err = transmit_with_le_fix(io, get_response, sizeof(get_response), resp, &n, sw);
	}
	return err;
}

enum apdu_err apdu_select_path(const struct apdu_io *io, const uint16_t *path, size_t n,
                               uint16_t *sw)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t cmd[7] = {APDU_CLA,
		                        0xA4,
		                        0x00,
		                        0x00,
		                        0x02,
		                        (uint8_t)(path[i] >> 8),
		                        (uint8_t)(path[i] & 0xFF)};
		size_t len;
		enum apdu_err err = apdu_exchange(io, cmd, sizeof(cmd), NULL, 0, &len, sw);

		if (err != APDU_OK)
			return err;
		if (*sw != APDU_SW_OK)
			return APDU_ERR_STATUS;
	}
	return APDU_OK;
}

/* ---- READ BINARY ---- */

/* What the answer to one READ BINARY chunk means for the loop. */
enum chunk_outcome { CHUNK_MORE, CHUNK_END, CHUNK_RETRY_SMALLER, CHUNK_FAILED };

static enum chunk_outcome classify_chunk(uint16_t sw, size_t got, size_t want)
{
	if (sw == APDU_SW_RETRY_SMALLER && got == 0)
		return CHUNK_RETRY_SMALLER;
	if (sw == APDU_SW_WRONG_OFFSET && got == 0)
		return CHUNK_END; /* the offset is past the end of the file */
	if (sw != APDU_SW_OK && (sw >> 8) != 0x62)
		return CHUNK_FAILED;
	if (got < want || sw == APDU_SW_END_OF_FILE)
		return CHUNK_END;
	return CHUNK_MORE;
}

/* After the last chunk of a directory file: its length up to the padding. */
static enum apdu_err directory_length(const uint8_t *buf, size_t got, int full, size_t *len)
{
	size_t end;

	switch (pkcs15_directory_end(buf, got, &end)) {
	case PKCS15_END_FOUND:
		*len = end;
		return APDU_OK;
	case PKCS15_END_MORE:
		if (full)
			return APDU_ERR_BAD_DATA; /* may go on past the buffer */
		*len = end;
		return APDU_OK;
	case PKCS15_END_TRUNCATED:
	case PKCS15_END_MALFORMED:
		break;
	}
	return APDU_ERR_BAD_DATA;
}

enum apdu_err apdu_read_binary_all(const struct apdu_io *io, size_t offset, size_t max_len,
                                   enum apdu_read_mode mode, uint8_t *buf, size_t *len,
                                   uint16_t *sw)
{
	size_t got = 0, le = APDU_READ_CHUNK, end;
	enum chunk_outcome outcome = CHUNK_MORE;

	*len = 0;
	*sw = 0;
	while (outcome != CHUNK_END && got < max_len && offset + got <= APDU_OFFSET_MAX) {
		size_t pos = offset + got, want = max_len - got < le ? max_len - got : le, n;
		const uint8_t cmd[5] = {APDU_CLA, 0xB0, (uint8_t)(pos >> 8), (uint8_t)(pos & 0xFF),
		                        (uint8_t)want};
		enum apdu_err err = apdu_exchange(io, cmd, sizeof(cmd), buf + got, want, &n, sw);

		if (err != APDU_OK)
			return err;
		outcome = classify_chunk(*sw, n, want);
		if (outcome == CHUNK_FAILED)
			return APDU_ERR_STATUS;
		if (outcome == CHUNK_RETRY_SMALLER) {
			if (le <= READ_LE_MIN)
				return APDU_ERR_STATUS;
			le /= 2;
			continue;
		}
		got += n;
		if (mode == APDU_READ_DIRECTORY &&
		    pkcs15_directory_end(buf, got, &end) == PKCS15_END_FOUND) {
			*len = end;
			return APDU_OK;
		}
	}
	if (mode == APDU_READ_DIRECTORY)
		return directory_length(buf, got, outcome != CHUNK_END && got == max_len, len);
	*len = got;
	return APDU_OK;
}

/* ---- DER of the card's files ---- */

/* Reads the next TLV of a complete structure (lengths of at most two bytes, as the card writes
 * them): anything cut off or malformed is -1. */
static int file_child(struct der_reader *r, struct der_item *item)
{
	return der_next_bounded(r, item, CARD_LENGTH_BYTES) == DER_OK ? 0 : -1;
}

/* An unsigned big-endian number of 1 to 3 bytes (INTEGER or [0]); the card's encoding of
 * index and length is not strict DER, so a leading 00 and a set top bit are both taken as is. */
static int file_unsigned(const struct der_item *item, uint8_t tag, uint32_t *out)
{
	uint32_t v = 0;

	if (item->tag != tag || item->len < 1 || item->len > 3)
		return -1;
	for (size_t i = 0; i < item->len; i++)
		v = v << 8 | item->value[i];
	*out = v;
	return 0;
}

static int is_padding(uint8_t byte)
{
	return byte == 0x00 || byte == 0xFF;
}

enum pkcs15_end pkcs15_directory_end(const uint8_t *buf, size_t len, size_t *end)
{
	struct der_reader r = der_reader_of(buf, len);
	struct der_item item;

	for (;;) {
		*end = len - der_left(&r);
		if (der_left(&r) == 0)
			return PKCS15_END_MORE;
		if (is_padding(r.p[0]))
			return PKCS15_END_FOUND;
		if (!(r.p[0] & DER_CONSTRUCTED))
			return PKCS15_END_MALFORMED;
		switch (der_next_bounded(&r, &item, CARD_LENGTH_BYTES)) {
		case DER_OK:
			break;
		case DER_TRUNCATED:
			return PKCS15_END_TRUNCATED;
		case DER_MALFORMED:
			return PKCS15_END_MALFORMED;
		}
	}
}

/* ---- PKCS#15 entries ---- */

enum search { SEARCH_FOUND, SEARCH_NONE, SEARCH_MALFORMED };

/* A SEQUENCE that opens with an OCTET STRING and an INTEGER is taken for a Path. */
static int looks_like_path(const struct der_item *seq)
{
	struct der_reader r = der_inside(seq);
	struct der_item path, index;

	return seq->tag == DER_SEQUENCE && file_child(&r, &path) == 0 &&
	       path.tag == DER_OCTET_STRING && file_child(&r, &index) == 0 &&
	       index.tag == DER_INTEGER;
}

/* Path ::= SEQUENCE { path OCTET STRING (3F00 5030 FID), index INTEGER, length [0] IMPLICIT
 * INTEGER }. */
static int parse_path(const struct der_item *seq, struct pkcs15_cert_ref *cert)
{
	static const uint8_t prefix[4] = {0x3F, 0x00, 0x50, 0x30};
	struct der_reader r = der_inside(seq);
	struct der_item path, index, length;

	if (file_child(&r, &path) < 0 || file_child(&r, &index) < 0 ||
	    file_child(&r, &length) < 0 || der_left(&r) != 0)
		return -1;
	if (path.len != 6 || memcmp(path.value, prefix, sizeof(prefix)) != 0)
		return -1;
	if (file_unsigned(&index, DER_INTEGER, &cert->offset) < 0 ||
	    file_unsigned(&length, DER_CONTEXT_0, &cert->length) < 0)
		return -1;
	if (cert->length == 0 || cert->offset > APDU_OFFSET_MAX ||
	    cert->length > APDU_OFFSET_MAX + 1u - cert->offset)
		return -1;
	cert->file_id = (uint16_t)(path.value[4] << 8 | path.value[5]);
	return 0;
}

/* Finds and parses the first Path in item or below it (depth-first). */
static enum search find_path(const struct der_item *item, int depth, struct pkcs15_cert_ref *cert)
{
	struct der_reader r = der_inside(item);
	struct der_item child;

	if (looks_like_path(item))
		return parse_path(item, cert) == 0 ? SEARCH_FOUND : SEARCH_MALFORMED;
	if (!(item->tag & DER_CONSTRUCTED))
		return SEARCH_NONE;
	if (depth == PATH_DEPTH_MAX)
		return SEARCH_MALFORMED;
	while (der_left(&r) > 0) {
		enum search s;

		if (file_child(&r, &child) < 0)
			return SEARCH_MALFORMED;
		s = find_path(&child, depth + 1, cert);
		if (s != SEARCH_NONE)
			return s;
	}
	return SEARCH_NONE;
}

/* The entry's second element (CommonCertificateAttributes / CommonKeyAttributes), when it is a
 * SEQUENCE that opens with the iD OCTET STRING. */
static enum search common_attributes(const struct der_item *entry, struct der_item *attributes,
                                     struct der_item *id)
{
	struct der_reader r = der_inside(entry), inner;
	struct der_item first;

	if (file_child(&r, &first) < 0)
		return SEARCH_MALFORMED;
	if (der_left(&r) == 0)
		return SEARCH_NONE;
	if (file_child(&r, attributes) < 0)
		return SEARCH_MALFORMED;
	if (attributes->tag != DER_SEQUENCE || looks_like_path(attributes))
		return SEARCH_NONE;
	inner = der_inside(attributes);
	if (file_child(&inner, id) < 0 || id->tag != DER_OCTET_STRING)
		return SEARCH_NONE;
	return id->len <= PKCS15_ID_MAX ? SEARCH_FOUND : SEARCH_MALFORMED;
}

static enum apdu_err parse_cert_entry(const struct der_item *entry, struct pkcs15_cert_ref *cert)
{
	struct der_item attributes, id;
	enum search s;

	memset(cert, 0, sizeof(*cert));
	if (find_path(entry, 0, cert) != SEARCH_FOUND)
		return APDU_ERR_BAD_DATA;
	if (looks_like_path(entry))
		return APDU_OK; /* a bare Path: no iD */
	s = common_attributes(entry, &attributes, &id);
	if (s == SEARCH_MALFORMED)
		return APDU_ERR_BAD_DATA;
	if (s == SEARCH_FOUND) {
		memcpy(cert->id, id.value, id.len);
		cert->id_len = id.len;
	}
	return APDU_OK;
}

/* The keyReference: the first INTEGER of CommonKeyAttributes, a byte (it is sent as P2). */
static int key_reference(const struct der_item *attributes, int *out)
{
	struct der_reader r = der_inside(attributes);
	struct der_item child;
	uint32_t v;

	*out = -1;
	while (der_left(&r) > 0) {
		if (file_child(&r, &child) < 0)
			return -1;
		if (child.tag != DER_INTEGER)
			continue;
		if (file_unsigned(&child, DER_INTEGER, &v) < 0 || v > 0xFF)
			return -1;
		*out = (int)v;
		return 0;
	}
	return 0;
}

static enum apdu_err parse_key_entry(const struct der_item *entry, struct pkcs15_key_ref *key)
{
	struct der_item attributes, id;

	memset(key, 0, sizeof(*key));
	if (common_attributes(entry, &attributes, &id) != SEARCH_FOUND)
		return APDU_ERR_BAD_DATA;
	memcpy(key->id, id.value, id.len);
	key->id_len = id.len;
	return key_reference(&attributes, &key->key_reference) == 0 ? APDU_OK : APDU_ERR_BAD_DATA;
}

/* Calls parse on each entry of a directory file up to its padding. */
static enum apdu_err parse_directory(const uint8_t *buf, size_t len, void *out, size_t size,
                                     size_t max, size_t *n,
                                     enum apdu_err (*parse)(const struct der_item *, void *))
{
	struct der_reader r = der_reader_of(buf, len);
	struct der_item entry;

	*n = 0;
	while (der_left(&r) > 0 && !is_padding(r.p[0])) {
		enum apdu_err err;

		if (file_child(&r, &entry) < 0 || !(entry.tag & DER_CONSTRUCTED) || *n == max)
			return APDU_ERR_BAD_DATA;
		err = parse(&entry, (uint8_t *)out + *n * size);
		if (err != APDU_OK)
			return err;
		(*n)++;
	}
	return APDU_OK;
}

static enum apdu_err parse_cert_entry_any(const struct der_item *entry, void *out)
{
	return parse_cert_entry(entry, out);
}

static enum apdu_err parse_key_entry_any(const struct der_item *entry, void *out)
{
	return parse_key_entry(entry, out);
}

enum apdu_err pkcs15_parse_cdf(const uint8_t *buf, size_t len, struct pkcs15_cert_ref *out,
                               size_t max, size_t *n)
{
	return parse_directory(buf, len, out, sizeof(*out), max, n, parse_cert_entry_any);
}

enum apdu_err pkcs15_parse_prkdf(const uint8_t *buf, size_t len, struct pkcs15_key_ref *out,
                                 size_t max, size_t *n)
{
	return parse_directory(buf, len, out, sizeof(*out), max, n, parse_key_entry_any);
}
