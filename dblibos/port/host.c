/*
 * host.c: the exo interface (exo.h) for a Linux process.
 *
 * This is the hosted exokernel: it enforces exokern's rules with the very
 * same code (exokern/core), over a struct hostdev (host.h) that moves the
 * data: port/linux.c for an image file or block device, port/fault.c for
 * the in-memory test disks named "fault:NAME".
 *
 * An attachment (struct exo) has
 *   - a page arena: npages 4 KiB pages in one anonymous mapping (hugetlb
 *     pages if the system has them, else 2 MiB aligned and advised for
 *     transparent huge pages).  Page ppn lives at arena + ppn * 4096.
 *     core_pages says which pages the process owns (env HOST_ENV); pages
 *     it does not own are PROT_NONE, so a use after free faults (not on
 *     hugetlb, which cannot be protected page by page).  Pages are not
 *     zeroed on allocation: they only ever held this process's data.
 *   - the device and, over it, the core disk (label and ownership map)
 *     and this attachment's owner, found by its capability.
 *   - the requests in flight (core_inflight: its slots name requests to
 *     the device and keep their tags) and the info page.
 *
 * Locking.  e->lock guards all of the above.  exo_io_reap holds
 * e->reap_lock instead while it waits inside the device, so one thread may
 * reap while others submit; it takes e->lock only to account what it
 * reaped.  A reap asking for more completions (min) than are in flight
 * waits only for those in flight, never for requests not yet submitted.
 *
 * Revocation.  exo_revoke sets a request in the info page.  Every call
 * first lets an expired request repossess pages (core_revoke_expire) and
 * protects whatever it took; exo_page_free counts freed pages off.
 */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "core.h"
#include "exo.h"
#include "port/fault.h"
#include "port/host.h"

#define HOST_ENV       1u    /* the page owner id of this process */
#define DEFAULT_NPAGES 16384 /* 64 MiB */
#define DEFAULT_DEPTH  256
#define HUGE_SIZE      (2ul << 20) /* huge page size the arena aligns to */
#define FAULT_PREFIX   "fault:"

struct exo {
	pthread_mutex_t lock;	   /* everything but the device's reap */
	pthread_mutex_t reap_lock; /* one thread reaps at a time */
	struct hostdev *dev;
	struct core_dev cdev;
	struct core_disk disk;
	int disk_open;
	uint32_t owner;

	char *arena;
	size_t map_len; /* bytes mapped at arena */
	int protect;	/* unowned pages are PROT_NONE */
	uint32_t *page_owner;
	struct core_pages pages;

	uint32_t depth;
	struct core_inflight inflight;
	uint32_t *slots;	 /* submit scratch (lock) */
	void **bufs;		 /* submit scratch (lock) */
	struct hostdev_comp *hc; /* reap scratch (reap_lock) */

	struct exo_info info;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* ---- the core_dev over a hostdev ---- */

static int cd_read(void *ctx, exo_bno bno, uint32_t n, void *buf)
{
	struct hostdev *d = ctx;

	return d->ops->read(d, bno, n, buf);
}

static int cd_write(void *ctx, exo_bno bno, uint32_t n, const void *buf)
{
	struct hostdev *d = ctx;

	return d->ops->write(d, bno, n, buf);
}

static int cd_flush(void *ctx)
{
	struct hostdev *d = ctx;

	return d->ops->flush(d);
}

static int cd_zero(void *ctx, exo_bno bno, uint64_t n)
{
	struct hostdev *d = ctx;

	return d->ops->zero(d, bno, n);
}

/* Everything core allocates is 4 KiB aligned, as its I/O buffers must be
 * for O_DIRECT. */
static void *cd_alloc(void *ctx, size_t bytes)
{
	size_t len = (bytes + EXO_PAGE_SIZE - 1) & ~(size_t)(EXO_PAGE_SIZE - 1);

	(void)ctx;
	return aligned_alloc(EXO_PAGE_SIZE, len ? len : EXO_PAGE_SIZE);
}

static void cd_free(void *ctx, void *p, size_t bytes)
{
	(void)ctx, (void)bytes;
	free(p);
}

static void cdev_init(struct core_dev *cd, struct hostdev *d)
{
	*cd = (struct core_dev){
		.ctx = d,
		.nblocks = d->nblocks,
		.read = cd_read,
		.write = cd_write,
		.flush = cd_flush,
		.zero = cd_zero,
		.alloc = cd_alloc,
		.free = cd_free,
	};
}

/* ---- devices by name ---- */

static const char *fault_name(const char *disk)
{
	size_t len = strlen(FAULT_PREFIX);

	return strncmp(disk, FAULT_PREFIX, len) == 0 ? disk + len : NULL;
}

static int io_name_ok(const char *io)
{
	return !io || !strcmp(io, "io_uring") || !strcmp(io, "libaio") ||
	       !strcmp(io, "psync");
}

/* Open disk for attaching: exclusively, with the arena for zero-copy I/O. */
static int dev_open(struct exo *e, const struct exo_attach_opts *o)
{
	const char *fname = fault_name(o->disk);

	if (fname)
		return faultdev_open(fname, e->depth, &e->dev);
	return linuxdev_open(o->disk, o->io, e->arena,
			     e->pages.npages * EXO_PAGE_SIZE, e->depth, 0,
			     &e->dev);
}

/* Open disk for synchronous use only: format (exclusive) or info (shared,
 * read-only). */
static int dev_open_sync(const char *disk, int shared, struct hostdev **out)
{
	const char *fname = fault_name(disk);

	if (fname)
		return faultdev_open(fname, 1, out);
	return linuxdev_open(disk, "psync", NULL, 0, 1, shared, out);
}

/* ---- the page arena ---- */

static void *map_thp(size_t len)
{
	char *p = mmap(NULL, len + HUGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	head = (HUGE_SIZE - (uintptr_t)p % HUGE_SIZE) % HUGE_SIZE;
	if (head)
		munmap(p, head);
	munmap(p + head + len, HUGE_SIZE - head);
	madvise(p + head, len, MADV_HUGEPAGE);
	return p + head;
}

/* Map npages pages, readable and writable until the device has registered
 * them; arena_seal then protects them. */
static int arena_map(struct exo *e, uint64_t npages)
{
	size_t len;
	void *p;

	if (npages > SIZE_MAX / 4 / EXO_PAGE_SIZE)
		return EXO_ENOMEM;
	len = (npages * EXO_PAGE_SIZE + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	e->protect = p == MAP_FAILED;
	if (p == MAP_FAILED)
		p = map_thp(len);
	if (!p)
		return EXO_ENOMEM;
	e->page_owner = calloc(npages, sizeof *e->page_owner);
	if (!e->page_owner) {
		munmap(p, len);
		return EXO_ENOMEM;
	}
	e->arena = p;
	e->map_len = len;
	core_pages_init(&e->pages, e->page_owner, npages);
	return 0;
}

static void *page_addr(struct exo *e, exo_ppn ppn)
{
	return e->arena + ppn * EXO_PAGE_SIZE;
}

static int arena_protect(struct exo *e, exo_ppn ppn, uint64_t n, int prot)
{
	if (!e->protect)
		return 0;
	return mprotect(page_addr(e, ppn), n * EXO_PAGE_SIZE, prot) ? EXO_ENOMEM
								    : 0;
}

/* Protect every page nobody owns.  A failure (too many mappings) only
 * loses the use-after-free trap, so it is not an error. */
static void arena_seal(struct exo *e)
{
	uint64_t i = 0, n = e->pages.npages;

	while (i < n) {
		uint64_t j = i;

		if (e->page_owner[i] != CORE_PAGE_FREE) {
			i++;
			continue;
		}
		while (j < n && e->page_owner[j] == CORE_PAGE_FREE)
			j++;
		arena_protect(e, i, j - i, PROT_NONE);
		i = j;
	}
}

/* ---- the info page ---- */

static void info_pages(struct exo *e)
{
	e->info.pages_free = e->pages.nfree;
	e->info.pages_owned = e->pages.npages - e->pages.nfree;
}

static void info_blocks(struct exo *e)
{
	e->info.blocks_free = core_blocks_free(&e->disk);
	e->info.blocks_owned = core_blocks_owned(&e->disk, e->owner);
}

static void info_init(struct exo *e)
{
	e->info.magic = EXO_INFO_MAGIC;
	e->info.version = EXO_INFO_VERSION;
	e->info.env_id = HOST_ENV;
	e->info.time_ns = now_ns();
	e->info.pages_total = e->pages.npages;
	e->info.blocks_total = e->disk.label.nblocks;
	info_pages(e);
	info_blocks(e);
}

static void info_io(struct exo *e, const struct exo_ioreq *reqs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t bytes = (uint64_t)reqs[i].n * EXO_BLOCK_SIZE;

		if (reqs[i].op == EXO_OP_READ) {
			e->info.io_reads++;
			e->info.io_bytes_read += bytes;
		} else if (reqs[i].op == EXO_OP_WRITE) {
			e->info.io_writes++;
			e->info.io_bytes_written += bytes;
		} else {
			e->info.io_flushes++;
		}
	}
	e->info.io_inflight += n;
}

/* Take e->lock, then repossess pages if a revocation has expired. */
static void enter(struct exo *e)
{
	pthread_mutex_lock(&e->lock);
	e->info.time_ns = now_ns();
	if (core_revoke_expire(&e->pages, HOST_ENV, &e->info,
			       e->info.time_ns)) {
		arena_seal(e);
		info_pages(e);
	}
}

static void leave(struct exo *e)
{
	pthread_mutex_unlock(&e->lock);
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
	if (o->depth > EXO_IO_MAXDEPTH || !io_name_ok(o->io))
		return EXO_EINVAL;
	return 0;
}

static int tables_alloc(struct exo *e)
{
	e->inflight.req = calloc(e->depth, sizeof *e->inflight.req);
	e->inflight.used = calloc(e->depth, sizeof *e->inflight.used);
	e->inflight.cap = e->depth;
	e->slots = calloc(e->depth, sizeof *e->slots);
	e->bufs = calloc(e->depth, sizeof *e->bufs);
	e->hc = calloc(e->depth, sizeof *e->hc);
	if (!e->inflight.req || !e->inflight.used || !e->slots || !e->bufs ||
	    !e->hc)
		return EXO_ENOMEM;
	return 0;
}

/* Free whatever of e was set up. */
static void teardown(struct exo *e)
{
	if (e->disk_open)
		core_disk_close(&e->disk);
	if (e->dev)
		e->dev->ops->close(e->dev);
	if (e->arena)
		munmap(e->arena, e->map_len);
	free(e->page_owner);
	free(e->inflight.req);
	free(e->inflight.used);
	free(e->slots);
	free(e->bufs);
	free(e->hc);
	pthread_mutex_destroy(&e->reap_lock);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

static int disk_attach(struct exo *e, const struct exo_attach_opts *o)
{
	int err;

	cdev_init(&e->cdev, e->dev);
	err = core_disk_open(&e->disk, &e->cdev);
	if (err)
		return err;
	e->disk_open = 1;
	return core_owner_attach(&e->disk, o->cap, o->cap_len,
				 o->flags & EXO_ATTACH_CREATE, &e->owner);
}

int exo_attach(const struct exo_attach_opts *o, struct exo **out)
{
	struct exo *e;
	int err = opts_check(o, out);

	if (err)
		return err;
	e = calloc(1, sizeof *e);
	if (!e)
		return EXO_ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->reap_lock, NULL);
	e->depth = o->depth ? o->depth : DEFAULT_DEPTH;
	err = arena_map(e, o->npages ? o->npages : DEFAULT_NPAGES);
	if (!err)
		err = dev_open(e, o);
	if (!err) {
		arena_seal(e);
		err = disk_attach(e, o);
	}
	if (!err)
		err = tables_alloc(e);
	if (err) {
		teardown(e);
		return err;
	}
	info_init(e);
	*out = e;
	return 0;
}

int exo_detach(struct exo *e)
{
	struct exo_iocomp c[64];
	int r = 0;

	if (!e)
		return EXO_EINVAL;
	while (r >= 0 && e->info.io_inflight > 0)
		r = exo_io_reap(e, c, 64, 1);
	teardown(e);
	return r < 0 ? r : 0;
}

/* ---- information ---- */

const struct exo_info *exo_info(struct exo *e)
{
	if (!e)
		return NULL;
	enter(e);
	leave(e);
	return &e->info;
}

uint64_t exo_time_ns(struct exo *e)
{
	uint64_t t;

	if (!e)
		return now_ns();
	enter(e);
	t = e->info.time_ns;
	leave(e);
	return t;
}

/* ---- pages ---- */

int exo_page_alloc(struct exo *e, exo_ppn hint, uint64_t n, exo_ppn *out)
{
	exo_ppn ppn;
	int err;

	if (!e || !out)
		return EXO_EINVAL;
	enter(e);
	err = core_page_alloc(&e->pages, HOST_ENV, hint, n, &ppn);
	if (!err) {
		err = arena_protect(e, ppn, n, PROT_READ | PROT_WRITE);
		if (err)
			core_page_free(&e->pages, HOST_ENV, ppn, n);
	}
	if (!err)
		*out = ppn;
	info_pages(e);
	leave(e);
	return err;
}

int exo_page_free(struct exo *e, exo_ppn ppn, uint64_t n)
{
	int err;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	err = core_inflight_busy(&e->inflight, 0, 0, ppn, n);
	if (!err)
		err = core_page_free(&e->pages, HOST_ENV, ppn, n);
	if (!err) {
		/* A failure only loses the use-after-free trap. */
		arena_protect(e, ppn, n, PROT_NONE);
		core_revoke_freed(&e->info, n);
		info_pages(e);
	}
	leave(e);
	return err;
}

void *exo_page_addr(struct exo *e, exo_ppn ppn)
{
	void *p = NULL;

	if (!e)
		return NULL;
	enter(e);
	if (core_page_check(&e->pages, HOST_ENV, ppn, 1) == 0)
		p = page_addr(e, ppn);
	leave(e);
	return p;
}

int exo_revoke(struct exo *e, uint64_t npages, uint64_t deadline_ns)
{
	int err = 0;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	if (npages == 0 || npages > e->pages.npages)
		err = EXO_EINVAL;
	else
		core_revoke_request(&e->info, npages,
				    add_sat(e->info.time_ns, deadline_ns));
	leave(e);
	return err;
}

/* ---- blocks ---- */

int exo_block_alloc(struct exo *e, exo_bno hint, uint64_t n, exo_bno *out)
{
	int err;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	err = core_block_alloc(&e->disk, e->owner, hint, n, out);
	info_blocks(e);
	leave(e);
	return err;
}

int exo_block_free(struct exo *e, exo_bno bno, uint64_t n)
{
	int err;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	err = core_inflight_busy(&e->inflight, bno, n, 0, 0);
	if (!err)
		err = core_block_free(&e->disk, e->owner, bno, n);
	info_blocks(e);
	leave(e);
	return err;
}

int64_t exo_block_extents(struct exo *e, struct exo_extent *buf, uint64_t max)
{
	int64_t r;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	r = core_block_extents(&e->disk, e->owner, buf, max);
	leave(e);
	return r;
}

int exo_root_get(struct exo *e, exo_bno *out)
{
	int err;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	err = core_root_get(&e->disk, e->owner, out);
	leave(e);
	return err;
}

int exo_root_set(struct exo *e, exo_bno bno)
{
	int err;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	err = core_root_set(&e->disk, e->owner, bno);
	leave(e);
	return err;
}

/* ---- I/O ---- */

/* Check the batch, give each request a slot and start them all; on a
 * device error give the slots back. */
static int io_start(struct exo *e, const struct exo_ioreq *reqs, uint32_t n)
{
	int err = core_io_check(&e->disk, e->owner, &e->pages, HOST_ENV,
				&e->inflight, reqs, n);

	if (err)
		return err;
	for (uint32_t i = 0; i < n; i++) {
		int slot = core_inflight_add(&e->inflight, &reqs[i]);

		assert(slot >= 0); /* core_io_check saw room for n */
		e->slots[i] = (uint32_t)slot;
		e->bufs[i] = reqs[i].op == EXO_OP_FLUSH
				     ? NULL
				     : page_addr(e, reqs[i].ppn);
	}
	err = e->dev->ops->submit(e->dev, reqs, e->bufs, e->slots, n);
	if (err) {
		for (uint32_t i = 0; i < n; i++)
			core_inflight_done(&e->inflight, e->slots[i]);
		return err;
	}
	info_io(e, reqs, n);
	return 0;
}

int exo_io_submit(struct exo *e, const struct exo_ioreq *reqs, uint32_t n)
{
	int err;

	if (!e)
		return EXO_EINVAL;
	enter(e);
	err = io_start(e, reqs, n);
	leave(e);
	return err ? err : (int)n;
}

/* Turn k device completions into the caller's, freeing their slots. */
static void io_done(struct exo *e, struct exo_iocomp *comps, uint32_t k)
{
	pthread_mutex_lock(&e->lock);
	for (uint32_t i = 0; i < k; i++) {
		uint32_t slot = e->hc[i].slot;

		comps[i] = (struct exo_iocomp){
			.tag = e->inflight.req[slot].tag,
			.res = e->hc[i].res,
		};
		if (e->hc[i].res)
			e->info.io_errors++;
		core_inflight_done(&e->inflight, slot);
	}
	e->info.io_inflight -= k;
	pthread_mutex_unlock(&e->lock);
}

int exo_io_reap(struct exo *e, struct exo_iocomp *comps, uint32_t max,
		uint32_t min)
{
	uint64_t inflight;
	int k = 0;

	if (!e || min > max || (max && !comps))
		return EXO_EINVAL;
	pthread_mutex_lock(&e->reap_lock);
	enter(e);
	inflight = e->info.io_inflight;
	leave(e);
	if (max > e->depth)
		max = e->depth;
	if (min > inflight)
		min = (uint32_t)inflight;
	if (max > 0 && inflight > 0)
		k = e->dev->ops->reap(e->dev, e->hc, max, min);
	if (k > 0)
		io_done(e, comps, (uint32_t)k);
	pthread_mutex_unlock(&e->reap_lock);
	return k;
}

/* ---- administration ---- */

int exo_disk_format(const char *disk, uint64_t bytes)
{
	struct hostdev *dev;
	struct core_dev cd;
	const char *fname;
	uint8_t uuid[16];
	uint64_t nblocks;
	int err;

	if (!disk || bytes % EXO_BLOCK_SIZE)
		return EXO_EINVAL;
	fname = fault_name(disk);
	err = fname ? fault_disk_ensure(fname, bytes / EXO_BLOCK_SIZE)
		    : linuxdev_create(disk, bytes, &nblocks);
	if (!err)
		err = dev_open_sync(disk, 0, &dev);
	if (err)
		return err;
	cdev_init(&cd, dev);
	err = core_disk_format(
		&cd,
		getrandom(uuid, sizeof uuid, 0) == sizeof uuid ? uuid : NULL,
		(uint64_t)time(NULL));
	dev->ops->close(dev);
	return err;
}

/* Copy owner i of d and its extents into o. */
static int owner_fill(const struct core_disk *d, int i,
		      struct exo_disk_owner *o)
{
	int64_t n;
	int err = core_owner_get(d, i, &o->owner);

	if (err)
		return err;
	n = core_block_extents(d, o->owner.id, NULL, 0);
	if (n <= 0)
		return (int)n;
	o->extents = calloc((size_t)n, sizeof *o->extents);
	if (!o->extents)
		return EXO_ENOMEM;
	o->nextents = (uint64_t)n;
	n = core_block_extents(d, o->owner.id, o->extents, o->nextents);
	return n < 0 ? (int)n : 0;
}

static int info_fill(const struct core_disk *d, struct exo_disk_info *info)
{
	const struct exo_map_hdr *h = d->cur;
	int err = 0;

	info->label = d->label;
	info->map_gen = h->gen;
	info->map_slot = d->slot;
	info->blocks_free = core_blocks_free(d);
	info->meta_blocks = d->label.data_start;
	info->nowners = core_owner_count(d);
	for (int i = 0; i < info->nowners && !err; i++)
		err = owner_fill(d, i, &info->owners[i]);
	return err;
}

int exo_disk_info(const char *disk, struct exo_disk_info **out)
{
	struct exo_disk_info *info;
	struct core_disk d;
	struct core_dev cd;
	struct hostdev *dev;
	int err;

	if (!disk || !out)
		return EXO_EINVAL;
	err = dev_open_sync(disk, 1, &dev);
	if (err)
		return err;
	cdev_init(&cd, dev);
	err = core_disk_open(&d, &cd);
	if (!err) {
		info = calloc(1, sizeof *info);
		err = info ? info_fill(&d, info) : EXO_ENOMEM;
		if (err)
			exo_disk_info_free(info);
		else
			*out = info;
		core_disk_close(&d);
	}
	dev->ops->close(dev);
	return err;
}

void exo_disk_info_free(struct exo_disk_info *info)
{
	if (!info)
		return;
	for (int i = 0; i < info->nowners; i++)
		free(info->owners[i].extents);
	free(info);
}
