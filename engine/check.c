/*
 * check.c: exodb_check, a full verification of a store.
 *
 * dblibos's store_check (holding the writer mutex, so no commit runs
 * meanwhile) checks the superblock, the log's place, the allocator's
 * directory and bitmaps and the object directory, then calls back here:
 * the engine walks the catalog and every tree in it (bt_walk with its
 * checks: page format, cells inside their page and not overlapping, keys
 * strictly ascending and inside the range their parent gives them, every
 * leaf at level 0 and every child one level below its parent, no empty
 * page but a root, every overflow chain complete) and marks every block
 * it reaches with store_check_mark, which fails on a block that is free
 * or reached twice.  Pages are read through the cache, which verifies
 * each page's checksum.  Finally store_check compares the marks with the
 * allocator: a block allocated but never reached is a leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct checker {
	struct bt_walk w; /* first: the callbacks get it back */
	struct store_checker *sc;
	struct exodb_txn t;
	struct exodb_check_report *r;
	uint64_t cat_entries; /* the catalog's own entries */
};

static int mark(struct bt_walk *w, exo_bno bno, const char *what)
{
	struct checker *ck = (struct checker *)w;

	if (store_check_mark(ck->sc, bno, 1) == 0)
		return 0;
	if (!w->problem[0]) {
		w->bad = bno;
		snprintf(w->problem, sizeof(w->problem),
			 "block %llu: %s page not allocated, or used twice",
			 (unsigned long long)bno, what);
	}
	return EXODB_CORRUPT;
}

static int mark_page(struct bt_walk *w, exo_bno bno, const uint8_t *pg)
{
	(void)pg;
	return mark(w, bno, "tree");
}

static int mark_ovf(struct bt_walk *w, exo_bno bno, const struct ov_hdr *h)
{
	(void)h;
	return mark(w, bno, "overflow");
}

/* Walk one tree, adding its counts to the report. */
static int walk_tree(struct checker *ck, exo_bno root, const char *name)
{
	struct bt_walk *w = &ck->w;
	struct exodb_check_report *r = ck->r;
	char where[sizeof(w->problem) + EXODB_NAME_MAX + 16];
	int rc;

	w->depth = 0;
	rc = bt_walk(&ck->t, root, w);
	if (rc < 0) {
		snprintf(where, sizeof(where), "tree %s: %s", name,
			 w->problem);
		memcpy(w->problem, where, sizeof(w->problem) - 1);
		w->problem[sizeof(w->problem) - 1] = '\0';
		return rc;
	}
	if (w->depth > r->max_depth)
		r->max_depth = w->depth;
	return 0;
}

/* Walk every tree named in the catalog (after the catalog itself). */
static int walk_catalog_trees(struct checker *ck, exo_bno cat)
{
	struct bt_path path;
	struct pgref leaf;
	struct bt_lcell c;
	struct cat_rec rec;
	char name[EXODB_NAME_MAX + 3];
	unsigned i;
	int exact, rc;

	rc = bt_descend(&ck->t, cat, NULL, 0, BT_LEFTMOST, &path, &leaf,
			&exact);
	while (rc >= 0) {
		for (i = 0; rc >= 0 && i < bt_nkeys(leaf.p); i++) {
			rc = bt_leaf_cell(leaf.p, i, &c);
			if (rc == 0 && (!c.val || c.vlen != sizeof(rec) ||
					c.klen > EXODB_NAME_MAX))
				rc = EXODB_CORRUPT;
			if (rc < 0)
				break;
			memcpy(&rec, c.val, sizeof(rec));
			snprintf(name, sizeof(name), "'%.*s'", (int)c.klen,
				 (const char *)c.key);
			ck->r->trees++;
			rc = walk_tree(ck, rec.root,
				       c.klen ? name : "(default)");
		}
		if (rc < 0) {
			pg_put(&ck->t, &leaf);
			break;
		}
		rc = bt_next_leaf(&ck->t, &path, &leaf);
		if (rc == 0)
			break;
	}
	if (rc == EXODB_CORRUPT && !ck->w.problem[0])
		snprintf(ck->w.problem, sizeof(ck->w.problem),
			 "catalog: bad entry");
	return rc < 0 ? rc : 0;
}

static int engine_extra(struct store *s, struct store_checker *sc, void *arg)
{
	struct checker *ck = arg;
	uint64_t tag, cat;
	int rc;

	ck->sc = sc;
	rc = store_root_get(s, ENGINE_ROOT_TAG, &tag);
	if (rc == 0 && tag != ENGINE_TAG)
		rc = EXODB_INCOMPAT;
	if (rc == 0)
		rc = store_root_get(s, ENGINE_ROOT_CAT, &cat);
	if (rc == 0)
		rc = walk_tree(ck, cat, "(catalog)");
	ck->cat_entries = ck->w.entries;
	if (rc == 0)
		rc = walk_catalog_trees(ck, cat);
	return rc;
}

int exodb_check(struct exodb *db, struct exodb_check_report *r)
{
	struct exodb_check_report tmp;
	struct checker *ck;
	exo_bno bad;
	int rc;

	if (!db)
		return EXO_EINVAL;
	if (!r)
		r = &tmp;
	memset(r, 0, sizeof(*r));
	r->bad_block = UINT64_MAX;
	ck = calloc(1, sizeof(*ck));
	if (!ck)
		return EXO_ENOMEM;
	ck->t.db = db;
	ck->r = r;
	ck->w.page = mark_page;
	ck->w.ovf = mark_ovf;
	ck->w.check = 1;
	ck->w.bad = EXO_BNO_NONE;
	rc = store_check(db->s, engine_extra, ck);
	r->branch_pages = ck->w.branch;
	r->leaf_pages = ck->w.leaf;
	r->overflow_pages = ck->w.overflow;
	r->entries = ck->w.entries - ck->cat_entries;
	r->underfull_pages = ck->w.underfull;
	if (rc < 0 && ck->w.problem[0]) {
		snprintf(r->problem, sizeof(r->problem), "%s", ck->w.problem);
		r->bad_block = ck->w.bad;
	} else if (rc < 0) {
		bad = store_bad_block(db->s);
		r->bad_block = bad;
		if (bad != EXO_BNO_NONE)
			snprintf(r->problem, sizeof(r->problem),
				 "store: block %llu: %s",
				 (unsigned long long)bad, exodb_strerror(rc));
		else
			snprintf(r->problem, sizeof(r->problem), "store: %s",
				 exodb_strerror(rc));
	}
	free(ck);
	return rc;
}
