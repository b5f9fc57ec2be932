/* QR codes drawn in a terminal with UTF-8 half blocks (libqrencode). */
#ifndef REGS_QR_H
#define REGS_QR_H
#include "base/error.h"

/* Renders text as a QR code, two modules rows per text line, dark modules
 * drawn as the terminal's foreground on a quiet zone of 2 modules ("invert"
 * draws light modules instead, for dark terminals: the default is invert=1,
 * which scans on the usual light-on-dark terminal). Returns a malloc'd
 * string of lines ending in '\n'. */
enum regs_err qr_render_utf8(const char *text, int invert, char **out);

#endif
