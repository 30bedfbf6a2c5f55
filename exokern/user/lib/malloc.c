/*
 * malloc.c: a page-backed heap for user programs.
 *
 * The heap is the address range [UHEAP_BASE, heap_end).  It grows by at
 * least HEAP_GROW pages at a time: pages from SYS_page_alloc (any physical
 * pages; a contiguous run when one is free) mapped writable at heap_end.
 * Every block starts with a 16-byte header holding its size (header
 * included, a multiple of 16).  Free blocks form a list sorted by address;
 * malloc takes the first that fits and splits it, free merges a block with
 * its free neighbours.  Allocated blocks carry BLK_USED where a free
 * block keeps its list link, which catches double and wild frees.
 * aligned_alloc takes a block large enough to hold an aligned one inside
 * and frees the part before it.
 */
#include "ulib.h"

#define BLK_HDR   16
#define BLK_MIN   32
#define BLK_USED  ((struct blk *)0x5553454455534544ull) /* "DESUDESU" */
#define HEAP_GROW 16

struct blk {
	size_t size;
	struct blk *next; /* the next free block, or BLK_USED */
};

static struct blk *free_list;
static uint64_t heap_end = UHEAP_BASE;

static void free_insert(struct blk *b)
{
	struct blk **pp = &free_list, *prev = NULL;

	while (*pp && *pp < b) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	b->next = *pp;
	*pp = b;
	if (b->next && (char *)b + b->size == (char *)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (prev && (char *)prev + prev->size == (char *)b) {
		prev->size += b->size;
		prev->next = b->next;
	}
}

/* Map npages more pages at heap_end, as few runs as memory allows. */
static int heap_grow(uint64_t npages)
{
	uint64_t start = heap_end, run = npages;

	if (npages > (UHEAP_BASE + UHEAP_MAX - heap_end) / EXO_PAGE_SIZE)
		return EXO_ENOMEM;
	while (npages) {
		exo_ppn ppn;
		int r;

		run = run < npages ? run : npages;
		if (run > EXO_SYS_MAXPAGES)
			run = EXO_SYS_MAXPAGES;
		r = sys_page_alloc(0, run, &ppn);
		if (r == EXO_ENOMEM && run > 1) {
			run /= 2;
			continue;
		}
		if (r == 0 && (r = sys_page_map(ppn, (void *)heap_end, run,
						EXO_MAP_W)))
			sys_page_free(ppn, run);
		if (r)
			break;
		heap_end += run * EXO_PAGE_SIZE;
		npages -= run;
	}
	if (heap_end > start) {
		struct blk *b = (struct blk *)start;

		b->size = heap_end - start;
		free_insert(b);
	}
	return npages ? EXO_ENOMEM : 0;
}

static void *blk_take(size_t need)
{
	for (struct blk **pp = &free_list; *pp; pp = &(*pp)->next) {
		struct blk *b = *pp;

		if (b->size < need)
			continue;
		if (b->size - need >= BLK_MIN) {
			struct blk *rest = (struct blk *)((char *)b + need);

			rest->size = b->size - need;
			rest->next = b->next;
			*pp = rest;
			b->size = need;
		} else {
			*pp = b->next;
		}
		b->next = BLK_USED;
		return (char *)b + BLK_HDR;
	}
	return NULL;
}

void *malloc(size_t n)
{
	size_t need;
	void *p;

	if (n > UHEAP_MAX)
		return NULL;
	need = (n + BLK_HDR + 15) & ~(size_t)15;
	need = need < BLK_MIN ? BLK_MIN : need;
	p = blk_take(need);
	if (!p) {
		uint64_t pages = (need + EXO_PAGE_SIZE - 1) / EXO_PAGE_SIZE;

		heap_grow(pages < HEAP_GROW ? HEAP_GROW : pages);
		p = blk_take(need);
	}
	return p;
}

void free(void *p)
{
	struct blk *b;

	if (!p)
		return;
	b = (struct blk *)((char *)p - BLK_HDR);
	if (b->next != BLK_USED) {
		printf("free: %p was not allocated by malloc\n", p);
		exit(127);
	}
	free_insert(b);
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > UHEAP_MAX / size)
		return NULL;
	p = malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t n)
{
	struct blk *b;
	void *q;

	if (!p)
		return malloc(n);
	b = (struct blk *)((char *)p - BLK_HDR);
	if (n + BLK_HDR <= b->size)
		return p;
	q = malloc(n);
	if (q) {
		memcpy(q, p, b->size - BLK_HDR);
		free(p);
	}
	return q;
}

void *aligned_alloc(size_t align, size_t n)
{
	char *p, *a;
	struct blk *b, *rest;

	if (align <= BLK_HDR)
		return malloc(n);
	if (align & (align - 1) || align > UHEAP_MAX || n > UHEAP_MAX)
		return NULL;
	p = malloc(n + align + BLK_MIN);
	if (!p)
		return NULL;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a == p)
		return p;
	while (a - p < BLK_MIN)
		a += align;
	b = (struct blk *)(p - BLK_HDR);
	rest = (struct blk *)(a - BLK_HDR);
	rest->size = b->size - (size_t)(a - p);
	rest->next = BLK_USED;
	b->size = (size_t)(a - p);
	free(p);
	return a;
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EXO_EINVAL;
	p = aligned_alloc(align, n);
	if (!p)
		return EXO_ENOMEM;
	*out = p;
	return 0;
}
