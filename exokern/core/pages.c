/*
 * pages.c: ownership of physical pages.
 *
 * struct core_pages is one owner word per physical page: CORE_PAGE_FREE,
 * CORE_PAGE_KERNEL (reserved by the kernel: its image, page tables, the
 * info pages), or the id of the environment that owns it.  The caller
 * supplies the array (the kernel from boot memory, the hosted port for its
 * arena) and marks its own pages with core_pages_reserve after
 * core_pages_init.
 *
 * Allocation follows the exokernel rule of exposed names: an environment
 * asks for a particular page number (hint) and gets exactly it when the
 * run [hint, hint+n) is free; otherwise the first free run of n from page
 * 0.  Free and check require the caller to own every page.  All are
 * linear in the pages touched, except a failed hint, which scans.
 */
#include "core.h"

static int env_valid(uint32_t env)
{
	return env != CORE_PAGE_FREE && env != CORE_PAGE_KERNEL;
}

/* 1 if every page of [ppn, ppn+n) belongs to who (which may be FREE). */
static int run_is(const struct core_pages *p, exo_ppn ppn, uint64_t n,
		  uint32_t who)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (p->owner[ppn + i] != who)
			return 0;
	return 1;
}

static void run_set(struct core_pages *p, exo_ppn ppn, uint64_t n, uint32_t who)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		p->owner[ppn + i] = who;
}

void core_pages_init(struct core_pages *p, uint32_t *owner_array,
		     uint64_t npages)
{
	p->npages = npages;
	p->nfree = npages;
	p->owner = owner_array;
	run_set(p, 0, npages, CORE_PAGE_FREE);
}

void core_pages_reserve(struct core_pages *p, exo_ppn ppn, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n && ppn < p->npages && i < p->npages - ppn; i++) {
		if (p->owner[ppn + i] == CORE_PAGE_FREE)
			p->nfree--;
		p->owner[ppn + i] = CORE_PAGE_KERNEL;
	}
}

/* The first free run of n pages, or EXO_PPN_NONE. */
static exo_ppn run_find(const struct core_pages *p, uint64_t n)
{
	uint64_t i, run = 0;

	for (i = 0; i < p->npages; i++) {
		run = p->owner[i] == CORE_PAGE_FREE ? run + 1 : 0;
		if (run == n)
			return i + 1 - n;
	}
	return EXO_PPN_NONE;
}

int core_page_alloc(struct core_pages *p, uint32_t env, exo_ppn hint,
		    uint64_t n, exo_ppn *out)
{
	exo_ppn at;

	if (!env_valid(env) || !out || n == 0 || n > p->npages)
		return EXO_EINVAL;
	if (n > p->nfree)
		return EXO_ENOMEM;
	if (hint < p->npages && n <= p->npages - hint &&
	    run_is(p, hint, n, CORE_PAGE_FREE))
		at = hint;
	else
		at = run_find(p, n);
	if (at == EXO_PPN_NONE)
		return EXO_ENOMEM;
	run_set(p, at, n, env);
	p->nfree -= n;
	*out = at;
	return 0;
}

int core_page_check(const struct core_pages *p, uint32_t env, exo_ppn ppn,
		    uint64_t n)
{
	if (!env_valid(env) || n == 0 || n > p->npages)
		return EXO_EINVAL;
	if (ppn >= p->npages || n > p->npages - ppn)
		return EXO_ERANGE;
	return run_is(p, ppn, n, env) ? 0 : EXO_EPERM;
}

int core_page_free(struct core_pages *p, uint32_t env, exo_ppn ppn, uint64_t n)
{
	int rc = core_page_check(p, env, ppn, n);

	if (rc)
		return rc;
	run_set(p, ppn, n, CORE_PAGE_FREE);
	p->nfree += n;
	return 0;
}

uint64_t core_pages_owned(const struct core_pages *p, uint32_t env)
{
	uint64_t i, k = 0;

	for (i = 0; i < p->npages; i++)
		k += p->owner[i] == env;
	return k;
}
