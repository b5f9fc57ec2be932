/* Text for clients that show one line of ASCII per message (web consoles such as Cockpit). */
#include "plaintext.h"
#include <stdlib.h>
#include <string.h>

static char ascii_of(unsigned char c)
{
	if (c == '\n' || c == '\t' || c == '\r')
		return ' ';
	if (c == '"')
		return '\'';
	if (c == '\\')
		return '/';
	return c < 0x20 || c == 0x7f ? '?' : (char)c;
}

/* Drops "()" or "( )" left where only non-ASCII text was, with the space before it. */
static size_t drop_empty_brackets(char *out, size_t n)
{
	size_t k = n;
	if (k == 0 || out[k - 1] != ')')
		return n;
	k--;
	while (k > 0 && out[k - 1] == ' ')
		k--;
	if (k == 0 || out[k - 1] != '(')
		return n;
	k--;
	while (k > 0 && out[k - 1] == ' ')
		k--;
	return k;
}

char *plaintext_fold(const char *text)
{
	size_t len = text ? strlen(text) : 0, n = 0;
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x80)
			continue; /* every byte of a UTF-8 character */
		char a = ascii_of(c);
		if (a == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = a;
		if (a == ')')
			n = drop_empty_brackets(out, n);
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return out;
}

void plaintext_group_key(const char *key, char *out, size_t size)
{
	size_t n = 0;
	if (size == 0)
		return;
	for (size_t i = 0; key && key[i] && n + 2 < size; i++) {
		if (i > 0 && i % 4 == 0)
			out[n++] = ' ';
		out[n++] = key[i];
	}
	out[n] = '\0';
}
