/* Mailing codes (R8, R9.5): an RFC 5322 message (compose.c) and its delivery over SMTP with TLS
 * (send.c). The texts are regsd's: daemon/mailtexts.h. */
#ifndef REGS_MAIL_H
#define REGS_MAIL_H
#include "base/config.h"
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

#define MAIL_ADDRESS_MAX 254 /* RFC 5321 path limit less the angle brackets */
#define MAIL_SUBJECT_MAX 512 /* bytes of UTF-8 before encoding */
#define MAIL_ERROR_MAX 256   /* a comfortable errbuf size for mail_send */

/* 1 when addr is a plausible ASCII mailbox "local@domain": one '@', both
 * sides non-empty, no blanks, controls, quotes or brackets, at most
 * MAIL_ADDRESS_MAX bytes. Also what SetEmail should accept. */
int mail_address_valid(const char *addr);

/* Builds the whole message in *out (malloc'd, NUL-terminated, CRLF line
 * ends): From (system_name <smtp_from>), To, Subject (RFC 2047 B-encoded
 * when not plain ASCII), Date (UTC, from now), Message-ID, MIME headers and
 * the body as UTF-8 text in base64. A CR or LF in to or subject, or an
 * implausible to, gives REGS_ERR_INVALID; an implausible smtp_from
 * REGS_ERR_CONFIG. The message holds the code: free it with
 * regs_free_secret_str. */
enum regs_err mail_compose(const struct regs_config *cfg, const char *to, const char *subject,
                           const char *body, int64_t now, char **out);

/* Sends message to one recipient through cfg->smtp_url with libcurl. TLS:
 * smtps:// from the start; smtp:// with STARTTLS, which is required unless
 * smtp_starttls = optional and no AUTH is configured (a password never goes
 * out in the clear). The server certificate and host name are always
 * verified (smtp_ca_file or the system store). AUTH when smtp_user is set,
 * with the first line of smtp_password_file (O_NOFOLLOW, regular, owned by
 * root or the euid, mode & 077 == 0). Blocks for at most
 * smtp_timeout_seconds. On failure errbuf gets a short reason (never the
 * password): REGS_ERR_IO for connection, TLS, AUTH or SMTP failures,
 * REGS_ERR_PERM or REGS_ERR_IO for the password file, REGS_ERR_CONFIG when
 * smtp_url is empty, REGS_ERR_INVALID for a bad to. */
enum regs_err mail_send(const struct regs_config *cfg, const char *to, const char *message,
                        char *errbuf, size_t errlen);

#endif
