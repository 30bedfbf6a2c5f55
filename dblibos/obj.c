/*
 * obj.c: named byte objects (obj.h gives the format and the API).
 *
 * Reading.  obj_read holds the store's read lock (store_read_begin) for the
 * whole call and maps each logical block through the inode: a binary
 * search of the inline extents, or of the references and then of one
 * indirect page.  Every page is checked as it is read.  obj_read_tx sees
 * the transaction's view: its shadows, and the object's state if the
 * transaction changed it.
 *
 * Writing.  The first change to an object in a transaction loads its
 * extent list into memory (struct ostate, in the transaction's OBJ slot);
 * writes and truncates change the list and the data blocks' shadows;
 * precommit writes each changed list back into the inode (inline when it
 * fits, else packed into indirect pages, reusing the old ones) before the
 * allocator's precommit runs.  New blocks come from balloc_alloc with the
 * block just after the previous extent as the hint, so appends extend
 * the last extent when the next blocks are free.  Invariants: the extents
 * lie below the size's last block, and the bytes past the size in the
 * last block are zero (truncate zeroes them), so a hole or a grown object
 * reads zeros.
 *
 * The directory.  Names hash (CRC32C) to one of OBJ_NBUCKETS chains of
 * directory pages.  Insert takes the first page of the chain with room,
 * else links a new page at the head; remove closes the gap and unlinks a
 * page left empty.
 */
#include <stdlib.h>
#include <string.h>

#include "balloc.h"
#include "core.h"
#include "obj.h"

#define BLK        EXO_BLOCK_SIZE
#define BD         OBJ_BLOCK_DATA
#define DENT_HDR   9 /* an entry: inode (8), name length (1), name */
#define CHAIN_MAX  (1u << 20) /* longer directory chains are cycles */
#define OBJ_MAXEXT (OINO_NREF * OIND_NEXT)

EXO_STATIC_ASSERT(sizeof(struct oinode_hdr) == 296, "inode header size");
EXO_STATIC_ASSERT(sizeof(struct oext) == 24, "extent size");

struct obj {
	exo_bno ino;
	uint64_t id;
};

/* An object changed by a transaction. */
struct ostate {
	exo_bno ino;
	uint64_t id, size;
	struct oext *ext; /* ascending */
	size_t n, cap;
	exo_bno *ind; /* its indirect pages as on disk */
	size_t nind;
	int dirty, deleted;
	struct ostate *next;
};

struct otx {
	struct ostate *list;
};

/* A page read in the committed view (t NULL, read lock held) or in t's. */
struct pref {
	struct cpage *pin;
	const uint8_t *data;
};

static int pget(struct store *s, struct dtx *t, exo_bno bno, struct pref *r)
{
	int rc;

	if (t)
		rc = dtx_read(t, bno, &r->pin, (const void **)&r->data);
	else
		rc = cache_get(store_cache(s), bno, 0, &r->pin);
	if (rc == 0 && !t)
		r->data = cpage_data(r->pin);
	/* Every block reached here was named by an on-disk pointer: one
	 * that is not ours, or is out of range, is corruption too. */
	if (rc == EXO_EPERM || rc == EXO_ERANGE || (rc == EXO_EINVAL && !t))
		rc = EXO_ECORRUPT;
	if (rc == EXO_ECORRUPT)
		store_set_bad(s, bno);
	return rc;
}

static void pput(struct store *s, struct dtx *t, struct pref *r)
{
	if (t)
		dtx_unread(t, r->pin);
	else
		cache_put(store_cache(s), r->pin);
}

static const uint8_t *body(const void *blk)
{
	return (const uint8_t *)blk + CACHE_HDR;
}

static uint8_t *wbody(void *blk)
{
	return (uint8_t *)blk + CACHE_HDR;
}

static uint64_t nblocks_of(uint64_t size)
{
	return size / BD + (size % BD != 0);
}

/* ---- pure page checks ---- */

int obj_check_root(const void *blk, size_t len)
{
	struct oroot_hdr h;

	if (!blk || len != BLK)
		return EXO_EINVAL;
	memcpy(&h, body(blk), sizeof(h));
	if (h.magic != OROOT_MAGIC || h.nbuckets != OBJ_NBUCKETS ||
	    h.next_id == 0)
		return EXO_ECORRUPT;
	return 0;
}

int obj_check_dirpage(const void *blk, size_t len)
{
	const uint8_t *p;
	struct odir_hdr h;
	uint32_t off = 0, n = 0, nl;
	uint64_t ino;

	if (!blk || len != BLK)
		return EXO_EINVAL;
	memcpy(&h, body(blk), sizeof(h));
	if (h.magic != ODIR_MAGIC || h.used > ODIR_SPACE)
		return EXO_ECORRUPT;
	p = body(blk) + sizeof(h);
	while (off < h.used) {
		if (h.used - off < DENT_HDR)
			return EXO_ECORRUPT;
		memcpy(&ino, p + off, 8);
		nl = p[off + 8];
		if (ino == 0 || nl == 0 || h.used - off - DENT_HDR < nl ||
		    memchr(p + off + DENT_HDR, 0, nl))
			return EXO_ECORRUPT;
		off += DENT_HDR + nl;
		n++;
	}
	return n == h.nent ? 0 : EXO_ECORRUPT;
}

/* Extents ascending, disjoint, within [lo, hi) logical blocks. */
static int check_exts(const uint8_t *p, size_t n, uint64_t lo, uint64_t hi)
{
	struct oext e;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&e, p + i * sizeof(e), sizeof(e));
		if (e.len == 0 || e.len > BALLOC_CHUNK_MAX || e.pbn == 0 ||
		    e._pad || e.pbn >= EXO_BNO_NONE - e.len || e.lbn < lo ||
		    e.lbn >= hi || hi - e.lbn < e.len)
			return EXO_ECORRUPT;
		lo = e.lbn + e.len;
	}
	return 0;
}

static int check_refs(const uint8_t *p, const struct oinode_hdr *h)
{
	uint64_t total = 0, lo = 0, hi = nblocks_of(h->size);
	struct oref r;
	uint32_t i;

	for (i = 0; i < h->nind; i++) {
		memcpy(&r, p + i * sizeof(r), sizeof(r));
		if (r.count == 0 || r.count > OIND_NEXT || r.bno == 0 ||
		    r.bno == EXO_BNO_NONE || r._pad || r.lbn < lo ||
		    r.lbn >= hi)
			return EXO_ECORRUPT;
		lo = r.lbn + 1;
		total += r.count;
	}
	return total == h->nextents ? 0 : EXO_ECORRUPT;
}

int obj_decode_inode(const void *blk, size_t len, struct oinode_hdr *out)
{
	struct oinode_hdr h;
	const uint8_t *area;
	int rc;

	if (!blk || len != BLK)
		return EXO_EINVAL;
	memcpy(&h, body(blk), sizeof(h));
	area = body(blk) + sizeof(h);
	if (h.magic != OINO_MAGIC || h.flags || h._pad || h.id == 0 ||
	    h.namelen == 0 || h.namelen > OBJ_NAME_MAX ||
	    memchr(h.name, 0, h.namelen) || h.nind > OINO_NREF ||
	    h.nextents > OBJ_MAXEXT)
		return EXO_ECORRUPT;
	if (h.nind == 0)
		rc = h.nextents > OINO_NEXT
			     ? EXO_ECORRUPT
			     : check_exts(area, h.nextents, 0,
					  nblocks_of(h.size));
	else
		rc = check_refs(area, &h);
	if (rc == 0 && out) {
		*out = h;
		out->name[h.namelen] = 0;
	}
	return rc;
}

int obj_check_indirect(const void *blk, size_t len, uint64_t id,
		       uint32_t count, uint64_t lbn)
{
	struct oind_hdr h;
	struct oext e;

	if (!blk || len != BLK)
		return EXO_EINVAL;
	memcpy(&h, body(blk), sizeof(h));
	if (h.magic != OIND_MAGIC || h.id != id || h.count != count ||
	    count == 0 || count > OIND_NEXT)
		return EXO_ECORRUPT;
	memcpy(&e, body(blk) + sizeof(h), sizeof(e));
	if (e.lbn != lbn)
		return EXO_ECORRUPT;
	return check_exts(body(blk) + sizeof(h), count, lbn, UINT64_MAX);
}

/* ---- the inode ---- */

/* Read and check the inode of o: EXO_ENOENT if it is not o's any more. */
static int inode_get(struct store *s, struct dtx *t, const struct obj *o,
		     struct pref *r, struct oinode_hdr *h)
{
	int rc;

	rc = pget(s, t, o->ino, r);
	if (rc < 0)
		return rc;
	memcpy(h, body(r->data), sizeof(*h));
	if (h->magic != OINO_MAGIC || h->id != o->id)
		rc = EXO_ENOENT;
	else
		rc = obj_decode_inode(r->data, BLK, h);
	if (rc < 0) {
		pput(s, t, r);
		if (rc == EXO_ECORRUPT)
			store_set_bad(s, o->ino);
	}
	return rc;
}

/* The extent holding lbn among n ascending ones, or NULL. */
static const struct oext *ext_find(const struct oext *e, size_t n,
				   uint64_t lbn)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (lbn < e[mid].lbn)
			hi = mid;
		else if (lbn - e[mid].lbn >= e[mid].len)
			lo = mid + 1;
		else
			return &e[mid];
	}
	return NULL;
}

/* The block holding logical block lbn of a checked inode, or 0. */
static int map_disk(struct store *s, struct dtx *t, const uint8_t *ino,
		    const struct oinode_hdr *h, uint64_t id, uint64_t lbn,
		    exo_bno *pbn)
{
	const uint8_t *area = body(ino) + sizeof(*h);
	struct oext e[OIND_NEXT];
	const struct oext *f;
	struct oref r;
	struct pref pr;
	size_t lo = 0, hi = h->nind, mid;
	int rc;

	*pbn = 0;
	if (h->nind == 0) {
		memcpy(e, area, h->nextents * sizeof(e[0]));
		f = ext_find(e, h->nextents, lbn);
		*pbn = f ? f->pbn + (lbn - f->lbn) : 0;
		return 0;
	}
	while (lo < hi) { /* the last reference starting at or before lbn */
		mid = (lo + hi) / 2;
		memcpy(&r, area + mid * sizeof(r), sizeof(r));
		if (r.lbn <= lbn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	memcpy(&r, area + (lo - 1) * sizeof(r), sizeof(r));
	rc = pget(s, t, r.bno, &pr);
	if (rc < 0)
		return rc;
	rc = obj_check_indirect(pr.data, BLK, id, r.count, r.lbn);
	if (rc == 0) {
		memcpy(e, body(pr.data) + sizeof(struct oind_hdr),
		       r.count * sizeof(e[0]));
		f = ext_find(e, r.count, lbn);
		*pbn = f ? f->pbn + (lbn - f->lbn) : 0;
	} else {
		store_set_bad(s, r.bno);
	}
	pput(s, t, &pr);
	return rc;
}

/* ---- the transaction's objects ---- */

static int otx_precommit(struct dtx *t, void *state);
static void otx_finish(struct dtx *t, void *state, int committed, lsn_t l);

static const struct dtx_ops otx_ops = {
	.precommit = otx_precommit,
	.finish = otx_finish,
};

static struct otx *otx_of(struct dtx *t)
{
	struct otx *x = dtx_slot(t, DTX_SLOT_OBJ);

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (x)
			dtx_set_slot(t, DTX_SLOT_OBJ, x, &otx_ops);
	}
	return x;
}

static struct ostate *state_find(struct dtx *t, exo_bno ino)
{
	struct otx *x = dtx_slot(t, DTX_SLOT_OBJ);
	struct ostate *st;

	for (st = x ? x->list : NULL; st; st = st->next)
		if (st->ino == ino)
			return st;
	return NULL;
}

static void state_free(struct ostate *st)
{
	free(st->ext);
	free(st->ind);
	free(st);
}

static int ext_reserve(struct ostate *st, size_t n)
{
	struct oext *e;
	size_t cap = st->cap ? st->cap : 16;

	if (n <= st->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	e = realloc(st->ext, cap * sizeof(*e));
	if (!e)
		return EXO_ENOMEM;
	st->ext = e;
	st->cap = cap;
	return 0;
}

/* Load the extents of a checked inode, through its indirect pages. */
static int load_exts(struct store *s, struct dtx *t, const uint8_t *ino,
		     const struct oinode_hdr *h, struct ostate *st)
{
	const uint8_t *area = body(ino) + sizeof(*h);
	struct oref r;
	struct pref pr;
	uint32_t i;
	int rc;

	rc = ext_reserve(st, h->nextents);
	if (rc < 0)
		return rc;
	if (h->nind == 0) {
		if (h->nextents)
			memcpy(st->ext, area, h->nextents * sizeof(*st->ext));
		st->n = h->nextents;
		return 0;
	}
	st->ind = malloc(h->nind * sizeof(*st->ind));
	if (!st->ind)
		return EXO_ENOMEM;
	for (i = 0; i < h->nind; i++) {
		memcpy(&r, area + i * sizeof(r), sizeof(r));
		st->ind[st->nind++] = r.bno;
		rc = pget(s, t, r.bno, &pr);
		if (rc < 0)
			return rc;
		rc = obj_check_indirect(pr.data, BLK, h->id, r.count, r.lbn);
		if (rc == 0 && st->n > 0 &&
		    st->ext[st->n - 1].lbn + st->ext[st->n - 1].len > r.lbn)
			rc = EXO_ECORRUPT;
		if (rc == 0)
			memcpy(st->ext + st->n,
			       body(pr.data) + sizeof(struct oind_hdr),
			       r.count * sizeof(*st->ext));
		pput(s, t, &pr);
		if (rc < 0) {
			store_set_bad(s, r.bno);
			return rc;
		}
		st->n += r.count;
	}
	if (st->n && st->ext[st->n - 1].lbn + st->ext[st->n - 1].len >
			     nblocks_of(h->size)) {
		store_set_bad(s, st->ino);
		return EXO_ECORRUPT;
	}
	return 0;
}

/* The state of o in t, loaded on first use. */
static int state_get(struct dtx *t, const struct obj *o, struct ostate **out)
{
	struct store *s = dtx_store(t);
	struct oinode_hdr h;
	struct ostate *st;
	struct otx *x;
	struct pref r;
	int rc;

	st = state_find(t, o->ino);
	if (st) {
		if (st->deleted || st->id != o->id)
			return EXO_ENOENT;
		*out = st;
		return 0;
	}
	x = otx_of(t);
	st = calloc(1, sizeof(*st));
	if (!x || !st) {
		free(st);
		return EXO_ENOMEM;
	}
	rc = inode_get(s, t, o, &r, &h);
	if (rc < 0) {
		free(st);
		return rc;
	}
	st->ino = o->ino;
	st->id = h.id;
	st->size = h.size;
	rc = load_exts(s, t, r.data, &h, st);
	pput(s, t, &r);
	if (rc < 0) {
		state_free(st);
		return rc;
	}
	st->next = x->list;
	x->list = st;
	*out = st;
	return 0;
}

/* Insert extent {lbn, pbn, len} (disjoint from the others), merging. */
static int ext_insert(struct ostate *st, uint64_t lbn, exo_bno pbn,
		      uint32_t len)
{
	size_t i = 0, lo = 0, hi = st->n;
	struct oext *p, *q;
	int rc;

	while (lo < hi) {
		i = (lo + hi) / 2;
		if (st->ext[i].lbn < lbn)
			lo = i + 1;
		else
			hi = i;
	}
	i = lo;
	p = i > 0 ? &st->ext[i - 1] : NULL;
	if (p && p->lbn + p->len == lbn && p->pbn + p->len == pbn &&
	    p->len + len <= BALLOC_CHUNK_MAX) {
		p->len += len;
		q = i < st->n ? &st->ext[i] : NULL;
		if (q && p->lbn + p->len == q->lbn &&
		    p->pbn + p->len == q->pbn &&
		    p->len + q->len <= BALLOC_CHUNK_MAX) {
			p->len += q->len;
			memmove(q, q + 1, (st->n - i - 1) * sizeof(*q));
			st->n--;
		}
		return 0;
	}
	rc = ext_reserve(st, st->n + 1);
	if (rc < 0)
		return rc;
	memmove(&st->ext[i + 1], &st->ext[i], (st->n - i) * sizeof(*st->ext));
	st->ext[i] = (struct oext){ .lbn = lbn, .pbn = pbn, .len = len };
	st->n++;
	return st->n > OBJ_MAXEXT ? EXO_ENOSPC : 0;
}

/* Where lbn is in st: *pbn (0: a hole) and how many blocks from lbn stay
 * in that extent or hole. */
static void map_state(const struct ostate *st, uint64_t lbn, exo_bno *pbn,
		      uint64_t *run)
{
	size_t lo = 0, hi = st->n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (st->ext[mid].lbn + st->ext[mid].len <= lbn)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->n && st->ext[lo].lbn <= lbn) {
		*pbn = st->ext[lo].pbn + (lbn - st->ext[lo].lbn);
		*run = st->ext[lo].lbn + st->ext[lo].len - lbn;
	} else {
		*pbn = 0;
		*run = lo < st->n ? st->ext[lo].lbn - lbn : UINT64_MAX - lbn;
	}
}

/* Allocate up to n blocks for the hole at lbn, contiguous, near the
 * previous extent; *got of them at *pbn. */
static int fill_hole(struct dtx *t, struct ostate *st, uint64_t lbn,
		     uint64_t n, exo_bno *pbn, uint64_t *got)
{
	const struct oext *prev = NULL;
	exo_bno hint = st->ino + 1;
	uint64_t want = n < BALLOC_CHUNK_MAX - 2 ? n : BALLOC_CHUNK_MAX - 2;
	size_t i;
	int rc;

	for (i = 0; i < st->n && st->ext[i].lbn < lbn; i++)
		prev = &st->ext[i];
	if (prev)
		hint = prev->pbn + prev->len + (lbn - prev->lbn - prev->len);
	for (;;) {
		rc = balloc_alloc(t, hint, want, pbn);
		if (rc != EXO_ENOSPC || want == 1)
			break;
		want /= 2;
	}
	if (rc < 0)
		return rc;
	*got = want;
	return ext_insert(st, lbn, *pbn, (uint32_t)want);
}

/* ---- the directory ---- */

struct dpos {
	exo_bno page; /* the page holding the entry */
	exo_bno prev; /* the page before it in the chain, or 0 */
	uint32_t off; /* the entry's offset in the page's entries */
	exo_bno ino;
};

static uint32_t bucket_of(const char *name, size_t nl)
{
	return crc32c(0, name, nl) % OBJ_NBUCKETS;
}

static int check_name(const char *name, size_t *nl)
{
	if (!name)
		return EXO_EINVAL;
	*nl = strnlen(name, OBJ_NAME_MAX + 1);
	return *nl == 0 || *nl > OBJ_NAME_MAX ? EXO_EINVAL : 0;
}

static exo_bno bucket_head(const uint8_t *root, uint32_t b)
{
	exo_bno p;

	memcpy(&p, body(root) + sizeof(struct oroot_hdr) + b * 8, 8);
	return p;
}

/* Find name in page data; its offset or -1. */
static int64_t page_find(const uint8_t *blk, const char *name, size_t nl)
{
	const uint8_t *p = body(blk) + sizeof(struct odir_hdr);
	struct odir_hdr h;
	uint32_t off = 0;

	memcpy(&h, body(blk), sizeof(h));
	while (off < h.used) {
		if (p[off + 8] == nl &&
		    memcmp(p + off + DENT_HDR, name, nl) == 0)
			return off;
		off += DENT_HDR + p[off + 8];
	}
	return -1;
}

/* Look name up (committed view with t NULL, else t's).  EXO_ENOENT. */
static int dir_find(struct store *s, struct dtx *t, const char *name,
		    size_t nl, struct dpos *pos)
{
	struct pref r;
	exo_bno p, prev = 0;
	uint32_t hops = 0;
	int64_t off;
	int rc;

	rc = pget(s, t, store_sb(s)->obj_root, &r);
	if (rc < 0)
		return rc;
	rc = obj_check_root(r.data, BLK);
	p = bucket_head(r.data, bucket_of(name, nl));
	pput(s, t, &r);
	for (; rc == 0 && p != 0; prev = p, p = pos->page) {
		if (++hops > CHAIN_MAX)
			return EXO_ECORRUPT;
		rc = pget(s, t, p, &r);
		if (rc < 0)
			return rc;
		rc = obj_check_dirpage(r.data, BLK);
		off = rc == 0 ? page_find(r.data, name, nl) : -1;
		if (off >= 0) {
			pos->page = p;
			pos->prev = prev;
			pos->off = (uint32_t)off;
			memcpy(&pos->ino, body(r.data) +
						  sizeof(struct odir_hdr) + off,
			       8);
		} else {
			memcpy(&pos->page, body(r.data) + 8, 8); /* next */
		}
		pput(s, t, &r);
		if (rc == 0 && off >= 0)
			return 0;
	}
	if (rc == EXO_ECORRUPT)
		store_set_bad(s, p ? p : store_sb(s)->obj_root);
	return rc < 0 ? rc : EXO_ENOENT;
}

/* A page of the chain of bucket b with room for need bytes; else a new
 * one linked at the head. */
static int page_with_room(struct dtx *t, uint32_t b, uint32_t need,
			  exo_bno *out)
{
	struct store *s = dtx_store(t);
	exo_bno root = store_sb(s)->obj_root, p;
	struct odir_hdr h;
	uint32_t hops = 0;
	struct pref r;
	uint8_t *w;
	int rc;

	rc = pget(s, t, root, &r);
	if (rc < 0)
		return rc;
	p = bucket_head(r.data, b);
	pput(s, t, &r);
	for (; p != 0 && ++hops <= CHAIN_MAX; p = h.next) {
		rc = pget(s, t, p, &r);
		if (rc < 0)
			return rc;
		rc = obj_check_dirpage(r.data, BLK);
		memcpy(&h, body(r.data), sizeof(h));
		pput(s, t, &r);
		if (rc < 0) {
			store_set_bad(s, p);
			return rc;
		}
		if (h.used + need <= ODIR_SPACE) {
			*out = p;
			return 0;
		}
	}
	rc = balloc_alloc(t, root, 1, out);
	if (rc == 0)
		rc = dtx_page(t, root, 0, (void **)&w);
	if (rc < 0)
		return rc;
	h = (struct odir_hdr){ .magic = ODIR_MAGIC, .next = bucket_head(w, b) };
	memcpy(wbody(w) + sizeof(struct oroot_hdr) + b * 8, out, 8);
	rc = dtx_page(t, *out, DTX_NEW, (void **)&w);
	if (rc == 0)
		memcpy(wbody(w), &h, sizeof(h));
	return rc;
}

static int dir_insert(struct dtx *t, const char *name, size_t nl,
		      exo_bno ino)
{
	uint32_t need = DENT_HDR + (uint32_t)nl;
	struct odir_hdr h;
	exo_bno page;
	uint8_t *w, *e;
	int rc;

	rc = page_with_room(t, bucket_of(name, nl), need, &page);
	if (rc == 0)
		rc = dtx_page(t, page, 0, (void **)&w);
	if (rc < 0)
		return rc;
	memcpy(&h, wbody(w), sizeof(h));
	e = wbody(w) + sizeof(h) + h.used;
	memcpy(e, &ino, 8);
	e[8] = (uint8_t)nl;
	memcpy(e + DENT_HDR, name, nl);
	h.nent++;
	h.used = (uint16_t)(h.used + need);
	memcpy(wbody(w), &h, sizeof(h));
	return 0;
}

/* Remove the entry of name at pos; unlink and free its page if left
 * empty. */
static int dir_remove(struct dtx *t, const struct dpos *pos, const char *name,
		      size_t nl)
{
	struct store *s = dtx_store(t);
	uint32_t sz = DENT_HDR + (uint32_t)nl, off;
	struct odir_hdr h;
	uint8_t *w, *e;
	int rc;

	rc = dtx_page(t, pos->page, 0, (void **)&w);
	if (rc < 0)
		return rc;
	memcpy(&h, wbody(w), sizeof(h));
	e = wbody(w) + sizeof(h);
	memmove(e + pos->off, e + pos->off + sz, h.used - pos->off - sz);
	memset(e + h.used - sz, 0, sz);
	h.nent--;
	h.used = (uint16_t)(h.used - sz);
	memcpy(wbody(w), &h, sizeof(h));
	if (h.nent > 0)
		return 0;
	if (pos->prev) {
		off = 8; /* odir_hdr.next */
		rc = dtx_page(t, pos->prev, 0, (void **)&w);
	} else {
		off = (uint32_t)(sizeof(struct oroot_hdr) +
				 bucket_of(name, nl) * 8);
		rc = dtx_page(t, store_sb(s)->obj_root, 0, (void **)&w);
	}
	if (rc < 0)
		return rc;
	memcpy(wbody(w) + off, &h.next, 8);
	return balloc_free(t, pos->page, 1);
}

/* ---- create, open, delete, list ---- */

int obj_format(struct dtx *t, exo_bno *root)
{
	struct oroot_hdr h = { .magic = OROOT_MAGIC,
			       .nbuckets = OBJ_NBUCKETS,
			       .next_id = 1 };
	void *w;
	int rc;

	if (!t || !root)
		return EXO_EINVAL;
	rc = balloc_alloc(t, 0, 1, root);
	if (rc == 0)
		rc = dtx_page(t, *root, DTX_NEW, &w);
	if (rc == 0)
		memcpy(wbody(w), &h, sizeof(h));
	return rc;
}

static int new_handle(exo_bno ino, uint64_t id, struct obj **out)
{
	struct obj *o = malloc(sizeof(*o));

	if (!o)
		return EXO_ENOMEM;
	o->ino = ino;
	o->id = id;
	*out = o;
	return 0;
}

/* A new inode for name; its id from the root page. */
static int new_inode(struct dtx *t, const char *name, size_t nl,
		     exo_bno *ino, uint64_t *id)
{
	struct store *s = dtx_store(t);
	exo_bno root = store_sb(s)->obj_root;
	struct oinode_hdr h;
	struct oroot_hdr rh;
	uint8_t *w;
	int rc;

	rc = dtx_page(t, root, 0, (void **)&w);
	if (rc < 0)
		return rc;
	memcpy(&rh, wbody(w), sizeof(rh));
	*id = rh.next_id++;
	memcpy(wbody(w), &rh, sizeof(rh));
	rc = balloc_alloc(t, root, 1, ino);
	if (rc == 0)
		rc = dtx_page(t, *ino, DTX_NEW, (void **)&w);
	if (rc < 0)
		return rc;
	memset(&h, 0, sizeof(h));
	h.magic = OINO_MAGIC;
	h.id = *id;
	h.namelen = (uint32_t)nl;
	memcpy(h.name, name, nl);
	memcpy(wbody(w), &h, sizeof(h));
	return 0;
}

int obj_create(struct dtx *t, const char *name, struct obj **out)
{
	struct dpos pos;
	exo_bno ino;
	uint64_t id;
	size_t nl;
	int rc;

	if (!t || !out)
		return EXO_EINVAL;
	rc = check_name(name, &nl);
	if (rc < 0)
		return rc;
	rc = dir_find(dtx_store(t), t, name, nl, &pos);
	if (rc == 0)
		return EXO_EEXIST;
	if (rc != EXO_ENOENT)
		return rc;
	rc = new_inode(t, name, nl, &ino, &id);
	if (rc == 0)
		rc = dir_insert(t, name, nl, ino);
	if (rc == 0)
		rc = new_handle(ino, id, out);
	return rc;
}

/* Open in the committed view (t NULL, read lock held) or in t's. */
static int open_in(struct store *s, struct dtx *t, const char *name,
		   struct obj **out)
{
	struct oinode_hdr h;
	struct dpos pos;
	struct obj o;
	struct pref r;
	size_t nl;
	int rc;

	rc = check_name(name, &nl);
	if (rc == 0)
		rc = dir_find(s, t, name, nl, &pos);
	if (rc < 0)
		return rc;
	rc = pget(s, t, pos.ino, &r);
	if (rc < 0)
		return rc;
	memcpy(&o.id, body(r.data) + offsetof(struct oinode_hdr, id), 8);
	o.ino = pos.ino;
	pput(s, t, &r);
	rc = inode_get(s, t, &o, &r, &h);
	if (rc == EXO_ENOENT) { /* the entry names a block that is no inode */
		store_set_bad(s, pos.ino);
		rc = EXO_ECORRUPT;
	}
	if (rc < 0)
		return rc;
	pput(s, t, &r);
	if (h.namelen != nl || memcmp(h.name, name, nl) != 0) {
		store_set_bad(s, pos.ino);
		return EXO_ECORRUPT;
	}
	return new_handle(o.ino, o.id, out);
}

int obj_open(struct store *s, const char *name, struct obj **out)
{
	int rc;

	if (!s || !out)
		return EXO_EINVAL;
	store_read_begin(s);
	rc = open_in(s, NULL, name, out);
	store_read_end(s);
	return rc;
}

int obj_open_tx(struct dtx *t, const char *name, struct obj **out)
{
	if (!t || !out)
		return EXO_EINVAL;
	return open_in(dtx_store(t), t, name, out);
}

void obj_close(struct obj *o)
{
	free(o);
}

/* Free every block of st: data, indirect pages, the inode. */
static int free_all(struct dtx *t, struct ostate *st)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < st->n; i++)
		rc = balloc_free(t, st->ext[i].pbn, st->ext[i].len);
	for (i = 0; rc == 0 && i < st->nind; i++)
		rc = balloc_free(t, st->ind[i], 1);
	st->n = st->nind = 0;
	return rc ? rc : balloc_free(t, st->ino, 1);
}

int obj_delete(struct dtx *t, const char *name)
{
	struct ostate *st;
	struct dpos pos;
	struct obj *o;
	size_t nl;
	int rc;

	if (!t)
		return EXO_EINVAL;
	rc = obj_open_tx(t, name, &o);
	if (rc < 0)
		return rc;
	nl = strlen(name);
	rc = state_get(t, o, &st);
	obj_close(o);
	if (rc == 0)
		rc = dir_find(dtx_store(t), t, name, nl, &pos);
	if (rc == 0)
		rc = dir_remove(t, &pos, name, nl);
	if (rc == 0)
		rc = free_all(t, st);
	if (rc == 0)
		st->deleted = 1;
	return rc;
}

static int list_push(struct obj_info **v, size_t *n, size_t *cap,
		     const struct obj_info *in)
{
	struct obj_info *p;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		p = realloc(*v, *cap * sizeof(*p));
		if (!p)
			return EXO_ENOMEM;
		*v = p;
	}
	(*v)[(*n)++] = *in;
	return 0;
}

/* Append the objects named in directory page p; *next its successor. */
static int list_page(struct store *s, exo_bno p, struct obj_info **v,
		     size_t *n, size_t *cap, exo_bno *next)
{
	struct oinode_hdr h;
	struct obj_info in;
	struct odir_hdr dh;
	struct pref r, ir;
	const uint8_t *e;
	uint32_t off;
	int rc;

	rc = pget(s, NULL, p, &r);
	if (rc < 0)
		return rc;
	rc = obj_check_dirpage(r.data, BLK);
	if (rc < 0)
		store_set_bad(s, p);
	memcpy(&dh, body(r.data), sizeof(dh));
	e = body(r.data) + sizeof(dh);
	for (off = 0; rc == 0 && off < dh.used; off += DENT_HDR + e[off + 8]) {
		memcpy(&in.ino, e + off, 8);
		rc = pget(s, NULL, in.ino, &ir);
		if (rc < 0)
			break;
		rc = obj_decode_inode(ir.data, BLK, &h);
		pput(s, NULL, &ir);
		if (rc < 0) {
			store_set_bad(s, in.ino);
			break;
		}
		memcpy(in.name, h.name, sizeof(in.name));
		in.size = h.size;
		in.id = h.id;
		rc = list_push(v, n, cap, &in);
	}
	*next = dh.next;
	pput(s, NULL, &r);
	return rc;
}

static int list_all(struct store *s, struct obj_info **v, size_t *n)
{
	size_t cap = 0;
	struct pref r;
	exo_bno heads[OBJ_NBUCKETS], p;
	uint32_t b, hops;
	int rc;

	rc = pget(s, NULL, store_sb(s)->obj_root, &r);
	if (rc < 0)
		return rc;
	rc = obj_check_root(r.data, BLK);
	memcpy(heads, body(r.data) + sizeof(struct oroot_hdr), sizeof(heads));
	pput(s, NULL, &r);
	for (b = 0; rc == 0 && b < OBJ_NBUCKETS; b++) {
		for (p = heads[b], hops = 0; rc == 0 && p != 0;) {
			if (++hops > CHAIN_MAX)
				return EXO_ECORRUPT;
			rc = list_page(s, p, v, n, &cap, &p);
		}
	}
	return rc;
}

int obj_list(struct store *s, struct obj_info **out, size_t *n)
{
	struct obj_info *v = NULL;
	size_t k = 0;
	int rc;

	if (!s || !out || !n)
		return EXO_EINVAL;
	store_read_begin(s);
	rc = list_all(s, &v, &k);
	store_read_end(s);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

/* ---- size and read ---- */

static int size_in(struct store *s, struct dtx *t, struct obj *o,
		   uint64_t *size)
{
	struct oinode_hdr h;
	struct ostate *st = t ? state_find(t, o->ino) : NULL;
	struct pref r;
	int rc;

	if (st) {
		if (st->deleted || st->id != o->id)
			return EXO_ENOENT;
		*size = st->size;
		return 0;
	}
	rc = inode_get(s, t, o, &r, &h);
	if (rc < 0)
		return rc;
	pput(s, t, &r);
	*size = h.size;
	return 0;
}

int obj_size(struct store *s, struct obj *o, uint64_t *size)
{
	int rc;

	if (!s || !o || !size)
		return EXO_EINVAL;
	store_read_begin(s);
	rc = size_in(s, NULL, o, size);
	store_read_end(s);
	return rc;
}

int obj_size_tx(struct dtx *t, struct obj *o, uint64_t *size)
{
	if (!t || !o || !size)
		return EXO_EINVAL;
	return size_in(dtx_store(t), t, o, size);
}

/* Copy [off, off+len) of logical block lbn (at pbn, 0 a hole) to buf. */
static int read_block(struct store *s, struct dtx *t, exo_bno pbn,
		      uint32_t off, uint32_t len, uint8_t *buf)
{
	struct pref r;
	int rc;

	if (pbn == 0) {
		memset(buf, 0, len);
		return 0;
	}
	rc = pget(s, t, pbn, &r);
	if (rc < 0)
		return rc;
	memcpy(buf, body(r.data) + off, len);
	pput(s, t, &r);
	return 0;
}

static int read_in(struct store *s, struct dtx *t, struct obj *o,
		   uint64_t off, uint8_t *buf, size_t len, size_t *nread)
{
	struct ostate *st = t ? state_find(t, o->ino) : NULL;
	struct oinode_hdr h;
	struct pref ir;
	uint64_t size, run, lbn;
	uint32_t in, k;
	exo_bno pbn;
	size_t done = 0;
	int rc = 0;

	if (st && (st->deleted || st->id != o->id))
		return EXO_ENOENT;
	if (!st) {
		rc = inode_get(s, t, o, &ir, &h);
		if (rc < 0)
			return rc;
	}
	size = st ? st->size : h.size;
	if (off < size && len > size - off)
		len = (size_t)(size - off);
	for (; rc == 0 && off < size && done < len; done += k, off += k) {
		lbn = off / BD;
		in = (uint32_t)(off % BD);
		k = (uint32_t)(len - done < BD - in ? len - done : BD - in);
		if (st)
			map_state(st, lbn, &pbn, &run);
		else
			rc = map_disk(s, t, ir.data, &h, o->id, lbn, &pbn);
		if (rc == 0)
			rc = read_block(s, t, pbn, in, k, buf + done);
	}
	if (!st)
		pput(s, t, &ir);
	if (rc == 0 && nread)
		*nread = done;
	return rc;
}

int obj_read(struct store *s, struct obj *o, uint64_t off, void *buf,
	     size_t len, size_t *nread)
{
	int rc;

	if (!s || !o || (!buf && len))
		return EXO_EINVAL;
	store_read_begin(s);
	rc = read_in(s, NULL, o, off, buf, len, nread);
	store_read_end(s);
	return rc;
}

int obj_read_tx(struct dtx *t, struct obj *o, uint64_t off, void *buf,
		size_t len, size_t *nread)
{
	if (!t || !o || (!buf && len))
		return EXO_EINVAL;
	return read_in(dtx_store(t), t, o, off, buf, len, nread);
}

/* ---- write and truncate ---- */

/* Copy the part of [off, off+len) of the object in block pbn (logical
 * block lbn); fresh: a new block. */
static int write_block(struct dtx *t, exo_bno pbn, int fresh, uint64_t lbn,
		       uint64_t off, const uint8_t *buf, size_t len)
{
	uint64_t lo = lbn * BD, hi = lo + BD;
	uint8_t *w;
	int rc;

	if (lo < off)
		lo = off;
	if (hi > off + len)
		hi = off + len;
	rc = dtx_page(t, pbn, fresh ? DTX_NEW : 0, (void **)&w);
	if (rc == 0)
		memcpy(wbody(w) + (lo - lbn * BD), buf + (lo - off), hi - lo);
	return rc;
}

int obj_write(struct dtx *t, struct obj *o, uint64_t off, const void *buf,
	      size_t len)
{
	struct ostate *st;
	uint64_t lbn, last, run, k, i;
	exo_bno pbn;
	int rc, fresh;

	if (!t || !o || (!buf && len) || off + len < off)
		return EXO_EINVAL;
	if (len == 0)
		return 0;
	rc = state_get(t, o, &st);
	if (rc < 0)
		return rc;
	st->dirty = 1;
	last = (off + len - 1) / BD;
	for (lbn = off / BD; lbn <= last; lbn += k) {
		map_state(st, lbn, &pbn, &run);
		k = run < last - lbn + 1 ? run : last - lbn + 1;
		fresh = pbn == 0;
		if (fresh) {
			rc = fill_hole(t, st, lbn, k, &pbn, &k);
			if (rc < 0)
				return rc;
		}
		for (i = 0; i < k; i++) {
			rc = write_block(t, pbn + i, fresh, lbn + i, off, buf,
					 len);
			if (rc < 0)
				return rc;
		}
	}
	if (off + len > st->size)
		st->size = off + len;
	return 0;
}

/* Free the blocks at logical block nb and beyond. */
static int cut_exts(struct dtx *t, struct ostate *st, uint64_t nb)
{
	struct oext *e;
	uint64_t keep;
	int rc;

	while (st->n > 0) {
		e = &st->ext[st->n - 1];
		if (e->lbn + e->len <= nb)
			break;
		keep = e->lbn < nb ? nb - e->lbn : 0;
		rc = balloc_free(t, e->pbn + keep, e->len - keep);
		if (rc < 0)
			return rc;
		if (keep == 0) {
			st->n--;
		} else {
			e->len = (uint32_t)keep;
		}
	}
	return 0;
}

int obj_truncate(struct dtx *t, struct obj *o, uint64_t size)
{
	struct ostate *st;
	uint64_t run;
	exo_bno pbn;
	uint8_t *w;
	int rc;

	if (!t || !o)
		return EXO_EINVAL;
	rc = state_get(t, o, &st);
	if (rc < 0)
		return rc;
	st->dirty = 1;
	if (size < st->size) {
		rc = cut_exts(t, st, nblocks_of(size));
		if (rc < 0)
			return rc;
		map_state(st, size / BD, &pbn, &run);
		if (size % BD && pbn) {
			rc = dtx_page(t, pbn, 0, (void **)&w);
			if (rc < 0)
				return rc;
			memset(wbody(w) + size % BD, 0, BD - size % BD);
		}
	}
	st->size = size;
	return 0;
}

/* ---- commit ---- */

/* Pack st's extents into its indirect pages (reusing, allocating or
 * freeing pages) and the references into the inode area. */
static int store_indirect(struct dtx *t, struct ostate *st, uint8_t *area)
{
	size_t need = (st->n + OIND_NEXT - 1) / OIND_NEXT, old = st->nind;
	struct oind_hdr h = { .magic = OIND_MAGIC, .id = st->id };
	exo_bno *ind = st->ind, bno;
	struct oref r = { 0 };
	size_t i, first;
	uint8_t *w;
	int rc = 0;

	if (need > OINO_NREF)
		return EXO_ENOSPC;
	if (need > st->nind) {
		ind = realloc(st->ind, need * sizeof(*ind));
		if (!ind)
			return EXO_ENOMEM;
		st->ind = ind;
	}
	for (i = st->nind; i < need && rc == 0; i++) {
		rc = balloc_alloc(t, st->ino, 1, &bno);
		ind[i] = bno;
		st->nind += rc == 0;
	}
	for (i = need; i < st->nind && rc == 0; i++)
		rc = balloc_free(t, ind[i], 1);
	if (rc < 0)
		return rc;
	st->nind = need;
	for (i = 0; i < need; i++) {
		first = i * OIND_NEXT;
		h.count = (uint32_t)(st->n - first < OIND_NEXT ? st->n - first
							       : OIND_NEXT);
		rc = dtx_page(t, ind[i], i < old ? 0 : DTX_NEW, (void **)&w);
		if (rc < 0)
			return rc;
		memset(wbody(w), 0, BD);
		memcpy(wbody(w), &h, sizeof(h));
		memcpy(wbody(w) + sizeof(h), st->ext + first,
		       h.count * sizeof(*st->ext));
		r.lbn = st->ext[first].lbn;
		r.bno = ind[i];
		r.count = h.count;
		memcpy(area + i * sizeof(r), &r, sizeof(r));
	}
	return 0;
}

/* Write st's size and extents into its inode. */
static int store_state(struct dtx *t, struct ostate *st)
{
	struct oinode_hdr h;
	uint8_t *w, *area;
	size_t i;
	int rc;

	rc = dtx_page(t, st->ino, 0, (void **)&w);
	if (rc < 0)
		return rc;
	area = wbody(w) + sizeof(h);
	memset(area, 0, OINO_AREA);
	if (st->n <= OINO_NEXT) {
		for (i = 0; i < st->nind && rc == 0; i++)
			rc = balloc_free(t, st->ind[i], 1);
		st->nind = 0;
		if (st->n)
			memcpy(area, st->ext, st->n * sizeof(*st->ext));
	} else {
		rc = store_indirect(t, st, area);
	}
	if (rc < 0)
		return rc;
	memcpy(&h, wbody(w), sizeof(h));
	h.size = st->size;
	h.nextents = (uint32_t)st->n;
	h.nind = (uint32_t)st->nind;
	memcpy(wbody(w), &h, sizeof(h));
	return 0;
}

static int otx_precommit(struct dtx *t, void *state)
{
	struct otx *x = state;
	struct ostate *st;
	int rc;

	for (st = x->list; st; st = st->next) {
		if (!st->dirty || st->deleted)
			continue;
		rc = store_state(t, st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void otx_finish(struct dtx *t, void *state, int committed, lsn_t l)
{
	struct otx *x = state;
	struct ostate *st;

	(void)t;
	(void)committed;
	(void)l;
	while ((st = x->list)) {
		x->list = st->next;
		state_free(st);
	}
	free(x);
}

/* ---- store_check ---- */

/* Mark and check an inode and everything it points at. */
static int check_inode(struct store *s, struct store_checker *c,
		       exo_bno ino, const char *name, size_t nl)
{
	struct ostate st = { .ino = ino };
	struct oinode_hdr h;
	struct pref r;
	size_t i;
	int rc;

	rc = store_check_mark(c, ino, 1);
	if (rc == 0)
		rc = pget(s, NULL, ino, &r);
	if (rc < 0)
		return rc;
	rc = obj_decode_inode(r.data, BLK, &h);
	if (rc == 0 && (h.namelen != nl || memcmp(h.name, name, nl) != 0 ||
			bucket_of(name, nl) != bucket_of(h.name, nl)))
		rc = EXO_ECORRUPT;
	if (rc == EXO_ECORRUPT)
		store_set_bad(s, ino);
	st.id = h.id;
	if (rc == 0)
		rc = load_exts(s, NULL, r.data, &h, &st);
	pput(s, NULL, &r);
	for (i = 0; rc == 0 && i < st.nind; i++)
		rc = store_check_mark(c, st.ind[i], 1);
	for (i = 0; rc == 0 && i < st.n; i++)
		rc = store_check_mark(c, st.ext[i].pbn, st.ext[i].len);
	free(st.ext);
	free(st.ind);
	return rc;
}

/* Mark and check a directory page of bucket b and its inodes. */
static int check_dirpage(struct store *s, struct store_checker *c,
			 exo_bno p, uint32_t b, exo_bno *next)
{
	struct odir_hdr h;
	struct pref r;
	const uint8_t *e;
	uint32_t off;
	exo_bno ino;
	int rc;

	rc = store_check_mark(c, p, 1);
	if (rc == 0)
		rc = pget(s, NULL, p, &r);
	if (rc < 0)
		return rc;
	rc = obj_check_dirpage(r.data, BLK);
	memcpy(&h, body(r.data), sizeof(h));
	if (rc == 0 && h.nent == 0)
		rc = EXO_ECORRUPT;
	e = body(r.data) + sizeof(h);
	for (off = 0; rc == 0 && off < h.used; off += DENT_HDR + e[off + 8])
		if (bucket_of((const char *)e + off + DENT_HDR, e[off + 8]) !=
		    b)
			rc = EXO_ECORRUPT;
	if (rc < 0)
		store_set_bad(s, p);
	for (off = 0; rc == 0 && off < h.used; off += DENT_HDR + e[off + 8]) {
		memcpy(&ino, e + off, 8);
		rc = check_inode(s, c, ino, (const char *)e + off + DENT_HDR,
				 e[off + 8]);
	}
	*next = h.next;
	pput(s, NULL, &r);
	return rc;
}

int obj_check(struct store *s, struct store_checker *c)
{
	exo_bno root = store_sb(s)->obj_root, heads[OBJ_NBUCKETS], p;
	struct pref r;
	uint32_t b;
	int rc;

	rc = store_check_mark(c, root, 1);
	if (rc == 0)
		rc = pget(s, NULL, root, &r);
	if (rc < 0)
		return rc;
	rc = obj_check_root(r.data, BLK);
	memcpy(heads, body(r.data) + sizeof(struct oroot_hdr), sizeof(heads));
	pput(s, NULL, &r);
	if (rc < 0) {
		store_set_bad(s, root);
		return rc;
	}
	for (b = 0; rc == 0 && b < OBJ_NBUCKETS; b++)
		for (p = heads[b]; rc == 0 && p != 0;)
			rc = check_dirpage(s, c, p, b, &p);
	return rc;
}
