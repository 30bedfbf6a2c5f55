/*
 * sys/types.h: the POSIX integer types exokern programs meet.
 */
#ifndef EXOKERN_SYS_TYPES_H
#define EXOKERN_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t ssize_t;
typedef int64_t off_t;
typedef int pid_t;
typedef unsigned mode_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;

#endif
