/*
 * fuzz_disk.c: libFuzzer harness for exokern/core's label and map decoder.
 *
 * Each input patches a freshly formatted small disk (label and both map
 * slots) and core_disk_open must either refuse it with an error or open a
 * map that every later call handles.  Input layout:
 *
 *   byte 0      flags: bit 0 re-seal the label's checksum, bit 1 slot A's,
 *               bit 2 slot B's (so mutations reach the checks behind them)
 *   then        patches: u16 offset (little-endian, into the metadata
 *               blocks), u8 length, that many bytes
 *
 * Run with `make fuzz` (FUZZ_SECONDS per harness).
 */
#include <stdint.h>
#include <string.h>

#include <stdlib.h>

#include "core.h"
#include "map.h"

#define NBLOCKS EXO_DISK_MINBLOCKS

/* A flat in-memory disk of NBLOCKS blocks. */
static uint8_t disk[NBLOCKS * EXO_BLOCK_SIZE];

static int dread(void *ctx, exo_bno bno, uint32_t n, void *buf)
{
	(void)ctx;
	if (bno > NBLOCKS || n > NBLOCKS - bno)
		return EXO_ERANGE;
	memcpy(buf, disk + bno * EXO_BLOCK_SIZE, (size_t)n * EXO_BLOCK_SIZE);
	return 0;
}

static int dwrite(void *ctx, exo_bno bno, uint32_t n, const void *buf)
{
	(void)ctx;
	if (bno > NBLOCKS || n > NBLOCKS - bno)
		return EXO_ERANGE;
	memcpy(disk + bno * EXO_BLOCK_SIZE, buf, (size_t)n * EXO_BLOCK_SIZE);
	return 0;
}

static int dflush(void *ctx)
{
	(void)ctx;
	return 0;
}

static int dzero(void *ctx, exo_bno bno, uint64_t n)
{
	(void)ctx;
	if (bno > NBLOCKS || n > NBLOCKS - bno)
		return EXO_ERANGE;
	memset(disk + bno * EXO_BLOCK_SIZE, 0, n * EXO_BLOCK_SIZE);
	return 0;
}

static void *dalloc(void *ctx, size_t bytes)
{
	(void)ctx;
	return aligned_alloc(EXO_BLOCK_SIZE,
			     (bytes + EXO_BLOCK_SIZE - 1) & ~(size_t)4095);
}

static void dfree(void *ctx, void *p, size_t bytes)
{
	(void)ctx;
	(void)bytes;
	free(p);
}

static const struct core_dev dev = {
	.nblocks = NBLOCKS, .read = dread, .write = dwrite, .flush = dflush,
	.zero = dzero, .alloc = dalloc, .free = dfree,
};

static void seal_label(uint8_t *b)
{
	struct exo_label l;

	memcpy(&l, b, sizeof l);
	l.csum = 0;
	l.csum = crc32c(0, &l, sizeof l);
	memcpy(b, &l, sizeof l);
}

static void seal_slot(uint8_t *slot, size_t slot_bytes)
{
	struct exo_map_hdr h;

	memcpy(&h, slot, sizeof h);
	if (h.used_bytes < sizeof h || h.used_bytes > slot_bytes)
		return;
	h.csum = 0;
	memcpy(slot, &h, sizeof h);
	h.csum = crc32c(0, slot, h.used_bytes);
	memcpy(slot, &h, sizeof h);
}

/* Every call a libOS could make on the map, checked to return. */
static void exercise(struct core_disk *d)
{
	struct exo_map_owner o;
	struct exo_extent ext[8];
	exo_bno bno, root;
	int i, n = core_owner_count(d);

	for (i = 0; i < n; i++) {
		if (core_owner_get(d, i, &o))
			continue;
		core_block_extents(d, o.id, ext, 8);
		core_root_get(d, o.id, &root);
		core_block_check(d, o.id, 0, NBLOCKS);
		if (core_block_alloc(d, o.id, 0, 3, &bno) == 0)
			core_block_free(d, o.id, bno, 3);
		if (core_block_extents(d, o.id, ext, 1) > 0)
			core_block_free(d, o.id, ext[0].start, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t fresh[sizeof disk];
	static int formatted;
	struct core_disk d;
	uint32_t mb = core_map_blocks(NBLOCKS);
	size_t meta = (1 + 2 * (size_t)mb) * EXO_BLOCK_SIZE, i;
	uint8_t *img = disk;
	uint8_t flags = size ? data[0] : 0;

	if (!formatted) {
		if (core_disk_format(&dev, NULL, 0) != 0)
			abort();
		memcpy(fresh, disk, sizeof disk);
		formatted = 1;
	}
	memcpy(disk, fresh, sizeof disk);
	for (i = 1; i + 3 <= size;) {
		size_t off = data[i] | (size_t)data[i + 1] << 8;
		size_t len = data[i + 2];

		i += 3;
		if (len > size - i)
			len = size - i;
		if (off < meta) {
			size_t n = len < meta - off ? len : meta - off;
			memcpy(img + off, data + i, n);
		}
		i += len;
	}
	if (flags & 1)
		seal_label(img);
	if (flags & 2)
		seal_slot(img + EXO_BLOCK_SIZE, (size_t)mb * EXO_BLOCK_SIZE);
	if (flags & 4)
		seal_slot(img + (1 + (size_t)mb) * EXO_BLOCK_SIZE,
			  (size_t)mb * EXO_BLOCK_SIZE);
	if (core_disk_open(&d, &dev) == 0) {
		exercise(&d);
		core_disk_close(&d);
	}
	return 0;
}
