/*
 * store.h: a store, its superblock, its transactions and its readers.
 *
 * A store is one exo owner (a capability) on a disk: everything the owner
 * has belongs to the store.  It is the unit upper layers (engine/,
 * sqlite-vfs/ through obj.h) open, change and close:
 *
 *   store_create(disk, cap, caplen, &opts, &s)  or  store_open(...)
 *   dtx_begin(s, &t);                       a write transaction
 *     dtx_page(t, bno, 0, &p);  ...change p...
 *     dtx_commit(t, &lsn);                  atomic, durable (mode "full")
 *   store_read_begin(s);                    a reader
 *     cache_get(store_cache(s), bno, 0, &pg); ...read...; cache_put(...)
 *   store_read_end(s);
 *   store_close(s);
 *
 * Disk layout (all the owner's blocks):
 *
 *   A, A+1     the superblock, two copies (A is the owner's root block)
 *   log        the WAL region (wal.h), one run
 *   chunks     runs granted by the kernel, sub-allocated by balloc.h;
 *              everything else (allocator directory, object directory,
 *              inodes, object data, engine pages) lives in chunks
 *
 * Superblock.  Both copies are cache blocks (cache.h: 16-byte header with
 * the cache's CRC32C and LSN) holding struct sb_disk at CACHE_HDR, with its
 * own magic, format version and CRC32C.  They are written alternately,
 * each write with a generation one higher; open takes the valid copy with
 * the higher generation, so a torn superblock write leaves the previous
 * one.  A superblock is written only by a checkpoint (create, open, the
 * checkpointer, close), never by a transaction: what transactions change
 * in it (the user roots) is logged and redone.
 *
 * Transactions (txn.c).  dtx_begin takes the store's writer mutex: writers
 * are serialized (like LMDB and SQLite) and readers never wait for them,
 * except for the short install at commit.  dtx_page gives a private shadow
 * copy of a block; readers keep seeing the committed frame.  dtx_commit
 * diffs every shadow against its committed frame and appends ONE log
 * record (the unit of atomicity) holding WAL_OP_PAGE ops (byte ranges, or
 * the whole page when it is new, mostly changed, or changed for the first
 * time since the last checkpoint began: the full-page image that makes a
 * page torn by a power cut recoverable), the logical ops of dtx_log and the
 * root changes.  Then, under the install lock held exclusively, it copies
 * the shadows into their frames and marks them dirty with the record's end
 * LSN, releases the writer mutex, and only then waits for durability
 * (group commit: the next writer proceeds meanwhile; safe, since a later
 * commit has a higher LSN and the log is durable in order).
 *
 * Readers.  A reader wraps each read operation in store_read_begin/end,
 * which hold the install lock shared: inside, cache_get + reading the
 * frame needs no latch and never sees half of a commit, since frames change
 * only during installs, which hold the lock exclusively.  Keep read
 * operations short (a commit's install waits for them), do not begin a
 * transaction or commit inside one, and do not keep pins after
 * store_read_end.
 *
 * Recovery (at open).  The log is replayed from the superblock's
 * checkpoint: WAL_OP_PAGE ops are redone on a page only if its LSN is
 * older than the record's end; root changes are redone; ops of upper
 * layers (type >= WAL_OP_ENGINE) go to the redo callback of the options.
 * A page that fails its checksum (torn by a cut) is skipped until a later
 * full-page image rebuilds it; if none does and the page is allocated,
 * the open fails with EXO_ECORRUPT naming the block (a free page may stay
 * torn: it is never read, and is written whole when allocated again).
 * Recovery needs no more memory than the cache: recovered pages are
 * written back whenever the cache needs room, like any dirty page (they
 * hold only changes of records already durable in the log; a page torn
 * by a cut during recovery is rebuilt from its full image by the next).
 * Then the store checkpoints (recovered pages written, new epoch in the
 * superblock) before it appends.  Read-only: recovery is done in memory
 * only and nothing is written, so every page it redoes stays pinned and
 * clean until close, in a cache enlarged by their number (counted by a
 * first pass over the log); more than store_opts.ro_max_pages of them
 * (default 262144, 1 GiB) fails the open with EXO_ENOMEM.
 *
 * Errors.  0 or a negative EXO_E* code.  If the log fails (EXO_EIO, or a
 * dead attachment after a power cut), the commit returns the error and the
 * store is broken: every later dtx_begin returns that error; close it and
 * open it again (recovery brings back every acknowledged commit).
 *
 * Thread safety: any number of threads may share one open store.
 */
#ifndef DBLIBOS_STORE_H
#define DBLIBOS_STORE_H

#include "cache.h"
#include "exo.h"
#include "wal.h"

#define STORE_SB_MAGIC  "EXODBSB1" /* 8 bytes, no NUL stored */
#define STORE_VERSION   1
#define STORE_NROOTS    16
#define STORE_LOG_BLOCKS 16384 /* default log: 64 MiB */

struct store;
struct dtx;

/* ---- the superblock, on disk at CACHE_HDR of blocks A and A+1 ---- */

struct sb_disk {
	char     magic[8];      /* STORE_SB_MAGIC */
	uint32_t version;       /* STORE_VERSION */
	uint32_t crc;           /* CRC32C of this struct with crc = 0 */
	uint64_t gen;           /* higher is newer; >= 1 */
	exo_bno  self;          /* the block holding this copy: A or A+1 */
	exo_bno  sb_a;          /* block A */
	uint32_t epoch;         /* open count; records carry it (wal.h) */
	uint32_t ckpt_epoch;    /* epoch of the records from ckpt_lsn on */
	lsn_t    ckpt_lsn;      /* recovery starts here */
	exo_bno  log_start;     /* the log region */
	uint64_t log_nblocks;
	exo_bno  balloc_root;   /* first page of the chunk directory */
	exo_bno  obj_root;      /* object directory root page */
	uint64_t created;       /* seconds since 1970 */
	uint64_t roots[STORE_NROOTS]; /* the engine's, see store_root_get */
	uint8_t  _reserved[128];
};

/* The decoded superblock (the same fields). */
struct store_sb {
	uint64_t gen;
	exo_bno self, sb_a;
	uint32_t epoch, ckpt_epoch;
	lsn_t ckpt_lsn;
	exo_bno log_start;
	uint64_t log_nblocks;
	exo_bno balloc_root, obj_root;
	uint64_t created;
	uint64_t roots[STORE_NROOTS];
};

/* Decode a superblock block (len EXO_BLOCK_SIZE bytes, as read through the
 * cache).  Pure: for tests and fuzzing.  EXO_ECORRUPT (no magic, bad CRC,
 * insane geometry), EXO_EVERSION (another format version), EXO_EINVAL. */
int sb_decode(const void *blk, size_t len, struct store_sb *out);
/* Encode sb into a block (len EXO_BLOCK_SIZE); bytes [0, CACHE_HDR) are
 * left alone. */
int sb_encode(const struct store_sb *sb, void *blk, size_t len);

/* ---- open and close ---- */

enum store_durability {
	STORE_FULL = 0, /* an acknowledged commit survives power loss */
	STORE_LAZY = 1, /* atomic and consistent; may lose the last commits */
};

/* Redo of an upper layer's logical op (type >= WAL_OP_ENGINE), called in
 * log order during recovery, before the record's page ops are redone.
 * lsn is the record's position.  Non-zero stops the open with that
 * error. */
typedef int (*store_redo_fn)(void *ctx, lsn_t lsn, uint16_t type,
			     const void *p, uint32_t len);

struct store_opts {
	int read_only;           /* recover in memory, write nothing */
	uint64_t cache_pages;    /* buffer cache budget (0: 4096, 16 MiB) */
	enum cache_policy policy;
	enum store_durability durability;
	const char *io;          /* hosted: "io_uring" (default), "libaio",
				  * "psync" */
	uint64_t log_blocks;     /* create: log size (0: STORE_LOG_BLOCKS),
				  * clamped to a quarter of the free disk */
	uint32_t log_buf_pages;  /* WAL buffer (0: wal.h's default) */
	uint32_t lazy_ms;        /* lazy: log flush interval (0: wal's) */
	store_redo_fn redo;      /* may be NULL */
	void *redo_ctx;
	int manual_ckpt;         /* tests: no background checkpoints and no
				  * checkpoint at close (the log is still
				  * flushed): the next open recovers */
	exo_bno *bad;            /* if set, store_open's EXO_ECORRUPT puts the
				  * block at fault here (or EXO_BNO_NONE) */
	uint64_t ro_max_pages;   /* read-only: the most pages recovery may
				  * keep in memory (0: 262144, 1 GiB) */
};

/* Create a store for capability cap on disk (an image file, a block
 * device or "fault:NAME", already formatted with exo_disk_format).  The
 * store is open on return.  opts may be NULL.  EXO_EEXIST (the owner has a
 * store), EXO_ENOSPC, EXO_EIO, EXO_ENOMEM, and exo_attach's errors. */
int store_create(const char *disk, const void *cap, size_t cap_len,
		 const struct store_opts *opts, struct store **out);

/* Open an existing store and recover it.  EXO_ENOENT (unknown capability
 * or no store), EXO_ECORRUPT (superblock, log, allocator or a recovered
 * page damaged; see store_bad_block), EXO_EVERSION, EXO_EIO, EXO_ENOMEM. */
int store_open(const char *disk, const void *cap, size_t cap_len,
	       const struct store_opts *opts, struct store **out);

/* Checkpoint (read-write stores, unless manual_ckpt), flush the log,
 * release everything.  Returns the first error met (the store is closed
 * anyway). */
int store_close(struct store *s);

/* Checkpoint now: flush the log and every dirty page, write the
 * superblock, let the log space be reused.  The background checkpointer
 * does this when the log is half full. */
int store_checkpoint(struct store *s);

/* After EXO_ECORRUPT from store_check: the block at fault, or
 * EXO_BNO_NONE (store_open reports it through store_opts.bad). */
exo_bno store_bad_block(struct store *s);

/* ---- roots: 16 words for the engine, kept in the superblock ---- */

/* The committed value of root idx (< STORE_NROOTS); EXO_EINVAL. */
int store_root_get(struct store *s, unsigned idx, uint64_t *out);

/* ---- readers ---- */

void store_read_begin(struct store *s);
void store_read_end(struct store *s);

/* ---- transactions (txn.c) ---- */

#define DTX_NEW 0x1 /* the block is new (just allocated): start zeroed,
		     * never read it */

/* Begin a write transaction (takes the writer mutex; waits for a
 * checkpoint first when the log is too full).  EXO_EPERM on a read-only
 * store, the store's error if it is broken. */
int dtx_begin(struct store *s, struct dtx **out);

/* A writable shadow of block bno (the whole 4 KiB block: change only
 * bytes [CACHE_HDR, 4096)), valid until commit or abort.  The first call
 * copies the committed frame (or zeroes it with DTX_NEW), later calls
 * return the same shadow.  bno must be a block allocated from balloc
 * (EXO_EINVAL otherwise, or if it is being freed in this transaction).
 * EXO_ECORRUPT, EXO_EIO, EXO_ENOMEM (cache full of pinned frames: the
 * transaction touches too many pages for the cache). */
int dtx_page(struct dtx *t, exo_bno bno, unsigned flags, void **data);

/* Read block bno as this transaction sees it: its shadow if it has one
 * (*pin = NULL), else the committed frame, pinned (*pin set).  Release
 * with dtx_unread(t, *pin) before the transaction ends. */
int dtx_read(struct dtx *t, exo_bno bno, struct cpage **pin,
	     const void **data);
void dtx_unread(struct dtx *t, struct cpage *pin);

/* Add a logical op of an upper layer to the record (type in
 * [WAL_OP_ENGINE, 0x1fff]); store_opts.redo gets it back at recovery. */
int dtx_log(struct dtx *t, uint16_t type, const void *p, uint32_t len);

/* Set root idx in this transaction (logged; committed with it), and read
 * it as this transaction sees it. */
int store_root_set(struct dtx *t, unsigned idx, uint64_t v);
int dtx_root_get(struct dtx *t, unsigned idx, uint64_t *out);

/* Commit: one log record, installed atomically, then (mode full) durable
 * before return.  *lsn (may be NULL) is the end of the record.  On error
 * nothing of the transaction is installed (EXO_ENOSPC: the record is
 * larger than a quarter of the log; EXO_ENOMEM), or, for a log failure
 * (EXO_EIO), the store is broken.  t is freed in every case. */
int dtx_commit(struct dtx *t, lsn_t *lsn);

/* Discard every change; t is freed. */
void dtx_abort(struct dtx *t);

struct store *dtx_store(struct dtx *t);

/* ---- for the modules built on transactions (balloc.c, obj.c, engine) ---- */

/* Per-transaction state of a module.  precommit runs first in commit,
 * upper slots first (ENGINE, OBJ, BALLOC), and may still change pages;
 * an error aborts the transaction.  install runs under the install lock
 * once the record is in the log (the shadows are in their frames).
 * finish runs last, after the writer mutex is released and the commit is
 * acknowledged (committed = 1, lsn = the record's end) or after an abort
 * (committed = 0); it frees the state. */
enum { DTX_SLOT_BALLOC, DTX_SLOT_OBJ, DTX_SLOT_ENGINE, DTX_NSLOTS };

struct dtx_ops {
	int (*precommit)(struct dtx *t, void *state);
	void (*install)(struct dtx *t, void *state, lsn_t lsn);
	void (*finish)(struct dtx *t, void *state, int committed, lsn_t lsn);
};

void *dtx_slot(struct dtx *t, int slot);
void dtx_set_slot(struct dtx *t, int slot, void *state,
		  const struct dtx_ops *ops);

/* Drop the shadows of blocks [bno, bno+n): they are being freed. */
void dtx_discard(struct dtx *t, exo_bno bno, uint64_t n);

/* The shadow of bno in t, or NULL. */
void *dtx_shadow(struct dtx *t, exo_bno bno);

/* A WAL_OP_PAGE op: redo of byte ranges of one block.
 *   struct pageop_hdr, then nranges x struct pageop_range, then the bytes
 *   of every range in order.  Ranges lie in [CACHE_HDR, 4096), ascending,
 *   disjoint.  PAGEOP_FULL: one range, the whole page. */
struct pageop_hdr {
	exo_bno  bno;
	uint16_t nranges;
	uint16_t flags;   /* PAGEOP_FULL */
	uint32_t _pad;
};
struct pageop_range {
	uint16_t off, len;
};
#define PAGEOP_FULL 0x1

/* Check a WAL_OP_PAGE payload (pure, for fuzzing): 0 or EXO_ECORRUPT;
 * its block and whether it is a full image through bno and full (either
 * may be NULL).  pageop_apply redoes a checked op on blk (4096 bytes). */
int pageop_check(const void *p, uint32_t len, exo_bno *bno, int *full);
void pageop_apply(const void *p, uint32_t len, void *blk);

/* Op types of the store itself. */
#define WAL_OP_ROOT (WAL_OP_STORE + 1) /* struct rootop: a root changed */
struct rootop {
	uint32_t idx;
	uint32_t _pad;
	uint64_t value;
};

/* The store's parts. */
struct exo *store_exo(struct store *s);
struct cache *store_cache(struct store *s);
struct wal *store_wal(struct store *s);
struct balloc *store_balloc(struct store *s);
const struct store_sb *store_sb(struct store *s);
int store_read_only(struct store *s);

/* Between txn.c and store.c.  writer_enter: wait while the log is too
 * full (checkpointing), then take the writer mutex (EXO_EPERM read-only,
 * the error of a broken store).  fpw_lsn: pages whose LSN is not above it
 * need a full image (the start of the last checkpoint).  install_roots:
 * under the install lock, the committed roots and end of log.  fail:
 * the log failed, the store is broken.  after_commit: wake the
 * checkpointer if the log is half full.  set_bad: the block at fault. */
int store_writer_enter(struct store *s);
void store_writer_exit(struct store *s);
void store_install_lock(struct store *s);
void store_install_unlock(struct store *s);
lsn_t store_fpw_lsn(struct store *s);
void store_install_roots(struct store *s, const uint64_t *roots,
			 uint32_t mask, lsn_t end);
void store_fail(struct store *s, int err);
void store_after_commit(struct store *s);
void store_set_bad(struct store *s, exo_bno bno);

/* ---- consistency check ---- */

/* store_check walks everything reachable and marks each block used; the
 * allocator's bitmaps must agree exactly (each block used once or free),
 * and the owner's extents must be exactly the superblock, the log and the
 * chunks.  Upper layers mark their own blocks through extra (may be
 * NULL), calling store_check_mark for each.  EXO_ECORRUPT (see
 * store_bad_block), EXO_EIO, EXO_ENOMEM. */
struct store_checker;
typedef int (*store_check_fn)(struct store *s, struct store_checker *c,
			      void *arg);
int store_check_mark(struct store_checker *c, exo_bno bno, uint64_t n);
int store_check(struct store *s, store_check_fn extra, void *arg);

#endif
