/* Unit tests for QR codes drawn with UTF-8 half blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "ui/qr.h"

#define QUIET_ZONE 2
#define URI                                                                                        \
	"otpauth://totp/pam_regs:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=pam_regs"    \
	"&algorithm=SHA1&digits=6&period=30"

static const char upper_half[] = "\xe2\x96\x80";
static const char lower_half[] = "\xe2\x96\x84";
static const char full_block[] = "\xe2\x96\x88";

/* Ink in the top and bottom half of the glyph at *p; advances *p. Fails on any other character. */
static void read_glyph(const char **p, int *top, int *bottom)
{
	if (**p == ' ') {
		*top = *bottom = 0;
		*p += 1;
		return;
	}
	*top = strncmp(*p, upper_half, 3) == 0 || strncmp(*p, full_block, 3) == 0;
	*bottom = strncmp(*p, lower_half, 3) == 0 || strncmp(*p, full_block, 3) == 0;
	assert_true(*top || *bottom);
	*p += 3;
}

/* Decodes a rendering back to an ink grid (side x side, row-major). Returns the side. */
static int parse_render(const char *text, unsigned char *grid, int max_side)
{
	int side = -1;
	int y = 0;
	for (const char *p = text; *p != '\0'; p++, y += 2) {
		int x = 0;
		for (; *p != '\n'; x++) {
			assert_non_null(*p);
			assert_true(x < max_side);
			int top;
			int bottom;
			read_glyph(&p, &top, &bottom);
			grid[y * max_side + x] = (unsigned char)top;
			if (y + 1 < max_side)
				grid[(y + 1) * max_side + x] = (unsigned char)bottom;
		}
		/* Every line has the same width. */
		if (side < 0)
			side = x;
		assert_int_equal(x, side);
	}
	assert_int_equal(y, ((side + 1) / 2) * 2);
	return side;
}

static void test_qr_render_matches_qrencode_modules(void **state)
{
	(void)state;
	enum { MAX_SIDE = 200 };
	unsigned char *grid = calloc(MAX_SIDE * MAX_SIDE, 1);
	char *text = NULL;
	assert_non_null(grid);
	assert_int_equal(qr_render_utf8(URI, 0, &text), REGS_OK);
	QRcode *qr = QRcode_encodeString(URI, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	assert_non_null(qr);
	int side = parse_render(text, grid, MAX_SIDE);
	assert_int_equal(side, qr->width + 2 * QUIET_ZONE);
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++) {
			int mx = x - QUIET_ZONE;
			int my = y - QUIET_ZONE;
			int inside = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width;
			int dark = inside && (qr->data[my * qr->width + mx] & 1);
			assert_int_equal(grid[y * MAX_SIDE + x], dark);
		}
	}
	QRcode_free(qr);
	free(text);
	free(grid);
}

static void test_qr_invert_draws_light_modules(void **state)
{
	(void)state;
	char *normal = NULL;
	char *inverted = NULL;
	assert_int_equal(qr_render_utf8("hello", 0, &normal), REGS_OK);
	assert_int_equal(qr_render_utf8("hello", 1, &inverted), REGS_OK);
	/* The quiet zone: blank on top when drawing dark modules, solid when inverted. */
	assert_int_equal(normal[0], ' ');
	assert_memory_equal(inverted, full_block, 3);
	/* Glyph by glyph, ink and no ink swap. */
	const char *a = normal;
	const char *b = inverted;
	while (*a != '\0' && *b != '\0') {
		if (*a == '\n') {
			assert_int_equal(*b, '\n');
			a++;
			b++;
			continue;
		}
		int top_a, bottom_a, top_b, bottom_b;
		read_glyph(&a, &top_a, &bottom_a);
		read_glyph(&b, &top_b, &bottom_b);
		assert_int_equal(top_a, !top_b);
		assert_int_equal(bottom_a, !bottom_b);
	}
	assert_int_equal(*a, *b);
	free(normal);
	free(inverted);
}

static void test_qr_different_texts_differ(void **state)
{
	(void)state;
	char *one = NULL;
	char *two = NULL;
	assert_int_equal(qr_render_utf8(URI, 1, &one), REGS_OK);
	assert_int_equal(qr_render_utf8("otpauth://totp/pam_regs:bob?secret=ABC", 1, &two),
	                 REGS_OK);
	assert_string_not_equal(one, two);
	free(one);
	free(two);
}

static void test_qr_case_sensitive(void **state)
{
	(void)state;
	char *lower = NULL;
	char *upper = NULL;
	assert_int_equal(qr_render_utf8("secret=abc", 0, &lower), REGS_OK);
	assert_int_equal(qr_render_utf8("SECRET=ABC", 0, &upper), REGS_OK);
	assert_string_not_equal(lower, upper);
	free(lower);
	free(upper);
}

static void test_qr_invalid_input_refused(void **state)
{
	(void)state;
	char *out = NULL;
	assert_int_equal(qr_render_utf8(NULL, 1, &out), REGS_ERR_INVALID);
	assert_int_equal(qr_render_utf8("", 1, &out), REGS_ERR_INVALID);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qr_render_matches_qrencode_modules),
	    cmocka_unit_test(test_qr_invert_draws_light_modules),
	    cmocka_unit_test(test_qr_different_texts_differ),
	    cmocka_unit_test(test_qr_case_sensitive),
	    cmocka_unit_test(test_qr_invalid_input_refused),
	};
	return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
