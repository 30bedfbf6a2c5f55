/*
 * env.h: environments, exokern's unit of protection: one user program in
 * ring 3 with its own address space, its info page, and the pages it owns
 * through core (its env id is their owner).
 *
 * Environments come from the boot modules (env_create), run round robin
 * (sched.c), may sleep waiting for disk I/O (ENV_IOWAIT), and end by
 * SYS_exit or by being killed for a fault; env_exit then waits for their
 * disk I/O and returns all their pages.  curenv is the one whose
 * registers the current trap saved (NULL while the kernel idles).
 */
#ifndef EXOKERN_ENV_H
#define EXOKERN_ENV_H

#include <exo/info.h>

#include "multiboot.h"
#include "trap.h"
#include "vm.h"

#define NENV 64

enum env_state {
	ENV_FREE = 0,
	ENV_RUNNABLE,
	ENV_IOWAIT, /* asleep in io_reap until disk completions wake it */
};

struct env {
	struct trapframe tf;     /* saved user registers */
	uint32_t id;             /* owner id in core; never reused */
	enum env_state state;
	struct aspace as;
	struct exo_info *info;   /* kernel address of the info page */
	uint64_t npages;         /* pages owned through core */
	uint64_t slices;         /* time slices received */
	uint64_t syscalls;       /* system calls made */
	uint64_t run_ns;         /* processor time, its system calls included */
	uint64_t revoke_last;    /* clock_ns() of the last revocation asked */
	char name[BOOT_CMDLINE]; /* the module's command line */
	uint8_t fpu[512] __attribute__((aligned(16))); /* fxsave area */
};

extern struct env envs[NENV];
extern struct env *curenv;

/* Load a static ELF module into a new environment: 0, EXO_EINVAL (bad
 * ELF), EXO_ENOMEM. */
int env_create(const struct boot_module *m);
noreturn void env_run(struct env *e);
/* The processor now works for e (NULL: idles): the time since the last
 * switch is charged to the environment it worked for until now, kernel
 * work after that environment's traps included. */
void env_cpu_switch(struct env *e);
/* End e (exit or kill): print why, free everything, schedule another. */
noreturn void env_exit(struct env *e, const char *why, int64_t status);

/* sched.c */
noreturn void sched(void);
noreturn void sched_tick(void);
extern unsigned env_killed; /* how many environments were killed */
extern int sched_idling;    /* the kernel waits in idle_wait() */

#endif
