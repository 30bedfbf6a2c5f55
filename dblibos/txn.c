/*
 * txn.c: write transactions of a store (the API is in store.h).
 *
 * A transaction holds the store's writer mutex from dtx_begin to the end
 * of its install.  Its changes live in shadows: private 4 KiB copies of
 * blocks, found by block number in a small hash table, each keeping its
 * committed frame pinned so that commit can diff against it and install
 * into it without failing.
 *
 * Commit, in order:
 *   1. precommit of the module slots (ENGINE, OBJ, BALLOC): their last
 *      page changes (extent lists, bitmaps of freed blocks);
 *   2. the record: the logical ops already added by dtx_log, a WAL_OP_ROOT
 *      per changed root, then a WAL_OP_PAGE per changed shadow: the byte
 *      ranges that differ from the committed frame (ranges closer than
 *      PAGEOP_GAP merged), or the whole page when the page is new, mostly
 *      changed, or its LSN is not above store_fpw_lsn (first change since
 *      the last checkpoint began: a full image, so that recovery can
 *      rebuild the page if a cut tears its next write);
 *   3. wal_append of the record;
 *   4. under the install lock (exclusive): each changed shadow copied
 *      into its frame under the frame's exclusive latch, cache_dirty with
 *      the record's end; the roots; the slots' install hooks;
 *   5. unpin, release the writer mutex, wal_commit (durable in mode full),
 *      the slots' finish hooks.
 * A failure before step 4 leaves nothing installed: the transaction is
 * aborted (a failed log also breaks the store, store_fail).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "balloc.h"
#include "store.h"

#define BLK        EXO_BLOCK_SIZE
#define WORDS      (BLK / 8)
#define PAGEOP_GAP 2                 /* words: merge ranges closer than this */
#define PAGEOP_BIG (BLK * 3 / 4)     /* bytes changed: log the whole page */

struct shadow {
	exo_bno bno;
	struct cpage *frame; /* the committed frame, pinned */
	uint8_t *data;       /* the shadow: BLK bytes */
	unsigned flags;      /* DTX_NEW */
	int changed;         /* set while building the record */
	size_t idx;          /* in t->list */
	struct shadow *next; /* hash chain */
};

struct dtx {
	struct store *s;
	struct shadow **hash;
	size_t nhash; /* power of two */
	struct shadow **list;
	size_t n, cap;
	struct walbatch batch;
	uint64_t roots[STORE_NROOTS];
	uint32_t rootmask;
	void *state[DTX_NSLOTS];
	const struct dtx_ops *ops[DTX_NSLOTS];
};

/* ---- shadows ---- */

static size_t hash_of(const struct dtx *t, exo_bno bno)
{
	return (size_t)((bno * 0x9e3779b97f4a7c15ull) >> 20) & (t->nhash - 1);
}

static struct shadow *find(const struct dtx *t, exo_bno bno)
{
	struct shadow *sh;

	for (sh = t->hash[hash_of(t, bno)]; sh; sh = sh->next)
		if (sh->bno == bno)
			return sh;
	return NULL;
}

static int grow_hash(struct dtx *t)
{
	size_t nh = t->nhash * 2, i;
	struct shadow **h = calloc(nh, sizeof(*h));
	struct shadow *sh;

	if (!h)
		return EXO_ENOMEM;
	free(t->hash);
	t->hash = h;
	t->nhash = nh;
	for (i = 0; i < t->n; i++) {
		sh = t->list[i];
		sh->next = h[hash_of(t, sh->bno)];
		h[hash_of(t, sh->bno)] = sh;
	}
	return 0;
}

static int insert(struct dtx *t, struct shadow *sh)
{
	struct shadow **l;
	size_t b;

	if (t->n == t->cap) {
		l = realloc(t->list, (t->cap * 2) * sizeof(*l));
		if (!l)
			return EXO_ENOMEM;
		t->list = l;
		t->cap *= 2;
	}
	if (t->n >= t->nhash && grow_hash(t) < 0)
		return EXO_ENOMEM;
	sh->idx = t->n;
	t->list[t->n++] = sh;
	b = hash_of(t, sh->bno);
	sh->next = t->hash[b];
	t->hash[b] = sh;
	return 0;
}

static void drop(struct dtx *t, struct shadow *sh)
{
	struct shadow **pp = &t->hash[hash_of(t, sh->bno)];

	while (*pp != sh)
		pp = &(*pp)->next;
	*pp = sh->next;
	t->list[sh->idx] = t->list[--t->n];
	t->list[sh->idx]->idx = sh->idx;
	cache_put(store_cache(t->s), sh->frame);
	free(sh->data);
	free(sh);
}

static void drop_all(struct dtx *t)
{
	while (t->n > 0)
		drop(t, t->list[t->n - 1]);
}

/* ---- begin, pages, ops ---- */

int dtx_begin(struct store *s, struct dtx **out)
{
	struct dtx *t;
	int rc;

	if (!s || !out)
		return EXO_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return EXO_ENOMEM;
	t->s = s;
	t->nhash = 64;
	t->cap = 64;
	t->hash = calloc(t->nhash, sizeof(*t->hash));
	t->list = malloc(t->cap * sizeof(*t->list));
	walbatch_init(&t->batch);
	rc = (t->hash && t->list) ? store_writer_enter(s) : EXO_ENOMEM;
	if (rc < 0) {
		free(t->hash);
		free(t->list);
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

struct store *dtx_store(struct dtx *t)
{
	return t->s;
}

int dtx_page(struct dtx *t, exo_bno bno, unsigned flags, void **data)
{
	struct shadow *sh;
	int rc;

	if (!t || !data || (flags & ~DTX_NEW))
		return EXO_EINVAL;
	sh = find(t, bno);
	if (sh) {
		if (flags & DTX_NEW) {
			memset(sh->data, 0, BLK);
			sh->flags |= DTX_NEW;
		}
		*data = sh->data;
		return 0;
	}
	rc = balloc_writable(t, bno);
	if (rc < 0)
		return rc;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return EXO_ENOMEM;
	sh->data = aligned_alloc(64, BLK);
	rc = sh->data ? cache_get(store_cache(t->s), bno,
				  (flags & DTX_NEW) ? CACHE_NEW : 0,
				  &sh->frame)
		      : EXO_ENOMEM;
	if (rc < 0) {
		free(sh->data);
		free(sh);
		return rc;
	}
	sh->bno = bno;
	sh->flags = flags;
	if (flags & DTX_NEW)
		memset(sh->data, 0, BLK);
	else
		memcpy(sh->data, cpage_data(sh->frame), BLK);
	rc = insert(t, sh);
	if (rc < 0) {
		cache_put(store_cache(t->s), sh->frame);
		free(sh->data);
		free(sh);
		return rc;
	}
	*data = sh->data;
	return 0;
}

void *dtx_shadow(struct dtx *t, exo_bno bno)
{
	struct shadow *sh = find(t, bno);

	return sh ? sh->data : NULL;
}

int dtx_read(struct dtx *t, exo_bno bno, struct cpage **pin,
	     const void **data)
{
	struct shadow *sh;
	int rc;

	if (!t || !pin || !data)
		return EXO_EINVAL;
	sh = find(t, bno);
	*pin = NULL;
	if (sh) {
		*data = sh->data;
		return 0;
	}
	rc = cache_get(store_cache(t->s), bno, 0, pin);
	if (rc < 0)
		return rc;
	*data = cpage_data(*pin);
	return 0;
}

void dtx_unread(struct dtx *t, struct cpage *pin)
{
	if (pin)
		cache_put(store_cache(t->s), pin);
}

void dtx_discard(struct dtx *t, exo_bno bno, uint64_t n)
{
	struct shadow *sh;
	size_t i;
	uint64_t k;

	if (n > t->n) {
		for (i = t->n; i-- > 0;) {
			sh = t->list[i];
			if (sh->bno >= bno && sh->bno - bno < n)
				drop(t, sh);
		}
		return;
	}
	for (k = 0; k < n; k++) {
		sh = find(t, bno + k);
		if (sh)
			drop(t, sh);
	}
}

int dtx_log(struct dtx *t, uint16_t type, const void *p, uint32_t len)
{
	if (!t || type < WAL_OP_ENGINE || type > 0x1fff)
		return EXO_EINVAL;
	return walbatch_add(&t->batch, type, p, len);
}

int store_root_set(struct dtx *t, unsigned idx, uint64_t v)
{
	if (!t || idx >= STORE_NROOTS)
		return EXO_EINVAL;
	t->roots[idx] = v;
	t->rootmask |= 1u << idx;
	return 0;
}

int dtx_root_get(struct dtx *t, unsigned idx, uint64_t *out)
{
	if (!t || !out || idx >= STORE_NROOTS)
		return EXO_EINVAL;
	if (t->rootmask & (1u << idx))
		*out = t->roots[idx];
	else
		*out = store_sb(t->s)->roots[idx];
	return 0;
}

void *dtx_slot(struct dtx *t, int slot)
{
	assert(slot >= 0 && slot < DTX_NSLOTS);
	return t->state[slot];
}

void dtx_set_slot(struct dtx *t, int slot, void *state,
		  const struct dtx_ops *ops)
{
	assert(slot >= 0 && slot < DTX_NSLOTS);
	t->state[slot] = state;
	t->ops[slot] = ops;
}

/* ---- page ops ---- */

struct range {
	uint32_t off, len;
};

/* The byte ranges of [CACHE_HDR, BLK) where a and b differ, ranges closer
 * than PAGEOP_GAP words merged.  Returns how many; *bytes their sum. */
static size_t diff(const uint8_t *a, const uint8_t *b, struct range *r,
		   uint32_t *bytes)
{
	const uint64_t *wa = (const uint64_t *)a, *wb = (const uint64_t *)b;
	size_t n = 0, w, last = 0;
	uint32_t lo, hi;

	*bytes = 0;
	for (w = CACHE_HDR / 8; w < WORDS; w++) {
		if (wa[w] == wb[w])
			continue;
		if (n > 0 && w - last <= PAGEOP_GAP) {
			r[n - 1].len = (uint32_t)(w + 1) * 8 - r[n - 1].off;
		} else {
			r[n].off = (uint32_t)w * 8;
			r[n].len = 8;
			n++;
		}
		last = w;
	}
	for (w = 0; w < n; w++) {
		lo = r[w].off;
		hi = r[w].off + r[w].len;
		while (a[lo] == b[lo])
			lo++;
		while (a[hi - 1] == b[hi - 1])
			hi--;
		r[w].off = lo;
		r[w].len = hi - lo;
		*bytes += hi - lo;
	}
	return n;
}

/* Append the op taking the committed frame to the shadow. */
static int emit(struct walbatch *b, const struct shadow *sh, int full)
{
	static const struct range whole = { CACHE_HDR, BLK - CACHE_HDR };
	struct range r[WORDS];
	const uint8_t *old = cpage_data(sh->frame);
	struct pageop_hdr h = { .bno = sh->bno };
	struct pageop_range pr;
	uint32_t bytes = 0, len;
	size_t n = 0, i;
	uint8_t *p;

	if (!full) {
		n = diff(old, sh->data, r, &bytes);
		if (n == 0)
			return 0;
		full = bytes > PAGEOP_BIG;
	}
	if (full) {
		r[0] = whole;
		n = 1;
		bytes = whole.len;
		h.flags = PAGEOP_FULL;
	}
	h.nranges = (uint16_t)n;
	len = (uint32_t)(sizeof(h) + n * sizeof(pr) + bytes);
	p = walbatch_op(b, WAL_OP_PAGE, len);
	if (!p)
		return EXO_ENOMEM;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	for (i = 0; i < n; i++, p += sizeof(pr)) {
		pr.off = (uint16_t)r[i].off;
		pr.len = (uint16_t)r[i].len;
		memcpy(p, &pr, sizeof(pr));
	}
	for (i = 0; i < n; i++) {
		memcpy(p, sh->data + r[i].off, r[i].len);
		p += r[i].len;
	}
	return 1;
}

int pageop_check(const void *p, uint32_t len, exo_bno *bno, int *full)
{
	struct pageop_hdr h;
	struct pageop_range r;
	const uint8_t *q = p;
	uint32_t i, end = CACHE_HDR, bytes = 0;

	if (!p || len < sizeof(h))
		return EXO_ECORRUPT;
	memcpy(&h, q, sizeof(h));
	if (h.nranges == 0 || (h.flags & ~PAGEOP_FULL) || h._pad ||
	    (uint64_t)h.nranges * sizeof(r) > len - sizeof(h))
		return EXO_ECORRUPT;
	for (i = 0; i < h.nranges; i++) {
		memcpy(&r, q + sizeof(h) + i * sizeof(r), sizeof(r));
		if (r.len == 0 || r.off < end || (uint32_t)r.off + r.len > BLK)
			return EXO_ECORRUPT;
		end = (uint32_t)r.off + r.len;
		bytes += r.len;
	}
	if (len != sizeof(h) + h.nranges * sizeof(r) + bytes)
		return EXO_ECORRUPT;
	if ((h.flags & PAGEOP_FULL) &&
	    (h.nranges != 1 || bytes != BLK - CACHE_HDR))
		return EXO_ECORRUPT;
	if (bno)
		*bno = h.bno;
	if (full)
		*full = !!(h.flags & PAGEOP_FULL);
	return 0;
}

void pageop_apply(const void *p, uint32_t len, void *blk)
{
	struct pageop_hdr h;
	struct pageop_range r;
	const uint8_t *q = p, *src;
	uint32_t i;

	(void)len;
	memcpy(&h, q, sizeof(h));
	src = q + sizeof(h) + h.nranges * sizeof(r);
	for (i = 0; i < h.nranges; i++) {
		memcpy(&r, q + sizeof(h) + i * sizeof(r), sizeof(r));
		memcpy((uint8_t *)blk + r.off, src, r.len);
		src += r.len;
	}
}

/* ---- commit ---- */

/* Append the root ops and every page op to the batch. */
static int build_record(struct dtx *t)
{
	lsn_t fpw = store_fpw_lsn(t->s);
	struct rootop ro = { 0 };
	struct shadow *sh;
	unsigned i;
	size_t k;
	int rc, full;

	for (i = 0; i < STORE_NROOTS; i++) {
		if (!(t->rootmask & (1u << i)))
			continue;
		ro.idx = i;
		ro.value = t->roots[i];
		rc = walbatch_add(&t->batch, WAL_OP_ROOT, &ro, sizeof(ro));
		if (rc < 0)
			return rc;
	}
	for (k = 0; k < t->n; k++) {
		sh = t->list[k];
		full = (sh->flags & DTX_NEW) || cpage_lsn(sh->frame) <= fpw;
		rc = emit(&t->batch, sh, full);
		if (rc < 0)
			return rc;
		sh->changed = rc;
	}
	return 0;
}

static void install(struct dtx *t, lsn_t end)
{
	struct cache *c = store_cache(t->s);
	struct shadow *sh;
	size_t k;
	int i;

	for (k = 0; k < t->n; k++) {
		sh = t->list[k];
		if (!sh->changed)
			continue;
		cache_latch(sh->frame, 1);
		memcpy((uint8_t *)cpage_data(sh->frame) + CACHE_HDR,
		       sh->data + CACHE_HDR, BLK - CACHE_HDR);
		cache_dirty(c, sh->frame, end);
		cache_unlatch(sh->frame, 1);
	}
	store_install_roots(t->s, t->roots, t->rootmask, end);
	for (i = 0; i < DTX_NSLOTS; i++)
		if (t->ops[i] && t->ops[i]->install)
			t->ops[i]->install(t, t->state[i], end);
}

static int precommit(struct dtx *t)
{
	int i, rc;

	for (i = DTX_NSLOTS - 1; i >= 0; i--) {
		if (!t->ops[i] || !t->ops[i]->precommit)
			continue;
		rc = t->ops[i]->precommit(t, t->state[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void finish(struct dtx *t, int committed, lsn_t lsn)
{
	int i;

	for (i = DTX_NSLOTS - 1; i >= 0; i--)
		if (t->ops[i] && t->ops[i]->finish)
			t->ops[i]->finish(t, t->state[i], committed, lsn);
}

static void dtx_free(struct dtx *t)
{
	walbatch_free(&t->batch);
	free(t->hash);
	free(t->list);
	free(t);
}

void dtx_abort(struct dtx *t)
{
	struct store *s;

	if (!t)
		return;
	s = t->s;
	drop_all(t);
	store_writer_exit(s);
	finish(t, 0, 0);
	dtx_free(t);
}

/* Errors of wal_append that leave the log sound. */
static int clean_error(int rc)
{
	return rc == EXO_ENOSPC || rc == EXO_ENOMEM || rc == EXO_EINVAL;
}

int dtx_commit(struct dtx *t, lsn_t *lsn)
{
	struct store *s;
	lsn_t end = 0;
	int rc;

	if (!t)
		return EXO_EINVAL;
	s = t->s;
	rc = precommit(t);
	if (rc == 0)
		rc = build_record(t);
	if (rc == 0 && t->batch.nops > 0)
		rc = wal_append(store_wal(s), &t->batch, &end);
	if (rc < 0) {
		if (!clean_error(rc))
			store_fail(s, rc);
		dtx_abort(t);
		return rc;
	}
	if (t->batch.nops == 0)
		end = wal_end(store_wal(s));
	store_install_lock(s);
	install(t, end);
	store_install_unlock(s);
	drop_all(t);
	store_writer_exit(s);
	/* Even an empty commit waits: it confirms the state it saw, which
	 * may rest on commits whose flush is still under way. */
	rc = wal_commit(store_wal(s), end);
	if (rc < 0)
		store_fail(s, rc);
	finish(t, 1, end);
	store_after_commit(s);
	if (lsn)
		*lsn = end;
	dtx_free(t);
	return rc;
}
