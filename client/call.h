/* Inside the regsd client: the connection, the one call path and the reply readers that the
 * calls of client/calls_*.c and client.c share (not part of client.h). */
#ifndef REGS_CLIENT_CALL_H
#define REGS_CLIENT_CALL_H
#include "client.h"
#include "transport.h"

struct regs_client {
	struct transport t;
	int bus_only; /* regs_client_open_bus: never the direct socket */
	int timeout_ms;
	char error_name[128];
	char error_message[256];
	int error_has_wait;          /* the last error carried a typed wait (TooSoon) */
	uint32_t error_wait_seconds; /* that wait */
};

/* Decodes the fields of one reply array element into one row of a result array. */
typedef void (*regs_row_reader)(struct wire_iter *fields, void *row);

#define CLIENT_ERROR_PROTOCOL "tw.regs.Client.Protocol"
#define CLIENT_ERROR_INVALID "tw.regs.Client.InvalidArgument"
/* The D-Bus errors the client itself reports (the names libdbus would give). */
#define CLIENT_ERROR_NO_MEMORY "org.freedesktop.DBus.Error.NoMemory"
#define CLIENT_ERROR_DISCONNECTED "org.freedesktop.DBus.Error.Disconnected"
#define CLIENT_ERROR_NO_REPLY "org.freedesktop.DBus.Error.NoReply"
#define CLIENT_ERROR_NO_SERVER "org.freedesktop.DBus.Error.NoServer"

/* Records an error (name and message, for logs) and returns err. */
__attribute__((format(printf, 4, 5))) enum regs_client_err
client_set_error(struct regs_client *c, enum regs_client_err err, const char *name, const char *fmt,
                 ...);
/* Records regsd's error reply: its name, its message and the typed values after it. */
enum regs_client_err client_record_error_reply(struct regs_client *c, const struct wire_msg *reply);
/* (Re)connects: the direct socket first unless bus_only, else the system bus. */
enum regs_client_err client_connect(struct regs_client *c);
/* (Re)connects through the system bus. */
enum regs_client_err client_connect_bus(struct regs_client *c);

/* The calls. Each takes the method as REGS_METHOD(REGS_M_...) (its name, in and out
 * signatures from the bus contract), then the arguments of the in signature: 's' const char *,
 * 'u' uint32_t, 't' int64_t, 'b' int, "ay" const uint8_t * and size_t. */
/* Any reply; reply NULL discards a successful one. The reply's values stay readable until the
 * next call. */
enum regs_client_err client_call(struct regs_client *c, const char *method, const char *in_sig,
                                 const char *reply_sig, struct wire_iter *reply, ...);
/* A reply of one array of structs, decoded by read_row into a calloc'd array. */
enum regs_client_err client_call_rows(struct regs_client *c, const char *method, const char *in_sig,
                                      const char *reply_sig, size_t row_size,
                                      regs_row_reader read_row, void **out, size_t *n, ...);
/* A reply of n uint32s, stored in vals. */
enum regs_client_err client_call_uints(struct regs_client *c, const char *method,
                                       const char *in_sig, const char *reply_sig, uint32_t *vals,
                                       size_t n, ...);
/* A reply (u result, u lock_seconds_left, u failures_left). */
enum regs_client_err client_call_verdict(struct regs_client *c, const char *method,
                                         const char *in_sig, const char *reply_sig,
                                         struct regs_verdict *out, ...);
/* A reply (u result, u tries_left). */
enum regs_client_err client_call_code_verdict(struct regs_client *c, const char *method,
                                              const char *in_sig, const char *reply_sig,
                                              struct regs_code_verdict *out, ...);
/* A reply (s prefix, u expires_in[, u resend_after]) about a mailed code. */
enum regs_client_err client_call_code_sent(struct regs_client *c, const char *method,
                                           const char *in_sig, const char *reply_sig,
                                           struct regs_code_sent *out, ...);
void client_verdict_from(const uint32_t v[3], struct regs_verdict *out);

/* Reply readers: each reads one value and moves on. */
void client_copy_string(char *dst, size_t size, const char *src);
const char *client_next_string(struct wire_iter *it);
uint32_t client_next_uint32(struct wire_iter *it);
int64_t client_next_time(struct wire_iter *it);
int client_next_bool(struct wire_iter *it);

/* Calls that wait for regsd's network work get a longer timeout: the old one is returned, for
 * client_restore_timeout. */
int client_net_timeout(struct regs_client *c);
void client_restore_timeout(struct regs_client *c, int saved);

#endif
