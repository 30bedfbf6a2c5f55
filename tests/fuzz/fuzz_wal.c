/*
 * fuzz_wal.c: libFuzzer harness for log recovery (wal_recover: the
 * record checks, the torn-tail versus corruption decision, positioning
 * for appends), with each recovered record's ops walked (wal_op_next)
 * and its page ops checked (pageop_check).
 *
 * Once, a 16-block log is written with wal.c itself on a fault disk: two
 * lives (epochs 1 and 2) of batches with page ops (partial and full
 * images, the full ones crossing blocks), root ops and engine ops.  The
 * harness keeps one attachment and reuses that image.  Each input patches
 * the log region, which goes to the media; then wal_open and wal_recover
 * (from the first or the second record, from epoch 1 or 2, up to epoch 2)
 * must return 0 or EXO_ECORRUPT, handing over records that follow each
 * other exactly from the start position.  When it returns 0 and the log
 * has room, a marker record is appended in epoch 3 and committed, and a
 * second recovery must hand over the same records, then the marker.
 * Input layout:
 *
 *   byte 0      flags: bit 0 re-seal the CRC32C of every record along the
 *               chain of headers from the start, bit 1 start at the
 *               second record, bit 2 start at epoch 2
 *   then        patches: u16 offset (little-endian, into the 64 KiB
 *               region), u8 length, that many bytes
 *
 * The empty input recovers the intact log.  Run with `make fuzz`.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "port/fault.h"
#include "store.h"

#define BLK     EXO_BLOCK_SIZE
#define DISK    "fuzzwal"
#define NBLOCKS 128
#define LOGN    16
#define MAXREC  2048
#define MARKER  0x1abc /* the marker record's engine op */

struct rec {
	lsn_t lsn;
	uint32_t len;
	uint32_t type;
};

struct seen {
	struct rec r[MAXREC];
	size_t n;
	int bad; /* a record out of place */
};

static struct exo *e;
static struct dio *d;
static exo_bno start;
static uint8_t fresh[LOGN * BLK], img[LOGN * BLK];
static lsn_t second; /* the second record's position */

static __attribute__((noreturn)) void die(const char *what, int rc)
{
	fprintf(stderr, "fuzz_wal: %s: %s\n", what, exo_strerror(rc));
	abort();
}

static int open_log(struct wal **w)
{
	struct wal_opts o = { .start = start, .nblocks = LOGN,
			      .buf_pages = 2 };

	return wal_open(e, d, &o, w);
}

static uint64_t rec_size(uint32_t len)
{
	return sizeof(struct wal_rec) + ((len + 7ull) & ~7ull);
}

/* ---- the template ---- */

static void add_page(struct walbatch *b, exo_bno bno, uint16_t off,
		     uint16_t len, int full)
{
	struct pageop_hdr h = { .bno = bno, .nranges = 1,
				.flags = full ? PAGEOP_FULL : 0 };
	struct pageop_range r = { .off = full ? CACHE_HDR : off,
				  .len = full ? BLK - CACHE_HDR : len };
	uint8_t *p = walbatch_op(b, WAL_OP_PAGE, sizeof(h) + sizeof(r) +
						 r.len);

	if (!p)
		die("walbatch_op", EXO_ENOMEM);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &r, sizeof(r));
	memset(p + sizeof(h) + sizeof(r), (int)(bno & 0xff), r.len);
}

static void commit_batch(struct wal *w, struct walbatch *b)
{
	lsn_t end;
	int rc = wal_append(w, b, &end);

	if (rc == 0)
		rc = wal_commit(w, end);
	if (rc < 0)
		die("wal_append", rc);
	walbatch_reset(b);
}

static void life(uint32_t epoch, int first)
{
	struct rootop ro = { .idx = 2, .value = epoch };
	struct walbatch b;
	struct wal *w;
	int rc, i;

	rc = open_log(&w);
	if (rc == 0)
		rc = first ? wal_recover(w, 0, 0, 0, NULL, NULL)
			   : wal_recover(w, 0, 1, epoch - 1, NULL, NULL);
	if (rc == 0)
		rc = wal_start(w, epoch);
	if (rc < 0)
		die("life", rc);
	walbatch_init(&b);
	for (i = 0; i < 3; i++) {
		add_page(&b, 100 + (exo_bno)i, 16 + 40 * (uint16_t)i, 33, 0);
		add_page(&b, 200 + (exo_bno)i, 1000, 7, 0);
		if (walbatch_add(&b, WAL_OP_ROOT, &ro, sizeof(ro)) < 0 ||
		    walbatch_add(&b, WAL_OP_ENGINE + (uint16_t)i, "engine op",
				 9) < 0)
			die("walbatch_add", EXO_ENOMEM);
		commit_batch(w, &b);
		if (first && i == 0)
			second = wal_end(w);
		add_page(&b, 300 + (exo_bno)i, 40, 200, i == 1);
		commit_batch(w, &b);
	}
	walbatch_free(&b);
	rc = wal_close(w);
	if (rc < 0)
		die("wal_close", rc);
}

static void setup(void)
{
	struct exo_attach_opts ao = { .disk = "fault:" DISK, .cap = "w",
				      .cap_len = 1, .npages = 64,
				      .flags = EXO_ATTACH_CREATE };
	int rc;

	fault_disk_destroy(DISK);
	rc = fault_disk_create(DISK, NBLOCKS);
	if (rc == 0)
		rc = exo_disk_format("fault:" DISK, NBLOCKS * (uint64_t)BLK);
	if (rc == 0)
		rc = exo_attach(&ao, &e);
	if (rc == 0)
		rc = exo_block_alloc(e, 0, LOGN, &start);
	if (rc == 0)
		rc = dio_open(e, &d);
	if (rc < 0)
		die("setup", rc);
	life(1, 1);
	life(2, 0);
	rc = fault_disk_read_raw(DISK, start, LOGN, fresh);
	if (rc < 0)
		die("setup", rc);
}

/* ---- re-sealing ---- */

/* Copy n log bytes at lsn out of the image (to dst) or into it (from
 * src), wrapping around the region. */
static void log_get(lsn_t lsn, void *dst, uint64_t n)
{
	uint8_t *p = dst;
	uint64_t i;

	for (i = 0; i < n; i++)
		p[i] = img[(lsn + i) % sizeof(img)];
}

static void log_put(lsn_t lsn, const void *src, uint64_t n)
{
	const uint8_t *p = src;
	uint64_t i;

	for (i = 0; i < n; i++)
		img[(lsn + i) % sizeof(img)] = p[i];
}

static void reseal(lsn_t pos)
{
	static uint8_t buf[sizeof(img)];
	struct wal_rec h;
	int i;

	for (i = 0; i < 64; i++) {
		log_get(pos, &h, sizeof(h));
		if (h.lsn != pos || rec_size(h.len) > sizeof(img) / 4)
			return;
		log_get(pos + sizeof(h), buf, h.len);
		h.crc = 0;
		h.crc = crc32c(crc32c(0, &h, sizeof(h)), buf, h.len);
		log_put(pos, &h, sizeof(h));
		pos += rec_size(h.len);
	}
}

/* ---- recovery and its checks ---- */

static int apply(void *ctx, lsn_t lsn, uint16_t type, const void *payload,
		 uint32_t len)
{
	struct seen *s = ctx;
	const struct wal_op *op;
	uint32_t off = 0;
	int err;

	if (s->n > 0 && lsn != s->r[s->n - 1].lsn +
				      rec_size(s->r[s->n - 1].len))
		s->bad = 1;
	if (s->n == MAXREC)
		return 0;
	s->r[s->n++] = (struct rec){ .lsn = lsn, .len = len, .type = type };
	while ((op = wal_op_next(payload, len, &off, &err)))
		if (op->type == WAL_OP_PAGE)
			pageop_check(op + 1, op->len, NULL, NULL);
	if (err != 0 && err != EXO_ECORRUPT)
		die("wal_op_next", err);
	return 0;
}

static int recover(lsn_t from, uint32_t lo, uint32_t hi, struct seen *s,
		   struct wal **w)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = open_log(w);
	if (rc < 0)
		die("wal_open", rc);
	rc = wal_recover(*w, from, lo, hi, apply, s);
	if (rc != 0 && rc != EXO_ECORRUPT)
		die("wal_recover", rc);
	if (s->bad || (s->n > 0 && s->r[0].lsn != from))
		die("records out of place", 0);
	return rc;
}

/* Append the marker in epoch 3, then recover again: the same records,
 * then the marker. */
static void append_and_recover(struct wal *w, lsn_t from, uint32_t lo,
			       const struct seen *s1)
{
	static struct seen s2;
	struct walbatch b;
	lsn_t at = wal_end(w), end;
	int rc;

	walbatch_init(&b);
	rc = wal_start(w, 3);
	if (rc == 0)
		rc = walbatch_add(&b, MARKER, "marker", 6);
	if (rc == 0)
		rc = wal_append(w, &b, &end);
	if (rc == 0)
		rc = wal_commit(w, end);
	walbatch_free(&b);
	if (rc < 0)
		die("append", rc);
	rc = wal_close(w);
	if (rc < 0)
		die("wal_close", rc);
	recover(from, lo, 3, &s2, &w);
	wal_close(w);
	if (s2.n < s1->n + 1 ||
	    memcmp(s2.r, s1->r, s1->n * sizeof(s1->r[0])) != 0 ||
	    s2.r[s1->n].lsn != at || s2.r[s1->n].len != 8 + 8)
		die("the second recovery differs", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct seen s;
	uint8_t flags = size ? data[0] : 0;
	lsn_t from = flags & 2 ? second : 0;
	uint32_t lo = flags & 4 ? 2 : 1;
	struct wal *w;
	size_t i, off, len;
	int rc;

	if (!e)
		setup();
	memcpy(img, fresh, sizeof(img));
	for (i = 1; i + 3 <= size;) {
		off = (data[i] | (size_t)data[i + 1] << 8) % sizeof(img);
		len = data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		if (len > sizeof(img) - off)
			len = sizeof(img) - off;
		memcpy(img + off, data + i, len);
		i += len;
	}
	if (flags & 1)
		reseal(from);
	rc = fault_disk_write_raw(DISK, start, LOGN, img);
	if (rc < 0)
		die("write_raw", rc);
	rc = recover(from, lo, 2, &s, &w);
	if (size == 0 && (rc != 0 || s.n != 12))
		die("the intact log", rc);
	if (rc == 0 && wal_end(w) - from < (LOGN - 4) * BLK)
		append_and_recover(w, from, lo, &s);
	else
		wal_close(w);
	return 0;
}
