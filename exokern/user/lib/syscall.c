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
