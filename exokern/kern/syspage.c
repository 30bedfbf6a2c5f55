/*
 * syspage.c: the page system calls (see exo/syscall.h).
 *
 * Ownership is core's (core_page_*): the kernel only adds what core cannot
 * know, the page tables.  Every call checks all of its arguments before it
 * changes anything, so a refused call has no effect.  Pages are zeroed
 * when allocated, so no environment sees another's data, and a page under
 * disk I/O cannot be freed (EXO_EBUSY).  A page is
 * mapped at most once (page_mapva), which lets page_free and repossession
 * unmap it without searching.
 */
#include <exo/syscall.h>

#include "core.h"
#include "disk.h"
#include "env.h"
#include "kern.h"
#include "pmem.h"
#include "revoke.h"
#include "sys.h"

/* A page-aligned user range of n pages starting at argument i, below the
 * kernel's pages at the top (the completion ring and the info page). */
static int arg_range(const struct env *e, int i, uint64_t n, uint64_t *va)
{
	*va = sysarg(e, i);
	if (*va % PAGE_SIZE || *va < PAGE_SIZE || *va >= UMAPLIM ||
	    n > (UMAPLIM - *va) / PAGE_SIZE)
		return EXO_EINVAL;
	return 0;
}

int64_t sys_page_alloc(struct env *e)
{
	uint64_t n, out;
	exo_ppn ppn;
	int r;

	if ((r = sysarg_count(e, 1, EXO_SYS_MAXPAGES, &n)) ||
	    (r = sysarg_ptr(e, 2, sizeof(ppn), 1, &out)))
		return r;
	r = core_page_alloc(&pages, e->id, sysarg(e, 0), n, &ppn);
	if (r == EXO_ENOMEM)
		revoke_pressure(e);
	if (r)
		return r;
	memset(P2V(ppn << PAGE_SHIFT), 0, n * PAGE_SIZE);
	e->npages += n;
	return as_copyout(&e->as, out, &ppn, sizeof(ppn));
}

int64_t sys_page_free(struct env *e)
{
	exo_ppn ppn = sysarg(e, 0);
	uint64_t n;
	int r;

	if ((r = sysarg_count(e, 1, EXO_SYS_MAXPAGES, &n)) ||
	    (r = core_page_check(&pages, e->id, ppn, n)) ||
	    (r = disk_pages_busy(e, ppn, n)))
		return r;
	for (uint64_t p = ppn; p < ppn + n; p++) {
		if (page_mapva[p])
			as_unmap(&e->as, page_mapva[p]);
		page_mapva[p] = 0;
	}
	r = core_page_free(&pages, e->id, ppn, n);
	if (r)
		panic("sys_page_free: core refused a checked free: %d", r);
	e->npages -= n;
	core_revoke_freed(e->info, n);
	return 0;
}

int64_t sys_page_map(struct env *e)
{
	exo_ppn ppn = sysarg(e, 0);
	uint64_t n, va, flags = sysarg(e, 3), perm;
	int r;

	if ((r = sysarg_count(e, 2, EXO_SYS_MAXPAGES, &n)) ||
	    (r = arg_range(e, 1, n, &va)))
		return r;
	if (flags & ~(uint64_t)EXO_MAP_W)
		return EXO_EINVAL;
	if ((r = core_page_check(&pages, e->id, ppn, n)))
		return r;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *pte = as_pte(&e->as, va + i * PAGE_SIZE, 0);

		if (page_mapva[ppn + i] || (pte && (*pte & PTE_P)))
			return EXO_EEXIST;
	}
	for (uint64_t i = 0; i < n; i++) /* make the tables first */
		if (!as_pte(&e->as, va + i * PAGE_SIZE, 1))
			return EXO_ENOMEM;
	perm = PTE_P | PTE_U | PTE_EXO | pte_nx |
	       (flags & EXO_MAP_W ? PTE_W : 0);
	for (uint64_t i = 0; i < n; i++) {
		*as_pte(&e->as, va + i * PAGE_SIZE, 0) =
			((ppn + i) << PAGE_SHIFT) | perm;
		page_mapva[ppn + i] = va + i * PAGE_SIZE;
	}
	return 0;
}

int64_t sys_page_unmap(struct env *e)
{
	uint64_t n, va;
	int r;

	if ((r = sysarg_count(e, 1, EXO_SYS_MAXPAGES, &n)) ||
	    (r = arg_range(e, 0, n, &va)))
		return r;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *pte = as_pte(&e->as, va + i * PAGE_SIZE, 0);

		if (!pte || (*pte & (PTE_P | PTE_EXO)) != (PTE_P | PTE_EXO))
			return EXO_EINVAL;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *pte = as_pte(&e->as, va + i * PAGE_SIZE, 0);

		page_mapva[(*pte & PTE_ADDR) >> PAGE_SHIFT] = 0;
		as_unmap(&e->as, va + i * PAGE_SIZE);
	}
	return 0;
}
