/* Reading a method call's arguments: what every handler shares besides replies (reply.h). */
#ifndef REGSD_REQUEST_H
#define REGSD_REQUEST_H
#include "daemon.h"

/* Reads the string arguments of r->msg (its signature is already checked). */
void request_strings(struct request *r, const char **out, int n);

#endif
