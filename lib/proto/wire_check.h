/* Inside the wire format code: reading numbers in either byte order, alignment, and checking a
 * value against its signature (wire_check.c), for the parser and the reader (wire_parse.c). */
#ifndef REGS_WIRE_CHECK_H
#define REGS_WIRE_CHECK_H
#include "proto/wire.h"

/* A position in a message's bytes; padding is counted from data (the message's start). */
struct wire_cursor {
	const uint8_t *data;
	size_t pos, end;
	int big_endian;
};

uint32_t wire_get32(const uint8_t *p, int big);
uint64_t wire_get64(const uint8_t *p, int big);
/* The alignment of a value of type code type. */
size_t wire_alignment(char type);
/* The end of the one complete type at sig (not past sig_end), NULL when there is none;
 * _element also takes a dict entry {kv}, which only an array may hold. */
const char *wire_sig_skip(const char *sig, const char *sig_end, int depth);
const char *wire_sig_skip_element(const char *sig, const char *sig_end, int depth);
/* Moves to the next multiple of align; the bytes passed over must be zero. 0 or -1. */
int wire_align(struct wire_cursor *c, size_t align);
/* Checks the one complete value of type sig (an array element may be a dict entry) and moves
 * past it. 0 or -1. */
int wire_check_value(struct wire_cursor *c, const char *sig, const char *sig_end, int depth);
/* Checks a string, object path ('o') or signature ('g') and moves past it. 0 or -1. */
int wire_check_string(struct wire_cursor *c, char type);

#endif
