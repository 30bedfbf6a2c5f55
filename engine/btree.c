/*
 * btree.c: B+tree search, insert, delete and walks over engine pages.
 *
 * A tree is named by its root block, which never moves (engine.h).
 * Every operation descends from the root (bt_descend), remembering the
 * path: the block and the child index taken at each level.  Writers then
 * change pages bottom-up through pg_write:
 *
 *   insert   the cell goes into the leaf; if it does not fit, the page is
 *            split (split): its cells plus the new one are rebuilt into
 *            the page and a new right sibling, and a separator goes into
 *            the parent (insert_branch), which may split in turn.  A root
 *            split moves the root's cells into two new children.  An
 *            insert at the right edge of the tree (EXODB_APPEND, or just
 *            an ascending key) splits at the right edge: the left page is
 *            left full, the new page starts with the new cell.
 *   delete   the cell leaves its leaf; a non-root page left under a
 *            quarter full is merged with a sibling when both fit in one
 *            page, else cells are shared evenly between the two and the
 *            parent's separator replaced (rebalance).  A root branch left
 *            with one child takes the child's cells (the tree gets
 *            shallower).  Freed pages go back to balloc.
 *
 * Any failure after the first page changed fails the transaction
 * (txn_fail): its shadows may be half way through a split.
 *
 * Readers use bt_descend and bt_next_leaf/bt_prev_leaf inside one read
 * section (pg.c), so the path stays valid while they use it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* ---- descent ---- */

/* Check a page read at a position that expects level (-1: the root). */
static int check_level(const uint8_t *pg, int level)
{
	int rc = bt_check_hdr(pg);

	if (rc == 0 && level >= 0 && bt_chdr(pg)->level != level)
		rc = EXODB_CORRUPT;
	return rc;
}

/* Read page bno, expected at level; on error nothing is held. */
static int get_checked(struct exodb_txn *t, exo_bno bno, int level,
		       struct pgref *r)
{
	int rc = pg_get(t, bno, r);

	if (rc < 0)
		return rc;
	rc = check_level(r->p, level);
	if (rc < 0)
		pg_put(t, r);
	return rc;
}

int bt_descend(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	       size_t klen, enum bt_edge edge, struct bt_path *path,
	       struct pgref *leaf, int *exact)
{
	exo_bno bno = root;
	struct pgref r;
	int level = -1, d, rc;
	unsigned j, n;

	*exact = 0;
	for (d = 0; d < BT_MAXDEPTH; d++) {
		rc = get_checked(t, bno, level, &r);
		if (rc < 0)
			return rc;
		n = bt_nkeys(r.p);
		path->bno[d] = bno;
		path->nkeys[d] = n;
		if (edge == BT_LEFTMOST)
			j = 0;
		else if (edge == BT_RIGHTMOST)
			j = n;
		else if (bt_is_leaf(r.p))
			rc = bt_lower_bound(r.p, key, klen, &j, exact);
		else
			rc = bt_child_index(r.p, key, klen, &j);
		path->idx[d] = j;
		if (rc == 0 && bt_is_leaf(r.p)) {
			path->depth = d + 1;
			*leaf = r;
			return 0;
		}
		if (rc == 0)
			rc = bt_child(r.p, j, &bno);
		level = bt_chdr(r.p)->level - 1;
		pg_put(t, &r);
		if (rc < 0)
			return rc;
	}
	return EXODB_CORRUPT;
}

/* From level d of path (a branch, whose child idx[d] is set), descend to
 * a leaf along the left (or right) edge. */
static int descend_edge(struct exodb_txn *t, struct bt_path *path, int d,
			int right, struct pgref *leaf)
{
	struct pgref r;
	exo_bno bno;
	int rc, level;

	rc = get_checked(t, path->bno[d], -1, &r);
	if (rc < 0)
		return rc;
	level = bt_chdr(r.p)->level;
	rc = bt_child(r.p, path->idx[d], &bno);
	pg_put(t, &r);
	while (rc == 0) {
		d++;
		level--;
		if (d >= path->depth || level < 0)
			return EXODB_CORRUPT;
		rc = get_checked(t, bno, level, &r);
		if (rc < 0)
			return rc;
		path->bno[d] = bno;
		path->nkeys[d] = bt_nkeys(r.p);
		path->idx[d] = right ? path->nkeys[d] : 0;
		if (bt_is_leaf(r.p)) {
			if (d != path->depth - 1) {
				pg_put(t, &r);
				return EXODB_CORRUPT;
			}
			*leaf = r;
			return 1;
		}
		rc = bt_child(r.p, path->idx[d], &bno);
		pg_put(t, &r);
	}
	return rc;
}

int bt_next_leaf(struct exodb_txn *t, struct bt_path *path,
		 struct pgref *leaf)
{
	int d;

	pg_put(t, leaf);
	for (d = path->depth - 2; d >= 0; d--) {
		if (path->idx[d] < path->nkeys[d]) {
			path->idx[d]++;
			return descend_edge(t, path, d, 0, leaf);
		}
	}
	return 0;
}

int bt_prev_leaf(struct exodb_txn *t, struct bt_path *path,
		 struct pgref *leaf)
{
	int d;

	pg_put(t, leaf);
	for (d = path->depth - 2; d >= 0; d--) {
		if (path->idx[d] > 0) {
			path->idx[d]--;
			return descend_edge(t, path, d, 1, leaf);
		}
	}
	return 0;
}

/* ---- reading values ---- */

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *nb;
	size_t n = *cap ? *cap : 256;

	if (need <= *cap && *buf)
		return 0;
	while (n < need)
		n *= 2;
	nb = realloc(*buf, n);
	if (!nb)
		return EXO_ENOMEM;
	*buf = nb;
	*cap = n;
	return 0;
}

int bt_copy_val(struct exodb_txn *t, const struct bt_lcell *c, uint8_t **buf,
		size_t *cap)
{
	int rc = grow(buf, cap, c->vlen ? c->vlen : 1);

	if (rc < 0)
		return rc;
	if (c->val) {
		memcpy(*buf, c->val, c->vlen);
		return 0;
	}
	return ov_read(t, c->ovf, c->vlen, *buf);
}

int bt_get(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	   size_t klen, uint8_t **buf, size_t *cap, size_t *vlen)
{
	struct bt_path path;
	struct bt_lcell c;
	struct pgref leaf;
	int exact, rc;

	rc = bt_descend(t, root, key, klen, BT_KEY, &path, &leaf, &exact);
	if (rc < 0)
		return rc;
	if (!exact) {
		pg_put(t, &leaf);
		return EXODB_NOTFOUND;
	}
	rc = bt_leaf_cell(leaf.p, path.idx[path.depth - 1], &c);
	if (rc == 0)
		rc = bt_copy_val(t, &c, buf, cap);
	if (rc == 0)
		*vlen = c.vlen;
	pg_put(t, &leaf);
	return rc;
}

/* ---- splits ---- */

/* Is the path the right edge of the tree (each index the last)? */
static int right_edge(const struct bt_path *path)
{
	int d;

	for (d = 0; d < path->depth; d++)
		if (path->idx[d] != path->nkeys[d])
			return 0;
	return 1;
}

/* The shortest prefix of b (the right page's first key) above a. */
static size_t sep_len(const uint8_t *a, size_t alen, const uint8_t *b,
		      size_t blen)
{
	size_t i = 0, n = alen < blen ? alen : blen;

	while (i < n && a[i] == b[i])
		i++;
	return i + 1 <= blen ? i + 1 : blen;
}

static size_t items_bytes(const struct bt_item *it, size_t from, size_t to)
{
	size_t s = 0;

	for (; from < to; from++)
		s += it[from].len + 2;
	return s;
}

/* Where to cut n items into two pages: leaves keep [0,k) left and
 * [k,n) right; branches push item k up and keep (k,n) right.  The most
 * even cut where both fit, or with edge the fullest left page.  -1 if
 * none fits (a corrupt page). */
static int choose_cut(const struct bt_item *it, size_t n, int leaf, int edge)
{
	size_t total = items_bytes(it, 0, n), left = 0, right, diff;
	size_t best_diff = SIZE_MAX, k;
	int best = -1;

	for (k = 1; k + (leaf ? 0 : 1) < n; k++) {
		left += it[k - 1].len + 2;
		right = total - left - (leaf ? 0 : it[k].len + 2);
		if (left > BT_SPACE || right > BT_SPACE)
			continue;
		diff = left > right ? left - right : right - left;
		if (edge || diff < best_diff) {
			best = (int)k;
			best_diff = diff;
		}
	}
	return best;
}

/* The separator between items k-1 and k (leaves: shortened; branches:
 * item k's key, and *child its child) into sep. */
static size_t make_sep(const struct bt_item *it, size_t k, int leaf,
		       uint8_t *sep, exo_bno *child)
{
	const uint8_t *a, *b;
	size_t alen, blen, n;

	if (!leaf) {
		bt_item_branch(&it[k], &b, &blen, child);
		memcpy(sep, b, blen);
		return blen;
	}
	bt_item_key(&it[k - 1], 1, &a, &alen);
	bt_item_key(&it[k], 1, &b, &blen);
	n = sep_len(a, alen, b, blen);
	memcpy(sep, b, n);
	*child = EXO_BNO_NONE;
	return n;
}

/* Cells of a page, with one more (cell) at idx when cell is not NULL. */
static int gather(const uint8_t *pg, unsigned idx, const uint8_t *cell,
		  size_t clen, struct bt_item *it, size_t *n)
{
	unsigned i, nk = bt_nkeys(pg);
	size_t k = 0;
	int rc;

	for (i = 0; i <= nk; i++) {
		if (cell && i == idx) {
			it[k].p = cell;
			it[k++].len = clen;
		}
		if (i == nk)
			break;
		rc = bt_item(pg, i, &it[k++]);
		if (rc < 0)
			return rc;
	}
	*n = k;
	return 0;
}

static int insert_branch(struct exodb_txn *t, struct bt_path *path, int d,
			 unsigned cidx, const uint8_t *sep, size_t seplen,
			 exo_bno child, int edge);

/* Split the page at level d of path, inserting cell at idx. */
static int split(struct exodb_txn *t, struct bt_path *path, int d,
		 unsigned idx, const uint8_t *cell, size_t clen, int edge)
{
	struct bt_item it[BT_MAX_ITEMS + 1];
	uint8_t old[EXO_BLOCK_SIZE], sep[EXODB_MAXKEYSIZE], scell[BT_CELL_MAX];
	const struct bt_hdr *h = bt_chdr(old);
	exo_bno a, b, child;
	uint8_t *p, *pa, *pb;
	size_t n, seplen;
	int leaf, rc, k;

	rc = pg_write(t, path->bno[d], &p);
	if (rc < 0)
		return rc;
	memcpy(old, p, EXO_BLOCK_SIZE);
	leaf = bt_is_leaf(old);
	rc = gather(old, idx, cell, clen, it, &n);
	if (rc < 0)
		return rc;
	k = choose_cut(it, n, leaf, edge);
	if (k < 0)
		return EXODB_CORRUPT;
	seplen = make_sep(it, (size_t)k, leaf, sep, &child);
	rc = pg_alloc(t, path->bno[d], d == 0 ? 2 : 1, &b);
	if (rc < 0)
		return rc;
	if (d == 0) { /* the root: both halves move down */
		a = b++;
		rc = pg_new(t, a, &pa);
		if (rc == 0)
			rc = pg_new(t, b, &pb);
		if (rc < 0)
			return rc;
		bt_build(pa, h->type, h->level, h->left, it, (size_t)k);
		bt_build(pb, h->type, h->level, leaf ? 0 : child,
			 it + k + !leaf, n - (size_t)k - !leaf);
		bt_build(p, BT_BRANCH, h->level + 1u, a, it, 0);
		bt_insert(p, 0, scell, bt_make_branch(scell, sep, seplen, b));
		return 0;
	}
	rc = pg_new(t, b, &pb);
	if (rc < 0)
		return rc;
	bt_build(p, h->type, h->level, h->left, it, (size_t)k);
	bt_build(pb, h->type, h->level, leaf ? 0 : child, it + k + !leaf,
		 n - (size_t)k - !leaf);
	return insert_branch(t, path, d - 1, path->idx[d - 1], sep, seplen, b,
			     edge);
}

/* Insert separator sep -> child as cell cidx of the branch at level d. */
static int insert_branch(struct exodb_txn *t, struct bt_path *path, int d,
			 unsigned cidx, const uint8_t *sep, size_t seplen,
			 exo_bno child, int edge)
{
	uint8_t cell[BT_CELL_MAX];
	size_t clen = bt_make_branch(cell, sep, seplen, child);
	uint8_t *p;
	int rc;

	rc = pg_write(t, path->bno[d], &p);
	if (rc < 0)
		return rc;
	if (bt_free_bytes(p) >= clen + 2) {
		bt_insert(p, cidx, cell, clen);
		return 0;
	}
	return split(t, path, d, cidx, cell, clen, edge);
}

/* ---- put ---- */

/* Build the leaf cell for key -> val (writing an overflow chain). */
static int make_cell(struct exodb_txn *t, exo_bno hint, const uint8_t *key,
		     size_t klen, const uint8_t *val, size_t vlen,
		     uint8_t *cell, size_t *clen)
{
	exo_bno first = EXO_BNO_NONE;
	int rc;

	if (!bt_inline(klen, vlen)) {
		rc = ov_write(t, hint, val, (uint32_t)vlen, &first);
		if (rc < 0)
			return rc;
	}
	*clen = bt_make_leaf(cell, key, klen, val, (uint32_t)vlen, first);
	return 0;
}

/* Replace the value of an existing entry where it can stay in place: an
 * inline value of the same size, or an overflow chain of the same page
 * count.  1 if done, 0 if not possible. */
static int update_in_place(struct exodb_txn *t, exo_bno lb, unsigned idx,
			   const struct bt_lcell *old, const uint8_t *val,
			   size_t vlen)
{
	struct bt_lcell c;
	uint32_t v;
	uint8_t *p;
	int rc;

	if (old->val ? (vlen != old->vlen || !bt_inline(old->klen, vlen))
		     : (bt_inline(old->klen, vlen) ||
			ov_pages(vlen) != ov_pages(old->vlen)))
		return 0;
	rc = pg_write(t, lb, &p);
	if (rc == 0)
		rc = bt_leaf_cell(p, idx, &c);
	if (rc < 0)
		return rc;
	if (c.val) {
		memcpy((uint8_t *)c.val, val, vlen);
		return 1;
	}
	rc = ov_rewrite(t, c.ovf, val, (uint32_t)vlen);
	if (rc < 0)
		return rc;
	v = (uint32_t)vlen | BT_OVERFLOW;
	memcpy((uint8_t *)c.key - 4, &v, 4);
	return 1;
}

/* Put into the leaf of path, position idx (exact: replacing). */
static int put_at(struct exodb_txn *t, struct bt_path *path, int exact,
		  const uint8_t *key, size_t klen, const uint8_t *val,
		  size_t vlen)
{
	int d = path->depth - 1, rc;
	exo_bno lb = path->bno[d];
	unsigned idx = path->idx[d];
	uint8_t cell[BT_CELL_MAX], *p;
	struct bt_lcell old;
	size_t clen;

	if (exact) {
		struct pgref r;

		rc = pg_get(t, lb, &r);
		if (rc < 0)
			return rc;
		rc = bt_leaf_cell(r.p, idx, &old);
		pg_put(t, &r);
		if (rc < 0)
			return rc;
		rc = update_in_place(t, lb, idx, &old, val, vlen);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		if (!old.val) {
			rc = ov_free(t, old.ovf, old.vlen);
			if (rc < 0)
				return rc;
		}
	}
	rc = make_cell(t, lb, key, klen, val, vlen, cell, &clen);
	if (rc == 0)
		rc = pg_write(t, lb, &p);
	if (rc < 0)
		return rc;
	if (exact)
		bt_remove(p, idx);
	if (bt_free_bytes(p) >= clen + 2) {
		bt_insert(p, idx, cell, clen);
		return 0;
	}
	return split(t, path, d, idx, cell, clen, !exact && right_edge(path));
}

int bt_put(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	   size_t klen, const uint8_t *val, size_t vlen, unsigned flags)
{
	struct bt_path path;
	struct pgref leaf;
	int exact, rc;

	rc = bt_descend(t, root, key, klen, BT_KEY, &path, &leaf, &exact);
	if (rc < 0)
		return rc;
	pg_put(t, &leaf);
	if (exact && (flags & (EXODB_NOOVERWRITE | EXODB_APPEND)))
		return EXODB_KEYEXIST;
	if ((flags & EXODB_APPEND) && !right_edge(&path))
		return EXODB_KEYEXIST;
	return txn_fail(t, put_at(t, &path, exact, key, klen, val, vlen));
}

/* ---- delete ---- */

static int fix_underflow(struct exodb_txn *t, struct bt_path *path, int d);

/* The root branch has one child left: take the child's cells. */
static int collapse_root(struct exodb_txn *t, uint8_t *p)
{
	exo_bno child = bt_chdr(p)->left;
	struct pgref r;
	int rc;

	rc = get_checked(t, child, bt_chdr(p)->level - 1, &r);
	if (rc < 0)
		return rc;
	memcpy(p + CACHE_HDR, r.p + CACHE_HDR, EXO_BLOCK_SIZE - CACHE_HDR);
	pg_put(t, &r);
	return pg_free(t, child, 1);
}

/* Merge the page at level d with a sibling, or share cells with it. */
static int rebalance(struct exodb_txn *t, struct bt_path *path, int d)
{
	struct bt_item it[2 * BT_MAX_ITEMS + 1];
	uint8_t ol[EXO_BLOCK_SIZE], orr[EXO_BLOCK_SIZE];
	uint8_t sep[EXODB_MAXKEYSIZE], mid[BT_CELL_MAX];
	unsigned j = path->idx[d - 1], li;
	uint8_t *pp, *lp, *rp;
	exo_bno lb, rb, child;
	struct bt_bcell sc;
	size_t n, m, seplen;
	int rc, leaf, k, level;

	rc = pg_write(t, path->bno[d - 1], &pp);
	if (rc < 0)
		return rc;
	if (bt_nkeys(pp) == 0)
		return EXODB_CORRUPT;
	li = j < bt_nkeys(pp) ? j : j - 1;
	rc = bt_child(pp, li, &lb);
	if (rc == 0)
		rc = bt_child(pp, li + 1, &rb);
	if (rc == 0)
		rc = bt_branch_cell(pp, li, &sc);
	if (rc == 0)
		rc = pg_write(t, lb, &lp);
	if (rc == 0)
		rc = pg_write(t, rb, &rp);
	if (rc < 0)
		return rc;
	level = bt_chdr(pp)->level - 1;
	if (check_level(lp, level) < 0 || check_level(rp, level) < 0)
		return EXODB_CORRUPT;
	memcpy(ol, lp, EXO_BLOCK_SIZE);
	memcpy(orr, rp, EXO_BLOCK_SIZE);
	leaf = bt_is_leaf(ol);
	rc = gather(ol, 0, NULL, 0, it, &n);
	if (rc < 0)
		return rc;
	if (!leaf) { /* the parent's separator comes down between them */
		it[n].p = mid;
		it[n++].len = bt_make_branch(mid, sc.key, sc.klen,
					     bt_chdr(orr)->left);
	}
	rc = gather(orr, 0, NULL, 0, it + n, &m);
	if (rc < 0)
		return rc;
	n += m;
	if (items_bytes(it, 0, n) <= BT_SPACE) { /* merge into the left */
		bt_build(lp, bt_chdr(ol)->type, (unsigned)level,
			 bt_chdr(ol)->left, it, n);
		bt_remove(pp, li);
		rc = pg_free(t, rb, 1);
		return rc < 0 ? rc : fix_underflow(t, path, d - 1);
	}
	k = choose_cut(it, n, leaf, 0);
	if (k < 0)
		return EXODB_CORRUPT;
	seplen = make_sep(it, (size_t)k, leaf, sep, &child);
	bt_build(lp, bt_chdr(ol)->type, (unsigned)level, bt_chdr(ol)->left, it,
		 (size_t)k);
	bt_build(rp, bt_chdr(ol)->type, (unsigned)level, leaf ? 0 : child,
		 it + k + !leaf, n - (size_t)k - !leaf);
	bt_remove(pp, li);
	return insert_branch(t, path, d - 1, li, sep, seplen, rb, 0);
}

/* The page at level d of path lost cells: keep the tree in shape. */
static int fix_underflow(struct exodb_txn *t, struct bt_path *path, int d)
{
	uint8_t *p;
	int rc;

	rc = pg_write(t, path->bno[d], &p);
	if (rc < 0)
		return rc;
	if (d == 0) {
		if (!bt_is_leaf(p) && bt_nkeys(p) == 0)
			return collapse_root(t, p);
		return 0;
	}
	if (bt_nkeys(p) > 0 && bt_used_bytes(p) >= BT_UNDERFULL)
		return 0;
	return rebalance(t, path, d);
}

static int del_at(struct exodb_txn *t, struct bt_path *path)
{
	int d = path->depth - 1, rc;
	unsigned idx = path->idx[d];
	struct bt_lcell c;
	uint8_t *p;

	rc = pg_write(t, path->bno[d], &p);
	if (rc == 0)
		rc = bt_leaf_cell(p, idx, &c);
	if (rc == 0 && !c.val)
		rc = ov_free(t, c.ovf, c.vlen);
	if (rc < 0)
		return rc;
	bt_remove(p, idx);
	return fix_underflow(t, path, d);
}

int bt_del(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	   size_t klen)
{
	struct bt_path path;
	struct pgref leaf;
	int exact, rc;

	rc = bt_descend(t, root, key, klen, BT_KEY, &path, &leaf, &exact);
	if (rc < 0)
		return rc;
	pg_put(t, &leaf);
	if (!exact)
		return EXODB_NOTFOUND;
	return txn_fail(t, del_at(t, &path));
}

/* ---- create and drop ---- */

int bt_create(struct exodb_txn *t, exo_bno hint, exo_bno *root)
{
	uint8_t *p;
	int rc;

	rc = pg_alloc(t, hint, 1, root);
	if (rc == 0)
		rc = pg_new(t, *root, &p);
	if (rc < 0)
		return txn_fail(t, rc);
	bt_init(p, BT_LEAF, 0, 0);
	return 0;
}

/* Free the pages below bno (and bno itself if free_self). */
static int drop_page(struct exodb_txn *t, exo_bno bno, int level,
		     int free_self)
{
	struct bt_lcell c;
	struct pgref r;
	exo_bno child;
	unsigned i, n;
	int rc;

	rc = get_checked(t, bno, level, &r);
	if (rc < 0)
		return rc;
	n = bt_nkeys(r.p);
	level = bt_chdr(r.p)->level;
	for (i = 0; rc == 0 && i <= n; i++) {
		if (bt_is_leaf(r.p)) {
			if (i < n)
				rc = bt_leaf_cell(r.p, i, &c);
			if (rc == 0 && i < n && !c.val)
				rc = ov_free(t, c.ovf, c.vlen);
			continue;
		}
		rc = bt_child(r.p, i, &child);
		if (rc == 0)
			rc = drop_page(t, child, level - 1, 1);
	}
	pg_put(t, &r);
	if (rc == 0 && free_self)
		rc = pg_free(t, bno, 1);
	return rc;
}

int bt_drop(struct exodb_txn *t, exo_bno root, int free_root)
{
	uint8_t *p;
	int rc;

	rc = drop_page(t, root, -1, free_root);
	if (rc == 0 && !free_root) {
		rc = pg_write(t, root, &p);
		if (rc == 0)
			bt_init(p, BT_LEAF, 0, 0);
	}
	return txn_fail(t, rc);
}

/* ---- walks (exodb_stat, exodb_check) ---- */

struct bound {
	const uint8_t *key; /* NULL: none */
	size_t len;
};

static int walk_fail(struct bt_walk *w, exo_bno bno, const char *what)
{
	if (!w->problem[0]) {
		w->bad = bno;
		snprintf(w->problem, sizeof(w->problem), "block %llu: %s",
			 (unsigned long long)bno, what);
	}
	return EXODB_CORRUPT;
}

static int cmp_off(const void *a, const void *b)
{
	const struct bt_item *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

/* Cells inside the page, not overlapping, adding up with frag. */
static int check_cells(const uint8_t *pg)
{
	struct bt_item it[BT_MAX_ITEMS];
	const struct bt_hdr *h = bt_chdr(pg);
	size_t n, i, sum = 0;

	if (gather(pg, 0, NULL, 0, it, &n) < 0)
		return -1;
	qsort(it, n, sizeof(it[0]), cmp_off);
	for (i = 0; i < n; i++) {
		sum += it[i].len;
		if (i + 1 < n && it[i].p + it[i].len > it[i + 1].p)
			return -1;
	}
	return sum + h->frag == EXO_BLOCK_SIZE - h->upper ? 0 : -1;
}

/* Keys in order, inside [lo, hi). */
static int check_keys(const uint8_t *pg, const struct bound *lo,
		      const struct bound *hi)
{
	const uint8_t *k, *pk = NULL;
	size_t kl, pkl = 0;
	unsigned i;

	for (i = 0; i < bt_nkeys(pg); i++) {
		if (bt_key(pg, i, &k, &kl) < 0)
			return -1;
		if (pk && bt_keycmp(pk, pkl, k, kl) >= 0)
			return -1;
		if (lo->key && bt_keycmp(lo->key, lo->len, k, kl) > 0)
			return -1;
		if (hi->key && bt_keycmp(k, kl, hi->key, hi->len) >= 0)
			return -1;
		pk = k;
		pkl = kl;
	}
	return 0;
}

static int walk_page(struct exodb_txn *t, struct bt_walk *w, exo_bno bno,
		     int level, struct bound lo, struct bound hi);

static int walk_leaf(struct exodb_txn *t, struct bt_walk *w, exo_bno bno,
		     const uint8_t *pg)
{
	struct bt_lcell c;
	unsigned i;
	int rc;

	w->leaf++;
	w->entries += bt_nkeys(pg);
	for (i = 0; i < bt_nkeys(pg); i++) {
		if (bt_leaf_cell(pg, i, &c) < 0)
			return walk_fail(w, bno, "bad leaf cell");
		if (c.val)
			continue;
		rc = ov_visit(t, c.ovf, c.vlen, w);
		if (rc < 0) {
			if (!w->problem[0])
				snprintf(w->problem, sizeof(w->problem),
					 "block %llu: bad overflow chain of "
					 "an entry of leaf %llu",
					 (unsigned long long)w->bad,
					 (unsigned long long)bno);
			return rc;
		}
	}
	return 0;
}

static int walk_branch(struct exodb_txn *t, struct bt_walk *w, exo_bno bno,
		       const uint8_t *pg, struct bound lo, struct bound hi)
{
	struct bound clo, chi;
	exo_bno child;
	unsigned j, n = bt_nkeys(pg);
	int rc;

	w->branch++;
	for (j = 0; j <= n; j++) {
		clo = lo;
		chi = hi;
		if (j > 0 && bt_key(pg, j - 1, &clo.key, &clo.len) < 0)
			return walk_fail(w, bno, "bad branch cell");
		if (j < n && bt_key(pg, j, &chi.key, &chi.len) < 0)
			return walk_fail(w, bno, "bad branch cell");
		if (bt_child(pg, j, &child) < 0)
			return walk_fail(w, bno, "bad branch cell");
		rc = walk_page(t, w, child, bt_chdr(pg)->level - 1, clo, chi);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int walk_page(struct exodb_txn *t, struct bt_walk *w, exo_bno bno,
		     int level, struct bound lo, struct bound hi)
{
	struct pgref r;
	int rc, root = level < 0;

	rc = pg_get(t, bno, &r);
	if (rc < 0) {
		if (!w->problem[0]) {
			w->bad = bno;
			snprintf(w->problem, sizeof(w->problem),
				 "block %llu: cannot read it: %s",
				 (unsigned long long)bno, exodb_strerror(rc));
		}
		return rc;
	}
	if (check_level(r.p, level) < 0) {
		rc = walk_fail(w, bno, level < 0 ? "not a tree page"
					     : "not a tree page of the "
					       "expected level");
	} else if (!root && bt_nkeys(r.p) == 0) {
		rc = walk_fail(w, bno, "empty page");
	} else if (w->check && check_cells(r.p) < 0) {
		rc = walk_fail(w, bno, "cells overlap or leave the page");
	} else if (w->check && check_keys(r.p, &lo, &hi) < 0) {
		rc = walk_fail(w, bno, "keys out of order or out of range");
	}
	if (rc == 0 && root)
		w->depth = bt_chdr(r.p)->level + 1u;
	if (rc == 0 && w->page)
		rc = w->page(w, bno, r.p);
	if (rc == 0) {
		w->bytes += bt_used_bytes(r.p);
		if (!root && bt_used_bytes(r.p) < BT_UNDERFULL)
			w->underfull++;
		if (bt_is_leaf(r.p))
			rc = walk_leaf(t, w, bno, r.p);
		else
			rc = walk_branch(t, w, bno, r.p, lo, hi);
	}
	pg_put(t, &r);
	return rc;
}

int bt_walk(struct exodb_txn *t, exo_bno root, struct bt_walk *w)
{
	struct bound none = { NULL, 0 };

	return walk_page(t, w, root, -1, none, none);
}
