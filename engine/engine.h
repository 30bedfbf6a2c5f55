/*
 * engine.h: the engine's internals, shared by its .c files (not installed).
 *
 * Layers inside the engine, each calling only downward:
 *
 *   db.c txn.c tree.c cursor.c   the public API (exodb.h)
 *   btree.c                      search, insert with splits, delete with
 *                                merges, tree walks
 *   overflow.c                   values too big for a leaf: page chains
 *   page.c                       one slotted page, pure (no I/O)
 *   pg.c                         page access: dtx shadows for writers,
 *                                cache frames for readers
 *   check.c                      exodb_check: the store_check callback
 *
 * On disk, every engine page is a dblibos cache block: the cache owns its
 * first CACHE_HDR bytes (CRC32C and LSN) and the engine the rest.
 *
 * Tree page (leaf or branch), a slotted page:
 *
 *   0     16           40                          upper          4096
 *   | cache | bt_hdr   | slots: u16 offsets ->  ...  | <- cells     |
 *
 *   bt_hdr: magic, type (BT_LEAF, BT_BRANCH), level (0 for leaves), nkeys,
 *   upper (start of the cell area), frag (bytes of dead cells in it),
 *   left (branch: child 0).  Slot i holds the offset of cell i; slots are
 *   in key order, cells anywhere in [upper, 4096).
 *
 *   leaf cell:   u16 klen | u32 vlen (bit 31: BT_OVERFLOW) | key | value
 *                (or, overflow, the u64 first block of the value's chain)
 *   branch cell: u16 klen | u64 child | key
 *
 *   A branch with cells (k1,c1)..(kn,cn) has children left, c1, ..., cn;
 *   child c_i holds the keys in [k_i, k_i+1).  Separators are the shortest
 *   prefix of the right page's first key that is above the left page's
 *   last key.  Every leaf is at level 0, every branch one level above its
 *   children.  Non-root pages are never empty (a branch has >= 2
 *   children); a page under a quarter full is merged with a neighbour or
 *   takes entries from it.  A root never moves: a root split moves the
 *   root's entries into two new children, and a root branch left with one
 *   child takes that child's entries back.  So a tree is named by its root
 *   block for its whole life.
 *
 *   Small changes change few bytes: an update of a value of the same size
 *   rewrites only the value, an insert adds a cell at upper and shifts
 *   the slots after it, a delete shifts slots and leaves a dead cell
 *   (compaction happens only when the free gap is too small).  dtx_commit
 *   logs only those bytes.
 *
 * Overflow page (a value's chain, allocated in contiguous runs):
 *
 *   | cache | ov_hdr (magic, len bytes here, next block, run) | data |
 *
 *   run is the number of pages from this one to the end of its run
 *   (contiguous blocks), next the first block of the next run after the
 *   last page of a run, EXO_BNO_NONE at the end of the value.
 *
 * Catalog: a tree like the others, rooted at store root 0, mapping tree
 * names to struct cat_rec; the default tree's name is the empty key.
 * Store root 1 holds ENGINE_TAG once the engine formatted the store.
 */
#ifndef EXODB_ENGINE_H
#define EXODB_ENGINE_H

#include <stdatomic.h>

#include "exodb.h"

#include "balloc.h"
#include "cache.h"
#include "store.h"
#include "sync.h"

/* ---- on-disk formats ---- */

#define ENGINE_TAG      0x3130544244584f45ull /* "EOXDBT01" */
#define ENGINE_ROOT_CAT 0 /* store root: the catalog's root block */
#define ENGINE_ROOT_TAG 1 /* store root: ENGINE_TAG */

#define BT_MAGIC  0x5442 /* "BT" */
#define BT_LEAF   1
#define BT_BRANCH 2

struct bt_hdr {
	uint16_t magic;
	uint8_t type;
	uint8_t flags; /* 0 */
	uint16_t level;
	uint16_t nkeys;
	uint16_t upper;
	uint16_t frag;
	uint32_t _pad; /* 0 */
	uint64_t left;
};

#define BT_SLOTS    (CACHE_HDR + sizeof(struct bt_hdr)) /* 40 */
#define BT_SPACE    (EXO_BLOCK_SIZE - BT_SLOTS)         /* 4056 */
#define BT_CELL_MAX (BT_SPACE / 3 - 2) /* largest cell: 3 fit a page */
#define BT_UNDERFULL (BT_SPACE / 4)   /* used bytes below: rebalance */
#define BT_MAXDEPTH 32
#define BT_MAX_ITEMS (BT_SPACE / 8) /* a cell is >= 6 bytes, a slot 2 */

#define LCELL_HDR   6  /* u16 klen, u32 vlen */
#define BCELL_HDR   10 /* u16 klen, u64 child */
#define BT_OVERFLOW 0x80000000u

#define OV_MAGIC 0x5245564fu /* "OVER" */

struct ov_hdr {
	uint32_t magic;
	uint32_t len;  /* value bytes in this page */
	uint64_t next; /* after a run's last page: the next run, or NONE */
	uint32_t run;  /* pages from here to the end of the run, >= 1 */
	uint32_t _pad; /* 0 */
};

#define OV_DATA (EXO_BLOCK_SIZE - CACHE_HDR - sizeof(struct ov_hdr)) /* 4056 */

struct cat_rec {
	uint64_t root;
	uint64_t flags; /* 0 */
};

/* ---- page.c: one page, no I/O ---- */

struct bt_lcell {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val; /* inline value, or NULL for an overflow value */
	uint32_t vlen;      /* the value's length */
	exo_bno ovf;        /* overflow: the first block */
	size_t size;        /* bytes of the cell */
};

struct bt_bcell {
	const uint8_t *key;
	size_t klen;
	exo_bno child;
	size_t size;
};

/* A cell of another page (for splits and merges). */
struct bt_item {
	const uint8_t *p;
	size_t len;
};

static inline struct bt_hdr *bt_hdr(uint8_t *pg)
{
	return (struct bt_hdr *)(pg + CACHE_HDR);
}

static inline const struct bt_hdr *bt_chdr(const uint8_t *pg)
{
	return (const struct bt_hdr *)(pg + CACHE_HDR);
}

/* 0 if the header is sane (EXODB_CORRUPT otherwise). */
int bt_check_hdr(const uint8_t *pg);
int bt_is_leaf(const uint8_t *pg);
unsigned bt_nkeys(const uint8_t *pg);
/* Cell i, bounds checked: 0 or EXODB_CORRUPT. */
int bt_leaf_cell(const uint8_t *pg, unsigned i, struct bt_lcell *c);
int bt_branch_cell(const uint8_t *pg, unsigned i, struct bt_bcell *c);
int bt_key(const uint8_t *pg, unsigned i, const uint8_t **key, size_t *klen);
int bt_item(const uint8_t *pg, unsigned i, struct bt_item *it);
/* Child j (0..nkeys) of a branch. */
int bt_child(const uint8_t *pg, unsigned j, exo_bno *out);
/* First i with key_i >= key (*exact: equal). */
int bt_lower_bound(const uint8_t *pg, const uint8_t *key, size_t klen,
		   unsigned *idx, int *exact);
/* The child of a branch whose range holds key. */
int bt_child_index(const uint8_t *pg, const uint8_t *key, size_t klen,
		   unsigned *j);
int bt_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

void bt_init(uint8_t *pg, int type, unsigned level, exo_bno left);
size_t bt_free_bytes(const uint8_t *pg); /* room for cells + slots */
size_t bt_used_bytes(const uint8_t *pg); /* BT_SPACE - free */
/* Insert a cell at idx; the caller checked that len + 2 bytes are free. */
void bt_insert(uint8_t *pg, unsigned idx, const void *cell, size_t len);
void bt_remove(uint8_t *pg, unsigned idx);
/* Rebuild pg with these cells (pointers must not point into pg). */
void bt_build(uint8_t *pg, int type, unsigned level, exo_bno left,
	      const struct bt_item *it, size_t n);

size_t bt_make_leaf(uint8_t *cell, const void *key, size_t klen,
		    const void *val, uint32_t vlen, exo_bno ovf);
size_t bt_make_branch(uint8_t *cell, const void *key, size_t klen,
		      exo_bno child);
/* The key and child of a branch cell given as an item. */
void bt_item_branch(const struct bt_item *it, const uint8_t **key,
		    size_t *klen, exo_bno *child);
void bt_item_key(const struct bt_item *it, int leaf, const uint8_t **key,
		 size_t *klen);
/* Does a leaf cell of klen + vlen bytes keep its value inline? */
int bt_inline(size_t klen, size_t vlen);

/* ---- the handles ---- */

enum { TREE_LIVE, TREE_NEW, TREE_DEAD };

struct exodb_tree {
	struct exodb *db;
	char *name;               /* NULL: the default tree (catalog "") */
	exo_bno root;
	int state;                /* TREE_* */
	struct exodb_txn *owner;  /* NEW: its creator; LIVE: its dropper */
};

struct exodb {
	struct store *s;
	int read_only;
	dl_mutex lock;              /* the tree table; taken last */
	struct exodb_tree **trees;
	size_t ntrees, cap;
	struct exodb_tree catalog;  /* internal, root in store root 0 */
	struct exodb_tree *deftree;
	atomic_uint_fast64_t free_epoch; /* commits that freed pages */
};

struct exodb_txn {
	struct exodb *db;
	struct dtx *dtx;     /* NULL: read-only */
	int failed;          /* a change failed half way */
	int installed;       /* the commit reached its install */
	int freed;           /* pages were freed */
	uint64_t mods;       /* changes so far: cursor positions' stamps */
	uint8_t *buf;        /* exodb_get's value */
	size_t bufcap;
	struct exodb_cursor *cursors;
};

/* ---- pg.c: page access ---- */

struct pgref {
	const uint8_t *p;
	struct cpage *pin;
	exo_bno bno;
};

/* Read sections: a read-only transaction holds the store's install lock
 * shared from rd_begin to rd_end; a writer needs none. */
void rd_begin(struct exodb_txn *t);
void rd_end(struct exodb_txn *t);

int pg_get(struct exodb_txn *t, exo_bno bno, struct pgref *r);
void pg_put(struct exodb_txn *t, struct pgref *r);
/* A stamp that changes whenever the page (as t sees it) may have. */
uint64_t pg_stamp(struct exodb_txn *t, const struct pgref *r);
int pg_write(struct exodb_txn *t, exo_bno bno, uint8_t **p);
/* Allocate n contiguous blocks near hint; pg_new gives the shadow of a
 * block just allocated, zeroed. */
int pg_alloc(struct exodb_txn *t, exo_bno hint, uint64_t n, exo_bno *out);
int pg_new(struct exodb_txn *t, exo_bno bno, uint8_t **p);
int pg_free(struct exodb_txn *t, exo_bno bno, uint64_t n);
void pg_prefetch(struct exodb_txn *t, exo_bno bno, uint32_t n);
/* Record a failure that leaves t's changes half made. */
int txn_fail(struct exodb_txn *t, int rc);

/* ---- overflow.c ---- */

uint64_t ov_pages(uint64_t vlen);
int ov_write(struct exodb_txn *t, exo_bno hint, const void *val,
	     uint32_t vlen, exo_bno *first);
/* Rewrite a chain in place (both lengths need the same page count). */
int ov_rewrite(struct exodb_txn *t, exo_bno first, const void *val,
	       uint32_t vlen);
int ov_read(struct exodb_txn *t, exo_bno first, uint32_t vlen, void *dst);
int ov_free(struct exodb_txn *t, exo_bno first, uint32_t vlen);
struct bt_walk;
/* Check every page of a chain, counting them in w. */
int ov_visit(struct exodb_txn *t, exo_bno first, uint32_t vlen,
	     struct bt_walk *w);

/* ---- btree.c ---- */

struct bt_path {
	int depth;                  /* levels: [0] root .. [depth-1] leaf */
	exo_bno bno[BT_MAXDEPTH];
	unsigned idx[BT_MAXDEPTH];  /* branch: the child taken;
				     * leaf: the position */
	unsigned nkeys[BT_MAXDEPTH];
};

enum bt_edge { BT_KEY, BT_LEFTMOST, BT_RIGHTMOST };

/* Descend from root (towards key, or along an edge), filling path; the
 * leaf stays held in *leaf (pg_put it).  path->idx of the leaf is the
 * lower bound of key (0 or nkeys on an edge); *exact if key is there. */
int bt_descend(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	       size_t klen, enum bt_edge edge, struct bt_path *path,
	       struct pgref *leaf, int *exact);
/* Step path to the first entry of the next leaf (1), or 0 at the end;
 * *leaf replaced. */
int bt_next_leaf(struct exodb_txn *t, struct bt_path *path,
		 struct pgref *leaf);
int bt_prev_leaf(struct exodb_txn *t, struct bt_path *path,
		 struct pgref *leaf);

/* The value of a leaf cell, copied into a buffer grown as needed. */
int bt_copy_val(struct exodb_txn *t, const struct bt_lcell *c,
		uint8_t **buf, size_t *cap);
int bt_get(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	   size_t klen, uint8_t **buf, size_t *cap, size_t *vlen);
int bt_put(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	   size_t klen, const uint8_t *val, size_t vlen, unsigned flags);
int bt_del(struct exodb_txn *t, exo_bno root, const uint8_t *key,
	   size_t klen);
/* A new empty tree: its root block. */
int bt_create(struct exodb_txn *t, exo_bno hint, exo_bno *root);
/* Free every page of the tree; keep the root as an empty leaf unless
 * free_root. */
int bt_drop(struct exodb_txn *t, exo_bno root, int free_root);

/* Per-page callback of bt_walk: the page (validated), its block and
 * level; non-zero stops the walk. */
struct bt_walk {
	int (*page)(struct bt_walk *w, exo_bno bno, const uint8_t *pg);
	int (*ovf)(struct bt_walk *w, exo_bno bno, const struct ov_hdr *h);
	int check;               /* verify key order and bounds */
	uint32_t depth;
	uint64_t branch, leaf, overflow, entries, bytes, underfull;
	exo_bno bad;
	char problem[200];
};
int bt_walk(struct exodb_txn *t, exo_bno root, struct bt_walk *w);

/* ---- tree.c ---- */

int tree_format(struct exodb_txn *t, exo_bno *cat_root);
int tree_load_default(struct exodb *db);
int tree_usable(struct exodb_txn *t, struct exodb_tree *tree);
/* After an install (committed) or an abort (not): settle t's trees. */
void tree_settle(struct exodb_txn *t, int committed);
void tree_free_all(struct exodb *db);

/* ---- cursor.c ---- */

void cursor_free_all(struct exodb_txn *t);

#endif
