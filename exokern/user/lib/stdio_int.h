/*
 * stdio_int.h: the FILE of exokern programs, shared by printf.c (output,
 * files) and scanf.c (input).  A FILE is the console (F_OUT), the empty
 * stdin (F_IN) or a read-only text in memory (F_MEM: /proc/self/io).
 */
#ifndef EXOKERN_STDIO_INT_H
#define EXOKERN_STDIO_INT_H

#include <stdio.h>

enum { F_OUT = 1, F_IN, F_MEM };

struct exo_file {
	int kind;
	int err, eof;
	char *buf; /* F_MEM: the text, len bytes, read up to pos */
	size_t len, pos;
};

/* The next character of f, or EOF (setting f's end-of-file flag). */
int file_getc(FILE *f);
/* Give back the character file_getc just returned (not EOF). */
void file_ungetc(FILE *f);

#endif
