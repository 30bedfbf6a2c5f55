/*
 * unistd.h: the few POSIX calls exokern programs meet (posix.c).  File
 * descriptors 1 and 2 are the console; there are no files, processes or
 * terminals: the other calls fail with errno ENOSYS (or ENOENT, EBADF),
 * isatty says no, getpid is the environment's id.  fork fails: an
 * environment is one program; its threads are uthread.h's.
 */
#ifndef EXOKERN_UNISTD_H
#define EXOKERN_UNISTD_H

#include <stdnoreturn.h>
#include <sys/types.h>

#include <getopt.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t write(int fd, const void *buf, size_t n);
ssize_t read(int fd, void *buf, size_t n);
int close(int fd);
int unlink(const char *path);
int isatty(int fd);
pid_t getpid(void);
noreturn void _exit(int status);
unsigned sleep(unsigned seconds);
int usleep(uint64_t usec);
pid_t fork(void);
int pipe(int fd[2]);
long syscall(long number, ...);
int fsync(int fd);
int fdatasync(int fd);

#endif
