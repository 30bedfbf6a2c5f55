/*
 * exokern.c: the exo interface (exo.h) on bare metal, over the system
 * calls of exokern (exokern/include/exo/syscall.h).
 *
 * This port adds almost nothing: the kernel already checks ownership of
 * every page and block and moves data by DMA into the caller's pages.
 * What it does:
 *
 *   - The page arena.  A page the libOS allocates (SYS_page_alloc) is
 *     mapped at once (SYS_page_map) at ARENA_BASE + ppn * 4096, so that
 *     exo_page_addr is arithmetic plus one bit of an ownership bitmap.
 *     opts.npages is the attachment's page budget, as the arena size is
 *     on the hosted port.  Pages the kernel repossesses (revocation's
 *     abort protocol) come off the bitmap as soon as the repossession
 *     ring on the info page shows them; the kernel has unmapped them.
 *   - The completion ring.  Completions are read from the ring the kernel
 *     maps read-only (io_ring_reap, no system call).  When none is there,
 *     a waiting user-level thread yields to the others (uthread.h) and
 *     looks again when it next runs; only when no other thread can run
 *     does it sleep in the kernel (SYS_io_reap).  So while one thread
 *     waits for the disk the others go on, and their requests join the
 *     ones in flight.
 *   - Depth: at most opts.depth requests in flight, never more than the
 *     kernel's EXO_IO_DEPTH (64) per environment; beyond that
 *     exo_io_submit says EXO_EAGAIN and dio reaps first.
 *
 * An environment is one disk owner for its whole life (SYS_disk_attach),
 * so exo_detach keeps the kernel's attachment: a later exo_attach with
 * the same capability (a store closed and opened again) finds it, another
 * capability is EXO_EBUSY.  One attachment at a time.  The disk name is
 * not used: exokern exports one disk.  exo_revoke and the administration
 * calls (format, info) are the hosted ports' (EXO_ENOSYS here); on
 * exokern the kernel revokes, and the disk is formatted on Linux.
 */
#include <stdlib.h>
#include <string.h>

#include "exo.h"
#include "ulib.h"
#include "uthread.h"

#define ARENA_BASE     0x0000200000000000ull
#define DEFAULT_NPAGES 16384

struct exo {
	const volatile struct exo_info *info;
	uint64_t *bits;     /* page ppn is ours and mapped */
	uint64_t nbits;     /* pages_total */
	uint64_t budget;    /* pages we may own (opts.npages) */
	uint64_t owned;
	uint64_t seen_repo; /* repossessions taken off the bitmap */
	uint32_t depth;     /* most requests in flight */
	uint32_t inflight;  /* submitted, not yet reaped */
};

static struct exo *live;                 /* the one attachment */
static uint8_t attached_cap[EXO_CAP_MAX]; /* the kernel's, for life */
static size_t attached_len;

/* ---- the ownership bitmap ---- */

static int bit_get(const struct exo *e, exo_ppn p)
{
	return p < e->nbits && (e->bits[p / 64] >> (p % 64) & 1);
}

static void bits_set(struct exo *e, exo_ppn p, uint64_t n, int on)
{
	for (uint64_t i = p; i < p + n; i++) {
		if (on)
			e->bits[i / 64] |= 1ull << (i % 64);
		else
			e->bits[i / 64] &= ~(1ull << (i % 64));
	}
}

static int all_ours(const struct exo *e, exo_ppn p, uint64_t n)
{
	if (n == 0 || p >= e->nbits || n > e->nbits - p)
		return 0;
	for (uint64_t i = p; i < p + n; i++)
		if (!bit_get(e, i))
			return 0;
	return 1;
}

/* Take pages the kernel repossessed off the bitmap.  Only the last
 * EXO_REPO_MAX repossessions are listed: should more have happened since
 * the last look, the older ones stay unknown (a libOS that answers
 * revocation in time never gets there). */
static void repo_sync(struct exo *e)
{
	uint64_t cnt = e->info->repo_count, i = e->seen_repo;

	if (cnt == i)
		return;
	if (cnt - i > EXO_REPO_MAX)
		i = cnt - EXO_REPO_MAX;
	for (; i < cnt; i++) {
		exo_ppn p = e->info->repo[i % EXO_REPO_MAX];

		if (bit_get(e, p)) {
			bits_set(e, p, 1, 0);
			e->owned--;
		}
	}
	e->seen_repo = cnt;
}

/* ---- attach and detach ---- */

static int opts_check(const struct exo_attach_opts *o, struct exo **out)
{
	if (!o || !out || !o->disk || !o->cap)
		return EXO_EINVAL;
	if (o->cap_len == 0 || o->cap_len > EXO_CAP_MAX)
		return EXO_EINVAL;
	if (o->flags & ~(unsigned)EXO_ATTACH_CREATE)
		return EXO_EINVAL;
	if (o->depth > EXO_IO_MAXDEPTH)
		return EXO_EINVAL;
	return 0;
}

/* Become the disk owner of cap, unless this environment already is. */
static int kernel_attach(const struct exo_attach_opts *o)
{
	int r;

	if (attached_len)
		return attached_len == o->cap_len &&
				       !memcmp(attached_cap, o->cap, o->cap_len)
			       ? 0
			       : EXO_EBUSY;
	r = sys_disk_attach(o->cap, o->cap_len,
			    o->flags & EXO_ATTACH_CREATE ? EXO_DISK_CREATE : 0);
	if (r == 0)
		r = io_ring_init();
	if (r)
		return r;
	memcpy(attached_cap, o->cap, o->cap_len);
	attached_len = o->cap_len;
	return 0;
}

int exo_attach(const struct exo_attach_opts *o, struct exo **out)
{
	struct exo *e;
	int err = opts_check(o, out);

	if (err)
		return err;
	if (live)
		return EXO_EBUSY;
	err = kernel_attach(o);
	if (err)
		return err;
	e = calloc(1, sizeof(*e));
	if (!e)
		return EXO_ENOMEM;
	e->info = sys_info();
	e->nbits = e->info->pages_total;
	e->bits = calloc((e->nbits + 63) / 64, sizeof(*e->bits));
	if (!e->bits) {
		free(e);
		return EXO_ENOMEM;
	}
	e->budget = o->npages ? o->npages : DEFAULT_NPAGES;
	e->depth = o->depth && o->depth < EXO_IO_DEPTH ? o->depth
						       : EXO_IO_DEPTH;
	e->seen_repo = e->info->repo_count;
	live = e;
	*out = e;
	return 0;
}

/* Free every page we still own, in runs of at most EXO_SYS_MAXPAGES. */
static void free_all_pages(struct exo *e)
{
	repo_sync(e);
	for (exo_ppn p = 0; p < e->nbits;) {
		uint64_t n = 0;

		while (p + n < e->nbits && n < EXO_SYS_MAXPAGES &&
		       bit_get(e, p + n))
			n++;
		if (n)
			exo_page_free(e, p, n);
		p += n ? n : 1;
	}
}

int exo_detach(struct exo *e)
{
	struct exo_iocomp c[EXO_IO_DEPTH];
	int r = 0;

	if (!e || e != live)
		return EXO_EINVAL;
	while (r >= 0 && e->inflight > 0)
		r = exo_io_reap(e, c, EXO_IO_DEPTH, 1);
	free_all_pages(e);
	free(e->bits);
	free(e);
	live = NULL;
	return r < 0 ? r : 0;
}

/* ---- information ---- */

const struct exo_info *exo_info(struct exo *e)
{
	if (!e)
		return NULL;
	repo_sync(e);
	return (const struct exo_info *)e->info;
}

uint64_t exo_time_ns(struct exo *e)
{
	(void)e;
	return exo_clock_ns();
}

/* ---- pages ---- */

int exo_page_alloc(struct exo *e, exo_ppn hint, uint64_t n, exo_ppn *out)
{
	exo_ppn ppn;
	int r;

	if (!e || !out || n == 0)
		return EXO_EINVAL;
	repo_sync(e);
	if (n > EXO_SYS_MAXPAGES || n > e->budget - e->owned)
		return EXO_ENOMEM;
	r = sys_page_alloc(hint, n, &ppn);
	if (r)
		return r;
	if (ppn >= e->nbits || n > e->nbits - ppn) {
		sys_page_free(ppn, n); /* not reached: pages_total bounds ppn */
		return EXO_ERANGE;
	}
	r = sys_page_map(ppn, (void *)(ARENA_BASE + ppn * EXO_PAGE_SIZE), n,
			 EXO_MAP_W);
	if (r) {
		sys_page_free(ppn, n);
		return r;
	}
	bits_set(e, ppn, n, 1);
	e->owned += n;
	*out = ppn;
	return 0;
}

int exo_page_free(struct exo *e, exo_ppn ppn, uint64_t n)
{
	int r = 0;

	if (!e)
		return EXO_EINVAL;
	repo_sync(e);
	if (!all_ours(e, ppn, n))
		return EXO_EPERM;
	while (n && r == 0) {
		uint64_t k = n < EXO_SYS_MAXPAGES ? n : EXO_SYS_MAXPAGES;

		r = sys_page_free(ppn, k);
		if (r == 0) {
			bits_set(e, ppn, k, 0);
			e->owned -= k;
			ppn += k;
			n -= k;
		}
	}
	return r;
}

void *exo_page_addr(struct exo *e, exo_ppn ppn)
{
	if (!e)
		return NULL;
	repo_sync(e);
	if (!bit_get(e, ppn))
		return NULL;
	return (void *)(ARENA_BASE + ppn * EXO_PAGE_SIZE);
}

int exo_revoke(struct exo *e, uint64_t npages, uint64_t deadline_ns)
{
	(void)e, (void)npages, (void)deadline_ns;
	return EXO_ENOSYS;
}

/* ---- blocks ---- */

int exo_block_alloc(struct exo *e, exo_bno hint, uint64_t n, exo_bno *out)
{
	if (!e || !out)
		return EXO_EINVAL;
	return sys_block_alloc(hint, n, out);
}

int exo_block_free(struct exo *e, exo_bno bno, uint64_t n)
{
	if (!e)
		return EXO_EINVAL;
	return sys_block_free(bno, n);
}

int64_t exo_block_extents(struct exo *e, struct exo_extent *buf, uint64_t max)
{
	if (!e || (max && !buf))
		return EXO_EINVAL;
	return sys_block_extents(buf, max);
}

int exo_root_get(struct exo *e, exo_bno *out)
{
	if (!e || !out)
		return EXO_EINVAL;
	return sys_root_get(out);
}

int exo_root_set(struct exo *e, exo_bno bno)
{
	if (!e)
		return EXO_EINVAL;
	return sys_root_set(bno);
}

/* ---- I/O ---- */

int exo_io_submit(struct exo *e, const struct exo_ioreq *reqs, uint32_t n)
{
	int r;

	if (!e || !reqs || n == 0 || n > EXO_IO_MAXBATCH)
		return EXO_EINVAL;
	if (n > e->depth - e->inflight)
		return EXO_EAGAIN;
	r = sys_io_submit(reqs, n);
	if (r < 0)
		return r;
	e->inflight += n;
	return (int)n;
}

/* Completions from the ring; while fewer than min are there, let the
 * other threads run, and sleep in the kernel when none can. */
int exo_io_reap(struct exo *e, struct exo_iocomp *comps, uint32_t max,
		uint32_t min)
{
	uint32_t k = 0;
	int r;

	if (!e || min > max || (max && !comps))
		return EXO_EINVAL;
	if (min > e->inflight)
		min = e->inflight;
	for (;;) {
		k += io_ring_reap(comps + k, max - k);
		if (k >= min)
			break;
		if (uthread_yield())
			continue;
		r = sys_io_reap(comps + k, max - k, min - k);
		if (r < 0 && k == 0)
			return r;
		k += r > 0 ? (uint32_t)r : 0;
		break;
	}
	e->inflight -= k;
	return (int)k;
}

/* ---- administration: the hosted ports' ---- */

int exo_disk_format(const char *disk, uint64_t bytes)
{
	(void)disk, (void)bytes;
	return EXO_ENOSYS;
}

int exo_disk_info(const char *disk, struct exo_disk_info **out)
{
	(void)disk, (void)out;
	return EXO_ENOSYS;
}

void exo_disk_info_free(struct exo_disk_info *info)
{
	free(info);
}
