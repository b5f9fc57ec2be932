/* Names of verification results (enum regs_result) for logs, the activity log and --json. */
#ifndef REGS_RESULT_H
#define REGS_RESULT_H
#include <stdint.h>

/* "ok", "wrong", ...; "unknown" for a number this build does not know. */
const char *regs_result_name(uint32_t result);

#endif
