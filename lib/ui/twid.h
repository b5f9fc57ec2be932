/* The Taiwanese national ID number (R4.1): a letter and nine digits with the official checksum. */
#ifndef REGS_TWID_H
#define REGS_TWID_H

/* 1 when id is exactly one letter A-Z (upper case only) followed by nine
 * digits, the first of them 1 or 2 (or 8 or 9: the new-style resident
 * certificate numbers), and the weighted checksum holds; 0 otherwise. */
int twid_valid(const char *id);

#endif
