/* The benchmark users' current codes from a bench/pamcodes helper process, one pipe round trip
 * per code (before the clock starts), so that the caller links no crypto. */
#ifndef REGS_BENCH_CODESRC_H
#define REGS_BENCH_CODESRC_H

struct codesrc {
	int to_fd, from_fd;
};

/* Starts the helper program at path; exits with a message when it cannot. */
void codesrc_open(struct codesrc *c, const char *path);
/* The current code of user into out; exits with a message when the helper fails. */
void codesrc_get(struct codesrc *c, const char *user, char out[7]);

#endif
