/* The PC/SC transport of the citizen card: pcscd's context, the choice of reader, waiting for a
 * card, the connection and its transaction, and SCardTransmit as the APDU layer's apdu_io. */
#ifndef REGS_PCSC_H
#define REGS_PCSC_H
#include "card/apdu.h"
#include "card/card.h"
#include <stddef.h>
#include <stdint.h>

#define PCSC_ATR_MAX 33      /* ISO 7816-3: an ATR has at most 33 bytes */
#define CARD_DETAIL_SIZE 192 /* card_error_detail's one line */

/* A failure's one-line English detail (for card_error_detail) into detail; returns status. */
__attribute__((format(printf, 3, 4))) enum card_status
card_fail(char detail[CARD_DETAIL_SIZE], enum card_status status, const char *fmt, ...);

/* What a PC/SC result (SCARD_*) means for the card: CARD_NO_SERVICE, CARD_REMOVED, CARD_NOMEM
 * or CARD_IO. */
enum card_status pcsc_card_status(long rv);
/* The same, with "what: pcscd's text of rv" as the detail. */
enum card_status pcsc_fail(char detail[CARD_DETAIL_SIZE], const char *what, long rv);

struct pcsc_link;

/* Connects to pcscd (system scope), finds the reader (wanted: that exact name; NULL: the first
 * reader with a card), waits up to wait_ms (CARD_WAIT_FOREVER: no limit) for a card, connects
 * (T=1 or T=0), reads the ATR into atr (*atr_len bytes) and begins a transaction; nothing is
 * sent to the card. *out is set whatever the status (except CARD_NOMEM) and must be closed;
 * failures write detail. */
enum card_status pcsc_open(int wait_ms, const char *wanted, struct pcsc_link **out,
                           uint8_t atr[PCSC_ATR_MAX], size_t *atr_len,
                           char detail[CARD_DETAIL_SIZE]);

/* The connected card as an APDU transport; its result is SCardTransmit's (a card lost mid-APDU:
 * SCARD_W_REMOVED_CARD). */
struct apdu_io pcsc_io(struct pcsc_link *link);

/* The reader chosen, or the one asked for when it was not found ("" when none). */
const char *pcsc_reader_name(const struct pcsc_link *link);

/* Ends the transaction, disconnects (resetting the card when reset is set, so that no other
 * program inherits a verified PIN), releases the context and frees; NULL is fine. */
void pcsc_close(struct pcsc_link *link, int reset);

#endif
