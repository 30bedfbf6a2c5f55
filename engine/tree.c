/*
 * tree.c: named trees, the catalog and tree handles.
 *
 * The catalog is a B+tree (root block in store root ENGINE_ROOT_CAT)
 * mapping each tree's name to its struct cat_rec (its root block); the
 * default tree is the entry with the empty name.  Since a root block
 * never moves, the catalog changes only when a tree is created or
 * deleted.
 *
 * Handles live in the store's table (db->trees) until exodb_close, so
 * every transaction shares them.  A handle's state says who may use it:
 *
 *   TREE_NEW   created by the transaction `owner`, not yet committed:
 *              only owner sees it
 *   TREE_LIVE  committed; if `owner` is set, that transaction deleted it
 *              (owner no longer sees it, everybody else still does)
 *   TREE_DEAD  deleted, or its creator aborted
 *
 * tree_settle moves a transaction's handles on: at its commit's install
 * (under the store's install lock, so no reader is between calls of a
 * read section) or after its abort.  db->lock guards the table and is
 * always taken last (never held while waiting for anything else).
 *
 * A reader that opens a committed tree looks the name up and registers
 * the handle inside one read section, so no commit deleting that tree can
 * install in between.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void set_state(struct exodb_tree *h, int state)
{
	__atomic_store_n(&h->state, state, __ATOMIC_RELEASE);
}

/* The handle of name that t may use (NULL: the default tree), or NULL. */
static struct exodb_tree *find_visible(struct exodb *db, const char *name,
				       struct exodb_txn *t)
{
	struct exodb_tree *h;
	size_t i;

	for (i = 0; i < db->ntrees; i++) {
		h = db->trees[i];
		if (!h->name || strcmp(h->name, name))
			continue;
		if (h->state == TREE_LIVE && h->owner != t)
			return h;
		if (h->state == TREE_NEW && h->owner == t)
			return h;
	}
	return NULL;
}

/* Add a handle to the table (db->lock held). */
static int add_handle(struct exodb *db, const char *name, exo_bno root,
		      int state, struct exodb_txn *owner,
		      struct exodb_tree **out)
{
	struct exodb_tree *h, **nt;
	size_t cap;

	if (db->ntrees == db->cap) {
		cap = db->cap ? db->cap * 2 : 16;
		nt = realloc(db->trees, cap * sizeof(*nt));
		if (!nt)
			return EXO_ENOMEM;
		db->trees = nt;
		db->cap = cap;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return EXO_ENOMEM;
	h->name = name ? strdup(name) : NULL;
	if (name && !h->name) {
		free(h);
		return EXO_ENOMEM;
	}
	h->db = db;
	h->root = root;
	h->state = state;
	h->owner = owner;
	db->trees[db->ntrees++] = h;
	*out = h;
	return 0;
}

static int cat_lookup(struct exodb_txn *t, const char *name, size_t len,
		      struct cat_rec *rec)
{
	uint8_t *buf = NULL;
	size_t cap = 0, vlen = 0;
	int rc;

	rc = bt_get(t, t->db->catalog.root, (const uint8_t *)name, len, &buf,
		    &cap, &vlen);
	if (rc == 0 && vlen != sizeof(*rec))
		rc = EXODB_CORRUPT;
	if (rc == 0)
		memcpy(rec, buf, sizeof(*rec));
	free(buf);
	return rc;
}

int tree_format(struct exodb_txn *t, exo_bno *cat_root)
{
	struct cat_rec rec = { 0 };
	int rc;

	rc = bt_create(t, 0, cat_root);
	if (rc == 0)
		rc = bt_create(t, *cat_root, &rec.root);
	if (rc == 0)
		rc = bt_put(t, *cat_root, (const uint8_t *)"", 0,
			    (const uint8_t *)&rec, sizeof(rec), 0);
	if (rc == 0)
		rc = store_root_set(t->dtx, ENGINE_ROOT_CAT, *cat_root);
	if (rc == 0)
		rc = store_root_set(t->dtx, ENGINE_ROOT_TAG, ENGINE_TAG);
	return txn_fail(t, rc);
}

int tree_load_default(struct exodb *db)
{
	struct exodb_txn t = { .db = db };
	struct cat_rec rec;
	int rc;

	rd_begin(&t);
	rc = cat_lookup(&t, "", 0, &rec);
	rd_end(&t);
	if (rc == EXODB_NOTFOUND)
		rc = EXODB_CORRUPT;
	if (rc < 0)
		return rc;
	dl_lock(&db->lock);
	rc = add_handle(db, NULL, rec.root, TREE_LIVE, NULL, &db->deftree);
	dl_unlock(&db->lock);
	return rc;
}

int tree_usable(struct exodb_txn *t, struct exodb_tree *tree)
{
	int state, rc = 0;
	struct exodb_txn *owner;

	if (!tree || tree->db != t->db)
		return EXO_EINVAL;
	if (t->failed)
		return EXODB_BAD_TXN;
	/* no lock: these change under db->lock, but only in an install
	 * (when no reader is inside a read section and no other writer
	 * runs) or for t's own handles, or when t cannot use them anyway */
	state = __atomic_load_n(&tree->state, __ATOMIC_ACQUIRE);
	owner = __atomic_load_n(&tree->owner, __ATOMIC_ACQUIRE);
	if (state == TREE_DEAD || (state == TREE_NEW && owner != t) ||
	    (state == TREE_LIVE && owner && owner == t))
		rc = EXODB_BAD_TREE;
	return rc;
}

void tree_settle(struct exodb_txn *t, int committed)
{
	struct exodb *db = t->db;
	struct exodb_tree *h;
	size_t i;

	dl_lock(&db->lock);
	for (i = 0; i < db->ntrees; i++) {
		h = db->trees[i];
		if (h->owner != t)
			continue;
		if (h->state == TREE_NEW)
			set_state(h, committed ? TREE_LIVE : TREE_DEAD);
		else if (h->state == TREE_LIVE && committed)
			set_state(h, TREE_DEAD);
		__atomic_store_n(&h->owner, NULL, __ATOMIC_RELEASE);
	}
	dl_unlock(&db->lock);
}

void tree_free_all(struct exodb *db)
{
	size_t i;

	for (i = 0; i < db->ntrees; i++) {
		free(db->trees[i]->name);
		free(db->trees[i]);
	}
	free(db->trees);
	db->trees = NULL;
	db->ntrees = db->cap = 0;
}

/* A committed (or, for a writer, own) tree: find or register its handle. */
static int open_existing(struct exodb_txn *t, const char *name,
			 struct exodb_tree **out)
{
	struct exodb *db = t->db;
	struct cat_rec rec;
	int rc;

	rd_begin(t);
	dl_lock(&db->lock);
	*out = find_visible(db, name, t);
	dl_unlock(&db->lock);
	rc = *out ? 0 : cat_lookup(t, name, strlen(name), &rec);
	if (rc == 0 && !*out) {
		dl_lock(&db->lock);
		*out = find_visible(db, name, t);
		if (!*out)
			rc = add_handle(db, name, rec.root, TREE_LIVE, NULL,
					out);
		dl_unlock(&db->lock);
	}
	rd_end(t);
	return rc;
}

static int create_tree(struct exodb_txn *t, const char *name,
		       struct exodb_tree **out)
{
	struct exodb *db = t->db;
	struct cat_rec rec = { 0 };
	int rc;

	rc = bt_create(t, db->catalog.root, &rec.root);
	if (rc == 0)
		rc = bt_put(t, db->catalog.root, (const uint8_t *)name,
			    strlen(name), (const uint8_t *)&rec, sizeof(rec),
			    EXODB_NOOVERWRITE);
	if (rc < 0)
		return txn_fail(t, rc);
	t->mods++;
	dl_lock(&db->lock);
	rc = add_handle(db, name, rec.root, TREE_NEW, t, out);
	dl_unlock(&db->lock);
	return txn_fail(t, rc);
}

int exodb_tree_open(struct exodb_txn *t, const char *name, unsigned flags,
		    struct exodb_tree **out)
{
	size_t len;
	int rc;

	if (!t || !out || (flags & ~EXODB_TREE_CREATE))
		return EXO_EINVAL;
	if (t->failed)
		return EXODB_BAD_TXN;
	if (!name) {
		*out = t->db->deftree;
		return 0;
	}
	len = strlen(name);
	if (len == 0 || len > EXODB_NAME_MAX)
		return EXODB_BAD_VALSIZE;
	rc = open_existing(t, name, out);
	if (rc != EXODB_NOTFOUND || !(flags & EXODB_TREE_CREATE))
		return rc;
	if (!t->dtx)
		return EXODB_READONLY;
	return create_tree(t, name, out);
}

int exodb_tree_drop(struct exodb_txn *t, struct exodb_tree *tree, int del)
{
	struct exodb *db;
	int rc;

	if (!t)
		return EXO_EINVAL;
	if (!t->dtx)
		return EXODB_READONLY;
	rc = tree_usable(t, tree);
	if (rc < 0)
		return rc;
	db = t->db;
	if (del && tree == db->deftree)
		return EXO_EINVAL;
	rc = bt_drop(t, tree->root, del);
	if (rc == 0 && del)
		rc = bt_del(t, db->catalog.root, (const uint8_t *)tree->name,
			    strlen(tree->name));
	if (rc < 0)
		return txn_fail(t, rc);
	t->mods++;
	if (del) {
		dl_lock(&db->lock);
		if (tree->state == TREE_NEW)
			set_state(tree, TREE_DEAD); /* never committed */
		else
			__atomic_store_n(&tree->owner, t, __ATOMIC_RELEASE);
		dl_unlock(&db->lock);
	}
	return 0;
}

/* ---- listing ---- */

struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *nm, const uint8_t *key, size_t klen)
{
	char **nv, *s;

	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap * 2 : 16;
		nv = realloc(nm->v, nm->cap * sizeof(*nv));
		if (!nv)
			return EXO_ENOMEM;
		nm->v = nv;
	}
	s = malloc(klen + 1);
	if (!s)
		return EXO_ENOMEM;
	memcpy(s, key, klen);
	s[klen] = '\0';
	nm->v[nm->n++] = s;
	return 0;
}

/* Every name in the catalog but the default tree's, in one read section
 * (the callback runs outside it). */
static int collect_names(struct exodb_txn *t, struct names *nm)
{
	struct bt_path path;
	struct pgref leaf;
	const uint8_t *k;
	size_t kl;
	unsigned i;
	int exact, rc;

	rd_begin(t);
	rc = bt_descend(t, t->db->catalog.root, NULL, 0, BT_LEFTMOST, &path,
			&leaf, &exact);
	while (rc == 1 || rc == 0) {
		for (i = 0; rc >= 0 && i < bt_nkeys(leaf.p); i++) {
			rc = bt_key(leaf.p, i, &k, &kl);
			if (rc == 0 && kl > 0 && memchr(k, 0, kl))
				rc = EXODB_CORRUPT;
			if (rc == 0 && kl > 0)
				rc = names_add(nm, k, kl);
		}
		if (rc < 0) {
			pg_put(t, &leaf);
			break;
		}
		rc = bt_next_leaf(t, &path, &leaf);
		if (rc == 0)
			break;
	}
	rd_end(t);
	return rc < 0 ? rc : 0;
}

int exodb_tree_names(struct exodb_txn *t, exodb_name_fn fn, void *arg)
{
	struct names nm = { 0 };
	size_t i;
	int rc;

	if (!t || !fn)
		return EXO_EINVAL;
	if (t->failed)
		return EXODB_BAD_TXN;
	rc = collect_names(t, &nm);
	for (i = 0; rc == 0 && i < nm.n; i++)
		rc = fn(arg, nm.v[i]);
	for (i = 0; i < nm.n; i++)
		free(nm.v[i]);
	free(nm.v);
	return rc;
}
