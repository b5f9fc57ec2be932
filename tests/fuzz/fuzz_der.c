/* The DER reader (lib/base/der.c) under the CRL and the card's files: any input walked as nested
 * TLVs (constructed ones opened, 16 levels deep at most). Every item must lie inside its parent,
 * its header must be 2 to 6 bytes, a tighter bound on the length bytes must never accept what
 * the full one refuses, and der_read_whole must agree with one der_next over the same bytes. */
#include "base/der.h"
#include "fuzz_util.h"
#include <string.h>

const char fuzz_target_name[] = "der";

#define WALK_DEPTH_MAX 16

static void check_item(const struct der_reader *before, const struct der_item *it)
{
	size_t header = it->tlv_len - it->len;
	if (it->tlv != before->p || it->tlv_len > der_left(before))
		fuzz_fail("der_next: an item outside its reader");
	if (it->len > it->tlv_len || header < 2 || header > 2 + DER_LENGTH_BYTES_MAX ||
	    it->value != it->tlv + header || it->tag != it->tlv[0])
		fuzz_fail("der_next: header, value and length disagree");
}

/* A bound on the length bytes only refuses more: whatever it reads, der_next reads alike. */
static void check_bounds(const struct der_reader *r)
{
	struct der_item full;
	struct der_reader whole = *r;
	enum der_result res = der_next(&whole, &full);
	for (size_t bound = 0; bound <= DER_LENGTH_BYTES_MAX + 1; bound++) {
		struct der_reader b = *r;
		struct der_item it;
		if (der_next_bounded(&b, &it, bound) != DER_OK)
			continue;
		if (res != DER_OK || it.tlv_len != full.tlv_len || b.p != whole.p)
			fuzz_fail("der_next_bounded: read what der_next does not");
	}
}

static void walk(struct der_reader r, int depth)
{
	while (der_left(&r) > 0) {
		struct der_reader before = r;
		struct der_item it;
		check_bounds(&r);
		enum der_result res = der_next(&r, &it);
		if (res != DER_OK) {
			if (r.p != before.p)
				fuzz_fail("der_next: moved on a failure");
			return;
		}
		check_item(&before, &it);
		if ((it.tag & DER_CONSTRUCTED) && depth < WALK_DEPTH_MAX)
			walk(der_inside(&it), depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct der_reader r = der_reader_of(data, size);
	struct der_item one, whole;
	enum der_result first = der_next(&r, &one);
	enum der_result all = der_read_whole(data, size, &whole);
	if ((all == DER_OK) != (first == DER_OK && der_left(&r) == 0))
		fuzz_fail("der_read_whole: disagrees with der_next");
	fuzz_note("der_read_whole", (int)all);
	walk(der_reader_of(data, size), 0);
	return 0;
}
