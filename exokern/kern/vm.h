/*
 * vm.h: page tables.  The kernel's own tables (vm_init) map PHYSMAP and
 * KERNBASE with supervisor-only 2 MiB pages; every user address space
 * (struct aspace) shares those top-half entries and owns its bottom half.
 *
 * Page-table pages come from the kernel pool; an address space may use at
 * most AS_MAXTABLES of them, so no environment can exhaust the pool by
 * scattering mappings.  The kernel reads and writes user memory only
 * through as_copyin/as_copyout, which walk the tables and check the user,
 * writable and range conditions first (EXO_EFAULT), then copy through
 * PHYSMAP: the kernel never takes a fault on a user pointer.
 */
#ifndef EXOKERN_VM_H
#define EXOKERN_VM_H

#include <stdint.h>

#define AS_MAXTABLES 256

struct aspace {
	uint64_t *pml4;    /* kernel address */
	uint64_t pml4_pa;
	uint32_t ntables;  /* page-table pages below the PML4 */
};

extern uint64_t pte_nx; /* PTE_NX when the CPU supports it, else 0 */

void vm_init(void);
void vm_switch(const struct aspace *as); /* NULL: the kernel's tables */
/* Kernel address of device memory [pa, pa+len), which PHYSMAP then maps
 * uncached; NULL if it lies beyond PHYSMAP. */
volatile void *vm_mmio(uint64_t pa, uint64_t len);

int as_init(struct aspace *as);
/* Frees the tables and the pool pages mapped without PTE_EXO; for PTE_EXO
 * pages (owned through core) it only clears page_mapva. */
void as_free(struct aspace *as);
/* The PTE of va (< USERLIM), creating tables when create; NULL if absent
 * or out of table pages. */
uint64_t *as_pte(struct aspace *as, uint64_t va, int create);
/* Map one page: EXO_EEXIST if va is mapped, EXO_ENOMEM. */
int as_map(struct aspace *as, uint64_t va, uint64_t pa, uint64_t perm);
/* Clear the PTE of va and flush it from the TLB. */
void as_unmap(struct aspace *as, uint64_t va);

/* 0 if [va, va+len) is user memory, mapped, and writable when write. */
int as_check(struct aspace *as, uint64_t va, uint64_t len, int write);
int as_copyin(struct aspace *as, void *dst, uint64_t va, uint64_t len);
int as_copyout(struct aspace *as, uint64_t va, const void *src,
	       uint64_t len);

#endif
