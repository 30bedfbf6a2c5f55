/*
 * printf.c: console output for user programs, and the stdio of stdio.h.
 *
 * Output collects in a buffer that goes to the kernel (SYS_cputs) when it
 * fills, when a write ends with a newline, and at exit, so lines from
 * different programs do not interleave on the console.  stdout and
 * stderr share that buffer (their lines stay in order); stdin is empty.
 * There are no files but one: /proc/self/io, as Linux has it, made from
 * the info page's I/O counters when it is opened (read_bytes and
 * write_bytes: bytes the environment's requests moved; rchar and wchar
 * the same; syscr and syscw: its read and write requests), so that
 * programs measuring themselves the Linux way find their disk traffic.
 * fopen of anything else: ENOENT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdio_int.h"
#include "ulib.h"

static struct exo_file f_in = { .kind = F_IN }, f_out = { .kind = F_OUT },
		       f_err = { .kind = F_OUT };
FILE *const stdin = &f_in, *const stdout = &f_out, *const stderr = &f_err;

static char out_buf[1024];
static size_t out_len;

void cons_flush(void)
{
	if (out_len)
		sys_cputs(out_buf, out_len);
	out_len = 0;
}

static void out_put(void *arg, char c)
{
	(void)arg;
	if (out_len == sizeof(out_buf))
		cons_flush();
	out_buf[out_len++] = c;
}

static void out_line_done(void)
{
	if (out_len && out_buf[out_len - 1] == '\n')
		cons_flush();
}

int vprintf(const char *fmt, va_list ap)
{
	int n = fmt_vprint(out_put, NULL, fmt, ap);

	out_line_done();
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

/* 0 if f can be written, else EOF with f's error set. */
static int writable(FILE *f)
{
	if (f && f->kind == F_OUT)
		return 0;
	if (f)
		f->err = 1;
	errno = EBADF;
	return EOF;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	if (writable(f))
		return EOF;
	return vprintf(fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, SIZE_MAX, fmt, ap);
	va_end(ap);
	return n;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	const char *s = p;

	if (writable(f) || size == 0)
		return 0;
	for (size_t i = 0; i < size * n; i++)
		out_put(NULL, s[i]);
	out_line_done();
	return n;
}

int fputs(const char *s, FILE *f)
{
	size_t n = strlen(s);

	return fwrite(s, 1, n, f) == n || n == 0 ? 0 : EOF;
}

int puts(const char *s)
{
	return fputs(s, stdout) || fputc('\n', stdout) == EOF ? EOF : 0;
}

int fputc(int c, FILE *f)
{
	char ch = (char)c;

	return fwrite(&ch, 1, 1, f) == 1 ? (unsigned char)c : EOF;
}

int putc(int c, FILE *f)
{
	return fputc(c, f);
}

int putchar(int c)
{
	return fputc(c, stdout);
}

int fflush(FILE *f)
{
	if (!f || f->kind == F_OUT)
		cons_flush();
	return 0;
}

int ferror(FILE *f)
{
	return f->err;
}

int feof(FILE *f)
{
	return f->eof;
}

void clearerr(FILE *f)
{
	f->err = f->eof = 0;
}

int setvbuf(FILE *f, char *buf, int mode, size_t size)
{
	(void)f, (void)buf, (void)mode, (void)size;
	return 0;
}

int fileno(FILE *f)
{
	return f == stdin ? 0 : f == stdout ? 1 : 2;
}

/* /proc/self/io from the info page. */
static FILE *proc_self_io(void)
{
	const volatile struct exo_info *in = sys_info();
	FILE *f = calloc(1, sizeof(*f));
	char *buf = malloc(256);

	if (!f || !buf) {
		free(f);
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	f->kind = F_MEM;
	f->buf = buf;
	f->len = (size_t)snprintf(
		buf, 256,
		"rchar: %lu\nwchar: %lu\nsyscr: %lu\nsyscw: %lu\n"
		"read_bytes: %lu\nwrite_bytes: %lu\ncancelled_write_bytes: 0\n",
		in->io_bytes_read, in->io_bytes_written, in->io_reads,
		in->io_writes, in->io_bytes_read, in->io_bytes_written);
	return f;
}

FILE *fopen(const char *path, const char *mode)
{
	if (!strcmp(path, "/proc/self/io") && !strcmp(mode, "r"))
		return proc_self_io();
	errno = ENOENT;
	return NULL;
}

FILE *fdopen(int fd, const char *mode)
{
	(void)mode;
	if (fd >= 0 && fd <= 2)
		return fd == 0 ? stdin : fd == 1 ? stdout : stderr;
	errno = EBADF;
	return NULL;
}

int fclose(FILE *f)
{
	if (f && f->kind == F_MEM) {
		free(f->buf);
		free(f);
		return 0;
	}
	return fflush(f);
}

int file_getc(FILE *f)
{
	if (f->kind == F_MEM && f->pos < f->len)
		return (unsigned char)f->buf[f->pos++];
	f->eof = 1;
	return EOF;
}

void file_ungetc(FILE *f)
{
	if (f->kind == F_MEM && f->pos > 0)
		f->pos--;
}

int fgetc(FILE *f)
{
	return file_getc(f);
}

int getc(FILE *f)
{
	return file_getc(f);
}

int getchar(void)
{
	return file_getc(stdin);
}

char *fgets(char *s, int n, FILE *f)
{
	int k = 0, c = 0;

	while (k < n - 1 && c != '\n' && (c = file_getc(f)) != EOF)
		s[k++] = (char)c;
	if (n > 0)
		s[k] = '\0';
	return k ? s : NULL;
}

size_t fread(void *p, size_t size, size_t n, FILE *f)
{
	unsigned char *d = p;
	size_t k = 0;
	int c;

	while (size && k < size * n && (c = file_getc(f)) != EOF)
		d[k++] = (unsigned char)c;
	return size ? k / size : 0;
}

void perror(const char *s)
{
	if (s && *s)
		printf("%s: %s\n", s, strerror(errno));
	else
		printf("%s\n", strerror(errno));
}

noreturn void exit(int status)
{
	cons_flush();
	sys_exit(status);
}
