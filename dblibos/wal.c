/*
 * wal.c: the write-ahead log.  wal.h gives the record format and the
 * contract; this file keeps the log in a circular buffer of exo pages and
 * writes it out with group commit.
 *
 * Positions.  Every position is an LSN (a byte offset in the log stream):
 *
 *   tail <= durable <= end <= fill            synced <= fill
 *
 *   tail     space before it may be reused (wal_set_tail)
 *   durable  every record before it is on the media (a record boundary)
 *   synced   every byte before it is on the media (may be inside a record
 *            that is still being streamed into the buffer)
 *   end      just past the last complete record (wal_end)
 *   fill     just past the last byte copied into the buffer; fill > end
 *            only while an append is streaming a record
 *
 * The buffer.  Log block b (holding LSNs [b*4096, b*4096+4096)) lives in
 * buffer slot b % nslots while it is in the buffer.  An append copies at
 * fill and may only use slots of blocks that are not being written:
 * fill <= floor4k(synced) + nslots*4096.  A record that does not fit is
 * copied piece by piece, the appender flushing (or waiting for the flush
 * in progress) to make room: records larger than the buffer stream
 * through it.  While one append is copying, no other starts (appending),
 * so records never interleave even when the lock is released.  An
 * append also waits while the log region is full:
 * end + size - tail > nblocks*4096 - 4096 (the block holding the tail is
 * never overwritten).
 *
 * Group commit.  One flush round at a time (flushing): the flusher
 * snapshots fill and end, releases the lock, writes every block from
 * floor4k(synced) up to fill (full blocks straight from the buffer, the
 * partial last block from a private staging page, since appends go on
 * copying into its slot), in requests of up to EXO_IO_MAXBLOCKS blocks,
 * all in flight together; reaps them; issues one EXO_OP_FLUSH; then sets
 * synced and durable to its snapshots and wakes everyone.  A committer
 * that finds durable short of its LSN becomes the flusher if nobody is,
 * else sleeps until the round ends.  When the flusher's own LSN is covered
 * but waiters that arrived during its round are not, it goes on flushing
 * (up to WAL_FLUSH_ROUNDS rounds in all, then it hands over to them).
 * Each record carries the durable LSN of its append, a record boundary,
 * which recovery uses to tell a torn tail from corruption.
 *
 * Lazy mode.  A background thread runs a round every lazy_ms, or as soon
 * as the buffer is half full; wal_commit returns at once, wal_flush waits.
 *
 * Errors.  If a flush round fails (EXO_EIO, or a dead attachment after a
 * power cut), the log is broken: the error is returned by that commit and
 * by every later wal_append, wal_commit and wal_flush, and by wal_close.
 * (A commit or flush whose LSN was durable before the failure still
 * returns 0.)  What is durable stays durable; the only way on is to close
 * the log and recover it again (after reattaching).
 *
 * Recovery.  wal_recover reads the log through the same buffer (slot
 * b % nslots for block b), nslots blocks at a time, and checks each record
 * (lsn == position, length at most a quarter of the log, epoch within
 * [previous record's, max_epoch], CRC32C).  The first bad record is the
 * end, unless a valid record (lsn == its position, CRC good, epoch in
 * range) at an 8-byte aligned position within one buffer and one block
 * after it says the log was durable past it: then a flip hit
 * acknowledged data and recovery fails with EXO_ECORRUPT, wal_bad_block
 * naming the block that holds the bad record's position.  The window
 * suffices for a writer with the same buffer size: the first record
 * appended after the bad one became durable lies within it.  apply gets
 * each record's own LSN (its position; it ends at that plus the 40-byte
 * header plus the payload padded to 8).  Finally the valid prefix of the
 * last, partial block stays in its slot so appends continue in it.
 *
 * Recovery and the WAL rule.  Before it reads anything, wal_recover
 * FLUSHes the device: after a process crash (not a power cut) the records
 * it is about to read may still sit in the device's volatile cache, and
 * could vanish at a later power cut; after the FLUSH, everything the scan
 * reads is durable, and so is what recovery found before anything new is
 * stamped with it.  While the scan runs (scanning), each record counts as
 * durable from the moment it is read and checked, before apply sees it
 * (scanned: the end of that record), so wal_flush(lsn) returns 0 at once
 * for lsn <= scanned and EXO_EINVAL beyond: the cache may write back a
 * page recovery has redone as soon as its LSN is covered, like any other
 * dirty page.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "wal.h"

#define BLK              4096u
#define HDR              ((uint64_t)sizeof(struct wal_rec))
#define WAL_FLUSH_ROUNDS 4   /* most rounds one flusher runs in a row */
#define WAL_SUBMIT_MAX   256 /* requests per dio_submit call */

EXO_STATIC_ASSERT(sizeof(struct wal_rec) == 40, "wal_rec is 40 bytes");
EXO_STATIC_ASSERT(sizeof(struct wal_op) == 8, "wal_op is 8 bytes");

struct wal {
	struct exo *e;
	struct dio *d;
	exo_bno start;     /* the log region */
	uint64_t nblocks;
	uint64_t logbytes; /* nblocks * 4096 */
	uint64_t logmax;   /* end - tail never exceeds this */
	uint64_t maxrec;   /* largest record, header included */
	int lazy;
	uint32_t lazy_ms;

	uint32_t nslots; /* the buffer: nslots pages */
	uint64_t bufbytes;
	exo_ppn *slot_ppn;
	uint8_t **slot_addr;
	exo_ppn stage_ppn; /* copy of the partial last block being written */
	uint8_t *stage;
	struct exo_ioreq *reqs; /* nslots + 1: the flusher's or recovery's */

	dl_mutex lock;
	dl_cond flush_cv; /* a flush round ended */
	dl_cond space_cv; /* an append ended, log space was freed */
	dl_cond lazy_cv;  /* work for the lazy flusher */
	lsn_t tail, durable, synced, end, fill;
	lsn_t need; /* highest LSN a committer has waited for */
	uint32_t epoch, max_epoch;
	int started, recovered, appending, flushing, closing, kick;
	int scanning;  /* wal_recover is applying records */
	lsn_t scanned; /* scanning: end of the last record read and checked */
	int broken; /* a flush failed: the error, sticky */
	exo_bno bad_block;
	struct wal_stats st;

	uint64_t rd_lo, rd_hi; /* recovery: blocks [rd_lo, rd_hi) loaded */
	uint8_t *rec;          /* recovery: the payload of a record */
	size_t rec_cap;

	dl_thread lazy_thr;
	int has_thr;
};

static uint64_t pad8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

static uint64_t rec_size(uint64_t len)
{
	return HDR + pad8(len);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint8_t *slot_of(const struct wal *w, uint64_t b)
{
	return w->slot_addr[b % w->nslots];
}

static exo_bno region_bno(const struct wal *w, uint64_t b)
{
	return w->start + b % w->nblocks;
}

/* ---- I/O ---- */

/*
 * Requests moving log blocks [b, b+n) (n <= nslots) to or from their
 * slots: runs contiguous both on disk and in pages, at most
 * EXO_IO_MAXBLOCKS long.  Returns how many requests it wrote to r.
 */
static uint32_t build_reqs(const struct wal *w, uint64_t b, uint64_t n,
			   uint8_t op, struct exo_ioreq *r)
{
	struct exo_ioreq *q;
	uint32_t k = 0;

	while (n > 0) {
		q = &r[k++];
		memset(q, 0, sizeof(*q));
		q->op = op;
		q->n = 1;
		q->bno = region_bno(w, b);
		q->ppn = w->slot_ppn[b % w->nslots];
		for (b++, n--; n > 0 && q->n < EXO_IO_MAXBLOCKS; b++, n--) {
			if (region_bno(w, b) != q->bno + q->n ||
			    w->slot_ppn[b % w->nslots] != q->ppn + q->n)
				break;
			q->n++;
		}
	}
	return k;
}

/* Submit n requests, all in flight together, and wait for them. */
static int run_io(struct wal *w, struct exo_ioreq *reqs, uint32_t n)
{
	struct dio_wait wt = { 0 };
	uint32_t i, k;
	int rc = 0, wrc;

	for (i = 0; i < n && rc == 0; i += k) {
		k = (uint32_t)min64(n - i, WAL_SUBMIT_MAX);
		rc = dio_submit(w->d, reqs + i, k, &wt);
	}
	wrc = dio_wait(w->d, &wt);
	return rc ? rc : wrc;
}

static int flush_device(struct wal *w)
{
	struct exo_ioreq r = { .op = EXO_OP_FLUSH, .n = 1, .bno = w->start,
			       .ppn = w->stage_ppn };

	return run_io(w, &r, 1);
}

/*
 * Write the log bytes [from, to) (whole blocks, the last one from the
 * staging page if partial), then flush the device.  Called by the flusher
 * without the lock: appends only touch bytes at or after to.
 */
static int write_range(struct wal *w, lsn_t from, lsn_t to, uint64_t *nblk)
{
	uint64_t b0 = from / BLK, bfull = to / BLK;
	uint32_t part = to % BLK, n;
	int rc;

	n = build_reqs(w, b0, bfull - b0, EXO_OP_WRITE, w->reqs);
	if (part) {
		memcpy(w->stage, slot_of(w, bfull), part);
		memset(w->stage + part, 0, BLK - part);
		w->reqs[n++] = (struct exo_ioreq){ .op = EXO_OP_WRITE, .n = 1,
						   .bno = region_bno(w, bfull),
						   .ppn = w->stage_ppn };
	}
	*nblk = bfull - b0 + (part != 0);
	rc = run_io(w, w->reqs, n);
	return rc ? rc : flush_device(w);
}

/*
 * One flush round: make everything appended so far durable.  Lock held on
 * entry and exit (released during the I/O); nobody else is flushing.
 */
static int flush_round(struct wal *w)
{
	lsn_t from = w->synced, to = w->fill, rec_to = w->end;
	uint64_t nblk = 0;
	int rc = 0;

	assert(!w->flushing);
	w->flushing = 1;
	if (to > from) {
		dl_unlock(&w->lock);
		rc = write_range(w, from, to, &nblk);
		dl_lock(&w->lock);
	}
	w->flushing = 0;
	if (rc < 0) {
		if (!w->broken)
			w->broken = rc;
	} else {
		w->synced = to;
		w->durable = rec_to;
		w->st.flushes += to > from;
		w->st.blocks_written += nblk;
	}
	dl_broadcast(&w->flush_cv);
	dl_broadcast(&w->space_cv);
	return rc;
}

/* Wait until durable >= lsn (<= end), flushing if nobody is.  Lock held. */
static int wait_durable(struct wal *w, lsn_t lsn)
{
	int rounds = 0;

	if (lsn > w->need)
		w->need = lsn;
	while (w->durable < lsn && !w->broken) {
		if (w->flushing) {
			dl_wait(&w->flush_cv, &w->lock);
			continue;
		}
		flush_round(w);
		rounds++;
	}
	while (rounds > 0 && rounds < WAL_FLUSH_ROUNDS && !w->broken &&
	       !w->flushing && w->need > w->durable) {
		flush_round(w);
		rounds++;
	}
	return w->durable >= lsn ? 0 : w->broken;
}

static void *lazy_main(void *arg)
{
	struct wal *w = arg;

	dl_lock(&w->lock);
	while (!w->closing) {
		if (!w->kick)
			dl_wait_ms(&w->lazy_cv, &w->lock, w->lazy_ms);
		w->kick = 0;
		if (!w->closing && !w->flushing && !w->broken &&
		    (w->synced < w->fill || w->durable < w->end))
			flush_round(w);
	}
	dl_unlock(&w->lock);
	return NULL;
}

/* ---- open and close ---- */

static int alloc_buffer(struct wal *w)
{
	uint64_t run = w->nslots, i;
	uint32_t have = 0;
	exo_ppn p;
	int rc;

	while (have < w->nslots) {
		run = min64(run, w->nslots - have);
		rc = exo_page_alloc(w->e, 0, run, &p);
		if (rc == EXO_ENOMEM && run > 1) {
			run /= 2;
			continue;
		}
		if (rc < 0)
			return rc;
		for (i = 0; i < run; i++, have++) {
			w->slot_ppn[have] = p + i;
			w->slot_addr[have] = exo_page_addr(w->e, p + i);
			if (!w->slot_addr[have])
				return EXO_EPERM;
		}
	}
	rc = exo_page_alloc(w->e, 0, 1, &w->stage_ppn);
	if (rc < 0)
		return rc;
	w->stage = exo_page_addr(w->e, w->stage_ppn);
	return w->stage ? 0 : EXO_EPERM;
}

/* Give back the buffer pages, in contiguous runs. */
static void free_buffer(struct wal *w)
{
	uint32_t i = 0, n;

	while (w->slot_ppn && i < w->nslots) {
		if (w->slot_ppn[i] == EXO_PPN_NONE) {
			i++;
			continue;
		}
		for (n = 1; i + n < w->nslots &&
			    w->slot_ppn[i + n] == w->slot_ppn[i] + n;
		     n++)
			;
		exo_page_free(w->e, w->slot_ppn[i], n);
		i += n;
	}
	if (w->stage_ppn != EXO_PPN_NONE)
		exo_page_free(w->e, w->stage_ppn, 1);
}

static void wal_free(struct wal *w)
{
	free_buffer(w);
	free(w->slot_ppn);
	free(w->slot_addr);
	free(w->reqs);
	free(w->rec);
	dl_cond_destroy(&w->lazy_cv);
	dl_cond_destroy(&w->space_cv);
	dl_cond_destroy(&w->flush_cv);
	dl_mutex_destroy(&w->lock);
	free(w);
}

static int wal_init(struct wal *w, const struct wal_opts *o)
{
	uint32_t i;

	w->start = o->start;
	w->nblocks = o->nblocks;
	w->logbytes = o->nblocks * BLK;
	w->logmax = w->logbytes - BLK;
	w->maxrec = w->logbytes / 4;
	w->lazy = o->lazy;
	w->lazy_ms = o->lazy_ms ? o->lazy_ms : 10;
	w->nslots = o->buf_pages ? o->buf_pages : 1024;
	if (w->nslots > o->nblocks)
		w->nslots = (uint32_t)o->nblocks;
	w->bufbytes = (uint64_t)w->nslots * BLK;
	w->bad_block = EXO_BNO_NONE;
	w->stage_ppn = EXO_PPN_NONE;
	w->slot_ppn = malloc(w->nslots * sizeof(*w->slot_ppn));
	w->slot_addr = calloc(w->nslots, sizeof(*w->slot_addr));
	w->reqs = malloc((w->nslots + 1) * sizeof(*w->reqs));
	if (!w->slot_ppn || !w->slot_addr || !w->reqs)
		return EXO_ENOMEM;
	for (i = 0; i < w->nslots; i++)
		w->slot_ppn[i] = EXO_PPN_NONE;
	return alloc_buffer(w);
}

int wal_open(struct exo *e, struct dio *d, const struct wal_opts *o,
	     struct wal **out)
{
	struct wal *w;
	int rc;

	if (!e || !d || !o || !out || o->nblocks < 16 ||
	    o->nblocks > (UINT64_MAX / BLK) / 4 ||
	    o->start + o->nblocks < o->start)
		return EXO_EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return EXO_ENOMEM;
	w->e = e;
	w->d = d;
	dl_mutex_init(&w->lock);
	dl_cond_init(&w->flush_cv);
	dl_cond_init(&w->space_cv);
	dl_cond_init(&w->lazy_cv);
	rc = wal_init(w, o);
	if (rc == 0 && w->lazy) {
		rc = dl_thread_create(&w->lazy_thr, lazy_main, w) ? EXO_ENOMEM
								  : 0;
		w->has_thr = rc == 0;
	}
	if (rc < 0) {
		wal_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int wal_close(struct wal *w)
{
	int rc;

	if (!w)
		return EXO_EINVAL;
	dl_lock(&w->lock);
	w->closing = 1;
	dl_signal(&w->lazy_cv);
	dl_unlock(&w->lock);
	if (w->has_thr)
		dl_thread_join(w->lazy_thr);
	dl_lock(&w->lock);
	rc = w->started ? wait_durable(w, w->end) : 0;
	if (rc == 0)
		rc = w->broken;
	dl_unlock(&w->lock);
	wal_free(w);
	return rc;
}

/* ---- appending ---- */

/* Make room in the buffer: flush, or wait for the flush going on. */
static int make_room(struct wal *w)
{
	if (w->flushing)
		dl_wait(&w->flush_cv, &w->lock);
	else
		flush_round(w);
	return w->broken;
}

/* Copy n bytes (zeros if src is NULL) into the buffer at fill.  Lock held
 * (released while making room); appending is set. */
static int put_bytes(struct wal *w, const void *src, uint64_t n)
{
	const uint8_t *s = src;
	uint64_t room, k;
	int rc;

	while (n > 0) {
		room = w->synced / BLK * BLK + w->bufbytes - w->fill;
		if (room == 0) {
			rc = make_room(w);
			if (rc < 0)
				return rc;
			continue;
		}
		k = min64(min64(n, room), BLK - w->fill % BLK);
		if (s) {
			memcpy(slot_of(w, w->fill / BLK) + w->fill % BLK, s, k);
			s += k;
		} else {
			memset(slot_of(w, w->fill / BLK) + w->fill % BLK, 0, k);
		}
		w->fill += k;
		n -= k;
	}
	return 0;
}

/* Wait for our turn to append a record of total bytes.  Lock held. */
static int wait_turn(struct wal *w, uint64_t total)
{
	for (;;) {
		if (w->broken)
			return w->broken;
		if (!w->started)
			return EXO_EINVAL;
		if (!w->appending && w->end + total - w->tail <= w->logmax)
			return 0;
		dl_wait(&w->space_cv, &w->lock);
	}
}

/* Build the header and copy the record in.  Lock held, our turn. */
static int append_locked(struct wal *w, const struct walbatch *b)
{
	struct wal_rec h;
	int rc;

	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)b->len;
	h.lsn = w->end;
	h.durable = w->durable;
	h.epoch = w->epoch;
	h.type = WAL_REC_BATCH;
	h.crc = crc32c(crc32c(0, &h, HDR), b->buf, b->len);
	w->appending = 1;
	rc = put_bytes(w, &h, HDR);
	if (rc == 0)
		rc = put_bytes(w, b->buf, b->len);
	if (rc == 0)
		rc = put_bytes(w, NULL, pad8(b->len) - b->len);
	w->appending = 0;
	dl_broadcast(&w->space_cv);
	if (rc < 0)
		return rc;
	w->end = w->fill;
	w->st.records++;
	w->st.bytes += rec_size(b->len);
	if (w->lazy && w->fill - w->synced / BLK * BLK >= w->bufbytes / 2) {
		w->kick = 1;
		dl_signal(&w->lazy_cv);
	}
	return 0;
}

int wal_append(struct wal *w, const struct walbatch *b, lsn_t *end)
{
	uint64_t total;
	int rc;

	if (!w || !b || !end || (b->len && !b->buf) || b->len > UINT32_MAX)
		return EXO_EINVAL;
	total = rec_size(b->len);
	if (total > w->maxrec)
		return EXO_ENOSPC;
	dl_lock(&w->lock);
	rc = wait_turn(w, total);
	if (rc == 0)
		rc = append_locked(w, b);
	if (rc == 0)
		*end = w->end;
	dl_unlock(&w->lock);
	return rc;
}

int wal_commit(struct wal *w, lsn_t lsn)
{
	int rc;

	if (!w)
		return EXO_EINVAL;
	dl_lock(&w->lock);
	w->st.commits++;
	if (lsn > w->end) {
		rc = EXO_EINVAL;
	} else if (w->lazy) {
		rc = w->broken;
	} else {
		w->st.commit_waits += w->durable < lsn;
		rc = wait_durable(w, lsn);
	}
	dl_unlock(&w->lock);
	return rc;
}

int wal_flush(struct wal *w, lsn_t lsn)
{
	int rc;

	if (!w)
		return EXO_EINVAL;
	dl_lock(&w->lock);
	if (w->scanning)
		rc = lsn > w->scanned ? EXO_EINVAL : 0;
	else
		rc = lsn > w->end ? EXO_EINVAL : wait_durable(w, lsn);
	dl_unlock(&w->lock);
	return rc;
}

/* ---- recovery ---- */

/* Make log block b readable in its slot: load nslots blocks from b.  Only
 * while nothing is appended (before wal_start). */
static int rd_need(struct wal *w, uint64_t b)
{
	uint32_t n;
	int rc;

	if (b >= w->rd_lo && b < w->rd_hi)
		return 0;
	n = build_reqs(w, b, w->nslots, EXO_OP_READ, w->reqs);
	rc = run_io(w, w->reqs, n);
	if (rc < 0) {
		w->rd_lo = w->rd_hi = 0;
		return rc;
	}
	w->rd_lo = b;
	w->rd_hi = b + w->nslots;
	return 0;
}

/* Copy the log bytes [pos, pos+n) to dst. */
static int rd_copy(struct wal *w, lsn_t pos, void *dst, uint64_t n)
{
	uint8_t *d = dst;
	uint64_t k;
	int rc;

	while (n > 0) {
		rc = rd_need(w, pos / BLK);
		if (rc < 0)
			return rc;
		k = min64(n, BLK - pos % BLK);
		memcpy(d, slot_of(w, pos / BLK) + pos % BLK, k);
		d += k;
		pos += k;
		n -= k;
	}
	return 0;
}

/*
 * Read the record at pos into *h and w->rec.  Returns 1 if it is valid
 * with an epoch in [lo, hi], 0 if not, or an I/O error.
 */
static int read_rec(struct wal *w, lsn_t pos, uint32_t lo, uint32_t hi,
		    struct wal_rec *h)
{
	uint32_t crc;
	uint8_t *p;
	int rc;

	rc = rd_copy(w, pos, h, HDR);
	if (rc < 0)
		return rc;
	if (h->lsn != pos || rec_size(h->len) > w->maxrec || h->epoch < lo ||
	    h->epoch > hi)
		return 0;
	if (h->len > w->rec_cap) {
		p = realloc(w->rec, h->len);
		if (!p)
			return EXO_ENOMEM;
		w->rec = p;
		w->rec_cap = h->len;
	}
	rc = rd_copy(w, pos + HDR, w->rec, h->len);
	if (rc < 0)
		return rc;
	crc = h->crc;
	h->crc = 0;
	rc = crc32c(crc32c(0, h, HDR), w->rec, h->len) == crc;
	h->crc = crc;
	return rc;
}

/* The record at bad is not valid: corruption if a valid later one says
 * bad was durable already. */
static int check_corrupt(struct wal *w, lsn_t bad, uint32_t lo, uint32_t hi)
{
	struct wal_rec h;
	lsn_t q;
	int rc;

	for (q = bad + 8; q <= bad + w->bufbytes + BLK; q += 8) {
		rc = rd_copy(w, q, &h, HDR);
		if (rc < 0)
			return rc;
		if (h.lsn != q || h.durable <= bad)
			continue;
		rc = read_rec(w, q, lo, hi, &h);
		if (rc < 0)
			return rc;
		if (rc == 1 && h.durable > bad) {
			w->bad_block = region_bno(w, bad / BLK);
			return EXO_ECORRUPT;
		}
	}
	return 0;
}

/* Position the log at end (everything before it durable), keeping the
 * valid prefix of its block in the buffer. */
static int position_at(struct wal *w, lsn_t tail, lsn_t end)
{
	uint8_t *slot;
	int rc;

	if (end % BLK) {
		rc = rd_need(w, end / BLK);
		if (rc < 0)
			return rc;
		slot = slot_of(w, end / BLK);
		memset(slot + end % BLK, 0, BLK - end % BLK);
	}
	dl_lock(&w->lock);
	w->tail = tail;
	w->durable = w->synced = w->end = w->fill = end;
	w->need = end;
	dl_unlock(&w->lock);
	return 0;
}

/* The record ending at lsn was read and checked: it is durable (the
 * device was flushed before the scan), wal_flush may say so. */
static void set_scanned(struct wal *w, lsn_t lsn)
{
	dl_lock(&w->lock);
	w->scanned = lsn;
	dl_unlock(&w->lock);
}

/* Scan from `from`, apply each valid record; the end through *end. */
static int scan(struct wal *w, lsn_t from, uint32_t *epoch, uint32_t hi,
		wal_apply_fn apply, void *ctx, lsn_t *end)
{
	struct wal_rec h;
	lsn_t pos = from;
	int rc;

	for (;;) {
		rc = read_rec(w, pos, *epoch, hi, &h);
		if (rc < 0)
			return rc;
		if (rc == 0 || pos + rec_size(h.len) - from > w->logmax)
			break;
		if (apply) {
			set_scanned(w, pos + rec_size(h.len));
			rc = apply(ctx, pos, h.type, w->rec, h.len);
			if (rc)
				return rc;
		}
		*epoch = h.epoch;
		pos += rec_size(h.len);
	}
	*end = pos;
	return 0;
}

int wal_recover(struct wal *w, lsn_t from, uint32_t from_epoch,
		uint32_t max_epoch, wal_apply_fn apply, void *ctx)
{
	uint32_t epoch = from_epoch;
	lsn_t end;
	int rc;

	if (!w || from % 8 || from_epoch > max_epoch)
		return EXO_EINVAL;
	dl_lock(&w->lock);
	rc = w->started ? EXO_EINVAL : 0;
	dl_unlock(&w->lock);
	if (rc < 0)
		return rc;
	w->bad_block = EXO_BNO_NONE;
	w->rd_lo = w->rd_hi = 0;
	rc = flush_device(w);
	if (rc == 0) {
		dl_lock(&w->lock);
		w->scanning = 1;
		w->scanned = from;
		dl_unlock(&w->lock);
		rc = scan(w, from, &epoch, max_epoch, apply, ctx, &end);
		dl_lock(&w->lock);
		w->scanning = 0;
		dl_unlock(&w->lock);
	}
	if (rc == 0)
		rc = check_corrupt(w, end, epoch, max_epoch);
	if (rc == 0)
		rc = position_at(w, from, end);
	free(w->rec);
	w->rec = NULL;
	w->rec_cap = 0;
	if (rc == 0) {
		w->max_epoch = epoch; /* the last valid record's: the highest */
		w->recovered = 1;
	}
	return rc;
}

uint32_t wal_last_epoch(struct wal *w)
{
	return w ? w->max_epoch : 0;
}

exo_bno wal_bad_block(struct wal *w)
{
	return w ? w->bad_block : EXO_BNO_NONE;
}

int wal_start(struct wal *w, uint32_t epoch)
{
	int rc = 0;

	if (!w)
		return EXO_EINVAL;
	dl_lock(&w->lock);
	if (w->started || (w->recovered && epoch <= w->max_epoch))
		rc = EXO_EINVAL;
	else {
		w->epoch = epoch;
		w->started = 1;
	}
	dl_unlock(&w->lock);
	return rc;
}

/* ---- positions and statistics ---- */

lsn_t wal_end(struct wal *w)
{
	lsn_t l;

	if (!w)
		return 0;
	dl_lock(&w->lock);
	l = w->end;
	dl_unlock(&w->lock);
	return l;
}

lsn_t wal_durable(struct wal *w)
{
	lsn_t l;

	if (!w)
		return 0;
	dl_lock(&w->lock);
	l = w->durable;
	dl_unlock(&w->lock);
	return l;
}

void wal_set_tail(struct wal *w, lsn_t tail)
{
	if (!w)
		return;
	dl_lock(&w->lock);
	if (tail > w->tail) {
		w->tail = min64(tail, w->end);
		dl_broadcast(&w->space_cv);
	}
	dl_unlock(&w->lock);
}

unsigned wal_fill_pct(struct wal *w)
{
	unsigned pct;

	if (!w)
		return 0;
	dl_lock(&w->lock);
	pct = (unsigned)((w->end - w->tail) * 100 / w->logbytes);
	dl_unlock(&w->lock);
	return pct;
}

void wal_get_stats(struct wal *w, struct wal_stats *s)
{
	if (!w || !s)
		return;
	dl_lock(&w->lock);
	*s = w->st;
	dl_unlock(&w->lock);
}

/* ---- batches ---- */

void walbatch_init(struct walbatch *b)
{
	memset(b, 0, sizeof(*b));
}

void walbatch_reset(struct walbatch *b)
{
	if (!b)
		return;
	b->len = 0;
	b->nops = 0;
}

void walbatch_free(struct walbatch *b)
{
	if (!b)
		return;
	free(b->buf);
	walbatch_init(b);
}

void *walbatch_op(struct walbatch *b, uint16_t type, uint32_t len)
{
	struct wal_op *op;
	size_t need = sizeof(*op) + pad8(len), cap;
	uint8_t *p;

	if (!b)
		return NULL;
	if (b->len + need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + need)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return NULL;
		b->buf = p;
		b->cap = cap;
	}
	op = (struct wal_op *)(b->buf + b->len);
	op->type = type;
	op->flags = 0;
	op->len = len;
	memset((uint8_t *)(op + 1) + len, 0, pad8(len) - len);
	b->len += need;
	b->nops++;
	return op + 1;
}

int walbatch_add(struct walbatch *b, uint16_t type, const void *p,
		 uint32_t len)
{
	void *dst;

	if (!b || (len && !p))
		return EXO_EINVAL;
	dst = walbatch_op(b, type, len);
	if (!dst)
		return EXO_ENOMEM;
	memcpy(dst, p, len);
	return 0;
}

const struct wal_op *wal_op_next(const void *payload, uint32_t len,
				 uint32_t *off, int *err)
{
	const struct wal_op *op;
	uint64_t next;

	if (!off || !err)
		return NULL;
	*err = 0;
	if (*off == len)
		return NULL;
	if (!payload || *off > len || *off % 8 || len - *off < sizeof(*op)) {
		*err = EXO_ECORRUPT;
		return NULL;
	}
	op = (const struct wal_op *)((const uint8_t *)payload + *off);
	next = *off + sizeof(*op) + pad8(op->len);
	if (next > len) {
		*err = EXO_ECORRUPT;
		return NULL;
	}
	*off = (uint32_t)next;
	return op;
}
