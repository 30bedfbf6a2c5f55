/*
 * boot.S: the Multiboot entry of exokern.
 *
 * A Multiboot v1 loader (QEMU -kernel, GRUB) jumps to _start in 32-bit
 * protected mode with paging off, eax = the Multiboot magic and ebx = the
 * physical address of the Multiboot information.  This code, linked at its
 * physical address, records the TSC, the magic and the information pointer,
 * builds boot page tables (2 MiB pages) that map the first 4 GiB of
 * physical memory at 0 and at PHYSMAP and the first GiB at KERNBASE (all a
 * Multiboot v1 loader can hand over lies below 4 GiB), enables PAE, long
 * mode, syscall and no-execute (when the CPU has it), turns paging on, and
 * jumps to 64-bit code in the higher half, which calls kmain() on the boot
 * kernel stack.  kmain replaces these page tables (see kern/vm.c).
 */
#include "mmu.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, give a memory map */
#define PHYS(sym) ((sym) - KERNBASE)

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	mov	%eax, PHYS(boot_magic)
	mov	%ebx, PHYS(boot_mbi)
	rdtsc
	mov	%eax, PHYS(boot_tsc)
	mov	%edx, PHYS(boot_tsc) + 4

	/* Long mode is required; note whether no-execute exists. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	test	$(1 << 29), %edx
	jz	no_long_mode
	xor	%ebx, %ebx
	test	$(1 << 20), %edx
	jz	1f
	mov	$1, %ebx
	mov	%ebx, PHYS(boot_nx)
1:
	/* Zero the boot page tables (seven pages). */
	mov	$PHYS(boot_pml4), %edi
	xor	%eax, %eax
	mov	$(7 * PAGE_SIZE / 4), %ecx
	rep stosl

	/* PML4: identity and PHYSMAP share pdpt_lo; KERNBASE uses pdpt_hi. */
	mov	$(PHYS(boot_pdpt_lo) + 3), %eax
	mov	%eax, PHYS(boot_pml4)
	mov	%eax, PHYS(boot_pml4) + 8 * 256
	mov	$(PHYS(boot_pdpt_hi) + 3), %eax
	mov	%eax, PHYS(boot_pml4) + 8 * 511
	mov	$(PHYS(boot_pd) + 3), %eax
	mov	%eax, PHYS(boot_pdpt_hi) + 8 * 510
	mov	$PHYS(boot_pdpt_lo), %edi
	mov	$4, %ecx
2:	mov	%eax, (%edi)
	add	$PAGE_SIZE, %eax
	add	$8, %edi
	loop	2b

	/* Four page directories of 512 pages of 2 MiB each. */
	mov	$PHYS(boot_pd), %edi
	mov	$(PTE_P | PTE_W | PTE_PS), %eax
	mov	$2048, %ecx
3:	mov	%eax, (%edi)
	add	$HUGE_SIZE, %eax
	add	$8, %edi
	loop	3b

	mov	$PHYS(boot_pml4), %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_PGE), %eax
	mov	%eax, %cr4
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$(EFER_LME | EFER_SCE), %eax
	test	%ebx, %ebx
	jz	4f
	or	$EFER_NXE, %eax
4:	wrmsr
	mov	%cr0, %eax
	or	$(CR0_PE | CR0_PG | CR0_WP), %eax
	mov	%eax, %cr0
	lgdt	boot_gdtdesc
	ljmp	$SEL_KCODE, $start64

no_long_mode:
	mov	$no_lm_msg, %esi
	mov	$0x3f8, %dx
5:	lodsb
	test	%al, %al
	jz	6f
	outb	%al, %dx
	jmp	5b
6:	hlt
	jmp	6b

	.code64
start64:
	mov	$SEL_KDATA, %ax
	mov	%ax, %ss
	xor	%eax, %eax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	movabs	$high64, %rax
	jmp	*%rax

	.section .boot.data, "a"
	.align 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff /* SEL_KCODE: 64-bit code, ring 0 */
	.quad	0x00cf92000000ffff /* SEL_KDATA */
boot_gdtdesc:
	.word	boot_gdtdesc - boot_gdt - 1
	.long	boot_gdt
no_lm_msg:
	.asciz	"exokern: this CPU has no long mode\n"

	.text
high64:
	lea	kstack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
7:	hlt
	jmp	7b

	.data
	.align 8
	.globl boot_tsc, boot_magic, boot_mbi, boot_nx
boot_tsc:	.quad 0 /* TSC at the first instruction */
boot_magic:	.long 0
boot_mbi:	.long 0
boot_nx:	.long 0 /* 1 if EFER.NXE was set */

	.bss
	.align PAGE_SIZE
boot_pml4:	.space PAGE_SIZE
boot_pdpt_lo:	.space PAGE_SIZE
boot_pdpt_hi:	.space PAGE_SIZE
boot_pd:	.space 4 * PAGE_SIZE
	.globl kstack, kstack_top
kstack:		.space 4 * PAGE_SIZE
kstack_top:

	.section .note.GNU-stack, "", @progbits
