/* Wall-clock time for every rule that depends on it (TOTP steps, locks, expiry). */
#ifndef REGS_CLOCK_H
#define REGS_CLOCK_H
#include <stdint.h>

/* Seconds since the epoch. A build with REGS_TEST_CLOCK (the test daemon
 * only, never installed) adds the offset in seconds read from the file named
 * by $REGS_TEST_CLOCK_FILE at each call; production builds have no hook. */
int64_t regs_now(void);

#endif
