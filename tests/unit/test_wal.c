/*
 * test_wal.c: the write-ahead log (dblibos/wal.c) and dio (dblibos/dio.c).
 *
 * Most tests run on "fault:" disks (port/fault.c), whose power cuts and
 * injected errors reach the log through exo.h; the round trip and group
 * commit also run on an image file under a temporary directory through
 * the Linux port.  Records are generated from their id, so whatever
 * recovery hands back can be compared byte for byte with what was
 * appended.  Covered: batches and op iteration; bad arguments; a round
 * trip of records from tiny to larger than the buffer over several laps
 * of the region (records crossing its wrap point), recovered after close
 * and continued in the partial last block; group commit from 16 threads
 * sharing flushes; appends during an in-flight flush; lazy mode; a power
 * cut at every I/O of a workload (acknowledged records all present, no
 * record partial); stale records of an earlier life not resurrected; a
 * bit flip in acknowledged data (EXO_ECORRUPT naming the block); a full
 * log blocking until wal_set_tail; an injected EXO_EIO breaking the log;
 * recovery FLUSHing the device before it applies anything, and wal_flush
 * during recovery (at once up to the record being applied, EXO_EINVAL
 * beyond).
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
#include <time.h>
#include <unistd.h>

#include "exo.h"
#include "port/fault.h"
#include "wal.h"

#define BS     EXO_BLOCK_SIZE
#define CAP    "wal-test"
#define NPAGES 2048 /* arena pages per attachment */
#define HDRSZ  ((uint64_t)sizeof(struct wal_rec))

static char tmpdir[64];

/* ---- records: generated from their id ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Op payload bytes of record id: mostly small, every 5th up to big. */
static uint32_t rec_len(uint64_t id, uint32_t big)
{
	uint64_t r = mix(id * 7 + 1);

	if (id % 5 == 4)
		return 4096 + (uint32_t)(r % (big - 4096));
	return (uint32_t)(r % 3000);
}

/* The batch of record id: 1..3 ops, the first starting with the id. */
static void rec_batch(struct walbatch *b, uint64_t id, uint32_t len)
{
	uint32_t nops = 1 + id % 3, k, j, part;
	uint8_t *p;

	walbatch_reset(b);
	for (k = 0; k < nops; k++) {
		part = len / nops + (k == nops - 1 ? len % nops : 0);
		p = walbatch_op(b, WAL_OP_ENGINE + k, part + (k ? 0 : 8));
		assert_non_null(p);
		if (k == 0) {
			memcpy(p, &id, 8);
			p += 8;
		}
		for (j = 0; j < part; j++)
			p[j] = (uint8_t)(id * 31 + k * 7 + j * 13 + (j >> 9));
	}
}

static uint64_t rec_total(uint64_t id, uint32_t len)
{
	struct walbatch b;
	uint64_t n;

	walbatch_init(&b);
	rec_batch(&b, id, len);
	n = HDRSZ + b.len;
	walbatch_free(&b);
	return n;
}

/* What recovery handed back. */
struct got {
	size_t n, cap;
	lsn_t *lsn;
	uint32_t *len;
	uint8_t **p;
};

static int got_apply(void *ctx, lsn_t lsn, uint16_t type, const void *p,
		     uint32_t len)
{
	struct got *g = ctx;

	if (type != WAL_REC_BATCH)
		return EXO_EINVAL;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->lsn = realloc(g->lsn, g->cap * sizeof(*g->lsn));
		g->len = realloc(g->len, g->cap * sizeof(*g->len));
		g->p = realloc(g->p, g->cap * sizeof(*g->p));
		assert_true(g->lsn && g->len && g->p);
	}
	g->lsn[g->n] = lsn;
	g->len[g->n] = len;
	g->p[g->n] = malloc(len ? len : 1);
	assert_non_null(g->p[g->n]);
	memcpy(g->p[g->n], p, len);
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->p[i]);
	free(g->lsn);
	free(g->len);
	free(g->p);
	memset(g, 0, sizeof(*g));
}

/* The id of recovered record i (the first 8 bytes of its first op). */
static uint64_t got_id(const struct got *g, size_t i)
{
	uint32_t off = 0;
	int err;
	const struct wal_op *op = wal_op_next(g->p[i], g->len[i], &off, &err);
	uint64_t id;

	assert_non_null(op);
	assert_true(op->len >= 8);
	memcpy(&id, op + 1, 8);
	return id;
}

/* Recovered record i is exactly record id of op payload len. */
static void got_expect(const struct got *g, size_t i, uint64_t id,
		       uint32_t len)
{
	struct walbatch b;

	walbatch_init(&b);
	rec_batch(&b, id, len);
	assert_int_equal(g->len[i], b.len);
	assert_memory_equal(g->p[i], b.buf, b.len);
	walbatch_free(&b);
}

/* ---- a log on a disk ---- */

struct tl {
	const char *disk;
	exo_bno start;
	uint64_t nblocks;
	uint32_t buf_pages;
	int lazy;
	uint32_t lazy_ms;
	struct exo *e;
	struct dio *d;
	struct wal *w;
};

/* A freshly formatted disk of disk_blocks whose first log_blocks owned
 * blocks are the log. */
static void tl_disk(struct tl *t, const char *disk, uint64_t disk_blocks,
		    uint64_t log_blocks)
{
	struct exo_attach_opts o = { .disk = disk, .cap = CAP,
				     .cap_len = sizeof(CAP) - 1,
				     .flags = EXO_ATTACH_CREATE, .npages = 64 };
	struct exo *e;

	if (strncmp(disk, "fault:", 6) == 0) {
		int rc = fault_disk_destroy(disk);

		assert_true(rc == 0 || rc == EXO_ENOENT);
	}
	assert_int_equal(exo_disk_format(disk, disk_blocks * BS), 0);
	assert_int_equal(exo_attach(&o, &e), 0);
	assert_int_equal(exo_block_alloc(e, 0, log_blocks, &t->start), 0);
	assert_int_equal(exo_detach(e), 0);
	t->disk = disk;
	t->nblocks = log_blocks;
}

/* Attach and open the log (not recovered, not started). */
static void tl_open(struct tl *t)
{
	struct exo_attach_opts o = { .disk = t->disk, .cap = CAP,
				     .cap_len = sizeof(CAP) - 1,
				     .npages = NPAGES };
	struct wal_opts wo = { .start = t->start, .nblocks = t->nblocks,
			       .buf_pages = t->buf_pages, .lazy = t->lazy,
			       .lazy_ms = t->lazy_ms };

	assert_int_equal(exo_attach(&o, &t->e), 0);
	assert_int_equal(dio_open(t->e, &t->d), 0);
	assert_int_equal(wal_open(t->e, t->d, &wo, &t->w), 0);
}

/* Close the log and detach; returns wal_close's result. */
static int tl_close(struct tl *t)
{
	int rc = wal_close(t->w), drc;

	dio_close(t->d);
	drc = exo_detach(t->e);
	assert_true(drc == 0 || drc == EXO_EIO);
	t->w = NULL;
	t->d = NULL;
	t->e = NULL;
	return rc;
}

/* Open, recover from `from` into g (records of epochs 1..max_epoch). */
static int tl_recover(struct tl *t, lsn_t from, uint32_t max_epoch,
		      struct got *g)
{
	tl_open(t);
	return wal_recover(t->w, from, 1, max_epoch, got_apply, g);
}

static void plan_set(const char *disk, uint64_t seed, uint64_t cut,
		     uint64_t eio, unsigned pct)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	p.seed = seed;
	p.cut_at_io = cut;
	p.eio_at_io = eio;
	p.persist_pct = pct;
	assert_int_equal(fault_set_plan(disk, &p), 0);
}

static int append_id(struct wal *w, struct walbatch *b, uint64_t id,
		     uint32_t len, lsn_t *end)
{
	rec_batch(b, id, len);
	return wal_append(w, b, end);
}

/* ---- batches ---- */

static void test_batch(void **state)
{
	struct walbatch b;
	const struct wal_op *op;
	uint32_t off = 0, n = 0;
	uint8_t data[13] = "hello, world";
	int err;

	(void)state;
	walbatch_init(&b);
	assert_int_equal(walbatch_add(&b, WAL_OP_STORE, data, 13), 0);
	assert_non_null(walbatch_op(&b, WAL_OP_PAGE, 0));
	assert_int_equal(walbatch_add(&b, WAL_OP_OBJ, data, 8), 0);
	for (int i = 0; i < 100; i++) /* grows the buffer several times */
		assert_int_equal(walbatch_add(&b, WAL_OP_BALLOC, data, 5), 0);
	assert_int_equal(b.nops, 103);
	assert_int_equal(b.len, 24 + 8 + 16 + 100 * 16);
	while ((op = wal_op_next(b.buf, (uint32_t)b.len, &off, &err))) {
		assert_int_equal((uintptr_t)op % 8, 0);
		if (n == 0) {
			assert_int_equal(op->type, WAL_OP_STORE);
			assert_int_equal(op->len, 13);
			assert_memory_equal(op + 1, data, 13);
		}
		n++;
	}
	assert_int_equal(err, 0);
	assert_int_equal(n, 103);

	/* ops that do not add up */
	off = 0;
	assert_null(wal_op_next(b.buf, 20, &off, &err)); /* cut inside op */
	assert_int_equal(err, EXO_ECORRUPT);
	off = 4;
	assert_null(wal_op_next(b.buf, (uint32_t)b.len, &off, &err));
	assert_int_equal(err, EXO_ECORRUPT);
	off = 0;
	assert_null(wal_op_next(b.buf, 4, &off, &err));
	assert_int_equal(err, EXO_ECORRUPT);
	assert_int_equal(walbatch_add(&b, 1, NULL, 3), EXO_EINVAL);
	walbatch_reset(&b);
	assert_int_equal(b.len, 0);
	off = 0;
	assert_null(wal_op_next(b.buf, 0, &off, &err));
	assert_int_equal(err, 0);
	walbatch_free(&b);
}

static void test_args(void **state)
{
	struct tl t = { .buf_pages = 4 };
	struct wal_opts wo = { .nblocks = 15 };
	struct walbatch b;
	struct wal *w;
	lsn_t end;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_args", 256, 16);
	tl_open(&t);
	assert_int_equal(wal_open(t.e, t.d, &wo, &w), EXO_EINVAL);
	assert_int_equal(dio_submit(t.d, NULL, 1, NULL), EXO_EINVAL);
	assert_int_equal(append_id(t.w, &b, 1, 10, &end), EXO_EINVAL);
	assert_int_equal(wal_recover(t.w, 3, 1, 1, NULL, NULL), EXO_EINVAL);
	assert_int_equal(wal_recover(t.w, 0, 2, 1, NULL, NULL), EXO_EINVAL);
	assert_int_equal(wal_recover(t.w, 0, 1, 1, NULL, NULL), 0);
	assert_int_equal(wal_start(t.w, 1), EXO_EINVAL); /* not > max_epoch */
	assert_int_equal(wal_start(t.w, 2), 0);
	assert_int_equal(wal_start(t.w, 3), EXO_EINVAL);
	/* a quarter of 16 blocks is 16 KiB, headers included */
	walbatch_reset(&b);
	assert_non_null(walbatch_op(&b, WAL_OP_ENGINE, 16384 - 48));
	assert_int_equal(wal_append(t.w, &b, &end), 0);
	walbatch_reset(&b);
	assert_non_null(walbatch_op(&b, WAL_OP_ENGINE, 16384 - 48 + 1));
	assert_int_equal(wal_append(t.w, &b, &end), EXO_ENOSPC);
	assert_int_equal(wal_commit(t.w, wal_end(t.w) + 8), EXO_EINVAL);
	assert_int_equal(wal_flush(t.w, wal_end(t.w) + 8), EXO_EINVAL);
	assert_int_equal(wal_recover(t.w, 0, 1, 1, NULL, NULL), EXO_EINVAL);
	assert_int_equal(wal_bad_block(t.w), EXO_BNO_NONE);
	assert_int_equal(tl_close(&t), 0);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
	walbatch_free(&b);
}

/* ---- round trip ---- */

#define RT_RECS 300

/*
 * Append RT_RECS records (up to 20000 bytes, larger than the 4-page
 * buffer) into a 64-block log, moving the tail so the log is half full,
 * which wraps it about four times; close, recover from the tail, check
 * every record from there; then continue the log in its partial last
 * block and recover again.
 */
static void roundtrip(const char *disk)
{
	struct tl t = { .buf_pages = 4 };
	static lsn_t pos[RT_RECS + 2];
	uint32_t len[RT_RECS + 1];
	uint64_t logbytes = 64 * BS, first = 0, i, crossed = 0;
	struct walbatch b;
	struct got g = { 0 };
	lsn_t end;

	walbatch_init(&b);
	tl_disk(&t, disk, 1024, 64);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	pos[0] = 0;
	for (i = 0; i < RT_RECS; i++) {
		len[i] = rec_len(i, 20000);
		assert_int_equal(append_id(t.w, &b, i, len[i], &end), 0);
		pos[i + 1] = end;
		assert_int_equal(end - pos[i], rec_total(i, len[i]));
		while (end - pos[first] > logbytes / 2)
			first++;
		if (i % 3 == 2)
			assert_int_equal(wal_commit(t.w, end), 0);
		wal_set_tail(t.w, pos[first]);
		assert_true(wal_fill_pct(t.w) <= 50);
	}
	assert_true(end > 3 * logbytes);
	assert_int_equal(tl_close(&t), 0);

	assert_int_equal(tl_recover(&t, pos[first], 1, &g), 0);
	assert_int_equal(g.n, RT_RECS - first);
	for (i = 0; i < g.n; i++) {
		assert_int_equal(g.lsn[i], pos[first + i]);
		got_expect(&g, i, first + i, len[first + i]);
		crossed += g.lsn[i] / logbytes != (pos[first + i + 1] - 1) /
							  logbytes;
	}
	assert_true(crossed > 0);
	assert_int_equal(wal_end(t.w), end);
	assert_int_equal(wal_durable(t.w), end);
	got_free(&g);

	/* continue in the partial last block with a new epoch */
	assert_int_equal(wal_start(t.w, 2), 0);
	len[RT_RECS] = 100;
	assert_int_equal(append_id(t.w, &b, RT_RECS, 100, &pos[RT_RECS + 1]),
			 0);
	assert_int_equal(wal_commit(t.w, pos[RT_RECS + 1]), 0);
	assert_int_equal(tl_close(&t), 0);
	assert_int_equal(tl_recover(&t, pos[first], 2, &g), 0);
	assert_int_equal(g.n, RT_RECS + 1 - first);
	got_expect(&g, g.n - 1, RT_RECS, 100);
	assert_int_equal(wal_end(t.w), pos[RT_RECS + 1]);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	walbatch_free(&b);
}

static void test_roundtrip_fault(void **state)
{
	(void)state;
	roundtrip("fault:wal_rt");
	assert_int_equal(fault_disk_destroy("fault:wal_rt"), 0);
}

static char *file_disk(const char *tag)
{
	static char path[160];

	snprintf(path, sizeof(path), "%s/%s.img", tmpdir, tag);
	return path;
}

static void test_roundtrip_file(void **state)
{
	(void)state;
	roundtrip(file_disk("rt"));
	assert_int_equal(unlink(file_disk("rt")), 0);
}

/* ---- group commit ---- */

#define GC_THREADS 16
#define GC_COMMITS 30

struct gc_arg {
	struct wal *w;
	int t;
	atomic_int *failed;
	pthread_barrier_t *round; /* NULL: no rounds */
};

static void *gc_thread(void *p)
{
	struct gc_arg *a = p;
	struct walbatch b;
	lsn_t end;

	walbatch_init(&b);
	for (int i = 0; i < GC_COMMITS; i++) {
		uint64_t id = (uint64_t)a->t * 1000 + (uint64_t)i;

		rec_batch(&b, id, 100);
		if (wal_append(a->w, &b, &end))
			atomic_fetch_add(a->failed, 1);
		if (a->round)
			pthread_barrier_wait(a->round);
		if (wal_commit(a->w, end) || wal_durable(a->w) < end)
			atomic_fetch_add(a->failed, 1);
	}
	walbatch_free(&b);
	return NULL;
}

/*
 * 16 threads commit at once: every commit durable, flushes shared.  On a
 * fault disk, whose flushes take no time, the threads append in rounds
 * (a barrier between append and commit) so that sharing is certain; on
 * an image file the flush latency makes them share anyway.
 */
static void group_commit(const char *disk, int rounds)
{
	struct tl t = { .buf_pages = 64 };
	pthread_barrier_t round;
	pthread_t th[GC_THREADS];
	struct gc_arg a[GC_THREADS];
	int next[GC_THREADS] = { 0 };
	atomic_int failed = 0;
	struct wal_stats st;
	struct got g = { 0 };

	tl_disk(&t, disk, 1024, 256);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	pthread_barrier_init(&round, NULL, GC_THREADS);
	for (int i = 0; i < GC_THREADS; i++) {
		a[i] = (struct gc_arg){ .w = t.w, .t = i, .failed = &failed,
					.round = rounds ? &round : NULL };
		assert_int_equal(pthread_create(&th[i], NULL, gc_thread, &a[i]),
				 0);
	}
	for (int i = 0; i < GC_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&round);
	assert_int_equal(failed, 0);
	wal_get_stats(t.w, &st);
	assert_int_equal(st.commits, GC_THREADS * GC_COMMITS);
	assert_int_equal(st.records, GC_THREADS * GC_COMMITS);
	assert_true(st.flushes > 0);
	assert_true(st.flushes < st.commits);
	print_message("  %s: %d commits, %llu flushes\n", disk,
		      GC_THREADS * GC_COMMITS,
		      (unsigned long long)st.flushes);
	assert_int_equal(tl_close(&t), 0);

	/* every record back, each thread's in its own order */
	assert_int_equal(tl_recover(&t, 0, 1, &g), 0);
	assert_int_equal(g.n, GC_THREADS * GC_COMMITS);
	for (size_t i = 0; i < g.n; i++) {
		uint64_t id = got_id(&g, i);
		int th_i = (int)(id / 1000);

		assert_true(th_i < GC_THREADS);
		assert_int_equal(id % 1000, next[th_i]);
		next[th_i]++;
		got_expect(&g, i, id, 100);
	}
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
}

static void test_group_commit_fault(void **state)
{
	(void)state;
	group_commit("fault:wal_gc", 1);
	assert_int_equal(fault_disk_destroy("fault:wal_gc"), 0);
}

static void test_group_commit_file(void **state)
{
	(void)state;
	group_commit(file_disk("gc"), 0);
	assert_int_equal(unlink(file_disk("gc")), 0);
}

/* ---- appends during a flush ---- */

struct big_arg {
	struct wal *w;
	lsn_t lsn;
	atomic_int done;
	int rc;
};

static void *big_commit(void *p)
{
	struct big_arg *a = p;

	a->rc = wal_commit(a->w, a->lsn);
	atomic_store(&a->done, 1);
	return NULL;
}

/*
 * A thread commits 4 MiB of log; while its flush is in flight, this
 * thread keeps appending and sees its appends return before the big
 * commit is durable.  Then everything is committed and recovered.
 */
static void test_append_during_flush(void **state)
{
	struct tl t = { .buf_pages = 1024 };
	struct big_arg a = { 0 };
	struct wal_stats st;
	struct walbatch b;
	struct got g = { 0 };
	pthread_t th;
	uint64_t id, during = 0;
	lsn_t end;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_adf", 8192, 4096);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	for (id = 0; id < 4 * 1024 * 1024 / 50000; id++)
		assert_int_equal(append_id(t.w, &b, id, 50000, &end), 0);
	a.w = t.w;
	a.lsn = end;
	assert_int_equal(pthread_create(&th, NULL, big_commit, &a), 0);
	do { /* the committer has entered wal_commit */
		wal_get_stats(t.w, &st);
	} while (st.commits == 0);
	while (!atomic_load(&a.done)) {
		assert_int_equal(append_id(t.w, &b, id, 50, &end), 0);
		id++;
		during += wal_durable(t.w) < a.lsn;
	}
	pthread_join(th, NULL);
	assert_int_equal(a.rc, 0);
	assert_true(during > 0);
	assert_int_equal(wal_commit(t.w, end), 0);
	assert_int_equal(tl_close(&t), 0);
	assert_int_equal(tl_recover(&t, 0, 1, &g), 0);
	assert_int_equal(g.n, id);
	got_expect(&g, id - 1, id - 1, 50);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

/* ---- lazy mode ---- */

/* Wait up to 5 s for the log to be durable to lsn without asking. */
static int durable_soon(struct wal *w, lsn_t lsn)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 5000; i++) {
		if (wal_durable(w) >= lsn)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void test_lazy(void **state)
{
	struct tl t = { .buf_pages = 16, .lazy = 1, .lazy_ms = 5 };
	struct wal_stats st;
	struct walbatch b;
	struct got g = { 0 };
	lsn_t end;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_lazy", 1024, 256);

	/* the timer flushes: commit never waits */
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	for (uint64_t id = 0; id < 20; id++) {
		assert_int_equal(append_id(t.w, &b, id, 200, &end), 0);
		assert_int_equal(wal_commit(t.w, end), 0);
	}
	assert_true(durable_soon(t.w, end));
	wal_get_stats(t.w, &st);
	assert_int_equal(st.commits, 20);
	assert_int_equal(st.commit_waits, 0);
	assert_true(st.flushes >= 1);
	/* wal_flush waits whatever the mode */
	assert_int_equal(append_id(t.w, &b, 20, 200, &end), 0);
	assert_int_equal(wal_flush(t.w, end), 0);
	assert_true(wal_durable(t.w) >= end);
	assert_int_equal(tl_close(&t), 0);
	assert_int_equal(tl_recover(&t, 0, 1, &g), 0);
	assert_int_equal(g.n, 21);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);

	/* a half-full buffer is flushed long before the 60 s timer */
	t.lazy_ms = 60000;
	tl_open(&t);
	assert_int_equal(wal_recover(t.w, 0, 1, 1, NULL, NULL), 0);
	assert_int_equal(wal_start(t.w, 2), 0);
	assert_int_equal(append_id(t.w, &b, 21, 9 * BS, &end), 0);
	assert_int_equal(wal_commit(t.w, end), 0);
	assert_true(durable_soon(t.w, end));
	assert_int_equal(tl_close(&t), 0);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

/* ---- power cuts ---- */

#define CUT_RECS 40

struct cut_run {
	uint64_t appended; /* records whose append returned */
	uint64_t acked;    /* records covered by a commit that returned 0 */
	int rc;            /* first error */
};

/* Append CUT_RECS records, committing after every 1..3; stop at the
 * first error. */
static void cut_workload(struct wal *w, const uint32_t *len,
			 struct cut_run *r)
{
	struct walbatch b;
	lsn_t end;

	walbatch_init(&b);
	memset(r, 0, sizeof(*r));
	for (uint64_t id = 0; id < CUT_RECS && r->rc == 0; id++) {
		r->rc = append_id(w, &b, id, len[id], &end);
		if (r->rc)
			break;
		r->appended++;
		if (mix(id) % 3 == 0 || id == CUT_RECS - 1) {
			r->rc = wal_commit(w, end);
			if (r->rc == 0)
				r->acked = r->appended;
		}
	}
	walbatch_free(&b);
}

/* Outcomes seen over all the cuts. */
struct cut_seen {
	int kept;    /* unacknowledged records survived */
	int dropped; /* appended records were lost */
};

/*
 * One run: restore the fresh image, run the workload with the power cut
 * at I/O `cut`, recover, check.  Returns 1 if the workload completed (the
 * cut came after its last I/O).
 */
static int cut_once(struct tl *t, const uint8_t *image, uint64_t nb,
		    const uint32_t *len, uint64_t cut, uint64_t seed,
		    unsigned pct, struct cut_seen *seen)
{
	struct cut_run r;
	struct got g = { 0 };
	lsn_t pos = 0;

	assert_int_equal(fault_disk_destroy(t->disk), 0);
	assert_int_equal(fault_disk_create(t->disk, nb), 0);
	assert_int_equal(fault_disk_write_raw(t->disk, 0, nb, image), 0);
	tl_open(t);
	assert_int_equal(wal_start(t->w, 1), 0);
	plan_set(t->disk, seed, cut, 0, pct);
	cut_workload(t->w, len, &r);
	if (r.rc)
		assert_int_equal(r.rc, EXO_EIO);
	assert_int_equal(tl_close(t), r.rc);
	plan_set(t->disk, 0, 0, 0, 50);

	assert_int_equal(tl_recover(t, 0, 1, &g), 0);
	assert_true(g.n >= r.acked);
	assert_true(g.n <= r.appended);
	seen->kept += g.n > r.acked;
	seen->dropped += g.n < r.appended;
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.lsn[i], pos);
		got_expect(&g, i, i, len[i]);
		pos += rec_total(i, len[i]);
	}
	assert_int_equal(wal_end(t->w), pos);
	assert_int_equal(tl_close(t), 0);
	got_free(&g);
	return r.rc == 0;
}

/*
 * Cut the power at the N-th I/O of the workload, for every N until the
 * workload completes, with four seeds each and torn, dropped and
 * reordered unflushed writes.  After recovery: every acknowledged record,
 * in order; nothing partial; nothing that was not appended.
 */
static void test_torn_tail(void **state)
{
	static const unsigned pct[] = { 50, 0, 100, 25, 75 };
	struct tl t = { .buf_pages = 2 }; /* big records stream through */
	struct cut_seen seen = { 0 };
	uint32_t len[CUT_RECS];
	uint64_t nb = 256, cut, seed;
	uint8_t *image = malloc(nb * BS);
	int done = 0;

	(void)state;
	assert_non_null(image);
	for (uint64_t id = 0; id < CUT_RECS; id++)
		len[id] = rec_len(id, 12000);
	tl_disk(&t, "fault:wal_cut", nb, 64);
	assert_int_equal(fault_disk_read_raw(t.disk, 0, nb, image), 0);
	for (cut = 1; !done; cut++) {
		assert_true(cut < 1000);
		for (seed = 0; seed < 4; seed++)
			done = cut_once(&t, image, nb, len, cut,
					cut * 4 + seed, pct[(cut + seed) % 5],
					&seen);
	}
	assert_true(cut > 20); /* the workload did many I/Os */
	assert_true(seen.kept > 0);
	assert_true(seen.dropped > 0);
	free(image);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

/* Byte offset of LSN l in the region's blocks: where to damage it. */
static void damage(struct tl *t, lsn_t l, uint32_t xor)
{
	uint8_t blk[BS];
	exo_bno bno = t->start + (l / BS) % t->nblocks;

	assert_int_equal(fault_disk_read_raw(t->disk, bno, 1, blk), 0);
	blk[l % BS] ^= (uint8_t)xor;
	assert_int_equal(fault_disk_write_raw(t->disk, bno, 1, blk), 0);
}

/*
 * Life 1 (epoch 1) leaves valid records beyond a torn one; life 2 (epoch
 * 2) overwrites the torn one with a record of the same size, so the next
 * life-1 record starts right after it at a block boundary.  Recovery
 * keeps life 2's record and stops there: life 1's leftovers are stale.
 */
static void test_stale_epoch(void **state)
{
	struct tl t = { .buf_pages = 4 };
	struct walbatch b;
	struct got g = { 0 };
	lsn_t p5, p6, end;
	uint32_t len5;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_stale", 256, 64);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	for (uint64_t id = 0; id < 4; id++)
		assert_int_equal(append_id(t.w, &b, id, 300, &end), 0);
	assert_int_equal(wal_commit(t.w, end), 0);
	/* record 4 ends at a block boundary; 5..9 follow it */
	p5 = end;
	for (len5 = 4000; rec_total(4, len5) < 2 * BS - p5 % BS; len5++)
		;
	assert_int_equal(rec_total(4, len5), 2 * BS - p5 % BS);
	for (uint64_t id = 4; id < 10; id++) {
		assert_int_equal(append_id(t.w, &b, id, id == 4 ? len5 : 300,
					   &end),
				 0);
		if (id == 4)
			p6 = end;
	}
	assert_int_equal(p6 % BS, 0);
	assert_int_equal(wal_commit(t.w, end), 0);
	assert_int_equal(fault_powercut(t.disk, 1), 0);
	tl_close(&t);
	damage(&t, p5 + HDRSZ + 100, 0x40); /* as if record 4 were torn */

	/* life 2: records 0..3, then record 100 in record 4's place */
	assert_int_equal(tl_recover(&t, 0, 1, &g), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(wal_end(t.w), p5);
	got_free(&g);
	assert_int_equal(wal_start(t.w, 2), 0);
	assert_int_equal(append_id(t.w, &b, 100, len5, &end), 0);
	assert_int_equal(end, p6);
	assert_int_equal(wal_commit(t.w, end), 0);
	assert_int_equal(fault_powercut(t.disk, 2), 0);
	tl_close(&t);

	/* life 3: 0..3 and 100; records 5..9 (epoch 1) are stale */
	assert_int_equal(tl_recover(&t, 0, 2, &g), 0);
	assert_int_equal(g.n, 5);
	got_expect(&g, 4, 100, len5);
	assert_int_equal(wal_end(t.w), p6);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

/*
 * A bit flip in an acknowledged record in the middle of the log, in its
 * payload or its header: EXO_ECORRUPT naming its block, not a silent
 * end of the log.
 */
static void test_bitflip(void **state)
{
	struct tl t = { .buf_pages = 4 };
	struct walbatch b;
	struct got g = { 0 };
	lsn_t pos[31];
	exo_bno bad;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_flip", 256, 64);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	pos[0] = 0;
	for (uint64_t id = 0; id < 30; id++) {
		assert_int_equal(append_id(t.w, &b, id, 1000, &pos[id + 1]),
				 0);
		assert_int_equal(wal_commit(t.w, pos[id + 1]), 0);
	}
	assert_int_equal(tl_close(&t), 0);

	/* a payload byte of record 12 */
	damage(&t, pos[12] + HDRSZ + 500, 0x01);
	bad = t.start + pos[12] / BS;
	assert_int_equal(tl_recover(&t, 0, 1, &g), EXO_ECORRUPT);
	assert_int_equal(wal_bad_block(t.w), bad);
	assert_int_equal(g.n, 12); /* the records before it were applied */
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	damage(&t, pos[12] + HDRSZ + 500, 0x01);

	/* the lsn field of record 20 */
	damage(&t, pos[20] + 9, 0x80);
	assert_int_equal(tl_recover(&t, 0, 1, &g), EXO_ECORRUPT);
	assert_int_equal(wal_bad_block(t.w), t.start + pos[20] / BS);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	damage(&t, pos[20] + 9, 0x80);

	/* repaired: all 30 back */
	assert_int_equal(tl_recover(&t, 0, 1, &g), 0);
	assert_int_equal(g.n, 30);
	assert_int_equal(wal_bad_block(t.w), EXO_BNO_NONE);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

/* ---- log full ---- */

struct full_arg {
	struct wal *w;
	uint64_t id;
	uint32_t len;
	lsn_t end;
	atomic_int done;
	int rc;
};

static void *full_append(void *p)
{
	struct full_arg *a = p;
	struct walbatch b;

	walbatch_init(&b);
	rec_batch(&b, a->id, a->len);
	a->rc = wal_append(a->w, &b, &a->end);
	atomic_store(&a->done, 1);
	walbatch_free(&b);
	return NULL;
}

/*
 * A 16-block log: an append that does not fit waits until wal_set_tail
 * frees space.  Then many laps of the region, the tail following, and
 * the last records recovered.
 */
static void test_log_full(void **state)
{
	struct tl t = { .buf_pages = 4 };
	struct timespec ts = { 0, 50000000 };
	struct full_arg a = { 0 };
	static lsn_t pos[1201];
	uint64_t first = 0, id, logbytes = 16 * BS;
	struct walbatch b;
	struct got g = { 0 };
	pthread_t th;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_full", 256, 16);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	pos[0] = 0;
	for (id = 0; pos[id] + rec_total(id, 3000) <= logbytes - BS; id++)
		assert_int_equal(append_id(t.w, &b, id, 3000, &pos[id + 1]),
				 0);
	assert_true(wal_fill_pct(t.w) >= 70);
	a = (struct full_arg){ .w = t.w, .id = id, .len = 3000 };
	assert_int_equal(pthread_create(&th, NULL, full_append, &a), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(atomic_load(&a.done), 0); /* blocked: log full */
	assert_int_equal(wal_commit(t.w, pos[id]), 0);
	wal_set_tail(t.w, pos[2]);
	pthread_join(th, NULL);
	assert_int_equal(a.rc, 0);
	pos[id + 1] = a.end;
	first = 2;

	/* laps: the tail follows at three quarters full */
	for (id++; id < 1200; id++) {
		assert_int_equal(
			append_id(t.w, &b, id, rec_len(id, 6000), &pos[id + 1]),
			0);
		while (pos[id + 1] - pos[first] > logbytes * 3 / 4)
			first++;
		if (id % 4 == 0)
			assert_int_equal(wal_commit(t.w, pos[id + 1]), 0);
		wal_set_tail(t.w, pos[first]);
	}
	assert_true(pos[id] > 10 * logbytes);
	assert_int_equal(tl_close(&t), 0);
	assert_int_equal(tl_recover(&t, pos[first], 1, &g), 0);
	assert_int_equal(g.n, id - first);
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.lsn[i], pos[first + i]);
		got_expect(&g, i, first + i, rec_len(first + i, 6000));
	}
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

/* ---- the WAL rule during recovery ---- */

struct rflush {
	struct wal *w;
	const char *disk;
	size_t n;
	int bad; /* checks that failed inside apply */
};

/* wal_apply_fn: nothing may be left in the device's cache, and the log is
 * durable exactly up to the end of this record. */
static int rflush_apply(void *ctx, lsn_t lsn, uint16_t type, const void *p,
			uint32_t len)
{
	struct rflush *f = ctx;
	lsn_t end = lsn + HDRSZ + ((len + 7u) & ~7u);

	(void)type;
	(void)p;
	f->bad += fault_unflushed_count(f->disk) != 0;
	f->bad += wal_flush(f->w, lsn) != 0;
	f->bad += wal_flush(f->w, end) != 0;
	f->bad += wal_flush(f->w, end + 8) != EXO_EINVAL;
	f->n++;
	return 0;
}

/*
 * A write sits in the device's volatile cache when recovery starts (as a
 * crashed process may leave one): wal_recover FLUSHes before applying,
 * and wal_flush during apply covers the records read so far only.
 */
static void test_recover_flush(void **state)
{
	struct tl t = { .buf_pages = 4 };
	struct rflush f = { .disk = "fault:wal_rflush" };
	struct exo_ioreq r = { .op = EXO_OP_WRITE, .n = 1 };
	struct dio_wait wt = { 0 };
	struct walbatch b;
	lsn_t end;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, f.disk, 256, 64);
	tl_open(&t);
	assert_int_equal(wal_start(t.w, 1), 0);
	for (uint64_t id = 0; id < 10; id++)
		assert_int_equal(append_id(t.w, &b, id, 300 + 500 * id, &end),
				 0);
	assert_int_equal(wal_commit(t.w, end), 0);
	assert_int_equal(tl_close(&t), 0);

	tl_open(&t);
	assert_int_equal(exo_block_alloc(t.e, 0, 1, &r.bno), 0);
	assert_int_equal(exo_page_alloc(t.e, 0, 1, &r.ppn), 0);
	assert_int_equal(dio_submit(t.d, &r, 1, &wt), 0);
	assert_int_equal(dio_wait(t.d, &wt), 0);
	assert_true(fault_unflushed_count(f.disk) > 0);
	f.w = t.w;
	assert_int_equal(wal_recover(t.w, 0, 1, 1, rflush_apply, &f), 0);
	assert_int_equal(f.n, 10);
	assert_int_equal(f.bad, 0);
	assert_int_equal(wal_end(t.w), end);
	assert_int_equal(wal_flush(t.w, end), 0);
	assert_int_equal(wal_flush(t.w, end + 8), EXO_EINVAL);
	assert_int_equal(tl_close(&t), 0);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(f.disk), 0);
}

/* ---- injected errors ---- */

/*
 * EXO_EIO on the k-th I/O of a flush (its write, then its FLUSH): the
 * commit fails with EXO_EIO and the log is broken until reopened; after
 * recovery the records acknowledged before are there.
 */
static void test_eio(void **state)
{
	struct tl t = { .buf_pages = 4 };
	struct walbatch b;
	struct got g = { 0 };
	lsn_t end;

	(void)state;
	walbatch_init(&b);
	tl_disk(&t, "fault:wal_eio", 256, 64);
	for (uint64_t k = 1; k <= 2; k++) {
		tl_open(&t);
		if (k == 1)
			assert_int_equal(wal_start(t.w, 1), 0);
		else
			assert_int_equal(wal_recover(t.w, 0, 1, 1, NULL, NULL),
					 0);
		if (k == 2)
			assert_int_equal(wal_start(t.w, 2), 0);
		assert_int_equal(append_id(t.w, &b, k * 10, 500, &end), 0);
		assert_int_equal(wal_commit(t.w, end), 0);
		plan_set(t.disk, 1, 0, k, 50);
		assert_int_equal(append_id(t.w, &b, k * 10 + 1, 500, &end), 0);
		assert_int_equal(wal_commit(t.w, end), EXO_EIO);
		assert_int_equal(append_id(t.w, &b, k * 10 + 2, 500, &end),
				 EXO_EIO);
		assert_int_equal(wal_flush(t.w, wal_durable(t.w) + 1),
				 EXO_EIO);
		assert_int_equal(tl_close(&t), EXO_EIO);
		plan_set(t.disk, 0, 0, 0, 50);
	}
	/* reopened: the acknowledged records are there, and record 21
	 * may be (written before its FLUSH failed), whole */
	assert_int_equal(tl_recover(&t, 0, 2, &g), 0);
	assert_true(g.n == 2 || g.n == 3);
	got_expect(&g, 0, 10, 500);
	got_expect(&g, 1, 20, 500);
	if (g.n == 3)
		got_expect(&g, 2, 21, 500);
	assert_int_equal(tl_close(&t), 0);
	got_free(&g);
	walbatch_free(&b);
	assert_int_equal(fault_disk_destroy(t.disk), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_roundtrip_fault),
		cmocka_unit_test(test_roundtrip_file),
		cmocka_unit_test(test_group_commit_fault),
		cmocka_unit_test(test_group_commit_file),
		cmocka_unit_test(test_append_during_flush),
		cmocka_unit_test(test_lazy),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_stale_epoch),
		cmocka_unit_test(test_bitflip),
		cmocka_unit_test(test_log_full),
		cmocka_unit_test(test_recover_flush),
		cmocka_unit_test(test_eio),
	};
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_wal.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
