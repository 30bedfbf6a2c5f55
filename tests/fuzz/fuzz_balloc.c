/*
 * fuzz_balloc.c: libFuzzer harness for the allocator's page checks
 * (balloc_check_dirpage, balloc_check_bitmap).
 *
 * Each input patches a valid page, a chunk directory page or a chunk's
 * bitmap page, and the check must return 0 or EXO_ECORRUPT; what it
 * accepts must make sense to the allocator: a directory entry is a free
 * slot (all zero) or a chunk of 2..BALLOC_CHUNK_MAX blocks whose end does
 * not wrap, and a bitmap has block 0 (itself) allocated and no bit past
 * the chunk's end.  Input layout:
 *
 *   byte 0      bit 0: the bitmap (else the directory page)
 *   bytes 1-2   the chunk's size for the bitmap check (u16, little-endian;
 *               sizes outside 2..BALLOC_CHUNK_MAX must give EXO_EINVAL)
 *   then        patches: u16 offset (into the 4 KiB page), u8 length,
 *               that many bytes
 *
 * A short input is a valid template.  Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balloc.h"

#define BLK EXO_BLOCK_SIZE
#define TEMPLATE_CHUNK 2048

static void template_dir(uint8_t *blk)
{
	struct bdir_hdr h = { .magic = BDIR_MAGIC, .next = EXO_BNO_NONE };
	struct bdir_ent e[3] = {
		{ .start = 100, .nblocks = 2048 },
		{ 0 },
		{ .start = 4000, .nblocks = BALLOC_CHUNK_MAX },
	};

	memset(blk, 0, BLK);
	memcpy(blk + CACHE_HDR, &h, sizeof(h));
	memcpy(blk + CACHE_HDR + sizeof(h), e, sizeof(e));
}

static void template_bitmap(uint8_t *blk)
{
	memset(blk, 0, BLK);
	memset(blk + CACHE_HDR, 0xff, 10); /* blocks 0..79 allocated */
	blk[CACHE_HDR + 20] = 0x5a;
}

static int bit(const uint8_t *blk, uint32_t i)
{
	return blk[CACHE_HDR + i / 8] >> (i % 8) & 1;
}

static void check_dir(const uint8_t *blk)
{
	struct bdir_hdr h;
	struct bdir_ent e;
	size_t i;
	int rc = balloc_check_dirpage(blk, BLK);

	if (rc == EXO_ECORRUPT)
		return;
	if (rc != 0)
		abort();
	memcpy(&h, blk + CACHE_HDR, sizeof(h));
	if (h.magic != BDIR_MAGIC)
		abort();
	for (i = 0; i < BDIR_NENT; i++) {
		memcpy(&e, blk + CACHE_HDR + sizeof(h) + i * sizeof(e),
		       sizeof(e));
		if (e.start == 0 ? e.nblocks != 0
				 : e.nblocks < 2 ||
					   e.nblocks > BALLOC_CHUNK_MAX ||
					   e.start + e.nblocks < e.start)
			abort();
	}
}

static void check_bitmap(const uint8_t *blk, uint32_t nblocks)
{
	int rc = balloc_check_bitmap(blk, BLK, nblocks);
	uint32_t i;

	if (nblocks < 2 || nblocks > BALLOC_CHUNK_MAX) {
		if (rc != EXO_EINVAL)
			abort();
		return;
	}
	if (rc == EXO_ECORRUPT)
		return;
	if (rc != 0 || !bit(blk, 0))
		abort();
	for (i = nblocks; i < BALLOC_CHUNK_MAX; i++)
		if (bit(blk, i))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t blk[BLK];
	static int checked;
	int bitmap = size > 0 && (data[0] & 1);
	uint32_t nblocks = size >= 3 ? (data[1] | (uint32_t)data[2] << 8)
				     : TEMPLATE_CHUNK;
	size_t i, off, len;

	if (!checked) {
		template_dir(blk);
		if (balloc_check_dirpage(blk, BLK) != 0)
			abort(); /* the templates must be valid */
		template_bitmap(blk);
		if (balloc_check_bitmap(blk, BLK, TEMPLATE_CHUNK) != 0)
			abort();
		checked = 1;
	}
	if (bitmap)
		template_bitmap(blk);
	else
		template_dir(blk);
	for (i = 3; i + 3 <= size;) {
		off = (data[i] | (size_t)data[i + 1] << 8) % BLK;
		len = data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		if (len > BLK - off)
			len = BLK - off;
		memcpy(blk + off, data + i, len);
		i += len;
	}
	if (bitmap)
		check_bitmap(blk, nblocks);
	else
		check_dir(blk);
	if (balloc_check_dirpage(blk, BLK + 1) != EXO_EINVAL)
		abort();
	return 0;
}
