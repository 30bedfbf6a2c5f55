/*
 * balloc.c: the block allocator of a store (balloc.h gives the format).
 *
 * In memory, the committed chunks sit in an array sorted by start, each
 * with its free count (a hint for skipping full chunks) and the directory
 * slot that names it, plus the list of directory pages in chain order.
 * This table changes only in the install hook of a committing transaction
 * (under the install lock), so a transaction in progress sees it as the
 * committed state, and keeps its own changes in its slot (struct btx):
 *
 *   added    chunks granted by the kernel in this transaction
 *   freed    runs given to balloc_free: applied to the bitmaps at
 *            precommit, so that no allocation of the same transaction can
 *            take them while the committed state still points at them
 *   removed  chunks left entirely free at precommit: out of the directory
 *            in this record, given back to the kernel in finish, once the
 *            record is durable
 *   touched  bitmap pages this transaction changed (their shadows are the
 *            truth for it)
 *
 * Abort gives back the added chunks.  Allocation is first fit: the chunk
 * holding the hint (from the hint on), then the chunks after it, wrapping,
 * then the added ones; then growth.
 */
#include <stdlib.h>
#include <string.h>

#include "balloc.h"

#define BLK EXO_BLOCK_SIZE

struct bchunk {
	exo_bno start;
	uint32_t nblocks;
	uint32_t nfree;  /* committed (added chunks: unused) */
	exo_bno dirpage; /* the directory page naming it */
	uint32_t slot;   /* its entry there */
};

struct balloc {
	struct store *s;
	exo_bno root;
	struct bchunk *ch; /* sorted by start */
	size_t n, cap;
	exo_bno *dir; /* directory pages, chain order */
	size_t ndir, dircap;
};

struct btx {
	struct bchunk *added;
	size_t nadded, capadded;
	struct exo_extent *freed;
	size_t nfreed, capfreed;
	struct exo_extent *removed;
	size_t nremoved, capremoved;
	exo_bno *touched;
	size_t ntouched, captouched;
	exo_bno *newdir;
	size_t nnewdir, capnewdir;
	exo_bno root; /* set by balloc_format */
};

/* Make room for one more element in a growable array. */
static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t nc;
	void *q;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 8;
	q = realloc(*p, nc * size);
	if (!q)
		return EXO_ENOMEM;
	*p = q;
	*cap = nc;
	return 0;
}

#define PUSH(arr, n, cap, val)                                             \
	(grow((void **)&(arr), &(cap), (n), sizeof(*(arr))) < 0            \
		 ? EXO_ENOMEM                                              \
		 : ((arr)[(n)++] = (val), 0))

/* ---- bits ---- */

static uint8_t *bits(const void *blk)
{
	return (uint8_t *)blk + CACHE_HDR;
}

static int bit_get(const uint8_t *bm, uint32_t i)
{
	return bm[i >> 3] >> (i & 7) & 1;
}

static void bits_set(uint8_t *bm, uint32_t i, uint32_t n, int v)
{
	for (; n > 0; i++, n--) {
		if (v)
			bm[i >> 3] |= (uint8_t)(1u << (i & 7));
		else
			bm[i >> 3] &= (uint8_t)~(1u << (i & 7));
	}
}

static uint32_t popcount(const uint8_t *bm)
{
	const uint64_t *w = (const uint64_t *)bm;
	uint32_t i, c = 0;

	for (i = 0; i < (BLK - CACHE_HDR) / 8; i++)
		c += (uint32_t)__builtin_popcountll(w[i]);
	return c;
}

/* The first run of n clear bits in [from, nbits), or -1. */
static int64_t find_run(const uint8_t *bm, uint32_t nbits, uint32_t from,
			uint32_t n)
{
	uint32_t i = from, run = 0, start = from;

	while (i < nbits) {
		if ((i & 7) == 0 && i + 8 <= nbits && bm[i >> 3] == 0xff) {
			run = 0;
			i += 8;
			start = i;
			continue;
		}
		if ((i & 7) == 0 && i + 8 <= nbits && bm[i >> 3] == 0) {
			run += 8;
			i += 8;
		} else if (bit_get(bm, i)) {
			run = 0;
			start = ++i;
		} else {
			run++;
			i++;
		}
		if (run >= n)
			return start;
	}
	return -1;
}

static int all_set(const uint8_t *bm, uint32_t i, uint32_t n)
{
	for (; n > 0; i++, n--)
		if (!bit_get(bm, i))
			return 0;
	return 1;
}

/* ---- pure page checks ---- */

int balloc_check_dirpage(const void *blk, size_t len)
{
	struct bdir_hdr h;
	struct bdir_ent e;
	size_t i;

	if (!blk || len != BLK)
		return EXO_EINVAL;
	memcpy(&h, bits(blk), sizeof(h));
	if (h.magic != BDIR_MAGIC || h._pad != 0)
		return EXO_ECORRUPT;
	for (i = 0; i < BDIR_NENT; i++) {
		memcpy(&e, bits(blk) + sizeof(h) + i * sizeof(e), sizeof(e));
		if (e._pad != 0)
			return EXO_ECORRUPT;
		if (e.start == 0) {
			if (e.nblocks != 0)
				return EXO_ECORRUPT;
			continue;
		}
		if (e.nblocks < 2 || e.nblocks > BALLOC_CHUNK_MAX ||
		    e.start >= EXO_BNO_NONE - e.nblocks)
			return EXO_ECORRUPT;
	}
	return 0;
}

int balloc_check_bitmap(const void *blk, size_t len, uint32_t nblocks)
{
	const uint8_t *bm;
	uint32_t i;

	if (!blk || len != BLK || nblocks < 2 || nblocks > BALLOC_CHUNK_MAX)
		return EXO_EINVAL;
	bm = bits(blk);
	if (!bit_get(bm, 0))
		return EXO_ECORRUPT;
	for (i = nblocks; i < BALLOC_CHUNK_MAX; i++)
		if (bit_get(bm, i))
			return EXO_ECORRUPT;
	return 0;
}

/* ---- the chunk table ---- */

/* Index of the first committed chunk ending after bno. */
static size_t lower(const struct balloc *b, exo_bno bno)
{
	size_t lo = 0, hi = b->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (b->ch[mid].start + b->ch[mid].nblocks <= bno)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct bchunk *committed_chunk(const struct balloc *b, exo_bno bno)
{
	size_t i = lower(b, bno);

	if (i < b->n && b->ch[i].start <= bno)
		return &b->ch[i];
	return NULL;
}

/* The chunk holding bno as t sees it (committed or added), or NULL. */
static struct bchunk *chunk_of(const struct balloc *b, const struct btx *x,
			       exo_bno bno)
{
	struct bchunk *c = committed_chunk(b, bno);
	size_t i;

	if (c || !x)
		return c;
	for (i = 0; i < x->nadded; i++)
		if (bno >= x->added[i].start &&
		    bno - x->added[i].start < x->added[i].nblocks)
			return &x->added[i];
	return NULL;
}

static int insert_chunk(struct balloc *b, const struct bchunk *c)
{
	size_t i;
	int rc;

	rc = grow((void **)&b->ch, &b->cap, b->n, sizeof(*b->ch));
	if (rc < 0)
		return rc;
	i = lower(b, c->start);
	memmove(&b->ch[i + 1], &b->ch[i], (b->n - i) * sizeof(*b->ch));
	b->ch[i] = *c;
	b->n++;
	return 0;
}

static void remove_chunk(struct balloc *b, exo_bno start)
{
	struct bchunk *c = committed_chunk(b, start);
	size_t i;

	if (!c)
		return;
	i = (size_t)(c - b->ch);
	memmove(&b->ch[i], &b->ch[i + 1], (b->n - i - 1) * sizeof(*b->ch));
	b->n--;
}

size_t balloc_nchunks(const struct balloc *b)
{
	return b->n;
}

int balloc_chunk(const struct balloc *b, size_t i, struct exo_extent *out)
{
	if (i >= b->n)
		return EXO_ERANGE;
	out->start = b->ch[i].start;
	out->len = b->ch[i].nblocks;
	return 0;
}

void balloc_get_stats(const struct balloc *b, struct balloc_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < b->n; i++) {
		st->chunks++;
		st->blocks += b->ch[i].nblocks;
		st->free += b->ch[i].nfree;
	}
}

int balloc_overlaps(const struct balloc *b, exo_bno bno, uint64_t n)
{
	size_t i = lower(b, bno);

	return i < b->n && b->ch[i].start < bno + n;
}

/* ---- the transaction's state ---- */

static int btx_precommit(struct dtx *t, void *state);
static void btx_install(struct dtx *t, void *state, lsn_t lsn);
static void btx_finish(struct dtx *t, void *state, int committed, lsn_t lsn);

static const struct dtx_ops btx_ops = {
	.precommit = btx_precommit,
	.install = btx_install,
	.finish = btx_finish,
};

static struct btx *btx_of(struct dtx *t)
{
	struct btx *x = dtx_slot(t, DTX_SLOT_BALLOC);

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (x) {
			x->root = EXO_BNO_NONE;
			dtx_set_slot(t, DTX_SLOT_BALLOC, x, &btx_ops);
		}
	}
	return x;
}

static int touch(struct btx *x, exo_bno bitmap)
{
	size_t i;

	for (i = 0; i < x->ntouched; i++)
		if (x->touched[i] == bitmap)
			return 0;
	return PUSH(x->touched, x->ntouched, x->captouched, bitmap);
}

static int is_touched(const struct btx *x, exo_bno bitmap)
{
	size_t i;

	for (i = 0; i < x->ntouched; i++)
		if (x->touched[i] == bitmap)
			return 1;
	return 0;
}

static int being_freed(const struct btx *x, exo_bno bno, uint64_t n)
{
	size_t i;

	for (i = 0; i < x->nfreed; i++)
		if (bno < x->freed[i].start + x->freed[i].len &&
		    x->freed[i].start < bno + n)
			return 1;
	return 0;
}

/* ---- allocation ---- */

/* Take n blocks from chunk c, first fit from hint.  1 if found. */
static int take_from(struct dtx *t, struct btx *x, const struct bchunk *c,
		     exo_bno hint, uint32_t n, exo_bno *out)
{
	uint32_t from = 1;
	struct cpage *pin;
	const void *blk;
	void *w;
	int64_t at;
	int rc;

	if (hint > c->start && hint - c->start < c->nblocks)
		from = (uint32_t)(hint - c->start);
	rc = dtx_read(t, c->start, &pin, &blk);
	if (rc < 0)
		return rc;
	at = find_run(bits(blk), c->nblocks, from, n);
	if (at < 0 && from > 1)
		at = find_run(bits(blk), c->nblocks, 1, n);
	dtx_unread(t, pin);
	if (at < 0)
		return 0;
	rc = dtx_page(t, c->start, 0, &w);
	if (rc == 0)
		rc = touch(x, c->start);
	if (rc < 0)
		return rc;
	bits_set(bits(w), (uint32_t)at, n, 1);
	*out = c->start + (exo_bno)at;
	return 1;
}

/* A free directory slot, or *page = EXO_BNO_NONE if every page is full.
 * *last is the last page of the chain (EXO_BNO_NONE if none). */
static int free_slot(struct dtx *t, struct balloc *b, struct btx *x,
		     exo_bno *page, uint32_t *slot, exo_bno *last)
{
	size_t i, k, nd = b->ndir + x->nnewdir;
	struct bdir_ent e;
	struct cpage *pin;
	const void *blk;
	exo_bno p;
	int rc;

	*page = *last = EXO_BNO_NONE;
	for (i = 0; i < nd; i++) {
		p = i < b->ndir ? b->dir[i] : x->newdir[i - b->ndir];
		*last = p;
		rc = dtx_read(t, p, &pin, &blk);
		if (rc < 0)
			return rc;
		for (k = 0; k < BDIR_NENT; k++) {
			memcpy(&e, bits(blk) + sizeof(struct bdir_hdr) +
					   k * sizeof(e),
			       sizeof(e));
			if (e.start == 0)
				break;
		}
		dtx_unread(t, pin);
		if (k < BDIR_NENT) {
			*page = p;
			*slot = (uint32_t)k;
			return 0;
		}
	}
	return 0;
}

static int write_entry(struct dtx *t, exo_bno page, uint32_t slot,
		       exo_bno start, uint32_t nblocks)
{
	struct bdir_ent e = { .start = start, .nblocks = nblocks };
	void *w;
	int rc;

	rc = dtx_page(t, page, 0, &w);
	if (rc < 0)
		return rc;
	memcpy(bits(w) + sizeof(struct bdir_hdr) + slot * sizeof(e), &e,
	       sizeof(e));
	return 0;
}

/* A new directory page at bno (already allocated), linked after last. */
static int new_dirpage(struct dtx *t, struct btx *x, exo_bno bno,
		       exo_bno last)
{
	struct bdir_hdr h = { .magic = BDIR_MAGIC, .next = EXO_BNO_NONE };
	void *w;
	int rc;

	rc = dtx_page(t, bno, DTX_NEW, &w);
	if (rc < 0)
		return rc;
	memcpy(bits(w), &h, sizeof(h));
	if (last == EXO_BNO_NONE) {
		x->root = bno;
	} else {
		rc = dtx_page(t, last, 0, &w);
		if (rc < 0)
			return rc;
		h.next = bno;
		memcpy(bits(w), &h, sizeof(h));
	}
	return PUSH(x->newdir, x->nnewdir, x->capnewdir, bno);
}

/* Ask the kernel for a run of at least need blocks, size blocks if it
 * can, after hint. */
static int grant(struct exo *e, exo_bno hint, uint32_t need, uint32_t size,
		 exo_bno *start, uint32_t *got)
{
	uint64_t nfree = exo_info(e)->blocks_free;
	int rc;

	if (nfree < need)
		return EXO_ENOSPC;
	if (size > nfree)
		size = (uint32_t)nfree;
	for (;;) {
		rc = exo_block_alloc(e, hint, size, start);
		if (rc != EXO_ENOSPC || size == need)
			break;
		size = size / 2 > need ? size / 2 : need;
	}
	*got = size;
	return rc;
}

/* Record the new chunk [start, start+size) in t: bitmap, directory. */
static int record_chunk(struct dtx *t, struct balloc *b, struct btx *x,
			exo_bno start, uint32_t size)
{
	struct bchunk *c;
	exo_bno page, last;
	uint32_t slot = 0;
	void *w;
	int rc;

	rc = free_slot(t, b, x, &page, &slot, &last);
	if (rc < 0)
		return rc;
	c = &x->added[x->nadded - 1];
	rc = dtx_page(t, start, DTX_NEW, &w);
	if (rc == 0)
		rc = touch(x, start);
	if (rc < 0)
		return rc;
	bits_set(bits(w), 0, page == EXO_BNO_NONE ? 2 : 1, 1);
	if (page == EXO_BNO_NONE) {
		page = start + 1;
		slot = 0;
		rc = new_dirpage(t, x, page, last);
		if (rc < 0)
			return rc;
	}
	c->dirpage = page;
	c->slot = slot;
	return write_entry(t, page, slot, start, size);
}

static exo_bno chunks_end(const struct balloc *b, const struct btx *x)
{
	exo_bno end = 0;
	size_t i;

	if (b->n)
		end = b->ch[b->n - 1].start + b->ch[b->n - 1].nblocks;
	for (i = 0; i < x->nadded; i++)
		if (x->added[i].start + x->added[i].nblocks > end)
			end = x->added[i].start + x->added[i].nblocks;
	return end;
}

/* Grow by one chunk with room for need blocks besides its own pages
 * (kernel permitting, a bigger one: 8 MiB growing to 64 MiB); it becomes
 * the last of x->added. */
static int add_chunk(struct dtx *t, struct balloc *b, struct btx *x,
		     uint32_t need)
{
	struct exo *e = store_exo(b->s);
	size_t nch = b->n + x->nadded;
	uint32_t size, got;
	struct bchunk c = { 0 };
	exo_bno start;
	int rc;

	need = need + 2 > BALLOC_CHUNK_MAX ? BALLOC_CHUNK_MAX : need + 2;
	size = BALLOC_GROW_MIN << (nch < 3 ? nch : 3);
	if (size < need)
		size = need;
	rc = grant(e, chunks_end(b, x), need, size, &start, &got);
	if (rc < 0)
		return rc;
	c.start = start;
	c.nblocks = got;
	rc = PUSH(x->added, x->nadded, x->capadded, c);
	if (rc < 0) {
		exo_block_free(e, start, got);
		return rc;
	}
	return record_chunk(t, b, x, start, got);
}

int balloc_alloc(struct dtx *t, exo_bno hint, uint64_t n, exo_bno *out)
{
	struct balloc *b;
	struct btx *x;
	size_t i, k, i0;
	int rc;

	if (!t || !out || n == 0 || n > BALLOC_CHUNK_MAX - 2)
		return EXO_EINVAL;
	b = store_balloc(dtx_store(t));
	x = btx_of(t);
	if (!x)
		return EXO_ENOMEM;
	i0 = b->n ? lower(b, hint) % b->n : 0;
	for (k = 0; k < b->n; k++) {
		i = (i0 + k) % b->n;
		if (b->ch[i].nfree < n && !is_touched(x, b->ch[i].start))
			continue;
		rc = take_from(t, x, &b->ch[i], hint, (uint32_t)n, out);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	for (i = 0; i < x->nadded; i++) {
		rc = take_from(t, x, &x->added[i], hint, (uint32_t)n, out);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	rc = add_chunk(t, b, x, (uint32_t)n);
	if (rc == 0)
		rc = take_from(t, x, &x->added[x->nadded - 1], hint,
			       (uint32_t)n, out);
	return rc < 0 ? rc : (rc == 1 ? 0 : EXO_ENOSPC);
}

int balloc_format(struct dtx *t, exo_bno *root)
{
	struct balloc *b;
	struct btx *x;
	int rc;

	if (!t || !root)
		return EXO_EINVAL;
	b = store_balloc(dtx_store(t));
	x = btx_of(t);
	if (!x)
		return EXO_ENOMEM;
	if (b->root != EXO_BNO_NONE || b->n > 0 || x->nadded > 0)
		return EXO_EEXIST;
	/* The first chunk brings the directory root (its block 1). */
	rc = add_chunk(t, b, x, 0);
	if (rc == 0)
		*root = x->root;
	return rc;
}

/* ---- freeing ---- */

int balloc_free(struct dtx *t, exo_bno bno, uint64_t n)
{
	struct exo_extent f = { bno, n };
	const struct bchunk *c;
	struct cpage *pin;
	const void *blk;
	struct btx *x;
	int rc, ok;

	if (!t || n == 0)
		return EXO_EINVAL;
	x = btx_of(t);
	if (!x)
		return EXO_ENOMEM;
	c = chunk_of(store_balloc(dtx_store(t)), x, bno);
	if (!c || bno == c->start || n > c->start + c->nblocks - bno ||
	    being_freed(x, bno, n))
		return EXO_EINVAL;
	rc = dtx_read(t, c->start, &pin, &blk);
	if (rc < 0)
		return rc;
	ok = all_set(bits(blk), (uint32_t)(bno - c->start), (uint32_t)n);
	dtx_unread(t, pin);
	if (!ok)
		return EXO_EINVAL;
	rc = PUSH(x->freed, x->nfreed, x->capfreed, f);
	if (rc < 0)
		return rc;
	dtx_discard(t, bno, n);
	return 0;
}

int balloc_writable(struct dtx *t, exo_bno bno)
{
	struct balloc *b = store_balloc(dtx_store(t));
	struct btx *x = dtx_slot(t, DTX_SLOT_BALLOC);
	const struct bchunk *c = chunk_of(b, x, bno);
	struct cpage *pin;
	const void *blk;
	int rc, ok;

	if (!c)
		return EXO_EINVAL;
	if (bno == c->start)
		return 0;
	if (x && being_freed(x, bno, 1))
		return EXO_EINVAL;
	rc = dtx_read(t, c->start, &pin, &blk);
	if (rc < 0)
		return rc;
	ok = bit_get(bits(blk), (uint32_t)(bno - c->start));
	dtx_unread(t, pin);
	return ok ? 0 : EXO_EINVAL;
}

/* ---- commit ---- */

/* A chunk left with only its bitmap page: out of the directory. */
static int remove_if_empty(struct dtx *t, struct btx *x,
			   const struct bchunk *c)
{
	struct exo_extent r = { c->start, c->nblocks };
	struct bdir_ent zero = { 0 };
	const void *blk = dtx_shadow(t, c->start);
	void *w;
	int rc;

	if (!blk || popcount(bits(blk)) != 1)
		return 0;
	rc = dtx_page(t, c->dirpage, 0, &w);
	if (rc == 0)
		rc = PUSH(x->removed, x->nremoved, x->capremoved, r);
	if (rc < 0)
		return rc;
	memcpy(bits(w) + sizeof(struct bdir_hdr) + c->slot * sizeof(zero),
	       &zero, sizeof(zero));
	dtx_discard(t, c->start, c->nblocks);
	return 0;
}

static int btx_precommit(struct dtx *t, void *state)
{
	struct balloc *b = store_balloc(dtx_store(t));
	struct btx *x = state;
	const struct bchunk *c;
	size_t i;
	void *w;
	int rc;

	for (i = 0; i < x->nfreed; i++) {
		c = chunk_of(b, x, x->freed[i].start);
		rc = dtx_page(t, c->start, 0, &w);
		if (rc == 0)
			rc = touch(x, c->start);
		if (rc < 0)
			return rc;
		bits_set(bits(w), (uint32_t)(x->freed[i].start - c->start),
			 (uint32_t)x->freed[i].len, 0);
	}
	for (i = 0; i < x->ntouched; i++) {
		c = chunk_of(b, x, x->touched[i]);
		rc = remove_if_empty(t, x, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int was_removed(const struct btx *x, exo_bno start)
{
	size_t i;

	for (i = 0; i < x->nremoved; i++)
		if (x->removed[i].start == start)
			return 1;
	return 0;
}

static void btx_install(struct dtx *t, void *state, lsn_t lsn)
{
	struct balloc *b = store_balloc(dtx_store(t));
	struct cache *cache = store_cache(dtx_store(t));
	struct btx *x = state;
	struct bchunk *c;
	const void *blk;
	size_t i;

	(void)lsn;
	for (i = 0; i < x->nremoved; i++) {
		remove_chunk(b, x->removed[i].start);
		cache_forget(cache, x->removed[i].start, x->removed[i].len);
	}
	for (i = 0; i < x->nadded; i++) {
		if (!was_removed(x, x->added[i].start) &&
		    insert_chunk(b, &x->added[i]) < 0)
			store_fail(dtx_store(t), EXO_ENOMEM);
	}
	for (i = 0; i < x->ntouched; i++) {
		c = committed_chunk(b, x->touched[i]);
		blk = dtx_shadow(t, x->touched[i]);
		if (c && blk)
			c->nfree = c->nblocks - popcount(bits(blk));
	}
	for (i = 0; i < x->nnewdir; i++)
		if (PUSH(b->dir, b->ndir, b->dircap, x->newdir[i]) < 0)
			store_fail(dtx_store(t), EXO_ENOMEM);
	if (x->root != EXO_BNO_NONE)
		b->root = x->root;
	for (i = 0; i < x->nfreed; i++)
		cache_forget(cache, x->freed[i].start, x->freed[i].len);
}

static void btx_finish(struct dtx *t, void *state, int committed, lsn_t lsn)
{
	struct store *s = dtx_store(t);
	struct btx *x = state;
	size_t i;

	if (committed && x->nremoved > 0 && wal_flush(store_wal(s), lsn) == 0) {
		for (i = 0; i < x->nremoved; i++)
			exo_block_free(store_exo(s), x->removed[i].start,
				       x->removed[i].len);
	}
	for (i = 0; !committed && i < x->nadded; i++) {
		cache_forget(store_cache(s), x->added[i].start,
			     x->added[i].nblocks);
		exo_block_free(store_exo(s), x->added[i].start,
			       x->added[i].nblocks);
	}
	free(x->added);
	free(x->freed);
	free(x->removed);
	free(x->touched);
	free(x->newdir);
	free(x);
}

/* ---- open ---- */

/* Read the chain of directory pages and their entries. */
static int load_dir(struct balloc *b)
{
	struct cache *cache = store_cache(b->s);
	struct bdir_hdr h;
	struct bdir_ent e;
	struct bchunk c;
	struct cpage *pg;
	exo_bno p = b->root;
	size_t i;
	int rc;

	while (p != EXO_BNO_NONE) {
		for (i = 0; i < b->ndir; i++)
			if (b->dir[i] == p)
				return EXO_ECORRUPT; /* a cycle */
		rc = PUSH(b->dir, b->ndir, b->dircap, p);
		if (rc == 0)
			rc = cache_get(cache, p, 0, &pg);
		if (rc < 0)
			return rc;
		rc = balloc_check_dirpage(cpage_data(pg), BLK);
		for (i = 0; rc == 0 && i < BDIR_NENT; i++) {
			memcpy(&e, bits(cpage_data(pg)) + sizeof(h) +
					   i * sizeof(e),
			       sizeof(e));
			if (e.start == 0)
				continue;
			c = (struct bchunk){ e.start, e.nblocks, 0, p,
					     (uint32_t)i };
			rc = PUSH(b->ch, b->n, b->cap, c);
		}
		memcpy(&h, bits(cpage_data(pg)), sizeof(h));
		cache_put(cache, pg);
		if (rc < 0)
			return rc;
		p = h.next;
	}
	return 0;
}

static int chunk_cmp(const void *a, const void *b)
{
	const struct bchunk *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort the chunks, check they are disjoint, read their bitmaps. */
static int load_bitmaps(struct balloc *b)
{
	struct cache *cache = store_cache(b->s);
	const struct bchunk *prev;
	struct cpage *pg;
	size_t i;
	int rc;

	if (b->n > 1)
		qsort(b->ch, b->n, sizeof(*b->ch), chunk_cmp);
	for (i = 0; i < b->n; i++) {
		prev = i > 0 ? &b->ch[i - 1] : NULL;
		if (prev && prev->start + prev->nblocks > b->ch[i].start) {
			store_set_bad(b->s, b->ch[i].start);
			return EXO_ECORRUPT;
		}
		rc = cache_get(cache, b->ch[i].start, 0, &pg);
		if (rc == 0) {
			rc = balloc_check_bitmap(cpage_data(pg), BLK,
						 b->ch[i].nblocks);
			b->ch[i].nfree = b->ch[i].nblocks -
					 popcount(bits(cpage_data(pg)));
			cache_put(cache, pg);
		}
		if (rc < 0) {
			store_set_bad(b->s, b->ch[i].start);
			return rc;
		}
	}
	return 0;
}

/* Every directory page lies in a chunk and is allocated there. */
static int check_dirpages(struct balloc *b)
{
	size_t i;
	int rc;

	for (i = 0; i < b->ndir; i++) {
		rc = balloc_is_allocated(b, b->dir[i]);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			store_set_bad(b->s, b->dir[i]);
			return EXO_ECORRUPT;
		}
	}
	return 0;
}

int balloc_open(struct store *s, exo_bno root, struct balloc **out)
{
	struct balloc *b;
	int rc;

	if (!s || !out)
		return EXO_EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return EXO_ENOMEM;
	b->s = s;
	b->root = root;
	rc = load_dir(b);
	if (rc == EXO_ECORRUPT)
		store_set_bad(s, b->ndir ? b->dir[b->ndir - 1] : root);
	if (rc == 0)
		rc = load_bitmaps(b);
	if (rc == 0)
		rc = check_dirpages(b);
	if (rc < 0) {
		balloc_close(b);
		return rc;
	}
	*out = b;
	return 0;
}

void balloc_close(struct balloc *b)
{
	if (!b)
		return;
	free(b->ch);
	free(b->dir);
	free(b);
}

int balloc_is_allocated(struct balloc *b, exo_bno bno)
{
	const struct bchunk *c = committed_chunk(b, bno);
	struct cpage *pg;
	int rc;

	if (!c)
		return 0;
	rc = cache_get(store_cache(b->s), c->start, 0, &pg);
	if (rc < 0)
		return rc;
	rc = bit_get(bits(cpage_data(pg)), (uint32_t)(bno - c->start));
	cache_put(store_cache(b->s), pg);
	return rc;
}

/* ---- store_check ---- */

struct store_checker {
	struct store *s;
	struct balloc *b;
	uint8_t (*bm)[BLK - CACHE_HDR];   /* per chunk: its bitmap */
	uint8_t (*mark)[BLK - CACHE_HDR]; /* per chunk: blocks marked */
};

static int check_fail(struct store_checker *c, exo_bno bno)
{
	store_set_bad(c->s, bno);
	return EXO_ECORRUPT;
}

int store_check_mark(struct store_checker *c, exo_bno bno, uint64_t n)
{
	const struct bchunk *ch;
	uint32_t i;
	size_t k;

	for (; n > 0; bno++, n--) {
		ch = committed_chunk(c->b, bno);
		if (!ch)
			return check_fail(c, bno);
		k = (size_t)(ch - c->b->ch);
		i = (uint32_t)(bno - ch->start);
		if (!bit_get(c->bm[k], i) || bit_get(c->mark[k], i))
			return check_fail(c, bno);
		bits_set(c->mark[k], i, 1, 1);
	}
	return 0;
}

/* Copy chunk k's bitmap; its free count must match. */
static int check_chunk(struct store_checker *c, size_t k)
{
	const struct bchunk *ch = &c->b->ch[k];
	struct cpage *pg;
	int rc;

	rc = cache_get(store_cache(c->s), ch->start, 0, &pg);
	if (rc < 0)
		return rc;
	rc = balloc_check_bitmap(cpage_data(pg), BLK, ch->nblocks);
	memcpy(c->bm[k], bits(cpage_data(pg)), BLK - CACHE_HDR);
	cache_put(store_cache(c->s), pg);
	if (rc < 0 || ch->nfree != ch->nblocks - popcount(c->bm[k]))
		return check_fail(c, ch->start);
	return store_check_mark(c, ch->start, 1);
}

/* The directory on disk must name exactly the chunks in memory. */
static int check_dir(struct store_checker *c)
{
	struct balloc *b = c->b;
	struct cpage *pg;
	struct bdir_ent e;
	const struct bchunk *ch;
	size_t i, k, named = 0;
	int rc;

	for (i = 0; i < b->ndir; i++) {
		rc = store_check_mark(c, b->dir[i], 1);
		if (rc == 0)
			rc = cache_get(store_cache(c->s), b->dir[i], 0, &pg);
		if (rc < 0)
			return rc;
		rc = balloc_check_dirpage(cpage_data(pg), BLK);
		for (k = 0; rc == 0 && k < BDIR_NENT; k++) {
			memcpy(&e, bits(cpage_data(pg)) +
					   sizeof(struct bdir_hdr) +
					   k * sizeof(e),
			       sizeof(e));
			if (e.start == 0)
				continue;
			ch = committed_chunk(b, e.start);
			if (!ch || ch->start != e.start ||
			    ch->nblocks != e.nblocks ||
			    ch->dirpage != b->dir[i] || ch->slot != k)
				rc = EXO_ECORRUPT;
			named++;
		}
		cache_put(store_cache(c->s), pg);
		if (rc < 0)
			return check_fail(c, b->dir[i]);
	}
	return named == b->n ? 0 : check_fail(c, b->root);
}

int balloc_check_begin(struct store *s, struct store_checker **out)
{
	struct store_checker *c;
	size_t k;
	int rc = 0;

	c = calloc(1, sizeof(*c));
	if (!c)
		return EXO_ENOMEM;
	c->s = s;
	c->b = store_balloc(s);
	c->bm = calloc(c->b->n + 1, sizeof(*c->bm));
	c->mark = calloc(c->b->n + 1, sizeof(*c->mark));
	if (!c->bm || !c->mark)
		rc = EXO_ENOMEM;
	for (k = 0; rc == 0 && k < c->b->n; k++)
		rc = check_chunk(c, k);
	if (rc == 0)
		rc = check_dir(c);
	if (rc < 0) {
		balloc_check_end(c, 0);
		return rc;
	}
	*out = c;
	return 0;
}

int balloc_check_end(struct store_checker *c, int compare)
{
	const struct bchunk *ch;
	size_t k;
	uint32_t i;
	int rc = 0;

	for (k = 0; compare && rc == 0 && k < c->b->n; k++) {
		ch = &c->b->ch[k];
		for (i = 0; i < ch->nblocks; i++) {
			if (bit_get(c->bm[k], i) && !bit_get(c->mark[k], i)) {
				rc = check_fail(c, ch->start + i);
				break;
			}
		}
	}
	free(c->bm);
	free(c->mark);
	free(c);
	return rc;
}
