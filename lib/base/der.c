/* A bounded DER reader: one TLV at a time from untrusted bytes. */
#include "base/der.h"

struct der_reader der_reader_of(const uint8_t *buf, size_t len)
{
	struct der_reader r = {buf, buf != NULL ? buf + len : buf}; /* NULL + 0 is undefined */
	return r;
}

struct der_reader der_inside(const struct der_item *item)
{
	return der_reader_of(item->value, item->len);
}

size_t der_left(const struct der_reader *r)
{
	return (size_t)(r->end - r->p);
}

int der_peek(const struct der_reader *r)
{
	return r->p < r->end ? *r->p : -1;
}

enum der_result der_next_bounded(struct der_reader *r, struct der_item *item,
                                 size_t length_bytes_max)
{
	size_t left = der_left(r), header = 2, len;

	if (left < 2)
		return DER_TRUNCATED;
	if ((r->p[0] & 0x1F) == 0x1F)
		return DER_MALFORMED;
	len = r->p[1];
	if (len & 0x80) {
		size_t n = len & 0x7F;

		if (n == 0 || n > length_bytes_max || n > DER_LENGTH_BYTES_MAX)
			return DER_MALFORMED; /* indefinite, or longer than anything read here */
		if (left < 2 + n)
			return DER_TRUNCATED;
		len = 0;
		for (size_t i = 0; i < n; i++)
			len = len << 8 | r->p[2 + i];
		header += n;
	}
	if (len > left - header)
		return DER_TRUNCATED;
	item->tag = r->p[0];
	item->tlv = r->p;
	item->tlv_len = header + len;
	item->value = r->p + header;
	item->len = len;
	r->p += header + len;
	return DER_OK;
}

enum der_result der_next(struct der_reader *r, struct der_item *item)
{
	return der_next_bounded(r, item, DER_LENGTH_BYTES_MAX);
}

int der_read(struct der_reader *r, struct der_item *item)
{
	return der_next(r, item) == DER_OK ? 0 : -1;
}

int der_expect(struct der_reader *r, uint8_t tag, struct der_item *item)
{
	return der_read(r, item) == 0 && item->tag == tag ? 0 : -1;
}

enum der_result der_read_whole(const uint8_t *buf, size_t len, struct der_item *item)
{
	struct der_reader r = der_reader_of(buf, len);
	enum der_result res = der_next(&r, item);

	if (res == DER_OK && der_left(&r) != 0)
		return DER_MALFORMED;
	return res;
}
