/*
 * posix.c: the POSIX calls of unistd.h, sys/stat.h, sys/wait.h and
 * sys/resource.h, and errno, for exokern programs (the syncs are in
 * fsync.c).
 * Descriptors 1 and 2 write to the console, 0 reads nothing; there are
 * no files and no processes, so those calls fail with errno set.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uthread.h"
#include "ulib.h"

int errno;

ssize_t write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	return (ssize_t)fwrite(buf, 1, n, fd == 1 ? stdout : stderr);
}

ssize_t read(int fd, void *buf, size_t n)
{
	(void)buf, (void)n;
	if (fd != 0) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int close(int fd)
{
	if (fd < 0 || fd > 2) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

int unlink(const char *path)
{
	(void)path;
	errno = ENOENT;
	return -1;
}

int isatty(int fd)
{
	(void)fd;
	return 0;
}

pid_t getpid(void)
{
	return (pid_t)sys_info()->env_id;
}

noreturn void _exit(int status)
{
	exit(status);
}

unsigned sleep(unsigned seconds)
{
	uthread_sleep_ns((uint64_t)seconds * 1000000000u);
	return 0;
}

int usleep(uint64_t usec)
{
	uthread_sleep_ns(usec * 1000u);
	return 0;
}

int stat(const char *path, struct stat *st)
{
	(void)path, (void)st;
	errno = ENOENT;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	(void)fd, (void)st;
	errno = EBADF;
	return -1;
}

int mkdir(const char *path, mode_t mode)
{
	(void)path, (void)mode;
	errno = ENOSYS;
	return -1;
}

pid_t fork(void)
{
	errno = ENOSYS;
	return -1;
}

int pipe(int fd[2])
{
	(void)fd;
	errno = ENOSYS;
	return -1;
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	(void)pid, (void)status, (void)options;
	errno = ECHILD;
	return -1;
}

long syscall(long number, ...)
{
	(void)number;
	errno = ENOSYS;
	return -1;
}

static long max_kib;

int getrusage(int who, struct rusage *ru)
{
	const volatile struct exo_info *in = sys_info();
	uint64_t us = in->run_ns / 1000;
	long kib = (long)(in->pages_owned * (EXO_PAGE_SIZE / 1024));

	if (who != RUSAGE_SELF) {
		errno = EINVAL;
		return -1;
	}
	max_kib = kib > max_kib ? kib : max_kib;
	*ru = (struct rusage){
		.ru_utime = { (int64_t)(us / 1000000),
			      (int64_t)(us % 1000000) },
		.ru_maxrss = max_kib,
	};
	return 0;
}
