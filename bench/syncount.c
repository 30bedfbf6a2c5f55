/*
 * syncount.c: counts this process's fsync, fdatasync and msync calls.
 *
 * LMDB makes its commits durable with fdatasync (and writes its meta page
 * with O_DSYNC), and offers no counter of its own.  exobench defines the
 * three calls here; the dynamic linker binds liblmdb's (and libsqlite3's)
 * calls to these definitions in the executable, which count and then make
 * the system call themselves.  syncount_get() returns the total.
 */
#include "syncount.h"

#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static _Atomic uint64_t n_syncs;

static void count(void)
{
	atomic_fetch_add_explicit(&n_syncs, 1, memory_order_relaxed);
}

int fsync(int fd)
{
	count();
	return (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd)
{
	count();
	return (int)syscall(SYS_fdatasync, fd);
}

int msync(void *addr, size_t len, int flags)
{
	count();
	return (int)syscall(SYS_msync, addr, len, flags);
}

uint64_t syncount_get(void)
{
	return atomic_load(&n_syncs);
}
