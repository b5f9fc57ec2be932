/* What the Google and mobile citizen certificate logins share: waiting for the phone with a
 * countdown in the prompt (sshd shows info text only with a prompt), and the outcome. */
#ifndef PAM_REGS_OOBLOGIN_H
#define PAM_REGS_OOBLOGIN_H
#include "flows.h"
#include <time.h>

struct oob_wait {
	int kind;              /* MSG_METHOD_GOOGLE or MSG_METHOD_MOBILE */
	const char *handle;    /* regsd's flow */
	const char *info;      /* shown with the first prompt */
	uint32_t seconds_left; /* as regsd last said */
	time_t deadline;       /* filled by oob_wait: the countdown runs on between answers */
};

/* Prompts "press Enter" with a countdown until regsd reports a settled
 * state; 'q' shows the QR of a mobile transaction. Returns the state
 * (enum regs_oob_state), or -1 with *rc set when the conversation or regsd failed. */
int oob_wait(struct flow *f, struct oob_wait *w, uint32_t *lock_seconds, int *rc);
/* Shows why the flow ended; the PAM code for it. */
int oob_refuse(struct flow *f, int kind, uint32_t state, uint32_t lock_seconds);
/* Shows why regsd did not start the flow; the PAM code for it. */
int oob_not_started(struct flow *f, int kind, enum regs_client_err err);

#endif
