/*
 * klibc.h: the small freestanding libc shared by the kernel and the user
 * runtime: string and memory functions and printf-style formatting.
 *
 * fmt_vprint() formats into any sink: it calls put(arg, c) per character.
 * Conversions: %d %i %u %x %X %p %s %c %%, with the flags '-' and '0', a
 * width, a precision for %s (also '*'), and the length modifiers hh h l ll
 * z.  Anything else is copied as is.  snprintf() always NUL-terminates
 * (when size > 0) and returns the length the full output would have had.
 */
#ifndef EXOKERN_KLIBC_H
#define EXOKERN_KLIBC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
/* Base 2..36, or 0 for C syntax (0x hex, 0 octal); no sign, no overflow
 * check; *end (when end is not NULL) gets the first unparsed character. */
unsigned long strtoul(const char *s, char **end, int base);

typedef void (*fmt_put_fn)(void *arg, char c);
int fmt_vprint(fmt_put_fn put, void *arg, const char *fmt, va_list ap);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
