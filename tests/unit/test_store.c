/*
 * test_store.c: the store (superblock, transactions, recovery, read-only
 * opens) and its block allocator, on fault disks.
 *
 * Pages are filled with a pattern derived from a 64-bit value and checked
 * word by word.  Crash tests snapshot the media of a prepared disk, then
 * for each k restore it, cut the power at the k-th I/O of a workload,
 * reopen and check; they stop at the first k the workload survives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloc.h"
#include "core.h"
#include "obj.h"
#include "port/fault.h"
#include "store.h"

#define CAP     "store-test"
#define CAPLEN  10
#define BLK     4096

static char disk_path[80];

static struct store_opts opts(void)
{
	struct store_opts o = { .cache_pages = 256, .log_buf_pages = 64,
				.log_blocks = 256 };
	return o;
}

/* A fresh formatted fault disk "fault:NAME". */
static const char *disk_new(const char *name, uint64_t nblocks)
{
	fault_disk_destroy(name);
	assert_int_equal(fault_disk_create(name, nblocks), 0);
	snprintf(disk_path, sizeof(disk_path), "fault:%s", name);
	assert_int_equal(exo_disk_format(disk_path, nblocks * BLK), 0);
	return disk_path;
}

static struct store *create(const char *disk, const struct store_opts *o)
{
	struct store *s = NULL;

	assert_int_equal(store_create(disk, CAP, CAPLEN, o, &s), 0);
	return s;
}

static struct store *open_store(const char *disk, const struct store_opts *o)
{
	struct store *s = NULL;

	assert_int_equal(store_open(disk, CAP, CAPLEN, o, &s), 0);
	return s;
}

static void fill(void *blk, uint64_t pat)
{
	uint64_t *w = blk;
	size_t i;

	for (i = CACHE_HDR / 8; i < BLK / 8; i++)
		w[i] = pat * 0x9e3779b97f4a7c15ull + i;
}

static int holds(const void *blk, uint64_t pat)
{
	const uint64_t *w = blk;
	size_t i;

	for (i = CACHE_HDR / 8; i < BLK / 8; i++)
		if (w[i] != pat * 0x9e3779b97f4a7c15ull + i)
			return 0;
	return 1;
}

/* Allocate a block in t and fill it with pat. */
static exo_bno new_page(struct dtx *t, uint64_t pat)
{
	exo_bno bno;
	void *p;

	assert_int_equal(balloc_alloc(t, 0, 1, &bno), 0);
	assert_int_equal(dtx_page(t, bno, DTX_NEW, &p), 0);
	fill(p, pat);
	return bno;
}

static void set_page(struct dtx *t, exo_bno bno, uint64_t pat)
{
	void *p;

	assert_int_equal(dtx_page(t, bno, 0, &p), 0);
	fill(p, pat);
}

/* The committed page's pattern check: 1 holds, 0 not, or an error. */
static int page_is(struct store *s, exo_bno bno, uint64_t pat)
{
	struct cpage *pg;
	int rc;

	store_read_begin(s);
	rc = cache_get(store_cache(s), bno, 0, &pg);
	if (rc == 0) {
		rc = holds(cpage_data(pg), pat);
		cache_put(store_cache(s), pg);
	}
	store_read_end(s);
	return rc;
}

/* Pages allocated by a test, marked for store_check. */
struct pages {
	exo_bno bno[64];
	int n;
};

static int mark_pages(struct store *s, struct store_checker *c, void *arg)
{
	struct pages *p = arg;
	int i, rc;

	(void)s;
	for (i = 0; i < p->n; i++) {
		rc = store_check_mark(c, p->bno[i], 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- media snapshots for crash tests ---- */

static uint8_t *media_save(const char *name, uint64_t nblocks)
{
	uint8_t *m = malloc(nblocks * BLK);

	assert_non_null(m);
	assert_int_equal(fault_disk_read_raw(name, 0, nblocks, m), 0);
	return m;
}

static void media_restore(const char *name, const uint8_t *m,
			  uint64_t nblocks)
{
	assert_int_equal(fault_disk_destroy(name), 0);
	assert_int_equal(fault_disk_create(name, nblocks), 0);
	assert_int_equal(fault_disk_write_raw(name, 0, nblocks, m), 0);
}

static void plan_cut(const char *name, uint64_t k)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	p.seed = k * 7919 + 1;
	p.cut_at_io = k;
	p.persist_pct = (unsigned)(k % 3) * 50; /* drop, tear, keep */
	assert_int_equal(fault_set_plan(name, &p), 0);
}

static void plan_none(const char *name)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	assert_int_equal(fault_set_plan(name, &p), 0);
}

/* ---- superblock and page op codecs ---- */

static void test_sb_codec(void **state)
{
	static uint8_t blk[BLK];
	struct store_sb sb = { .gen = 3, .self = 11, .sb_a = 10, .epoch = 4,
			       .ckpt_epoch = 4, .ckpt_lsn = 4096,
			       .log_start = 12, .log_nblocks = 64,
			       .balloc_root = 100, .obj_root = 101,
			       .created = 7 };
	struct store_sb out;
	struct sb_disk d;

	(void)state;
	sb.roots[5] = 55;
	assert_int_equal(sb_encode(&sb, blk, BLK), 0);
	assert_int_equal(sb_decode(blk, BLK, &out), 0);
	assert_int_equal(memcmp(&sb, &out, sizeof(sb)), 0);
	assert_int_equal(sb_decode(blk, 100, &out), EXO_EINVAL);
	blk[CACHE_HDR + 100] ^= 1; /* a flipped bit */
	assert_int_equal(sb_decode(blk, BLK, &out), EXO_ECORRUPT);
	blk[CACHE_HDR + 100] ^= 1;
	memcpy(&d, blk + CACHE_HDR, sizeof(d));
	d.version = 2;
	memcpy(blk + CACHE_HDR, &d, sizeof(d));
	assert_int_equal(sb_decode(blk, BLK, &out), EXO_EVERSION);
	sb.log_nblocks = 3; /* insane geometry, valid CRC */
	assert_int_equal(sb_encode(&sb, blk, BLK), 0);
	assert_int_equal(sb_decode(blk, BLK, &out), EXO_ECORRUPT);
	memset(blk, 0, BLK);
	assert_int_equal(sb_decode(blk, BLK, &out), EXO_ECORRUPT);
}

static void test_pageop_codec(void **state)
{
	uint8_t buf[64] = { 0 };
	struct pageop_hdr h = { .bno = 9, .nranges = 1 };
	struct pageop_range r = { .off = 100, .len = 8 };
	exo_bno bno;
	int full;

	(void)state;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &r, sizeof(r));
	memset(buf + sizeof(h) + sizeof(r), 0xab, 8);
	assert_int_equal(pageop_check(buf, sizeof(h) + sizeof(r) + 8, &bno,
				      &full), 0);
	assert_int_equal(bno, 9);
	assert_int_equal(full, 0);
	assert_int_equal(pageop_check(buf, sizeof(h) + sizeof(r) + 7, NULL,
				      NULL), EXO_ECORRUPT);
	r.off = 8; /* inside the cache header */
	memcpy(buf + sizeof(h), &r, sizeof(r));
	assert_int_equal(pageop_check(buf, sizeof(h) + sizeof(r) + 8, NULL,
				      NULL), EXO_ECORRUPT);
	r.off = 4090; /* past the block */
	memcpy(buf + sizeof(h), &r, sizeof(r));
	assert_int_equal(pageop_check(buf, sizeof(h) + sizeof(r) + 8, NULL,
				      NULL), EXO_ECORRUPT);
	h.flags = PAGEOP_FULL; /* full but short */
	r.off = 100;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &r, sizeof(r));
	assert_int_equal(pageop_check(buf, sizeof(h) + sizeof(r) + 8, NULL,
				      NULL), EXO_ECORRUPT);
	assert_int_equal(pageop_check(buf, 3, NULL, NULL), EXO_ECORRUPT);
}

/* ---- open, close, transactions ---- */

static void test_create_open_close(void **state)
{
	const char *disk = disk_new("st_create", 4096);
	struct store_opts o = opts();
	struct store *s;
	uint64_t v;

	(void)state;
	s = create(disk, &o);
	assert_int_equal(store_sb(s)->gen, 1);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_create(disk, CAP, CAPLEN, &o, &s), EXO_EEXIST);
	assert_int_equal(store_open(disk, "other", 5, &o, &s), EXO_ENOENT);
	s = open_store(disk, &o);
	/* Each open clears the epoch a lost newer superblock copy may have
	 * had (created at 1, that copy at most 2): 3. */
	assert_int_equal(store_sb(s)->epoch, 3);
	assert_int_equal(store_root_get(s, 3, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(store_root_get(s, STORE_NROOTS, &v), EXO_EINVAL);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	assert_int_equal(store_sb(s)->epoch, 5);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_create"), 0);
}

static void test_commit_abort(void **state)
{
	const char *disk = disk_new("st_commit", 4096);
	struct store_opts o = opts();
	struct store *s = create(disk, &o);
	struct pages pg = { .n = 2 };
	struct dtx *t;
	lsn_t l1, l2;
	void *p;

	(void)state;
	assert_int_equal(dtx_begin(s, &t), 0);
	pg.bno[0] = new_page(t, 1);
	pg.bno[1] = new_page(t, 2);
	assert_int_equal(dtx_commit(t, &l1), 0);
	assert_int_equal(page_is(s, pg.bno[0], 1), 1);
	assert_int_equal(page_is(s, pg.bno[1], 2), 1);

	/* Readers see the committed frame until commit. */
	assert_int_equal(dtx_begin(s, &t), 0);
	set_page(t, pg.bno[0], 3);
	assert_int_equal(dtx_page(t, pg.bno[0], 0, &p), 0);
	assert_true(holds(p, 3)); /* the same shadow again */
	assert_int_equal(page_is(s, pg.bno[0], 1), 1);
	dtx_abort(t);
	assert_int_equal(page_is(s, pg.bno[0], 1), 1);

	/* A small change logs a small record. */
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(dtx_page(t, pg.bno[1], 0, &p), 0);
	((uint8_t *)p)[200] ^= 0xff;
	assert_int_equal(dtx_commit(t, &l2), 0);
	assert_true(l2 > l1);

	/* Blocks not allocated from balloc are refused. */
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(dtx_page(t, store_sb(s)->sb_a, 0, &p), EXO_EINVAL);
	assert_int_equal(dtx_log(t, WAL_OP_PAGE, "x", 1), EXO_EINVAL);
	dtx_abort(t);
	assert_int_equal(store_check(s, mark_pages, &pg), 0);
	assert_int_equal(store_close(s), 0);

	s = open_store(disk, &o);
	assert_int_equal(page_is(s, pg.bno[0], 1), 1);
	assert_int_equal(store_check(s, mark_pages, &pg), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_commit"), 0);
}

static void test_roots(void **state)
{
	const char *disk = disk_new("st_roots", 4096);
	struct store_opts o = opts();
	struct store *s;
	struct dtx *t;
	uint64_t v;

	(void)state;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(store_root_set(t, 2, 42), 0);
	assert_int_equal(dtx_root_get(t, 2, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(store_root_get(s, 2, &v), 0);
	assert_int_equal(v, 0);
	dtx_abort(t);
	assert_int_equal(store_root_get(s, 2, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(store_root_set(t, 2, 42), 0);
	assert_int_equal(store_root_set(t, 15, 7), 0);
	assert_int_equal(store_root_set(t, 16, 7), EXO_EINVAL);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(store_root_get(s, 15, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(store_close(s), 0); /* no checkpoint: redone */
	s = open_store(disk, &o);
	assert_int_equal(store_root_get(s, 2, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(store_checkpoint(s), 0); /* now in the superblock */
	assert_int_equal(store_sb(s)->roots[15], 7);
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	assert_int_equal(store_root_get(s, 15, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_roots"), 0);
}

/* Commit n pages with patterns base..base+n-1 into pg. */
static void commit_pages(struct store *s, struct pages *pg, int n,
			 uint64_t base)
{
	struct dtx *t;
	int i;

	assert_int_equal(dtx_begin(s, &t), 0);
	for (i = 0; i < n; i++)
		pg->bno[pg->n++] = new_page(t, base + (uint64_t)i);
	assert_int_equal(dtx_commit(t, NULL), 0);
}

static void test_recovery(void **state)
{
	const char *disk = disk_new("st_recover", 4096);
	struct store_opts o = opts();
	struct pages pg = { 0 };
	static uint8_t blk[BLK], zero[BLK];
	struct store *s;
	int i;

	(void)state;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	commit_pages(s, &pg, 4, 100);
	commit_pages(s, &pg, 4, 104);
	assert_int_equal(store_close(s), 0); /* no checkpoint */
	/* Commits wrote the log only: the pages are not on the media. */
	for (i = 0; i < 8; i++) {
		assert_int_equal(fault_disk_read_raw("st_recover", pg.bno[i], 1,
						     blk), 0);
		assert_int_equal(memcmp(blk, zero, BLK), 0);
	}
	s = open_store(disk, &o);
	for (i = 0; i < 8; i++)
		assert_int_equal(page_is(s, pg.bno[i], 100 + (uint64_t)i), 1);
	assert_int_equal(store_check(s, mark_pages, &pg), 0);

	/* After a checkpoint, recovery starts later and still finds all. */
	assert_int_equal(store_checkpoint(s), 0);
	commit_pages(s, &pg, 2, 108);
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	for (i = 0; i < 10; i++)
		assert_int_equal(page_is(s, pg.bno[i], 100 + (uint64_t)i), 1);
	assert_int_equal(store_check(s, mark_pages, &pg), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_recover"), 0);
}

/* A power cut at every I/O of opening (recovery, its checkpoint): the
 * next open recovers the same state (redo is idempotent). */
static void test_redo_idempotent(void **state)
{
	const uint64_t nb = 2048;
	const char *disk = disk_new("st_redo", nb);
	struct store_opts o = opts();
	struct pages pg = { 0 };
	struct store *s;
	uint8_t *media;
	uint64_t k;
	int i, rc, done = 0;

	(void)state;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	for (i = 0; i < 4; i++)
		commit_pages(s, &pg, 3, 10 * (uint64_t)i);
	assert_int_equal(store_close(s), 0);
	media = media_save("st_redo", nb);
	for (k = 1; !done; k++) {
		media_restore("st_redo", media, nb);
		plan_cut("st_redo", k);
		rc = store_open(disk, CAP, CAPLEN, &o, &s);
		if (rc == 0)
			store_close(s);
		done = fault_io_count("st_redo") < (int64_t)k;
		plan_none("st_redo");
		s = open_store(disk, &o);
		for (i = 0; i < 12; i++)
			assert_int_equal(page_is(s, pg.bno[i],
						 10 * (uint64_t)(i / 3) +
							 (uint64_t)(i % 3)),
					 1);
		assert_int_equal(store_check(s, mark_pages, &pg), 0);
		assert_int_equal(store_close(s), 0);
	}
	assert_true(k > 10);
	free(media);
	assert_int_equal(fault_disk_destroy("st_redo"), 0);
}

static void test_read_only(void **state)
{
	const uint64_t nb = 2048;
	const char *disk = disk_new("st_ro", nb);
	struct store_opts o = opts();
	struct pages pg = { 0 };
	struct store *s;
	uint8_t *before, *after;
	struct dtx *t;
	uint64_t v;
	int i, round;

	(void)state;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	commit_pages(s, &pg, 6, 500);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(store_root_set(t, 1, 99), 0);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(store_close(s), 0); /* the log holds it all */
	before = media_save("st_ro", nb);
	o.read_only = 1;
	for (round = 0; round < 2; round++) {
		s = open_store(disk, &o);
		for (i = 0; i < 6; i++)
			assert_int_equal(page_is(s, pg.bno[i],
						 500 + (uint64_t)i), 1);
		assert_int_equal(store_root_get(s, 1, &v), 0);
		assert_int_equal(v, 99);
		assert_int_equal(store_check(s, mark_pages, &pg), 0);
		assert_int_equal(dtx_begin(s, &t), EXO_EPERM);
		assert_int_equal(store_checkpoint(s), EXO_EPERM);
		assert_int_equal(exo_info(store_exo(s))->io_writes, 0);
		assert_int_equal(store_close(s), 0);
	}
	after = media_save("st_ro", nb);
	assert_int_equal(memcmp(before, after, nb * BLK), 0);
	o.read_only = 0;
	assert_int_equal(store_create(disk, CAP, CAPLEN, &o, &s), EXO_EEXIST);
	free(before);
	free(after);
	assert_int_equal(fault_disk_destroy("st_ro"), 0);
}

/* ---- recovery larger than the cache ---- */

#define MANY      2000 /* pages a log touches, many more than the cache */
#define MARK_WORD 40   /* the word a small change sets */

/* Blocks a test allocated, any number, marked for store_check. */
struct blocks {
	exo_bno *bno;
	int n;
};

static int mark_blocks(struct store *s, struct store_checker *c, void *arg)
{
	struct blocks *b = arg;
	int i, rc;

	(void)s;
	for (i = 0; i < b->n; i++) {
		rc = store_check_mark(c, b->bno[i], 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* n transactions, each a new page with pattern base + i, into b. */
static void commit_each(struct store *s, struct blocks *b, int n,
			uint64_t base)
{
	struct dtx *t;
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(dtx_begin(s, &t), 0);
		b->bno[b->n] = new_page(t, base + (uint64_t)b->n);
		b->n++;
		assert_int_equal(dtx_commit(t, NULL), 0);
	}
}

static void check_each(struct store *s, const struct blocks *b,
		       uint64_t base)
{
	int i;

	for (i = 0; i < b->n; i++)
		assert_int_equal(page_is(s, b->bno[i], base + (uint64_t)i), 1);
	assert_int_equal(store_check(s, mark_blocks, (void *)b), 0);
}

/* A log touching MANY pages since its checkpoint, recovered by a cache of
 * 64 pages: read-write, recovery writes pages back as it goes, in an
 * arena no larger than the cache asks; read-only, it pins them all, or
 * fails cleanly past ro_max_pages. */
static void test_recover_many_pages(void **state)
{
	const char *disk = disk_new("st_many", 32768);
	struct store_opts o = opts();
	struct blocks b = { calloc(MANY, sizeof(exo_bno)), 0 };
	struct store *s;
	int round;

	(void)state;
	assert_non_null(b.bno);
	o.cache_pages = 64;
	o.log_blocks = 8192;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	commit_each(s, &b, MANY, 7000);
	assert_int_equal(store_sb(s)->gen, 1); /* no checkpoint since create */
	assert_int_equal(store_close(s), 0);

	o.read_only = 1;
	o.ro_max_pages = MANY / 2;
	assert_int_equal(store_open(disk, CAP, CAPLEN, &o, &s), EXO_ENOMEM);
	o.ro_max_pages = 0;
	s = open_store(disk, &o);
	check_each(s, &b, 7000);
	assert_int_equal(exo_info(store_exo(s))->io_writes, 0);
	assert_int_equal(store_close(s), 0);

	o.read_only = 0;
	for (round = 0; round < 2; round++) {
		s = open_store(disk, &o);
		assert_true(exo_info(store_exo(s))->pages_total < MANY / 4);
		check_each(s, &b, 7000);
		assert_int_equal(store_close(s), 0);
	}
	free(b.bno);
	assert_int_equal(fault_disk_destroy("st_many"), 0);
}

/* What a cut during an open left on the media of pages b. */
struct wb_seen {
	int sb_same; /* both superblocks as before: no checkpoint yet */
	int half;    /* pages with their first change only, sealed */
	int torn;    /* pages failing their checksum */
};

static uint64_t mark_of(uint64_t pat)
{
	return ~pat;
}

static int page_is_zero_raw(const uint8_t *blk)
{
	static const uint8_t zero[BLK];

	return memcmp(blk, zero, BLK) == 0;
}

static void wb_inspect(const char *name, const uint8_t *before,
		       const struct blocks *b, exo_bno sb_a,
		       struct wb_seen *w)
{
	static const uint8_t zero4[4];
	uint8_t blk[BLK], want[BLK];
	struct cache_hdr h;
	uint32_t crc;
	int i;

	memset(w, 0, sizeof(*w));
	assert_int_equal(fault_disk_read_raw(name, sb_a, 1, blk), 0);
	w->sb_same = memcmp(blk, before + sb_a * BLK, BLK) == 0;
	assert_int_equal(fault_disk_read_raw(name, sb_a + 1, 1, blk), 0);
	w->sb_same &= memcmp(blk, before + (sb_a + 1) * BLK, BLK) == 0;
	for (i = 0; i < b->n; i++) {
		assert_int_equal(fault_disk_read_raw(name, b->bno[i], 1, blk),
				 0);
		memcpy(&h, blk, sizeof(h));
		crc = crc32c(crc32c(0, zero4, 4), blk + 4, BLK - 4);
		fill(want, 300 + (uint64_t)i);
		if (crc != h.crc)
			w->torn += !page_is_zero_raw(blk);
		else if (!memcmp(blk + CACHE_HDR, want + CACHE_HDR,
				 BLK - CACHE_HDR))
			w->half++;
	}
}

/* The page holds pattern pat with its mark word set. */
static int page_marked(struct store *s, exo_bno bno, uint64_t pat)
{
	uint8_t want[BLK];
	struct cpage *pg;
	uint64_t mark = mark_of(pat);
	int rc;

	fill(want, pat);
	memcpy(want + MARK_WORD * 8, &mark, 8);
	store_read_begin(s);
	rc = cache_get(store_cache(s), bno, 0, &pg);
	if (rc == 0) {
		rc = !memcmp((uint8_t *)cpage_data(pg) + CACHE_HDR,
			     want + CACHE_HDR, BLK - CACHE_HDR);
		cache_put(store_cache(s), pg);
	}
	store_read_end(s);
	return rc;
}

/*
 * Pages created (full images) then changed a little (byte ranges) are
 * only in the log; an open with a 32-page cache writes recovered pages
 * back during recovery.  Cut the power at points spread over that open,
 * tearing unflushed writes: some cuts leave written-back pages holding
 * only their first change, or torn, under the old superblock.  The next
 * open recovers every page exactly.
 */
static void test_recovery_writeback_cut(void **state)
{
	const uint64_t nb = 4096, npages = 300, ncuts = 12;
	const char *disk = disk_new("st_wbcut", nb);
	struct store_opts o = opts();
	struct blocks b = { calloc(npages, sizeof(exo_bno)), 0 };
	struct fault_plan p = FAULT_PLAN_INIT;
	int half_seen = 0, torn_seen = 0;
	struct wb_seen w;
	struct store *s;
	struct dtx *t;
	uint64_t mark, j, i;
	int64_t nio;
	exo_bno sb_a;
	uint8_t *media;
	void *pg;

	(void)state;
	assert_non_null(b.bno);
	o.cache_pages = 1024; /* the workload writes no page back */
	o.log_blocks = 1024;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	commit_each(s, &b, (int)npages, 300);
	for (i = 0; i < npages; i++) {
		assert_int_equal(dtx_begin(s, &t), 0);
		assert_int_equal(dtx_page(t, b.bno[i], 0, &pg), 0);
		mark = mark_of(300 + i);
		memcpy((uint8_t *)pg + MARK_WORD * 8, &mark, 8);
		assert_int_equal(dtx_commit(t, NULL), 0);
	}
	sb_a = store_sb(s)->sb_a;
	assert_int_equal(store_sb(s)->gen, 1);
	assert_int_equal(store_close(s), 0);
	media = media_save("st_wbcut", nb);
	for (i = 0; i < npages; i++) /* the log is the only copy */
		assert_true(page_is_zero_raw(media + b.bno[i] * BLK));

	o.cache_pages = 32;
	plan_none("st_wbcut");
	s = open_store(disk, &o);
	nio = fault_io_count("st_wbcut");
	assert_int_equal(store_close(s), 0);
	for (j = 1; j <= ncuts; j++) {
		media_restore("st_wbcut", media, nb);
		p.seed = j;
		p.cut_at_io = (uint64_t)nio * j / (ncuts + 1);
		p.persist_pct = 50;
		assert_int_equal(fault_set_plan("st_wbcut", &p), 0);
		if (store_open(disk, CAP, CAPLEN, &o, &s) == 0)
			store_close(s);
		plan_none("st_wbcut");
		wb_inspect("st_wbcut", media, &b, sb_a, &w);
		half_seen += w.sb_same && w.half > 0;
		torn_seen += w.sb_same && w.torn > 0;
		s = open_store(disk, &o);
		for (i = 0; i < npages; i++)
			assert_int_equal(page_marked(s, b.bno[i], 300 + i), 1);
		assert_int_equal(store_check(s, mark_blocks, &b), 0);
		assert_int_equal(store_close(s), 0);
	}
	assert_true(half_seen > 0);
	assert_true(torn_seen > 0);
	free(media);
	free(b.bno);
	assert_int_equal(fault_disk_destroy("st_wbcut"), 0);
}

/* Eight pages change together: a cut anywhere leaves all old or all new,
 * and all new if the commit was acknowledged. */
static void test_atomic_batch_cut(void **state)
{
	const uint64_t nb = 2048;
	const char *disk = disk_new("st_atomic", nb);
	struct store_opts o = opts();
	struct pages pg = { 0 };
	struct store *s;
	struct dtx *t;
	uint8_t *media;
	uint64_t k;
	int i, rc, acked, nold, nnew, done = 0;

	(void)state;
	s = create(disk, &o);
	commit_pages(s, &pg, 8, 0);
	assert_int_equal(store_close(s), 0);
	media = media_save("st_atomic", nb);
	for (k = 1; !done; k++) {
		media_restore("st_atomic", media, nb);
		plan_cut("st_atomic", k);
		acked = 0;
		rc = store_open(disk, CAP, CAPLEN, &o, &s);
		if (rc == 0) {
			rc = dtx_begin(s, &t);
			for (i = 0; rc == 0 && i < 8; i++) {
				void *p;

				rc = dtx_page(t, pg.bno[i], 0, &p);
				if (rc == 0)
					fill(p, 1000 + (uint64_t)i);
				else
					dtx_abort(t);
			}
			if (rc == 0)
				acked = dtx_commit(t, NULL) == 0;
			store_close(s);
		}
		done = fault_io_count("st_atomic") < (int64_t)k;
		plan_none("st_atomic");
		s = open_store(disk, &o);
		nold = nnew = 0;
		for (i = 0; i < 8; i++) {
			nold += page_is(s, pg.bno[i], (uint64_t)i) == 1;
			nnew += page_is(s, pg.bno[i], 1000 + (uint64_t)i) == 1;
		}
		assert_true(nold == 8 || nnew == 8);
		if (acked)
			assert_int_equal(nnew, 8);
		assert_int_equal(store_check(s, mark_pages, &pg), 0);
		assert_int_equal(store_close(s), 0);
	}
	free(media);
	assert_int_equal(fault_disk_destroy("st_atomic"), 0);
}

/* A page torn on the media after a checkpoint is rebuilt from the full
 * image its first change after the checkpoint logged; a damaged page the
 * log cannot rebuild reads as EXO_ECORRUPT. */
static void test_torn_page(void **state)
{
	const char *disk = disk_new("st_torn", 4096);
	struct store_opts o = opts();
	struct pages pg = { 0 };
	uint8_t junk[BLK];
	struct store *s;
	struct dtx *t;
	void *p;
	int i;

	(void)state;
	o.manual_ckpt = 1;
	s = create(disk, &o);
	commit_pages(s, &pg, 2, 70);
	assert_int_equal(store_checkpoint(s), 0);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(dtx_page(t, pg.bno[0], 0, &p), 0);
	fill(p, 71); /* all of it, but first: a full image anyway */
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(store_close(s), 0);
	memset(junk, 0x5a, sizeof(junk));
	for (i = 0; i < 2; i++)
		assert_int_equal(fault_disk_write_raw("st_torn", pg.bno[i], 1,
						      junk), 0);
	s = open_store(disk, &o);
	assert_int_equal(page_is(s, pg.bno[0], 71), 1);
	assert_int_equal(page_is(s, pg.bno[1], 71), EXO_ECORRUPT);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_torn"), 0);
}

/* Damage the allocator's directory, or both superblocks. */
static void test_corrupt_metadata(void **state)
{
	const char *disk = disk_new("st_corrupt", 4096);
	struct store_opts o = opts();
	exo_bno bad = 0, root, sb;
	uint8_t blk[BLK];
	struct store *s;

	(void)state;
	s = create(disk, &o);
	root = store_sb(s)->balloc_root;
	sb = store_sb(s)->sb_a;
	assert_int_equal(store_close(s), 0); /* superblock now in B */
	/* One bad copy: the other is used. */
	assert_int_equal(fault_disk_read_raw("st_corrupt", sb + 1, 1, blk), 0);
	blk[CACHE_HDR + 40] ^= 4;
	assert_int_equal(fault_disk_write_raw("st_corrupt", sb + 1, 1, blk), 0);
	s = open_store(disk, &o);
	assert_int_equal(store_close(s), 0);
	/* A bit flip in the directory root. */
	assert_int_equal(fault_disk_read_raw("st_corrupt", root, 1, blk), 0);
	blk[CACHE_HDR + 3] ^= 1;
	assert_int_equal(fault_disk_write_raw("st_corrupt", root, 1, blk), 0);
	o.bad = &bad;
	assert_int_equal(store_open(disk, CAP, CAPLEN, &o, &s), EXO_ECORRUPT);
	assert_int_equal(bad, root);
	/* Both superblocks bad. */
	memset(blk, 0x33, sizeof(blk));
	assert_int_equal(fault_disk_write_raw("st_corrupt", sb, 1, blk), 0);
	assert_int_equal(fault_disk_write_raw("st_corrupt", sb + 1, 1, blk), 0);
	assert_int_equal(store_open(disk, CAP, CAPLEN, &o, &s), EXO_ECORRUPT);
	assert_int_equal(bad, sb);
	assert_int_equal(fault_disk_destroy("st_corrupt"), 0);
}

/* A small log wraps many times: checkpoints keep it going. */
static void test_log_wrap(void **state)
{
	const char *disk = disk_new("st_wrap", 4096);
	struct store_opts o = opts();
	struct pages pg = { 0 };
	struct store *s;
	struct dtx *t;
	int i;

	(void)state;
	o.log_blocks = 32;
	s = create(disk, &o);
	commit_pages(s, &pg, 4, 0);
	for (i = 0; i < 300; i++) {
		assert_int_equal(dtx_begin(s, &t), 0);
		set_page(t, pg.bno[i % 4], 1000 + (uint64_t)i);
		assert_int_equal(dtx_commit(t, NULL), 0);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(page_is(s, pg.bno[i], 1296 + (uint64_t)i), 1);
	assert_true(store_sb(s)->gen > 3); /* checkpoints happened */
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	for (i = 0; i < 4; i++)
		assert_int_equal(page_is(s, pg.bno[i], 1296 + (uint64_t)i), 1);
	assert_int_equal(store_check(s, mark_pages, &pg), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_wrap"), 0);
}

/* A log write failing breaks the store until it is reopened. */
static void test_eio_breaks(void **state)
{
	const char *disk = disk_new("st_eio", 4096);
	struct store_opts o = opts();
	struct fault_plan p = FAULT_PLAN_INIT;
	struct pages pg = { 0 };
	struct store *s;
	struct dtx *t;
	int rc;

	(void)state;
	s = create(disk, &o);
	commit_pages(s, &pg, 2, 5);
	p.eio_at_io = 1;
	assert_int_equal(fault_set_plan("st_eio", &p), 0);
	assert_int_equal(dtx_begin(s, &t), 0);
	set_page(t, pg.bno[0], 6);
	rc = dtx_commit(t, NULL);
	assert_int_equal(rc, EXO_EIO);
	assert_int_equal(dtx_begin(s, &t), EXO_EIO);
	assert_int_equal(store_checkpoint(s), EXO_EIO);
	store_close(s);
	plan_none("st_eio");
	s = open_store(disk, &o);
	assert_int_equal(page_is(s, pg.bno[1], 6), 1);
	assert_true(page_is(s, pg.bno[0], 5) == 1 ||
		    page_is(s, pg.bno[0], 6) == 1);
	assert_int_equal(store_check(s, mark_pages, &pg), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_eio"), 0);
}

/* ---- the allocator ---- */

struct model {
	struct exo_extent *x;
	size_t n, cap;
};

static void model_add(struct model *m, exo_bno bno, uint64_t n)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->x = realloc(m->x, m->cap * sizeof(*m->x));
		assert_non_null(m->x);
	}
	m->x[m->n++] = (struct exo_extent){ bno, n };
}

static int overlaps(const struct exo_extent *x, size_t n, exo_bno bno,
		    uint64_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (bno < x[i].start + x[i].len && x[i].start < bno + len)
			return 1;
	return 0;
}

static int mark_model(struct store *s, struct store_checker *c, void *arg)
{
	struct model *m = arg;
	size_t i;
	int rc;

	(void)s;
	for (i = 0; i < m->n; i++) {
		rc = store_check_mark(c, m->x[i].start, m->x[i].len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One random transaction against the model. */
static void model_txn(struct store *s, struct model *m, unsigned *seed)
{
	struct exo_extent mine[16], gone[16];
	size_t nmine = 0, ngone = 0, i, k;
	struct dtx *t;
	exo_bno bno;
	uint64_t n;
	int op;

	assert_int_equal(dtx_begin(s, &t), 0);
	for (op = 0; op < 8; op++) {
		if (rand_r(seed) % 2 == 0 && m->n > 0) {
			k = (size_t)rand_r(seed) % m->n;
			if (overlaps(gone, ngone, m->x[k].start, 1))
				continue;
			assert_int_equal(balloc_free(t, m->x[k].start,
						     m->x[k].len), 0);
			assert_int_equal(balloc_free(t, m->x[k].start,
						     m->x[k].len), EXO_EINVAL);
			gone[ngone++] = m->x[k];
			continue;
		}
		n = 1 + (uint64_t)(rand_r(seed) % 40);
		assert_int_equal(balloc_alloc(t, (exo_bno)rand_r(seed) % 3000,
					      n, &bno), 0);
		/* Never a block the committed state or this txn holds. */
		assert_false(overlaps(m->x, m->n, bno, n));
		assert_false(overlaps(mine, nmine, bno, n));
		mine[nmine++] = (struct exo_extent){ bno, n };
	}
	if (rand_r(seed) % 4 == 0) {
		dtx_abort(t);
		return;
	}
	assert_int_equal(dtx_commit(t, NULL), 0);
	for (i = 0; i < ngone; i++) {
		for (k = 0; k < m->n; k++) {
			if (m->x[k].start == gone[i].start) {
				m->x[k] = m->x[--m->n];
				break;
			}
		}
	}
	for (i = 0; i < nmine; i++)
		model_add(m, mine[i].start, mine[i].len);
}

static void test_balloc_model(void **state)
{
	const char *disk = disk_new("st_model", 8192);
	struct store_opts o = opts();
	struct model m = { 0 };
	unsigned seed = 12345;
	struct store *s;
	int i;

	(void)state;
	s = create(disk, &o);
	for (i = 0; i < 300; i++) {
		model_txn(s, &m, &seed);
		if (i % 25 == 0)
			assert_int_equal(store_check(s, mark_model, &m), 0);
	}
	assert_int_equal(store_check(s, mark_model, &m), 0);
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	assert_int_equal(store_check(s, mark_model, &m), 0);
	for (i = 0; i < 50; i++)
		model_txn(s, &m, &seed);
	assert_int_equal(store_check(s, mark_model, &m), 0);
	/* A block marked twice, or a leak, is reported. */
	if (m.n > 0) {
		model_add(&m, m.x[0].start, 1);
		assert_int_equal(store_check(s, mark_model, &m), EXO_ECORRUPT);
		assert_int_equal(store_bad_block(s), m.x[0].start);
		m.n -= 2;
		assert_int_equal(store_check(s, mark_model, &m), EXO_ECORRUPT);
	}
	assert_int_equal(store_close(s), 0);
	free(m.x);
	assert_int_equal(fault_disk_destroy("st_model"), 0);
}

static uint64_t owned_blocks(struct store *s)
{
	return exo_info(store_exo(s))->blocks_owned;
}

/* What the store accounts for: superblocks, log, chunks. */
static uint64_t known_blocks(struct store *s)
{
	struct balloc_stats st;

	balloc_get_stats(store_balloc(s), &st);
	return 2 + store_sb(s)->log_nblocks + st.blocks;
}

static void test_balloc_growth(void **state)
{
	const char *disk = disk_new("st_grow", 16384);
	struct store_opts o = opts();
	struct balloc_stats st;
	struct model m = { 0 };
	struct store *s;
	struct dtx *t;
	exo_bno bno;
	int i;

	(void)state;
	s = create(disk, &o);
	balloc_get_stats(store_balloc(s), &st);
	assert_int_equal(st.chunks, 1);
	assert_int_equal(st.blocks, BALLOC_GROW_MIN);
	for (i = 0; i < 5; i++) {
		assert_int_equal(dtx_begin(s, &t), 0);
		assert_int_equal(balloc_alloc(t, 0, 1000, &bno), 0);
		assert_false(overlaps(m.x, m.n, bno, 1000));
		model_add(&m, bno, 1000);
		assert_int_equal(dtx_commit(t, NULL), 0);
	}
	balloc_get_stats(store_balloc(s), &st);
	assert_true(st.chunks >= 2);
	assert_true(st.blocks >= BALLOC_GROW_MIN + 2 * BALLOC_GROW_MIN);
	assert_int_equal(st.blocks - st.free, 5000 + st.chunks + 2);
	assert_int_equal(owned_blocks(s), known_blocks(s));
	assert_int_equal(store_check(s, mark_model, &m), 0);
	assert_int_equal(store_close(s), 0);
	free(m.x);
	assert_int_equal(fault_disk_destroy("st_grow"), 0);
}

static void test_balloc_enospc(void **state)
{
	const char *disk = disk_new("st_nospc", 4096);
	struct store_opts o = opts();
	struct model m = { 0 };
	struct store *s;
	struct dtx *t;
	uint64_t owned;
	exo_bno bno;
	int rc, n = 0;

	(void)state;
	o.log_blocks = 64;
	s = create(disk, &o);
	owned = owned_blocks(s);
	assert_int_equal(dtx_begin(s, &t), 0);
	while ((rc = balloc_alloc(t, 0, 300, &bno)) == 0)
		n++;
	assert_int_equal(rc, EXO_ENOSPC);
	assert_true(n >= 8);
	assert_true(owned_blocks(s) > owned);
	dtx_abort(t); /* the chunks it grew by go back */
	assert_int_equal(owned_blocks(s), owned);
	assert_int_equal(store_check(s, NULL, NULL), 0);

	/* Still usable; a transaction that met ENOSPC can commit. */
	assert_int_equal(dtx_begin(s, &t), 0);
	while ((rc = balloc_alloc(t, 0, 300, &bno)) == 0)
		model_add(&m, bno, 300);
	assert_int_equal(rc, EXO_ENOSPC);
	assert_int_equal(balloc_alloc(t, 0, 1, &bno), 0);
	model_add(&m, bno, 1);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(store_check(s, mark_model, &m), 0);
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	assert_int_equal(store_check(s, mark_model, &m), 0);
	assert_int_equal(owned_blocks(s), known_blocks(s));
	assert_int_equal(store_close(s), 0);
	free(m.x);
	assert_int_equal(fault_disk_destroy("st_nospc"), 0);
}

/* Grow a chunk for 100 blocks, commit, free them, commit.  Errors (of a
 * power cut) end it. */
static void give_back_work(struct store *s)
{
	struct dtx *t;
	exo_bno big;

	if (dtx_begin(s, &t) < 0)
		return;
	if (balloc_alloc(t, 0, 100, &big) < 0) {
		dtx_abort(t);
		return;
	}
	if (dtx_commit(t, NULL) < 0 || dtx_begin(s, &t) < 0)
		return;
	if (balloc_free(t, big, 100) < 0)
		dtx_abort(t);
	else
		dtx_commit(t, NULL);
}

/* Fill the first chunk, grow a second, free it: it goes back.  Cut at
 * every I/O of that: after reopening, ownership matches the store. */
static void test_balloc_give_back(void **state)
{
	const uint64_t nb = 8192;
	const char *disk = disk_new("st_give", nb);
	struct store_opts o = opts();
	struct balloc_stats st;
	struct model m = { 0 };
	struct store *s;
	struct exo_extent x;
	struct dtx *t;
	exo_bno bno;
	uint8_t *media;
	uint64_t k;
	int done = 0;

	(void)state;
	s = create(disk, &o);
	balloc_get_stats(store_balloc(s), &st);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(balloc_alloc(t, 0, st.free, &bno), 0);
	model_add(&m, bno, st.free);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(store_close(s), 0);
	media = media_save("st_give", nb);
	for (k = 1; !done; k++) {
		media_restore("st_give", media, nb);
		plan_cut("st_give", k);
		if (store_open(disk, CAP, CAPLEN, &o, &s) == 0) {
			give_back_work(s);
			store_close(s);
		}
		done = fault_io_count("st_give") < (int64_t)k;
		plan_none("st_give");
		s = open_store(disk, &o);
		assert_int_equal(owned_blocks(s), known_blocks(s));
		/* The 100 blocks, if their commit survived and the free's
		 * did not, are the second chunk's first. */
		balloc_get_stats(store_balloc(s), &st);
		if (st.chunks == 2) {
			assert_int_equal(balloc_chunk(store_balloc(s), 1, &x),
					 0);
			model_add(&m, x.start + 1, 100);
		}
		assert_int_equal(store_check(s, mark_model, &m), 0);
		m.n = 1;
		assert_true(st.chunks == 1 || !done);
		assert_int_equal(store_close(s), 0);
	}
	free(media);
	free(m.x);
	assert_int_equal(fault_disk_destroy("st_give"), 0);
}

/* A cut between the kernel's grant and the commit: reopening gives the
 * chunk back. */
static void test_balloc_reconcile(void **state)
{
	const char *disk = disk_new("st_recon", 8192);
	struct store_opts o = opts();
	struct balloc_stats st;
	struct store *s;
	struct dtx *t;
	uint64_t owned;
	exo_bno bno;

	(void)state;
	s = create(disk, &o);
	owned = owned_blocks(s);
	balloc_get_stats(store_balloc(s), &st);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(balloc_alloc(t, 0, st.free + 10, &bno), 0);
	assert_true(owned_blocks(s) > owned);
	assert_int_equal(fault_powercut("st_recon", 5), 0);
	dtx_abort(t);
	store_close(s);
	s = open_store(disk, &o);
	assert_int_equal(owned_blocks(s), owned);
	assert_int_equal(owned_blocks(s), known_blocks(s));
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("st_recon"), 0);
}

/* The same store code on an image file through the Linux port, with
 * each I/O engine: commit, recover without a checkpoint, check. */
static void test_image_file(void **state)
{
	static const char *const engines[] = { "io_uring", "libaio", "psync" };
	char dir[] = "/tmp/exodb-store-XXXXXX", path[64];
	struct store_opts o = opts();
	struct pages pg = { 0 };
	struct store *s;
	size_t e;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	for (e = 0; e < 3; e++) {
		pg.n = 0;
		o.io = engines[e];
		o.manual_ckpt = 1;
		assert_int_equal(exo_disk_format(path, 4096 * BLK), 0);
		s = create(path, &o);
		commit_pages(s, &pg, 8, 40);
		assert_int_equal(store_close(s), 0);
		s = open_store(path, &o);
		for (i = 0; i < 8; i++)
			assert_int_equal(
				page_is(s, pg.bno[i], 40 + (uint64_t)i), 1);
		assert_int_equal(store_check(s, mark_pages, &pg), 0);
		assert_int_equal(store_close(s), 0);
	}
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sb_codec),
		cmocka_unit_test(test_pageop_codec),
		cmocka_unit_test(test_create_open_close),
		cmocka_unit_test(test_commit_abort),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_redo_idempotent),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_recover_many_pages),
		cmocka_unit_test(test_recovery_writeback_cut),
		cmocka_unit_test(test_atomic_batch_cut),
		cmocka_unit_test(test_torn_page),
		cmocka_unit_test(test_corrupt_metadata),
		cmocka_unit_test(test_log_wrap),
		cmocka_unit_test(test_eio_breaks),
		cmocka_unit_test(test_balloc_model),
		cmocka_unit_test(test_balloc_growth),
		cmocka_unit_test(test_balloc_enospc),
		cmocka_unit_test(test_balloc_give_back),
		cmocka_unit_test(test_balloc_reconcile),
		cmocka_unit_test(test_image_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
