/*
 * core_memdev.h: an in-memory struct core_dev for tests of exokern/core.
 *
 * memdev_new(nblocks) makes a disk of nblocks 4 KiB blocks; pass &m->dev
 * to core.  Storage is sparse (chunks are allocated on first write and
 * dropped when zeroed), so even a disk of 2^33 blocks costs only what is
 * written.  Tests reach the bytes directly with memdev_block, and inject
 * faults through the fields below:
 *
 *   m->fail_write_after = k;  the write after k more good ones fails with
 *   m->tear_bytes = b;        EXO_EIO, having landed only its first b bytes
 *   m->fail_flush, fail_zero, fail_read = 1;   the next one fails (EXO_EIO)
 *   m->fail_alloc_after = k;  the allocation after k more good ones fails
 *
 * Each is one-shot (reset to "never" after it fires).  Counters of calls
 * and the bytes core has allocated and not freed are kept too.
 */
#ifndef TESTS_CORE_MEMDEV_H
#define TESTS_CORE_MEMDEV_H

#include "core.h"

struct memdev {
	struct core_dev dev;
	uint64_t nblocks;
	uint8_t **chunk; /* MEMDEV_CHUNK_BLOCKS each; NULL reads as zeros */
	uint64_t nchunks;

	int64_t fail_write_after; /* -1: never */
	uint64_t tear_bytes;
	int fail_flush, fail_zero, fail_read;
	int64_t fail_alloc_after; /* -1: never */

	uint64_t reads, writes, flushes, zeroes;
	uint64_t alloc_bytes; /* allocated by core, not yet freed */
};

struct memdev *memdev_new(uint64_t nblocks);
void memdev_free(struct memdev *m);

/* The 4096 bytes of block bno, writable (allocates its chunk). */
uint8_t *memdev_block(struct memdev *m, exo_bno bno);

/* 1 if every byte of [bno, bno+n) is zero. */
int memdev_is_zero(struct memdev *m, exo_bno bno, uint64_t n);

#endif
