/*
 * stdio.h: console output for exokern programs (printf.c).
 *
 * stdout and stderr both go to the console through one line buffer, so
 * their lines stay whole and in order.  stdin is empty (EOF at once).
 * There are no files but /proc/self/io (printf.c says what it holds):
 * fopen of anything else fails with errno ENOENT.  Formatting is
 * klibc.h's (floating point included); scanning is scanf.c's.
 */
#ifndef EXOKERN_STDIO_H
#define EXOKERN_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#include "klibc.h"

typedef struct exo_file FILE;

extern FILE *const stdin, *const stdout, *const stderr;

#define EOF (-1)
#define BUFSIZ 1024
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int fprintf(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int vfprintf(FILE *f, const char *fmt, va_list ap);
int sprintf(char *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fputs(const char *s, FILE *f);
int puts(const char *s);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
size_t fwrite(const void *p, size_t size, size_t n, FILE *f);
int fflush(FILE *f);
int ferror(FILE *f);
int feof(FILE *f);
void clearerr(FILE *f);
int setvbuf(FILE *f, char *buf, int mode, size_t size);
int fileno(FILE *f);

FILE *fopen(const char *path, const char *mode);
FILE *fdopen(int fd, const char *mode);
int fclose(FILE *f);
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
char *fgets(char *s, int n, FILE *f);
size_t fread(void *p, size_t size, size_t n, FILE *f);
int fscanf(FILE *f, const char *fmt, ...);
int vfscanf(FILE *f, const char *fmt, va_list ap);
int sscanf(const char *s, const char *fmt, ...);
int vsscanf(const char *s, const char *fmt, va_list ap);

void perror(const char *s);

#endif
