/*
 * fuzz_pageop.c: libFuzzer harness for the decoders of a log record's
 * payload: the op sequence (wal_op_next) and the page redo op
 * (pageop_check, then pageop_apply on what it accepts).
 *
 * The input is taken twice.  As one WAL_OP_PAGE payload: pageop_check
 * must return 0 or EXO_ECORRUPT, and when it accepts, pageop_apply may
 * change only bytes [CACHE_HDR, 4096) of a block, and exactly the bytes
 * of the ranges (checked against a copy).  As a record payload: walking
 * it with wal_op_next must move forward, stay inside it and end (at its
 * end, or with EXO_ECORRUPT); every WAL_OP_PAGE op met is checked and
 * applied the same way.  Seeds: tests/fuzz/corpus/fuzz_pageop.
 * Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define BLK EXO_BLOCK_SIZE

/* Check one page op; if valid, apply it and compare with a byte-by-byte
 * application of its ranges. */
static void page_op(const uint8_t *p, uint32_t len)
{
	static uint8_t blk[BLK], want[BLK];
	struct pageop_hdr h;
	struct pageop_range r;
	const uint8_t *src;
	exo_bno bno;
	uint32_t i;
	int full, rc;

	rc = pageop_check(p, len, &bno, &full);
	if (rc == EXO_ECORRUPT)
		return;
	if (rc != 0)
		abort();
	memset(blk, 0xa5, BLK);
	memset(want, 0xa5, BLK);
	memcpy(&h, p, sizeof(h));
	if (h.bno != bno || full != !!(h.flags & PAGEOP_FULL))
		abort();
	src = p + sizeof(h) + (size_t)h.nranges * sizeof(r);
	for (i = 0; i < h.nranges; i++) {
		memcpy(&r, p + sizeof(h) + i * sizeof(r), sizeof(r));
		if (r.off < CACHE_HDR || (uint32_t)r.off + r.len > BLK)
			abort();
		memcpy(want + r.off, src, r.len);
		src += r.len;
	}
	if (src != p + len)
		abort();
	pageop_apply(p, len, blk);
	if (memcmp(blk, want, BLK) != 0)
		abort();
}

static void walk_ops(const uint8_t *p, uint32_t len)
{
	const struct wal_op *op;
	uint32_t off = 0, prev = 0, n = 0;
	int err = 0;

	while ((op = wal_op_next(p, len, &off, &err))) {
		if (off <= prev || off > len || off % 8 ||
		    (const uint8_t *)(op + 1) + op->len > p + len)
			abort();
		prev = off;
		if (op->type == WAL_OP_PAGE)
			page_op((const uint8_t *)(op + 1), op->len);
		if (++n > len / 8)
			abort();
	}
	if (err != 0 && err != EXO_ECORRUPT)
		abort();
	if (err == 0 && off != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy, 8-byte aligned as payloads are in the log buffer. */
	static uint64_t buf[(1 << 16) / 8];

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	page_op((const uint8_t *)buf, (uint32_t)size);
	walk_ops((const uint8_t *)buf, (uint32_t)size);
	return 0;
}
