/* A certificate's public key as an OpenSSH authorized_keys line (R11.4). */
#ifndef REGS_SSHKEY_H
#define REGS_SSHKEY_H
#include "base/error.h"
#include <stddef.h>
#include <stdint.h>

/* Room for the longest line we make (RSA up to SSHKEY_MAX_RSA_BITS). */
#define SSHKEY_LINE_MAX 3072 /* an 8192-bit RSA key fits */
#define SSHKEY_MAX_RSA_BITS 8192

/* Writes "ssh-rsa AAAA..." or "ecdsa-sha2-nistp256|384|521 AAAA..." (no comment, no
 * newline) for the public key of the DER certificate: the same line `ssh-keygen -i -m
 * PKCS8` makes from that key. REGS_ERR_INVALID when the certificate does not parse, has
 * any other key type or curve (Ed25519, brainpool...) or an RSA key above
 * SSHKEY_MAX_RSA_BITS; REGS_ERR_CRYPTO when OpenSSL fails. */
enum regs_err sshkey_from_certificate(const uint8_t *der, size_t len, char *line, size_t size);

#endif
