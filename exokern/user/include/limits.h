/*
 * limits.h: GCC's own limits.h (INT_MAX and the rest) reaches this file
 * through #include_next; it adds the POSIX limits exokern programs meet.
 */
#ifndef EXOKERN_LIMITS_H
#define EXOKERN_LIMITS_H

#define PATH_MAX 4096
#define NAME_MAX 255
#define SSIZE_MAX __LONG_MAX__

#endif
