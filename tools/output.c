/* regsctl's output: aligned text tables, JSON documents (json-c) and time formatting. */
#include "output.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

struct output_table {
	size_t ncols;
	size_t nrows;
	size_t capacity; /* rows */
	char **cells;    /* nrows * ncols, row-major */
};

struct output_table *output_table_new(size_t ncols)
{
	struct output_table *t = calloc(1, sizeof(*t));

	if (t)
		t->ncols = ncols;
	return t;
}

/* Copies a cell, replacing C0/C1 control characters so that names from the
 * log (service, remote host) cannot drive the terminal. */
static char *copy_cell(const char *s)
{
	char *copy;

	if (!s || !*s)
		s = "-";
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (unsigned char *p = (unsigned char *)copy; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			p[0] = p[1] = '?';
	}
	return copy;
}

static int table_grow(struct output_table *t)
{
	size_t capacity = t->capacity ? t->capacity * 2 : 16;
	char **cells = reallocarray(t->cells, capacity * t->ncols, sizeof(*cells));

	if (!cells)
		return -1;
	t->cells = cells;
	t->capacity = capacity;
	return 0;
}

int output_table_add(struct output_table *t, const char *const *cells)
{
	char **row;

	if (t->nrows == t->capacity && table_grow(t) < 0)
		return -1;
	row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = copy_cell(cells[i]);
		if (!row[i]) {
			while (i > 0)
				free(row[--i]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

/* Columns a string takes on the terminal; counts UTF-8 characters when the
 * locale cannot say (C locale). */
static size_t text_width(const char *s)
{
	size_t width = 0;
	mbstate_t state;

	if (MB_CUR_MAX > 1) {
		memset(&state, 0, sizeof(state));
		for (const char *p = s; *p;) {
			wchar_t wc;
			size_t len = mbrtowc(&wc, p, strlen(p), &state);
			int w;

			if (len == (size_t)-1 || len == (size_t)-2 || len == 0)
				goto count_characters;
			w = wcwidth(wc);
			width += w > 0 ? (size_t)w : 0;
			p += len;
		}
		return width;
	}
count_characters:
	width = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		width += (*p & 0xc0) != 0x80;
	return width;
}

void output_table_print(const struct output_table *t, FILE *f)
{
	size_t *widths = calloc(t->ncols ? t->ncols : 1, sizeof(*widths));

	if (!widths)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > widths[c])
				widths[c] = w;
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, f);
			if (c + 1 < t->ncols)
				fprintf(f, "%*s", (int)(widths[c] - text_width(cell) + 2), "");
		}
		fputc('\n', f);
	}
	free(widths);
}

void output_table_free(struct output_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int output_table_print_rows(FILE *f, size_t ncols, const char *const *header, size_t n,
                            output_row_fn add_row, const void *data)
{
	struct output_table *t = output_table_new(ncols);
	int ret = -1;

	if (!t || output_table_add(t, header) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (add_row(t, data, i) < 0)
			goto out;
	}
	output_table_print(t, f);
	ret = 0;
out:
	output_table_free(t);
	return ret;
}

int output_json_emit(json_object *obj, FILE *f)
{
	if (!obj)
		return -1;
	fputs(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE),
	      f);
	fputc('\n', f);
	json_object_put(obj);
	return 0;
}

void output_json_add_string(json_object *obj, const char *key, const char *s)
{
	json_object_object_add(obj, key, s ? json_object_new_string(s) : NULL);
}

static const char *format_local(int64_t t, int with_clock, char buf[OUTPUT_TIME_SIZE])
{
	time_t when = (time_t)t;
	struct tm tm;

	if (t == 0 || !localtime_r(&when, &tm))
		return "-";
	if (strftime(buf, OUTPUT_TIME_SIZE, with_clock ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d", &tm) ==
	    0)
		return "-";
	return buf;
}

const char *output_format_time(int64_t t, char buf[OUTPUT_TIME_SIZE])
{
	return format_local(t, 1, buf);
}

const char *output_format_date(int64_t t, char buf[OUTPUT_TIME_SIZE])
{
	return format_local(t, 0, buf);
}
