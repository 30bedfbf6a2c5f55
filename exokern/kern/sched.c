/*
 * sched.c: round-robin scheduling of environments.
 *
 * The timer interrupts SLICE_HZ times a second; each tick ends the running
 * environment's time slice (sched_tick), lets revocation deadlines expire,
 * and runs the next runnable environment after it in the table.  Yielding
 * gives up the rest of a slice.  Every slice an environment receives is
 * counted on its info page (slices; slice_ns is the tick period).
 *
 * When no environment can run but some sleep waiting for disk I/O, the
 * kernel idles (idle_wait: interrupts on, hlt, on a fresh kernel stack)
 * until an interrupt; trap() then handles it and calls sched() again.
 * When no environment is left, the kernel reports and makes QEMU exit
 * with QEMU_EXIT_SUCCESS: tests judge the run by that status and the
 * console.
 */
#include "dev.h"
#include "env.h"
#include "kern.h"
#include "revoke.h"
#include "x86.h"

unsigned env_killed;
int sched_idling;
static int sched_last = NENV - 1; /* slot of the last env picked */

static noreturn void sched_done(void)
{
	kprintf("exokern: all environments exited (%u killed)\n", env_killed);
	qemu_exit(QEMU_EXIT_SUCCESS);
	for (;;)
		hlt();
}

static noreturn void sched_idle(void)
{
	curenv = NULL;
	sched_idling = 1;
	env_cpu_switch(NULL);
	vm_switch(NULL);
	idle_wait();
}

noreturn void sched(void)
{
	int sleeping = 0;

	sched_idling = 0;
	for (int i = 1; i <= NENV; i++) {
		int slot = (sched_last + i) % NENV;
		struct env *e = &envs[slot];

		if (e->state == ENV_RUNNABLE) {
			sched_last = slot;
			e->slices++;
			env_run(e);
		}
		sleeping |= e->state == ENV_IOWAIT;
	}
	if (sleeping)
		sched_idle();
	sched_done();
}

noreturn void sched_tick(void)
{
	pic_eoi(IRQ_TIMER);
	revoke_expire(clock_ns());
	sched();
}
