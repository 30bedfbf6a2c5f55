/*
 * crt0.S: where every exokern program starts.  The kernel enters _start
 * with rdi = argc, rsi = argv and a 16-byte aligned stack.  The first
 * instruction reads the TSC (exo_start_tsc), so a program can tell how
 * long the boot took to reach it.  main is called through exo_start
 * (start.c).
 */
	.text
	.globl _start
_start:
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, exo_start_tsc(%rip)
	xor	%ebp, %ebp
	call	exo_start
	mov	%eax, %edi
	call	exit
	ud2

	.bss
	.align 8
	.globl exo_start_tsc
exo_start_tsc:
	.quad 0

	.section .note.GNU-stack, "", @progbits
