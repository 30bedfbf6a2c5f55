/*
 * printf.c: console output for user programs.  Output collects in a
 * buffer that goes to the kernel (SYS_cputs) when it fills, when a printf
 * ends with a newline, and at exit, so lines from different programs do
 * not interleave on the console.
 */
#include "ulib.h"

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

int vprintf(const char *fmt, va_list ap)
{
	int n = fmt_vprint(out_put, NULL, fmt, ap);

	if (out_len && out_buf[out_len - 1] == '\n')
		cons_flush();
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

noreturn void exit(int status)
{
	cons_flush();
	sys_exit(status);
}
