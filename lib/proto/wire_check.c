/* Checking D-Bus values against their signature before anything is read from them: every
 * length within the message, alignment padding zero, strings UTF-8 without NUL, booleans 0 or 1,
 * nesting bounded. Shared by the message parser and the reader (wire_parse.c). */
#include "proto/wire_check.h"
#include "base/utf8.h"
#include <string.h>

#define DEPTH_MAX 32
#define ARRAY_MAX (64u << 20)

uint32_t wire_get32(const uint8_t *p, int big)
{
	return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
	           : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

uint64_t wire_get64(const uint8_t *p, int big)
{
	uint64_t hi = wire_get32(big ? p : p + 4, big), lo = wire_get32(big ? p + 4 : p, big);
	return hi << 32 | lo;
}

size_t wire_alignment(char type)
{
	switch (type) {
	case 'n':
	case 'q':
		return 2;
	case 'b':
	case 'i':
	case 'u':
	case 'h':
	case 's':
	case 'o':
	case 'a':
		return 4;
	case 'x':
	case 't':
	case 'd':
	case '(':
	case '{':
		return 8;
	default: /* y, g, v */
		return 1;
	}
}

static int basic(char c)
{
	return c && strchr("ybnqiuxtdsogh", c) != NULL;
}

static const char *sig_skip(const char *sig, const char *sig_end, int depth, int elem);

/* A dict entry {kv}, which may only be an array's element: a basic key, one complete type. */
static const char *skip_entry(const char *sig, const char *sig_end, int depth)
{
	if (sig + 1 >= sig_end || !basic(sig[1]))
		return NULL;
	const char *v = sig_skip(sig + 2, sig_end, depth + 1, 0);
	return v && v < sig_end && *v == '}' ? v + 1 : NULL;
}

static const char *skip_struct(const char *sig, const char *sig_end, int depth)
{
	const char *p = sig + 1;
	if (p < sig_end && *p == ')')
		return NULL; /* an empty struct is not allowed */
	while (p && p < sig_end && *p != ')')
		p = sig_skip(p, sig_end, depth + 1, 0);
	return p && p < sig_end ? p + 1 : NULL;
}

static const char *sig_skip(const char *sig, const char *sig_end, int depth, int elem)
{
	if (sig >= sig_end || depth > DEPTH_MAX)
		return NULL;
	if (basic(*sig) || *sig == 'v')
		return sig + 1;
	if (*sig == 'a')
		return sig_skip(sig + 1, sig_end, depth + 1, 1);
	if (*sig == '{')
		return elem ? skip_entry(sig, sig_end, depth) : NULL;
	return *sig == '(' ? skip_struct(sig, sig_end, depth) : NULL;
}

const char *wire_sig_skip(const char *sig, const char *sig_end, int depth)
{
	return sig_skip(sig, sig_end, depth, 0);
}

const char *wire_sig_skip_element(const char *sig, const char *sig_end, int depth)
{
	return sig_skip(sig, sig_end, depth, 1);
}

int wire_signature_valid(const char *sig)
{
	size_t n = strlen(sig);
	const char *p = sig, *end = sig + n;
	if (n >= WIRE_SIGNATURE_MAX)
		return 0;
	while (p && p < end)
		p = wire_sig_skip(p, end, 0);
	return p == end;
}

int wire_align(struct wire_cursor *c, size_t align)
{
	size_t to = (c->pos + align - 1) / align * align;
	if (to > c->end)
		return -1;
	for (; c->pos < to; c->pos++)
		if (c->data[c->pos] != 0)
			return -1;
	return 0;
}

static int take(struct wire_cursor *c, size_t align, size_t n, size_t *at)
{
	if (wire_align(c, align) != 0 || c->end - c->pos < n)
		return -1;
	*at = c->pos;
	c->pos += n;
	return 0;
}

/* A string of len bytes at c->pos, then its NUL: no NUL inside, UTF-8. */
static int check_text(struct wire_cursor *c, size_t len)
{
	const char *s = (const char *)c->data + c->pos;
	if (c->end - c->pos < len + 1 || s[len] != '\0' || memchr(s, '\0', len))
		return -1;
	if (!utf8_valid(s))
		return -1;
	c->pos += len + 1;
	return 0;
}

static int check_path(const char *s)
{
	if (s[0] != '/')
		return -1;
	for (const char *p = s + 1; *p; p++) {
		int ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		         (*p >= '0' && *p <= '9') || *p == '_' || (*p == '/' && p[-1] != '/');
		if (!ok)
			return -1;
	}
	return s[1] && s[strlen(s) - 1] == '/' ? -1 : 0;
}

int wire_check_string(struct wire_cursor *c, char type)
{
	size_t at;
	if (type == 'g') {
		if (take(c, 1, 1, &at) != 0 || check_text(c, c->data[at]) != 0)
			return -1;
		return wire_signature_valid((const char *)c->data + at + 1) ? 0 : -1;
	}
	if (take(c, 4, 4, &at) != 0)
		return -1;
	uint32_t len = wire_get32(c->data + at, c->big_endian);
	if (len > c->end - c->pos || check_text(c, len) != 0)
		return -1;
	return type == 'o' ? check_path((const char *)c->data + at + 4) : 0;
}

static int check_fixed(struct wire_cursor *c, char type)
{
	size_t at, n = wire_alignment(type);
	if (take(c, n, n, &at) != 0)
		return -1;
	if (type == 'b' && wire_get32(c->data + at, c->big_endian) > 1)
		return -1;
	return 0;
}

static int check_array(struct wire_cursor *c, const char *elem, const char *elem_end, int depth)
{
	size_t at;
	if (take(c, 4, 4, &at) != 0)
		return -1;
	uint32_t len = wire_get32(c->data + at, c->big_endian);
	if (len > ARRAY_MAX || wire_align(c, wire_alignment(*elem)) != 0 || len > c->end - c->pos)
		return -1;
	struct wire_cursor in = *c;
	in.end = c->pos + len;
	while (in.pos < in.end)
		if (wire_check_value(&in, elem, elem_end, depth + 1) != 0)
			return -1;
	c->pos = in.end;
	return 0;
}

static int check_variant(struct wire_cursor *c, int depth)
{
	size_t at = c->pos;
	if (wire_check_string(c, 'g') != 0)
		return -1;
	const char *sig = (const char *)c->data + at + 1;
	size_t n = c->data[at];
	const char *end = wire_sig_skip(sig, sig + n, depth + 1);
	if (n == 0 || end != sig + n)
		return -1; /* a variant holds exactly one complete type */
	return wire_check_value(c, sig, sig + n, depth + 1);
}

int wire_check_value(struct wire_cursor *c, const char *sig, const char *sig_end, int depth)
{
	const char *next = wire_sig_skip_element(sig, sig_end, depth);
	if (!next || depth > DEPTH_MAX)
		return -1;
	switch (*sig) {
	case 's':
	case 'o':
	case 'g':
		return wire_check_string(c, *sig);
	case 'v':
		return check_variant(c, depth);
	case 'a':
		return check_array(c, sig + 1, next, depth);
	case '(':
	case '{':
		if (wire_align(c, 8) != 0)
			return -1;
		for (const char *p = sig + 1; p < next - 1; p = wire_sig_skip(p, next, depth + 1))
			if (wire_check_value(c, p, next - 1, depth + 1) != 0)
				return -1;
		return 0;
	case 'h':
		return -1; /* no file descriptors are passed to or from regsd */
	default:
		return check_fixed(c, *sig);
	}
}
