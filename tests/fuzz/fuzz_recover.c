/*
 * fuzz_recover.c: libFuzzer harness for recovery: store_open over a
 * damaged log (wal.c's record checks, the op and page op decoders, redo)
 * and damaged metadata (superblock, allocator directory and bitmap,
 * object directory and inodes, read in context).
 *
 * Once, a small store is made on a fault disk: two objects, a checkpoint,
 * then three small transactions on an object and a root, closed without
 * a checkpoint (store_opts.manual_ckpt) so that open must redo its log.
 * The harness keeps a copy of the blocks it may damage: the superblock
 * pair, the log region and the first blocks of the first chunk.  Each
 * input patches that copy, writes it to the media and opens the store
 * read-only (recovery in memory, nothing written), then lists and reads
 * every object, reads the roots and runs store_check.  Every call must
 * return 0 or an error (see allowed()), never crash, and the open must
 * write nothing.  This harness is the slow, deep one (hundreds of runs a
 * second); fuzz_wal covers the log alone, fast.  Input layout:
 *
 *   byte 0      flags: bit 0 re-seal the CRC32C of every log record from
 *               the checkpoint on (following the chain of headers), bit 1
 *               re-seal the superblocks' own CRC, bit 2 re-seal the cache
 *               CRC of every patched metadata block (so mutations reach
 *               the checks behind the checksums)
 *   then        patches: u24 offset (little-endian, into the blocks
 *               above, in that order), u8 length, that many bytes
 *
 * The empty input opens the intact store.  Run with `make fuzz`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloc.h"
#include "core.h"
#include "obj.h"
#include "port/fault.h"
#include "store.h"

#define BLK        EXO_BLOCK_SIZE
#define DISK       "fuzzrec"
#define NBLOCKS    2304
#define LOG_BLOCKS 32
#define CHUNK_HEAD 24 /* first blocks of the chunk that may be patched */
#define NRUNS      3
#define CAP        "fuzz"

struct run {
	exo_bno bno;
	uint64_t n;
};

static struct run runs[NRUNS]; /* superblocks, log, chunk head */
static uint64_t nbytes;         /* of all runs */
static uint8_t *fresh, *img;    /* the intact runs, and this input's */
static uint8_t *back;           /* read back after the open */
static struct store_sb sb;      /* the intact newest superblock */

static struct store_opts opts(void)
{
	struct store_opts o = { .cache_pages = 64, .log_blocks = LOG_BLOCKS,
				.log_buf_pages = 2, .manual_ckpt = 1 };
	return o;
}

static __attribute__((noreturn)) void die(const char *what, int rc)
{
	fprintf(stderr, "fuzz_recover: %s: %s\n", what, exo_strerror(rc));
	abort();
}

/* Write len bytes at off of object name in a transaction of its own. */
static void put(struct store *s, const char *name, uint64_t off, size_t len,
		int root)
{
	static uint8_t buf[3 * BLK];
	struct dtx *t;
	struct obj *o;
	size_t i;
	int rc;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + off);
	rc = dtx_begin(s, &t);
	if (rc == 0) {
		rc = obj_open_tx(t, name, &o);
		if (rc == EXO_ENOENT)
			rc = obj_create(t, name, &o);
	}
	if (rc == 0) {
		rc = obj_write(t, o, off, buf, len);
		obj_close(o);
	}
	if (rc == 0 && root)
		rc = store_root_set(t, 3, 0x5eed);
	if (rc == 0)
		rc = dtx_commit(t, NULL);
	if (rc < 0)
		die("put", rc);
}

static int read_sb(exo_bno a, struct store_sb *out)
{
	uint8_t blk[2][BLK];
	struct store_sb x[2];
	int rc[2], i;

	for (i = 0; i < 2; i++) {
		if (fault_disk_read_raw(DISK, a + (exo_bno)i, 1, blk[i]) < 0)
			return EXO_EIO;
		rc[i] = sb_decode(blk[i], BLK, &x[i]);
	}
	if (rc[0] < 0 && rc[1] < 0)
		return rc[0];
	i = rc[0] < 0 || (rc[1] == 0 && x[1].gen > x[0].gen);
	*out = x[i];
	return 0;
}

static void copy_runs(uint8_t *buf, int to_disk)
{
	uint64_t off = 0;
	int i, rc;

	for (i = 0; i < NRUNS; i++) {
		rc = to_disk ? fault_disk_write_raw(DISK, runs[i].bno,
						    runs[i].n, buf + off)
			     : fault_disk_read_raw(DISK, runs[i].bno,
						   runs[i].n, buf + off);
		if (rc < 0)
			die("copy_runs", rc);
		off += runs[i].n * BLK;
	}
}

static void setup(void)
{
	struct store_opts o = opts();
	struct bdir_ent e;
	uint8_t blk[BLK];
	struct store *s;
	exo_bno a;
	int rc;

	fault_disk_destroy(DISK);
	rc = fault_disk_create(DISK, NBLOCKS);
	if (rc == 0)
		rc = exo_disk_format("fault:" DISK, NBLOCKS * (uint64_t)BLK);
	if (rc == 0)
		rc = store_create("fault:" DISK, CAP, 4, &o, &s);
	if (rc < 0)
		die("store_create", rc);
	a = store_sb(s)->sb_a;
	put(s, "alpha", 0, 300, 0);
	put(s, "beta", 5000, 2 * BLK, 0);
	rc = store_checkpoint(s);
	if (rc < 0)
		die("store_checkpoint", rc);
	/* Small records to redo: a full page image, then two diffs. */
	put(s, "alpha", 10, 100, 0);
	put(s, "alpha", 20, 50, 0);
	put(s, "alpha", 30, 30, 1);
	rc = store_close(s);
	if (rc == 0)
		rc = read_sb(a, &sb);
	if (rc == 0)
		rc = fault_disk_read_raw(DISK, sb.balloc_root, 1, blk);
	if (rc < 0)
		die("setup", rc);
	memcpy(&e, blk + CACHE_HDR + sizeof(struct bdir_hdr), sizeof(e));
	runs[0] = (struct run){ a, 2 };
	runs[1] = (struct run){ sb.log_start, sb.log_nblocks };
	runs[2] = (struct run){ e.start, CHUNK_HEAD };
	nbytes = (2 + sb.log_nblocks + CHUNK_HEAD) * BLK;
	fresh = malloc(nbytes);
	img = malloc(nbytes);
	back = malloc(nbytes);
	if (!fresh || !img || !back)
		abort();
	copy_runs(fresh, 0);
}

/* ---- re-sealing ---- */

static uint8_t *log_at(lsn_t lsn)
{
	uint64_t b = (lsn / BLK) % sb.log_nblocks;

	return img + (runs[0].n + b) * BLK + lsn % BLK;
}

static void log_copy(lsn_t lsn, void *dst, const void *src, uint64_t n)
{
	uint64_t k;

	while (n > 0) {
		k = BLK - lsn % BLK < n ? BLK - lsn % BLK : n;
		if (dst)
			memcpy(dst, log_at(lsn), k);
		else
			memcpy(log_at(lsn), src, k);
		if (dst)
			dst = (uint8_t *)dst + k;
		else
			src = (const uint8_t *)src + k;
		lsn += k;
		n -= k;
	}
}

static void reseal_log(void)
{
	static uint8_t rec[LOG_BLOCKS * BLK];
	uint64_t max = sb.log_nblocks * BLK / 4;
	struct wal_rec h;
	lsn_t pos = sb.ckpt_lsn;
	uint64_t size;
	int i;

	for (i = 0; i < 64; i++) {
		log_copy(pos, &h, NULL, sizeof(h));
		size = sizeof(h) + ((h.len + 7ull) & ~7ull);
		if (h.lsn != pos || size > max)
			return;
		log_copy(pos + sizeof(h), rec, NULL, h.len);
		h.crc = 0;
		h.crc = crc32c(crc32c(0, &h, sizeof(h)), rec, h.len);
		log_copy(pos, NULL, &h, sizeof(h));
		pos += size;
	}
}

static void reseal_sb(void)
{
	struct sb_disk d;
	int i;

	for (i = 0; i < 2; i++) {
		memcpy(&d, img + i * BLK + CACHE_HDR, sizeof(d));
		d.crc = 0;
		d.crc = crc32c(0, &d, sizeof(d));
		memcpy(img + i * BLK + CACHE_HDR, &d, sizeof(d));
	}
}

/* The cache's checksum: CRC32C of the block with its crc field zero. */
static void reseal_page(uint8_t *blk)
{
	static const uint8_t zero[4];
	uint32_t crc = crc32c(crc32c(0, zero, 4), blk + 4, BLK - 4);

	memcpy(blk, &crc, 4);
}

static void reseal_pages(void)
{
	uint64_t i, first = runs[0].n + runs[1].n;

	reseal_page(img);
	reseal_page(img + BLK);
	for (i = 0; i < CHUNK_HEAD; i++)
		if (memcmp(img + (first + i) * BLK, fresh + (first + i) * BLK,
			   BLK) != 0)
			reseal_page(img + (first + i) * BLK);
}

/* ---- the checks ---- */

/* A damaged store may give any error but EXO_EIO (no I/O fails here).
 * It should be EXO_ECORRUPT; but a block pointer read from a damaged page
 * and followed to the device gives the exo layer's EXO_EINVAL,
 * EXO_ERANGE or EXO_EPERM today, which is an error, not a crash. */
static void allowed(int rc, const char *call)
{
	if (rc <= 0 && rc != EXO_EIO)
		return;
	die(call, rc);
}

static void exercise(struct store *s)
{
	static uint8_t buf[16 * BLK];
	struct obj_info *in = NULL;
	struct obj *o;
	uint64_t v, size;
	size_t n = 0, i, got;
	unsigned r;

	for (r = 0; r < STORE_NROOTS; r++)
		allowed(store_root_get(s, r, &v), "store_root_get");
	allowed(obj_list(s, &in, &n), "obj_list");
	for (i = 0; i < n; i++) {
		if (obj_open(s, in[i].name, &o) != 0)
			continue;
		allowed(obj_size(s, o, &size), "obj_size");
		allowed(obj_read(s, o, 0, buf, sizeof(buf), &got),
			"obj_read");
		obj_close(o);
	}
	free(in);
	allowed(store_check(s, NULL, NULL), "store_check");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_opts o = opts();
	exo_bno bad = EXO_BNO_NONE;
	struct store *s;
	size_t i, off, len;
	int rc;

	if (!fresh)
		setup();
	memcpy(img, fresh, nbytes);
	for (i = 1; i + 4 <= size;) {
		off = (data[i] | (size_t)data[i + 1] << 8 |
		       (size_t)data[i + 2] << 16) % nbytes;
		len = data[i + 3];
		i += 4;
		if (len > size - i)
			len = size - i;
		if (len > nbytes - off)
			len = nbytes - off;
		memcpy(img + off, data + i, len);
		i += len;
	}
	if (size && (data[0] & 1))
		reseal_log();
	if (size && (data[0] & 2))
		reseal_sb();
	if (size && (data[0] & 4))
		reseal_pages();
	copy_runs(img, 1);
	o.read_only = 1;
	o.bad = &bad;
	rc = store_open("fault:" DISK, CAP, 4, &o, &s);
	allowed(rc, "store_open");
	if (size == 0 && rc != 0)
		die("the intact store", rc);
	if (rc == 0) {
		exercise(s);
		allowed(store_close(s), "store_close");
	}
	copy_runs(back, 0);
	if (memcmp(back, img, nbytes) != 0)
		die("a read-only open wrote", 0);
	return 0;
}
