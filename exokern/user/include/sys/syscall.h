/*
 * sys/syscall.h: Linux system-call numbers, for code that names them.
 * exokern's own calls are in exo/syscall.h; syscall() (unistd.h) runs no
 * Linux call and fails with ENOSYS.
 */
#ifndef EXOKERN_SYS_SYSCALL_H
#define EXOKERN_SYS_SYSCALL_H

#define SYS_fsync     74
#define SYS_fdatasync 75
#define SYS_msync     26

#endif
