/*
 * errno.h: errno for exokern programs.  Only the C library's own
 * functions (stdio.h, stdlib.h, ...) set it; the system calls return
 * EXO_E* codes instead.  The values are Linux's.  One errno serves every
 * user-level thread: threads switch only when they block, and a function
 * that sets errno returns before that.
 */
#ifndef EXOKERN_ERRNO_H
#define EXOKERN_ERRNO_H

extern int errno;

#define EPERM   1
#define ENOENT  2
#define EINTR   4
#define EIO     5
#define EBADF   9
#define ECHILD  10
#define EAGAIN  11
#define ENOMEM  12
#define EACCES  13
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENOTDIR 20
#define EISDIR  21
#define EINVAL  22
#define ENOSPC  28
#define ESPIPE  29
#define EROFS   30
#define EPIPE   32
#define ERANGE  34
#define ENOSYS  38
#define ENOTSUP 95
#define ETIMEDOUT 110

#endif
