/*
 * store.c: create, open, recover, checkpoint and close a store (store.h).
 *
 * Open, in order (each step named by its function):
 *   open_attach     attach: exo_attach with the capability, an arena for
 *                   the cache, the log buffer and ARENA_SLACK; the root
 *                   block is A; load_owned: the owner's extents (recovery
 *                   and reconcile use them); read_sb: both superblock
 *                   copies through a small cache without a log (the log's
 *                   place is in the superblock), the valid one with the
 *                   higher generation wins; open_log
 *   open_rw         read-write: the cache, of its usual size; recover:
 *                   wal_recover from ckpt_lsn, redo_record for each
 *                   record.  The cache evicts and writes back recovered
 *                   pages like any dirty page: they hold only changes of
 *                   records already on the media (wal_recover FLUSHes the
 *                   device before it reads, and lets wal_flush cover every
 *                   record read so far), and a page torn by a cut during
 *                   recovery is rebuilt by the next one from the full image
 *                   its first change after ckpt_lsn logged.  Then open_ckpt:
 *                   flush the recovered pages, write the superblock with
 *                   epoch + 1 and the checkpoint at the end of the log,
 *                   then wal_start (so no record of the new life can be
 *                   confused with a stale one of an old life)
 *   open_ro         read-only: nothing may be written, so every page
 *                   recovery touches stays pinned and clean until close:
 *                   count_pages, a first pass over the log, counts them
 *                   (more than ro_limit is EXO_ENOMEM); if the arena has
 *                   no room for them, detach and attach again with more;
 *                   recover into a cache enlarged by them
 *   balloc_open     the allocator; check_torn: a page torn by a cut and
 *                   never repaired by a full image must be free
 *   reconcile       kernel ownership against superblock + log + chunks
 *   start_thread    the checkpointer
 *
 * Create: attach (creating the owner), give back anything a crashed
 * create left, allocate the superblock pair and the log, start the log at
 * epoch 1, format the allocator and the object directory in one
 * transaction, checkpoint (superblock A, generation 1), and only then set
 * the owner's root block: a store exists exactly when its root is set.
 *
 * Checkpoint: under the writer mutex take L = the end of the log and a
 * snapshot of the superblock (so the roots match L) and make L the
 * full-page-image threshold; then flush the log to L, write back every
 * dirty page, write the superblock (ckpt_lsn = L) into the other copy and
 * flush, and let the log be reused before L.  Since the checkpoint needs
 * the writer mutex, no writer may wait for log space while holding it:
 * store_writer_enter checkpoints first while the log is over GATE_PCT
 * full, and a record is at most a quarter of the log (wal.h).
 *
 * Locks: ckpt_lock serializes checkpoints (and superblock writes); wlock is
 * the writer mutex (txn.c); ilock is the install lock.  Order: ckpt_lock,
 * then wlock, then ilock.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balloc.h"
#include "core.h"
#include "obj.h"
#include "store.h"

#define BLK            EXO_BLOCK_SIZE
#define CACHE_DEFAULT  4096
#define LOG_MIN        16
#define GATE_PCT       60  /* writers wait for a checkpoint above this */
#define CKPT_PCT       50  /* the checkpointer starts above this */
#define ARENA_SLACK    64
#define EPOCH_ANY UINT32_MAX /* recovery: no upper bound on record epochs */
#define RO_PAGES_DEFAULT 262144 /* read-only recovery: 1 GiB of pages */

EXO_STATIC_ASSERT(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		  "on-disk structs are little-endian");
EXO_STATIC_ASSERT(sizeof(struct sb_disk) + CACHE_HDR <= EXO_BLOCK_SIZE,
		  "the superblock fits in a block");

/* A map from block numbers, open addressing, for recovery. */
struct rmap_ent {
	exo_bno bno; /* EXO_BNO_NONE: empty */
	struct cpage *pg;
	lsn_t lsn;
	int torn;
};

struct rmap {
	struct rmap_ent *e;
	size_t cap, n; /* cap: power of two */
};

struct store {
	struct store_opts o;
	struct exo *e;
	struct dio *d;
	struct wal *w;
	struct cache *c;
	struct balloc *b;

	struct store_sb sb; /* geometry; the committed roots */
	int sb_slot;        /* copy (0: A, 1: A+1) holding the newest sb */
	uint32_t epoch;
	lsn_t last_end;     /* end of the last committed record */
	lsn_t ckpt_start;   /* full-page-image threshold */
	int broken;         /* atomic: the error that broke the store */
	exo_bno bad;

	dl_mutex wlock;
	dl_rwlock ilock;
	dl_mutex ckpt_lock;

	dl_mutex tlock; /* checkpointer thread */
	dl_cond tcond;
	dl_thread thr;
	int has_thr, twant, tstop;

	struct exo_extent *owned; /* at open, ascending */
	size_t nowned;
	struct rmap pins;  /* read-only: recovered frames, kept pinned */
	struct rmap torn;  /* pages that failed their checksum in recovery */
	uint64_t ro_room;  /* read-only: arena pages for the pins */
	uint64_t ro_max;   /* read-only: the most pins recovery may need */
};

/* ---- the superblock ---- */

static int sb_sane(const struct store_sb *sb)
{
	if (sb->gen == 0 || sb->sb_a == 0 || sb->sb_a >= EXO_BNO_NONE - 2 ||
	    (sb->self != sb->sb_a && sb->self != sb->sb_a + 1))
		return 0;
	if (sb->log_nblocks < LOG_MIN || sb->log_start == 0 ||
	    sb->log_start + sb->log_nblocks < sb->log_start ||
	    sb->log_nblocks > UINT64_MAX / BLK / 4)
		return 0;
	if (sb->log_start < sb->sb_a + 2 &&
	    sb->sb_a < sb->log_start + sb->log_nblocks)
		return 0;
	if (sb->balloc_root == 0 || sb->balloc_root == EXO_BNO_NONE ||
	    sb->obj_root == 0 || sb->obj_root == EXO_BNO_NONE)
		return 0;
	return sb->epoch >= 1 && sb->ckpt_epoch <= sb->epoch &&
	       sb->ckpt_lsn % 8 == 0;
}

int sb_decode(const void *blk, size_t len, struct store_sb *out)
{
	struct sb_disk d;
	struct store_sb sb;
	uint32_t crc;

	if (!blk || !out || len != BLK)
		return EXO_EINVAL;
	memcpy(&d, (const uint8_t *)blk + CACHE_HDR, sizeof(d));
	if (memcmp(d.magic, STORE_SB_MAGIC, 8) != 0)
		return EXO_ECORRUPT;
	if (d.version != STORE_VERSION)
		return EXO_EVERSION;
	crc = d.crc;
	d.crc = 0;
	if (crc32c(0, &d, sizeof(d)) != crc)
		return EXO_ECORRUPT;
	sb.gen = d.gen;
	sb.self = d.self;
	sb.sb_a = d.sb_a;
	sb.epoch = d.epoch;
	sb.ckpt_epoch = d.ckpt_epoch;
	sb.ckpt_lsn = d.ckpt_lsn;
	sb.log_start = d.log_start;
	sb.log_nblocks = d.log_nblocks;
	sb.balloc_root = d.balloc_root;
	sb.obj_root = d.obj_root;
	sb.created = d.created;
	memcpy(sb.roots, d.roots, sizeof(sb.roots));
	if (!sb_sane(&sb))
		return EXO_ECORRUPT;
	*out = sb;
	return 0;
}

int sb_encode(const struct store_sb *sb, void *blk, size_t len)
{
	struct sb_disk d;

	if (!sb || !blk || len != BLK)
		return EXO_EINVAL;
	memset(&d, 0, sizeof(d));
	memcpy(d.magic, STORE_SB_MAGIC, 8);
	d.version = STORE_VERSION;
	d.gen = sb->gen;
	d.self = sb->self;
	d.sb_a = sb->sb_a;
	d.epoch = sb->epoch;
	d.ckpt_epoch = sb->ckpt_epoch;
	d.ckpt_lsn = sb->ckpt_lsn;
	d.log_start = sb->log_start;
	d.log_nblocks = sb->log_nblocks;
	d.balloc_root = sb->balloc_root;
	d.obj_root = sb->obj_root;
	d.created = sb->created;
	memcpy(d.roots, sb->roots, sizeof(d.roots));
	d.crc = crc32c(0, &d, sizeof(d));
	memset((uint8_t *)blk + CACHE_HDR, 0, BLK - CACHE_HDR);
	memcpy((uint8_t *)blk + CACHE_HDR, &d, sizeof(d));
	return 0;
}

/* Read both copies through a log-less cache; keep the newest valid one. */
static int read_sb(struct store *s)
{
	struct cache_opts co = { .npages = 4 };
	struct store_sb sb[2];
	struct cache *c;
	struct cpage *pg;
	int rc[2], i, r;

	r = cache_open(s->e, s->d, NULL, &co, &c);
	if (r < 0)
		return r;
	for (i = 0; i < 2; i++) {
		rc[i] = cache_get(c, s->sb.sb_a + (exo_bno)i, 0, &pg);
		if (rc[i] == EXO_ECORRUPT)
			continue;
		if (rc[i] < 0) {
			cache_close(c);
			return rc[i];
		}
		rc[i] = sb_decode(cpage_data(pg), BLK, &sb[i]);
		cache_put(c, pg);
		if (rc[i] == 0 && (sb[i].self != s->sb.sb_a + (exo_bno)i ||
				   sb[i].sb_a != s->sb.sb_a))
			rc[i] = EXO_ECORRUPT;
	}
	cache_close(c);
	if (rc[0] < 0 && rc[1] < 0) {
		s->bad = s->sb.sb_a;
		return rc[0] == EXO_EVERSION || rc[1] == EXO_EVERSION
			       ? EXO_EVERSION
			       : EXO_ECORRUPT;
	}
	i = rc[0] < 0 || (rc[1] == 0 && sb[1].gen > sb[0].gen);
	s->sb = sb[i];
	s->sb_slot = i;
	return 0;
}

/* Write sb (generation + 1) into the other copy and flush everything; the
 * log is durable up to lsn.  ckpt_lock held. */
static int write_sb(struct store *s, struct store_sb *sb, lsn_t lsn)
{
	int slot = !s->sb_slot, rc;
	struct cpage *pg;

	sb->gen = s->sb.gen + 1;
	sb->self = s->sb.sb_a + (exo_bno)slot;
	rc = cache_get(s->c, sb->self, CACHE_NEW, &pg);
	if (rc < 0)
		return rc;
	cache_latch(pg, 1);
	sb_encode(sb, cpage_data(pg), BLK);
	cache_dirty(s->c, pg, lsn);
	cache_unlatch(pg, 1);
	cache_put(s->c, pg);
	rc = cache_flush_all(s->c);
	if (rc < 0)
		return rc;
	s->sb_slot = slot;
	s->sb.gen = sb->gen;
	s->sb.self = sb->self;
	s->sb.epoch = sb->epoch;
	s->sb.ckpt_lsn = sb->ckpt_lsn;
	s->sb.ckpt_epoch = sb->ckpt_epoch;
	return 0;
}

/* ---- the recovery map ---- */

static int rmap_grow(struct rmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256, i, j;
	struct rmap_ent *e = malloc(cap * sizeof(*e));

	if (!e)
		return EXO_ENOMEM;
	for (i = 0; i < cap; i++)
		e[i].bno = EXO_BNO_NONE;
	for (i = 0; i < m->cap; i++) {
		if (m->e[i].bno == EXO_BNO_NONE)
			continue;
		j = (size_t)(m->e[i].bno * 0x9e3779b97f4a7c15ull) & (cap - 1);
		while (e[j].bno != EXO_BNO_NONE)
			j = (j + 1) & (cap - 1);
		e[j] = m->e[i];
	}
	free(m->e);
	m->e = e;
	m->cap = cap;
	return 0;
}

/* The entry of bno; with create, a new zeroed one if missing (NULL when
 * out of memory); without, NULL if missing. */
static struct rmap_ent *rmap_get(struct rmap *m, exo_bno bno, int create)
{
	size_t j;

	if (create && (m->n + 1) * 2 > m->cap && rmap_grow(m) < 0)
		return NULL;
	if (m->cap == 0)
		return NULL;
	j = (size_t)(bno * 0x9e3779b97f4a7c15ull) & (m->cap - 1);
	while (m->e[j].bno != EXO_BNO_NONE) {
		if (m->e[j].bno == bno)
			return &m->e[j];
		j = (j + 1) & (m->cap - 1);
	}
	if (!create)
		return NULL;
	memset(&m->e[j], 0, sizeof(m->e[j]));
	m->e[j].bno = bno;
	m->n++;
	return &m->e[j];
}

static void rmap_free(struct rmap *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

/* ---- recovery ---- */

static int owned(const struct store *s, exo_bno bno)
{
	size_t lo = 0, hi = s->nowned, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (bno < s->owned[mid].start)
			hi = mid;
		else if (bno - s->owned[mid].start >= s->owned[mid].len)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * The frame of bno for redo, pinned, and its LSN as recovery sees it.
 * Read-write, redo_put unpins it: the cache may then write it back and
 * evict it like any dirty page.  Read-only, nothing may be written, so
 * every frame recovery touches stays pinned in s->pins (never dirty, its
 * LSN kept there) until close; open_ro sized the cache for them.  Returns
 * 1 if the page is torn (failed its checksum).
 */
static int redo_get(struct store *s, exo_bno bno, int full,
		    struct cpage **pg, lsn_t *lsn)
{
	struct rmap_ent *pin;
	int rc;

	pin = s->o.read_only ? rmap_get(&s->pins, bno, 0) : NULL;
	if (pin) {
		*pg = pin->pg;
		*lsn = pin->lsn;
		return 0;
	}
	rc = cache_get(s->c, bno, full ? CACHE_NEW : 0, pg);
	if (rc == EXO_ECORRUPT && !full)
		return 1;
	if (rc < 0)
		return rc;
	*lsn = cpage_lsn(*pg);
	if (!s->o.read_only)
		return 0;
	pin = rmap_get(&s->pins, bno, 1);
	if (!pin) {
		cache_put(s->c, *pg);
		return EXO_ENOMEM;
	}
	pin->pg = *pg;
	pin->lsn = *lsn;
	return 0;
}

/* Done with the frame of bno from redo_get; lsn is its LSN now. */
static void redo_put(struct store *s, exo_bno bno, struct cpage *pg,
		     lsn_t lsn)
{
	if (s->o.read_only)
		rmap_get(&s->pins, bno, 0)->lsn = lsn;
	else
		cache_put(s->c, pg);
}

/* Redo one WAL_OP_PAGE op of the record ending at end.  Read-only,
 * frames are changed but never marked dirty. */
static int redo_page(struct store *s, const void *p, uint32_t len, lsn_t end)
{
	struct rmap_ent *t;
	struct cpage *pg;
	exo_bno bno;
	lsn_t lsn;
	int full, rc;

	if (pageop_check(p, len, &bno, &full) < 0)
		return EXO_ECORRUPT;
	if (!owned(s, bno))
		return 0; /* given back to the kernel since */
	t = rmap_get(&s->torn, bno, 0);
	if (!full && t && t->torn)
		return 0; /* wait for a full image */
	rc = redo_get(s, bno, full, &pg, &lsn);
	if (rc == 1) {
		t = rmap_get(&s->torn, bno, 1);
		if (!t)
			return EXO_ENOMEM;
		t->torn = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	if (t)
		t->torn = 0;
	if (!full && lsn >= end) {
		redo_put(s, bno, pg, lsn); /* the page has it already */
		return 0;
	}
	cache_latch(pg, 1);
	pageop_apply(p, len, cpage_data(pg));
	if (!s->o.read_only)
		cache_dirty(s->c, pg, end);
	cache_unlatch(pg, 1);
	redo_put(s, bno, pg, end);
	return 0;
}

static int redo_root(struct store *s, const void *p, uint32_t len)
{
	struct rootop r;

	if (len != sizeof(r))
		return EXO_ECORRUPT;
	memcpy(&r, p, sizeof(r));
	if (r.idx >= STORE_NROOTS || r._pad)
		return EXO_ECORRUPT;
	s->sb.roots[r.idx] = r.value;
	return 0;
}

/* wal_apply_fn: redo every op of one record. */
static int redo_record(void *ctx, lsn_t lsn, uint16_t type,
		       const void *payload, uint32_t len)
{
	struct store *s = ctx;
	lsn_t end = lsn + sizeof(struct wal_rec) + ((len + 7u) & ~7u);
	const struct wal_op *op;
	uint32_t off = 0;
	int err, rc = 0;

	if (type != WAL_REC_BATCH)
		return EXO_ECORRUPT;
	while (rc == 0 && (op = wal_op_next(payload, len, &off, &err))) {
		if (op->type == WAL_OP_PAGE)
			rc = redo_page(s, op + 1, op->len, end);
		else if (op->type == WAL_OP_ROOT)
			rc = redo_root(s, op + 1, op->len);
		else if (op->type >= WAL_OP_ENGINE && op->type <= 0x1fff)
			rc = s->o.redo ? s->o.redo(s->o.redo_ctx, lsn,
						   op->type, op + 1, op->len)
				       : 0;
		else
			rc = EXO_ECORRUPT;
	}
	return rc ? rc : err;
}

/* wal_apply_fn of the read-only sizing pass: note each page redone;
 * EXO_ENOMEM as soon as there are more than ro_max. */
static int count_record(void *ctx, lsn_t lsn, uint16_t type,
			const void *payload, uint32_t len)
{
	struct store *s = ctx;
	const struct wal_op *op;
	uint32_t off = 0;
	exo_bno bno;
	int err;

	(void)lsn;
	if (type != WAL_REC_BATCH)
		return EXO_ECORRUPT;
	while ((op = wal_op_next(payload, len, &off, &err))) {
		if (op->type != WAL_OP_PAGE)
			continue;
		if (pageop_check(op + 1, op->len, &bno, NULL) < 0)
			return EXO_ECORRUPT;
		if (!rmap_get(&s->pins, bno, 1) || s->pins.n > s->ro_max)
			return EXO_ENOMEM;
	}
	return err;
}

/* Read-only: the pages recovery will pin, a first pass over the log. */
static int count_pages(struct store *s, uint64_t *n)
{
	int rc;

	rc = wal_recover(s->w, s->sb.ckpt_lsn, s->sb.ckpt_epoch, EPOCH_ANY,
			 count_record, s);
	*n = s->pins.n;
	rmap_free(&s->pins);
	return rc;
}

static int recover(struct store *s)
{
	int rc;

	rc = wal_recover(s->w, s->sb.ckpt_lsn, s->sb.ckpt_epoch, EPOCH_ANY,
			 redo_record, s);
	if (rc == EXO_ECORRUPT && wal_bad_block(s->w) != EXO_BNO_NONE)
		s->bad = wal_bad_block(s->w);
	return rc;
}

/* A page torn by the cut and not rebuilt by a full image must be free. */
static int check_torn(struct store *s)
{
	size_t i;
	int rc;

	for (i = 0; i < s->torn.cap; i++) {
		if (s->torn.e[i].bno == EXO_BNO_NONE || !s->torn.e[i].torn)
			continue;
		rc = balloc_is_allocated(s->b, s->torn.e[i].bno);
		if (rc < 0)
			return rc;
		if (rc) {
			s->bad = s->torn.e[i].bno;
			return EXO_ECORRUPT;
		}
	}
	return 0;
}

/* ---- kernel ownership ---- */

static int load_owned(struct store *s)
{
	int64_t n = exo_block_extents(s->e, NULL, 0), m;

	if (n < 0)
		return (int)n;
	free(s->owned);
	s->owned = malloc(((size_t)n + 1) * sizeof(*s->owned));
	if (!s->owned)
		return EXO_ENOMEM;
	m = exo_block_extents(s->e, s->owned, (uint64_t)n);
	if (m < 0)
		return (int)m;
	s->nowned = (size_t)(m < n ? m : n);
	return 0;
}

static int ext_cmp(const void *a, const void *b)
{
	const struct exo_extent *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* What the store accounts for: the superblock pair, the log, the chunks;
 * ascending and disjoint (else EXO_ECORRUPT).  *out: free() it. */
static int known_extents(struct store *s, struct exo_extent **out,
			 size_t *n)
{
	size_t nc = balloc_nchunks(s->b), i, k = 0;
	struct exo_extent *x = malloc((nc + 2) * sizeof(*x));

	if (!x)
		return EXO_ENOMEM;
	x[k++] = (struct exo_extent){ s->sb.sb_a, 2 };
	x[k++] = (struct exo_extent){ s->sb.log_start, s->sb.log_nblocks };
	for (i = 0; i < nc; i++)
		balloc_chunk(s->b, i, &x[k++]);
	qsort(x, k, sizeof(*x), ext_cmp);
	for (i = 1; i < k; i++) {
		if (x[i - 1].start + x[i - 1].len > x[i].start) {
			s->bad = x[i].start;
			free(x);
			return EXO_ECORRUPT;
		}
	}
	*out = x;
	*n = k;
	return 0;
}

/* Give back [bno, bno+n): owned, but nothing durable points at it. */
static int give_back(struct store *s, exo_bno bno, uint64_t n)
{
	cache_forget(s->c, bno, n);
	return exo_block_free(s->e, bno, n);
}

/*
 * Every known extent must be owned (else EXO_ECORRUPT); with fix, owned
 * runs nothing knows are given back.
 */
static int reconcile(struct store *s, int fix)
{
	struct exo_extent *k;
	size_t nk, i, j = 0;
	exo_bno at;
	int rc;

	rc = known_extents(s, &k, &nk);
	if (rc < 0)
		return rc;
	for (i = 0; i < nk && rc == 0; i++) {
		for (at = k[i].start; at < k[i].start + k[i].len; at++) {
			if (!owned(s, at)) {
				s->bad = at;
				rc = EXO_ECORRUPT;
				break;
			}
		}
	}
	for (i = 0; i < s->nowned && rc == 0 && fix; i++) {
		at = s->owned[i].start;
		while (at < s->owned[i].start + s->owned[i].len && rc == 0) {
			while (j < nk && k[j].start + k[j].len <= at)
				j++;
			if (j < nk && k[j].start <= at) {
				at = k[j].start + k[j].len;
				continue;
			}
			exo_bno stop = s->owned[i].start + s->owned[i].len;
			if (j < nk && k[j].start < stop)
				stop = k[j].start;
			rc = give_back(s, at, stop - at);
			at = stop;
		}
	}
	free(k);
	return rc < 0 ? rc : (fix ? load_owned(s) : 0);
}

/* ---- checkpoints ---- */

int store_checkpoint(struct store *s)
{
	struct store_sb snap;
	lsn_t L;
	int rc;

	if (!s)
		return EXO_EINVAL;
	if (s->o.read_only)
		return EXO_EPERM;
	dl_lock(&s->ckpt_lock);
	rc = __atomic_load_n(&s->broken, __ATOMIC_ACQUIRE);
	if (rc == 0) {
		dl_lock(&s->wlock);
		L = s->last_end;
		snap = s->sb;
		s->ckpt_start = L;
		dl_unlock(&s->wlock);
		snap.ckpt_lsn = L;
		snap.ckpt_epoch = s->epoch;
		snap.epoch = s->epoch;
		rc = wal_flush(s->w, L);
		if (rc == 0)
			rc = cache_flush_all(s->c);
		if (rc == 0)
			rc = write_sb(s, &snap, L);
		if (rc == 0)
			wal_set_tail(s->w, L);
		else if (rc != EXO_ENOMEM)
			store_fail(s, rc);
	}
	dl_unlock(&s->ckpt_lock);
	return rc;
}

/* The epoch of this life: above every epoch any earlier life used.  The
 * superblock read may be the older copy (the newer one torn, or damaged
 * on the media), so records may carry a higher epoch than it, and the
 * lost copy's epoch is at most one above it: recovery scans without an
 * upper bound and the new epoch clears both. */
static uint32_t next_epoch(struct store *s)
{
	uint32_t last = wal_last_epoch(s->w), e = s->sb.epoch + 1;

	return (last > e ? last : e) + 1;
}

/* After recovery (read-write): the recovered pages written, a new epoch
 * and the checkpoint at the end of the log durable, then appending. */
static int open_ckpt(struct store *s)
{
	struct store_sb snap = s->sb;
	lsn_t L = wal_end(s->w);
	int rc;

	s->epoch = next_epoch(s);
	snap.epoch = s->epoch;
	snap.ckpt_lsn = L;
	snap.ckpt_epoch = s->epoch;
	rc = cache_flush_all(s->c);
	if (rc == 0)
		rc = write_sb(s, &snap, L);
	if (rc == 0)
		rc = wal_start(s->w, s->epoch);
	if (rc < 0)
		return rc;
	wal_set_tail(s->w, L);
	s->last_end = s->ckpt_start = L;
	return 0;
}

static void *ckpt_main(void *arg)
{
	struct store *s = arg;

	dl_lock(&s->tlock);
	while (!s->tstop) {
		if (!s->twant) {
			dl_wait(&s->tcond, &s->tlock);
			continue;
		}
		s->twant = 0;
		dl_unlock(&s->tlock);
		store_checkpoint(s);
		dl_lock(&s->tlock);
	}
	dl_unlock(&s->tlock);
	return NULL;
}

static int start_thread(struct store *s)
{
	if (s->o.read_only || s->o.manual_ckpt)
		return 0;
	if (dl_thread_create(&s->thr, ckpt_main, s) != 0)
		return EXO_ENOMEM;
	s->has_thr = 1;
	return 0;
}

static void stop_thread(struct store *s)
{
	if (!s->has_thr)
		return;
	dl_lock(&s->tlock);
	s->tstop = 1;
	dl_signal(&s->tcond);
	dl_unlock(&s->tlock);
	dl_thread_join(s->thr);
	s->has_thr = 0;
}

/* ---- for txn.c ---- */

int store_writer_enter(struct store *s)
{
	int rc;

	if (s->o.read_only)
		return EXO_EPERM;
	for (;;) {
		dl_lock(&s->wlock);
		rc = __atomic_load_n(&s->broken, __ATOMIC_ACQUIRE);
		if (rc < 0) {
			dl_unlock(&s->wlock);
			return rc;
		}
		if (wal_fill_pct(s->w) < GATE_PCT)
			return 0;
		dl_unlock(&s->wlock);
		rc = store_checkpoint(s);
		if (rc < 0)
			return rc;
	}
}

void store_writer_exit(struct store *s)
{
	dl_unlock(&s->wlock);
}

void store_install_lock(struct store *s)
{
	dl_wrlock(&s->ilock);
}

void store_install_unlock(struct store *s)
{
	dl_rwunlock(&s->ilock);
}

lsn_t store_fpw_lsn(struct store *s)
{
	return s->ckpt_start;
}

void store_install_roots(struct store *s, const uint64_t *roots,
			 uint32_t mask, lsn_t end)
{
	unsigned i;

	for (i = 0; i < STORE_NROOTS; i++)
		if (mask & (1u << i))
			s->sb.roots[i] = roots[i];
	s->last_end = end;
}

void store_fail(struct store *s, int err)
{
	int zero = 0;

	__atomic_compare_exchange_n(&s->broken, &zero, err, 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

void store_after_commit(struct store *s)
{
	if (!s->has_thr || wal_fill_pct(s->w) <= CKPT_PCT)
		return;
	dl_lock(&s->tlock);
	s->twant = 1;
	dl_signal(&s->tcond);
	dl_unlock(&s->tlock);
}

void store_set_bad(struct store *s, exo_bno bno)
{
	s->bad = bno;
}

/* ---- accessors, readers, roots ---- */

struct exo *store_exo(struct store *s)
{
	return s->e;
}

struct cache *store_cache(struct store *s)
{
	return s->c;
}

struct wal *store_wal(struct store *s)
{
	return s->w;
}

struct balloc *store_balloc(struct store *s)
{
	return s->b;
}

const struct store_sb *store_sb(struct store *s)
{
	return &s->sb;
}

int store_read_only(struct store *s)
{
	return s->o.read_only;
}

exo_bno store_bad_block(struct store *s)
{
	return s ? s->bad : EXO_BNO_NONE;
}

void store_read_begin(struct store *s)
{
	dl_rdlock(&s->ilock);
}

void store_read_end(struct store *s)
{
	dl_rwunlock(&s->ilock);
}

int store_root_get(struct store *s, unsigned idx, uint64_t *out)
{
	if (!s || !out || idx >= STORE_NROOTS)
		return EXO_EINVAL;
	dl_rdlock(&s->ilock);
	*out = s->sb.roots[idx];
	dl_rwunlock(&s->ilock);
	return 0;
}

/* ---- open and close ---- */

static struct store *store_new(const struct store_opts *o)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (o)
		s->o = *o;
	if (!s->o.cache_pages)
		s->o.cache_pages = CACHE_DEFAULT;
	s->bad = EXO_BNO_NONE;
	dl_mutex_init(&s->wlock);
	dl_rwlock_init(&s->ilock);
	dl_mutex_init(&s->ckpt_lock);
	dl_mutex_init(&s->tlock);
	dl_cond_init(&s->tcond);
	return s;
}

static int attach(struct store *s, const char *disk, const void *cap,
		  size_t cap_len, unsigned flags)
{
	struct exo_attach_opts ao = {
		.disk = disk,
		.cap = cap,
		.cap_len = cap_len,
		.flags = flags,
		.io = s->o.io,
	};

	ao.npages = s->o.cache_pages + ARENA_SLACK + s->ro_room +
		    (s->o.log_buf_pages ? s->o.log_buf_pages : 1024);
	return exo_attach(&ao, &s->e);
}

/* Read-only: the most pages recovery may keep pinned. */
static uint64_t ro_limit(const struct store *s)
{
	return s->o.ro_max_pages ? s->o.ro_max_pages : RO_PAGES_DEFAULT;
}

static int open_log(struct store *s)
{
	struct wal_opts wo = {
		.start = s->sb.log_start,
		.nblocks = s->sb.log_nblocks,
		.buf_pages = s->o.log_buf_pages,
		.lazy = s->o.durability == STORE_LAZY,
		.lazy_ms = s->o.lazy_ms,
	};

	return wal_open(s->e, s->d, &wo, &s->w);
}

static int open_cache(struct store *s, uint64_t npages)
{
	struct cache_opts co = { .npages = npages, .policy = s->o.policy };

	return cache_open(s->e, s->d, s->o.read_only ? NULL : s->w, &co,
			  &s->c);
}

static void unpin_all(struct store *s)
{
	size_t i;

	for (i = 0; i < s->pins.cap; i++)
		if (s->pins.e[i].bno != EXO_BNO_NONE && s->pins.e[i].pg)
			cache_put(s->c, s->pins.e[i].pg);
	rmap_free(&s->pins);
}

/* Close the log and detach; returns the error of the log's close. */
static int detach(struct store *s)
{
	int rc = 0;

	if (s->w)
		rc = wal_close(s->w);
	if (s->d)
		dio_close(s->d);
	if (s->e)
		exo_detach(s->e);
	s->w = NULL;
	s->d = NULL;
	s->e = NULL;
	return rc;
}

/* Release everything; returns the first error of the log's close. */
static int teardown(struct store *s)
{
	int rc;

	stop_thread(s);
	if (s->b)
		balloc_close(s->b);
	if (s->c) {
		unpin_all(s);
		cache_close(s->c);
	}
	rc = detach(s);
	rmap_free(&s->pins);
	rmap_free(&s->torn);
	free(s->owned);
	dl_cond_destroy(&s->tcond);
	dl_mutex_destroy(&s->tlock);
	dl_mutex_destroy(&s->ckpt_lock);
	dl_rwlock_destroy(&s->ilock);
	dl_mutex_destroy(&s->wlock);
	free(s);
	return rc;
}

/* Attach, find the superblock, open the log (not yet recovered). */
static int open_attach(struct store *s, const char *disk, const void *cap,
		       size_t cap_len)
{
	int rc;

	rc = attach(s, disk, cap, cap_len, 0);
	if (rc == 0)
		rc = exo_root_get(s->e, &s->sb.sb_a);
	if (rc == 0 && s->sb.sb_a == EXO_BNO_NONE)
		rc = EXO_ENOENT;
	if (rc == 0)
		rc = load_owned(s);
	if (rc == 0 && (!owned(s, s->sb.sb_a) || !owned(s, s->sb.sb_a + 1)))
		rc = EXO_ECORRUPT;
	if (rc == 0)
		rc = dio_open(s->e, &s->d);
	if (rc == 0)
		rc = read_sb(s);
	if (rc == 0)
		rc = open_log(s);
	return rc;
}

/* Read-write: recovery through the cache of its usual size (recovered
 * pages are written back as it needs room), then the checkpoint. */
static int open_rw(struct store *s, const char *disk, const void *cap,
		   size_t cap_len)
{
	int rc;

	rc = open_attach(s, disk, cap, cap_len);
	if (rc == 0)
		rc = open_cache(s, s->o.cache_pages);
	if (rc == 0)
		rc = recover(s);
	if (rc == 0)
		rc = open_ckpt(s);
	return rc;
}

/*
 * Read-only: count the pages recovery will pin; if the arena has no room
 * for them, attach again with room for that many (room only grows and
 * the count is bounded by ro_max, so this ends); then recover into a
 * cache enlarged by them.
 */
static int open_ro(struct store *s, const char *disk, const void *cap,
		   size_t cap_len)
{
	uint64_t n = 0;
	int rc;

	s->ro_max = ro_limit(s);
	for (;;) {
		rc = open_attach(s, disk, cap, cap_len);
		if (rc == 0)
			rc = count_pages(s, &n);
		if (rc < 0 || n <= s->ro_room)
			break;
		s->ro_room = n;
		rc = detach(s);
		if (rc < 0)
			return rc;
	}
	if (rc == 0)
		rc = open_cache(s, s->o.cache_pages + n);
	if (rc == 0)
		rc = recover(s);
	return rc;
}

static int open_steps(struct store *s, const char *disk, const void *cap,
		      size_t cap_len)
{
	int rc;

	if (s->o.read_only)
		rc = open_ro(s, disk, cap, cap_len);
	else
		rc = open_rw(s, disk, cap, cap_len);
	if (rc == 0)
		rc = balloc_open(s, s->sb.balloc_root, &s->b);
	if (rc == 0)
		rc = check_torn(s);
	if (rc == 0)
		rc = reconcile(s, !s->o.read_only);
	if (rc == 0)
		rc = start_thread(s);
	return rc;
}

int store_open(const char *disk, const void *cap, size_t cap_len,
	       const struct store_opts *opts, struct store **out)
{
	struct store *s;
	int rc;

	if (!disk || !cap || !out)
		return EXO_EINVAL;
	s = store_new(opts);
	if (!s)
		return EXO_ENOMEM;
	rc = open_steps(s, disk, cap, cap_len);
	if (rc < 0) {
		if (opts && opts->bad)
			*opts->bad = s->bad;
		teardown(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Give back whatever a crashed create left behind. */
static int free_leftovers(struct store *s)
{
	size_t i;
	int rc;

	rc = load_owned(s);
	for (i = 0; rc == 0 && i < s->nowned; i++)
		rc = exo_block_free(s->e, s->owned[i].start,
				    s->owned[i].len);
	return rc;
}

/* The superblock pair and the log, as the new superblock describes. */
static int create_layout(struct store *s)
{
	const struct exo_info *in = exo_info(s->e);
	uint64_t want = s->o.log_blocks ? s->o.log_blocks : STORE_LOG_BLOCKS;
	uint64_t cap = in->blocks_free / 4;
	int rc;

	if (want > cap)
		want = cap;
	if (want < LOG_MIN)
		return EXO_ENOSPC;
	rc = exo_block_alloc(s->e, 0, 2, &s->sb.sb_a);
	if (rc == 0)
		rc = exo_block_alloc(s->e, s->sb.sb_a + 2, want,
				     &s->sb.log_start);
	if (rc < 0)
		return rc;
	s->sb.log_nblocks = want;
	s->sb.created = (uint64_t)time(NULL);
	s->sb_slot = 1; /* the first superblock goes to A */
	return 0;
}

/* The first transaction: allocator and object directory. */
static int create_format(struct store *s)
{
	struct dtx *t;
	int rc;

	rc = balloc_open(s, EXO_BNO_NONE, &s->b);
	if (rc == 0)
		rc = dtx_begin(s, &t);
	if (rc < 0)
		return rc;
	rc = balloc_format(t, &s->sb.balloc_root);
	if (rc == 0)
		rc = obj_format(t, &s->sb.obj_root);
	if (rc < 0) {
		dtx_abort(t);
		return rc;
	}
	return dtx_commit(t, NULL);
}

static int create_steps(struct store *s, const char *disk, const void *cap,
			size_t cap_len)
{
	exo_bno root;
	int rc;

	rc = attach(s, disk, cap, cap_len, EXO_ATTACH_CREATE);
	if (rc == 0)
		rc = exo_root_get(s->e, &root);
	if (rc == 0 && root != EXO_BNO_NONE)
		rc = EXO_EEXIST;
	if (rc == 0)
		rc = free_leftovers(s);
	if (rc == 0)
		rc = create_layout(s);
	if (rc == 0)
		rc = dio_open(s->e, &s->d);
	if (rc == 0)
		rc = open_log(s);
	if (rc == 0)
		rc = open_cache(s, s->o.cache_pages);
	if (rc == 0)
		rc = wal_recover(s->w, 0, 0, 0, NULL, NULL);
	if (rc == 0) {
		s->epoch = 1;
		s->sb.epoch = 1;
		rc = wal_start(s->w, s->epoch);
	}
	if (rc == 0)
		rc = create_format(s);
	if (rc == 0)
		rc = store_checkpoint(s);
	if (rc == 0)
		rc = exo_root_set(s->e, s->sb.sb_a);
	if (rc == 0)
		rc = load_owned(s);
	if (rc == 0)
		rc = start_thread(s);
	return rc;
}

int store_create(const char *disk, const void *cap, size_t cap_len,
		 const struct store_opts *opts, struct store **out)
{
	struct store *s;
	int rc;

	if (!disk || !cap || !out)
		return EXO_EINVAL;
	if (opts && opts->read_only)
		return EXO_EINVAL;
	s = store_new(opts);
	if (!s)
		return EXO_ENOMEM;
	rc = create_steps(s, disk, cap, cap_len);
	if (rc < 0) {
		teardown(s);
		return rc;
	}
	*out = s;
	return 0;
}

int store_close(struct store *s)
{
	int rc = 0, rc2;

	if (!s)
		return EXO_EINVAL;
	stop_thread(s);
	rc = __atomic_load_n(&s->broken, __ATOMIC_ACQUIRE);
	if (rc == 0 && !s->o.read_only && !s->o.manual_ckpt)
		rc = store_checkpoint(s);
	rc2 = teardown(s);
	return rc ? rc : rc2;
}

/* ---- consistency check ---- */

static int check_steps(struct store *s, store_check_fn extra, void *arg)
{
	struct store_checker *c;
	int rc;

	if (balloc_overlaps(s->b, s->sb.sb_a, 2) ||
	    balloc_overlaps(s->b, s->sb.log_start, s->sb.log_nblocks)) {
		s->bad = s->sb.sb_a;
		return EXO_ECORRUPT;
	}
	rc = balloc_check_begin(s, &c);
	if (rc < 0)
		return rc;
	rc = obj_check(s, c);
	if (rc == 0 && extra)
		rc = extra(s, c, arg);
	if (balloc_check_end(c, rc == 0) < 0)
		rc = EXO_ECORRUPT;
	if (rc == 0)
		rc = load_owned(s);
	return rc == 0 ? reconcile(s, 0) : rc;
}

int store_check(struct store *s, store_check_fn extra, void *arg)
{
	int rc;

	if (!s)
		return EXO_EINVAL;
	dl_lock(&s->wlock);
	rc = check_steps(s, extra, arg);
	dl_unlock(&s->wlock);
	return rc;
}
