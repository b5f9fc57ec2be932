/* Card answers at the APDU layer (lib/card/apdu.c). The first byte picks what the rest is: 0..3 the
 * PKCS#15 directory parsers on it as a file; 4..7 card answers (fuzz_util.h's script format) to
 * one exchange; otherwise card answers to a READ BINARY of a whole file or a directory, with
 * offset and size from the next bytes. */
#include "fuzz_util.h"
#include <string.h>

const char fuzz_target_name[] = "apdu";

static void directory(const uint8_t *buf, size_t len)
{
	size_t end = 0, n = 0;
	enum pkcs15_end e = pkcs15_directory_end(buf, len, &end);
	if ((e == PKCS15_END_FOUND || e == PKCS15_END_MORE) && end > len)
		fuzz_fail("pkcs15_directory_end: end past the buffer");
	struct pkcs15_cert_ref certs[PKCS15_ENTRIES_MAX];
	if (pkcs15_parse_cdf(buf, len, certs, PKCS15_ENTRIES_MAX, &n) == APDU_OK) {
		if (n > PKCS15_ENTRIES_MAX)
			fuzz_fail("pkcs15_parse_cdf: too many entries");
		for (size_t i = 0; i < n; i++)
			if (certs[i].id_len > PKCS15_ID_MAX || certs[i].length == 0 ||
			    certs[i].offset + certs[i].length > APDU_OFFSET_MAX + 1u)
				fuzz_fail("pkcs15_parse_cdf: an entry out of range");
	}
	struct pkcs15_key_ref keys[PKCS15_ENTRIES_MAX];
	if (pkcs15_parse_prkdf(buf, len, keys, PKCS15_ENTRIES_MAX, &n) == APDU_OK) {
		if (n > PKCS15_ENTRIES_MAX)
			fuzz_fail("pkcs15_parse_prkdf: too many entries");
		for (size_t i = 0; i < n; i++)
			if (keys[i].id_len > PKCS15_ID_MAX)
				fuzz_fail("pkcs15_parse_prkdf: an iD too long");
	}
	/* A small output array: the parsers must stop at max. */
	(void)pkcs15_parse_cdf(buf, len, certs, 1, &n);
	(void)pkcs15_parse_prkdf(buf, len, keys, 1, &n);
}

static void exchange(const uint8_t *script, size_t len)
{
	struct fuzz_script s = {script, script + len};
	struct apdu_io io = fuzz_script_io(&s);
	static const uint8_t select_cmd[] = {0x80, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00};
	static const uint8_t read_cmd[] = {0x80, 0xB0, 0x00, 0x00, 0x00};
	uint8_t data[1024];
	size_t n = 0;
	uint16_t sw;
	if (apdu_exchange(&io, read_cmd, sizeof(read_cmd), data, sizeof(data), &n, &sw) ==
	        APDU_OK &&
	    n > sizeof(data))
		fuzz_fail("apdu_exchange: more data than room");
	(void)apdu_exchange(&io, select_cmd, sizeof(select_cmd), NULL, 0, &n, &sw);
	const uint16_t path[] = {0x3F00, 0x5030, 0x4104};
	(void)apdu_select_path(&io, path, 3, &sw);
}

static void read_binary(const uint8_t *data, size_t size)
{
	if (size < 4)
		return;
	enum apdu_read_mode mode = data[0] & 1 ? APDU_READ_DIRECTORY : APDU_READ_TO_END;
	size_t offset = ((size_t)data[1] << 8 | data[2]) & 0x7FFF;
	size_t max_len = (size_t)data[3] * 16;
	struct fuzz_script s = {data + 4, data + size};
	struct apdu_io io = fuzz_script_io(&s);
	uint8_t buf[4096];
	size_t len = 0;
	uint16_t sw;
	if (apdu_read_binary_all(&io, offset, max_len, mode, buf, &len, &sw) == APDU_OK &&
	    len > max_len)
		fuzz_fail("apdu_read_binary_all: more than max_len");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] < 4)
		directory(data + 1, size - 1);
	else if (data[0] < 8)
		exchange(data + 1, size - 1);
	else
		read_binary(data + 1, size - 1);
	return 0;
}
