/*
 * vm.c: the kernel's page tables and user address spaces (see vm.h).
 */
#include "kern.h"
#include "pmem.h"
#include "vm.h"
#include "x86.h"

#define GIB (1ull << 30)
#define KERN_SLOT_FIRST 256 /* PML4 slots 256..511: the kernel half */

extern uint32_t boot_nx;
extern char _text[], _etext[], _data[], _end[];

uint64_t pte_nx;
static uint64_t *kern_pml4;
static uint64_t physmap_end; /* PHYSMAP maps physical [0, physmap_end) */

static void *vm_table(void)
{
	void *t = kalloc();

	if (!t)
		panic("vm_init: kernel pool empty");
	return t;
}

/* A page directory of 2 MiB pages covering [pa, pa + 1 GiB). */
static uint64_t vm_gib(uint64_t pa, uint64_t perm)
{
	uint64_t *pd = vm_table();

	for (int i = 0; i < 512; i++)
		pd[i] = (pa + (uint64_t)i * HUGE_SIZE) | perm;
	return V2P(pd) | PTE_P | PTE_W;
}

/* The kernel image at KERNBASE in 4 KiB pages: text read-only and
 * executable, rodata read-only, data and bss writable. */
static uint64_t vm_image(void)
{
	uint64_t *pd = vm_table();

	for (uint64_t va = (uint64_t)_text; va < (uint64_t)_end;
	     va += PAGE_SIZE) {
		uint64_t *pde = &pd[PTX(1, va)], *pt, perm = PTE_P | PTE_G;

		if (!(*pde & PTE_P))
			*pde = V2P(vm_table()) | PTE_P | PTE_W;
		pt = P2V(*pde & PTE_ADDR);
		if (va >= (uint64_t)_etext)
			perm |= pte_nx;
		if (va >= (uint64_t)_data)
			perm |= PTE_W;
		pt[PTX(0, va)] = KV2P(va) | perm;
	}
	return V2P(pd) | PTE_P | PTE_W;
}

void vm_init(void)
{
	uint64_t end = pmem_maxpa(), *physmap, *kernmap;
	uint64_t perm = PTE_P | PTE_W | PTE_PS | PTE_G;

	pte_nx = boot_nx ? PTE_NX : 0;
	if (end < 4 * GIB)
		end = 4 * GIB; /* device memory below 4 GiB, for drivers */
	end = (end + GIB - 1) & ~(GIB - 1);
	physmap_end = end;
	kern_pml4 = vm_table();
	physmap = vm_table();
	kernmap = vm_table();
	for (uint64_t pa = 0; pa < end; pa += GIB)
		physmap[pa / GIB] = vm_gib(pa, perm | pte_nx);
	kernmap[PTX(2, KERNBASE)] = vm_image();
	kern_pml4[PTX(3, PHYSMAP)] = V2P(physmap) | PTE_P | PTE_W;
	kern_pml4[PTX(3, KERNBASE)] = V2P(kernmap) | PTE_P | PTE_W;
	lcr3(V2P(kern_pml4));
}

void vm_switch(const struct aspace *as)
{
	uint64_t pa = as ? as->pml4_pa : V2P(kern_pml4);

	if (rcr3() != pa)
		lcr3(pa);
}

volatile void *vm_mmio(uint64_t pa, uint64_t len)
{
	uint64_t *pdpt = P2V(kern_pml4[PTX(3, PHYSMAP)] & PTE_ADDR);

	if (pa >= physmap_end || len > physmap_end - pa)
		return NULL;
	for (uint64_t p = pa & ~(uint64_t)(HUGE_SIZE - 1); p < pa + len;
	     p += HUGE_SIZE) {
		uint64_t *pd = P2V(pdpt[p / GIB] & PTE_ADDR);

		pd[PTX(1, p)] |= PTE_PCD | PTE_PWT;
		invlpg((uint64_t)P2V(p));
	}
	return P2V(pa);
}

int as_init(struct aspace *as)
{
	as->pml4 = kalloc();
	if (!as->pml4)
		return EXO_ENOMEM;
	as->pml4_pa = V2P(as->pml4);
	as->ntables = 0;
	for (int i = KERN_SLOT_FIRST; i < 512; i++)
		as->pml4[i] = kern_pml4[i];
	return 0;
}

static void as_free_level(uint64_t *t, int level)
{
	for (int i = 0; i < 512; i++) {
		uint64_t e = t[i], pa = e & PTE_ADDR;

		if (!(e & PTE_P))
			continue;
		if (level > 0)
			as_free_level(P2V(pa), level - 1);
		else if (e & PTE_EXO)
			page_mapva[pa >> PAGE_SHIFT] = 0;
		else
			kfree(P2V(pa));
	}
	kfree(t);
}

void as_free(struct aspace *as)
{
	if (rcr3() == as->pml4_pa)
		vm_switch(NULL);
	for (int i = 0; i < KERN_SLOT_FIRST; i++)
		if (as->pml4[i] & PTE_P)
			as_free_level(P2V(as->pml4[i] & PTE_ADDR), 2);
	kfree(as->pml4);
	as->pml4 = NULL;
}

uint64_t *as_pte(struct aspace *as, uint64_t va, int create)
{
	uint64_t *t = as->pml4;

	for (int level = 3; level > 0; level--) {
		uint64_t *e = &t[PTX(level, va)];

		if (!(*e & PTE_P)) {
			void *p;

			if (!create || as->ntables >= AS_MAXTABLES)
				return NULL;
			p = kalloc();
			if (!p)
				return NULL;
			as->ntables++;
			*e = V2P(p) | PTE_P | PTE_W | PTE_U;
		}
		t = P2V(*e & PTE_ADDR);
	}
	return &t[PTX(0, va)];
}

int as_map(struct aspace *as, uint64_t va, uint64_t pa, uint64_t perm)
{
	uint64_t *pte = as_pte(as, va, 1);

	if (!pte)
		return EXO_ENOMEM;
	if (*pte & PTE_P)
		return EXO_EEXIST;
	*pte = pa | perm | PTE_P;
	return 0;
}

void as_unmap(struct aspace *as, uint64_t va)
{
	uint64_t *pte = as_pte(as, va, 0);

	if (pte)
		*pte = 0;
	if (rcr3() == as->pml4_pa)
		invlpg(va);
}

int as_check(struct aspace *as, uint64_t va, uint64_t len, int write)
{
	uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);

	if (len == 0)
		return 0;
	if (va >= USERLIM || len > USERLIM - va)
		return EXO_EFAULT;
	for (uint64_t p = PGROUNDDOWN(va); p < va + len; p += PAGE_SIZE) {
		uint64_t *pte = as_pte(as, p, 0);

		if (!pte || (*pte & need) != need)
			return EXO_EFAULT;
	}
	return 0;
}

/* Kernel address of user address va, which as_check has accepted. */
static void *as_kaddr(struct aspace *as, uint64_t va)
{
	uint64_t *pte = as_pte(as, va, 0);

	return (char *)P2V(*pte & PTE_ADDR) + (va & (PAGE_SIZE - 1));
}

int as_copyin(struct aspace *as, void *dst, uint64_t va, uint64_t len)
{
	int r = as_check(as, va, len, 0);

	while (r == 0 && len) {
		uint64_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1));

		n = n < len ? n : len;
		memcpy(dst, as_kaddr(as, va), n);
		dst = (char *)dst + n;
		va += n;
		len -= n;
	}
	return r;
}

int as_copyout(struct aspace *as, uint64_t va, const void *src,
	       uint64_t len)
{
	int r = as_check(as, va, len, 1);

	while (r == 0 && len) {
		uint64_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1));

		n = n < len ? n : len;
		memcpy(as_kaddr(as, va), src, n);
		src = (const char *)src + n;
		va += n;
		len -= n;
	}
	return r;
}
