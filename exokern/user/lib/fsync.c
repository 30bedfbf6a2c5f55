/*
 * fsync.c: fsync, fdatasync and msync for exokern programs.  There are
 * no files to sync (a libOS makes its writes durable with EXO_OP_FLUSH):
 * they fail.  They have their own file so that a program defining its
 * own (a counting wrapper, say) does not clash with these.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int fsync(int fd)
{
	(void)fd;
	errno = EINVAL; /* the console cannot be synced */
	return -1;
}

int fdatasync(int fd)
{
	return fsync(fd);
}

int msync(void *addr, size_t len, int flags)
{
	(void)addr, (void)len, (void)flags;
	errno = ENOSYS;
	return -1;
}
