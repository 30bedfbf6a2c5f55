/*
 * ut_swtch.S: the context switch of user-level threads (uthread.c).
 *
 * ut_swtch(&old_rsp, new_rsp) pushes the callee-saved registers on the
 * current stack, stores the stack pointer in *old_rsp, loads new_rsp and
 * pops the registers the other thread pushed when it was switched out:
 * it returns in the other thread.  A new thread's stack is built to look
 * switched out, with ut_entry as the return address; ut_entry calls
 * ut_thread_main (which never returns) on a 16-byte aligned stack.
 */
	.text
	.globl ut_swtch
ut_swtch:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, (%rdi)
	mov	%rsi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

	.globl ut_entry
ut_entry:
	xor	%ebp, %ebp
	call	ut_thread_main
	ud2

	.section .note.GNU-stack, "", @progbits
