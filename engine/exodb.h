/*
 * exodb.h: the exodb storage engine, its public API.
 *
 * exodb keeps named B+trees of byte-string keys and values in one store
 * (an owner of an exodb disk: an image file or a block device, see
 * `exodb disk format`).  The API follows LMDB: opaque handles, every call
 * returns 0 or a negative error code, results go out through the last
 * pointer argument, and exodb_strerror() names a code.
 *
 *   struct exodb_opts o = { .disk = "var/disk.img", .store = "bank",
 *                           .flags = EXODB_CREATE };
 *   struct exodb *db;  struct exodb_txn *t;  struct exodb_tree *acct;
 *   exodb_open(&o, &db);
 *   exodb_txn_begin(db, 0, &t);
 *   exodb_tree_open(t, "accounts", EXODB_CREATE, &acct);
 *   struct exodb_val k = { 3, "k01" }, v = { 5, "hello" };
 *   exodb_put(t, acct, &k, &v, 0);
 *   exodb_txn_commit(t);                  durable on return (EXODB_FULL)
 *   exodb_txn_begin(db, EXODB_RDONLY, &t);
 *   exodb_get(t, acct, &k, &v);           v points into t's buffer
 *   exodb_txn_abort(t);                   ends a read-only transaction
 *   exodb_close(db);
 *
 * Keys are 1..EXODB_MAXKEYSIZE bytes, ordered by memcmp (a shorter key
 * that is a prefix of a longer one sorts first).  Values are
 * 0..EXODB_MAXVALSIZE bytes; large ones live in overflow pages.
 *
 * Transactions.  A read-write transaction (flags 0) is one dblibos
 * transaction: writers are serialized (exodb_txn_begin waits for the
 * running writer), commit is atomic, and with EXODB_FULL it is durable
 * when exodb_txn_commit returns.  Concurrent committers share log
 * flushes (group commit): a writer releases the store as soon as its log
 * record is appended and waits for the flush afterwards.  Everything a
 * transaction changes must fit in its log record (at most a quarter of
 * the log: 32 MiB with the default 128 MiB log) and its pages in the
 * cache: otherwise EXODB_TXN_FULL; bulk loads commit in batches.
 *
 * Isolation.  A read-write transaction sees its own changes and nobody
 * else's.  A read-only transaction (EXODB_RDONLY) takes no locks between
 * calls: each call (a get, one cursor step) sees a committed state, atomic
 * with respect to other transactions, but two calls may see different
 * commits.  That is READ COMMITTED per call, not a snapshot: a consistent
 * multi-key read takes a read-write transaction (or a store with one
 * writer).  Readers never wait for writers, except for the short install
 * at the end of each commit.
 *
 * Threads.  A struct exodb may be shared by any number of threads; a
 * transaction and its cursors belong to one thread at a time.
 *
 * Data returned through struct exodb_val is owned by the engine: from
 * exodb_get it stays valid until the next exodb_get on the same
 * transaction or its end; from a cursor until the next call on that
 * cursor, its close or the end of its transaction.  Copy what you keep.
 *
 * Failures inside a read-write transaction (disk full, a corrupt page)
 * may leave its changes half made: the transaction is then failed, every
 * later call on it returns EXODB_BAD_TXN, and commit aborts it.
 *
 * Errors.  Engine codes are EXODB_* below (-30799..EXODB_LAST_ERRCODE);
 * codes from the layers below (EXO_EIO, EXO_ENOSPC, EXO_ECORRUPT,
 * EXO_ENOENT, ...) pass through unchanged.  Both kinds are negative and
 * exodb_strerror() names them all.
 */
#ifndef EXODB_H
#define EXODB_H

#include <stddef.h>
#include <stdint.h>

#include <exo/errno.h> /* EXO_E*: the codes of the layers below */

#ifdef __cplusplus
extern "C" {
#endif

#define EXODB_VERSION_STRING "exodb 0.1"

/* ---- error codes (LMDB-style reserved negative range) ---- */

#define EXODB_SUCCESS      0
#define EXODB_KEYEXIST     (-30799) /* key exists (NOOVERWRITE, APPEND) */
#define EXODB_NOTFOUND     (-30798) /* no such key, or no such tree */
#define EXODB_CORRUPT      (-30797) /* a tree page fails the engine's checks */
#define EXODB_BAD_TXN      (-30796) /* transaction failed, or misused */
#define EXODB_READONLY     (-30795) /* write in a read-only txn or store */
#define EXODB_BAD_TREE     (-30794) /* tree handle no longer valid */
#define EXODB_BAD_VALSIZE  (-30793) /* key or value size out of range */
#define EXODB_TXN_FULL     (-30792) /* transaction too large for log/cache */
#define EXODB_INCOMPAT     (-30791) /* store not in this engine's format */
#define EXODB_LAST_ERRCODE EXODB_INCOMPAT

/* ---- limits ---- */

#define EXODB_MAXKEYSIZE 1024u
#define EXODB_MAXVALSIZE (1u << 30)
#define EXODB_NAME_MAX   255u /* tree names: 1..255 bytes, no NUL */

/* ---- handles ---- */

struct exodb;        /* an open store */
struct exodb_txn;    /* a transaction */
struct exodb_tree;   /* a named tree, valid until exodb_close */
struct exodb_cursor; /* a position in a tree */

/* A byte string.  data may be NULL when size is 0. */
struct exodb_val {
	size_t size;
	const void *data;
};

/* ---- open and close ---- */

enum exodb_durability {
	EXODB_FULL = 0, /* an acknowledged commit survives power loss */
	EXODB_LAZY = 1, /* atomic and consistent; may lose the last commits */
};

/* exodb_opts.flags */
#define EXODB_CREATE   0x1 /* create the store if it does not exist */
#define EXODB_EXCL     0x2 /* with EXODB_CREATE: fail if it exists */
#define EXODB_READONLY_STORE 0x4 /* open read-only: recover in memory,
				    * write nothing */

/* Options of exodb_open.  Zero-initialize, then set what you need. */
struct exodb_opts {
	const char *disk;   /* image file, block device, or "fault:NAME" */
	const char *store;  /* store name (default "main") */
	const void *cap;    /* capability; NULL: "exodb-store:" + store */
	size_t cap_len;
	uint64_t cache_bytes; /* buffer cache (0: 64 MiB) */
	enum exodb_durability durability;
	const char *io;     /* hosted I/O engine: "io_uring" (default),
			     * "libaio", "psync" */
	uint64_t log_bytes; /* at creation: log size (0: 128 MiB, clamped
			     * to a quarter of the free disk) */
	unsigned flags;     /* EXODB_CREATE, EXODB_EXCL,
			     * EXODB_READONLY_STORE */
};

/* Open (and recover) a store, creating it with EXODB_CREATE.
 * @param[in]  o    options; o->disk is required
 * @param[out] out  the open store
 * @return 0; EXO_EINVAL (bad options), EXO_ENOENT (no such disk or store,
 *   without EXODB_CREATE), EXO_EEXIST (EXODB_EXCL and it exists),
 *   EXO_EBADDISK (not an exodb disk: run `exodb disk format`),
 *   EXO_EBUSY (another process has the disk), EXODB_INCOMPAT,
 *   EXO_ECORRUPT, EXO_EVERSION, EXO_ENOSPC, EXO_EIO, EXO_ENOMEM. */
int exodb_open(const struct exodb_opts *o, struct exodb **out);

/* Checkpoint and close the store; every transaction must have ended.
 * The store is closed whatever the result.
 * @param[in] db  the store (NULL: nothing)
 * @return 0, or the first error met (EXO_EIO: the last commits may need
 *   recovery at the next open). */
int exodb_close(struct exodb *db);

/* Checkpoint now: write every dirty page, let the log be reused.
 * @param[in] db  the store
 * @return 0; EXODB_READONLY, EXO_EIO, EXO_ENOMEM. */
int exodb_checkpoint(struct exodb *db);

/* ---- transactions ---- */

#define EXODB_RDONLY 0x1 /* exodb_txn_begin: a read-only transaction */

/* Begin a transaction; a read-write one waits for the running writer.
 * @param[in]  db     the store
 * @param[in]  flags  0 or EXODB_RDONLY
 * @param[out] out    the transaction
 * @return 0; EXO_EINVAL, EXODB_READONLY (read-write on a read-only store),
 *   EXO_EIO (the store broke after a log failure: close and reopen),
 *   EXO_ENOMEM. */
int exodb_txn_begin(struct exodb *db, unsigned flags,
		    struct exodb_txn **out);

/* Commit and free the transaction (and its cursors).  A read-only
 * transaction just ends.
 * @param[in] t  the transaction
 * @return 0; EXODB_BAD_TXN (it had failed: aborted instead),
 *   EXODB_TXN_FULL (too large for the log: aborted), EXO_EIO (log
 *   failure: the commit may or may not survive; the store is broken),
 *   EXO_ENOSPC, EXO_ENOMEM. */
int exodb_txn_commit(struct exodb_txn *t);

/* Discard every change and free the transaction (and its cursors).
 * @param[in] t  the transaction (NULL: nothing) */
void exodb_txn_abort(struct exodb_txn *t);

/* ---- trees ---- */

/* exodb_tree_open flags */
#define EXODB_TREE_CREATE 0x1 /* create the tree if it does not exist */

/* Open the tree called name, as the transaction sees the catalog.  name
 * NULL is the default tree, which always exists.  A tree created by t is
 * visible to others once t commits; if t aborts, the handle becomes
 * invalid (EXODB_BAD_TREE).  Handles stay valid until exodb_close (or
 * the tree is dropped) and may be used by any transaction.
 * @param[in]  t      the transaction
 * @param[in]  name   1..EXODB_NAME_MAX bytes, or NULL
 * @param[in]  flags  0 or EXODB_TREE_CREATE (read-write transactions)
 * @param[out] out    the tree
 * @return 0; EXODB_NOTFOUND (no such tree), EXODB_BAD_VALSIZE (bad
 *   name), EXODB_READONLY (create in a read-only transaction),
 *   EXODB_BAD_TXN, EXODB_CORRUPT, EXO_ENOSPC, EXO_EIO, EXO_ENOMEM. */
int exodb_tree_open(struct exodb_txn *t, const char *name, unsigned flags,
		    struct exodb_tree **out);

/* Empty a tree (del 0) or delete it (del 1: its handle becomes invalid
 * when t commits; the default tree cannot be deleted).  Its pages return
 * to the allocator at commit.
 * @param[in] t     a read-write transaction
 * @param[in] tree  the tree
 * @param[in] del   0: empty it, 1: delete it
 * @return 0; EXO_EINVAL (deleting the default tree), EXODB_READONLY,
 *   EXODB_BAD_TREE, EXODB_BAD_TXN, EXODB_CORRUPT, EXO_EIO, EXO_ENOMEM. */
int exodb_tree_drop(struct exodb_txn *t, struct exodb_tree *tree, int del);

/* Called by exodb_tree_names for each tree; non-zero stops the walk and
 * becomes its result. */
typedef int (*exodb_name_fn)(void *arg, const char *name);

/* Call fn for the name of every named tree (not the default tree), in
 * memcmp order, as t sees the catalog.
 * @param[in] t    the transaction
 * @param[in] fn   the callback
 * @param[in] arg  passed to fn
 * @return 0, fn's non-zero result; EXODB_CORRUPT, EXO_EIO, EXO_ENOMEM. */
int exodb_tree_names(struct exodb_txn *t, exodb_name_fn fn, void *arg);

/* ---- get, put, del ---- */

/* Look up key.
 * @param[in]  t     the transaction
 * @param[in]  tree  the tree
 * @param[in]  key   the key
 * @param[out] val   the value (valid until the next exodb_get on t)
 * @return 0; EXODB_NOTFOUND, EXODB_BAD_VALSIZE (bad key size),
 *   EXODB_BAD_TREE, EXODB_BAD_TXN, EXODB_CORRUPT, EXO_ECORRUPT (a page
 *   fails its checksum), EXO_EIO, EXO_ENOMEM. */
int exodb_get(struct exodb_txn *t, struct exodb_tree *tree,
	      const struct exodb_val *key, struct exodb_val *val);

/* exodb_put flags */
#define EXODB_NOOVERWRITE 0x10 /* fail with EXODB_KEYEXIST if key exists */
#define EXODB_APPEND      0x20 /* key is above every key in the tree
				* (sorted bulk load): pages are filled
				* completely; EXODB_KEYEXIST otherwise */

/* Store key -> val, replacing an existing value (an update of a value of
 * the same size is done in place, and logs only the changed bytes).
 * @param[in] t      a read-write transaction
 * @param[in] tree   the tree
 * @param[in] key    1..EXODB_MAXKEYSIZE bytes
 * @param[in] val    0..EXODB_MAXVALSIZE bytes
 * @param[in] flags  0, EXODB_NOOVERWRITE, EXODB_APPEND
 * @return 0; EXODB_KEYEXIST, EXODB_BAD_VALSIZE, EXODB_READONLY,
 *   EXODB_BAD_TREE, EXODB_BAD_TXN, EXODB_TXN_FULL, EXODB_CORRUPT,
 *   EXO_ENOSPC (disk full), EXO_EIO, EXO_ENOMEM. */
int exodb_put(struct exodb_txn *t, struct exodb_tree *tree,
	      const struct exodb_val *key, const struct exodb_val *val,
	      unsigned flags);

/* Delete key.
 * @param[in] t     a read-write transaction
 * @param[in] tree  the tree
 * @param[in] key   the key
 * @return 0; EXODB_NOTFOUND, EXODB_BAD_VALSIZE, EXODB_READONLY,
 *   EXODB_BAD_TREE, EXODB_BAD_TXN, EXODB_TXN_FULL, EXODB_CORRUPT,
 *   EXO_EIO, EXO_ENOMEM. */
int exodb_del(struct exodb_txn *t, struct exodb_tree *tree,
	      const struct exodb_val *key);

/* ---- cursors ---- */

enum exodb_cursor_op {
	EXODB_FIRST,       /* the first key */
	EXODB_LAST,        /* the last key */
	EXODB_NEXT,        /* the next key (FIRST if unpositioned) */
	EXODB_PREV,        /* the previous key (LAST if unpositioned) */
	EXODB_SET,         /* exactly *key */
	EXODB_SET_RANGE,   /* the first key >= *key */
	EXODB_GET_CURRENT, /* the current key again */
};

/* Open a cursor on tree; it is freed by exodb_cursor_close or at the end
 * of its transaction.  In a read-write transaction a cursor sees the
 * transaction's changes, including those made after it was positioned.
 * @param[in]  t     the transaction
 * @param[in]  tree  the tree
 * @param[out] out   the cursor
 * @return 0; EXODB_BAD_TREE, EXODB_BAD_TXN, EXO_EINVAL, EXO_ENOMEM. */
int exodb_cursor_open(struct exodb_txn *t, struct exodb_tree *tree,
		      struct exodb_cursor **out);

/* Move the cursor and return the key and value there.  For EXODB_SET and
 * EXODB_SET_RANGE, *key is the input.  After EXODB_NOTFOUND the cursor
 * keeps its previous position (NEXT at the end stays at the end).
 * @param[in]     c    the cursor
 * @param[in,out] key  the key found (may be NULL, except SET/SET_RANGE)
 * @param[out]    val  the value (may be NULL)
 * @param[in]     op   the move
 * @return 0; EXODB_NOTFOUND, EXO_EINVAL (bad op, GET_CURRENT
 *   unpositioned), EXODB_BAD_VALSIZE, EXODB_BAD_TREE, EXODB_BAD_TXN,
 *   EXODB_CORRUPT, EXO_ECORRUPT, EXO_EIO, EXO_ENOMEM. */
int exodb_cursor_get(struct exodb_cursor *c, struct exodb_val *key,
		     struct exodb_val *val, enum exodb_cursor_op op);

/* Free a cursor (NULL: nothing). */
void exodb_cursor_close(struct exodb_cursor *c);

/* ---- statistics and verification ---- */

struct exodb_stat {
	/* the tree (all zero when no tree was given) */
	uint32_t depth;          /* levels: 1 for a lone leaf root */
	uint64_t branch_pages, leaf_pages, overflow_pages;
	uint64_t entries;
	uint64_t bytes_used;     /* bytes of cells and slots in tree pages */
	/* the store */
	uint64_t cache_hits, cache_misses, cache_evictions, cache_writebacks;
	uint64_t cache_pages, cache_dirty;
	uint64_t wal_records, wal_bytes, wal_flushes, wal_commits;
	uint64_t wal_commit_waits;
	uint64_t disk_blocks, disk_free; /* in the allocator's chunks */
};

/* Statistics of a tree (walking its pages inside one read section: it
 * delays commits' installs for the walk) and of the store.
 * @param[in]  t     the transaction
 * @param[in]  tree  the tree, or NULL for the store's counters only
 * @param[out] st    the statistics
 * @return 0; EXODB_BAD_TREE, EXODB_BAD_TXN, EXODB_CORRUPT, EXO_EIO,
 *   EXO_ENOMEM. */
int exodb_stat(struct exodb_txn *t, struct exodb_tree *tree,
	       struct exodb_stat *st);

struct exodb_check_report {
	uint64_t trees;          /* named trees, plus the default tree */
	uint64_t branch_pages, leaf_pages, overflow_pages;
	uint64_t entries;
	uint64_t underfull_pages; /* non-root pages less than 1/4 used */
	uint32_t max_depth;
	uint64_t bad_block;      /* the block at fault, or UINT64_MAX */
	char problem[256];       /* what is wrong ("" when nothing) */
};

/* Verify the whole store: the store's own structures and allocator
 * (dblibos store_check: every block used once or free, the log), every
 * page's checksum (read through the cache), and every tree: page format,
 * key order within and across pages, uniform depth, non-empty pages,
 * overflow chains.  Writers wait while it runs (it holds the store's
 * writer lock); readers go on.
 * @param[in]  db  the store
 * @param[out] r   what was found (may be NULL)
 * @return 0 (consistent); EXODB_CORRUPT or EXO_ECORRUPT (r->problem
 *   says what, r->bad_block where), EXO_EIO, EXO_ENOMEM. */
int exodb_check(struct exodb *db, struct exodb_check_report *r);

/* "EXODB_NAME: text" for an engine code, "EXO_NAME: text" for a code of
 * the layers below, "EXODB_SUCCESS: ..." for 0; never NULL. */
const char *exodb_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
