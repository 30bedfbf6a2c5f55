/*
 * cursor.c: cursors, positions in a tree that move forwards and backwards.
 *
 * A cursor remembers the key it stands on (a copy) and, as a hint, the
 * leaf and slot where it found it with that leaf's stamp (pg_stamp: the
 * frame's LSN for readers, the transaction's change count for a writer)
 * and, for readers, the store's free epoch.  Each call runs in its own
 * read section:
 *
 *   NEXT/PREV  if the hint still holds (same stamp, same epoch: the page
 *              has not changed and no page was freed since) and the next
 *              slot is in the same leaf, take it: one page read.
 *              Otherwise descend again from the root to the first key
 *              above (below) the remembered key: the cursor is never
 *              lost, even if the tree changed completely between calls.
 *   FIRST/LAST/SET/SET_RANGE  descend.
 *
 * The key and value are copied into the cursor's buffers before the read
 * section ends, since a reader may not keep pages pinned past it.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct exodb_cursor {
	struct exodb_txn *t;
	struct exodb_tree *tree;
	struct exodb_cursor *next, *prev; /* t's cursors */
	int positioned;
	uint8_t *key, *val;
	size_t klen, kcap, vlen, vcap;
	/* the hint */
	int hint;
	exo_bno leaf;
	unsigned idx;
	uint64_t stamp, epoch;
};

enum seek { SEEK_FIRST, SEEK_LAST, SEEK_EQ, SEEK_GE, SEEK_GT, SEEK_LT };

int exodb_cursor_open(struct exodb_txn *t, struct exodb_tree *tree,
		      struct exodb_cursor **out)
{
	struct exodb_cursor *c;
	int rc;

	if (!t || !out)
		return EXO_EINVAL;
	rc = tree_usable(t, tree);
	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return EXO_ENOMEM;
	c->t = t;
	c->tree = tree;
	c->next = t->cursors;
	if (c->next)
		c->next->prev = c;
	t->cursors = c;
	*out = c;
	return 0;
}

static void cursor_free(struct exodb_cursor *c)
{
	free(c->key);
	free(c->val);
	free(c);
}

void exodb_cursor_close(struct exodb_cursor *c)
{
	if (!c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->t->cursors = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cursor_free(c);
}

void cursor_free_all(struct exodb_txn *t)
{
	struct exodb_cursor *c;

	while ((c = t->cursors)) {
		t->cursors = c->next;
		cursor_free(c);
	}
}

/* Take entry pos of the leaf: copy it out and remember where it was. */
static int load(struct exodb_cursor *c, const struct pgref *leaf,
		unsigned pos)
{
	struct exodb_txn *t = c->t;
	struct bt_lcell lc;
	uint8_t *nk;
	int rc;

	rc = bt_leaf_cell(leaf->p, pos, &lc);
	if (rc < 0)
		return rc;
	if (lc.klen > c->kcap) {
		nk = realloc(c->key, lc.klen);
		if (!nk)
			return EXO_ENOMEM;
		c->key = nk;
		c->kcap = lc.klen;
	}
	rc = bt_copy_val(t, &lc, &c->val, &c->vcap);
	if (rc < 0)
		return rc;
	memcpy(c->key, lc.key, lc.klen);
	c->klen = lc.klen;
	c->vlen = lc.vlen;
	c->positioned = 1;
	c->hint = 1;
	c->leaf = leaf->bno;
	c->idx = pos;
	c->stamp = pg_stamp(t, leaf);
	c->epoch = atomic_load(&t->db->free_epoch);
	return 0;
}

static int forward(enum seek how)
{
	return how == SEEK_FIRST || how == SEEK_EQ || how == SEEK_GE ||
	       how == SEEK_GT;
}

/* Descend to the entry `how` names relative to key, and load it. */
static int seek(struct exodb_cursor *c, enum seek how, const uint8_t *key,
		size_t klen)
{
	struct exodb_txn *t = c->t;
	enum bt_edge edge = how == SEEK_FIRST ? BT_LEFTMOST
			    : how == SEEK_LAST ? BT_RIGHTMOST
					       : BT_KEY;
	struct bt_path path;
	struct pgref leaf;
	long pos;
	int exact, rc;

	rc = bt_descend(t, c->tree->root, key, klen, edge, &path, &leaf,
			&exact);
	if (rc < 0)
		return rc;
	pos = path.idx[path.depth - 1];
	if (how == SEEK_EQ && !exact) {
		pg_put(t, &leaf);
		return EXODB_NOTFOUND;
	}
	if (how == SEEK_GT && exact)
		pos++;
	if (!forward(how))
		pos--; /* LAST, LT: the entry before the bound */
	while (rc >= 0 && forward(how) && pos >= (long)bt_nkeys(leaf.p)) {
		rc = bt_next_leaf(t, &path, &leaf);
		pos = 0;
		if (rc == 0)
			return EXODB_NOTFOUND;
	}
	while (rc >= 0 && !forward(how) && pos < 0) {
		rc = bt_prev_leaf(t, &path, &leaf);
		if (rc == 0)
			return EXODB_NOTFOUND;
		if (rc > 0)
			pos = (long)bt_nkeys(leaf.p) - 1;
	}
	if (rc < 0)
		return rc;
	rc = load(c, &leaf, (unsigned)pos);
	pg_put(t, &leaf);
	return rc;
}

/* Step within the hinted leaf if it is unchanged: 1 done, 0 not
 * possible (descend instead), or an error. */
static int step_in_leaf(struct exodb_cursor *c, int dir)
{
	struct exodb_txn *t = c->t;
	struct pgref r;
	long pos = (long)c->idx + dir;
	int rc, ok;

	if (!c->hint || pos < 0)
		return 0;
	if (!t->dtx && atomic_load(&t->db->free_epoch) != c->epoch)
		return 0;
	if (pg_get(t, c->leaf, &r) < 0)
		return 0;
	ok = pg_stamp(t, &r) == c->stamp && bt_check_hdr(r.p) == 0 &&
	     bt_is_leaf(r.p) && pos < (long)bt_nkeys(r.p);
	rc = ok ? load(c, &r, (unsigned)pos) : 0;
	pg_put(t, &r);
	return rc < 0 ? rc : ok;
}

static int move(struct exodb_cursor *c, const struct exodb_val *key,
		enum exodb_cursor_op op)
{
	int rc;

	switch (op) {
	case EXODB_FIRST:
		return seek(c, SEEK_FIRST, NULL, 0);
	case EXODB_LAST:
		return seek(c, SEEK_LAST, NULL, 0);
	case EXODB_NEXT:
	case EXODB_PREV:
		if (!c->positioned)
			return seek(c, op == EXODB_NEXT ? SEEK_FIRST
							: SEEK_LAST,
				    NULL, 0);
		rc = step_in_leaf(c, op == EXODB_NEXT ? 1 : -1);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		return seek(c, op == EXODB_NEXT ? SEEK_GT : SEEK_LT, c->key,
			    c->klen);
	case EXODB_SET:
		return seek(c, SEEK_EQ, key->data, key->size);
	case EXODB_SET_RANGE:
		return seek(c, SEEK_GE, key->data, key->size);
	case EXODB_GET_CURRENT:
		if (!c->positioned)
			return EXO_EINVAL;
		return seek(c, SEEK_EQ, c->key, c->klen);
	}
	return EXO_EINVAL;
}

static int check_args(const struct exodb_val *key, enum exodb_cursor_op op)
{
	if ((unsigned)op > EXODB_GET_CURRENT)
		return EXO_EINVAL;
	if (op != EXODB_SET && op != EXODB_SET_RANGE)
		return 0;
	if (!key || (!key->data && key->size))
		return EXO_EINVAL;
	if (key->size == 0 || key->size > EXODB_MAXKEYSIZE)
		return EXODB_BAD_VALSIZE;
	return 0;
}

int exodb_cursor_get(struct exodb_cursor *c, struct exodb_val *key,
		     struct exodb_val *val, enum exodb_cursor_op op)
{
	struct exodb_txn *t;
	int rc;

	if (!c)
		return EXO_EINVAL;
	rc = check_args(key, op);
	if (rc < 0)
		return rc;
	t = c->t;
	rd_begin(t);
	rc = tree_usable(t, c->tree);
	if (rc == 0)
		rc = move(c, key, op);
	rd_end(t);
	if (rc < 0)
		return rc;
	if (key) {
		key->data = c->key;
		key->size = c->klen;
	}
	if (val) {
		val->data = c->val;
		val->size = c->vlen;
	}
	return 0;
}
