/* The card over PC/SC: pcscd's context, the reader, waiting for a card, the connection held in
 * a transaction, and SCardTransmit for the APDU layer. */
#include "card/pcsc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#define READERS_MAX 16

_Static_assert(PCSC_ATR_MAX >= MAX_ATR_SIZE, "SCardStatus may write MAX_ATR_SIZE ATR bytes");

struct pcsc_link {
	SCARDCONTEXT context;
	SCARDHANDLE handle;
	int has_context, has_handle, in_transaction;
	DWORD protocol;
	char *reader;
};

enum card_status card_fail(char detail[CARD_DETAIL_SIZE], enum card_status status, const char *fmt,
                           ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, CARD_DETAIL_SIZE, fmt, ap);
	va_end(ap);
	return status;
}

enum card_status pcsc_card_status(long rv)
{
	switch (rv) {
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED:
		return CARD_NO_SERVICE;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_E_READER_UNAVAILABLE:
		return CARD_REMOVED;
	case SCARD_E_NO_MEMORY:
		return CARD_NOMEM;
	default:
		return CARD_IO;
	}
}

enum card_status pcsc_fail(char detail[CARD_DETAIL_SIZE], const char *what, long rv)
{
	return card_fail(detail, pcsc_card_status(rv), "%s: %s", what,
	                 pcsc_stringify_error((LONG)rv));
}

static long pcsc_transmit(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                          size_t *resp_len)
{
	struct pcsc_link *link = ctx;
	const SCARD_IO_REQUEST *pci =
	    link->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD n = (DWORD)*resp_len;
	LONG rv = SCardTransmit(link->handle, pci, cmd, (DWORD)len, NULL, resp, &n);

	*resp_len = rv == SCARD_S_SUCCESS ? (size_t)n : 0;
	return rv == SCARD_S_SUCCESS && n < 2 ? SCARD_W_REMOVED_CARD : rv; /* lost mid-APDU */
}

struct apdu_io pcsc_io(struct pcsc_link *link)
{
	struct apdu_io io = {pcsc_transmit, link};
	return io;
}

/* ---- readers ---- */

/* Splits the multi-string of reader names into names (at most READERS_MAX). */
static size_t split_readers(char *list, const char **names)
{
	size_t n = 0;

	for (char *p = list; *p && n < READERS_MAX; p += strlen(p) + 1)
		names[n++] = p;
	return n;
}

static enum card_status list_readers(struct pcsc_link *link, const char *wanted, char **list,
                                     const char **names, size_t *n, char *detail)
{
	DWORD len = 0;
	LONG rv = SCardListReaders(link->context, NULL, NULL, &len);

	if (rv == SCARD_E_NO_READERS_AVAILABLE || (rv == SCARD_S_SUCCESS && len <= 1))
		return card_fail(detail, CARD_NO_READER, "no card reader");
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(detail, "SCardListReaders", rv);
	*list = calloc(1, (size_t)len + 1);
	if (*list == NULL)
		return CARD_NOMEM;
	rv = SCardListReaders(link->context, NULL, *list, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		return card_fail(detail, CARD_NO_READER, "no card reader");
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(detail, "SCardListReaders", rv);
	*n = split_readers(*list, names);
	for (size_t i = 0; wanted != NULL && i < *n; i++) {
		if (strcmp(names[i], wanted) == 0) {
			names[0] = names[i];
			*n = 1;
			return CARD_OK;
		}
	}
	if (wanted != NULL)
		return card_fail(detail, CARD_NO_READER, "no reader named '%s'", wanted);
	return *n > 0 ? CARD_OK : card_fail(detail, CARD_NO_READER, "no card reader");
}

/* ---- waiting for a card ---- */

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* The first reader in states with a card; -1 when none. */
static int reader_with_card(const SCARD_READERSTATE *states, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (states[i].dwEventState & SCARD_STATE_PRESENT)
			return (int)i;
	}
	return -1;
}

/* Waits up to wait_ms for a card in one of the readers; *chosen is its index. */
static enum card_status wait_for_card(struct pcsc_link *link, const char **names, size_t n,
                                      int wait_ms, int *chosen, char *detail)
{
	SCARD_READERSTATE states[READERS_MAX];
	struct timespec start;
	DWORD timeout = 0;
	LONG rv;

	memset(states, 0, sizeof(states));
	for (size_t i = 0; i < n; i++) {
		states[i].szReader = names[i];
		states[i].dwCurrentState = SCARD_STATE_UNAWARE;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long left;

		rv = SCardGetStatusChange(link->context, timeout, states, (DWORD)n);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return pcsc_fail(detail, "SCardGetStatusChange", rv);
		*chosen = reader_with_card(states, n);
		if (*chosen >= 0)
			return CARD_OK;
		left = wait_ms == CARD_WAIT_FOREVER ? 0 : wait_ms - elapsed_ms(&start);
		if (wait_ms != CARD_WAIT_FOREVER && left <= 0)
			return card_fail(detail, CARD_NO_CARD, "no card in the reader");
		timeout = wait_ms == CARD_WAIT_FOREVER ? INFINITE : (DWORD)left;
		for (size_t i = 0; i < n; i++)
			states[i].dwCurrentState = states[i].dwEventState & ~SCARD_STATE_CHANGED;
	}
}

/* ---- connecting ---- */

static enum card_status connect_card(struct pcsc_link *link, uint8_t atr[PCSC_ATR_MAX],
                                     size_t *atr_len, char *detail)
{
	char name[MAX_READERNAME];
	DWORD atr_size = PCSC_ATR_MAX, name_len = sizeof(name), state, protocol;
	LONG rv;

	rv = SCardConnect(link->context, link->reader, SCARD_SHARE_SHARED,
	                  SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &link->handle, &link->protocol);
	if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD)
		return card_fail(detail, CARD_NO_CARD, "no card in the reader");
	if (rv == SCARD_W_UNRESPONSIVE_CARD || rv == SCARD_W_UNPOWERED_CARD ||
	    rv == SCARD_E_PROTO_MISMATCH)
		return card_fail(detail, CARD_UNKNOWN, "the card does not answer: %s",
		                 pcsc_stringify_error(rv));
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(detail, "SCardConnect", rv);
	link->has_handle = 1;
	rv = SCardStatus(link->handle, name, &name_len, &state, &protocol, atr, &atr_size);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(detail, "SCardStatus", rv);
	*atr_len = atr_size;
	rv = SCardBeginTransaction(link->handle);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(detail, "SCardBeginTransaction", rv);
	link->in_transaction = 1;
	return CARD_OK;
}

/* Remembers the reader's name for pcsc_reader_name. */
static enum card_status set_reader(struct pcsc_link *link, const char *name)
{
	free(link->reader);
	link->reader = strdup(name);
	return link->reader != NULL ? CARD_OK : CARD_NOMEM;
}

static enum card_status open_link(struct pcsc_link *link, int wait_ms, const char *wanted,
                                  uint8_t atr[PCSC_ATR_MAX], size_t *atr_len, char *detail)
{
	const char *names[READERS_MAX] = {0};
	char *list = NULL;
	size_t n = 0;
	int chosen = 0;
	enum card_status status;
	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &link->context);

	if (rv != SCARD_S_SUCCESS)
		return rv == SCARD_E_NO_MEMORY ? CARD_NOMEM
		                               : card_fail(detail, CARD_NO_SERVICE, "pcscd: %s",
		                                           pcsc_stringify_error(rv));
	link->has_context = 1;
	status = list_readers(link, wanted, &list, names, &n, detail);
	if (status == CARD_OK || (status == CARD_NO_READER && wanted != NULL)) {
		enum card_status named = set_reader(link, status == CARD_OK ? names[0] : wanted);

		status = named == CARD_OK ? status : named;
	}
	if (status == CARD_OK)
		status = wait_for_card(link, names, n, wait_ms, &chosen, detail);
	if (status == CARD_OK)
		status = set_reader(link, names[chosen]);
	if (status == CARD_OK)
		status = connect_card(link, atr, atr_len, detail);
	free(list);
	return status;
}

enum card_status pcsc_open(int wait_ms, const char *wanted, struct pcsc_link **out,
                           uint8_t atr[PCSC_ATR_MAX], size_t *atr_len,
                           char detail[CARD_DETAIL_SIZE])
{
	*atr_len = 0;
	*out = calloc(1, sizeof(**out));
	if (*out == NULL)
		return CARD_NOMEM;
	return open_link(*out, wait_ms, wanted, atr, atr_len, detail);
}

const char *pcsc_reader_name(const struct pcsc_link *link)
{
	return link && link->reader ? link->reader : "";
}

void pcsc_close(struct pcsc_link *link, int reset)
{
	if (link == NULL)
		return;
	if (link->in_transaction)
		SCardEndTransaction(link->handle, SCARD_LEAVE_CARD);
	if (link->has_handle)
		SCardDisconnect(link->handle, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
	if (link->has_context)
		SCardReleaseContext(link->context);
	free(link->reader);
	free(link);
}
