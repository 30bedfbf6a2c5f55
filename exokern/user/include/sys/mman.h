/*
 * sys/mman.h: the names code written for Linux expects.  exokern programs
 * map pages with SYS_page_map (ulib.h), not files: msync fails with
 * ENOSYS (posix.c).
 */
#ifndef EXOKERN_SYS_MMAN_H
#define EXOKERN_SYS_MMAN_H

#include <sys/types.h>

#define MS_ASYNC      1
#define MS_SYNC       4
#define MS_INVALIDATE 2

int msync(void *addr, size_t len, int flags);

#endif
