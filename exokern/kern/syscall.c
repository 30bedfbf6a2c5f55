/*
 * syscall.c: system-call entry and dispatch, and the calls that are not
 * about pages (console, yield, exit, info, time).
 *
 * syscall_init() points the `syscall` instruction at syscall_entry
 * (entry.S): LSTAR is the entry, STAR the selectors (see mmu.h), SFMASK
 * the flags cleared on entry (IF, so the kernel is never interrupted; DF,
 * TF, AC, NT, so user flags cannot upset kernel code).  syscall_trap()
 * saves the registers in the environment, calls the handler from the
 * table (EXO_ENOSYS for a number it has no entry for), and returns to the
 * environment with the result in rax.  The page calls are in syspage.c,
 * the disk calls in sysdisk.c.
 */
#include <exo/syscall.h>

#include "env.h"
#include "kern.h"
#include "sys.h"
#include "x86.h"

uint64_t sysarg(const struct env *e, int n)
{
	switch (n) {
	case 0:
		return e->tf.rdi;
	case 1:
		return e->tf.rsi;
	case 2:
		return e->tf.rdx;
	case 3:
		return e->tf.r10;
	case 4:
		return e->tf.r8;
	default:
		return e->tf.r9;
	}
}

int sysarg_ptr(struct env *e, int n, uint64_t len, int write, uint64_t *va)
{
	*va = sysarg(e, n);
	return as_check(&e->as, *va, len, write);
}

int sysarg_count(const struct env *e, int n, uint64_t max, uint64_t *count)
{
	*count = sysarg(e, n);
	return *count >= 1 && *count <= max ? 0 : EXO_EINVAL;
}

static int64_t sys_cputs(struct env *e)
{
	uint64_t len = sysarg(e, 1), va;
	char buf[256];
	int r;

	if (len > EXO_CPUTS_MAX)
		return EXO_EINVAL;
	r = sysarg_ptr(e, 0, len, 0, &va);
	for (uint64_t done = 0; r == 0 && done < len;) {
		uint64_t n = len - done;

		n = n < sizeof(buf) ? n : sizeof(buf);
		as_copyin(&e->as, buf, va + done, n);
		cons_write(buf, n);
		done += n;
	}
	return r ? r : (int64_t)len;
}

static int64_t sys_yield(struct env *e)
{
	e->tf.rax = 0;
	sched();
}

static int64_t sys_exit(struct env *e)
{
	env_exit(e, "exit", (int)sysarg(e, 0));
}

static int64_t sys_info(struct env *e)
{
	(void)e;
	return UINFO;
}

static int64_t sys_time(struct env *e)
{
	(void)e;
	return (int64_t)clock_ns();
}

static int64_t (*const syscalls[SYS_NCALLS])(struct env *) = {
	[SYS_cputs] = sys_cputs,
	[SYS_yield] = sys_yield,
	[SYS_exit] = sys_exit,
	[SYS_page_alloc] = sys_page_alloc,
	[SYS_page_free] = sys_page_free,
	[SYS_page_map] = sys_page_map,
	[SYS_page_unmap] = sys_page_unmap,
	[SYS_info] = sys_info,
	[SYS_time] = sys_time,
	[SYS_disk_attach] = sys_disk_attach,
	[SYS_block_alloc] = sys_block_alloc,
	[SYS_block_free] = sys_block_free,
	[SYS_block_extents] = sys_block_extents,
	[SYS_root_get] = sys_root_get,
	[SYS_root_set] = sys_root_set,
	[SYS_io_submit] = sys_io_submit,
	[SYS_io_reap] = sys_io_reap,
	[SYS_io_ring] = sys_io_ring,
};

void syscall_init(void)
{
	extern char syscall_entry[];

	wrmsr(MSR_STAR, (uint64_t)(SEL_UDATA - 8) << 48 |
				(uint64_t)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, FL_IF | FL_TF | FL_DF | FL_AC | FL_NT);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

noreturn void syscall_trap(struct trapframe *tf)
{
	struct env *e = curenv;
	uint64_t num = tf->rax;

	e->tf = *tf;
	e->syscalls++;
	if (num < SYS_NCALLS && syscalls[num])
		e->tf.rax = (uint64_t)syscalls[num](e);
	else
		e->tf.rax = (uint64_t)EXO_ENOSYS;
	env_run(e);
}
