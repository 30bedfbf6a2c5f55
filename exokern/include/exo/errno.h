/*
 * exo/errno.h: error codes of the exokernel ABI.
 *
 * Every call returns 0 or a positive count on success and one of these
 * negative codes on failure.  exo_strerror() (exokern/core/errstr.c) gives
 * "EXO_NAME: text" for each.  Nothing a caller passes crashes the kernel:
 * bad numbers, pointers, counts and overlaps all come back as a code.
 */
#ifndef EXO_ERRNO_H
#define EXO_ERRNO_H

#define EXO_OK        0
#define EXO_EINVAL   -1  /* invalid argument (bad op, zero or huge count, flags) */
#define EXO_EPERM    -2  /* the caller does not own that block or page */
#define EXO_ENOSPC   -3  /* no free run of disk blocks that large */
#define EXO_ENOMEM   -4  /* no free run of physical pages that large */
#define EXO_ERANGE   -5  /* block or page number past the end */
#define EXO_EOVERLAP -6  /* request overlaps another one in the batch or in flight */
#define EXO_EAGAIN   -7  /* submission queue full: reap completions first */
#define EXO_EIO      -8  /* the device reported an I/O error */
#define EXO_EBADDISK -9  /* not an exodb disk (no label magic) */
#define EXO_ECORRUPT -10 /* label or ownership map fails its checksum */
#define EXO_EVERSION -11 /* on-disk format version not supported */
#define EXO_EBUSY    -12 /* disk attached elsewhere, or blocks/pages under I/O */
#define EXO_ENOENT   -13 /* no such disk, owner or capability */
#define EXO_EFAULT   -14 /* bad address passed to a system call */
#define EXO_ENOSYS   -15 /* no such system call */
#define EXO_EMAPFULL -16 /* ownership map has no room for more extents/owners */
#define EXO_EEXIST   -17 /* already exists */
#define EXO_ETOOSMALL -18 /* disk too small to format */
#define EXO_EDETACHED -19 /* handle no longer attached */
#define EXO_ERRNO_MIN -19

#endif
