/*
 * ulib.h: the minimal user runtime of exokern programs.
 *
 * A program links crt0.o, then its own objects, then libexouser.a (see
 * exokern/kernel.mk), statically at 0x400000.  It defines main(argc,
 * argv); crt0.S calls it with the words of its boot module's command line
 * and passes its return value to exit().
 * The runtime gives it:
 *   - system-call stubs, one per call of exo/syscall.h (sys_*), and the
 *     raw exo_syscall() for anything else;
 *   - the disk completion ring read without system calls (io_ring_*),
 *     and io_reap, which reads the ring first and sleeps in the kernel
 *     only for what is missing;
 *   - printf to the console, buffered until a newline, so that one printf
 *     of whole lines reaches the console in one piece;
 *   - the string functions and snprintf of klibc.h, and exo_strerror;
 *   - malloc/free over pages the program allocates and maps itself, in
 *     the address range [UHEAP_BASE, UHEAP_BASE + UHEAP_MAX);
 *   - the kernel's clock without a system call (exo_clock_ns);
 *   - user-level threads and their locks (uthread.h), and enough of the
 *     C library's headers (exokern/user/include) for the libOS: string.h,
 *     stdlib.h, time.h, assert.h and the like.
 * Nothing here handles revocation: a libOS that keeps many pages must
 * watch the info page (sys_info()) and free pages when asked.
 */
#ifndef EXOKERN_ULIB_H
#define EXOKERN_ULIB_H

#include <stdnoreturn.h>

#include <exo/errno.h>
#include <exo/info.h>
#include <exo/syscall.h>
#include <exo/types.h>

#include "klibc.h"

#define UHEAP_BASE 0x0000100000000000ull
#define UHEAP_MAX  (64ull << 30)

static inline int64_t exo_syscall(uint64_t num, uint64_t a0, uint64_t a1,
				  uint64_t a2, uint64_t a3, uint64_t a4,
				  uint64_t a5)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	register uint64_t r9 __asm__("r9") = a5;
	int64_t ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(num), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* syscall.c */
int sys_cputs(const char *s, size_t len);
int sys_yield(void);
noreturn void sys_exit(int status);
int sys_page_alloc(exo_ppn hint, uint64_t n, exo_ppn *out);
int sys_page_free(exo_ppn ppn, uint64_t n);
int sys_page_map(exo_ppn ppn, void *va, uint64_t n, int flags);
int sys_page_unmap(void *va, uint64_t n);
const volatile struct exo_info *sys_info(void);
uint64_t sys_time(void);
int sys_disk_attach(const void *cap, size_t len, int flags);
int sys_block_alloc(exo_bno hint, uint64_t n, exo_bno *out);
int sys_block_free(exo_bno bno, uint64_t n);
int64_t sys_block_extents(struct exo_extent *buf, uint64_t max);
int sys_root_get(exo_bno *out);
int sys_root_set(exo_bno bno);
int sys_io_submit(const struct exo_ioreq *reqs, unsigned n);
int sys_io_reap(struct exo_iocomp *c, unsigned max, unsigned min);
const volatile struct exo_ioring *sys_io_ring(volatile uint64_t *tail);

/* ioring.c.  io_ring_init registers the runtime's tail counter and maps
 * nothing new (the ring is mapped at attach): 0 or an EXO_E* code.
 * io_ring_reap copies up to max completions that have arrived, without a
 * system call (0 before io_ring_init).  io_reap returns at least min
 * completions (fewer only when nothing else is in flight), up to max:
 * from the ring, then from sys_io_reap for the rest. */
int io_ring_init(void);
unsigned io_ring_reap(struct exo_iocomp *c, unsigned max);
int io_reap(struct exo_iocomp *c, unsigned max, unsigned min);

/* crt0.S: the TSC at the program's first instruction. */
extern uint64_t exo_start_tsc;

/* printf.c */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
void cons_flush(void);
noreturn void exit(int status);

/* malloc.c */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

void *aligned_alloc(size_t align, size_t n);

/* clock.c: nanoseconds since boot, SYS_time's clock, from the TSC. */
uint64_t exo_clock_ns(void);

/* exokern/core/errstr.c */
const char *exo_strerror(int err);

#endif
