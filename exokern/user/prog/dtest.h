/*
 * dtest.h: helpers for the disk test programs (header only; include it in
 * one file per program, after utest.h).
 *
 *   dbuf_get(&b, n, va)     n physically contiguous pages of our own,
 *                           mapped writable at va: a DMA buffer
 *   dreq(op, bno, n, ppn, tag)   a request
 *   dio(op, bno, n, ppn)    one request, submitted and reaped: its result
 *   dfill/dcheck            a pattern that names its block, its owner's
 *                           seed and a round, so a block read back proves
 *                           where it came from
 *   dzero(va, n)            1 if n blocks at va are all zero bytes
 */
#ifndef EXOKERN_DTEST_H
#define EXOKERN_DTEST_H

#include "ulib.h"

struct dbuf {
	exo_ppn ppn;
	uint64_t *va;
	unsigned n;
};

#define WORDS_PER_BLOCK (EXO_BLOCK_SIZE / sizeof(uint64_t))

static inline int dbuf_get(struct dbuf *b, unsigned n, uint64_t va)
{
	int r = sys_page_alloc(0, n, &b->ppn);

	if (r)
		return r;
	b->va = (uint64_t *)va;
	b->n = n;
	return sys_page_map(b->ppn, b->va, n, EXO_MAP_W);
}

/* Block i of the buffer. */
static inline uint64_t *dblk(const struct dbuf *b, unsigned i)
{
	return b->va + (uint64_t)i * WORDS_PER_BLOCK;
}

static inline struct exo_ioreq dreq(int op, exo_bno bno, uint32_t n,
				    exo_ppn ppn, uint64_t tag)
{
	struct exo_ioreq r = {
		.op = (uint8_t)op, .n = n, .bno = bno, .ppn = ppn, .tag = tag};

	return r;
}

static inline int dio(int op, exo_bno bno, uint32_t n, exo_ppn ppn)
{
	struct exo_ioreq r = dreq(op, bno, n, ppn, 0x5157);
	struct exo_iocomp c;
	int k = sys_io_submit(&r, 1);

	if (k != 1)
		return k < 0 ? k : EXO_EINVAL;
	k = io_reap(&c, 1, 1);
	if (k != 1)
		return k < 0 ? k : EXO_EIO;
	return c.tag == r.tag ? c.res : EXO_EINVAL;
}

static inline uint64_t dword(exo_bno bno, uint64_t seed, uint64_t round,
			     unsigned w)
{
	uint64_t x = (bno + 1) * 0x9e3779b97f4a7c15ull ^ seed * 31 ^ round;

	return x + w * 0x100000001b3ull;
}

static inline void dfill(uint64_t *blk, exo_bno bno, uint64_t seed,
			 uint64_t round)
{
	for (unsigned w = 0; w < WORDS_PER_BLOCK; w++)
		blk[w] = dword(bno, seed, round, w);
}

static inline int dcheck(const uint64_t *blk, exo_bno bno, uint64_t seed,
			 uint64_t round)
{
	for (unsigned w = 0; w < WORDS_PER_BLOCK; w++)
		if (blk[w] != dword(bno, seed, round, w))
			return 0;
	return 1;
}

static inline int dzero(const uint64_t *va, unsigned nblocks)
{
	for (uint64_t w = 0; w < nblocks * WORDS_PER_BLOCK; w++)
		if (va[w])
			return 0;
	return 1;
}

/* A seed from a capability string. */
static inline uint64_t dseed(const char *cap)
{
	uint64_t h = 1469598103934665603ull;

	while (*cap)
		h = (h ^ (uint8_t)*cap++) * 1099511628211ull;
	return h;
}

#endif
