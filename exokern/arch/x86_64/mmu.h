/*
 * mmu.h: the x86-64 memory layout of exokern and the paging constants.
 *
 * Virtual address space (4-level paging, 48-bit):
 *
 *   0xffffffff80100000  the kernel image, loaded at physical 1 MiB
 *                       (KERNBASE + physical address): text read-only,
 *                       rodata and data no-execute
 *   0xffff800000000000  PHYSMAP: all physical memory, supervisor, no-exec
 *   ...                 (non-canonical hole)
 *   0x00007ffffffff000  USERLIM: user addresses are below this
 *   0x00007fffffffe000  UINFO: the read-only info page (struct exo_info)
 *   0x00007fffffffd000  UIORING: the read-only completion ring (disk users)
 *   0x00007ffffffd0000  USTACKTOP: the user stack grows down from here
 *   0x0000000000400000  user programs are linked here (static ELF)
 *   0x0000000000000000  page 0 is never mapped
 *
 * The top half (PML4 slots 256..511) is the same in every address space
 * and is never user-accessible; the bottom half belongs to one environment.
 * The last user page is left out so that `syscall` can never leave a
 * non-canonical return address for `sysret` (which faults in ring 0).
 */
#ifndef EXOKERN_MMU_H
#define EXOKERN_MMU_H

#define PAGE_SIZE  4096
#define PAGE_SHIFT 12
#define HUGE_SIZE  0x200000 /* a 2 MiB page */

#define KERNBASE   0xffffffff80000000
#define KERNLINK   (KERNBASE + 0x100000) /* where the image is linked */
#define PHYSMAP    0xffff800000000000
#define USERLIM    0x00007ffffffff000
#define UINFO      0x00007fffffffe000
#define UIORING    0x00007fffffffd000
#define UMAPLIM    UIORING /* page_map and page_unmap stay below */
#define USTACKTOP  0x00007ffffffd0000
#define USTACKPAGES 16

/* Segment selectors.  sysret needs user data right below user code. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS   0x28

/* Page-table entry bits. */
#define PTE_P   0x001ull
#define PTE_W   0x002ull
#define PTE_U   0x004ull
#define PTE_PWT 0x008ull /* write-through */
#define PTE_PCD 0x010ull /* cache disabled: device memory */
#define PTE_PS  0x080ull /* 2 MiB page in a page directory */
#define PTE_G   0x100ull
#define PTE_EXO 0x200ull /* software: a page the libOS mapped (page_map) */
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* Control-register and MSR bits. */
#define CR0_PE   0x00000001
#define CR0_MP   0x00000002
#define CR0_EM   0x00000004
#define CR0_TS   0x00000008
#define CR0_NE   0x00000020
#define CR0_WP   0x00010000
#define CR0_PG   0x80000000
#define CR4_PAE  0x00000020
#define CR4_PGE  0x00000080
#define CR4_OSFXSR     0x00000200
#define CR4_OSXMMEXCPT 0x00000400
#define MSR_EFER   0xc0000080
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_SFMASK 0xc0000084
#define EFER_SCE 0x001
#define EFER_LME 0x100
#define EFER_NXE 0x800

/* RFLAGS bits. */
#define FL_CF   0x00000001
#define FL_TF   0x00000100
#define FL_IF   0x00000200
#define FL_DF   0x00000400
#define FL_IOPL 0x00003000
#define FL_NT   0x00004000
#define FL_AC   0x00040000
#define FL_ID   0x00200000

#ifndef __ASSEMBLER__
#include <stdint.h>

#define PGROUNDDOWN(a) ((uint64_t)(a) & ~(uint64_t)(PAGE_SIZE - 1))
#define PGROUNDUP(a) PGROUNDDOWN((uint64_t)(a) + PAGE_SIZE - 1)

/* Kernel virtual address of physical address pa, and back. */
#define P2V(pa) ((void *)((uint64_t)(pa) + PHYSMAP))
#define V2P(va) ((uint64_t)(va) - PHYSMAP)
/* Physical address of a symbol in the kernel image. */
#define KV2P(va) ((uint64_t)(va) - KERNBASE)

/* Index of va in the page table at level 3 (PML4) .. 0 (PT). */
#define PTX(level, va) (((uint64_t)(va) >> (12 + 9 * (level))) & 0x1ff)
#endif

#endif
