/*
 * pmem.c: physical memory at boot, and the kernel pool (see pmem.h).
 *
 * pmem_init() sizes the page tables of core from the Multiboot memory map,
 * finds room below 4 GiB (mapped by the boot page tables) that overlaps
 * neither the kernel nor a module for the owner array, page_mapva and the
 * pool, then reserves for the kernel everything that is not free RAM.
 */
#include "kern.h"
#include "pmem.h"

#define PMEM_MAXPA   (16ull << 30) /* RAM above 16 GiB is not used */
#define BOOT_MAPPED  (4ull << 30)  /* mapped at PHYSMAP by boot.S */
#define LOWMEM       0x100000      /* the first MiB: BIOS, real mode */
#define POOL_MIN     1024
#define POOL_MAX     16384

extern char _end[];

struct core_pages pages;
uint64_t *page_mapva;

static uint64_t maxpa;
static uint64_t pool_start, pool_end; /* physical */
static uint64_t pool_next;  /* pages from here on were never handed out */
static void *pool_free;     /* freed pages, linked through their first word */

static uint64_t kernel_end(void)
{
	return PGROUNDUP(KV2P(_end));
}

static void find_maxpa(const struct boot_info *bi)
{
	maxpa = 0;
	for (int i = 0; i < bi->nram; i++)
		if (bi->ram[i].end > maxpa)
			maxpa = bi->ram[i].end;
	if (maxpa > PMEM_MAXPA)
		maxpa = PMEM_MAXPA;
	maxpa = PGROUNDDOWN(maxpa);
}

/* The end of a kernel or module range that [a, a + n) overlaps, or 0. */
static uint64_t overlaps_busy(const struct boot_info *bi, uint64_t a,
			      uint64_t n)
{
	if (a < kernel_end() && a + n > LOWMEM)
		return kernel_end();
	for (int i = 0; i < bi->nmods; i++)
		if (a < bi->mods[i].end && a + n > bi->mods[i].start)
			return PGROUNDUP(bi->mods[i].end);
	return 0;
}

/* n bytes of free RAM below BOOT_MAPPED, page aligned. */
static uint64_t find_room(const struct boot_info *bi, uint64_t n)
{
	for (int i = 0; i < bi->nram; i++) {
		uint64_t a = PGROUNDUP(bi->ram[i].start);
		uint64_t end = PGROUNDDOWN(bi->ram[i].end), busy;

		if (a < LOWMEM)
			a = LOWMEM;
		if (end > BOOT_MAPPED)
			end = BOOT_MAPPED;
		while (a + n <= end) {
			busy = overlaps_busy(bi, a, n);
			if (!busy)
				return a;
			a = busy;
		}
	}
	panic("pmem_init: no room for %lu bytes of page tables", n);
}

/* Reserve for the kernel the pages of [lo, hi) that are still free. */
static void reserve(uint64_t lo, uint64_t hi)
{
	uint64_t p = lo >> PAGE_SHIFT, end = PGROUNDUP(hi) >> PAGE_SHIFT;

	if (end > pages.npages)
		end = pages.npages;
	while (p < end) {
		uint64_t q = p;

		while (q < end && pages.owner[q] == CORE_PAGE_FREE)
			q++;
		if (q > p)
			core_pages_reserve(&pages, p, q - p);
		p = q + 1;
	}
}

/* Reserve what the memory map does not call RAM.  Ranges may overlap. */
static void reserve_holes(const struct boot_info *bi)
{
	uint64_t cur = 0;

	for (;;) {
		uint64_t next = maxpa, reach = cur;

		/* The RAM range that covers cur reaching furthest, else the
		 * nearest one starting above cur. */
		for (int i = 0; i < bi->nram; i++) {
			uint64_t s = PGROUNDUP(bi->ram[i].start);
			uint64_t e = PGROUNDDOWN(bi->ram[i].end);

			if (s <= cur && e > reach)
				reach = e;
			else if (s > cur && s < next)
				next = s;
		}
		if (reach > cur) {
			cur = reach;
			continue;
		}
		reserve(cur, next);
		if (next >= maxpa)
			return;
		cur = next;
	}
}

/* Pages are taken from the pool in order, then reused from the free
 * list; nothing touches a pool page before it is first handed out. */
static void pool_init(uint64_t start, uint64_t npool)
{
	pool_start = pool_next = start;
	pool_end = start + npool * PAGE_SIZE;
}

void pmem_init(const struct boot_info *bi)
{
	uint64_t npages, npool, meta, room;

	find_maxpa(bi);
	npages = maxpa >> PAGE_SHIFT;
	npool = npages / 8;
	if (npool < POOL_MIN)
		npool = POOL_MIN;
	if (npool > POOL_MAX)
		npool = POOL_MAX;
	meta = PGROUNDUP(npages * (sizeof(uint32_t) + sizeof(uint64_t)));
	room = find_room(bi, meta + npool * PAGE_SIZE);

	page_mapva = P2V(room);
	core_pages_init(&pages, P2V(room + npages * sizeof(uint64_t)), npages);
	memset(page_mapva, 0, npages * sizeof(uint64_t));
	reserve_holes(bi);
	reserve(0, LOWMEM);
	reserve(LOWMEM, kernel_end());
	for (int i = 0; i < bi->nmods; i++)
		reserve(bi->mods[i].start, bi->mods[i].end);
	reserve(room, room + meta + npool * PAGE_SIZE);
	pool_init(room + meta, npool);
	kprintf("exokern: %lu MiB of RAM, %lu pages free, kernel pool %lu "
		"pages\n",
		maxpa >> 20, pages.nfree, npool);
}

uint64_t pmem_maxpa(void)
{
	return maxpa;
}

void *kalloc(void)
{
	void *p = pool_free;

	if (p) {
		pool_free = *(void **)p;
	} else if (pool_next < pool_end) {
		p = P2V(pool_next);
		pool_next += PAGE_SIZE;
	} else {
		return NULL;
	}
	memset(p, 0, PAGE_SIZE);
	return p;
}

void kfree(void *va)
{
	uint64_t pa = V2P(va);

	if (pa < pool_start || pa >= pool_next || pa % PAGE_SIZE)
		panic("kfree: %p is not a pool page", va);
	*(void **)va = pool_free;
	pool_free = va;
}

void *pmem_run_alloc(uint64_t n)
{
	exo_ppn ppn;

	if (core_page_alloc(&pages, PMEM_RUN_OWNER, 0, n, &ppn))
		return NULL;
	return P2V(ppn << PAGE_SHIFT);
}

void pmem_run_free(void *va, uint64_t n)
{
	if (core_page_free(&pages, PMEM_RUN_OWNER, V2P(va) >> PAGE_SHIFT, n))
		panic("pmem_run_free: %p is not a run of %lu pages", va, n);
}
