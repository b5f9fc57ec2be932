/* QR codes for a terminal: libqrencode modules drawn two rows per line with UTF-8 half blocks. */
#include "ui/qr.h"

#include "base/wipe.h"

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define QR_QUIET_ZONE 2

/* Half-block glyphs indexed by (top dark << 1) | bottom dark, as drawn ink. */
static const char *const qr_glyphs[4] = {" ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88"};
#define QR_GLYPH_MAX_BYTES 3

/* True when the module at (x, y) of the padded grid is dark; the quiet zone is light. */
static int qr_dark(const QRcode *qr, int x, int y)
{
	x -= QR_QUIET_ZONE;
	y -= QR_QUIET_ZONE;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

/* Appends one glyph for the modules at (x, y) and (x, y + 1). */
static char *qr_put_cell(char *w, const QRcode *qr, int x, int y, int invert)
{
	int top = qr_dark(qr, x, y);
	int bottom = qr_dark(qr, x, y + 1);
	/* invert draws the light modules as ink, for light-on-dark terminals. */
	if (invert) {
		top = !top;
		bottom = !bottom;
	}
	const char *glyph = qr_glyphs[(top << 1) | bottom];
	size_t n = strlen(glyph);
	memcpy(w, glyph, n);
	return w + n;
}

static char *qr_draw(const QRcode *qr, int invert)
{
	int side = qr->width + 2 * QR_QUIET_ZONE;
	int lines = (side + 1) / 2;
	size_t size = (size_t)lines * ((size_t)side * QR_GLYPH_MAX_BYTES + 1) + 1;
	char *out = malloc(size);
	if (out == NULL)
		return NULL;
	char *w = out;
	for (int y = 0; y < side; y += 2) {
		for (int x = 0; x < side; x++)
			w = qr_put_cell(w, qr, x, y, invert);
		*w++ = '\n';
	}
	*w = '\0';
	return out;
}

enum regs_err qr_render_utf8(const char *text, int invert, char **out)
{
	if (text == NULL || *text == '\0' || out == NULL)
		return REGS_ERR_INVALID;
	*out = NULL;
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (qr == NULL)
		return errno == ENOMEM ? REGS_ERR_NOMEM : REGS_ERR_INVALID;
	*out = qr_draw(qr, invert);
	/* The modules encode the text, which usually holds a TOTP secret. */
	regs_wipe(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
	return *out != NULL ? REGS_OK : REGS_ERR_NOMEM;
}
