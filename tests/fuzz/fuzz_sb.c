/*
 * fuzz_sb.c: libFuzzer harness for the superblock decoder (sb_decode).
 *
 * Each input patches a valid superblock block (sb_encode of a plausible
 * store) and sb_decode must return 0, EXO_ECORRUPT or EXO_EVERSION.  What
 * it accepts must survive a round trip: encoding the decoded superblock
 * and decoding that gives the same fields back.  Input layout:
 *
 *   byte 0      flags: bit 0 re-seal the superblock's CRC32C after
 *               patching (so mutations reach the checks behind it)
 *   then        patches: u16 offset (little-endian, into the 4 KiB
 *               block), u8 length, that many bytes
 *
 * The empty input is the valid template.  Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "store.h"

#define BLK EXO_BLOCK_SIZE

static void template_sb(uint8_t *blk)
{
	struct store_sb sb = {
		.gen = 7, .self = 101, .sb_a = 100, .epoch = 3,
		.ckpt_epoch = 3, .ckpt_lsn = 8 * 4096 + 64,
		.log_start = 102, .log_nblocks = 64, .balloc_root = 300,
		.obj_root = 302, .created = 1700000000,
	};

	sb.roots[0] = 42;
	sb.roots[15] = 0x1234;
	memset(blk, 0, BLK);
	if (sb_encode(&sb, blk, BLK) != 0)
		abort();
}

static void reseal(uint8_t *blk)
{
	struct sb_disk d;

	memcpy(&d, blk + CACHE_HDR, sizeof(d));
	d.crc = 0;
	d.crc = crc32c(0, &d, sizeof(d));
	memcpy(blk + CACHE_HDR, &d, sizeof(d));
}

static void round_trip(const struct store_sb *sb)
{
	static uint8_t blk[BLK];
	struct store_sb again;

	memset(&again, 0, sizeof(again));
	if (sb_encode(sb, blk, BLK) != 0 || sb_decode(blk, BLK, &again) != 0 ||
	    memcmp(sb, &again, sizeof(again)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t blk[BLK];
	static int checked;
	struct store_sb sb;
	size_t i, off, len;
	int rc;

	template_sb(blk);
	if (!checked) {
		if (sb_decode(blk, BLK, &sb) != 0)
			abort(); /* the template must be valid */
		checked = 1;
	}
	for (i = 1; i + 3 <= size;) {
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
	if (size && (data[0] & 1))
		reseal(blk);
	memset(&sb, 0, sizeof(sb));
	rc = sb_decode(blk, BLK, &sb);
	if (rc == 0)
		round_trip(&sb);
	else if (rc != EXO_ECORRUPT && rc != EXO_EVERSION)
		abort();
	if (sb_decode(blk, BLK - 1, &sb) != EXO_EINVAL)
		abort();
	return 0;
}
