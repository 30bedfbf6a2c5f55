/*
 * iocheck.c: checking I/O requests before any of them starts.
 *
 * core_io_check is the gate of the data path: a batch is accepted whole or
 * not at all.  Each request must have a known op, zero flags and padding,
 * 1..EXO_IO_MAXBLOCKS blocks, blocks the disk owner owns and pages the
 * environment owns.  Requests must also not conflict, within the batch or
 * with what is in flight (struct core_inflight, filled by
 * core_inflight_add as requests are started and emptied by
 * core_inflight_done as they complete).  Two requests conflict when
 *   - their block ranges overlap and one of them writes (the result would
 *     depend on the order the device runs them in), or
 *   - their page ranges overlap and one of them reads (the device writes
 *     into the pages of a read while the other request uses them).
 * FLUSH takes no blocks or pages (its bno, n and ppn are ignored) and
 * conflicts with nothing, but it does take a slot in flight.
 *
 * The cost is O(batch * (batch + slots in flight)): at most a few million
 * comparisons for a full batch against a full queue.
 */
#include "core.h"

/* 1 if [a, a+an) and [b, b+bn) share a number (no overflow). */
static int ranges_meet(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b ? b - a < an : a - b < bn;
}

static int conflict(const struct exo_ioreq *a, const struct exo_ioreq *b)
{
	if (a->op == EXO_OP_FLUSH || b->op == EXO_OP_FLUSH)
		return 0;
	if ((a->op == EXO_OP_WRITE || b->op == EXO_OP_WRITE) &&
	    ranges_meet(a->bno, a->n, b->bno, b->n))
		return 1;
	if ((a->op == EXO_OP_READ || b->op == EXO_OP_READ) &&
	    ranges_meet(a->ppn, a->n, b->ppn, b->n))
		return 1;
	return 0;
}

/* One request on its own: its fields, and ownership of blocks and pages. */
static int req_check(const struct core_disk *d, uint32_t owner,
		     const struct core_pages *p, uint32_t env,
		     const struct exo_ioreq *r)
{
	int rc;

	if (r->flags || r->_pad)
		return EXO_EINVAL;
	if (r->op == EXO_OP_FLUSH)
		return 0;
	if (r->op != EXO_OP_READ && r->op != EXO_OP_WRITE)
		return EXO_EINVAL;
	if (r->n == 0 || r->n > EXO_IO_MAXBLOCKS)
		return EXO_EINVAL;
	rc = core_block_check(d, owner, r->bno, r->n);
	return rc ? rc : core_page_check(p, env, r->ppn, r->n);
}

int core_io_check(const struct core_disk *d, uint32_t owner,
		  const struct core_pages *p, uint32_t env,
		  const struct core_inflight *f, const struct exo_ioreq *reqs,
		  uint32_t n)
{
	uint32_t i, j;
	int rc;

	if (!d || !p || !f || !reqs || n == 0 || n > EXO_IO_MAXBATCH)
		return EXO_EINVAL;
	if (f->n > f->cap || n > f->cap - f->n)
		return EXO_EAGAIN;
	for (i = 0; i < n; i++) {
		rc = req_check(d, owner, p, env, &reqs[i]);
		if (rc)
			return rc;
		for (j = 0; j < i; j++)
			if (conflict(&reqs[i], &reqs[j]))
				return EXO_EOVERLAP;
		for (j = 0; j < f->cap; j++)
			if (f->used[j] && conflict(&reqs[i], &f->req[j]))
				return EXO_EOVERLAP;
	}
	return 0;
}

int core_inflight_add(struct core_inflight *f, const struct exo_ioreq *r)
{
	uint32_t s;

	for (s = 0; s < f->cap; s++) {
		if (!f->used[s]) {
			f->req[s] = *r;
			f->used[s] = 1;
			f->n++;
			return (int)s;
		}
	}
	return EXO_EAGAIN;
}

void core_inflight_done(struct core_inflight *f, uint32_t slot)
{
	if (slot < f->cap && f->used[slot]) {
		f->used[slot] = 0;
		f->n--;
	}
}

int core_inflight_busy(const struct core_inflight *f, exo_bno bno,
		       uint64_t nb, exo_ppn ppn, uint64_t np)
{
	uint32_t s;
	const struct exo_ioreq *r;

	for (s = 0; s < f->cap; s++) {
		r = &f->req[s];
		if (!f->used[s] || r->op == EXO_OP_FLUSH)
			continue;
		if (nb && ranges_meet(r->bno, r->n, bno, nb))
			return EXO_EBUSY;
		if (np && ranges_meet(r->ppn, r->n, ppn, np))
			return EXO_EBUSY;
	}
	return 0;
}
