/*
 * page.c: one slotted B+tree page, in memory, with no I/O.
 *
 * The format is drawn in engine.h.  Readers go through the accessors
 * (bt_leaf_cell, bt_branch_cell, bt_key, bt_child, bt_lower_bound), which
 * check every offset and length against the page, so a damaged page
 * gives EXODB_CORRUPT and never a read out of bounds.  Writers change a
 * page they hold writable (a dtx shadow) with bt_insert and bt_remove,
 * which keep changes small: a cell is added at `upper`, a removed cell
 * becomes dead bytes (`frag`), and the page is compacted only when the
 * gap between slots and cells is too small for a new cell.  bt_build
 * rewrites a page from a list of cells, for splits and merges.
 */
#include <assert.h>
#include <string.h>

#include "engine.h"

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static uint16_t slot(const uint8_t *pg, unsigned i)
{
	return get16(pg + BT_SLOTS + 2 * i);
}

static void set_slot(uint8_t *pg, unsigned i, uint16_t off)
{
	put16(pg + BT_SLOTS + 2 * i, off);
}

int bt_check_hdr(const uint8_t *pg)
{
	const struct bt_hdr *h = bt_chdr(pg);
	size_t slots_end = BT_SLOTS + 2 * (size_t)h->nkeys;

	if (h->magic != BT_MAGIC || h->flags || h->_pad)
		return EXODB_CORRUPT;
	if (h->type == BT_LEAF) {
		if (h->level != 0 || h->left)
			return EXODB_CORRUPT;
	} else if (h->type != BT_BRANCH || h->level == 0 ||
		   h->level >= BT_MAXDEPTH) {
		return EXODB_CORRUPT;
	}
	if (h->nkeys > BT_MAX_ITEMS || h->upper > EXO_BLOCK_SIZE ||
	    slots_end > h->upper ||
	    h->frag > EXO_BLOCK_SIZE - h->upper)
		return EXODB_CORRUPT;
	return 0;
}

int bt_is_leaf(const uint8_t *pg)
{
	return bt_chdr(pg)->type == BT_LEAF;
}

unsigned bt_nkeys(const uint8_t *pg)
{
	return bt_chdr(pg)->nkeys;
}

/* Offset of cell i if its first `need` bytes lie in the cell area. */
static int cell_at(const uint8_t *pg, unsigned i, size_t need, size_t *off)
{
	const struct bt_hdr *h = bt_chdr(pg);
	size_t o;

	if (i >= h->nkeys)
		return EXODB_CORRUPT;
	o = slot(pg, i);
	if (o < h->upper || o + need > EXO_BLOCK_SIZE)
		return EXODB_CORRUPT;
	*off = o;
	return 0;
}

int bt_leaf_cell(const uint8_t *pg, unsigned i, struct bt_lcell *c)
{
	size_t off, body;
	uint32_t v;
	int rc;

	rc = cell_at(pg, i, LCELL_HDR, &off);
	if (rc < 0)
		return rc;
	c->klen = get16(pg + off);
	v = get32(pg + off + 2);
	c->vlen = v & ~BT_OVERFLOW;
	body = (v & BT_OVERFLOW) ? 8 : c->vlen;
	c->size = LCELL_HDR + c->klen + body;
	if (off + c->size > EXO_BLOCK_SIZE)
		return EXODB_CORRUPT;
	c->key = pg + off + LCELL_HDR;
	if (v & BT_OVERFLOW) {
		c->val = NULL;
		c->ovf = get64(c->key + c->klen);
		if (bt_inline(c->klen, c->vlen))
			return EXODB_CORRUPT;
	} else {
		c->val = c->key + c->klen;
		c->ovf = EXO_BNO_NONE;
	}
	return 0;
}

int bt_branch_cell(const uint8_t *pg, unsigned i, struct bt_bcell *c)
{
	size_t off;
	int rc;

	rc = cell_at(pg, i, BCELL_HDR, &off);
	if (rc < 0)
		return rc;
	c->klen = get16(pg + off);
	c->child = get64(pg + off + 2);
	c->size = BCELL_HDR + c->klen;
	if (off + c->size > EXO_BLOCK_SIZE)
		return EXODB_CORRUPT;
	c->key = pg + off + BCELL_HDR;
	return 0;
}

int bt_key(const uint8_t *pg, unsigned i, const uint8_t **key, size_t *klen)
{
	struct bt_lcell lc;
	struct bt_bcell bc;
	int rc;

	if (bt_is_leaf(pg)) {
		rc = bt_leaf_cell(pg, i, &lc);
		*key = lc.key;
		*klen = lc.klen;
	} else {
		rc = bt_branch_cell(pg, i, &bc);
		*key = bc.key;
		*klen = bc.klen;
	}
	return rc;
}

int bt_item(const uint8_t *pg, unsigned i, struct bt_item *it)
{
	struct bt_lcell lc;
	struct bt_bcell bc;
	int rc;

	if (bt_is_leaf(pg)) {
		rc = bt_leaf_cell(pg, i, &lc);
		it->p = lc.key - LCELL_HDR;
		it->len = lc.size;
	} else {
		rc = bt_branch_cell(pg, i, &bc);
		it->p = bc.key - BCELL_HDR;
		it->len = bc.size;
	}
	return rc;
}

int bt_child(const uint8_t *pg, unsigned j, exo_bno *out)
{
	struct bt_bcell c;
	int rc;

	if (j == 0) {
		*out = bt_chdr(pg)->left;
		return 0;
	}
	rc = bt_branch_cell(pg, j - 1, &c);
	*out = c.child;
	return rc;
}

int bt_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int bt_lower_bound(const uint8_t *pg, const uint8_t *key, size_t klen,
		   unsigned *idx, int *exact)
{
	unsigned lo = 0, hi = bt_nkeys(pg), mid;
	const uint8_t *k;
	size_t kl;
	int rc, c;

	*exact = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		rc = bt_key(pg, mid, &k, &kl);
		if (rc < 0)
			return rc;
		c = bt_keycmp(k, kl, key, klen);
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
			if (c == 0)
				*exact = 1;
		}
	}
	*idx = lo;
	return 0;
}

int bt_child_index(const uint8_t *pg, const uint8_t *key, size_t klen,
		   unsigned *j)
{
	unsigned i;
	int exact, rc;

	rc = bt_lower_bound(pg, key, klen, &i, &exact);
	*j = exact ? i + 1 : i;
	return rc;
}

/* ---- changes ---- */

void bt_init(uint8_t *pg, int type, unsigned level, exo_bno left)
{
	struct bt_hdr *h = bt_hdr(pg);

	memset(pg + CACHE_HDR, 0, EXO_BLOCK_SIZE - CACHE_HDR);
	h->magic = BT_MAGIC;
	h->type = (uint8_t)type;
	h->level = (uint16_t)level;
	h->upper = EXO_BLOCK_SIZE;
	h->left = left;
}

size_t bt_free_bytes(const uint8_t *pg)
{
	const struct bt_hdr *h = bt_chdr(pg);

	return h->upper - (BT_SLOTS + 2 * (size_t)h->nkeys) + h->frag;
}

size_t bt_used_bytes(const uint8_t *pg)
{
	return BT_SPACE - bt_free_bytes(pg);
}

/* Move every live cell to the end of the page, dropping dead bytes. */
static void compact(uint8_t *pg)
{
	uint8_t tmp[EXO_BLOCK_SIZE];
	struct bt_hdr *h = bt_hdr(pg);
	struct bt_item it;
	size_t upper = EXO_BLOCK_SIZE;
	unsigned i;

	memcpy(tmp, pg, EXO_BLOCK_SIZE);
	for (i = 0; i < h->nkeys; i++) {
		if (bt_item(tmp, i, &it) < 0)
			assert(!"compact: bad cell");
		upper -= it.len;
		memcpy(pg + upper, it.p, it.len);
		set_slot(pg, i, (uint16_t)upper);
	}
	h->upper = (uint16_t)upper;
	h->frag = 0;
}

void bt_insert(uint8_t *pg, unsigned idx, const void *cell, size_t len)
{
	struct bt_hdr *h = bt_hdr(pg);
	size_t slots_end = BT_SLOTS + 2 * (size_t)h->nkeys;

	assert(idx <= h->nkeys && len + 2 <= bt_free_bytes(pg));
	if (h->upper - slots_end < len + 2)
		compact(pg);
	h->upper = (uint16_t)(h->upper - len);
	memcpy(pg + h->upper, cell, len);
	memmove(pg + BT_SLOTS + 2 * (idx + 1), pg + BT_SLOTS + 2 * idx,
		2 * (size_t)(h->nkeys - idx));
	set_slot(pg, idx, h->upper);
	h->nkeys++;
}

void bt_remove(uint8_t *pg, unsigned idx)
{
	struct bt_hdr *h = bt_hdr(pg);
	struct bt_item it;

	assert(idx < h->nkeys);
	if (bt_item(pg, idx, &it) < 0)
		assert(!"bt_remove: bad cell");
	if (it.p == pg + h->upper)
		h->upper = (uint16_t)(h->upper + it.len);
	else
		h->frag = (uint16_t)(h->frag + it.len);
	memmove(pg + BT_SLOTS + 2 * idx, pg + BT_SLOTS + 2 * (idx + 1),
		2 * (size_t)(h->nkeys - idx - 1));
	h->nkeys--;
	set_slot(pg, h->nkeys, 0);
	if (h->nkeys == 0) {
		h->upper = EXO_BLOCK_SIZE;
		h->frag = 0;
	}
}

void bt_build(uint8_t *pg, int type, unsigned level, exo_bno left,
	      const struct bt_item *it, size_t n)
{
	struct bt_hdr *h;
	size_t i, upper = EXO_BLOCK_SIZE;

	bt_init(pg, type, level, left);
	h = bt_hdr(pg);
	for (i = 0; i < n; i++) {
		upper -= it[i].len;
		assert(upper >= BT_SLOTS + 2 * (i + 1));
		memcpy(pg + upper, it[i].p, it[i].len);
		set_slot(pg, (unsigned)i, (uint16_t)upper);
	}
	h->nkeys = (uint16_t)n;
	h->upper = (uint16_t)upper;
}

size_t bt_make_leaf(uint8_t *cell, const void *key, size_t klen,
		    const void *val, uint32_t vlen, exo_bno ovf)
{
	uint16_t kl = (uint16_t)klen;
	uint32_t v = vlen;
	size_t n = LCELL_HDR + klen;

	if (ovf != EXO_BNO_NONE)
		v |= BT_OVERFLOW;
	memcpy(cell, &kl, 2);
	memcpy(cell + 2, &v, 4);
	memcpy(cell + LCELL_HDR, key, klen);
	if (ovf != EXO_BNO_NONE) {
		memcpy(cell + n, &ovf, 8);
		return n + 8;
	}
	if (vlen)
		memcpy(cell + n, val, vlen);
	return n + vlen;
}

size_t bt_make_branch(uint8_t *cell, const void *key, size_t klen,
		      exo_bno child)
{
	uint16_t kl = (uint16_t)klen;

	memcpy(cell, &kl, 2);
	memcpy(cell + 2, &child, 8);
	memcpy(cell + BCELL_HDR, key, klen);
	return BCELL_HDR + klen;
}

void bt_item_branch(const struct bt_item *it, const uint8_t **key,
		    size_t *klen, exo_bno *child)
{
	*klen = get16(it->p);
	*child = get64(it->p + 2);
	*key = it->p + BCELL_HDR;
}

void bt_item_key(const struct bt_item *it, int leaf, const uint8_t **key,
		 size_t *klen)
{
	*klen = get16(it->p);
	*key = it->p + (leaf ? LCELL_HDR : BCELL_HDR);
}

int bt_inline(size_t klen, size_t vlen)
{
	return LCELL_HDR + klen + vlen <= BT_CELL_MAX;
}
