/* Text for clients that show one line of ASCII per message (web consoles such as Cockpit). */
#ifndef PAM_REGS_PLAINTEXT_H
#define PAM_REGS_PLAINTEXT_H
#include <stddef.h>

/* A malloc'd copy of text on one line of printable ASCII: line breaks and tabs become
 * spaces, runs of spaces one space, every non-ASCII character is left out (with the
 * brackets around it when nothing else was in them), and '"' and '\' become ''' and '/'
 * (Cockpit 287 copies the last message into JSON unescaped). NULL when out of memory. */
char *plaintext_fold(const char *text);

/* The key in groups of four characters for typing ("ABCD EFGH ..."); cut to fit. */
void plaintext_group_key(const char *key, char *out, size_t size);

#endif
