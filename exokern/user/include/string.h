/*
 * string.h: the string and memory functions of exokern programs: those of
 * klibc.h (exokern/lib/string.c, shared with the kernel) and the few more
 * the libOS and its programs use (exokern/user/lib/ustring.c).
 */
#ifndef EXOKERN_STRING_H
#define EXOKERN_STRING_H

#include "klibc.h"

void *memchr(const void *s, int c, size_t n);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
char *strdup(const char *s);
char *strndup(const char *s, size_t n);
char *strstr(const char *hay, const char *needle);
char *strchrnul(const char *s, int c);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strerror(int err);

#endif
