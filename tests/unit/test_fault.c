/*
 * test_fault.c: the fault port (dblibos/port/fault.c).
 *
 * Two groups.  The dev_* tests drive the device directly through struct
 * hostdev_ops, as host.c does, to pin down the model of fault.h: the cache
 * over the media, flushes, out-of-order completion, what a power cut keeps
 * of cached and in-flight writes, dead attachments.  The other tests go
 * through exo.h on "fault:" disks, as every crash test will: flushed data
 * survives every cut; unflushed writes are dropped, kept, torn at sector
 * boundaries and reordered; the same seeds give the same media; injected
 * errors reach the caller; the ownership map is old-or-new at a cut on
 * every I/O of a sequence of updates; a full disk changes nothing.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exo.h"
#include "port/fault.h"
#include "port/host.h"

#define BS EXO_BLOCK_SIZE
#define SPB (EXO_BLOCK_SIZE / FAULT_SECTOR) /* sectors per block */

/* ---- helpers ---- */

static uint8_t *buf_new(uint64_t nblocks)
{
	uint8_t *p = aligned_alloc(BS, nblocks * BS);

	assert_non_null(p);
	memset(p, 0, nblocks * BS);
	return p;
}

/* Fill nblocks of buf: sector k gets the byte k + v throughout. */
static void fill(uint8_t *buf, uint64_t nblocks, uint8_t v)
{
	for (uint64_t i = 0; i < nblocks * SPB; i++)
		memset(buf + i * FAULT_SECTOR, (uint8_t)(i + v), FAULT_SECTOR);
}

static int sector_is(const uint8_t *p, uint8_t byte)
{
	for (size_t i = 0; i < FAULT_SECTOR; i++)
		if (p[i] != byte)
			return 0;
	return 1;
}

static struct hostdev *dev_open(const char *name, uint32_t depth)
{
	struct hostdev *d = NULL;

	assert_int_equal(faultdev_open(name, depth, &d), 0);
	assert_non_null(d);
	return d;
}

static void raw_expect(const char *name, exo_bno bno, uint64_t n,
		       const uint8_t *want)
{
	uint8_t *got = buf_new(n);

	assert_int_equal(fault_disk_read_raw(name, bno, n, got), 0);
	assert_memory_equal(got, want, n * BS);
	free(got);
}

static void dev_expect(struct hostdev *d, exo_bno bno, uint32_t n,
		       const uint8_t *want)
{
	uint8_t *got = buf_new(n);

	assert_int_equal(d->ops->read(d, bno, n, got), 0);
	assert_memory_equal(got, want, (size_t)n * BS);
	free(got);
}

/* ---- the device ---- */

static void test_registry(void **state)
{
	struct hostdev *d;
	struct fault_plan bad = FAULT_PLAN_INIT;

	(void)state;
	assert_int_equal(fault_disk_create("reg", 8), 0);
	assert_int_equal(fault_disk_create("fault:reg", 8), EXO_EEXIST);
	assert_int_equal(fault_disk_create("reg2", 0), EXO_EINVAL);
	assert_int_equal(fault_disk_create("reg2", FAULT_MAX_BLOCKS + 1ull),
			 EXO_EINVAL);
	assert_int_equal(fault_disk_create("", 8), EXO_EINVAL);
	assert_int_equal(fault_disk_create(NULL, 8), EXO_EINVAL);
	assert_int_equal(faultdev_open("nosuch", 4, &d), EXO_ENOENT);
	assert_int_equal(faultdev_open("reg", EXO_IO_MAXDEPTH + 1, &d),
			 EXO_EINVAL);
	assert_int_equal(fault_io_count("nosuch"), EXO_ENOENT);
	bad.persist_pct = 101;
	assert_int_equal(fault_set_plan("reg", &bad), EXO_EINVAL);
	assert_int_equal(fault_set_plan("reg", NULL), EXO_EINVAL);

	d = dev_open("fault:reg", 4);
	assert_int_equal(d->nblocks, 8);
	assert_int_equal(fault_disk_destroy("reg"), EXO_EBUSY);
	assert_int_equal(fault_disk_ensure("reg", 16), EXO_EBUSY);
	assert_int_equal(fault_disk_ensure("reg", 8), 0);
	assert_int_equal(fault_disk_ensure("reg", 0), 0);
	d->ops->close(d);

	assert_int_equal(fault_disk_ensure("reg", 16), 0);
	d = dev_open("reg", 0);
	assert_int_equal(d->nblocks, 16);
	d->ops->close(d);
	assert_int_equal(fault_disk_ensure("reg3", 0), EXO_ENOENT);
	assert_int_equal(fault_disk_ensure("reg3", 4), 0);
	assert_int_equal(fault_disk_destroy("reg3"), 0);
	assert_int_equal(fault_disk_destroy("reg"), 0);
	assert_int_equal(fault_disk_destroy("reg"), EXO_ENOENT);
}

static void test_dev_cache_model(void **state)
{
	uint8_t *a = buf_new(2), *b = buf_new(2), *z = buf_new(2);
	struct hostdev *d;

	(void)state;
	assert_int_equal(fault_disk_create("cm", 8), 0);
	d = dev_open("cm", 4);
	fill(a, 2, 1);
	fill(b, 2, 100);

	/* Reads see the cache; the media only what was flushed. */
	assert_int_equal(d->ops->write(d, 2, 2, a), 0);
	dev_expect(d, 2, 2, a);
	raw_expect("cm", 2, 2, z);
	assert_int_equal(fault_unflushed_count("cm"), 1);
	assert_int_equal(d->ops->flush(d), 0);
	raw_expect("cm", 2, 2, a);
	assert_int_equal(fault_unflushed_count("cm"), 0);

	/* A zero is a write of zeros. */
	assert_int_equal(d->ops->zero(d, 3, 1), 0);
	dev_expect(d, 3, 1, z);
	raw_expect("cm", 3, 1, a + BS);
	assert_int_equal(d->ops->flush(d), 0);
	raw_expect("cm", 3, 1, z);

	/* write_raw changes the media; cached writes stay on top. */
	assert_int_equal(d->ops->write(d, 5, 1, a), 0);
	assert_int_equal(fault_disk_write_raw("cm", 4, 2, b), 0);
	dev_expect(d, 4, 1, b);
	dev_expect(d, 5, 1, a);
	raw_expect("cm", 4, 2, b);

	/* Bad ranges are refused and not counted. */
	assert_int_equal(d->ops->read(d, 7, 2, a), EXO_ERANGE);
	assert_int_equal(d->ops->write(d, 8, 1, a), EXO_ERANGE);
	assert_int_equal(d->ops->zero(d, 0, 0), EXO_EINVAL);
	assert_int_equal(fault_disk_read_raw("cm", 8, 1, a), EXO_ERANGE);
	assert_int_equal(fault_io_count("cm"), 9);

	d->ops->close(d);
	assert_int_equal(fault_disk_destroy("cm"), 0);
	free(a);
	free(b);
	free(z);
}

/* Submit n one-block requests of op, request i on block i from buf. */
static void submit_each(struct hostdev *d, uint8_t op, uint8_t *buf,
			uint32_t n)
{
	struct exo_ioreq *r = calloc(n, sizeof(*r));
	void **bufs = calloc(n, sizeof(*bufs));
	uint32_t *slots = calloc(n, sizeof(*slots));

	assert_true(r && bufs && slots);
	for (uint32_t i = 0; i < n; i++) {
		r[i] = (struct exo_ioreq){ .op = op, .n = 1, .bno = i };
		bufs[i] = buf + (size_t)i * BS;
		slots[i] = i;
	}
	assert_int_equal(d->ops->submit(d, r, bufs, slots, n), 0);
	free(r);
	free(bufs);
	free(slots);
}

/* Reap n completions; res[slot] gets each result.  Returns how many came
 * out of submission order. */
static uint32_t reap_all(struct hostdev *d, uint32_t n, int32_t *res)
{
	struct hostdev_comp *c = calloc(n, sizeof(*c));
	uint32_t got = 0, moved = 0;

	assert_non_null(c);
	while (got < n) {
		int k = d->ops->reap(d, c + got, n - got, 1);

		assert_true(k >= 1);
		got += (uint32_t)k;
	}
	for (uint32_t i = 0; i < n; i++) {
		assert_true(c[i].slot < n);
		res[c[i].slot] = c[i].res;
		moved += c[i].slot != i;
	}
	free(c);
	return moved;
}

static void test_dev_async(void **state)
{
	enum { N = 32 };
	uint8_t *w = buf_new(N), *r = buf_new(N);
	int32_t res[N];
	struct hostdev *d;
	struct exo_ioreq flush = { .op = EXO_OP_FLUSH };
	void *none = NULL;
	uint32_t slot = 0;
	struct hostdev_comp c;

	(void)state;
	assert_int_equal(fault_disk_create("as", N), 0);
	d = dev_open("as", N);
	fill(w, N, 7);

	/* Completions come out of order; each write is visible once done. */
	submit_each(d, EXO_OP_WRITE, w, N);
	assert_int_equal(d->ops->submit(d, &flush, &none, &slot, 1),
			 EXO_EAGAIN);
	assert_int_equal(fault_unflushed_count("as"), 0);
	memset(res, 0x55, sizeof(res));
	assert_true(reap_all(d, N, res) > 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(res[i], 0);
	assert_int_equal(fault_unflushed_count("as"), N);
	submit_each(d, EXO_OP_READ, r, N);
	assert_true(reap_all(d, N, res) > 0);
	assert_memory_equal(r, w, N * BS);

	/* A flush makes completed writes durable when it completes. */
	assert_int_equal(d->ops->submit(d, &flush, &none, &slot, 1), 0);
	assert_int_equal(d->ops->reap(d, &c, 1, 1), 1);
	assert_int_equal(c.res, 0);
	raw_expect("as", 0, N, w);
	assert_int_equal(fault_io_count("as"), 2 * N + 1);

	d->ops->close(d);
	assert_int_equal(fault_disk_destroy("as"), 0);
	free(w);
	free(r);
}

/* reap may wait in one thread while another submits. */
struct reaper {
	struct hostdev *d;
	struct hostdev_comp c[8];
	int got;
};

static void *reaper_main(void *arg)
{
	struct reaper *r = arg;

	r->got = r->d->ops->reap(r->d, r->c, 8, 8);
	return NULL;
}

static void test_dev_threads(void **state)
{
	uint8_t *buf = buf_new(8);
	struct reaper r = { 0 };
	unsigned seen = 0;
	pthread_t t;

	(void)state;
	assert_int_equal(fault_disk_create("thr", 8), 0);
	r.d = dev_open("thr", 8);
	assert_int_equal(pthread_create(&t, NULL, reaper_main, &r), 0);
	for (uint32_t i = 0; i < 8; i++) {
		struct exo_ioreq q = { .op = EXO_OP_WRITE, .n = 1, .bno = i };
		void *p = buf + (size_t)i * BS;

		assert_int_equal(r.d->ops->submit(r.d, &q, &p, &i, 1), 0);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.got, 8);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(r.c[i].res, 0);
		seen |= 1u << r.c[i].slot;
	}
	assert_int_equal(seen, 0xff);
	r.d->ops->close(r.d);
	assert_int_equal(fault_disk_destroy("thr"), 0);
	free(buf);
}

/* A cut keeps cached and in-flight writes at persist_pct 100, none at 0;
 * the attachment is dead after it and a new one sees the media. */
static void cut_inflight(unsigned pct)
{
	enum { N = 8 };
	uint8_t *w = buf_new(N), *z = buf_new(N);
	int32_t res[N];
	struct fault_plan plan = FAULT_PLAN_INIT;
	struct hostdev *d, *d2;
	struct exo_ioreq rd = { .op = EXO_OP_READ, .n = 1 };
	void *bufp = z;
	uint32_t slot = 0;

	assert_int_equal(fault_disk_create("cut", N), 0);
	plan.persist_pct = pct;
	assert_int_equal(fault_set_plan("cut", &plan), 0);
	d = dev_open("cut", N);
	fill(w, N, 3);
	assert_int_equal(d->ops->write(d, 0, 2, w), 0); /* cached */
	submit_each(d, EXO_OP_WRITE, w, N);             /* in flight */
	assert_int_equal(fault_powercut("cut", 1), 0);
	raw_expect("cut", 0, N, pct ? w : z);
	assert_int_equal(fault_unflushed_count("cut"), 0);

	/* Dead: in-flight requests fail, new ones are refused. */
	reap_all(d, N, res);
	for (int i = 0; i < N; i++)
		assert_int_equal(res[i], EXO_EIO);
	assert_int_equal(d->ops->read(d, 0, 1, w), EXO_EIO);
	assert_int_equal(d->ops->flush(d), EXO_EIO);
	d2 = dev_open("cut", N);
	dev_expect(d2, 0, N, pct ? w : z);
	assert_int_equal(d->ops->submit(d, &rd, &bufp, &slot, 1), EXO_EIO);
	assert_int_equal(d2->ops->write(d2, 0, 1, z), 0);
	d->ops->close(d);
	d2->ops->close(d2);
	assert_int_equal(fault_disk_destroy("cut"), 0);
	free(w);
	free(z);
}

static void test_dev_cut_inflight(void **state)
{
	(void)state;
	cut_inflight(100);
	cut_inflight(0);
}

/* Two unflushed writes to one block, a then b: after a cut each sector
 * holds the flushed bytes, a's or b's (b's wherever b persisted, a's where
 * only a did), and all three occur. */
static void test_dev_cut_overlap(void **state)
{
	uint8_t *old = buf_new(1), *a = buf_new(1), *b = buf_new(1);
	uint8_t *m = buf_new(1);
	unsigned seen[3] = { 0 };

	(void)state;
	fill(old, 1, 0);
	fill(a, 1, 50);
	fill(b, 1, 150);
	assert_int_equal(fault_disk_create("ov", 1), 0);
	for (uint64_t seed = 0; seed < 32; seed++) {
		struct hostdev *d = dev_open("ov", 1);

		assert_int_equal(fault_disk_write_raw("ov", 0, 1, old), 0);
		assert_int_equal(d->ops->write(d, 0, 1, a), 0);
		assert_int_equal(d->ops->write(d, 0, 1, b), 0);
		dev_expect(d, 0, 1, b);
		assert_int_equal(fault_powercut("ov", seed), 0);
		assert_int_equal(fault_disk_read_raw("ov", 0, 1, m), 0);
		for (unsigned s = 0; s < SPB; s++) {
			const uint8_t *p = m + s * FAULT_SECTOR;
			int which = sector_is(p, old[s * FAULT_SECTOR]) ? 0
				    : sector_is(p, a[s * FAULT_SECTOR]) ? 1
				    : sector_is(p, b[s * FAULT_SECTOR]) ? 2
									 : -1;

			assert_true(which >= 0);
			seen[which]++;
		}
		d->ops->close(d);
	}
	assert_true(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
	/* b is drawn last, so it shows in about half the sectors. */
	assert_in_range(seen[2], 32 * SPB / 4, 32 * SPB * 3 / 4);
	assert_int_equal(fault_disk_destroy("ov"), 0);
	free(old);
	free(a);
	free(b);
	free(m);
}

/* Injected errors: the failing I/O does nothing; sticky ones persist
 * until the next plan. */
static void test_dev_eio(void **state)
{
	uint8_t *a = buf_new(1), *z = buf_new(4);
	struct fault_plan plan = FAULT_PLAN_INIT;
	struct hostdev *d;
	int32_t res[4];

	(void)state;
	fill(a, 1, 9);
	assert_int_equal(fault_disk_create("eio", 4), 0);
	d = dev_open("eio", 4);
	plan.eio_at_io = 2;
	assert_int_equal(fault_set_plan("eio", &plan), 0);
	assert_int_equal(d->ops->write(d, 0, 1, a), 0);
	assert_int_equal(d->ops->flush(d), EXO_EIO);
	assert_int_equal(fault_unflushed_count("eio"), 1);
	assert_int_equal(d->ops->flush(d), 0);
	raw_expect("eio", 0, 1, a);

	plan.eio_at_io = 3;
	assert_int_equal(fault_set_plan("eio", &plan), 0);
	submit_each(d, EXO_OP_WRITE, z, 4);
	reap_all(d, 4, res);
	for (int i = 0; i < 4; i++)
		assert_int_equal(res[i], i == 2 ? EXO_EIO : 0);

	plan.eio_at_io = 1;
	plan.eio_sticky = 1;
	assert_int_equal(fault_set_plan("eio", &plan), 0);
	assert_int_equal(d->ops->read(d, 0, 1, a), EXO_EIO);
	assert_int_equal(d->ops->zero(d, 0, 1), EXO_EIO);
	assert_int_equal(d->ops->flush(d), EXO_EIO);
	assert_int_equal(fault_io_count("eio"), 3);
	plan = (struct fault_plan)FAULT_PLAN_INIT;
	assert_int_equal(fault_set_plan("eio", &plan), 0);
	assert_int_equal(d->ops->flush(d), 0);

	d->ops->close(d);
	assert_int_equal(fault_disk_destroy("eio"), 0);
	free(a);
	free(z);
}

/* ---- through exo.h ---- */

#define NPAGES 128 /* arena pages per attachment */
#define MAXEXT 64

static const char cap[] = "fault-test";

static int ex_attach(const char *disk, unsigned flags, struct exo **e)
{
	struct exo_attach_opts o = { .disk = disk, .cap = cap,
				     .cap_len = sizeof(cap) - 1,
				     .flags = flags, .npages = NPAGES };

	return exo_attach(&o, e);
}

/* An attachment and NPAGES / 2 pages of its arena. */
struct ex {
	struct exo *e;
	exo_ppn ppn;
	uint8_t *pages;
};

static void ex_open(struct ex *x, const char *disk)
{
	assert_int_equal(ex_attach(disk, 0, &x->e), 0);
	assert_int_equal(exo_page_alloc(x->e, 0, NPAGES / 2, &x->ppn), 0);
	x->pages = exo_page_addr(x->e, x->ppn);
	assert_non_null(x->pages);
}

/* Detach from an attachment that may be dead after a cut. */
static void ex_close(struct ex *x)
{
	int rc = exo_detach(x->e);

	assert_true(rc == 0 || rc == EXO_EIO);
	x->e = NULL;
}

/* Run reqs as one batch and reap them all; res[tag] gets each result, 0
 * or EXO_EIO (a dead attachment may refuse the batch: then all get
 * EXO_EIO).  Returns how many failed. */
static int ex_io(struct exo *e, const struct exo_ioreq *reqs, uint32_t n,
		 int32_t *res)
{
	struct exo_iocomp c[NPAGES];
	uint32_t got = 0;
	int failed = 0, rc;

	assert_true(n <= NPAGES);
	rc = exo_io_submit(e, reqs, n);
	if (rc == EXO_EIO) {
		for (uint32_t i = 0; i < n; i++)
			res[i] = EXO_EIO;
		return (int)n;
	}
	assert_int_equal(rc, (int)n);
	while (got < n) {
		int k = exo_io_reap(e, c, n - got, 1);

		assert_true(k >= 1);
		for (int i = 0; i < k; i++) {
			assert_true(c[i].tag < n);
			assert_true(c[i].res == 0 || c[i].res == EXO_EIO);
			res[c[i].tag] = c[i].res;
			failed += c[i].res != 0;
		}
		got += (uint32_t)k;
	}
	return failed;
}

/* Move n blocks at bno to or from the pages, one request per block (so
 * they complete, persist and tear independently).  Returns how many
 * failed. */
static int ex_rw(struct ex *x, uint8_t op, exo_bno bno, uint32_t n)
{
	struct exo_ioreq r[NPAGES / 2];
	int32_t res[NPAGES / 2];

	assert_true(n <= NPAGES / 2);
	for (uint32_t i = 0; i < n; i++)
		r[i] = (struct exo_ioreq){ .op = op, .n = 1, .bno = bno + i,
					   .ppn = x->ppn + i, .tag = i };
	return ex_io(x->e, r, n, res);
}

static int ex_flush(struct ex *x)
{
	struct exo_ioreq r = { .op = EXO_OP_FLUSH };
	int32_t res;

	return ex_io(x->e, &r, 1, &res) ? res : 0;
}

/* Write data to n blocks at bno and flush; all must succeed. */
static void ex_store(struct ex *x, exo_bno bno, uint32_t n,
		     const uint8_t *data)
{
	memcpy(x->pages, data, (size_t)n * BS);
	assert_int_equal(ex_rw(x, EXO_OP_WRITE, bno, n), 0);
	assert_int_equal(ex_flush(x), 0);
}

static void ex_expect(struct ex *x, exo_bno bno, uint32_t n,
		      const uint8_t *want)
{
	assert_int_equal(ex_rw(x, EXO_OP_READ, bno, n), 0);
	assert_memory_equal(x->pages, want, (size_t)n * BS);
}

/* A freshly formatted fault disk of nblocks; the test capability owns
 * owned of its blocks, from *bno. */
static void disk_fresh(const char *disk, uint64_t nblocks, uint64_t owned,
		       exo_bno *bno)
{
	struct exo *e;
	int rc = fault_disk_destroy(disk);

	assert_true(rc == 0 || rc == EXO_ENOENT);
	assert_int_equal(exo_disk_format(disk, nblocks * BS), 0);
	assert_int_equal(ex_attach(disk, EXO_ATTACH_CREATE, &e), 0);
	if (owned)
		assert_int_equal(exo_block_alloc(e, 0, owned, bno), 0);
	assert_int_equal(exo_detach(e), 0);
}

/* Make disk a fresh copy of the media image (no cache, no plan). */
static void disk_restore(const char *disk, const uint8_t *image,
			 uint64_t nblocks)
{
	int rc = fault_disk_destroy(disk);

	assert_true(rc == 0 || rc == EXO_ENOENT);
	assert_int_equal(fault_disk_create(disk, nblocks), 0);
	assert_int_equal(fault_disk_write_raw(disk, 0, nblocks, image), 0);
}

static void plan_clear(const char *disk)
{
	struct fault_plan plan = FAULT_PLAN_INIT;

	assert_int_equal(fault_set_plan(disk, &plan), 0);
}

/* (1) Whatever the seed and wherever the cut, flushed data survives. */
static void test_flushed_survives(void **state)
{
	enum { K = 16 };
	const char *disk = "fault:flushed";
	uint8_t *want = buf_new(K);
	exo_bno b;

	(void)state;
	disk_fresh(disk, 128, 2 * K, &b);
	for (uint64_t seed = 0; seed < 24; seed++) {
		struct fault_plan plan = FAULT_PLAN_INIT;
		struct ex x;

		ex_open(&x, disk);
		fill(want, K, (uint8_t)seed);
		ex_store(&x, b, K, want);
		/* Then unflushed writes, with the cut by a plan in the middle
		 * of them or by a call after them. */
		plan.seed = seed;
		plan.cut_at_io = seed % 2 ? seed / 2 + 1 : 0;
		assert_int_equal(fault_set_plan(disk, &plan), 0);
		fill(x.pages, K, (uint8_t)(seed + 128));
		assert_int_equal(ex_rw(&x, EXO_OP_WRITE, b + K, K),
				 seed % 2 ? K : 0);
		if (seed % 2 == 0)
			assert_int_equal(fault_powercut(disk, seed), 0);
		ex_close(&x);
		plan_clear(disk);

		ex_open(&x, disk);
		ex_expect(&x, b, K, want);
		ex_close(&x);
	}
	assert_int_equal(fault_disk_destroy(disk), 0);
	free(want);
}

/* (2) Unflushed writes after a cut: dropped, kept or torn, each sector
 * exactly old or new, and reordered. */
static void test_unflushed_outcomes(void **state)
{
	enum { K = 64, SEEDS = 512 };
	const char *disk = "fault:unflushed";
	uint8_t *old = buf_new(K), *new = buf_new(K);
	unsigned dropped = 0, kept = 0, torn = 0, reordered = 0;
	exo_bno b;

	(void)state;
	fill(old, K, 0);
	fill(new, K, 128);
	disk_fresh(disk, 128, K, &b);
	for (uint64_t seed = 0; seed < SEEDS; seed++) {
		int first_dropped = -1, last_kept = -1;
		struct ex x;

		ex_open(&x, disk);
		ex_store(&x, b, K, old);
		memcpy(x.pages, new, K * BS);
		assert_int_equal(ex_rw(&x, EXO_OP_WRITE, b, K), 0);
		assert_int_equal(fault_powercut(disk, seed), 0);
		ex_close(&x);

		ex_open(&x, disk);
		assert_int_equal(ex_rw(&x, EXO_OP_READ, b, K), 0);
		for (int i = 0; i < K; i++) {
			unsigned nnew = 0;

			for (unsigned s = 0; s < SPB; s++) {
				size_t at = ((size_t)i * SPB + s) *
					    FAULT_SECTOR;
				const uint8_t *p = x.pages + at;

				if (sector_is(p, new[at]))
					nnew++;
				else
					assert_true(sector_is(p, old[at]));
			}
			dropped += nnew == 0;
			kept += nnew == SPB;
			torn += nnew != 0 && nnew != SPB;
			if (nnew == 0 && first_dropped < 0)
				first_dropped = i;
			if (nnew == SPB)
				last_kept = i;
		}
		reordered += first_dropped >= 0 && first_dropped < last_kept;
		ex_close(&x);
	}
	print_message("unflushed: %u dropped, %u kept, %u torn, %u seeds "
		      "reordered\n", dropped, kept, torn, reordered);
	assert_true(dropped > 0 && kept > 0 && torn > 0 && reordered > 0);
	assert_int_equal(fault_disk_destroy(disk), 0);
	free(old);
	free(new);
}

/* A workload on a copy of image: three rounds of writes and flushes, cut
 * by plan at I/O cut.  Leaves the media in media. */
static void det_run(const uint8_t *image, uint64_t nblocks, exo_bno b,
		    uint64_t seed, uint64_t cut, uint8_t *media)
{
	const char *disk = "fault:det";
	struct fault_plan plan = FAULT_PLAN_INIT;
	int failed = 0;
	struct ex x;

	disk_restore(disk, image, nblocks);
	plan.seed = seed;
	plan.cut_at_io = cut;
	assert_int_equal(fault_set_plan(disk, &plan), 0);
	ex_open(&x, disk);
	for (int round = 0; round < 3 && !failed; round++) {
		fill(x.pages, 16, (uint8_t)(round * 40));
		failed = ex_rw(&x, EXO_OP_WRITE, b + round * 4, 16);
		failed += ex_flush(&x) != 0;
	}
	assert_true(failed);
	assert_int_equal(fault_io_count(disk), cut);
	ex_close(&x);
	assert_int_equal(fault_disk_read_raw(disk, 0, nblocks, media), 0);
}

/* (3) The same seeds give the same media; different seeds do not. */
static void test_determinism(void **state)
{
	enum { NB = 128 };
	uint8_t *image = buf_new(NB), *m1 = buf_new(NB), *m2 = buf_new(NB);
	exo_bno b;

	(void)state;
	disk_fresh("fault:detsrc", NB, 24, &b);
	assert_int_equal(fault_disk_read_raw("detsrc", 0, NB, image), 0);
	det_run(image, NB, b, 5, 40, m1);
	det_run(image, NB, b, 5, 40, m2);
	assert_memory_equal(m1, m2, NB * BS);
	det_run(image, NB, b, 6, 40, m2);
	assert_memory_not_equal(m1, m2, NB * BS);
	assert_int_equal(fault_disk_destroy("detsrc"), 0);
	assert_int_equal(fault_disk_destroy("det"), 0);
	free(image);
	free(m1);
	free(m2);
}

static int64_t extents(struct exo *e, struct exo_extent *ext)
{
	int64_t n;

	memset(ext, 0, MAXEXT * sizeof(*ext));
	n = exo_block_extents(e, ext, MAXEXT);
	assert_true(n >= 0 && n <= MAXEXT);
	return n;
}

/* (4) An injected EIO reaches the caller; then the device works again,
 * unless the error was sticky. */
static void test_eio(void **state)
{
	const char *disk = "fault:eio";
	struct fault_plan plan = FAULT_PLAN_INIT;
	struct exo_extent e1[MAXEXT], e2[MAXEXT];
	uint8_t *a = buf_new(4), *c = buf_new(4);
	exo_bno b, nb;
	int64_t n1;
	struct ex x;

	(void)state;
	fill(a, 4, 1);
	fill(c, 4, 77);
	disk_fresh(disk, 128, 4, &b);
	ex_open(&x, disk);
	ex_store(&x, b, 4, a);

	/* Async: the failed write completes with EIO and changes nothing. */
	plan.eio_at_io = 2;
	assert_int_equal(fault_set_plan(disk, &plan), 0);
	memcpy(x.pages, c, 4 * BS);
	assert_int_equal(ex_rw(&x, EXO_OP_WRITE, b, 4), 1);
	assert_int_equal(ex_rw(&x, EXO_OP_READ, b + 1, 1), 0);
	assert_memory_equal(x.pages, a + BS, BS);
	ex_store(&x, b, 4, c);

	/* Sync: the map write fails, the call returns EIO, the map stays. */
	n1 = extents(x.e, e1);
	plan.eio_at_io = 1;
	assert_int_equal(fault_set_plan(disk, &plan), 0);
	assert_int_equal(exo_block_alloc(x.e, 0, 2, &nb), EXO_EIO);
	assert_int_equal(extents(x.e, e2), n1);
	assert_memory_equal(e1, e2, sizeof(e1));
	assert_int_equal(exo_block_alloc(x.e, 0, 2, &nb), 0);
	assert_int_equal(exo_block_free(x.e, nb, 2), 0);

	/* Sticky: everything fails, even a new attachment. */
	plan.eio_sticky = 1;
	assert_int_equal(fault_set_plan(disk, &plan), 0);
	assert_int_equal(exo_block_alloc(x.e, 0, 1, &nb), EXO_EIO);
	assert_int_equal(exo_root_set(x.e, b), EXO_EIO);
	assert_int_equal(ex_rw(&x, EXO_OP_WRITE, b, 4), 4);
	assert_int_equal(ex_rw(&x, EXO_OP_READ, b, 4), 4);
	assert_int_equal(ex_flush(&x), EXO_EIO);
	ex_close(&x);
	assert_int_equal(ex_attach(disk, 0, &x.e), EXO_EIO);
	plan_clear(disk);
	ex_open(&x, disk);
	ex_expect(&x, b, 4, c);
	assert_int_equal(extents(x.e, e2), n1);
	assert_memory_equal(e1, e2, sizeof(e1));
	ex_close(&x);
	assert_int_equal(fault_disk_destroy(disk), 0);
	free(a);
	free(c);
}

/* (5) The ownership map under power cuts.  A sequence of map updates; the
 * blocks of op i come from op ref's result plus off. */
enum { M_ALLOC, M_FREE, M_ROOT };

struct mop {
	int op;
	int ref; /* -1: none (alloc hint 0) */
	uint64_t off, n;
};

static const struct mop mops[] = {
	{ M_ALLOC, -1, 0, 4 },  { M_ALLOC, -1, 0, 2 },  { M_ROOT, 0, 1, 0 },
	{ M_ALLOC, -1, 0, 8 },  { M_FREE, 1, 0, 1 },    { M_ALLOC, -1, 0, 1 },
	{ M_FREE, 3, 2, 3 },    { M_ROOT, 3, 7, 0 },    { M_ALLOC, 3, 2, 2 },
	{ M_FREE, 0, 0, 4 },    { M_ALLOC, -1, 0, 6 },  { M_FREE, 3, 7, 1 },
	{ M_ALLOC, 10, 0, 3 },  { M_ROOT, 10, 5, 0 },   { M_FREE, 10, 0, 2 },
	{ M_ALLOC, -1, 0, 16 }, { M_FREE, 15, 4, 8 },   { M_ALLOC, 15, 0, 5 },
	{ M_ROOT, 17, 0, 0 },   { M_FREE, 15, 0, 4 },
};

#define NMOPS (sizeof(mops) / sizeof(mops[0]))

struct mstate {
	int64_t n;
	struct exo_extent ext[MAXEXT];
	exo_bno root;
};

static void mstate_get(struct exo *e, struct mstate *s)
{
	s->n = extents(e, s->ext);
	assert_int_equal(exo_root_get(e, &s->root), 0);
}

static int mstate_eq(const struct mstate *a, const struct mstate *b)
{
	return a->n == b->n && a->root == b->root &&
	       memcmp(a->ext, b->ext, sizeof(a->ext)) == 0;
}

static int mop_run(struct exo *e, int i, exo_bno *res)
{
	const struct mop *m = &mops[i];
	exo_bno at = m->ref >= 0 ? res[m->ref] + m->off : 0;

	switch (m->op) {
	case M_ALLOC:
		return exo_block_alloc(e, at, m->n, &res[i]);
	case M_FREE:
		return exo_block_free(e, at, m->n);
	default:
		return exo_root_set(e, at);
	}
}

/* Cut at I/O cut during the sequence.  Returns 0 when the sequence ran to
 * its end without reaching that I/O.  Else checks the map after the cut:
 * the state before the interrupted call (returns 1) or after it (2). */
static int map_cut_at(const char *disk, const uint8_t *image, uint64_t nb,
		      const struct mstate *ref, const exo_bno *refres,
		      uint64_t cut)
{
	struct fault_plan plan = FAULT_PLAN_INIT;
	exo_bno res[NMOPS];
	struct mstate got;
	int done = 0, hi = 0, rc;
	struct exo *e;

	disk_restore(disk, image, nb);
	plan.seed = cut;
	plan.cut_at_io = cut;
	assert_int_equal(fault_set_plan(disk, &plan), 0);
	if (ex_attach(disk, 0, &e) == 0) {
		while (done < (int)NMOPS && mop_run(e, done, res) == 0) {
			if (mops[done].op == M_ALLOC)
				assert_int_equal(res[done], refres[done]);
			done++;
		}
		hi = done < (int)NMOPS ? done + 1 : done;
		rc = exo_detach(e);
		assert_true(rc == 0 || fault_io_count(disk) == (int64_t)cut);
	}
	if (fault_io_count(disk) < (int64_t)cut)
		return 0;
	assert_int_equal(fault_io_count(disk), cut);
	plan_clear(disk);
	assert_int_equal(ex_attach(disk, 0, &e), 0);
	mstate_get(e, &got);
	assert_int_equal(exo_detach(e), 0);
	if (mstate_eq(&got, &ref[done]))
		return 1;
	assert_true(mstate_eq(&got, &ref[hi]));
	return 2;
}

static void test_map_cuts(void **state)
{
	enum { NB = 64 };
	const char *disk = "fault:map";
	uint8_t *image = buf_new(NB);
	struct mstate *ref = calloc(NMOPS + 1, sizeof(*ref));
	exo_bno res[NMOPS];
	unsigned seen[3] = { 0 };
	uint64_t cut = 0;
	int outcome;
	struct exo *e;

	(void)state;
	assert_non_null(ref);
	disk_fresh(disk, NB, 0, NULL);
	assert_int_equal(fault_disk_read_raw(disk, 0, NB, image), 0);

	/* The reference: the state after each call, without cuts. */
	assert_int_equal(ex_attach(disk, 0, &e), 0);
	mstate_get(e, &ref[0]);
	for (int i = 0; i < (int)NMOPS; i++) {
		assert_int_equal(mop_run(e, i, res), 0);
		mstate_get(e, &ref[i + 1]);
	}
	assert_int_equal(exo_detach(e), 0);

	do {
		cut++;
		outcome = map_cut_at(disk, image, NB, ref, res, cut);
		seen[outcome]++;
	} while (outcome != 0);
	print_message("map: cut at each of %u I/Os: %u old, %u new\n",
		      seen[1] + seen[2], seen[1], seen[2]);
	/* Every call does I/O; some cuts keep the unflushed new map. */
	assert_true(seen[1] + seen[2] > NMOPS);
	assert_true(seen[1] > 0 && seen[2] > 0);
	assert_int_equal(fault_disk_destroy(disk), 0);
	free(image);
	free(ref);
}

/* (6) Asking for more blocks than are free fails and changes nothing:
 * not the caller's extents, not the free count, not a byte of the disk. */
static void nospc_check(struct exo *e, const char *disk, uint64_t nfree)
{
	enum { NB = 64 };
	uint8_t *m1 = buf_new(NB), *m2 = buf_new(NB);
	struct exo_extent e1[MAXEXT], e2[MAXEXT];
	int64_t n1 = extents(e, e1);
	exo_bno b;

	assert_int_equal(fault_disk_read_raw(disk, 0, NB, m1), 0);
	assert_int_equal(exo_block_alloc(e, 0, nfree + 1, &b), EXO_ENOSPC);
	assert_int_equal(extents(e, e2), n1);
	assert_memory_equal(e1, e2, sizeof(e1));
	assert_int_equal(exo_info(e)->blocks_free, nfree);
	assert_int_equal(fault_disk_read_raw(disk, 0, NB, m2), 0);
	assert_memory_equal(m1, m2, NB * BS);
	free(m1);
	free(m2);
}

static void test_enospc(void **state)
{
	const char *disk = "fault:nospc";
	uint64_t nfree;
	exo_bno b;
	struct ex x;

	(void)state;
	disk_fresh(disk, 64, 0, NULL);
	ex_open(&x, disk);
	nfree = exo_info(x.e)->blocks_free;
	assert_true(nfree > 8 && nfree < 64);
	nospc_check(x.e, disk, nfree);
	/* Then take every free block and ask for one more. */
	assert_int_equal(exo_block_alloc(x.e, 0, nfree, &b), 0);
	nospc_check(x.e, disk, 0);
	ex_close(&x);
	assert_int_equal(fault_disk_destroy(disk), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_dev_cache_model),
		cmocka_unit_test(test_dev_async),
		cmocka_unit_test(test_dev_threads),
		cmocka_unit_test(test_dev_cut_inflight),
		cmocka_unit_test(test_dev_cut_overlap),
		cmocka_unit_test(test_dev_eio),
		cmocka_unit_test(test_flushed_survives),
		cmocka_unit_test(test_unflushed_outcomes),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_eio),
		cmocka_unit_test(test_map_cuts),
		cmocka_unit_test(test_enospc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
