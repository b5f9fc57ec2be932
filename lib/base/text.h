/* Free text from outside (PAM service, remote host) made safe to send, store and print. */
#ifndef REGS_TEXT_H
#define REGS_TEXT_H
#include <stddef.h>

#define TEXT_FIELD_MAX 128 /* bytes with the NUL, as the activity log stores them */

/* Copies in to out (outsz bytes with the NUL): invalid UTF-8 and control
 * characters become '?', and the text is cut at a character boundary.
 * NULL becomes "". Returns out. */
char *text_sanitize(const char *in, char *out, size_t outsz);

#endif
