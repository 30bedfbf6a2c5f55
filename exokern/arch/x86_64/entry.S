/*
 * entry.S: every way into the kernel and back out to user mode.
 *
 * Interrupts and exceptions enter through trap_vectors[n]: a stub pushes
 * a zero error code where the CPU does not, then the vector number, then
 * alltraps pushes the general registers, completing a struct trapframe
 * (kern/trap.h) on the kernel stack, and calls trap(tf), which never
 * returns: a trap from user mode ends in env_run(), one from the kernel in
 * panic() (the kernel runs with interrupts off, so that is a fault).
 *
 * `syscall` enters at syscall_entry with interrupts off (SFMASK clears IF),
 * the user's rip in rcx and rflags in r11.  There is one CPU and the kernel
 * is never interrupted, so a global holds the user rsp while the same
 * trapframe is built on the kernel stack; syscall_trap(tf) never returns.
 *
 * env_pop_tf(tf) returns to user mode with iretq, restoring every register;
 * env_pop_tf_sysret(tf) uses sysretq, which loads rip from rcx and rflags
 * from r11, so it is used only for frames that came from `syscall`.
 *
 * idle_wait() is where the kernel waits when no environment can run: it
 * moves to the top of the kernel stack (nothing below is live: every path
 * into the kernel ends in a noreturn call), enables interrupts and halts.
 * The interrupt enters alltraps like any other; trap() never returns here.
 */
#include "mmu.h"
#include "trapno.h"

/* The exceptions for which the CPU pushes an error code: 8, 10-14, 17,
 * 21, 29, 30. */
#define ERRCODE_VECTORS 0x60227d00

	.altmacro
	.macro VECTOR n
	.text
	.align 16
vector\n:
	.if (ERRCODE_VECTORS >> \n) & 1
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	alltraps
	.pushsection .rodata
	.quad	vector\n
	.popsection
	.endm

	.section .rodata
	.align 8
	.globl trap_vectors
trap_vectors:
	.set i, 0
	.rept T_NVECTORS
	VECTOR %i
	.set i, i + 1
	.endr

	.text
alltraps:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	call	trap
	ud2

	.globl env_pop_tf
env_pop_tf:
	mov	%rdi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp /* trapno and err */
	iretq

	.globl syscall_entry
syscall_entry:
	mov	%rsp, syscall_user_rsp(%rip)
	lea	kstack_top(%rip), %rsp
	pushq	$(SEL_UDATA | 3)
	pushq	syscall_user_rsp(%rip)
	push	%r11
	pushq	$(SEL_UCODE | 3)
	push	%rcx
	pushq	$0
	pushq	$T_SYSCALL
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	call	syscall_trap
	ud2

	.globl env_pop_tf_sysret
env_pop_tf_sysret:
	mov	%rdi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	mov	16(%rsp), %rcx /* rip */
	mov	32(%rsp), %r11 /* rflags */
	mov	40(%rsp), %rsp /* the user's rsp */
	sysretq

	.globl idle_wait
idle_wait:
	lea	kstack_top(%rip), %rsp
	sti
1:	hlt
	jmp	1b

	.bss
	.align 8
syscall_user_rsp:
	.quad 0

	.section .note.GNU-stack, "", @progbits
