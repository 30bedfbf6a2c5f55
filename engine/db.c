/*
 * db.c: opening and closing a store, checkpoints and statistics.
 *
 * exodb_open maps its options onto dblibos's store_opts, opens the store
 * (running recovery) or creates it, and then makes sure the engine's own
 * structures are there: store root ENGINE_ROOT_TAG holds ENGINE_TAG once
 * the catalog and the default tree exist (created in one transaction, so
 * a crash during creation leaves either nothing or everything; a store
 * without the tag is formatted at the next read-write open).
 *
 * The capability of a store defaults to "exodb-store:" followed by its
 * name, so `--store NAME` is all a user needs to give; a real deployment
 * passes a secret capability instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define DEFAULT_STORE      "main"
#define DEFAULT_CACHE      (64ull << 20)
#define DEFAULT_LOG        (128ull << 20)
#define CAP_PREFIX         "exodb-store:"

static int check_opts(const struct exodb_opts *o)
{
	unsigned all = EXODB_CREATE | EXODB_EXCL | EXODB_READONLY_STORE;

	if (!o || !o->disk || (o->flags & ~all))
		return EXO_EINVAL;
	if ((o->flags & EXODB_EXCL) && !(o->flags & EXODB_CREATE))
		return EXO_EINVAL;
	if ((o->flags & EXODB_CREATE) && (o->flags & EXODB_READONLY_STORE))
		return EXO_EINVAL;
	if (o->cap && (o->cap_len == 0 || o->cap_len > EXO_CAP_MAX))
		return EXO_EINVAL;
	if (o->store && (!o->store[0] ||
			 strlen(o->store) + sizeof(CAP_PREFIX) > EXO_CAP_MAX))
		return EXO_EINVAL;
	if (o->durability != EXODB_FULL && o->durability != EXODB_LAZY)
		return EXO_EINVAL;
	return 0;
}

static int open_store(const struct exodb_opts *o, struct store **s)
{
	char capbuf[EXO_CAP_MAX + 1];
	struct store_opts so = { 0 };
	const void *cap = o->cap;
	size_t cap_len = o->cap_len;
	int rc;

	if (!cap) {
		snprintf(capbuf, sizeof(capbuf), "%s%s", CAP_PREFIX,
			 o->store ? o->store : DEFAULT_STORE);
		cap = capbuf;
		cap_len = strlen(capbuf);
	}
	so.read_only = !!(o->flags & EXODB_READONLY_STORE);
	so.cache_pages = (o->cache_bytes ? o->cache_bytes : DEFAULT_CACHE) /
			 EXO_BLOCK_SIZE;
	if (so.cache_pages < 64)
		so.cache_pages = 64;
	so.durability = o->durability == EXODB_LAZY ? STORE_LAZY : STORE_FULL;
	so.io = o->io;
	so.log_blocks = (o->log_bytes ? o->log_bytes : DEFAULT_LOG) /
			EXO_BLOCK_SIZE;
	rc = store_open(o->disk, cap, cap_len, &so, s);
	if (rc == 0 && (o->flags & EXODB_EXCL)) {
		store_close(*s);
		*s = NULL;
		return EXO_EEXIST;
	}
	if (rc == EXO_ENOENT && (o->flags & EXODB_CREATE))
		rc = store_create(o->disk, cap, cap_len, &so, s);
	return rc;
}

/* Create the catalog and the default tree in a new store. */
static int format(struct exodb *db)
{
	struct exodb_txn *t;
	exo_bno cat;
	int rc;

	rc = exodb_txn_begin(db, 0, &t);
	if (rc < 0)
		return rc;
	rc = tree_format(t, &cat);
	if (rc < 0) {
		exodb_txn_abort(t);
		return rc;
	}
	return exodb_txn_commit(t);
}

static int engine_open(struct exodb *db)
{
	uint64_t tag, cat;
	int rc;

	rc = store_root_get(db->s, ENGINE_ROOT_TAG, &tag);
	if (rc == 0 && tag == 0 && !db->read_only) {
		rc = format(db);
		if (rc == 0)
			rc = store_root_get(db->s, ENGINE_ROOT_TAG, &tag);
	}
	if (rc < 0)
		return rc;
	if (tag != ENGINE_TAG)
		return EXODB_INCOMPAT;
	rc = store_root_get(db->s, ENGINE_ROOT_CAT, &cat);
	if (rc < 0)
		return rc;
	db->catalog.db = db;
	db->catalog.root = cat;
	db->catalog.state = TREE_LIVE;
	return tree_load_default(db);
}

int exodb_open(const struct exodb_opts *o, struct exodb **out)
{
	struct exodb *db;
	int rc;

	if (!out)
		return EXO_EINVAL;
	rc = check_opts(o);
	if (rc < 0)
		return rc;
	db = calloc(1, sizeof(*db));
	if (!db)
		return EXO_ENOMEM;
	dl_mutex_init(&db->lock);
	atomic_init(&db->free_epoch, 0);
	db->read_only = !!(o->flags & EXODB_READONLY_STORE);
	rc = open_store(o, &db->s);
	if (rc == 0)
		rc = engine_open(db);
	if (rc < 0) {
		if (db->s)
			store_close(db->s);
		tree_free_all(db);
		dl_mutex_destroy(&db->lock);
		free(db);
		return rc;
	}
	*out = db;
	return 0;
}

int exodb_close(struct exodb *db)
{
	int rc;

	if (!db)
		return 0;
	rc = store_close(db->s);
	tree_free_all(db);
	dl_mutex_destroy(&db->lock);
	free(db);
	return rc;
}

int exodb_checkpoint(struct exodb *db)
{
	if (!db)
		return EXO_EINVAL;
	if (db->read_only)
		return EXODB_READONLY;
	return store_checkpoint(db->s);
}

static void store_counters(struct store *s, struct exodb_stat *st)
{
	struct cache_stats cs;
	struct wal_stats ws;
	struct balloc_stats bs;

	if (store_cache(s)) {
		cache_get_stats(store_cache(s), &cs);
		st->cache_hits = cs.hits;
		st->cache_misses = cs.misses;
		st->cache_evictions = cs.evictions;
		st->cache_writebacks = cs.writebacks;
		st->cache_pages = cs.npages;
		st->cache_dirty = cs.dirty;
	}
	if (store_wal(s)) {
		wal_get_stats(store_wal(s), &ws);
		st->wal_records = ws.records;
		st->wal_bytes = ws.bytes;
		st->wal_flushes = ws.flushes;
		st->wal_commits = ws.commits;
		st->wal_commit_waits = ws.commit_waits;
	}
	if (store_balloc(s)) {
		balloc_get_stats(store_balloc(s), &bs);
		st->disk_blocks = bs.blocks;
		st->disk_free = bs.free;
	}
}

int exodb_stat(struct exodb_txn *t, struct exodb_tree *tree,
	       struct exodb_stat *st)
{
	struct bt_walk w = { 0 };
	int rc = 0;

	if (!t || !st)
		return EXO_EINVAL;
	memset(st, 0, sizeof(*st));
	if (tree) {
		rd_begin(t);
		rc = tree_usable(t, tree);
		if (rc == 0)
			rc = bt_walk(t, tree->root, &w);
		rd_end(t);
		if (rc < 0)
			return rc;
		st->depth = w.depth;
		st->branch_pages = w.branch;
		st->leaf_pages = w.leaf;
		st->overflow_pages = w.overflow;
		st->entries = w.entries;
		st->bytes_used = w.bytes;
	}
	store_counters(t->db->s, st);
	return 0;
}
