/*
 * console.c: kprintf and panic, on the serial console.  Every line the
 * kernel prints starts with "exokern: " by convention of the callers, so
 * the test harness can tell kernel lines from user output.
 */
#include "dev.h"
#include "kern.h"
#include "x86.h"

static void cons_put(void *arg, char c)
{
	(void)arg;
	serial_putc(c);
}

void cons_init(void)
{
	serial_init();
}

void cons_write(const char *s, size_t n)
{
	while (n--)
		serial_putc(*s++);
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vprint(cons_put, NULL, fmt, ap);
	va_end(ap);
	return n;
}

noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	kprintf("exokern: panic: ");
	va_start(ap, fmt);
	fmt_vprint(cons_put, NULL, fmt, ap);
	va_end(ap);
	kprintf("\n");
	qemu_exit(QEMU_EXIT_PANIC);
	for (;;)
		hlt();
}
