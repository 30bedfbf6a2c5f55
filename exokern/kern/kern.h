/*
 * kern.h: what every kernel file needs: the console (kprintf, panic), the
 * clock, and the standard headers of the freestanding kernel.
 *
 * panic("fn: reason") is for broken kernel invariants only: it prints,
 * makes QEMU exit with QEMU_EXIT_PANIC and stops.  Bad input from an
 * environment is never a panic: it is an EXO_E* code or a killed env.
 */
#ifndef EXOKERN_KERN_H
#define EXOKERN_KERN_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <exo/errno.h>
#include <exo/types.h>

#include "klibc.h"
#include "mmu.h"

/* console.c */
void cons_init(void);
void cons_write(const char *s, size_t n);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* clock.c: nanoseconds since the first instruction of the kernel. */
extern uint64_t boot_tsc; /* set by boot.S */
void clock_init(void);
uint64_t clock_ns(void);
uint64_t clock_tsc_hz(void);
uint64_t clock_ns_mult(void); /* ns per TSC tick, 32.32 fixed point */
uint64_t clock_realtime_base(void); /* ns since 1970 at time 0, or 0 */

#define SLICE_HZ 100 /* timer ticks, and so time slices, per second */
#define SLICE_NS (1000000000ull / SLICE_HZ)

#endif
