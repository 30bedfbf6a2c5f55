/*
 * cache.h: the buffer cache, over exo pages.
 *
 * The cache owns a fixed budget of exo pages and maps disk blocks into
 * them.  To use a block, cache_get it (the frame is pinned: it stays
 * resident), latch it shared to read or exclusive to change, and
 * cache_put it when done.  After changing a page under its exclusive
 * latch, log the change, then cache_dirty(p, lsn) with the LSN just past
 * the log record: the page reaches disk only after the log is durable up
 * to that LSN (the WAL rule; cache.c calls wal_flush before writing).
 *
 * Every cached block begins with a 16-byte header the cache owns
 * (struct cache_hdr): a CRC32C of the block, set at write-back and checked
 * at read (a mismatch is EXO_ECORRUPT, naming the block), and the page LSN
 * (recovery redoes a logged change only if the page is older).  A block of
 * all zeros (never written) reads as a valid empty page with LSN 0.
 * Callers use bytes [CACHE_HDR, 4096).
 *
 * Replacement is the libOS's choice and pluggable: the default is
 * scan-resistant (2Q: blocks seen once wait in a small FIFO and only
 * blocks used again enter the main CLOCK), CLOCK is the simple
 * alternative.  Dirty victims are written back in batches through
 * asynchronous exo I/O.  The cache answers revocation requests on the info
 * page by evicting pages of its choosing and freeing them to the kernel.
 * Only cache.c (and the WAL) submit data I/O.
 */
#ifndef DBLIBOS_CACHE_H
#define DBLIBOS_CACHE_H

#include "dio.h"
#include "exo.h"
#include "wal.h"

#define CACHE_HDR 16

struct cache_hdr {
	uint32_t crc;   /* CRC32C of the block with crc = 0 */
	uint32_t flags; /* 0 */
	lsn_t    lsn;   /* LSN of the last logged change */
};

enum cache_policy { CACHE_2Q = 0, CACHE_CLOCK = 1 };

struct cache_opts {
	uint64_t npages;         /* page budget (0: 4096, 16 MiB) */
	enum cache_policy policy;
};

struct cache_stats {
	uint64_t hits, misses, evictions, writebacks, prefetched;
	uint64_t revoked; /* pages given back to the kernel */
	uint64_t npages, dirty;
};

struct cache;
struct cpage;

/* w may be NULL (no WAL rule: for tests and read-only inspection). */
int cache_open(struct exo *e, struct dio *d, struct wal *w,
	       const struct cache_opts *o, struct cache **out);
/* Writes back nothing: call cache_flush_all first to keep dirty pages. */
void cache_close(struct cache *c);

#define CACHE_NEW 0x1 /* the block is new: do not read it, start zeroed */

/* Pin block bno (reading it unless CACHE_NEW).  EXO_ECORRUPT (checksum),
 * EXO_EIO, EXO_EPERM (not our block), EXO_ENOMEM (every frame pinned). */
int cache_get(struct cache *c, exo_bno bno, unsigned flags,
	      struct cpage **out);
void cache_put(struct cache *c, struct cpage *p);

void cache_latch(struct cpage *p, int exclusive);
void cache_unlatch(struct cpage *p, int exclusive);
void *cpage_data(struct cpage *p); /* the whole 4 KiB block */
exo_bno cpage_bno(const struct cpage *p);
lsn_t cpage_lsn(const struct cpage *p);

/* Mark a pinned, exclusively latched page dirty; its LSN becomes lsn. */
void cache_dirty(struct cache *c, struct cpage *p, lsn_t lsn);

/* Start reading n blocks from bno into the cache (no pins); for scans. */
int cache_prefetch(struct cache *c, exo_bno bno, uint32_t n);

/* Write back every dirty page (obeying the WAL rule), then FLUSH the
 * device.  For checkpoints and close. */
int cache_flush_all(struct cache *c);

/* Drop blocks [bno, bno+n) without writing them back (they were freed).
 * Pinned frames in the range are an error (EXO_EINVAL). */
int cache_forget(struct cache *c, exo_bno bno, uint64_t n);

/* Give pages back if the kernel asks (info page revoke_pages); called by
 * cache_get on its own, may be called by a background thread. */
int cache_answer_revocation(struct cache *c);

void cache_get_stats(struct cache *c, struct cache_stats *s);

#endif
