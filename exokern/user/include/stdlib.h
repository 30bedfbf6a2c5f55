/*
 * stdlib.h: what exokern programs have of the C library's stdlib:
 * the heap (malloc.c: pages of the program's own), number parsing,
 * sorting, paths, the environment and exit (stdlib.c, printf.c).  The
 * environment starts empty (a boot module has arguments only); setenv
 * fills it.
 */
#ifndef EXOKERN_STDLIB_H
#define EXOKERN_STDLIB_H

#include <stddef.h>
#include <stdnoreturn.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void *aligned_alloc(size_t align, size_t n);
int posix_memalign(void **out, size_t align, size_t n);
void free(void *p);

noreturn void exit(int status);
noreturn void abort(void);
char *getenv(const char *name);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);

long strtol(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int atoi(const char *s);
long atol(const char *s);
double strtod(const char *s, char **end);
double atof(const char *s);
/* No links or working directory on exokern: a lexical normalization
 * ("/a/./b/../c" is "/a/c"; relative paths start at "/"). */
char *realpath(const char *path, char *resolved);

void qsort(void *base, size_t n, size_t size,
	   int (*cmp)(const void *, const void *));

static inline int abs(int x)
{
	return x < 0 ? -x : x;
}

static inline long labs(long x)
{
	return x < 0 ? -x : x;
}

static inline long long llabs(long long x)
{
	return x < 0 ? -x : x;
}

#endif
