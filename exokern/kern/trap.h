/*
 * trap.h: the saved user registers, and the ways into the kernel.
 *
 * A struct trapframe is what entry.S builds on the kernel stack for every
 * interrupt, exception and system call; the kernel copies it into the
 * running environment, and env_run() returns to user mode from there.
 */
#ifndef EXOKERN_TRAP_H
#define EXOKERN_TRAP_H

#include <stdint.h>
#include <stdnoreturn.h>

#include "trapno.h"

struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t trapno; /* vector, or T_SYSCALL */
	uint64_t err;    /* the CPU's error code, or 0 */
	/* as pushed by the CPU (built by syscall_entry for system calls) */
	uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trapframe) == 22 * 8, "entry.S layout");

/* arch/x86_64/cpu.c */
void gdt_init(void);
void fpu_init(void);

/* trap.c */
void idt_init(void);
noreturn void trap(struct trapframe *tf);
/* Call fn for every interrupt on PIC line irq (not the timer's). */
void irq_register(int irq, void (*fn)(void));

/* syscall.c */
void syscall_init(void);
noreturn void syscall_trap(struct trapframe *tf);

/* entry.S */
noreturn void env_pop_tf(struct trapframe *tf);
noreturn void env_pop_tf_sysret(struct trapframe *tf);
noreturn void idle_wait(void); /* on kstack_top: sti, hlt until a trap */
extern char kstack_top[];

#endif
