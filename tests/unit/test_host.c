/*
 * test_host.c: the hosted exo port (dblibos/port/host.c and linux.c).
 *
 * The I/O suite (io_*, persist_*, threads_*, disk_info_*) runs once per
 * device: an image file under a temporary directory with each of the
 * io_uring, libaio and psync engines, and a "fault:" disk.  It writes
 * patterns and reads them back in single, multi-block and batched
 * requests, keeps the queue full, checks that every bad request is refused
 * with the right code and starts nothing, that ownership and data survive
 * a detach, and that four threads submitting and reaping at once get their
 * own data back.  The other tests cover what only image files have (labels
 * on disk, the exclusive lock across processes), option checking, and
 * revocation.  The temporary directory is removed at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exo.h"
#include "port/fault.h"

#define BS	EXO_BLOCK_SIZE
#define NBLOCKS 1024 /* 4 MiB disks */
#define NPAGES	256
#define DEPTH	32
#define CAP	"test-capability"
#define CAP_MAX 256 /* longest capability (exo.h) */

static char tmpdir[64];

/* ---- helpers ---- */

static int is_fault(void **state)
{
	return strcmp(*state, "fault") == 0;
}

/* The disk named tag on the device under test (state: the engine name,
 * or "fault"). */
static const char *disk_name(void **state, const char *tag)
{
	static char name[160];

	if (is_fault(state))
		snprintf(name, sizeof name, "fault:%s", tag);
	else
		snprintf(name, sizeof name, "%s/%s.img", tmpdir, tag);
	return name;
}

static const char *io_name(void **state)
{
	return is_fault(state) ? NULL : *state;
}

static void disk_remove(const char *disk)
{
	if (strncmp(disk, "fault:", 6) == 0)
		assert_int_equal(fault_disk_destroy(disk), 0);
	else
		assert_int_equal(unlink(disk), 0);
}

static int attach_cap(void **state, const char *disk, const char *cap,
		      unsigned flags, struct exo **e)
{
	struct exo_attach_opts o = {
		.disk = disk,
		.cap = cap,
		.cap_len = strlen(cap),
		.flags = flags,
		.npages = NPAGES,
		.io = io_name(state),
		.depth = DEPTH,
	};

	return exo_attach(&o, e);
}

/* Format disk tag and attach to it with CAP. */
static struct exo *setup(void **state, const char *tag, const char **disk)
{
	struct exo *e = NULL;

	*disk = disk_name(state, tag);
	assert_int_equal(exo_disk_format(*disk, NBLOCKS * BS), 0);
	assert_int_equal(attach_cap(state, *disk, CAP, EXO_ATTACH_CREATE, &e),
			 0);
	return e;
}

static uint64_t word(exo_bno bno, uint64_t i, uint64_t salt)
{
	return (bno * 0x9e3779b97f4a7c15ull) ^ (i * 0x100000001b3ull) ^ salt;
}

/* Fill n pages from ppn with the pattern of blocks bno.. */
static void fill(struct exo *e, exo_ppn ppn, exo_bno bno, uint64_t n,
		 uint64_t salt)
{
	for (uint64_t k = 0; k < n; k++) {
		uint64_t *w = exo_page_addr(e, ppn + k);

		assert_non_null(w);
		for (uint64_t i = 0; i < BS / 8; i++)
			w[i] = word(bno + k, i, salt);
	}
}

static int holds(struct exo *e, exo_ppn ppn, exo_bno bno, uint64_t n,
		 uint64_t salt)
{
	for (uint64_t k = 0; k < n; k++) {
		const uint64_t *w = exo_page_addr(e, ppn + k);

		if (!w)
			return 0;
		for (uint64_t i = 0; i < BS / 8; i++)
			if (w[i] != word(bno + k, i, salt))
				return 0;
	}
	return 1;
}

static int is_zero(struct exo *e, exo_ppn ppn, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++) {
		const uint8_t *p = exo_page_addr(e, ppn + k);

		for (size_t i = 0; i < BS; i++)
			if (p[i])
				return 0;
	}
	return 1;
}

static struct exo_ioreq req(uint8_t op, exo_bno bno, uint32_t n, exo_ppn ppn,
			    uint64_t tag)
{
	return (struct exo_ioreq){
		.op = op, .n = n, .bno = bno, .ppn = ppn, .tag = tag};
}

/* One request, waited for: returns its result. */
static int io1(struct exo *e, uint8_t op, exo_bno bno, uint32_t n, exo_ppn ppn)
{
	struct exo_ioreq r = req(op, bno, n, ppn, 77);
	struct exo_iocomp c;

	assert_int_equal(exo_io_submit(e, &r, 1), 1);
	assert_int_equal(exo_io_reap(e, &c, 1, 1), 1);
	assert_int_equal(c.tag, 77);
	return c.res;
}

static exo_bno blocks(struct exo *e, exo_bno hint, uint64_t n)
{
	exo_bno b = EXO_BNO_NONE;

	assert_int_equal(exo_block_alloc(e, hint, n, &b), 0);
	return b;
}

static exo_ppn pages(struct exo *e, exo_ppn hint, uint64_t n)
{
	exo_ppn p = EXO_PPN_NONE;

	assert_int_equal(exo_page_alloc(e, hint, n, &p), 0);
	return p;
}

/* Is p readable by the kernel?  (A write from it to a pipe says EFAULT
 * if not.) */
static int readable(const void *p)
{
	int fd[2], ok;

	assert_int_equal(pipe(fd), 0);
	ok = write(fd[1], p, 1) == 1;
	close(fd[0]);
	close(fd[1]);
	return ok;
}

/* The arena uses hugetlb pages (which are never protected) when the
 * system has some reserved. */
static int hugetlb_reserved(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n > 0;
}

/* ---- the I/O suite ---- */

/* Single-block writes in one batch, a flush, multi-block reads. */
static void io_basic(void **state)
{
	struct exo_ioreq r[16];
	struct exo_iocomp c[16];
	const char *disk;
	struct exo *e = setup(state, "basic", &disk);
	exo_bno b = blocks(e, 100, 16);
	exo_ppn w = pages(e, 0, 16), rd = pages(e, 16, 16);
	unsigned seen = 0;
	const struct exo_info *in;

	assert_int_equal(b, 100);
	fill(e, w, b, 16, 1);
	for (int i = 0; i < 16; i++)
		r[i] = req(EXO_OP_WRITE, b + i, 1, w + i, 1000 + i);
	assert_int_equal(exo_io_submit(e, r, 16), 16);
	assert_int_equal(exo_io_reap(e, c, 16, 16), 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(c[i].res, 0);
		assert_true(c[i].tag >= 1000 && c[i].tag < 1016);
		seen |= 1u << (c[i].tag - 1000);
	}
	assert_int_equal(seen, 0xffff);
	assert_int_equal(io1(e, EXO_OP_FLUSH, 0, 0, 0), 0);

	r[0] = req(EXO_OP_READ, b, 8, rd, 1);
	r[1] = req(EXO_OP_READ, b + 8, 8, rd + 8, 2);
	assert_int_equal(exo_io_submit(e, r, 2), 2);
	assert_int_equal(exo_io_reap(e, c, 16, 2), 2);
	assert_int_equal(c[0].res | c[1].res, 0);
	assert_true(holds(e, rd, b, 16, 1));

	in = exo_info(e);
	assert_int_equal(in->magic, EXO_INFO_MAGIC);
	assert_int_equal(in->io_writes, 16);
	assert_int_equal(in->io_reads, 2);
	assert_int_equal(in->io_flushes, 1);
	assert_int_equal(in->io_bytes_written, 16 * BS);
	assert_int_equal(in->io_bytes_read, 16 * BS);
	assert_int_equal(in->io_inflight, 0);
	assert_int_equal(in->io_errors, 0);
	assert_int_equal(in->pages_owned, 32);
	assert_int_equal(in->pages_free, NPAGES - 32);
	assert_int_equal(in->blocks_owned, 16);
	assert_int_equal(in->blocks_total, NBLOCKS);
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* A full queue: depth requests in flight, one more is EXO_EAGAIN. */
static void io_depth(void **state)
{
	struct exo_ioreq r[DEPTH + 1];
	struct exo_iocomp c[DEPTH];
	const char *disk;
	struct exo *e = setup(state, "depth", &disk);
	exo_bno b = blocks(e, 200, DEPTH + 1);
	exo_ppn w = pages(e, 0, DEPTH + 1), rd = pages(e, 64, DEPTH);
	int got = 0;

	fill(e, w, b, DEPTH, 2);
	for (int i = 0; i <= DEPTH; i++)
		r[i] = req(EXO_OP_WRITE, b + i, 1, w + i, i);
	assert_int_equal(exo_io_submit(e, r, DEPTH), DEPTH);
	assert_int_equal(exo_info(e)->io_inflight, DEPTH);
	assert_int_equal(exo_io_submit(e, &r[DEPTH], 1), EXO_EAGAIN);
	while (got < DEPTH) {
		int k = exo_io_reap(e, c, DEPTH, 1);

		assert_true(k >= 1);
		for (int i = 0; i < k; i++)
			assert_int_equal(c[i].res, 0);
		got += k;
	}
	assert_int_equal(exo_io_reap(e, c, DEPTH, 0), 0);
	for (int i = 0; i < DEPTH; i++)
		r[i] = req(EXO_OP_READ, b + i, 1, rd + i, i);
	assert_int_equal(exo_io_submit(e, r, DEPTH), DEPTH);
	assert_int_equal(exo_io_reap(e, c, DEPTH, DEPTH), DEPTH);
	assert_true(holds(e, rd, b, DEPTH, 2));
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* submit must refuse r with err and start nothing. */
static void refused(struct exo *e, const struct exo_ioreq *r, uint32_t n,
		    int err)
{
	struct exo_info before = *exo_info(e);
	struct exo_iocomp c;

	assert_int_equal(exo_io_submit(e, r, n), err);
	assert_int_equal(exo_info(e)->io_writes, before.io_writes);
	assert_int_equal(exo_info(e)->io_reads, before.io_reads);
	assert_int_equal(exo_info(e)->io_inflight, before.io_inflight);
	if (before.io_inflight == 0)
		assert_int_equal(exo_io_reap(e, &c, 1, 0), 0);
}

static void io_reject(void **state)
{
	const char *disk;
	struct exo *e = setup(state, "reject", &disk);
	exo_bno b = blocks(e, 300, 4);
	exo_ppn p = pages(e, 0, 4);
	struct exo_ioreq r[2], big[EXO_IO_MAXBATCH + 1];
	struct exo_iocomp c;

	memset(big, 0, sizeof big);
	/* Ownership and ranges. */
	r[0] = req(EXO_OP_WRITE, b + 4, 1, p, 1);
	refused(e, r, 1, EXO_EPERM);
	r[0] = req(EXO_OP_READ, b, 1, p + 4, 1);
	refused(e, r, 1, EXO_EPERM);
	r[0] = req(EXO_OP_READ, b + 3, 2, p, 1);
	refused(e, r, 1, EXO_EPERM);
	r[0] = req(EXO_OP_READ, NBLOCKS, 1, p, 1);
	refused(e, r, 1, EXO_ERANGE);
	r[0] = req(EXO_OP_READ, b, 1, NPAGES, 1);
	refused(e, r, 1, EXO_ERANGE);
	/* Malformed requests and batches. */
	r[0] = req(EXO_OP_READ, b, 0, p, 1);
	refused(e, r, 1, EXO_EINVAL);
	r[0] = req(EXO_OP_READ, b, EXO_IO_MAXBLOCKS + 1, p, 1);
	refused(e, r, 1, EXO_EINVAL);
	r[0] = req(0, b, 1, p, 1);
	refused(e, r, 1, EXO_EINVAL);
	r[0] = req(EXO_OP_FLUSH + 1, b, 1, p, 1);
	refused(e, r, 1, EXO_EINVAL);
	r[0] = req(EXO_OP_WRITE, b, 1, p, 1);
	r[0].flags = 1;
	refused(e, r, 1, EXO_EINVAL);
	refused(e, r, 0, EXO_EINVAL);
	refused(e, NULL, 1, EXO_EINVAL);
	refused(e, big, EXO_IO_MAXBATCH + 1, EXO_EINVAL);
	/* Overlaps in the batch. */
	r[0] = req(EXO_OP_WRITE, b, 2, p, 1);
	r[1] = req(EXO_OP_WRITE, b + 1, 1, p + 2, 2);
	refused(e, r, 2, EXO_EOVERLAP);
	r[1] = req(EXO_OP_READ, b + 2, 1, p + 1, 2);
	refused(e, r, 2, EXO_EOVERLAP);
	/* A good request with a bad one: neither starts. */
	fill(e, p, b + 3, 1, 3);
	r[0] = req(EXO_OP_WRITE, b + 3, 1, p, 1);
	r[1] = req(EXO_OP_WRITE, b + 9, 1, p + 1, 2);
	refused(e, r, 2, EXO_EPERM);
	assert_int_equal(io1(e, EXO_OP_READ, b + 3, 1, p + 3), 0);
	assert_true(is_zero(e, p + 3, 1));
	/* Overlaps with what is in flight. */
	r[0] = req(EXO_OP_WRITE, b, 1, p, 5);
	assert_int_equal(exo_io_submit(e, r, 1), 1);
	r[1] = req(EXO_OP_WRITE, b, 1, p + 1, 6);
	refused(e, &r[1], 1, EXO_EOVERLAP);
	r[1] = req(EXO_OP_READ, b + 1, 1, p, 6);
	refused(e, &r[1], 1, EXO_EOVERLAP);
	r[1] = req(EXO_OP_WRITE, b + 1, 1, p, 6); /* reads the same page */
	assert_int_equal(exo_io_submit(e, &r[1], 1), 1);
	assert_int_equal(exo_io_reap(e, &c, 1, 1), 1);
	assert_int_equal(exo_io_reap(e, &c, 1, 1), 1);
	assert_int_equal(exo_io_reap(e, &c, 0, 1), EXO_EINVAL);
	assert_int_equal(exo_io_reap(e, NULL, 1, 0), EXO_EINVAL);
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* A block written, freed and allocated again reads as zeros. */
static void io_realloc_zero(void **state)
{
	const char *disk;
	struct exo *e = setup(state, "zero", &disk);
	exo_bno b = blocks(e, 500, 8);
	exo_ppn p = pages(e, 0, 8);

	fill(e, p, b, 8, 4);
	assert_int_equal(io1(e, EXO_OP_WRITE, b, 8, p), 0);
	assert_int_equal(io1(e, EXO_OP_FLUSH, 0, 0, 0), 0);
	assert_int_equal(exo_block_free(e, b, 8), 0);
	assert_int_equal(io1(e, EXO_OP_FLUSH, 0, 0, 0), 0);
	assert_int_equal(blocks(e, b, 8), b);
	assert_int_equal(io1(e, EXO_OP_READ, b, 8, p), 0);
	assert_true(is_zero(e, p, 8));
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* A device error completes the request with EXO_EIO and counts it. */
static void io_error(void **state)
{
	const char *disk;
	struct exo *e = setup(state, "error", &disk);
	exo_bno b = blocks(e, NBLOCKS - 8, 8);
	exo_ppn p = pages(e, 0, 8);
	struct fault_plan plan = FAULT_PLAN_INIT;

	assert_int_equal(b, NBLOCKS - 8);
	if (is_fault(state)) {
		plan.eio_at_io = 1;
		assert_int_equal(fault_set_plan(disk, &plan), 0);
	} else {
		/* A read across the new end moves 4 blocks (a short read,
		 * resubmitted), then finds nothing. */
		assert_int_equal(truncate(disk, (NBLOCKS - 4) * BS), 0);
	}
	assert_int_equal(io1(e, EXO_OP_READ, b, 8, p), EXO_EIO);
	assert_int_equal(exo_info(e)->io_errors, 1);
	assert_int_equal(exo_info(e)->io_inflight, 0);
	assert_int_equal(io1(e, EXO_OP_READ, b, 4, p), 0);
	assert_int_equal(exo_info(e)->io_errors, 1);
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* Same capability: same extents, root and data; another: none of them. */
static void persist(void **state)
{
	struct exo_extent x1[4], x2[4];
	const char *disk;
	struct exo *e = setup(state, "persist", &disk);
	exo_bno b1 = blocks(e, 100, 4), b2 = blocks(e, 700, 2), root;
	exo_ppn p = pages(e, 0, 4);
	int64_t n1 = exo_block_extents(e, x1, 4), n2;

	assert_int_equal(n1, 2);
	fill(e, p, b1, 4, 5);
	assert_int_equal(io1(e, EXO_OP_WRITE, b1, 4, p), 0);
	fill(e, p, b2, 2, 6);
	assert_int_equal(io1(e, EXO_OP_WRITE, b2, 2, p), 0);
	assert_int_equal(io1(e, EXO_OP_FLUSH, 0, 0, 0), 0);
	assert_int_equal(exo_root_set(e, b2), 0);
	assert_int_equal(exo_detach(e), 0);

	assert_int_equal(attach_cap(state, disk, CAP, 0, &e), 0);
	n2 = exo_block_extents(e, x2, 4);
	assert_int_equal(n2, n1);
	assert_memory_equal(x1, x2, sizeof x1[0] * (size_t)n1);
	assert_int_equal(exo_root_get(e, &root), 0);
	assert_int_equal(root, b2);
	p = pages(e, 0, 4);
	assert_int_equal(io1(e, EXO_OP_READ, b1, 4, p), 0);
	assert_true(holds(e, p, b1, 4, 5));
	assert_int_equal(io1(e, EXO_OP_READ, b2, 2, p), 0);
	assert_true(holds(e, p, b2, 2, 6));
	assert_int_equal(exo_detach(e), 0);

	assert_int_equal(
		attach_cap(state, disk, "other", EXO_ATTACH_CREATE, &e), 0);
	assert_int_equal(exo_block_extents(e, x2, 4), 0);
	assert_int_equal(exo_root_get(e, &root), 0);
	assert_int_equal(root, EXO_BNO_NONE);
	p = pages(e, 0, 1);
	refused(e,
		&(struct exo_ioreq){
			.op = EXO_OP_READ, .n = 1, .bno = b1, .ppn = p},
		1, EXO_EPERM);
	assert_int_equal(exo_block_free(e, b2, 1), EXO_EPERM);
	assert_int_equal(exo_root_set(e, b1), EXO_EPERM);
	assert_int_equal(exo_detach(e), 0);

	e = NULL;
	assert_int_equal(attach_cap(state, disk, "unknown", 0, &e), EXO_ENOENT);
	assert_null(e);
	disk_remove(disk);
}

/* Four threads, each with its own blocks and pages, submit and reap at
 * once; a completion may be reaped by any thread. */
#define NTHREADS 4
#define TBLOCKS	 16
#define ROUNDS	 12

struct shared {
	struct exo *e;
	exo_bno b;
	exo_ppn p;
	atomic_int done[NTHREADS][TBLOCKS];
	atomic_int errors;
};

struct worker {
	struct shared *s;
	int t;
};

/* Reap what is there (waiting for one) and mark it done. */
static void reap_some(struct shared *s)
{
	struct exo_iocomp c[8];
	int k = exo_io_reap(s->e, c, 8, 1);

	if (k < 0)
		atomic_fetch_add(&s->errors, 1);
	for (int i = 0; i < k; i++) {
		if (c[i].res)
			atomic_fetch_add(&s->errors, 1);
		atomic_store(&s->done[c[i].tag >> 8][c[i].tag & 0xff], 1);
	}
	if (k == 0)
		sched_yield();
}

static void submit_all(struct shared *s, struct exo_ioreq *r, uint32_t n)
{
	int k;

	while ((k = exo_io_submit(s->e, r, n)) == EXO_EAGAIN)
		reap_some(s);
	if (k == (int)n)
		return;
	atomic_fetch_add(&s->errors, 1);
	for (uint32_t i = 0; i < n; i++) /* never to be reaped */
		atomic_store(&s->done[r[i].tag >> 8][r[i].tag & 0xff], 1);
}

/* Run the n requests (tags t << 8 | i) and wait until all are reaped. */
static void run(struct shared *s, int t, struct exo_ioreq *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		atomic_store(&s->done[t][i], 0);
	for (uint32_t i = 0; i < n; i += 4)
		submit_all(s, r + i, n - i < 4 ? n - i : 4);
	for (uint32_t i = 0; i < n; i++)
		while (!atomic_load(&s->done[t][i]))
			reap_some(s);
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct shared *s = w->s;
	exo_bno b = s->b + (exo_bno)w->t * TBLOCKS;
	exo_ppn wp = s->p + (exo_ppn)w->t * 2 * TBLOCKS, rp = wp + TBLOCKS;
	struct exo_ioreq r[TBLOCKS];

	for (int round = 0; round < ROUNDS; round++) {
		uint64_t salt = (uint64_t)round << 32 | (uint64_t)w->t;

		for (int i = 0; i < TBLOCKS; i++) {
			uint64_t *pg = exo_page_addr(s->e, wp + i);

			for (uint64_t j = 0; j < BS / 8; j++)
				pg[j] = word(b + i, j, salt);
			r[i] = req(EXO_OP_WRITE, b + i, 1, wp + i,
				   (uint64_t)w->t << 8 | (uint64_t)i);
		}
		run(s, w->t, r, TBLOCKS);
		for (int i = 0; i < TBLOCKS; i++)
			r[i] = req(EXO_OP_READ, b + i, 1, rp + i,
				   (uint64_t)w->t << 8 | (uint64_t)i);
		run(s, w->t, r, TBLOCKS);
		for (int i = 0; i < TBLOCKS; i++) {
			const uint64_t *pg = exo_page_addr(s->e, rp + i);

			for (uint64_t j = 0; j < BS / 8; j++)
				if (pg[j] != word(b + i, j, salt)) {
					atomic_fetch_add(&s->errors, 1);
					break;
				}
		}
	}
	r[0] = req(EXO_OP_FLUSH, 0, 0, 0, (uint64_t)w->t << 8);
	run(s, w->t, r, 1);
	return NULL;
}

static void threads(void **state)
{
	static struct shared s;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	const char *disk;

	memset(&s, 0, sizeof s);
	s.e = setup(state, "threads", &disk);
	s.b = blocks(s.e, 64, NTHREADS * TBLOCKS);
	s.p = pages(s.e, 0, NTHREADS * 2 * TBLOCKS);
	for (int t = 0; t < NTHREADS; t++) {
		w[t] = (struct worker){.s = &s, .t = t};
		assert_int_equal(pthread_create(&th[t], NULL, worker, &w[t]),
				 0);
	}
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	assert_int_equal(atomic_load(&s.errors), 0);
	assert_int_equal(exo_info(s.e)->io_writes, NTHREADS * TBLOCKS * ROUNDS);
	assert_int_equal(exo_info(s.e)->io_inflight, 0);
	assert_int_equal(exo_detach(s.e), 0);
	disk_remove(disk);
}

/* exo_disk_info while attached: label, owners, extents, map generation. */
static void disk_info(void **state)
{
	struct exo_extent x[4];
	struct exo_disk_info *di = NULL;
	const char *disk = disk_name(state, "info");
	struct exo *e;
	uint64_t gen;
	int slot;

	assert_int_equal(exo_disk_format(disk, NBLOCKS * BS), 0);
	assert_int_equal(
		attach_cap(state, disk, "first", EXO_ATTACH_CREATE, &e), 0);
	blocks(e, 900, 3);
	assert_int_equal(exo_detach(e), 0);
	assert_int_equal(attach_cap(state, disk, CAP, EXO_ATTACH_CREATE, &e),
			 0);
	blocks(e, 100, 5);
	blocks(e, 300, 2);

	assert_int_equal(exo_disk_info(disk, &di), 0);
	assert_memory_equal(di->label.magic, EXO_LABEL_MAGIC, 8);
	assert_int_equal(di->label.nblocks, NBLOCKS);
	assert_int_equal(di->meta_blocks, di->label.data_start);
	assert_int_equal(di->blocks_free, exo_info(e)->blocks_free);
	assert_int_equal(di->blocks_free, NBLOCKS - di->meta_blocks - 10);
	assert_int_equal(di->nowners, 2);
	assert_int_equal(di->owners[0].owner.nblocks, 3);
	assert_int_equal(di->owners[0].nextents, 1);
	assert_int_equal(di->owners[0].extents[0].start, 900);
	assert_int_equal(di->owners[1].owner.nblocks, 7);
	assert_int_equal(exo_block_extents(e, x, 4), 2);
	assert_int_equal(di->owners[1].nextents, 2);
	assert_memory_equal(di->owners[1].extents, x, 2 * sizeof x[0]);
	gen = di->map_gen;
	slot = di->map_slot;
	exo_disk_info_free(di);

	blocks(e, 400, 1);
	assert_int_equal(exo_disk_info(disk, &di), 0);
	assert_int_equal(di->map_gen, gen + 1);
	assert_int_equal(di->map_slot, 1 - slot);
	assert_int_equal(di->owners[1].nextents, 3);
	exo_disk_info_free(di);
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* ---- image files only ---- */

static void make_file(const char *path, off_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, bytes), 0);
	close(fd);
}

static void poke(const char *path, off_t off, uint8_t byte)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &byte, 1, off), 1);
	close(fd);
}

static void bad_label(void **state, const char *disk, int err)
{
	struct exo_disk_info *di = NULL;
	struct exo *e = NULL;

	assert_int_equal(attach_cap(state, disk, CAP, EXO_ATTACH_CREATE, &e),
			 err);
	assert_null(e);
	assert_int_equal(exo_disk_info(disk, &di), err);
	assert_null(di);
}

static void bad_disks(void **state)
{
	const char *disk = disk_name(state, "bad");
	char dir[128];

	bad_label(state, disk, EXO_ENOENT);
	make_file(disk, NBLOCKS * BS); /* all zeros */
	bad_label(state, disk, EXO_EBADDISK);
	make_file(disk, 0);
	bad_label(state, disk, EXO_EBADDISK);
	assert_int_equal(exo_disk_format(disk, NBLOCKS * BS), 0);
	assert_int_equal(truncate(disk, NBLOCKS * BS - 100), 0);
	bad_label(state, disk, EXO_EBADDISK);
	assert_int_equal(exo_disk_format(disk, NBLOCKS * BS), 0);
	assert_int_equal(truncate(disk, NBLOCKS * BS / 2), 0);
	bad_label(state, disk, EXO_ECORRUPT);
	assert_int_equal(exo_disk_format(disk, NBLOCKS * BS), 0);
	poke(disk, 20, 0x55); /* nblocks, under the checksum */
	bad_label(state, disk, EXO_ECORRUPT);
	disk_remove(disk);
	snprintf(dir, sizeof dir, "%s/adir", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	bad_label(state, dir, EXO_EBADDISK);
	assert_int_equal(rmdir(dir), 0);
}

static void format_errors(void **state)
{
	const char *disk = disk_name(state, "fmt");
	struct exo_disk_info *di;
	char path[160];

	assert_int_equal(exo_disk_format(NULL, BS * 64), EXO_EINVAL);
	assert_int_equal(exo_disk_format(disk, BS * 64 + 1), EXO_EINVAL);
	assert_int_equal(exo_disk_format(disk, 0), EXO_EINVAL);
	assert_int_equal(exo_disk_format(disk, BS * 16), EXO_ETOOSMALL);
	snprintf(path, sizeof path, "%s/nodir/x.img", tmpdir);
	assert_int_equal(exo_disk_format(path, BS * 64), EXO_ENOENT);
	/* Formatting resizes. */
	assert_int_equal(exo_disk_format(disk, BS * 128), 0);
	assert_int_equal(exo_disk_format(disk, BS * 64), 0);
	assert_int_equal(exo_disk_info(disk, &di), 0);
	assert_int_equal(di->label.nblocks, 64);
	assert_int_equal(di->nowners, 0);
	exo_disk_info_free(di);
	assert_int_equal(exo_disk_info(NULL, &di), EXO_EINVAL);
	disk_remove(disk);
}

/* One process at a time: another attach, here or in a child, is EBUSY. */
static void lock(void **state)
{
	const char *disk;
	struct exo *e = setup(state, "lock", &disk), *e2 = NULL;
	struct exo_disk_info *di;
	pid_t pid;
	int status;

	assert_int_equal(attach_cap(state, disk, CAP, 0, &e2), EXO_EBUSY);
	assert_null(e2);
	assert_int_equal(attach_cap(state, disk, "x", EXO_ATTACH_CREATE, &e2),
			 EXO_EBUSY);
	assert_int_equal(exo_disk_format(disk, NBLOCKS * BS), EXO_EBUSY);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(attach_cap(state, disk, CAP, 0, &e2) == EXO_EBUSY ? 0
									: 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(exo_disk_info(disk, &di), 0); /* no lock needed */
	assert_int_equal(di->nowners, 1);
	exo_disk_info_free(di);
	assert_int_equal(exo_detach(e), 0);
	assert_int_equal(attach_cap(state, disk, CAP, 0, &e), 0);
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

static void bad_opts(void **state)
{
	const char *disk;
	struct exo *e0 = setup(state, "opts", &disk), *e = NULL;
	struct exo_attach_opts good = {
		.disk = disk, .cap = "c", .cap_len = 1, .io = io_name(state)};
	struct exo_attach_opts o;
	char cap[CAP_MAX + 1];

	assert_int_equal(exo_detach(e0), 0);
	memset(cap, 'c', sizeof cap);
	assert_int_equal(exo_attach(NULL, &e), EXO_EINVAL);
	assert_int_equal(exo_attach(&good, NULL), EXO_EINVAL);
	o = good;
	o.disk = NULL;
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	o = good;
	o.cap = NULL;
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	o = good;
	o.cap_len = 0;
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	o = good;
	o.cap = cap;
	o.cap_len = CAP_MAX + 1;
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	o = good;
	o.flags = 2;
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	o = good;
	o.io = "posix_aio";
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	o = good;
	o.depth = EXO_IO_MAXDEPTH + 1;
	assert_int_equal(exo_attach(&o, &e), EXO_EINVAL);
	assert_null(e);
	/* The longest capability and the defaults are fine. */
	o = good;
	o.cap = cap;
	o.cap_len = CAP_MAX;
	o.flags = EXO_ATTACH_CREATE;
	assert_int_equal(exo_attach(&o, &e), 0);
	assert_int_equal(exo_info(e)->pages_total, 16384);
	assert_int_equal(exo_detach(e), 0);
	assert_int_equal(exo_detach(NULL), EXO_EINVAL);
	disk_remove(disk);
}

/* Revocation: freeing pages answers it; ignoring it loses pages. */
static void revocation(void **state)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	const char *disk;
	struct exo *e = setup(state, "revoke", &disk);
	const struct exo_info *in = exo_info(e);
	exo_ppn p = pages(e, 0, 16);
	int prot = !hugetlb_reserved();
	char *first = exo_page_addr(e, p), *gone;

	assert_int_equal(exo_revoke(e, 0, 1000), EXO_EINVAL);
	assert_int_equal(exo_revoke(e, NPAGES + 1, 1000), EXO_EINVAL);
	assert_int_equal(exo_revoke(e, 4, 60ull * 1000000000), 0);
	assert_int_equal(in->revoke_seq, 1);
	assert_int_equal(in->revoke_pages, 4);
	assert_int_equal(exo_page_free(e, p, 2), 0);
	assert_int_equal(exo_info(e)->revoke_pages, 2);
	assert_null(exo_page_addr(e, p));
	assert_true(!prot || !readable(first));
	assert_int_equal(exo_page_free(e, p + 2, 2), 0);
	assert_int_equal(exo_info(e)->revoke_pages, 0);
	assert_int_equal(in->repo_count, 0);
	assert_int_equal(in->pages_owned, 12);

	/* Ignored: the three highest pages are taken when it expires. */
	gone = exo_page_addr(e, p + 15);
	assert_true(readable(gone));
	assert_int_equal(exo_revoke(e, 3, 1000 * 1000), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(exo_info(e)->repo_count, 3);
	assert_int_equal(in->revoke_pages, 0);
	assert_int_equal(in->pages_owned, 9);
	assert_int_equal(in->repo[0], p + 15);
	assert_int_equal(in->repo[1], p + 14);
	assert_int_equal(in->repo[2], p + 13);
	assert_null(exo_page_addr(e, p + 15));
	assert_null(exo_page_addr(e, p + 13));
	assert_non_null(exo_page_addr(e, p + 12));
	assert_true(!prot || !readable(gone));
	assert_int_equal(exo_page_free(e, p + 13, 1), EXO_EPERM);
	assert_int_equal(pages(e, p + 15, 1), p + 15);
	assert_true(readable(gone));
	gone[0] = 1;
	assert_int_equal(exo_detach(e), 0);
	disk_remove(disk);
}

/* ---- the temporary directory ---- */

static int dir_make(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/exodb-host-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int dir_remove(void **state)
{
	char path[sizeof tmpdir + 300];
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	(void)state;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", tmpdir,
				 de->d_name);
			unlink(path);
		}
	closedir(d);
	return rmdir(tmpdir);
}

/* Test fn on device dev ("io_uring", "libaio", "psync" or "fault"). */
#define ON(fn, dev)                                                            \
	{                                                                      \
		.name = #fn "(" dev ")", .test_func = fn,                      \
		.initial_state = (void *)dev                                   \
	}
#define SUITE(dev)                                                             \
	ON(io_basic, dev), ON(io_depth, dev), ON(io_reject, dev),              \
		ON(io_realloc_zero, dev), ON(io_error, dev), ON(persist, dev), \
		ON(threads, dev), ON(disk_info, dev)

int main(void)
{
	const struct CMUnitTest tests[] = {
		SUITE("io_uring"),
		SUITE("libaio"),
		SUITE("psync"),
		SUITE("fault"),
		ON(bad_disks, "io_uring"),
		ON(format_errors, "io_uring"),
		ON(lock, "io_uring"),
		ON(bad_opts, "io_uring"),
		ON(bad_opts, "fault"),
		ON(revocation, "io_uring"),
		ON(revocation, "fault"),
	};

	return cmocka_run_group_tests(tests, dir_make, dir_remove);
}
