/* regsctl's output: aligned text tables, JSON documents (json-c) and time formatting. */
#ifndef REGSCTL_OUTPUT_H
#define REGSCTL_OUTPUT_H
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OUTPUT_TIME_SIZE 32

struct output_table;

/* A table of ncols columns; the first row added is the header. NULL when out of memory. */
struct output_table *output_table_new(size_t ncols);
/* Copies ncols cells (NULL or "" shows "-"); control characters are replaced.
 * Returns 0, or -1 when out of memory. */
int output_table_add(struct output_table *t, const char *const *cells);
void output_table_print(const struct output_table *t, FILE *f);
void output_table_free(struct output_table *t);

/* Adds row i of the rows behind data to t; returns 0, or -1 when out of memory. */
typedef int (*output_row_fn)(struct output_table *t, const void *data, size_t i);
/* Prints on f a table of ncols columns: header, then the n rows add_row adds. Returns 0, or -1
 * when out of memory (then nothing is printed). */
int output_table_print_rows(FILE *f, size_t ncols, const char *const *header, size_t n,
                            output_row_fn add_row, const void *data);

/* Prints obj as pretty JSON followed by a newline and releases it. Returns 0, or -1 when
 * obj is NULL (out of memory while building it). */
int output_json_emit(json_object *obj, FILE *f);
/* Adds key: string, or null when s is NULL. */
void output_json_add_string(json_object *obj, const char *key, const char *s);

/* Local time "YYYY-MM-DD HH:MM:SS" and date "YYYY-MM-DD"; "-" for 0. */
const char *output_format_time(int64_t t, char buf[OUTPUT_TIME_SIZE]);
const char *output_format_date(int64_t t, char buf[OUTPUT_TIME_SIZE]);

#endif
