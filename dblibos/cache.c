/*
 * cache.c: the buffer cache (cache.h): disk blocks held in exo pages.
 *
 * Frames.  cache_open asks the kernel for the whole page budget, in runs
 * as large as it will give; each page is a frame (struct cpage).  A frame
 * is in one of these states:
 *
 *   FREE     on the free list, or held by the thread that just took it
 *   READING  hashed under its block; a read is in flight into its page
 *   VALID    hashed; holds its block (clean or dirty)
 *   FAILED   its read failed: unhashed, waiting for its last pinner to
 *            collect the error, then FREE
 *   GONE     its page is the kernel's again (revoked or repossessed)
 *
 *   FREE -> READING (get miss, prefetch) -> VALID or FAILED -> FREE
 *   FREE -> VALID (CACHE_NEW miss)        VALID -> FREE (eviction, forget)
 *   FREE -> GONE (revocation)             FREE, VALID -> GONE (repossession)
 *
 * Locking.  c->lock guards the replacement queues, the free list, the
 * ghost list, the lists of write-back and prefetch batches and every
 * change of a frame's state, block number or write-back mark.  The hash
 * table is split into NSHARD shards, each with a mutex over its chains.  A
 * frame is pinned (pins++) only under its shard lock, so a frame seen
 * unpinned under that lock stays so until the lock is dropped: that is how
 * eviction takes a frame without racing a hit.  Lock order: c->lock, a
 * shard lock, then a latch (taken there only when it cannot block).  A hit
 * takes its shard lock alone: look up, pin, count, unlock, set the
 * reference bit.  cache_put is one atomic decrement.  A thread waiting for
 * a read, a prefetch or a write-back sleeps on c->cond, which is broadcast
 * under c->lock whenever one of them finishes.
 *
 * Invariants:
 *   1. At most one frame per block is hashed.
 *   2. A frame with no pins is latched by nobody (callers unlatch before
 *      cache_put), so the cache latches it without blocking.
 *   3. The cache never blocks on a latch while it holds another: a
 *      write-back batch latches (shared) only unpinned frames (2); dirty
 *      frames pinned by callers are written afterwards, one at a time.
 *   4. dirty is set only under the exclusive latch (cache_dirty) and
 *      cleared only under the shared one (write-back), so a write-back
 *      sends exactly the bytes that were there when it cleared dirty: no
 *      buffer is written while it is being modified.  A writer who wants
 *      the page meanwhile waits on the latch for the write to finish.
 *   5. A frame in a write-back batch (wb) is pinned by the batch: nobody
 *      else evicts, forgets or writes it meanwhile.
 *
 * Replacement is a policy behind a small ops table (struct policy_ops):
 * insert a frame that gets a block, remove one that loses it, and walk the
 * candidates for eviction in the policy's order, offering each to a
 * visitor that takes it, skips it or stops the walk.
 *   CACHE_2Q (default, scan resistant): a block seen for the first time
 *     enters A1in, a FIFO of about a quarter of the frames; when evicted
 *     from there its number goes to A1out, a ghost FIFO of half as many
 *     block numbers as frames.  A block that misses while in A1out was
 *     used again soon: it enters Am, the main area, run as a CLOCK.
 *     Victims come from A1in while it is over its share, else from Am.
 *     Hits inside A1in do not promote (correlated references), so a scan
 *     passes through A1in and leaves Am alone.
 *   CACHE_CLOCK: one CLOCK over every frame.
 * Pinned frames, frames being read or written are never victims.
 *
 * Write-back.  A dirty victim is not evicted on the spot: the eviction
 * collects up to WB_EVICT of them, flushes the log up to the highest page
 * LSN among them (the WAL rule), seals each (CRC32C into the header),
 * sorts them by block and submits them in one batch, merging neighbours
 * into one request when their pages happen to be contiguous too.  They
 * stay cached, clean, at the front of the victim order, and the eviction
 * looks again.  cache_flush_all does the
 * same over every dirty frame, WB_MAX per batch, then waits for the
 * write-backs other threads have in flight, then FLUSHes the device.
 *
 * Reads.  A miss takes a frame (free list, else a victim), hashes it as
 * READING, reads through dio and checks the CRC (an all-zero block is a
 * valid empty page).  Other threads that want the block pin the frame and
 * wait.  A failed read (EXO_EIO, EXO_EPERM, EXO_ECORRUPT) unhashes the
 * frame at once and every waiter gets the error; the last one frees it.
 * cache_prefetch hashes its frames READING, unpinned, with the batch they
 * belong to (struct rbatch); nobody waits for a prefetch unless it needs
 * one of its blocks (or its frames): then it claims the batch, waits for
 * its I/O and publishes the results.  Prefetched blocks enter A1in.  A
 * prefetch is a hint: if it fails (one bad block fails its whole batch),
 * a get that waited for it reads the block itself.
 *
 * Revocation.  cache_get compares the info page's revoke_seq and
 * repo_count with the values it last handled (two loads).  When the kernel
 * asks for pages, the cache takes frames as it would for a miss (free ones
 * first, then clean victims, then dirty ones after writing them back) and
 * frees their pages.  If the kernel repossessed pages (the deadline
 * passed), frames whose pages are gone are dropped; if one of them was
 * dirty, pinned or in I/O, data the libOS promised to keep is lost and the
 * cache enters its failed state: every later call returns EXO_EIO.  The
 * way out is to close the cache and recover from the log.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "core.h"
#include "sync.h"

#define NSHARD_BITS   6
#define NSHARD	      (1u << NSHARD_BITS)
#define DEFAULT_PAGES 4096
#define WB_EVICT      32  /* dirty victims one eviction writes together */
#define WB_MAX	      256 /* frames in one write-back batch */
#define PF_BATCHES    4	  /* prefetch batches left unclaimed at most */
#define FORGET_LOOKUP 64  /* cache_forget: look blocks up, else scan frames */
#define REVOKE_RETRY  64  /* gets between tries at an unmet revocation */
#define GHOST_NIL     UINT32_MAX
#define READ_AGAIN    1 /* wait_read: a prefetch failed, read it yourself */

#define LOAD(p)	    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define XCHG(p, v)  __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#define ADD(p, v)   __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define SUB(p, v)   __atomic_sub_fetch((p), (v), __ATOMIC_ACQ_REL)
#define COUNT(p, v) __atomic_add_fetch((p), (v), __ATOMIC_RELAXED)

enum { F_FREE, F_READING, F_VALID, F_FAILED, F_GONE }; /* cpage.state */
enum { Q_NONE, Q_FREE, Q_A1IN, Q_AM };		       /* cpage.queue */
enum { V_NEXT, V_TAKE, V_STOP };		       /* a visitor's answer */
enum { FA_TRY, FA_WAIT };			       /* frame_alloc modes */

struct rbatch;

struct cpage {
	/* Fixed at open. */
	void *data;
	exo_ppn ppn;
	dl_rwlock latch;
	/* Written under c->lock (and the shard lock while hashed). */
	exo_bno bno;
	struct cpage *hnext; /* hash chain */
	struct rbatch *pf;   /* READING for this prefetch batch */
	int err;	     /* FAILED: the read's error */
	uint8_t state;	     /* F_* */
	uint8_t wb;	     /* in a write-back batch */
	uint8_t lost;	     /* page repossessed while in use */
	/* c->lock. */
	uint8_t queue; /* Q_* */
	struct cpage *prev, *next;
	/* Atomic; pins rise only under the shard lock. */
	uint32_t pins;
	uint8_t dirty;
	uint8_t ref; /* CLOCK reference bit */
};

/* A doubly linked FIFO: head newest, tail oldest; next points older. */
struct fifo {
	struct cpage *head, *tail;
	uint64_t len;
};

/* A CLOCK: a circular list and its hand. */
struct ring {
	struct cpage *hand;
	uint64_t len;
};

/* 2Q's A1out: the last cap block numbers evicted from A1in, hashed. */
struct ghost {
	exo_bno *bno;	  /* ring of cap slots; EXO_BNO_NONE: empty */
	uint32_t *next;	  /* chain link of each slot */
	uint32_t *bucket; /* chain heads */
	uint32_t cap, mask, pos;
};

struct shard {
	_Alignas(64) dl_mutex lock;
	struct cpage **bucket;
	uint64_t hits, misses;
};

/* Frames being written back together (invariant 5).  Latched frames fill
 * f[] from the front, deferred ones (pinned by callers) from the back. */
struct wb {
	struct wb *next; /* c->wbs */
	uint64_t seq;
	uint32_t max, nl, nd;
	struct cpage *f[WB_MAX];
};

/* One cache_prefetch call's reads. */
struct rbatch {
	struct rbatch *next; /* c->pfs, oldest first */
	struct dio_wait w;
	int submitted, claimed;
	uint32_t n;
	struct cpage *f[];
};

typedef int (*visit_fn)(struct cache *c, struct cpage *f, void *arg);

struct policy_ops {
	int (*init)(struct cache *c, uint64_t npages);
	/* f just got a block (prefetch: by cache_prefetch). */
	void (*insert)(struct cache *c, struct cpage *f, int prefetch);
	/* f loses its block (evicted: to make room). */
	void (*remove)(struct cache *c, struct cpage *f, int evicted);
	/* Offer candidates to v in eviction order; the one it took, or NULL. */
	struct cpage *(*select)(struct cache *c, visit_fn v, void *arg);
};

struct cache {
	struct exo *e;
	struct dio *d;
	struct wal *w;
	const struct exo_info *info;
	const struct policy_ops *pol;
	struct shard *shard;
	unsigned bbits; /* log2 of buckets per shard */
	struct cpage *frame;
	uint64_t nframes;

	dl_mutex lock;
	dl_cond cond; /* a read, prefetch or write-back finished */
	struct fifo free, a1in;
	struct ring am;
	struct ghost ghost;
	uint64_t nlive; /* frames not GONE */
	struct wb *wbs; /* write-back batches in flight */
	uint64_t wb_seq;
	struct rbatch *pfs; /* prefetch batches not yet finished */
	int revoking;

	/* Atomic; pins rise only under the shard lock. */
	int failed;
	uint64_t seen_seq, seen_repo;
	int64_t revoke_skip;
	int64_t ndirty;
	uint64_t evictions, writebacks, prefetched, revoked;
};

/* ---- pages: checksum ---- */

static struct cache_hdr *hdr(const struct cpage *f)
{
	return f->data;
}

/* CRC32C of the block with its crc field taken as 0. */
static uint32_t page_crc(const void *data)
{
	static const uint8_t zero[4];

	return crc32c(crc32c(0, zero, sizeof zero), (const uint8_t *)data + 4,
		      EXO_BLOCK_SIZE - 4);
}

static int page_is_zero(const void *data)
{
	const uint64_t *p = data;

	for (size_t i = 0; i < EXO_BLOCK_SIZE / sizeof *p; i++)
		if (p[i])
			return 0;
	return 1;
}

static int page_verify(const void *data)
{
	const struct cache_hdr *h = data;

	if (h->crc == page_crc(data) || page_is_zero(data))
		return 0;
	return EXO_ECORRUPT;
}

/* ---- hash table ---- */

static uint64_t bno_hash(exo_bno b)
{
	return b * 0x9e3779b97f4a7c15ull;
}

static struct shard *shard_of(struct cache *c, exo_bno b)
{
	return &c->shard[bno_hash(b) >> (64 - NSHARD_BITS)];
}

static struct cpage **chain_of(struct cache *c, struct shard *sh, exo_bno b)
{
	uint64_t h = bno_hash(b) << NSHARD_BITS;

	return &sh->bucket[c->bbits ? h >> (64 - c->bbits) : 0];
}

static struct cpage *hash_find(struct cache *c, struct shard *sh, exo_bno b)
{
	struct cpage *f = *chain_of(c, sh, b);

	while (f && f->bno != b)
		f = f->hnext;
	return f;
}

static void hash_insert(struct cache *c, struct shard *sh, struct cpage *f)
{
	struct cpage **head = chain_of(c, sh, f->bno);

	f->hnext = *head;
	*head = f;
}

static void hash_remove(struct cache *c, struct shard *sh, struct cpage *f)
{
	struct cpage **l = chain_of(c, sh, f->bno);

	while (*l != f)
		l = &(*l)->hnext;
	*l = f->hnext;
	f->hnext = NULL;
}

/* ---- queues ---- */

static void fifo_push(struct fifo *q, struct cpage *f)
{
	f->prev = NULL;
	f->next = q->head;
	if (q->head)
		q->head->prev = f;
	else
		q->tail = f;
	q->head = f;
	q->len++;
}

static void fifo_unlink(struct fifo *q, struct cpage *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		q->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		q->tail = f->prev;
	f->prev = f->next = NULL;
	q->len--;
}

/* Insert f just behind the hand: it is the last one the hand reaches. */
static void ring_insert(struct ring *r, struct cpage *f)
{
	if (!r->hand) {
		f->next = f->prev = f;
		r->hand = f;
	} else {
		f->next = r->hand;
		f->prev = r->hand->prev;
		f->prev->next = f;
		r->hand->prev = f;
	}
	r->len++;
}

static void ring_unlink(struct ring *r, struct cpage *f)
{
	if (f->next == f) {
		r->hand = NULL;
	} else {
		f->prev->next = f->next;
		f->next->prev = f->prev;
		if (r->hand == f)
			r->hand = f->next;
	}
	f->prev = f->next = NULL;
	r->len--;
}

/* Offer the frames of q to v, oldest first. */
static struct cpage *walk_fifo(struct cache *c, struct fifo *q, visit_fn v,
			       void *arg, int *stop)
{
	struct cpage *f, *newer;

	for (f = q->tail; f; f = newer) {
		newer = f->prev;
		switch (v(c, f, arg)) {
		case V_TAKE:
			return f;
		case V_STOP:
			*stop = 1;
			return NULL;
		}
	}
	return NULL;
}

/* Turn the hand at most twice round: a referenced frame loses its bit and
 * is passed over, an unreferenced one is offered to v. */
static struct cpage *walk_ring(struct cache *c, struct ring *r, visit_fn v,
			       void *arg, int *stop)
{
	uint64_t steps = 2 * r->len;
	struct cpage *f;

	while (r->hand && steps--) {
		f = r->hand;
		r->hand = f->next;
		if (XCHG(&f->ref, 0))
			continue;
		switch (v(c, f, arg)) {
		case V_TAKE:
			return f;
		case V_STOP:
			*stop = 1;
			return NULL;
		}
	}
	return NULL;
}

/* ---- 2Q's ghost list (A1out) ---- */

static uint32_t *ghost_link(struct ghost *g, exo_bno b)
{
	uint32_t *l = &g->bucket[(bno_hash(b) >> 32) & g->mask];

	while (*l != GHOST_NIL && g->bno[*l] != b)
		l = &g->next[*l];
	return l;
}

/* Remove b from the ghost list; 1 if it was there. */
static int ghost_take(struct ghost *g, exo_bno b)
{
	uint32_t *l = ghost_link(g, b), s = *l;

	if (s == GHOST_NIL)
		return 0;
	*l = g->next[s];
	g->bno[s] = EXO_BNO_NONE;
	return 1;
}

/* Remember b, forgetting the oldest entry. */
static void ghost_add(struct ghost *g, exo_bno b)
{
	uint32_t s = g->pos, *l;

	if (g->bno[s] != EXO_BNO_NONE) {
		l = ghost_link(g, g->bno[s]);
		*l = g->next[s];
	}
	g->bno[s] = b;
	l = &g->bucket[(bno_hash(b) >> 32) & g->mask];
	g->next[s] = *l;
	*l = s;
	g->pos = (s + 1) % g->cap;
}

static int ghost_init(struct ghost *g, uint64_t cap)
{
	uint32_t nb = 1, i;

	while (nb < cap)
		nb <<= 1;
	g->bno = malloc(cap * sizeof *g->bno);
	g->next = malloc(cap * sizeof *g->next);
	g->bucket = malloc(nb * sizeof *g->bucket);
	if (!g->bno || !g->next || !g->bucket)
		return EXO_ENOMEM;
	for (i = 0; i < cap; i++)
		g->bno[i] = EXO_BNO_NONE;
	for (i = 0; i < nb; i++)
		g->bucket[i] = GHOST_NIL;
	g->cap = (uint32_t)cap;
	g->mask = nb - 1;
	return 0;
}

static void ghost_free(struct ghost *g)
{
	free(g->bno);
	free(g->next);
	free(g->bucket);
}

/* ---- policy: 2Q ---- */

static uint64_t a1in_share(const struct cache *c)
{
	return c->nlive / 4 ? c->nlive / 4 : 1;
}

static int q2_init(struct cache *c, uint64_t npages)
{
	return ghost_init(&c->ghost, npages / 2 ? npages / 2 : 1);
}

static void q2_insert(struct cache *c, struct cpage *f, int prefetch)
{
	if (ghost_take(&c->ghost, f->bno) && !prefetch) {
		f->queue = Q_AM;
		STORE(&f->ref, 0);
		ring_insert(&c->am, f);
	} else {
		f->queue = Q_A1IN;
		fifo_push(&c->a1in, f);
	}
}

static void q2_remove(struct cache *c, struct cpage *f, int evicted)
{
	if (f->queue == Q_A1IN) {
		fifo_unlink(&c->a1in, f);
		if (evicted)
			ghost_add(&c->ghost, f->bno);
	} else {
		ring_unlink(&c->am, f);
	}
	f->queue = Q_NONE;
}

static struct cpage *q2_select(struct cache *c, visit_fn v, void *arg)
{
	struct cpage *f;
	int stop = 0, fifo_done = 0;

	if (c->a1in.len > a1in_share(c) || !c->am.len) {
		f = walk_fifo(c, &c->a1in, v, arg, &stop);
		if (f || stop)
			return f;
		fifo_done = 1;
	}
	f = walk_ring(c, &c->am, v, arg, &stop);
	if (f || stop || fifo_done)
		return f;
	return walk_fifo(c, &c->a1in, v, arg, &stop);
}

/* ---- policy: CLOCK ---- */

static int clock_init(struct cache *c, uint64_t npages)
{
	(void)c;
	(void)npages;
	return 0;
}

static void clock_insert(struct cache *c, struct cpage *f, int prefetch)
{
	f->queue = Q_AM;
	STORE(&f->ref, !prefetch);
	ring_insert(&c->am, f);
}

static void clock_remove(struct cache *c, struct cpage *f, int evicted)
{
	(void)evicted;
	ring_unlink(&c->am, f);
	f->queue = Q_NONE;
}

static struct cpage *clock_select(struct cache *c, visit_fn v, void *arg)
{
	int stop = 0;

	return walk_ring(c, &c->am, v, arg, &stop);
}

static const struct policy_ops policy_2q = {
	.init = q2_init,
	.insert = q2_insert,
	.remove = q2_remove,
	.select = q2_select,
};

static const struct policy_ops policy_clock = {
	.init = clock_init,
	.insert = clock_insert,
	.remove = clock_remove,
	.select = clock_select,
};

static const struct policy_ops *const policies[] = {
	[CACHE_2Q] = &policy_2q,
	[CACHE_CLOCK] = &policy_clock,
};

/* ---- frames ---- */

static int is_failed(struct cache *c)
{
	return LOAD(&c->failed);
}

/* Put a frame nobody can reach on the free list.  c->lock held. */
static void frame_free_locked(struct cache *c, struct cpage *f)
{
	f->state = F_FREE;
	f->bno = EXO_BNO_NONE;
	f->pf = NULL;
	f->queue = Q_FREE;
	fifo_push(&c->free, f);
}

static void frame_free(struct cache *c, struct cpage *f)
{
	dl_lock(&c->lock);
	frame_free_locked(c, f);
	dl_unlock(&c->lock);
}

/* A victim left the hash: it leaves its queue too.  c->lock held. */
static void frame_evicted(struct cache *c, struct cpage *f)
{
	c->pol->remove(c, f, 1);
	f->state = F_FREE;
	f->bno = EXO_BNO_NONE;
	COUNT(&c->evictions, 1);
}

/*
 * Give frame f (taken from frame_alloc) block b with pf, state and pins;
 * 0 if b got a frame meanwhile (f stays the caller's).
 */
static int publish(struct cache *c, struct cpage *f, exo_bno b,
		   struct rbatch *pf, int state, uint32_t pins)
{
	struct shard *sh = shard_of(c, b);
	int ok = 0;

	dl_lock(&c->lock);
	dl_lock(&sh->lock);
	if (!hash_find(c, sh, b)) {
		f->bno = b;
		f->pf = pf;
		f->state = (uint8_t)state;
		f->wb = 0;
		STORE(&f->pins, pins);
		STORE(&f->dirty, 0);
		hash_insert(c, sh, f);
		if (!pf)
			sh->misses++;
		c->pol->insert(c, f, pf != NULL);
		ok = 1;
	}
	dl_unlock(&sh->lock);
	dl_unlock(&c->lock);
	return ok;
}

/* ---- write-back ---- */

static uint32_t wb_count(const struct wb *b)
{
	return b->nl + b->nd;
}

static void wb_init(struct wb *b, uint32_t max)
{
	b->max = max;
	b->nl = b->nd = 0;
}

/*
 * Take dirty frame f into batch b: latched shared now if nobody pins it
 * (invariant 2: this cannot block), else deferred.  c->lock and f's shard
 * lock held.
 */
static void wb_add(struct cache *c, struct wb *b, struct cpage *f)
{
	if (wb_count(b) == 0) {
		b->seq = ++c->wb_seq;
		b->next = c->wbs;
		c->wbs = b;
	}
	if (LOAD(&f->pins) == 0) {
		dl_rdlock(&f->latch);
		b->f[b->nl++] = f;
	} else {
		b->f[WB_MAX - ++b->nd] = f;
	}
	ADD(&f->pins, 1);
	f->wb = 1;
}

static int cmp_bno(const void *a, const void *b)
{
	exo_bno x = (*(struct cpage *const *)a)->bno;
	exo_bno y = (*(struct cpage *const *)b)->bno;

	return x < y ? -1 : x > y;
}

/* Requests moving frames f[0..n) (sorted by block): neighbours whose
 * pages are contiguous too share one request.  Returns how many. */
static uint32_t build_reqs(struct cpage **f, uint32_t n, uint8_t op,
			   struct exo_ioreq *req)
{
	uint32_t i, k = 0;

	for (i = 0; i < n; i++) {
		struct exo_ioreq *r = k ? &req[k - 1] : NULL;

		if (r && r->bno + r->n == f[i]->bno &&
		    r->ppn + r->n == f[i]->ppn && r->n < EXO_IO_MAXBLOCKS) {
			r->n++;
			continue;
		}
		memset(&req[k], 0, sizeof req[k]);
		req[k].op = op;
		req[k].n = 1;
		req[k].bno = f[i]->bno;
		req[k].ppn = f[i]->ppn;
		k++;
	}
	return k;
}

static void redirty(struct cache *c, struct cpage *f)
{
	if (!XCHG(&f->dirty, 1))
		ADD(&c->ndirty, 1);
}

/*
 * Write frames f[0..n), latched shared by the caller: clear dirty, flush
 * the log up to their highest LSN, seal, write, wait.  On failure they
 * are dirty again.
 */
static int wb_write(struct cache *c, struct cpage **f, uint32_t n)
{
	struct exo_ioreq req[WB_MAX];
	struct dio_wait w = {0};
	lsn_t lsn = 0;
	uint32_t i, nreq;
	int err = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (XCHG(&f[i]->dirty, 0))
			SUB(&c->ndirty, 1);
		if (hdr(f[i])->lsn > lsn)
			lsn = hdr(f[i])->lsn;
	}
	if (c->w && lsn)
		err = wal_flush(c->w, lsn);
	if (!err) {
		for (i = 0; i < n; i++)
			hdr(f[i])->crc = page_crc(f[i]->data);
		qsort(f, n, sizeof *f, cmp_bno);
		nreq = build_reqs(f, n, EXO_OP_WRITE, req);
		err = dio_submit(c->d, req, nreq, &w);
		if (!err)
			err = dio_wait(c->d, &w);
	}
	if (err) {
		for (i = 0; i < n; i++)
			redirty(c, f[i]);
		return err;
	}
	COUNT(&c->writebacks, n);
	return 0;
}

/* The k-th frame of batch b, 0 <= k < wb_count(b). */
static struct cpage *wb_frame(const struct wb *b, uint32_t k)
{
	return k < b->nl ? b->f[k] : b->f[WB_MAX - b->nd + (k - b->nl)];
}

/* The batch is written: unmark its frames, wake who waits for them. */
static void wb_done(struct cache *c, struct wb *b)
{
	struct wb **l;
	uint32_t k;

	dl_lock(&c->lock);
	for (k = 0; k < wb_count(b); k++) {
		struct cpage *f = wb_frame(b, k);
		struct shard *sh = shard_of(c, f->bno);

		dl_lock(&sh->lock);
		f->wb = 0;
		SUB(&f->pins, 1);
		dl_unlock(&sh->lock);
	}
	for (l = &c->wbs; *l != b; l = &(*l)->next)
		;
	*l = b->next;
	dl_broadcast(&c->cond);
	dl_unlock(&c->lock);
}

/* Write batch b back: the latched frames together, then each deferred one
 * alone once its latch is free (invariant 3). */
static int wb_run(struct cache *c, struct wb *b)
{
	uint32_t i;
	int err, e;

	err = wb_write(c, b->f, b->nl);
	for (i = 0; i < b->nl; i++)
		dl_rwunlock(&b->f[i]->latch);
	for (i = WB_MAX - b->nd; i < WB_MAX; i++) {
		struct cpage *f = b->f[i];

		dl_rdlock(&f->latch);
		e = LOAD(&f->dirty) ? wb_write(c, &f, 1) : 0;
		dl_rwunlock(&f->latch);
		if (e && !err)
			err = e;
	}
	wb_done(c, b);
	return err;
}

/* 1 while a batch started at or before seq is in flight.  c->lock held. */
static int wb_pending(struct cache *c, uint64_t seq)
{
	struct wb *b;

	for (b = c->wbs; b; b = b->next)
		if (b->seq <= seq)
			return 1;
	return 0;
}

/* ---- prefetch batches ---- */

static void pf_link(struct cache *c, struct rbatch *b)
{
	struct rbatch **l = &c->pfs;

	while (*l)
		l = &(*l)->next;
	*l = b;
}

static void pf_unlink(struct cache *c, struct rbatch *b)
{
	struct rbatch **l = &c->pfs;

	while (*l != b)
		l = &(*l)->next;
	*l = b->next;
}

static unsigned pf_count(struct cache *c)
{
	unsigned n = 0;

	for (struct rbatch *b = c->pfs; b; b = b->next)
		n++;
	return n;
}

/* Publish the outcome of the read into f.  c->lock held. */
static void read_done_locked(struct cache *c, struct cpage *f, int err)
{
	struct shard *sh = shard_of(c, f->bno);

	dl_lock(&sh->lock);
	if (!err) {
		f->state = F_VALID;
		f->pf = NULL;
		dl_unlock(&sh->lock);
		return;
	}
	hash_remove(c, sh, f);
	f->state = F_FAILED;
	f->err = f->pf ? READ_AGAIN : err; /* a prefetch is only a hint */
	dl_unlock(&sh->lock);
	f->pf = NULL;
	c->pol->remove(c, f, 0);
	/* Unhashed: the pins can only fall now, and only under c->lock. */
	if (LOAD(&f->pins) == 0)
		frame_free_locked(c, f);
}

static void read_done(struct cache *c, struct cpage *f, int err)
{
	dl_lock(&c->lock);
	read_done_locked(c, f, err);
	dl_broadcast(&c->cond);
	dl_unlock(&c->lock);
}

/* Wait for prefetch batch b (claimed by us) and publish what it read. */
static void pf_finish(struct cache *c, struct rbatch *b)
{
	int err = dio_wait(c->d, &b->w);
	uint32_t i;

	for (i = 0; i < b->n; i++)
		b->f[i]->err = err ? err : page_verify(b->f[i]->data);
	dl_lock(&c->lock);
	for (i = 0; i < b->n; i++)
		read_done_locked(c, b->f[i], b->f[i]->err);
	pf_unlink(c, b);
	dl_broadcast(&c->cond);
	dl_unlock(&c->lock);
	free(b);
}

/* Claim b if it is still listed, submitted and unclaimed.  c->lock held. */
static int pf_claim(struct cache *c, struct rbatch *b)
{
	struct rbatch *x;

	for (x = c->pfs; x && x != b; x = x->next)
		;
	if (!x || !x->submitted || x->claimed)
		return 0;
	x->claimed = 1;
	return 1;
}

/* Finish the oldest claimable prefetch batch, dropping c->lock meanwhile;
 * 0 if there was none.  c->lock held. */
static int pf_reap_locked(struct cache *c)
{
	struct rbatch *b;

	for (b = c->pfs; b; b = b->next) {
		if (pf_claim(c, b)) {
			dl_unlock(&c->lock);
			pf_finish(c, b);
			dl_lock(&c->lock);
			return 1;
		}
	}
	return 0;
}

/* Finish every prefetch batch, including those of other threads. */
static void pf_drain(struct cache *c)
{
	dl_lock(&c->lock);
	while (c->pfs)
		if (!pf_reap_locked(c))
			dl_wait(&c->cond, &c->lock);
	dl_unlock(&c->lock);
}

/* ---- taking frames ---- */

struct victim_scan {
	struct wb *wb;	  /* dirty victims are collected here; NULL: skipped */
	unsigned busy;	  /* victims once someone's write-back ends */
	unsigned reading; /* unpinned frames of unfinished prefetches */
};

/* Take f if it can go now; collect it if it is dirty.  c->lock held. */
static int visit_victim(struct cache *c, struct cpage *f, void *arg)
{
	struct victim_scan *s = arg;
	struct shard *sh = shard_of(c, f->bno);
	uint32_t pins;
	int r = V_NEXT;

	dl_lock(&sh->lock);
	pins = LOAD(&f->pins);
	if (f->wb) {
		s->busy += pins == 1;
	} else if (pins == 0 && f->state == F_READING) {
		s->reading++;
	} else if (pins == 0 && LOAD(&f->dirty)) {
		if (s->wb && wb_count(s->wb) < s->wb->max)
			wb_add(c, s->wb, f);
		else if (s->wb)
			r = V_STOP;
	} else if (pins == 0) {
		hash_remove(c, sh, f);
		r = V_TAKE;
	}
	dl_unlock(&sh->lock);
	return r;
}

/*
 * Take a frame for a new block: a free one, else a clean victim.  With
 * FA_WAIT dirty victims are written back (in a batch), and unfinished
 * prefetches and other threads' write-backs are waited for; with FA_TRY
 * the call never waits.  EXO_ENOMEM when every frame is pinned.
 */
static int frame_alloc(struct cache *c, int mode, struct cpage **out)
{
	struct victim_scan s;
	struct cpage *f;
	struct wb b;
	int err = 0;

	dl_lock(&c->lock);
	for (;;) {
		f = NULL;
		if (is_failed(c)) {
			err = EXO_EIO;
			break;
		}
		f = c->free.tail;
		if (f) {
			fifo_unlink(&c->free, f);
			f->queue = Q_NONE;
			break;
		}
		wb_init(&b, WB_EVICT);
		memset(&s, 0, sizeof s);
		s.wb = mode == FA_WAIT ? &b : NULL;
		f = c->pol->select(c, visit_victim, &s);
		if (f)
			frame_evicted(c, f);
		if (wb_count(&b)) {
			dl_unlock(&c->lock);
			err = wb_run(c, &b);
			dl_lock(&c->lock);
			if (f || err)
				break;
			continue;
		}
		if (f)
			break;
		if (mode == FA_TRY) {
			err = EXO_ENOMEM;
			break;
		}
		if (s.reading && pf_reap_locked(c))
			continue;
		if (!s.busy && !s.reading) {
			err = EXO_ENOMEM;
			break;
		}
		dl_wait(&c->cond, &c->lock);
	}
	dl_unlock(&c->lock);
	if (f)
		*out = f;
	return f ? 0 : err;
}

/* ---- reading ---- */

/* f is pinned and was not VALID: wait until its read is over.  0, or the
 * read's error, or READ_AGAIN if it was a prefetch that failed (the pin
 * is gone then). */
static int wait_read(struct cache *c, struct cpage *f)
{
	struct rbatch *b;
	int err = 0;

	dl_lock(&c->lock);
	while (f->state == F_READING) {
		b = f->pf;
		if (b && pf_claim(c, b)) {
			dl_unlock(&c->lock);
			pf_finish(c, b);
			dl_lock(&c->lock);
			continue;
		}
		dl_wait(&c->cond, &c->lock);
	}
	if (f->state == F_FAILED) {
		err = f->err;
		if (SUB(&f->pins, 1) == 0)
			frame_free_locked(c, f);
	}
	dl_unlock(&c->lock);
	return err;
}

/* Drop the pin on a frame whose read failed. */
static void unpin_failed(struct cache *c, struct cpage *f)
{
	dl_lock(&c->lock);
	if (SUB(&f->pins, 1) == 0)
		frame_free_locked(c, f);
	dl_unlock(&c->lock);
}

static int read_block(struct cache *c, struct cpage *f)
{
	struct dio_wait w = {0};
	struct exo_ioreq r;
	int err;

	build_reqs(&f, 1, EXO_OP_READ, &r);
	err = dio_submit(c->d, &r, 1, &w);
	if (!err)
		err = dio_wait(c->d, &w);
	return err ? err : page_verify(f->data);
}

/* A miss: take a frame, hash it, read.  1 if another thread hashed the
 * block first (look again). */
static int get_miss(struct cache *c, exo_bno b, unsigned flags,
		    struct cpage **out)
{
	struct cpage *f;
	int err, isnew = flags & CACHE_NEW;

	err = frame_alloc(c, FA_WAIT, &f);
	if (err)
		return err;
	if (isnew)
		memset(f->data, 0, EXO_BLOCK_SIZE);
	if (!publish(c, f, b, NULL, isnew ? F_VALID : F_READING, 1)) {
		frame_free(c, f);
		return 1;
	}
	if (!isnew) {
		err = read_block(c, f);
		read_done(c, f, err);
		if (err) {
			unpin_failed(c, f);
			return err;
		}
	}
	*out = f;
	return 0;
}

/* ---- revocation ---- */

/* Two loads on the hit path.  Pages repossessed are handled at once; a
 * request we could not meet in full is tried again every REVOKE_RETRY
 * gets. */
static int revocation_due(struct cache *c)
{
	if (LOAD(&c->info->repo_count) != LOAD(&c->seen_repo))
		return 1;
	return LOAD(&c->info->revoke_seq) != LOAD(&c->seen_seq) &&
	       __atomic_sub_fetch(&c->revoke_skip, 1, __ATOMIC_RELAXED) < 0;
}

/* Unhash unpinned VALID frame f (it is being dropped); 1 if it was dirty.
 * c->lock held.  -1 if it is in use. */
static int unhash_idle(struct cache *c, struct cpage *f)
{
	struct shard *sh = shard_of(c, f->bno);
	int dirty = -1;

	dl_lock(&sh->lock);
	if (!LOAD(&f->pins) && !f->wb) {
		hash_remove(c, sh, f);
		dirty = XCHG(&f->dirty, 0);
	}
	dl_unlock(&sh->lock);
	if (dirty >= 0)
		c->pol->remove(c, f, 0);
	if (dirty > 0)
		SUB(&c->ndirty, 1);
	return dirty;
}

/* f's page was repossessed: drop f.  If it held data we still owed (it was
 * dirty, pinned, in I/O or being taken), the cache has failed; a frame in
 * use stays where it is, marked lost.  c->lock held. */
static void frame_lost(struct cache *c, struct cpage *f)
{
	int dirty = -1;

	f->lost = 1;
	if (f->queue == Q_FREE) {
		fifo_unlink(&c->free, f);
		dirty = 0;
	} else if (f->state == F_VALID) {
		dirty = unhash_idle(c, f);
	}
	if (dirty != 0)
		STORE(&c->failed, 1);
	if (dirty < 0)
		return;
	f->state = F_GONE;
	f->queue = Q_NONE;
	c->nlive--;
}

/* Handle repossessions we have not seen yet. */
static void repo_check(struct cache *c)
{
	uint64_t cnt = LOAD(&c->info->repo_count), i;

	if (cnt == LOAD(&c->seen_repo))
		return;
	dl_lock(&c->lock);
	for (i = 0; i < c->nframes; i++) {
		struct cpage *f = &c->frame[i];

		if (f->state != F_GONE && !f->lost &&
		    !exo_page_addr(c->e, f->ppn))
			frame_lost(c, f);
	}
	STORE(&c->seen_repo, cnt);
	dl_unlock(&c->lock);
}

/* Give up to want frames' pages to the kernel; how many were given. */
static uint64_t revoke_frames(struct cache *c, uint64_t want, int *err)
{
	uint64_t given = 0;
	struct cpage *f;

	while (given < want) {
		*err = frame_alloc(c, FA_WAIT, &f);
		if (*err)
			break;
		*err = exo_page_free(c->e, f->ppn, 1);
		if (*err) {
			frame_free(c, f);
			break;
		}
		dl_lock(&c->lock);
		f->state = F_GONE;
		c->nlive--;
		dl_unlock(&c->lock);
		given++;
	}
	return given;
}

int cache_answer_revocation(struct cache *c)
{
	const struct exo_info *in;
	uint64_t seq, given;
	int err = 0;

	if (!c)
		return EXO_EINVAL;
	if (is_failed(c))
		return EXO_EIO;
	dl_lock(&c->lock);
	if (c->revoking) {
		dl_unlock(&c->lock);
		return 0;
	}
	c->revoking = 1;
	dl_unlock(&c->lock);
	in = exo_info(c->e); /* refreshes it: an expired request is taken */
	seq = LOAD(&in->revoke_seq);
	repo_check(c);
	given = revoke_frames(c, LOAD(&in->revoke_pages), &err);
	COUNT(&c->revoked, given);
	if (LOAD(&in->revoke_pages)) {
		STORE(&c->revoke_skip, REVOKE_RETRY);
	} else {
		STORE(&c->revoke_skip, 0);
		STORE(&c->seen_seq, seq);
	}
	dl_lock(&c->lock);
	c->revoking = 0;
	dl_unlock(&c->lock);
	if (is_failed(c))
		return EXO_EIO;
	if (given || err == EXO_ENOMEM)
		return (int)given;
	return err;
}

/* ---- the interface ---- */

int cache_get(struct cache *c, exo_bno bno, unsigned flags, struct cpage **out)
{
	struct shard *sh;
	struct cpage *f;
	uint32_t others;
	int err, state;

	if (!c || !out || bno == EXO_BNO_NONE || (flags & ~CACHE_NEW))
		return EXO_EINVAL;
	if (revocation_due(c))
		cache_answer_revocation(c);
	if (is_failed(c))
		return EXO_EIO;
	for (;;) {
		sh = shard_of(c, bno);
		dl_lock(&sh->lock);
		f = hash_find(c, sh, bno);
		if (!f) {
			dl_unlock(&sh->lock);
			err = get_miss(c, bno, flags, out);
			if (err <= 0)
				return err;
			continue;
		}
		/* others: pins of callers, not of a write-back */
		others = __atomic_fetch_add(&f->pins, 1, __ATOMIC_ACQ_REL) -
			 f->wb;
		sh->hits++;
		state = f->state;
		dl_unlock(&sh->lock);
		if (!__atomic_load_n(&f->ref, __ATOMIC_RELAXED))
			__atomic_store_n(&f->ref, 1, __ATOMIC_RELAXED);
		if (state != F_VALID) {
			err = wait_read(c, f);
			if (err == READ_AGAIN || (err && (flags & CACHE_NEW)))
				continue; /* read it ourselves, or not at all */
			if (err)
				return err;
		}
		if ((flags & CACHE_NEW) && others == 0) {
			/* Nobody else uses it: start it zeroed, as a miss
			 * would (LSN 0; a dirty page stays dirty). */
			dl_wrlock(&f->latch);
			memset(f->data, 0, EXO_BLOCK_SIZE);
			dl_rwunlock(&f->latch);
		}
		*out = f;
		return 0;
	}
}

void cache_put(struct cache *c, struct cpage *p)
{
	(void)c;
	assert(LOAD(&p->pins) > 0);
	SUB(&p->pins, 1);
}

void cache_latch(struct cpage *p, int exclusive)
{
	if (exclusive)
		dl_wrlock(&p->latch);
	else
		dl_rdlock(&p->latch);
}

void cache_unlatch(struct cpage *p, int exclusive)
{
	(void)exclusive;
	dl_rwunlock(&p->latch);
}

void *cpage_data(struct cpage *p)
{
	return p->data;
}

exo_bno cpage_bno(const struct cpage *p)
{
	return p->bno;
}

lsn_t cpage_lsn(const struct cpage *p)
{
	return hdr(p)->lsn;
}

void cache_dirty(struct cache *c, struct cpage *p, lsn_t lsn)
{
	if (lsn > hdr(p)->lsn)
		hdr(p)->lsn = lsn;
	redirty(c, p);
}

static int cached(struct cache *c, exo_bno b)
{
	struct shard *sh = shard_of(c, b);
	int found;

	dl_lock(&sh->lock);
	found = hash_find(c, sh, b) != NULL;
	dl_unlock(&sh->lock);
	return found;
}

/* Blocks one prefetch reads at most: half of A1in, so that a scan's
 * prefetched blocks are not pushed out before they are used. */
static uint32_t pf_window(struct cache *c)
{
	uint64_t n;

	dl_lock(&c->lock);
	n = a1in_share(c) / 2;
	dl_unlock(&c->lock);
	if (n > EXO_IO_MAXBATCH)
		n = EXO_IO_MAXBATCH;
	return n ? (uint32_t)n : 1;
}

/* Submit b's reads; on failure its frames fail and b is gone. */
static int pf_submit(struct cache *c, struct rbatch *b)
{
	struct exo_ioreq *req = NULL;
	uint32_t i, nreq = 0;
	int err = 0;

	if (b->n) {
		req = malloc(b->n * sizeof *req);
		if (!req)
			err = EXO_ENOMEM;
	}
	if (req) {
		nreq = build_reqs(b->f, b->n, EXO_OP_READ, req);
		err = dio_submit(c->d, req, nreq, &b->w);
		free(req);
	}
	dl_lock(&c->lock);
	if (err || !b->n) {
		for (i = 0; i < b->n; i++)
			read_done_locked(c, b->f[i], err);
		pf_unlink(c, b);
		free(b);
	} else {
		/* From here on whoever claims b frees it. */
		b->submitted = 1;
		COUNT(&c->prefetched, b->n);
	}
	dl_broadcast(&c->cond);
	dl_unlock(&c->lock);
	return err;
}

int cache_prefetch(struct cache *c, exo_bno bno, uint32_t n)
{
	struct rbatch *b;
	struct cpage *f;
	uint32_t i, max;
	int err;

	if (!c || bno == EXO_BNO_NONE || bno + n < bno)
		return EXO_EINVAL;
	if (is_failed(c))
		return EXO_EIO;
	max = pf_window(c);
	n = n < max ? n : max;
	if (n == 0)
		return 0;
	b = calloc(1, sizeof *b + n * sizeof b->f[0]);
	if (!b)
		return EXO_ENOMEM;
	dl_lock(&c->lock);
	while (pf_count(c) >= PF_BATCHES && pf_reap_locked(c))
		;
	pf_link(c, b);
	dl_unlock(&c->lock);
	for (i = 0; i < n; i++) {
		if (cached(c, bno + i))
			continue;
		if (frame_alloc(c, FA_TRY, &f))
			break;
		if (publish(c, f, bno + i, b, F_READING, 0))
			b->f[b->n++] = f;
		else
			frame_free(c, f);
	}
	n = b->n;
	err = pf_submit(c, b);
	return err ? err : (int)n;
}

/* Add f to b if it is dirty and nobody writes it yet.  c->lock held. */
static void flush_pick(struct cache *c, struct wb *b, struct cpage *f)
{
	struct shard *sh;

	if (f->state != F_VALID || f->wb || f->lost || !LOAD(&f->dirty))
		return;
	sh = shard_of(c, f->bno);
	dl_lock(&sh->lock);
	wb_add(c, b, f);
	dl_unlock(&sh->lock);
}

static int device_flush(struct cache *c)
{
	struct exo_ioreq r = {.op = EXO_OP_FLUSH, .n = 1};
	struct dio_wait w = {0};
	int err = dio_submit(c->d, &r, 1, &w);

	return err ? err : dio_wait(c->d, &w);
}

int cache_flush_all(struct cache *c)
{
	uint64_t i = 0, seq;
	struct wb *b;
	int err = 0, e;

	if (!c)
		return EXO_EINVAL;
	b = malloc(sizeof *b);
	if (!b)
		return EXO_ENOMEM;
	while (i < c->nframes && !is_failed(c)) {
		wb_init(b, WB_MAX);
		dl_lock(&c->lock);
		for (; i < c->nframes && wb_count(b) < WB_MAX; i++)
			flush_pick(c, b, &c->frame[i]);
		dl_unlock(&c->lock);
		e = wb_count(b) ? wb_run(c, b) : 0;
		if (e && !err)
			err = e;
	}
	free(b);
	/* Writes other threads started are not covered by FLUSH until they
	 * complete. */
	dl_lock(&c->lock);
	seq = c->wb_seq;
	while (wb_pending(c, seq))
		dl_wait(&c->cond, &c->lock);
	dl_unlock(&c->lock);
	if (is_failed(c))
		return EXO_EIO;
	return err ? err : device_flush(c);
}

struct forget_scan {
	unsigned pinned, busy, reading;
};

/* Drop hashed frame f unless it is in use.  c->lock and its shard lock
 * held; the shard lock is released. */
static void forget_frame(struct cache *c, struct shard *sh, struct cpage *f,
			 struct forget_scan *s)
{
	if (f->wb) {
		s->busy++;
	} else if (LOAD(&f->pins)) {
		s->pinned++;
	} else if (f->state == F_READING) {
		s->reading++;
	} else {
		hash_remove(c, sh, f);
		if (XCHG(&f->dirty, 0))
			SUB(&c->ndirty, 1);
		dl_unlock(&sh->lock);
		c->pol->remove(c, f, 0);
		frame_free_locked(c, f);
		return;
	}
	dl_unlock(&sh->lock);
}

/* One pass over [bno, bno+n).  c->lock held. */
static void forget_pass(struct cache *c, exo_bno bno, uint64_t n,
			struct forget_scan *s)
{
	struct shard *sh;
	struct cpage *f;
	uint64_t i;

	if (n <= FORGET_LOOKUP) {
		for (i = 0; i < n; i++) {
			sh = shard_of(c, bno + i);
			dl_lock(&sh->lock);
			f = hash_find(c, sh, bno + i);
			if (f)
				forget_frame(c, sh, f, s);
			else
				dl_unlock(&sh->lock);
		}
		return;
	}
	for (i = 0; i < c->nframes; i++) {
		f = &c->frame[i];
		if ((f->state != F_VALID && f->state != F_READING) ||
		    f->bno < bno || f->bno - bno >= n)
			continue;
		sh = shard_of(c, f->bno);
		dl_lock(&sh->lock);
		forget_frame(c, sh, f, s);
	}
}

int cache_forget(struct cache *c, exo_bno bno, uint64_t n)
{
	struct forget_scan s;

	if (!c || bno + n < bno)
		return EXO_EINVAL;
	if (is_failed(c))
		return EXO_EIO;
	dl_lock(&c->lock);
	for (;;) {
		memset(&s, 0, sizeof s);
		forget_pass(c, bno, n, &s);
		if (!s.busy && !s.reading)
			break;
		if (!s.reading || !pf_reap_locked(c))
			dl_wait(&c->cond, &c->lock);
	}
	dl_unlock(&c->lock);
	return s.pinned ? EXO_EINVAL : 0;
}

void cache_get_stats(struct cache *c, struct cache_stats *s)
{
	unsigned i;

	memset(s, 0, sizeof *s);
	if (!c)
		return;
	for (i = 0; i < NSHARD; i++) {
		dl_lock(&c->shard[i].lock);
		s->hits += c->shard[i].hits;
		s->misses += c->shard[i].misses;
		dl_unlock(&c->shard[i].lock);
	}
	s->evictions = LOAD(&c->evictions);
	s->writebacks = LOAD(&c->writebacks);
	s->prefetched = LOAD(&c->prefetched);
	s->revoked = LOAD(&c->revoked);
	dl_lock(&c->lock);
	s->npages = c->nlive;
	dl_unlock(&c->lock);
	s->dirty = (uint64_t)LOAD(&c->ndirty);
}

/* ---- open and close ---- */

static void frame_init(struct cache *c, struct cpage *f, exo_ppn ppn)
{
	f->ppn = ppn;
	f->data = exo_page_addr(c->e, ppn);
	f->bno = EXO_BNO_NONE;
	f->state = F_FREE;
	dl_rwlock_init(&f->latch);
}

/* The page budget, in runs as long as the kernel gives. */
static int pages_alloc(struct cache *c, uint64_t npages)
{
	uint64_t run = npages, k;
	exo_ppn ppn;
	int err;

	while (c->nframes < npages) {
		if (run > npages - c->nframes)
			run = npages - c->nframes;
		err = exo_page_alloc(c->e, 0, run, &ppn);
		if (err == EXO_ENOMEM && run > 1) {
			run /= 2;
			continue;
		}
		if (err)
			return err;
		for (k = 0; k < run; k++)
			frame_init(c, &c->frame[c->nframes + k], ppn + k);
		c->nframes += run;
	}
	return 0;
}

/* Free the pages we still own, in runs. */
static void pages_free(struct cache *c)
{
	uint64_t i = 0, j;

	while (i < c->nframes) {
		struct cpage *f = &c->frame[i];

		if (f->state == F_GONE || f->lost) {
			i++;
			continue;
		}
		for (j = i + 1; j < c->nframes; j++) {
			struct cpage *g = &c->frame[j];

			if (g->state == F_GONE || g->lost ||
			    g->ppn != f->ppn + (j - i))
				break;
		}
		exo_page_free(c->e, f->ppn, j - i);
		i = j;
	}
}

static int shards_alloc(struct cache *c, uint64_t npages)
{
	size_t nb;
	unsigned i;

	while (((uint64_t)NSHARD << c->bbits) < npages)
		c->bbits++;
	nb = (size_t)1 << c->bbits;
	c->shard = aligned_alloc(64, NSHARD * sizeof *c->shard);
	if (!c->shard)
		return EXO_ENOMEM;
	memset(c->shard, 0, NSHARD * sizeof *c->shard);
	for (i = 0; i < NSHARD; i++) {
		dl_mutex_init(&c->shard[i].lock);
		c->shard[i].bucket = calloc(nb, sizeof(struct cpage *));
		if (!c->shard[i].bucket)
			return EXO_ENOMEM;
	}
	return 0;
}

static void cache_free(struct cache *c)
{
	uint64_t i;

	pages_free(c);
	for (i = 0; i < c->nframes; i++)
		dl_rwlock_destroy(&c->frame[i].latch);
	if (c->shard) {
		for (i = 0; i < NSHARD; i++) {
			dl_mutex_destroy(&c->shard[i].lock);
			free(c->shard[i].bucket);
		}
	}
	ghost_free(&c->ghost);
	free(c->shard);
	free(c->frame);
	dl_cond_destroy(&c->cond);
	dl_mutex_destroy(&c->lock);
	free(c);
}

int cache_open(struct exo *e, struct dio *d, struct wal *w,
	       const struct cache_opts *o, struct cache **out)
{
	static const struct cache_opts defaults;
	struct cache *c;
	uint64_t npages, i;
	int err;

	if (!e || !d || !out)
		return EXO_EINVAL;
	if (!o)
		o = &defaults;
	if ((unsigned)o->policy > CACHE_CLOCK || o->npages > UINT32_MAX)
		return EXO_EINVAL;
	npages = o->npages ? o->npages : DEFAULT_PAGES;
	c = calloc(1, sizeof *c);
	if (!c)
		return EXO_ENOMEM;
	c->e = e;
	c->d = d;
	c->w = w;
	c->pol = policies[o->policy];
	dl_mutex_init(&c->lock);
	dl_cond_init(&c->cond);
	c->frame = calloc(npages, sizeof *c->frame);
	err = c->frame ? shards_alloc(c, npages) : EXO_ENOMEM;
	if (!err)
		err = pages_alloc(c, npages);
	if (!err)
		err = c->pol->init(c, npages);
	if (err) {
		cache_free(c);
		return err;
	}
	for (i = 0; i < c->nframes; i++)
		frame_free_locked(c, &c->frame[i]);
	c->nlive = c->nframes;
	c->info = exo_info(e);
	c->seen_seq = ~LOAD(&c->info->revoke_seq); /* look at it once */
	c->seen_repo = LOAD(&c->info->repo_count);
	*out = c;
	return 0;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	pf_drain(c);
	cache_free(c);
}
