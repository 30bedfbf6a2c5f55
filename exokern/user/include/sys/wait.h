/*
 * sys/wait.h: exokern programs have no child processes: waitpid fails
 * with ECHILD (posix.c).
 */
#ifndef EXOKERN_SYS_WAIT_H
#define EXOKERN_SYS_WAIT_H

#include <sys/types.h>

#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s)    ((s) & 0x7f)

pid_t waitpid(pid_t pid, int *status, int options);

#endif
