/*
 * syscall.c: one stub per exokern system call (exo/syscall.h).  Each
 * returns what the kernel returned: 0 or a count, or a negative EXO_E*.
 */
#include "ulib.h"

int sys_cputs(const char *s, size_t len)
{
	return (int)exo_syscall(SYS_cputs, (uint64_t)s, len, 0, 0, 0, 0);
}

int sys_yield(void)
{
	return (int)exo_syscall(SYS_yield, 0, 0, 0, 0, 0, 0);
}

noreturn void sys_exit(int status)
{
	exo_syscall(SYS_exit, (uint64_t)status, 0, 0, 0, 0, 0);
	for (;;) /* not reached: the kernel does not return from exit */
		;
}

int sys_page_alloc(exo_ppn hint, uint64_t n, exo_ppn *out)
{
	return (int)exo_syscall(SYS_page_alloc, hint, n, (uint64_t)out, 0, 0,
				0);
}

int sys_page_free(exo_ppn ppn, uint64_t n)
{
	return (int)exo_syscall(SYS_page_free, ppn, n, 0, 0, 0, 0);
}

int sys_page_map(exo_ppn ppn, void *va, uint64_t n, int flags)
{
	return (int)exo_syscall(SYS_page_map, ppn, (uint64_t)va, n,
				(uint64_t)flags, 0, 0);
}

int sys_page_unmap(void *va, uint64_t n)
{
	return (int)exo_syscall(SYS_page_unmap, (uint64_t)va, n, 0, 0, 0, 0);
}

const volatile struct exo_info *sys_info(void)
{
	return (const volatile struct exo_info *)exo_syscall(SYS_info, 0, 0,
							     0, 0, 0, 0);
}

uint64_t sys_time(void)
{
	return (uint64_t)exo_syscall(SYS_time, 0, 0, 0, 0, 0, 0);
}

int sys_disk_attach(const void *cap, size_t len, int flags)
{
	return (int)exo_syscall(SYS_disk_attach, (uint64_t)cap, len,
				(uint64_t)flags, 0, 0, 0);
}

int sys_block_alloc(exo_bno hint, uint64_t n, exo_bno *out)
{
	return (int)exo_syscall(SYS_block_alloc, hint, n, (uint64_t)out, 0,
				0, 0);
}

int sys_block_free(exo_bno bno, uint64_t n)
{
	return (int)exo_syscall(SYS_block_free, bno, n, 0, 0, 0, 0);
}

int64_t sys_block_extents(struct exo_extent *buf, uint64_t max)
{
	return exo_syscall(SYS_block_extents, (uint64_t)buf, max, 0, 0, 0,
			   0);
}

int sys_root_get(exo_bno *out)
{
	return (int)exo_syscall(SYS_root_get, (uint64_t)out, 0, 0, 0, 0, 0);
}

int sys_root_set(exo_bno bno)
{
	return (int)exo_syscall(SYS_root_set, bno, 0, 0, 0, 0, 0);
}

int sys_io_submit(const struct exo_ioreq *reqs, unsigned n)
{
	return (int)exo_syscall(SYS_io_submit, (uint64_t)reqs, n, 0, 0, 0,
				0);
}

int sys_io_reap(struct exo_iocomp *c, unsigned max, unsigned min)
{
	return (int)exo_syscall(SYS_io_reap, (uint64_t)c, max, min, 0, 0, 0);
}

const volatile struct exo_ioring *sys_io_ring(volatile uint64_t *tail)
{
	return (const volatile struct exo_ioring *)exo_syscall(
		SYS_io_ring, (uint64_t)tail, 0, 0, 0, 0, 0);
}
