/* Whole reads and writes on file descriptors, retried on EINTR and short transfers. */
#ifndef REGS_FILEIO_H
#define REGS_FILEIO_H
#include <stddef.h>

/* 0 when exactly len bytes were read; -1 on an error or an early end of file. */
int regs_read_exact(int fd, void *buf, size_t len);
/* 0 when all len bytes were written; -1 on an error. */
int regs_write_all(int fd, const void *buf, size_t len);

#endif
