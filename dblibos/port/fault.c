/*
 * fault.c: the fault port's device, an in-memory disk with a volatile write
 * cache, power cuts and injected errors.  fault.h describes the model and
 * the test controls; host.h the device interface host.c drives.
 *
 * A struct fault_disk, kept in a global list by name, holds:
 *   media  the durable bytes
 *   view   what reads return: the media with the cache applied
 *   cache  the writes completed since the last flush, in completion order,
 *          each with a copy of its data (no data: zeros)
 * A write completes by storing its data into the view and appending it to
 * the cache.  A flush completes by copying the view to the media over the
 * ranges the cache covers, then emptying the cache.  A power cut persists
 * a random subset of the sectors of the cached writes (in cache order) and
 * of the writes still in flight (in submission order), then makes the view
 * equal to the media again and empties the cache.
 *
 * A struct faultdev is one open hostdev.  Its requests in flight wait in
 * an array; reap completes them one at a time, each picked at random with
 * the disk's order PRNG, so completions come out of submission order.  A
 * device remembers the disk's power epoch when it was opened; a cut bumps
 * the epoch, and a device whose epoch is old is dead: all it does fails
 * with EXO_EIO.  The fate of a request (perform it, fail it, cut the power)
 * is decided when it starts, by io_start().
 *
 * media and view are anonymous mappings, so blocks never written cost no
 * memory; zeroing skips blocks that are already zero, and copies skip
 * blocks that are already equal, so a large freshly formatted disk stays
 * cheap.
 *
 * Locking: one mutex guards the registry, every disk and every device, so
 * test controls, submit and reap may run in any threads.  A reap that must
 * wait for more requests sleeps on its device's condition variable, which
 * submit signals.
 */
#include "port/fault.h"
#include "port/host.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FAULT_PREFIX     "fault:"
#define FAULT_DEPTH      256 /* requests in flight when open asks for 0 */
#define ORDER_SALT       0x6f72646572ull /* order PRNG stream: seed ^ salt */
#define SECTORS_PER_BLOCK (EXO_BLOCK_SIZE / FAULT_SECTOR)

struct fault_write {
	exo_bno bno;
	uint64_t n;    /* blocks */
	uint8_t *data; /* n blocks, owned; NULL: zeros */
};

struct fault_disk {
	struct fault_disk *next;
	char name[FAULT_NAME_MAX + 1];
	uint64_t nblocks;
	uint8_t *media;
	uint8_t *view;
	struct fault_write *cache;
	size_t ncache, cache_cap;
	struct fault_plan plan;
	uint64_t nio;   /* I/Os started since the plan was set */
	uint64_t seq;   /* submission number of the last async request */
	uint64_t epoch; /* power cuts so far */
	uint64_t rng;   /* order PRNG state */
	int broken;     /* a sticky error has fired */
	struct faultdev *devs;
};

struct fault_req {
	struct exo_ioreq r;
	void *buf;
	uint32_t slot;
	uint64_t seq;
	int32_t res; /* fixed at start: 0 (perform it) or EXO_EIO */
};

struct faultdev {
	struct hostdev hd; /* first: host.c holds a pointer to this */
	struct fault_disk *disk;
	struct faultdev *next; /* on disk->devs */
	uint64_t epoch;        /* the disk's epoch at open */
	uint32_t depth, npend;
	struct fault_req *pend; /* depth slots, npend used, unordered */
	pthread_cond_t submitted;
};

static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault_disk *fault_disks;

/* splitmix64: a small, well-mixed PRNG; the whole state is one word. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- bytes ---- */

static uint8_t *block_at(uint8_t *base, exo_bno bno)
{
	return base + bno * EXO_BLOCK_SIZE;
}

static int is_zero(const uint8_t *p, size_t len)
{
	return p[0] == 0 && memcmp(p, p + 1, len - 1) == 0;
}

/* Store len bytes at dst: src, or zeros when src is NULL.  Bytes already
 * equal are not written, so untouched pages stay unallocated. */
static void store(uint8_t *dst, const uint8_t *src, size_t len)
{
	if (src == NULL) {
		if (!is_zero(dst, len))
			memset(dst, 0, len);
	} else if (memcmp(dst, src, len) != 0) {
		memcpy(dst, src, len);
	}
}

/* Store n blocks at bno of base, block by block (see store). */
static void store_blocks(uint8_t *base, exo_bno bno, uint64_t n,
			 const uint8_t *src)
{
	for (uint64_t i = 0; i < n; i++)
		store(block_at(base, bno + i),
		      src ? src + i * EXO_BLOCK_SIZE : NULL, EXO_BLOCK_SIZE);
}

static int range_ok(const struct fault_disk *d, exo_bno bno, uint64_t n)
{
	return bno < d->nblocks && n <= d->nblocks - bno;
}

/* ---- the cache ---- */

/* A write of n blocks at bno completes: data (NULL: zeros) becomes
 * visible and unflushed. */
static int cache_add(struct fault_disk *d, exo_bno bno, uint64_t n,
		     const void *data)
{
	struct fault_write *w;

	if (d->ncache == d->cache_cap) {
		size_t cap = d->cache_cap ? 2 * d->cache_cap : 16;

		w = realloc(d->cache, cap * sizeof(*w));
		if (w == NULL)
			return EXO_ENOMEM;
		d->cache = w;
		d->cache_cap = cap;
	}
	w = &d->cache[d->ncache];
	w->bno = bno;
	w->n = n;
	w->data = NULL;
	if (data != NULL) {
		w->data = malloc(n * EXO_BLOCK_SIZE);
		if (w->data == NULL)
			return EXO_ENOMEM;
		memcpy(w->data, data, n * EXO_BLOCK_SIZE);
	}
	d->ncache++;
	store_blocks(d->view, bno, n, w->data);
	return 0;
}

static void cache_clear(struct fault_disk *d)
{
	for (size_t i = 0; i < d->ncache; i++)
		free(d->cache[i].data);
	d->ncache = 0;
}

/* A flush completes: everything visible becomes durable. */
static void cache_flush(struct fault_disk *d)
{
	for (size_t i = 0; i < d->ncache; i++) {
		const struct fault_write *w = &d->cache[i];

		store_blocks(d->media, w->bno, w->n,
			     block_at(d->view, w->bno));
	}
	cache_clear(d);
}

/* ---- power cuts ---- */

/* Persist each sector of n blocks of data (NULL: zeros) at bno with the
 * plan's chance, then make the view of that range equal to the media. */
static void persist(struct fault_disk *d, exo_bno bno, uint64_t n,
		    const uint8_t *data, uint64_t *rng)
{
	uint8_t *dst = block_at(d->media, bno);

	for (uint64_t s = 0; s < n * SECTORS_PER_BLOCK; s++) {
		if (rng_next(rng) % 100 >= d->plan.persist_pct)
			continue;
		store(dst + s * FAULT_SECTOR,
		      data ? data + s * FAULT_SECTOR : NULL, FAULT_SECTOR);
	}
	store_blocks(d->view, bno, n, dst);
}

/* The write in flight on a live device of d with the smallest submission
 * number above after, or NULL. */
static const struct fault_req *next_inflight(const struct fault_disk *d,
					     uint64_t after)
{
	const struct fault_req *best = NULL;

	for (const struct faultdev *dev = d->devs; dev; dev = dev->next) {
		if (dev->epoch != d->epoch)
			continue;
		for (uint32_t i = 0; i < dev->npend; i++) {
			const struct fault_req *r = &dev->pend[i];

			if (r->r.op != EXO_OP_WRITE || r->res != 0 ||
			    r->seq <= after)
				continue;
			if (best == NULL || r->seq < best->seq)
				best = r;
		}
	}
	return best;
}

static void power_cut(struct fault_disk *d, uint64_t seed)
{
	uint64_t rng = seed;
	const struct fault_req *r;

	for (size_t i = 0; i < d->ncache; i++)
		persist(d, d->cache[i].bno, d->cache[i].n, d->cache[i].data,
			&rng);
	for (r = next_inflight(d, 0); r; r = next_inflight(d, r->seq))
		persist(d, r->r.bno, r->r.n, r->buf, &rng);
	cache_clear(d);
	d->epoch++;
}

/* ---- starting and completing I/O ---- */

/* An I/O of dev starts: count it and decide its fate.  Returns 0 to
 * perform it, EXO_EIO to fail it.  A plan's power cut strikes here. */
static int io_start(struct faultdev *dev)
{
	struct fault_disk *d = dev->disk;

	if (dev->epoch != d->epoch)
		return EXO_EIO;
	d->nio++;
	if (d->nio == d->plan.cut_at_io) {
		power_cut(d, d->plan.seed);
		return EXO_EIO;
	}
	if (d->nio == d->plan.eio_at_io) {
		d->broken = d->plan.eio_sticky;
		return EXO_EIO;
	}
	return d->broken ? EXO_EIO : 0;
}

static int32_t complete(struct faultdev *dev, const struct fault_req *r)
{
	struct fault_disk *d = dev->disk;

	if (r->res != 0 || dev->epoch != d->epoch)
		return EXO_EIO;
	switch (r->r.op) {
	case EXO_OP_READ:
		memcpy(r->buf, block_at(d->view, r->r.bno),
		       (size_t)r->r.n * EXO_BLOCK_SIZE);
		return 0;
	case EXO_OP_WRITE:
		return cache_add(d, r->r.bno, r->r.n, r->buf) ? EXO_EIO : 0;
	default:
		cache_flush(d);
		return 0;
	}
}

/* ---- struct hostdev_ops ---- */

static struct faultdev *to_dev(struct hostdev *hd)
{
	return (struct faultdev *)hd;
}

static int fd_read(struct hostdev *hd, exo_bno bno, uint32_t n, void *buf)
{
	struct faultdev *dev = to_dev(hd);
	int rc = EXO_ERANGE;

	if (n == 0 || buf == NULL)
		return EXO_EINVAL;
	pthread_mutex_lock(&fault_lock);
	if (range_ok(dev->disk, bno, n))
		rc = io_start(dev);
	if (rc == 0)
		memcpy(buf, block_at(dev->disk->view, bno),
		       (size_t)n * EXO_BLOCK_SIZE);
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

/* A synchronous write of n blocks of data (NULL: zeros). */
static int sync_write(struct faultdev *dev, exo_bno bno, uint64_t n,
		      const void *data)
{
	int rc = EXO_ERANGE;

	if (n == 0)
		return EXO_EINVAL;
	pthread_mutex_lock(&fault_lock);
	if (range_ok(dev->disk, bno, n))
		rc = io_start(dev);
	if (rc == 0)
		rc = cache_add(dev->disk, bno, n, data);
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

static int fd_write(struct hostdev *hd, exo_bno bno, uint32_t n,
		    const void *buf)
{
	if (buf == NULL)
		return EXO_EINVAL;
	return sync_write(to_dev(hd), bno, n, buf);
}

static int fd_zero(struct hostdev *hd, exo_bno bno, uint64_t n)
{
	return sync_write(to_dev(hd), bno, n, NULL);
}

static int fd_flush(struct hostdev *hd)
{
	struct faultdev *dev = to_dev(hd);
	int rc;

	pthread_mutex_lock(&fault_lock);
	rc = io_start(dev);
	if (rc == 0)
		cache_flush(dev->disk);
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

static int req_check(const struct fault_disk *d, const struct exo_ioreq *r,
		     const void *buf)
{
	if (r->op == EXO_OP_FLUSH)
		return 0;
	if ((r->op != EXO_OP_READ && r->op != EXO_OP_WRITE) || buf == NULL ||
	    r->n == 0 || r->n > EXO_IO_MAXBLOCKS)
		return EXO_EINVAL;
	return range_ok(d, r->bno, r->n) ? 0 : EXO_ERANGE;
}

static int fd_submit(struct hostdev *hd, const struct exo_ioreq *reqs,
		     void *const *bufs, const uint32_t *slots, uint32_t n)
{
	struct faultdev *dev = to_dev(hd);
	struct fault_disk *d = dev->disk;
	int rc = 0;

	pthread_mutex_lock(&fault_lock);
	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc = req_check(d, &reqs[i], bufs[i]);
	if (rc == 0 && dev->epoch != d->epoch)
		rc = EXO_EIO;
	else if (rc == 0 && n > dev->depth - dev->npend)
		rc = EXO_EAGAIN;
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		int32_t res = io_start(dev); /* before it is in flight */
		struct fault_req *r = &dev->pend[dev->npend++];

		r->r = reqs[i];
		r->buf = bufs[i];
		r->slot = slots[i];
		r->seq = ++d->seq;
		r->res = res;
	}
	if (rc == 0)
		pthread_cond_broadcast(&dev->submitted);
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

static int fd_reap(struct hostdev *hd, struct hostdev_comp *c, uint32_t max,
		   uint32_t min)
{
	struct faultdev *dev = to_dev(hd);
	uint32_t got = 0;

	pthread_mutex_lock(&fault_lock);
	while (got < max) {
		uint32_t i;

		if (dev->npend == 0) {
			if (got >= min)
				break;
			pthread_cond_wait(&dev->submitted, &fault_lock);
			continue;
		}
		i = rng_next(&dev->disk->rng) % dev->npend;
		c[got].slot = dev->pend[i].slot;
		c[got].res = complete(dev, &dev->pend[i]);
		got++;
		dev->pend[i] = dev->pend[--dev->npend];
	}
	pthread_mutex_unlock(&fault_lock);
	return (int)got;
}

/* Requests still in flight are abandoned: host.c reaps before closing. */
static void fd_close(struct hostdev *hd)
{
	struct faultdev *dev = to_dev(hd);
	struct faultdev **pp;

	pthread_mutex_lock(&fault_lock);
	for (pp = &dev->disk->devs; *pp != dev; pp = &(*pp)->next)
		;
	*pp = dev->next;
	pthread_mutex_unlock(&fault_lock);
	pthread_cond_destroy(&dev->submitted);
	free(dev->pend);
	free(dev);
}

static const struct hostdev_ops fault_ops = {
	.read = fd_read,
	.write = fd_write,
	.flush = fd_flush,
	.zero = fd_zero,
	.submit = fd_submit,
	.reap = fd_reap,
	.close = fd_close,
};

/* ---- the registry ---- */

static const char *bare_name(const char *name)
{
	size_t len = strlen(FAULT_PREFIX);

	return strncmp(name, FAULT_PREFIX, len) == 0 ? name + len : name;
}

static int name_ok(const char *name)
{
	size_t len;

	if (name == NULL)
		return 0;
	len = strlen(bare_name(name));
	return len >= 1 && len <= FAULT_NAME_MAX;
}

static struct fault_disk **disk_slot(const char *name)
{
	struct fault_disk **pp = &fault_disks;

	name = bare_name(name);
	while (*pp != NULL && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* Lock the registry and find disk name.  Returns 0 with the lock held, or
 * EXO_EINVAL/EXO_ENOENT without it. */
static int lock_disk(const char *name, struct fault_disk **out)
{
	if (!name_ok(name))
		return EXO_EINVAL;
	pthread_mutex_lock(&fault_lock);
	*out = *disk_slot(name);
	if (*out == NULL) {
		pthread_mutex_unlock(&fault_lock);
		return EXO_ENOENT;
	}
	return 0;
}

static void unlock_disk(void)
{
	pthread_mutex_unlock(&fault_lock);
}

static uint8_t *bytes_map(uint64_t nblocks)
{
	void *p = mmap(NULL, nblocks * EXO_BLOCK_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void disk_free(struct fault_disk *d)
{
	if (d->media != NULL)
		munmap(d->media, d->nblocks * EXO_BLOCK_SIZE);
	if (d->view != NULL)
		munmap(d->view, d->nblocks * EXO_BLOCK_SIZE);
	cache_clear(d);
	free(d->cache);
	free(d);
}

static void plan_install(struct fault_disk *d, const struct fault_plan *p)
{
	d->plan = *p;
	d->nio = 0;
	d->broken = 0;
	d->rng = p->seed ^ ORDER_SALT;
}

/* A new zeroed disk (name already checked), or NULL if out of memory. */
static struct fault_disk *disk_new(const char *name, uint64_t nblocks)
{
	static const struct fault_plan init = FAULT_PLAN_INIT;
	struct fault_disk *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->nblocks = nblocks;
	d->media = bytes_map(nblocks);
	d->view = bytes_map(nblocks);
	if (d->media == NULL || d->view == NULL) {
		disk_free(d);
		return NULL;
	}
	strcpy(d->name, bare_name(name));
	plan_install(d, &init);
	return d;
}

/* Put a new disk of nblocks at *pp (replacing the disk there, if any). */
static int disk_install(struct fault_disk **pp, const char *name,
			uint64_t nblocks)
{
	struct fault_disk *d = disk_new(name, nblocks);

	if (d == NULL)
		return EXO_ENOMEM;
	if (*pp != NULL) {
		d->next = (*pp)->next;
		disk_free(*pp);
	}
	*pp = d;
	return 0;
}

static int size_ok(uint64_t nblocks)
{
	return nblocks >= 1 && nblocks <= FAULT_MAX_BLOCKS;
}

int fault_disk_create(const char *name, uint64_t nblocks)
{
	struct fault_disk **pp;
	int rc;

	if (!name_ok(name) || !size_ok(nblocks))
		return EXO_EINVAL;
	pthread_mutex_lock(&fault_lock);
	pp = disk_slot(name);
	rc = *pp ? EXO_EEXIST : disk_install(pp, name, nblocks);
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

int fault_disk_ensure(const char *name, uint64_t nblocks)
{
	struct fault_disk **pp;
	int rc = 0;

	if (!name_ok(name) || (nblocks != 0 && !size_ok(nblocks)))
		return EXO_EINVAL;
	pthread_mutex_lock(&fault_lock);
	pp = disk_slot(name);
	if (*pp == NULL)
		rc = nblocks ? disk_install(pp, name, nblocks) : EXO_ENOENT;
	else if (nblocks != 0 && nblocks != (*pp)->nblocks)
		rc = (*pp)->devs ? EXO_EBUSY : disk_install(pp, name, nblocks);
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

int fault_disk_destroy(const char *name)
{
	struct fault_disk **pp, *d;
	int rc = 0;

	if (!name_ok(name))
		return EXO_EINVAL;
	pthread_mutex_lock(&fault_lock);
	pp = disk_slot(name);
	d = *pp;
	if (d == NULL) {
		rc = EXO_ENOENT;
	} else if (d->devs != NULL) {
		rc = EXO_EBUSY;
	} else {
		*pp = d->next;
		disk_free(d);
	}
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

int fault_set_plan(const char *name, const struct fault_plan *plan)
{
	struct fault_disk *d;
	int rc;

	if (plan == NULL || plan->persist_pct > 100)
		return EXO_EINVAL;
	rc = lock_disk(name, &d);
	if (rc == 0) {
		plan_install(d, plan);
		unlock_disk();
	}
	return rc;
}

int fault_powercut(const char *name, uint64_t seed)
{
	struct fault_disk *d;
	int rc = lock_disk(name, &d);

	if (rc == 0) {
		power_cut(d, seed);
		unlock_disk();
	}
	return rc;
}

int64_t fault_io_count(const char *name)
{
	struct fault_disk *d;
	int64_t rc = lock_disk(name, &d);

	if (rc == 0) {
		rc = (int64_t)d->nio;
		unlock_disk();
	}
	return rc;
}

int64_t fault_unflushed_count(const char *name)
{
	struct fault_disk *d;
	int64_t rc = lock_disk(name, &d);

	if (rc == 0) {
		rc = (int64_t)d->ncache;
		unlock_disk();
	}
	return rc;
}

int fault_disk_read_raw(const char *name, exo_bno bno, uint64_t n,
			void *buf)
{
	struct fault_disk *d;
	int rc;

	if (buf == NULL || n == 0)
		return EXO_EINVAL;
	rc = lock_disk(name, &d);
	if (rc != 0)
		return rc;
	if (range_ok(d, bno, n))
		memcpy(buf, block_at(d->media, bno), n * EXO_BLOCK_SIZE);
	else
		rc = EXO_ERANGE;
	unlock_disk();
	return rc;
}

/* The view of blocks [bno, bno + n) after the media under them changed:
 * the media with the cached writes over it, in order. */
static void view_rebuild(struct fault_disk *d, exo_bno bno, uint64_t n)
{
	store_blocks(d->view, bno, n, block_at(d->media, bno));
	for (size_t i = 0; i < d->ncache; i++) {
		const struct fault_write *w = &d->cache[i];
		exo_bno lo = w->bno > bno ? w->bno : bno;
		exo_bno hi = w->bno + w->n < bno + n ? w->bno + w->n : bno + n;

		if (lo < hi)
			store_blocks(d->view, lo, hi - lo,
				     w->data ? w->data + (lo - w->bno) *
							   EXO_BLOCK_SIZE
					     : NULL);
	}
}

int fault_disk_write_raw(const char *name, exo_bno bno, uint64_t n,
			 const void *buf)
{
	struct fault_disk *d;
	int rc;

	if (buf == NULL || n == 0)
		return EXO_EINVAL;
	rc = lock_disk(name, &d);
	if (rc != 0)
		return rc;
	if (range_ok(d, bno, n)) {
		store_blocks(d->media, bno, n, buf);
		view_rebuild(d, bno, n);
	} else {
		rc = EXO_ERANGE;
	}
	unlock_disk();
	return rc;
}

int faultdev_open(const char *name, uint32_t depth, struct hostdev **out)
{
	struct fault_disk *d;
	struct faultdev *dev;
	int rc;

	if (out == NULL || depth > EXO_IO_MAXDEPTH)
		return EXO_EINVAL;
	depth = depth ? depth : FAULT_DEPTH;
	rc = lock_disk(name, &d);
	if (rc != 0)
		return rc;
	dev = calloc(1, sizeof(*dev));
	if (dev != NULL)
		dev->pend = calloc(depth, sizeof(*dev->pend));
	if (dev == NULL || dev->pend == NULL) {
		unlock_disk();
		free(dev);
		return EXO_ENOMEM;
	}
	dev->hd.ops = &fault_ops;
	dev->hd.nblocks = d->nblocks;
	dev->disk = d;
	dev->epoch = d->epoch;
	dev->depth = depth;
	pthread_cond_init(&dev->submitted, NULL);
	dev->next = d->devs;
	d->devs = dev;
	unlock_disk();
	*out = &dev->hd;
	return 0;
}
