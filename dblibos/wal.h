/*
 * wal.h: the write-ahead log.
 *
 * The log is a circular run of blocks the store owns.  Positions in it are
 * LSNs: byte offsets in the endless log stream; LSN l lives in block
 * start + (l / 4096) % nblocks at offset l % 4096.  The log holds records;
 * a record is the unit of atomicity: the changes of one transaction (or
 * one object batch) go into ONE record, as a sequence of typed ops, and
 * recovery hands back whole records only.
 *
 * Record (8-byte aligned; all integers little-endian):
 *
 *   struct wal_rec header (40 bytes), then len bytes of payload, padding to 8
 *   payload = ops, each: struct wal_op header (8 bytes), len bytes, pad to 8
 *
 * A record is valid when its lsn field equals its position, its CRC32C
 * (header with crc = 0, then payload) matches, and its epoch is not lower
 * than the previous record's.  The epoch is the store's open count: every
 * open writes a new, higher epoch to the superblock before appending, so a
 * stale record left beyond the end of the log by a torn flush of an earlier
 * life can never be mistaken for a new one.  Every record also carries the
 * durable LSN at the time it was appended: when recovery meets a bad
 * record but a valid later one says the bad position was already durable,
 * the log is corrupt (a bit flip in acknowledged data), not torn, and
 * recovery fails with EXO_ECORRUPT naming the block instead of silently
 * dropping acknowledged commits.
 *
 * Group commit: appends copy into an in-memory buffer of exo pages under a
 * short lock.  wal_commit(lsn) waits until the log is durable up to lsn;
 * the first waiter with no flush in progress becomes the flusher: it
 * writes every buffered block up to the current end (the partial last
 * block from a private copy), reaps, FLUSHes, advances the durable LSN and
 * wakes everyone it covered.  Appends go on while a flush is in flight.
 * Only wal.c writes log blocks.
 */
#ifndef DBLIBOS_WAL_H
#define DBLIBOS_WAL_H

#include "dio.h"
#include "exo.h"

typedef uint64_t lsn_t;

struct wal_rec {
	uint32_t crc;     /* CRC32C of header (crc = 0) and payload */
	uint32_t len;     /* payload bytes */
	lsn_t    lsn;     /* this record's position */
	lsn_t    durable; /* log durable up to here when this was appended */
	uint32_t epoch;   /* store's open count; non-decreasing along the log */
	uint16_t type;    /* WAL_REC_* */
	uint16_t flags;   /* 0 */
	uint64_t _reserved;
};

enum { WAL_REC_BATCH = 1 }; /* payload is a sequence of ops */

struct wal_op {
	uint16_t type; /* the owning module's op code, see below */
	uint16_t flags;
	uint32_t len;  /* bytes after this header (before padding) */
};

/* Op type ranges: each module redoes its own. */
#define WAL_OP_STORE  0x0100 /* store.c */
#define WAL_OP_BALLOC 0x0200 /* balloc.c */
#define WAL_OP_OBJ    0x0300 /* obj.c */
#define WAL_OP_PAGE   0x0400 /* generic page redo: cache pages (dblibos) */
#define WAL_OP_ENGINE 0x1000 /* engine/, 0x1000..0x1fff */

/* A batch under construction: ops appended in memory, then wal_append. */
struct walbatch {
	uint8_t *buf;
	size_t len, cap;
	uint32_t nops;
};

void walbatch_init(struct walbatch *b);
void walbatch_reset(struct walbatch *b);
void walbatch_free(struct walbatch *b);
/* Append an op; returns a pointer to its len payload bytes (to fill) or
 * NULL when out of memory.  walbatch_add copies p in. */
void *walbatch_op(struct walbatch *b, uint16_t type, uint32_t len);
int walbatch_add(struct walbatch *b, uint16_t type, const void *p,
		 uint32_t len);

/* Iterate the ops of a batch payload (from recovery): returns the next op
 * and its payload, NULL at the end; EXO_ECORRUPT through *err if the ops
 * do not add up. */
const struct wal_op *wal_op_next(const void *payload, uint32_t len,
				 uint32_t *off, int *err);

struct wal;

struct wal_opts {
	exo_bno start;      /* the log region: blocks [start, start+nblocks) */
	uint64_t nblocks;   /* at least 16 */
	uint32_t buf_pages; /* in-memory buffer (0: 1024 pages, 4 MiB) */
	int lazy;           /* durability lazy: commit does not wait */
	uint32_t lazy_ms;   /* lazy: flush at least this often (0: 10 ms) */
};

struct wal_stats {
	uint64_t records, bytes; /* appended */
	uint64_t flushes;        /* device flushes issued by the log */
	uint64_t blocks_written;
	uint64_t commits;        /* wal_commit calls */
	uint64_t commit_waits;   /* commits that had to wait for a flush */
};

int wal_open(struct exo *e, struct dio *d, const struct wal_opts *o,
	     struct wal **out);
/* Stops the lazy flusher, flushes everything appended, frees. */
int wal_close(struct wal *w);

/* Recovery: FLUSH the device (so every record the scan reads is
 * durable, even one a crashed process left in the device's cache), scan
 * from lsn `from` (whose records must have epoch >= from_epoch and <=
 * max_epoch), call apply for each valid record in order, stop at the end
 * of the log.  Then the log is positioned at the end; appends are refused
 * until wal_start.  apply's non-zero return stops recovery with that
 * error.  While apply runs, wal_flush(lsn) returns 0 at once for lsn up
 * to the end of the record being applied (it is durable), so a cache may
 * write back pages recovery redoes. */
typedef int (*wal_apply_fn)(void *ctx, lsn_t lsn, uint16_t type,
			    const void *payload, uint32_t len);
int wal_recover(struct wal *w, lsn_t from, uint32_t from_epoch,
		uint32_t max_epoch, wal_apply_fn apply, void *ctx);
/* After wal_recover returned EXO_ECORRUPT: the log block holding the bad
 * record (EXO_BNO_NONE otherwise). */
exo_bno wal_bad_block(struct wal *w);
/* Start appending at the end found by recovery, with epoch (which the
 * caller has made durable, higher than max_epoch). */
int wal_start(struct wal *w, uint32_t epoch);
/* After wal_recover: the epoch of the last valid record (from_epoch if
 * none); wal_start needs a higher one. */
uint32_t wal_last_epoch(struct wal *w);

/* Append b as one record; *end is the LSN just past it (what to commit).
 * Waits for log space when the log is full (EXO_ENOSPC if the record can
 * never fit: larger than a quarter of the log). */
int wal_append(struct wal *w, const struct walbatch *b, lsn_t *end);
/* full: wait until durable >= lsn.  lazy: return at once.  If a flush
 * fails (EXO_EIO) the log is broken: every later append, commit and flush
 * not already durable returns that error until the log is closed and
 * recovered again. */
int wal_commit(struct wal *w, lsn_t lsn);
/* Wait until durable >= lsn whatever the mode (the cache's WAL rule).
 * EXO_EINVAL past the end of the log (during recovery: past the record
 * being applied). */
int wal_flush(struct wal *w, lsn_t lsn);

lsn_t wal_end(struct wal *w);     /* next record's LSN */
lsn_t wal_durable(struct wal *w); /* durable up to here */
/* Log space before tail may be reused (after a checkpoint made it
 * unneeded); how full the log is, 0..100. */
void wal_set_tail(struct wal *w, lsn_t tail);
unsigned wal_fill_pct(struct wal *w);
void wal_get_stats(struct wal *w, struct wal_stats *s);

#endif
