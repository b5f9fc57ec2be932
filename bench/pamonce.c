/* One whole PAM transaction for one user, then exit: the fresh process per login (as sshd's
 * per-connection child or pamtester) that bench/pambench --exec forks and times. Links libpam
 * and libc only, so a bare run loads nothing the module does not load itself. */
#include "pamtxn.h"
#include <stdio.h>

int main(int argc, char **argv)
{
	struct pamtxn_times t;
	char why[320];
	if (argc != 4) {
		fprintf(stderr, "Usage: pamonce SERVICE USER CODE\n");
		return 2;
	}
	if (pamtxn_login(argv[1], argv[2], argv[3], &t, why, sizeof(why)) != 0) {
		fprintf(stderr, "pamonce: %s: login of %s failed: %s\n", argv[1], argv[2], why);
		return 1;
	}
	return 0;
}
