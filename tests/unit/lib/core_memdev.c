/*
 * core_memdev.c: the in-memory core_dev of core_memdev.h.
 *
 * Blocks live in chunks of MEMDEV_CHUNK_BLOCKS blocks, allocated on the
 * first write into them.  zero() frees whole chunks and clears partial
 * ones, so formatting a huge disk is cheap.  Writes land immediately (there
 * is no volatile cache; dblibos/port/fault.c models that); flush only
 * counts, or fails when told to.
 */
#include "core_memdev.h"

#include <stdlib.h>
#include <string.h>

#define MEMDEV_CHUNK_BLOCKS 4096u
#define MEMDEV_CHUNK_BYTES  ((size_t)MEMDEV_CHUNK_BLOCKS * EXO_BLOCK_SIZE)

static int memdev_fire(int64_t *after)
{
	if (*after < 0)
		return 0;
	if (*after > 0) {
		(*after)--;
		return 0;
	}
	*after = -1;
	return 1;
}

static int memdev_once(int *flag)
{
	int f = *flag;

	*flag = 0;
	return f;
}

static int memdev_inside(struct memdev *m, exo_bno bno, uint64_t n)
{
	return bno <= m->nblocks && n <= m->nblocks - bno;
}

uint8_t *memdev_block(struct memdev *m, exo_bno bno)
{
	uint64_t c = bno / MEMDEV_CHUNK_BLOCKS;

	if (!m->chunk[c]) {
		m->chunk[c] = calloc(1, MEMDEV_CHUNK_BYTES);
		if (!m->chunk[c])
			abort();
	}
	return m->chunk[c] +
	       (size_t)(bno % MEMDEV_CHUNK_BLOCKS) * EXO_BLOCK_SIZE;
}

int memdev_is_zero(struct memdev *m, exo_bno bno, uint64_t n)
{
	uint64_t i, j;

	for (i = 0; i < n; i++) {
		const uint8_t *c = m->chunk[(bno + i) / MEMDEV_CHUNK_BLOCKS];

		if (!c)
			continue;
		c += (size_t)((bno + i) % MEMDEV_CHUNK_BLOCKS) * EXO_BLOCK_SIZE;
		for (j = 0; j < EXO_BLOCK_SIZE; j++)
			if (c[j])
				return 0;
	}
	return 1;
}

static int memdev_read(void *ctx, exo_bno bno, uint32_t n, void *buf)
{
	struct memdev *m = ctx;
	uint32_t i;

	m->reads++;
	if (memdev_once(&m->fail_read) || !memdev_inside(m, bno, n))
		return EXO_EIO;
	for (i = 0; i < n; i++) {
		uint8_t *dst = (uint8_t *)buf + (size_t)i * EXO_BLOCK_SIZE;
		const uint8_t *c = m->chunk[(bno + i) / MEMDEV_CHUNK_BLOCKS];

		if (c)
			memcpy(dst, memdev_block(m, bno + i), EXO_BLOCK_SIZE);
		else
			memset(dst, 0, EXO_BLOCK_SIZE);
	}
	return 0;
}

static int memdev_write(void *ctx, exo_bno bno, uint32_t n, const void *buf)
{
	struct memdev *m = ctx;
	uint64_t bytes = (uint64_t)n * EXO_BLOCK_SIZE, off;
	int fail;

	m->writes++;
	if (!memdev_inside(m, bno, n))
		return EXO_EIO;
	fail = memdev_fire(&m->fail_write_after);
	if (fail && m->tear_bytes < bytes)
		bytes = m->tear_bytes;
	for (off = 0; off < bytes; off += EXO_BLOCK_SIZE) {
		uint64_t len = bytes - off < EXO_BLOCK_SIZE ? bytes - off
							    : EXO_BLOCK_SIZE;

		memcpy(memdev_block(m, bno + off / EXO_BLOCK_SIZE),
		       (const uint8_t *)buf + off, len);
	}
	return fail ? EXO_EIO : 0;
}

static int memdev_flush(void *ctx)
{
	struct memdev *m = ctx;

	m->flushes++;
	return memdev_once(&m->fail_flush) ? EXO_EIO : 0;
}

static int memdev_zero(void *ctx, exo_bno bno, uint64_t n)
{
	struct memdev *m = ctx;
	uint64_t c;

	m->zeroes++;
	if (memdev_once(&m->fail_zero) || !memdev_inside(m, bno, n))
		return EXO_EIO;
	while (n) {
		uint64_t in = bno % MEMDEV_CHUNK_BLOCKS;
		uint64_t k = MEMDEV_CHUNK_BLOCKS - in < n
				     ? MEMDEV_CHUNK_BLOCKS - in
				     : n;

		c = bno / MEMDEV_CHUNK_BLOCKS;
		if (k == MEMDEV_CHUNK_BLOCKS) {
			free(m->chunk[c]);
			m->chunk[c] = NULL;
		} else if (m->chunk[c]) {
			memset(m->chunk[c] + in * EXO_BLOCK_SIZE, 0,
			       k * EXO_BLOCK_SIZE);
		}
		bno += k;
		n -= k;
	}
	return 0;
}

static void *memdev_alloc(void *ctx, size_t bytes)
{
	struct memdev *m = ctx;
	size_t rounded = (bytes + 4095) & ~(size_t)4095;
	void *p;

	if (memdev_fire(&m->fail_alloc_after))
		return NULL;
	p = aligned_alloc(4096, rounded);
	if (p)
		m->alloc_bytes += bytes;
	return p;
}

static void memdev_release(void *ctx, void *p, size_t bytes)
{
	struct memdev *m = ctx;

	free(p);
	m->alloc_bytes -= bytes;
}

struct memdev *memdev_new(uint64_t nblocks)
{
	struct memdev *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->nblocks = nblocks;
	m->nchunks = (nblocks + MEMDEV_CHUNK_BLOCKS - 1) / MEMDEV_CHUNK_BLOCKS;
	m->chunk = calloc(m->nchunks ? m->nchunks : 1, sizeof(*m->chunk));
	if (!m->chunk)
		abort();
	m->fail_write_after = -1;
	m->fail_alloc_after = -1;
	m->dev = (struct core_dev){
		.ctx = m,
		.nblocks = nblocks,
		.read = memdev_read,
		.write = memdev_write,
		.flush = memdev_flush,
		.zero = memdev_zero,
		.alloc = memdev_alloc,
		.free = memdev_release,
	};
	return m;
}

void memdev_free(struct memdev *m)
{
	uint64_t c;

	for (c = 0; c < m->nchunks; c++)
		free(m->chunk[c]);
	free(m->chunk);
	free(m);
}
