/*
 * test_cache.c: the buffer cache (dblibos/cache.c).
 *
 * Most tests run on "fault:" disks (port/fault.c): their media can be read
 * and damaged directly, errors injected and power cut.  Page contents are
 * generated from (block, version), so every read can be checked byte for
 * byte.  Covered: get/put/latch and bad arguments; every frame pinned;
 * data surviving flush, a new cache and a new attachment (also on an image
 * file through the Linux port); eviction with a tiny budget (dirty victims
 * written in batches, multi-block requests); a flipped bit on the media
 * (EXO_ECORRUPT, nothing cached) and an all-zero block (a valid empty
 * page); injected EXO_EIO on read (every waiter told, nothing cached) and
 * on write-back (the page stays dirty); 2Q keeping a hot set through a
 * long scan; prefetch turning a scan into hits; the WAL rule (the cache
 * flushes the log before writing a page, checked directly and by a power
 * cut at every I/O of a workload); revocation (pages given back, stats);
 * repossession of clean pages (dropped) and of dirty ones (failed state);
 * 8 threads modifying pages on a small budget; cache_forget.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "exo.h"
#include "port/fault.h"
#include "wal.h"

#define BS	 EXO_BLOCK_SIZE
#define CAP	 "cache-test"
#define NPAGES	 1024 /* arena pages per attachment */
#define NWORDS	 (BS / 8)
#define HDRWORDS (CACHE_HDR / 8)

static char tmpdir[64];

/* ---- page contents: generated from (block, version) ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill(void *page, exo_bno b, uint64_t v)
{
	uint64_t *w = page;

	w[HDRWORDS] = b;
	w[HDRWORDS + 1] = v;
	for (size_t i = HDRWORDS + 2; i < NWORDS; i++)
		w[i] = mix(b * 1000003 + v * 131 + i);
}

/* The version the page holds, or UINT64_MAX if it is not a valid fill of
 * block b. */
static uint64_t version(const void *page, exo_bno b)
{
	const uint64_t *w = page;
	uint64_t v = w[HDRWORDS + 1];

	if (w[HDRWORDS] != b)
		return UINT64_MAX;
	for (size_t i = HDRWORDS + 2; i < NWORDS; i++)
		if (w[i] != mix(b * 1000003 + v * 131 + i))
			return UINT64_MAX;
	return v;
}

/* ---- a disk, an attachment, a cache ---- */

struct tc {
	const char *disk;
	exo_bno base;	/* first data block */
	uint64_t ndata; /* data blocks */
	exo_bno logb;	/* log region (when made) */
	uint64_t nlog;
	struct exo *e;
	struct dio *d;
	struct wal *w;
	struct cache *c;
};

static void tc_attach(struct tc *t, uint64_t npages)
{
	struct exo_attach_opts o = {.disk = t->disk,
				    .cap = CAP,
				    .cap_len = sizeof(CAP) - 1,
				    .npages = npages};

	assert_int_equal(exo_attach(&o, &t->e), 0);
	assert_int_equal(dio_open(t->e, &t->d), 0);
}

static void tc_detach(struct tc *t)
{
	int rc;

	dio_close(t->d);
	rc = exo_detach(t->e);
	assert_true(rc == 0 || rc == EXO_EIO);
	t->d = NULL;
	t->e = NULL;
}

/* A freshly formatted disk with ndata data blocks (and nlog log blocks
 * before them), attached with NPAGES pages. */
static void tc_disk(struct tc *t, const char *disk, uint64_t disk_blocks,
		    uint64_t ndata, uint64_t nlog)
{
	struct exo_attach_opts o = {.disk = disk,
				    .cap = CAP,
				    .cap_len = sizeof(CAP) - 1,
				    .flags = EXO_ATTACH_CREATE,
				    .npages = 16};
	struct exo *e;

	memset(t, 0, sizeof *t);
	if (strncmp(disk, "fault:", 6) == 0) {
		int rc = fault_disk_destroy(disk);

		assert_true(rc == 0 || rc == EXO_ENOENT);
	}
	assert_int_equal(exo_disk_format(disk, disk_blocks * BS), 0);
	assert_int_equal(exo_attach(&o, &e), 0);
	if (nlog)
		assert_int_equal(exo_block_alloc(e, 0, nlog, &t->logb), 0);
	assert_int_equal(exo_block_alloc(e, 0, ndata, &t->base), 0);
	assert_int_equal(exo_detach(e), 0);
	t->disk = disk;
	t->ndata = ndata;
	t->nlog = nlog;
	tc_attach(t, NPAGES);
}

static void tc_open(struct tc *t, uint64_t npages, enum cache_policy pol)
{
	struct cache_opts o = {.npages = npages, .policy = pol};

	assert_int_equal(cache_open(t->e, t->d, t->w, &o, &t->c), 0);
}

static void tc_close(struct tc *t)
{
	cache_close(t->c);
	t->c = NULL;
}

static void tc_end(struct tc *t)
{
	if (t->c)
		tc_close(t);
	if (t->w)
		wal_close(t->w);
	t->w = NULL;
	tc_detach(t);
	if (strncmp(t->disk, "fault:", 6) == 0)
		assert_int_equal(fault_disk_destroy(t->disk), 0);
}

static struct cache_stats stats(struct cache *c)
{
	struct cache_stats s;

	cache_get_stats(c, &s);
	return s;
}

/* Write version v of block b through the cache (new: CACHE_NEW). */
static void put_version(struct cache *c, exo_bno b, uint64_t v, lsn_t lsn,
			unsigned flags)
{
	struct cpage *p;

	assert_int_equal(cache_get(c, b, flags, &p), 0);
	cache_latch(p, 1);
	fill(cpage_data(p), b, v);
	cache_dirty(c, p, lsn);
	cache_unlatch(p, 1);
	cache_put(c, p);
}

/* Block b holds version v, read through the cache. */
static void expect_version(struct cache *c, exo_bno b, uint64_t v)
{
	struct cpage *p;

	assert_int_equal(cache_get(c, b, 0, &p), 0);
	cache_latch(p, 0);
	assert_int_equal(version(cpage_data(p), b), v);
	cache_unlatch(p, 0);
	cache_put(c, p);
}

/* Block b holds version v on the media (fault disks). */
static void expect_media(struct tc *t, exo_bno b, uint64_t v)
{
	static uint64_t buf[NWORDS];

	assert_int_equal(fault_disk_read_raw(t->disk, b, 1, buf), 0);
	assert_int_equal(version(buf, b), v);
}

static void plan_set(const char *disk, uint64_t cut, uint64_t eio, int sticky,
		     unsigned pct)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	p.seed = 1;
	p.cut_at_io = cut;
	p.eio_at_io = eio;
	p.eio_sticky = sticky;
	p.persist_pct = pct;
	assert_int_equal(fault_set_plan(disk, &p), 0);
}

/* ---- basics ---- */

static void test_basics(void **state)
{
	struct cache_opts bad = {.policy = 7};
	struct cache_stats s;
	struct tc t;
	struct cpage *p, *q;
	struct cache *c2;
	exo_bno b;

	(void)state;
	tc_disk(&t, "fault:cache_basics", 512, 64, 0);
	b = t.base;
	assert_int_equal(cache_open(t.e, t.d, NULL, &bad, &c2), EXO_EINVAL);
	assert_int_equal(cache_open(NULL, t.d, NULL, NULL, &c2), EXO_EINVAL);
	tc_open(&t, 16, CACHE_2Q);

	assert_int_equal(cache_get(t.c, EXO_BNO_NONE, 0, &p), EXO_EINVAL);
	assert_int_equal(cache_get(t.c, b, 0x80, &p), EXO_EINVAL);
	assert_int_equal(cache_get(t.c, b, 0, NULL), EXO_EINVAL);
	assert_int_equal(cache_prefetch(t.c, EXO_BNO_NONE, 1), EXO_EINVAL);
	assert_int_equal(cache_forget(t.c, UINT64_MAX - 1, 5), EXO_EINVAL);

	/* a never-written block is a valid empty page with LSN 0 */
	assert_int_equal(cache_get(t.c, b, 0, &p), 0);
	assert_int_equal(cpage_bno(p), b);
	assert_int_equal(cpage_lsn(p), 0);
	cache_latch(p, 0);
	for (size_t i = 0; i < BS; i++)
		assert_int_equal(((uint8_t *)cpage_data(p))[i], 0);
	cache_unlatch(p, 0);

	/* a second pin of the same block is the same frame, a hit */
	assert_int_equal(cache_get(t.c, b, 0, &q), 0);
	assert_ptr_equal(p, q);
	cache_latch(p, 0);
	cache_latch(q, 0); /* two shared latches at once */
	cache_unlatch(q, 0);
	cache_unlatch(p, 0);
	cache_latch(p, 1);
	fill(cpage_data(p), b, 5);
	cache_dirty(t.c, p, 100);
	cache_dirty(t.c, p, 40); /* the LSN never goes back */
	assert_int_equal(cpage_lsn(p), 100);
	cache_unlatch(p, 1);
	cache_put(t.c, q);
	cache_put(t.c, p);
	s = stats(t.c);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.dirty, 1);
	assert_int_equal(s.npages, 16);
	expect_version(t.c, b, 5);

	/* CACHE_NEW: no read, zeroed, also over a cached block */
	assert_int_equal(cache_get(t.c, b + 1, CACHE_NEW, &p), 0);
	assert_int_equal(version(cpage_data(p), b + 1), UINT64_MAX);
	cache_put(t.c, p);
	assert_int_equal(cache_get(t.c, b, CACHE_NEW, &p), 0);
	assert_int_equal(((uint64_t *)cpage_data(p))[HDRWORDS], 0);
	assert_int_equal(cpage_lsn(p), 0);
	cache_put(t.c, p);

	/* not our block: EXO_EPERM, and nothing stays behind */
	assert_int_equal(cache_get(t.c, 1, 0, &p), EXO_EPERM);
	assert_int_equal(cache_prefetch(t.c, 1, 1), EXO_EPERM);
	assert_int_equal(stats(t.c).misses, 3);
	tc_end(&t);
}

/* Every frame pinned: EXO_ENOMEM, until one is put back. */
static void test_all_pinned(void **state)
{
	struct cpage *p[4], *x;
	struct tc t;

	(void)state;
	tc_disk(&t, "fault:cache_pinned", 512, 64, 0);
	tc_open(&t, 4, CACHE_2Q);
	for (int i = 0; i < 4; i++)
		assert_int_equal(cache_get(t.c, t.base + i, 0, &p[i]), 0);
	assert_int_equal(cache_get(t.c, t.base + 10, 0, &x), EXO_ENOMEM);
	assert_int_equal(cache_prefetch(t.c, t.base + 10, 1), 0);
	cache_put(t.c, p[2]);
	assert_int_equal(cache_get(t.c, t.base + 10, 0, &x), 0);
	cache_put(t.c, x);
	for (int i = 0; i < 4; i++)
		if (i != 2)
			cache_put(t.c, p[i]);
	tc_end(&t);
}

/* ---- persistence ---- */

/* Write n blocks, flush, read them back through a new cache, a new
 * attachment; on fault disks, check the media too. */
static void persist_run(const char *disk)
{
	const uint64_t n = 40;
	struct tc t;
	uint64_t i;
	int fault = strncmp(disk, "fault:", 6) == 0;

	tc_disk(&t, disk, 1024, n, 0);
	tc_open(&t, 64, CACHE_2Q);
	for (i = 0; i < n; i++)
		put_version(t.c, t.base + i, i + 1, 0, CACHE_NEW);
	assert_int_equal(stats(t.c).dirty, n);
	assert_int_equal(cache_flush_all(t.c), 0);
	assert_int_equal(stats(t.c).dirty, 0);
	assert_int_equal(stats(t.c).writebacks, n);
	if (fault)
		for (i = 0; i < n; i++)
			expect_media(&t, t.base + i, i + 1);
	tc_close(&t);

	tc_open(&t, 64, CACHE_CLOCK); /* a new cache, same attachment */
	for (i = 0; i < n; i++)
		expect_version(t.c, t.base + i, i + 1);
	assert_int_equal(stats(t.c).misses, n);
	tc_close(&t);

	tc_detach(&t); /* and a new attachment */
	tc_attach(&t, NPAGES);
	tc_open(&t, 8, CACHE_2Q);
	for (i = 0; i < n; i++)
		expect_version(t.c, t.base + i, i + 1);
	tc_end(&t);
}

static void test_persist_fault(void **state)
{
	(void)state;
	persist_run("fault:cache_persist");
}

static void test_persist_image(void **state)
{
	char path[96];

	(void)state;
	snprintf(path, sizeof path, "%s/cache.img", tmpdir);
	persist_run(path);
	unlink(path);
}

/* ---- eviction ---- */

/* 200 blocks through 8 frames, twice over: every block's content checked,
 * dirty victims written back in batches. */
static void test_evict_tiny(void **state)
{
	const uint64_t n = 200;
	struct cache_stats s;
	uint64_t i, writes;
	struct tc t;

	(void)state;
	tc_disk(&t, "fault:cache_evict", 1024, n, 0);
	tc_open(&t, 8, CACHE_2Q);
	writes = exo_info(t.e)->io_writes;
	for (i = 0; i < n; i++)
		put_version(t.c, t.base + i, 7, 0, CACHE_NEW);
	for (i = 0; i < n; i++)
		expect_version(t.c, t.base + i, 7);
	for (i = 0; i < n; i += 3)
		put_version(t.c, t.base + i, 8, 0, 0);
	for (i = 0; i < n; i++)
		expect_version(t.c, t.base + i, i % 3 ? 7 : 8);
	s = stats(t.c);
	assert_true(s.evictions >= 2 * n - 8);
	assert_true(s.writebacks >= n + n / 3 - 8);
	assert_int_equal(s.npages, 8);
	/* neighbours in contiguous frames went out as one request */
	assert_true(exo_info(t.e)->io_writes - writes < s.writebacks);
	assert_int_equal(cache_flush_all(t.c), 0);
	for (i = 0; i < n; i++)
		expect_media(&t, t.base + i, i % 3 ? 7 : 8);
	tc_end(&t);
}

/* ---- checksums and errors ---- */

static void test_checksum(void **state)
{
	static uint8_t buf[BS];
	struct cpage *p;
	struct tc t;
	exo_bno b;

	(void)state;
	tc_disk(&t, "fault:cache_crc", 512, 8, 0);
	b = t.base;
	tc_open(&t, 8, CACHE_2Q);
	put_version(t.c, b, 3, 9, CACHE_NEW);
	put_version(t.c, b + 1, 3, 9, CACHE_NEW);
	assert_int_equal(cache_flush_all(t.c), 0);
	tc_close(&t);

	/* one bit in the data, one in the header's LSN */
	assert_int_equal(fault_disk_read_raw(t.disk, b, 1, buf), 0);
	buf[1000] ^= 0x10;
	assert_int_equal(fault_disk_write_raw(t.disk, b, 1, buf), 0);
	assert_int_equal(fault_disk_read_raw(t.disk, b + 1, 1, buf), 0);
	buf[9] ^= 0x01;
	assert_int_equal(fault_disk_write_raw(t.disk, b + 1, 1, buf), 0);

	tc_open(&t, 8, CACHE_2Q);
	assert_int_equal(cache_get(t.c, b, 0, &p), EXO_ECORRUPT);
	/* read again: the failed frame was not kept */
	assert_int_equal(cache_get(t.c, b, 0, &p), EXO_ECORRUPT);
	assert_int_equal(cache_get(t.c, b + 1, 0, &p), EXO_ECORRUPT);
	assert_int_equal(stats(t.c).misses, 3);
	assert_int_equal(stats(t.c).hits, 0);
	/* a prefetch of it leaves nothing behind either */
	assert_int_equal(cache_prefetch(t.c, b, 1), 1);
	assert_int_equal(cache_get(t.c, b, 0, &p), EXO_ECORRUPT);
	/* the frames came back: all 8 still usable */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(cache_get(t.c, b + 2 + i % 6, 0, &p), 0);
		cache_put(t.c, p);
	}
	/* repaired, it reads */
	assert_int_equal(fault_disk_read_raw(t.disk, b, 1, buf), 0);
	buf[1000] ^= 0x10;
	assert_int_equal(fault_disk_write_raw(t.disk, b, 1, buf), 0);
	expect_version(t.c, b, 3);
	assert_int_equal(cache_get(t.c, b, 0, &p), 0);
	assert_int_equal(cpage_lsn(p), 9);
	cache_put(t.c, p);
	tc_end(&t);
}

struct eio_arg {
	struct cache *c;
	exo_bno b;
	pthread_barrier_t *bar;
	int rc;
};

static void *eio_thread(void *arg)
{
	struct eio_arg *a = arg;
	struct cpage *p;

	pthread_barrier_wait(a->bar);
	a->rc = cache_get(a->c, a->b, 0, &p);
	if (a->rc == 0)
		cache_put(a->c, p);
	return NULL;
}

static void test_eio(void **state)
{
	struct eio_arg a[4];
	pthread_barrier_t bar;
	pthread_t th[4];
	struct cpage *p;
	struct tc t;
	exo_bno b;
	int nerr = 0;

	(void)state;
	tc_disk(&t, "fault:cache_eio", 512, 8, 0);
	b = t.base;
	tc_open(&t, 8, CACHE_2Q);
	put_version(t.c, b, 1, 0, CACHE_NEW);
	assert_int_equal(cache_flush_all(t.c), 0);
	assert_int_equal(cache_forget(t.c, b, 1), 0);

	/* read error: to the caller, nothing cached, the next read works */
	plan_set(t.disk, 0, 1, 0, 50);
	assert_int_equal(cache_get(t.c, b, 0, &p), EXO_EIO);
	expect_version(t.c, b, 1);
	assert_int_equal(stats(t.c).misses, 3);

	/* a failed prefetch: the get that waited for it reads by itself */
	assert_int_equal(cache_forget(t.c, b, 1), 0);
	plan_set(t.disk, 0, 1, 0, 50);
	assert_int_equal(cache_prefetch(t.c, b, 1), 1);
	expect_version(t.c, b, 1);

	/* several threads on one failing read: every one is told */
	assert_int_equal(cache_forget(t.c, b, 1), 0);
	plan_set(t.disk, 0, 1, 1, 50);
	pthread_barrier_init(&bar, NULL, 4);
	for (int i = 0; i < 4; i++) {
		a[i] = (struct eio_arg){.c = t.c, .b = b, .bar = &bar};
		assert_int_equal(
			pthread_create(&th[i], NULL, eio_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].rc, EXO_EIO);
		nerr++;
	}
	pthread_barrier_destroy(&bar);
	assert_int_equal(nerr, 4);
	plan_set(t.disk, 0, 0, 0, 50);
	expect_version(t.c, b, 1);

	/* write-back error: reported, the page stays dirty, retried */
	put_version(t.c, b, 2, 0, 0);
	plan_set(t.disk, 0, 1, 0, 50);
	assert_int_equal(cache_flush_all(t.c), EXO_EIO);
	assert_int_equal(stats(t.c).dirty, 1);
	assert_int_equal(cache_flush_all(t.c), 0);
	assert_int_equal(stats(t.c).dirty, 0);
	expect_media(&t, b, 2);
	tc_end(&t);
}

/* ---- replacement ---- */

/* Hits among the 24 hot blocks after: hot set, 64 others, hot set again
 * (used twice within the ghost list's reach), then a scan of 512 blocks. */
static uint64_t hot_after_scan(enum cache_policy pol)
{
	const uint64_t hot = 24, filler = 64, scan = 512;
	struct cpage *p;
	struct tc t;
	uint64_t i, hits;

	tc_disk(&t, "fault:cache_scan", 2048, hot + filler + scan, 0);
	tc_open(&t, 64, pol);
	for (i = 0; i < hot; i++)
		expect_version(t.c, t.base + i, UINT64_MAX); /* zero pages */
	for (i = 0; i < filler; i++) {
		assert_int_equal(cache_get(t.c, t.base + hot + i, 0, &p), 0);
		cache_put(t.c, p);
	}
	for (i = 0; i < hot; i++) {
		assert_int_equal(cache_get(t.c, t.base + i, 0, &p), 0);
		cache_put(t.c, p);
	}
	for (i = 0; i < scan; i++) {
		assert_int_equal(
			cache_get(t.c, t.base + hot + filler + i, 0, &p), 0);
		cache_put(t.c, p);
	}
	hits = stats(t.c).hits;
	for (i = 0; i < hot; i++) {
		assert_int_equal(cache_get(t.c, t.base + i, 0, &p), 0);
		cache_put(t.c, p);
	}
	hits = stats(t.c).hits - hits;
	tc_end(&t);
	return hits;
}

static void test_scan_2q(void **state)
{
	uint64_t q2, clock;

	(void)state;
	q2 = hot_after_scan(CACHE_2Q);
	clock = hot_after_scan(CACHE_CLOCK);
	print_message("hot hits after a scan: 2Q %lu/24, CLOCK %lu/24\n",
		      (unsigned long)q2, (unsigned long)clock);
	assert_int_equal(q2, 24);
}

/* A scan with prefetch ahead is mostly hits, and its reads are merged. */
static void test_prefetch(void **state)
{
	const uint64_t n = 256, win = 8;
	struct cache_stats s0, s;
	struct cpage *p;
	uint64_t i, reads;
	struct tc t;
	int rc;

	(void)state;
	tc_disk(&t, "fault:cache_prefetch", 1024, n, 0);
	tc_open(&t, 64, CACHE_2Q);
	for (i = 0; i < n; i++)
		put_version(t.c, t.base + i, i, 0, CACHE_NEW);
	assert_int_equal(cache_flush_all(t.c), 0);
	tc_close(&t);

	tc_open(&t, 64, CACHE_2Q);
	s0 = stats(t.c);
	reads = exo_info(t.e)->io_reads;
	assert_int_equal(cache_prefetch(t.c, t.base, win), win);
	for (i = 0; i < n; i++) {
		if (i % win == 0 && i + win < n) {
			rc = cache_prefetch(t.c, t.base + i + win, win);
			assert_true(rc >= 0);
		}
		assert_int_equal(cache_get(t.c, t.base + i, 0, &p), 0);
		assert_int_equal(version(cpage_data(p), t.base + i), i);
		cache_put(t.c, p);
	}
	s = stats(t.c);
	reads = exo_info(t.e)->io_reads - reads;
	print_message("prefetched scan: %lu hits, %lu misses, %lu reads\n",
		      (unsigned long)(s.hits - s0.hits),
		      (unsigned long)(s.misses - s0.misses),
		      (unsigned long)reads);
	assert_true(s.hits - s0.hits >= n * 9 / 10);
	assert_true(s.prefetched >= n * 9 / 10);
	assert_true(reads < n / 2);
	/* prefetching what is cached reads nothing */
	assert_int_equal(cache_prefetch(t.c, t.base + n - 2, 2), 0);
	tc_end(&t);
}

/* ---- the WAL rule ---- */

static int count_apply(void *ctx, lsn_t lsn, uint16_t type, const void *payload,
		       uint32_t len)
{
	(void)lsn;
	(void)type;
	(void)payload;
	(void)len;
	++*(int *)ctx;
	return 0;
}

static void wal_attach(struct tc *t)
{
	struct wal_opts wo = {
		.start = t->logb, .nblocks = t->nlog, .buf_pages = 8};

	assert_int_equal(wal_open(t->e, t->d, &wo, &t->w), 0);
}

/* Log a record for each of n blocks, dirty the block with the LSN just
 * past it, never commit: only the cache's write-backs flush the log.
 * Returns 0 or the first error (after a power cut). */
static int wal_workload(struct tc *t, uint64_t n)
{
	struct walbatch wb;
	struct cpage *p;
	uint64_t i;
	lsn_t end;
	int rc = 0;

	walbatch_init(&wb);
	for (i = 0; i < n && rc == 0; i++) {
		walbatch_reset(&wb);
		assert_int_equal(walbatch_add(&wb, WAL_OP_PAGE, &i, sizeof i),
				 0);
		rc = wal_append(t->w, &wb, &end);
		if (rc == 0)
			rc = cache_get(t->c, t->base + i, CACHE_NEW, &p);
		if (rc)
			break;
		cache_latch(p, 1);
		fill(cpage_data(p), t->base + i, i + 1);
		cache_dirty(t->c, p, end);
		cache_unlatch(p, 1);
		cache_put(t->c, p);
	}
	if (rc == 0)
		rc = cache_flush_all(t->c);
	walbatch_free(&wb);
	return rc;
}

/* Every block on the media with a page LSN beyond what the log recovers
 * to breaks the WAL rule. */
static void check_wal_rule(struct tc *t, uint64_t n)
{
	static uint64_t buf[NWORDS];
	const struct cache_hdr *h = (const void *)buf;
	lsn_t end;
	int count = 0;

	wal_attach(t);
	assert_int_equal(wal_recover(t->w, 0, 1, 1, count_apply, &count), 0);
	end = wal_end(t->w);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(
			fault_disk_read_raw(t->disk, t->base + i, 1, buf), 0);
		if (version(buf, t->base + i) != UINT64_MAX)
			assert_true(h->lsn <= end);
	}
	wal_close(t->w);
	t->w = NULL;
}

static void test_wal_rule(void **state)
{
	const uint64_t n = 24;
	struct cache_stats s;
	struct cpage *p;
	uint64_t cut;
	struct tc t;
	lsn_t lsn;
	int rc;

	(void)state;
	/* Directly: evicting a page flushes the log up to its LSN. */
	tc_disk(&t, "fault:cache_wal", 512, n, 32);
	wal_attach(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	tc_open(&t, 4, CACHE_2Q);
	assert_int_equal(wal_workload(&t, 4), 0);
	assert_int_equal(wal_durable(t.w), wal_end(t.w));
	put_version(t.c, t.base, 9, 0, 0);
	{
		struct walbatch wb;
		uint64_t x = 1;

		walbatch_init(&wb);
		assert_int_equal(walbatch_add(&wb, WAL_OP_PAGE, &x, 8), 0);
		assert_int_equal(wal_append(t.w, &wb, &lsn), 0);
		walbatch_free(&wb);
	}
	assert_int_equal(cache_get(t.c, t.base + 1, 0, &p), 0);
	cache_latch(p, 1);
	cache_dirty(t.c, p, lsn);
	cache_unlatch(p, 1);
	cache_put(t.c, p);
	assert_true(wal_durable(t.w) < lsn);
	for (uint64_t i = 4; i < 12; i++) { /* evicts block 1 */
		assert_int_equal(cache_get(t.c, t.base + i, 0, &p), 0);
		cache_put(t.c, p);
	}
	s = stats(t.c);
	assert_true(s.writebacks >= 5);
	assert_true(wal_durable(t.w) >= lsn);
	tc_end(&t);

	/* By power cuts: at every I/O of a workload, with every unflushed
	 * write persisting; the media never holds a page the log does not
	 * cover. */
	for (cut = 1;; cut++) {
		tc_disk(&t, "fault:cache_walcut", 512, n, 32);
		wal_attach(&t);
		assert_int_equal(wal_start(t.w, 1), 0);
		tc_open(&t, 4, CACHE_2Q);
		plan_set(t.disk, cut, 0, 0, 100);
		rc = wal_workload(&t, n);
		plan_set(t.disk, 0, 0, 0, 100); /* no cut in what follows */
		tc_close(&t);
		wal_close(t.w);
		t.w = NULL;
		tc_detach(&t);
		tc_attach(&t, NPAGES);
		check_wal_rule(&t, n);
		tc_end(&t);
		if (rc == 0)
			break;
	}
	print_message("WAL rule held at each of %lu cut points\n",
		      (unsigned long)cut - 1);
	assert_true(cut > 10);
}

/* ---- revocation ---- */

static void test_revoke(void **state)
{
	struct cache_stats s;
	struct cpage *p, *pinned;
	uint64_t owned, i;
	struct tc t;

	(void)state;
	tc_disk(&t, "fault:cache_revoke", 512, 64, 0);
	tc_open(&t, 32, CACHE_2Q);
	for (i = 0; i < 32; i++)
		put_version(t.c, t.base + i, 4, 0, i % 2 ? CACHE_NEW : 0);
	assert_int_equal(cache_get(t.c, t.base + 40, 0, &pinned), 0);
	owned = exo_info(t.e)->pages_owned;

	assert_int_equal(exo_revoke(t.e, 10, 60ull * 1000000000), 0);
	assert_int_equal(cache_get(t.c, t.base + 3, 0, &p), 0); /* answers */
	cache_put(t.c, p);
	s = stats(t.c);
	assert_int_equal(s.revoked, 10);
	assert_int_equal(s.npages, 22);
	assert_int_equal(exo_info(t.e)->pages_owned, owned - 10);
	assert_int_equal(exo_info(t.e)->revoke_pages, 0);

	/* more than can be given: all unpinned frames go, no crash */
	assert_int_equal(exo_revoke(t.e, 30, 60ull * 1000000000), 0);
	assert_int_equal(cache_answer_revocation(t.c), 21);
	assert_int_equal(stats(t.c).npages, 1);
	assert_int_equal(cache_get(t.c, t.base + 5, 0, &p), EXO_ENOMEM);
	cache_put(t.c, pinned);
	for (i = 0; i < 32; i++) /* all written back before going */
		expect_version(t.c, t.base + i, 4);
	assert_int_equal(stats(t.c).revoked, 31);
	tc_end(&t);
}

static void test_repossess(void **state)
{
	struct cpage *p;
	struct tc t;
	uint64_t i;

	(void)state;
	/* clean pages taken: dropped, the cache goes on */
	tc_disk(&t, "fault:cache_repo", 512, 64, 0);
	tc_open(&t, 32, CACHE_2Q);
	for (i = 0; i < 32; i++)
		put_version(t.c, t.base + i, 6, 0, CACHE_NEW);
	assert_int_equal(cache_flush_all(t.c), 0);
	assert_int_equal(exo_revoke(t.e, 4, 0), 0); /* deadline: now */
	assert_int_equal(exo_info(t.e)->repo_count, 4);
	for (i = 0; i < 64; i++)
		expect_version(t.c, t.base + i, i < 32 ? 6 : UINT64_MAX);
	assert_int_equal(stats(t.c).npages, 28);
	assert_int_equal(stats(t.c).revoked, 0);
	tc_close(&t);

	/* dirty pages taken: the cache has failed */
	tc_open(&t, 16, CACHE_2Q);
	for (i = 0; i < 16; i++)
		put_version(t.c, t.base + i, 7, 0, 0);
	assert_int_equal(exo_revoke(t.e, 2, 0), 0);
	assert_int_equal(cache_get(t.c, t.base, 0, &p), EXO_EIO);
	assert_int_equal(cache_get(t.c, t.base + 40, 0, &p), EXO_EIO);
	assert_int_equal(cache_flush_all(t.c), EXO_EIO);
	assert_int_equal(cache_prefetch(t.c, t.base, 1), EXO_EIO);
	assert_int_equal(cache_forget(t.c, t.base, 1), EXO_EIO);
	assert_int_equal(cache_answer_revocation(t.c), EXO_EIO);
	tc_close(&t);
	/* reopened: what was flushed before is there */
	tc_open(&t, 16, CACHE_2Q);
	expect_version(t.c, t.base + 20, 6);
	tc_end(&t);
}

/* ---- many threads ---- */

#define MT_THREADS 8
#define MT_BLOCKS  64
#define MT_OPS	   1500

struct mt {
	struct tc *t;
	atomic_uint_least64_t count[MT_BLOCKS];
	atomic_int bad; /* pages with wrong content */
	atomic_int err; /* first unexpected error code */
};

struct mt_arg {
	struct mt *m;
	unsigned id;
};

/* cmocka's asserts may not run in other threads: record failures. */
static void mt_check(struct mt *m, int rc)
{
	int zero = 0;

	if (rc < 0)
		atomic_compare_exchange_strong(&m->err, &zero, rc);
}

static void mt_op(struct mt *m, uint64_t r, unsigned id, unsigned k)
{
	struct cache *c = m->t->c;
	exo_bno b = m->t->base + r % MT_BLOCKS;
	atomic_uint_least64_t *count = &m->count[b - m->t->base];
	struct cpage *p;
	uint64_t v;
	int excl = (r >> 20) % 4 != 0, rc;

	if ((r >> 24) % 64 == 0) {
		/* may run past our blocks: its EXO_EPERM, but no get's */
		rc = cache_prefetch(c, m->t->base + (r >> 32) % MT_BLOCKS, 4);
		mt_check(m, rc == EXO_EPERM ? 0 : rc);
	}
	if (id == 0 && k % 500 == 250)
		mt_check(m, cache_flush_all(c));
	rc = cache_get(c, b, 0, &p);
	mt_check(m, rc);
	if (rc)
		return;
	cache_latch(p, excl);
	v = version(cpage_data(p), b);
	if (v == UINT64_MAX && ((uint64_t *)cpage_data(p))[HDRWORDS + 1] == 0)
		v = 0; /* never written */
	if (v == UINT64_MAX ||
	    (excl ? v != atomic_load(count) : v > atomic_load(count)))
		atomic_fetch_add(&m->bad, 1);
	if (excl) {
		fill(cpage_data(p), b, v + 1);
		atomic_fetch_add(count, 1);
		cache_dirty(c, p, 0);
	}
	cache_unlatch(p, excl);
	cache_put(c, p);
}

static void *mt_thread(void *arg)
{
	struct mt_arg *a = arg;
	uint64_t r = a->id + 1;

	for (unsigned k = 0; k < MT_OPS; k++) {
		r = mix(r);
		mt_op(a->m, r, a->id, k);
		if (a->id == 1 && k == MT_OPS / 2)
			mt_check(a->m,
				 exo_revoke(a->m->t->e, 2, 60ull * 1000000000));
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct mt_arg a[MT_THREADS];
	pthread_t th[MT_THREADS];
	struct mt *m;
	struct tc t;
	uint64_t i;

	(void)state;
	m = calloc(1, sizeof *m);
	assert_non_null(m);
	tc_disk(&t, "fault:cache_mt", 512, MT_BLOCKS, 0);
	tc_open(&t, 16, CACHE_2Q);
	m->t = &t;
	for (unsigned k = 0; k < MT_THREADS; k++) {
		a[k] = (struct mt_arg){.m = m, .id = k};
		assert_int_equal(pthread_create(&th[k], NULL, mt_thread, &a[k]),
				 0);
	}
	for (unsigned k = 0; k < MT_THREADS; k++)
		pthread_join(th[k], NULL);
	assert_int_equal(atomic_load(&m->err), 0);
	assert_int_equal(atomic_load(&m->bad), 0);
	assert_int_equal(cache_flush_all(t.c), 0);
	assert_int_equal(stats(t.c).revoked, 2);
	tc_close(&t);
	tc_open(&t, 16, CACHE_CLOCK);
	for (i = 0; i < MT_BLOCKS; i++) {
		struct cpage *p;
		uint64_t want = atomic_load(&m->count[i]);

		assert_int_equal(cache_get(t.c, t.base + i, 0, &p), 0);
		if (want)
			assert_int_equal(version(cpage_data(p), t.base + i),
					 want);
		cache_put(t.c, p);
	}
	tc_end(&t);
	free(m);
}

/* ---- forget ---- */

static void test_forget(void **state)
{
	struct cpage *p;
	struct tc t;
	uint64_t i;

	(void)state;
	tc_disk(&t, "fault:cache_forget", 1024, 200, 0);
	tc_open(&t, 128, CACHE_2Q);
	for (i = 0; i < 100; i++)
		put_version(t.c, t.base + i, 1, 0, CACHE_NEW);
	assert_int_equal(cache_flush_all(t.c), 0);
	for (i = 0; i < 100; i++)
		put_version(t.c, t.base + i, 2, 0, 0);
	assert_int_equal(stats(t.c).dirty, 100);

	/* a pinned block is refused, the others in the range go */
	assert_int_equal(cache_get(t.c, t.base + 5, 0, &p), 0);
	assert_int_equal(cache_forget(t.c, t.base + 4, 2), EXO_EINVAL);
	assert_int_equal(stats(t.c).dirty, 99);
	cache_put(t.c, p);
	assert_int_equal(cache_forget(t.c, t.base + 5, 1), 0);
	assert_int_equal(stats(t.c).dirty, 98);
	/* a large range (scans the frames) */
	assert_int_equal(cache_forget(t.c, t.base + 10, 1000), 0);
	assert_int_equal(stats(t.c).dirty, 8);
	assert_int_equal(cache_flush_all(t.c), 0);
	assert_int_equal(stats(t.c).writebacks, 100 + 8);
	for (i = 0; i < 100; i++) {
		int forgot = i == 4 || i == 5 || i >= 10;

		expect_media(&t, t.base + i, forgot ? 1 : 2);
		expect_version(t.c, t.base + i, forgot ? 1 : 2);
	}
	assert_int_equal(cache_forget(t.c, t.base, 0), 0);
	tc_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_all_pinned),
		cmocka_unit_test(test_persist_fault),
		cmocka_unit_test(test_persist_image),
		cmocka_unit_test(test_evict_tiny),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_eio),
		cmocka_unit_test(test_scan_2q),
		cmocka_unit_test(test_prefetch),
		cmocka_unit_test(test_wal_rule),
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_repossess),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_forget),
	};
	int rc;

	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_cache.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
