/*
 * raw.c: `exobench raw`, raw block I/O through the exo interface.
 *
 *   exobench raw --device IMAGE [--io io_uring|libaio|psync|all]
 *                [--seconds S] [--size 1G] [--format] [--json FILE]
 *
 * What the database gets from the disk before any of its own code runs:
 * the benchmark attaches with the capability "exobench-raw" (creating that
 * owner on first use), takes a region of min(1 GiB, 7/8 of the free space)
 * with exo_block_alloc, writes it once sequentially so that reads hit
 * written data, then, for each I/O engine of the hosted port in turn:
 *
 *   randread 4k qd1, qd32  random 4 KiB reads, 1 or 32 in flight, S seconds
 *   write+flush 4k         write one block, reap, FLUSH, reap; S seconds
 *   seqread 1M, seqwrite 1M  1 MiB requests, 8 in flight, one pass over
 *                            the region (at most S seconds); the writes'
 *                            closing FLUSH counts in the time
 *
 * Everything goes through dblibos/exo.h: pages from exo_page_alloc, I/O
 * with exo_io_submit/exo_io_reap, time from exo_time_ns.  The region stays
 * owned after the run, so the next run (and bench/fio-raw.sh, which reads
 * the same blocks with fio) finds it written.  An IMAGE that does not exist
 * (or --format) is formatted first at --size.
 */
#include "bench.h"

#include <exo.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RAW_CAP	       "exobench-raw"
#define RAW_REGION_MAX (1ull << 18) /* blocks: 1 GiB */
#define RAW_SEQ_BLOCKS 256	    /* 1 MiB requests */
#define RAW_SEQ_DEPTH  8
#define RAW_RAND_DEPTH 32
#define RAW_NPAGES     4096 /* arena: enough for 8 x 1 MiB */
#define RAW_MAX_IO     3

static const char *const raw_ios[RAW_MAX_IO] = {"io_uring", "libaio", "psync"};

enum raw_test { T_RAND1, T_RAND32, T_WFLUSH, T_SEQREAD, T_SEQWRITE, T_N };

static const char *const raw_test_names[T_N] = {
	"randread-4k-qd1", "randread-4k-qd32", "write-flush-4k",
	"seqread-1m",	   "seqwrite-1m",
};

struct raw_figs {
	double iops, mbps, p50_us, p99_us;
};

struct raw_region {
	exo_bno start;
	uint64_t len; /* blocks */
};

/* One attachment's run of the tests. */
struct raw_run {
	struct exo *e;
	struct raw_region rg;
	uint64_t rng;
	uint64_t deadline_ns; /* of the current test */
	struct bench_hist *hist;
};

/* A stream of requests kept depth deep: random or sequential. */
struct raw_stream {
	uint8_t op;
	uint32_t depth;
	uint32_t blocks; /* per request */
	int sequential;	 /* else random */
	exo_bno next;	 /* sequential: the next block */
};

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static double elapsed_s(uint64_t t0, uint64_t t1)
{
	return t1 > t0 ? (double)(t1 - t0) / 1e9 : 1e-9;
}

/* ---- pages ---- */

static int pages_get(struct raw_run *r, uint64_t n, exo_ppn *ppn)
{
	int err = exo_page_alloc(r->e, 0, n, ppn);
	uint64_t *p;

	if (err < 0)
		return err;
	for (uint64_t i = 0; i < n; i++) {
		p = exo_page_addr(r->e, *ppn + i);
		for (size_t k = 0; k < EXO_PAGE_SIZE / sizeof(*p); k++)
			p[k] = rng_next(&r->rng);
	}
	return 0;
}

/* ---- a stream of reads or writes ---- */

/* Make the request for slot, or return 0 when the stream is over. */
static int stream_next(struct raw_run *r, struct raw_stream *s, uint32_t slot,
		       exo_ppn ppn, uint64_t now, struct exo_ioreq *q)
{
	exo_bno bno;

	if (now >= r->deadline_ns)
		return 0;
	if (s->sequential) {
		if (s->next + s->blocks > r->rg.start + r->rg.len)
			return 0;
		bno = s->next;
		s->next += s->blocks;
	} else {
		bno = r->rg.start +
		      rng_next(&r->rng) % (r->rg.len - s->blocks + 1);
	}
	*q = (struct exo_ioreq){.op = s->op,
				.n = s->blocks,
				.bno = bno,
				.ppn = ppn + (exo_ppn)slot * s->blocks,
				.tag = slot};
	return 1;
}

static int flush_sync(struct exo *e)
{
	struct exo_ioreq q = {.op = EXO_OP_FLUSH, .n = 1};
	struct exo_iocomp c;
	int err;

	err = exo_io_submit(e, &q, 1);
	if (err >= 0)
		err = exo_io_reap(e, &c, 1, 1);
	return err < 0 ? err : c.res;
}

/* Keep s->depth requests in flight until the stream ends, then reap the
 * rest; each completion's latency goes into r->hist.  Returns the number
 * of requests done, or an EXO_E* code.  *t_end: the last completion. */
static int64_t stream_run(struct raw_run *r, struct raw_stream *s, exo_ppn ppn,
			  uint64_t t0, uint64_t *t_end)
{
	struct exo_ioreq q[RAW_RAND_DEPTH];
	struct exo_iocomp c[RAW_RAND_DEPTH];
	uint64_t start[RAW_RAND_DEPTH], now = t0;
	uint32_t inflight = 0, nq = 0;
	int64_t done = 0;
	int n, err;

	for (uint32_t i = 0; i < s->depth; i++) {
		if (stream_next(r, s, i, ppn, now, &q[nq]))
			start[q[nq++].tag] = now;
	}
	while (nq || inflight) {
		if (nq) {
			err = exo_io_submit(r->e, q, nq);
			if (err < 0)
				return err;
			inflight += nq;
			nq = 0;
		}
		n = exo_io_reap(r->e, c, s->depth, 1);
		if (n < 0)
			return n;
		now = exo_time_ns(r->e);
		for (int i = 0; i < n; i++) {
			if (c[i].res < 0)
				return c[i].res;
			bench_hist_add(r->hist, now - start[c[i].tag]);
			inflight--;
			done++;
			if (stream_next(r, s, (uint32_t)c[i].tag, ppn, now,
					&q[nq]))
				start[q[nq++].tag] = now;
		}
	}
	*t_end = now;
	return done;
}

/* Run a stream for at most seconds; a write stream ends with a FLUSH that
 * counts in its time. */
static int stream_test(struct raw_run *r, struct raw_stream s, double seconds,
		       struct raw_figs *f)
{
	uint64_t npages = (uint64_t)s.depth * s.blocks, t0, t1;
	exo_ppn ppn;
	int64_t done;
	int err;

	err = pages_get(r, npages, &ppn);
	if (err < 0)
		return err;
	memset(r->hist, 0, sizeof(*r->hist));
	s.next = r->rg.start;
	t0 = exo_time_ns(r->e);
	r->deadline_ns =
		isinf(seconds) ? UINT64_MAX : t0 + (uint64_t)(seconds * 1e9);
	done = stream_run(r, &s, ppn, t0, &t1);
	if (done >= 0 && s.op == EXO_OP_WRITE) {
		err = flush_sync(r->e);
		t1 = exo_time_ns(r->e);
	}
	exo_page_free(r->e, ppn, npages);
	if (done < 0)
		return (int)done;
	if (err < 0)
		return err;
	f->iops = (double)done / elapsed_s(t0, t1);
	f->mbps = f->iops * s.blocks * EXO_BLOCK_SIZE / 1e6;
	f->p50_us = bench_hist_pct(r->hist, 50) / 1e3;
	f->p99_us = bench_hist_pct(r->hist, 99) / 1e3;
	return 0;
}

/* ---- write + flush ---- */

static int write_flush_once(struct raw_run *r, exo_ppn ppn)
{
	struct exo_ioreq q = {.op = EXO_OP_WRITE, .n = 1, .ppn = ppn};
	struct exo_iocomp c;
	int err;

	q.bno = r->rg.start + rng_next(&r->rng) % r->rg.len;
	err = exo_io_submit(r->e, &q, 1);
	if (err >= 0)
		err = exo_io_reap(r->e, &c, 1, 1);
	if (err >= 0)
		err = c.res;
	return err < 0 ? err : flush_sync(r->e);
}

static int write_flush_test(struct raw_run *r, double seconds,
			    struct raw_figs *f)
{
	uint64_t t0, t, now, done = 0;
	exo_ppn ppn;
	int err;

	err = pages_get(r, 1, &ppn);
	if (err < 0)
		return err;
	memset(r->hist, 0, sizeof(*r->hist));
	now = t0 = exo_time_ns(r->e);
	while (err >= 0 && now - t0 < (uint64_t)(seconds * 1e9)) {
		t = now;
		err = write_flush_once(r, ppn);
		now = exo_time_ns(r->e);
		bench_hist_add(r->hist, now - t);
		done++;
	}
	exo_page_free(r->e, ppn, 1);
	if (err < 0)
		return err;
	f->iops = (double)done / elapsed_s(t0, now);
	f->mbps = f->iops * EXO_BLOCK_SIZE / 1e6;
	f->p50_us = bench_hist_pct(r->hist, 50) / 1e3;
	f->p99_us = bench_hist_pct(r->hist, 99) / 1e3;
	return 0;
}

/* ---- the tests of one engine ---- */

static int run_test(struct raw_run *r, enum raw_test t, double seconds,
		    struct raw_figs *f)
{
	struct raw_stream rand = {.op = EXO_OP_READ, .blocks = 1};
	struct raw_stream seq = {.blocks = RAW_SEQ_BLOCKS,
				 .depth = RAW_SEQ_DEPTH,
				 .sequential = 1};

	switch (t) {
	case T_RAND1:
		rand.depth = 1;
		return stream_test(r, rand, seconds, f);
	case T_RAND32:
		rand.depth = RAW_RAND_DEPTH;
		return stream_test(r, rand, seconds, f);
	case T_WFLUSH:
		return write_flush_test(r, seconds, f);
	case T_SEQREAD:
		seq.op = EXO_OP_READ;
		return stream_test(r, seq, seconds, f);
	case T_SEQWRITE:
		seq.op = EXO_OP_WRITE;
		return stream_test(r, seq, seconds, f);
	case T_N:
		break;
	}
	return EXO_EINVAL;
}

/* ---- the region ---- */

/* Free every extent this owner holds. */
static int region_release(struct exo *e)
{
	struct exo_extent x[64];
	int64_t n;
	int err;

	while ((n = exo_block_extents(e, x, 64)) > 0) {
		for (int64_t i = 0; i < n && i < 64; i++) {
			err = exo_block_free(e, x[i].start, x[i].len);
			if (err < 0)
				return err;
		}
	}
	return (int)n;
}

/* The largest extent this owner holds (len 0 if none). */
static int region_largest(struct exo *e, struct raw_region *rg)
{
	struct exo_extent few[64], *x = few;
	int64_t n = exo_block_extents(e, few, 64);

	if (n > 64) {
		x = calloc((size_t)n, sizeof(*x));
		if (!x)
			return EXO_ENOMEM;
		n = exo_block_extents(e, x, (uint64_t)n);
	}
	rg->len = 0;
	for (int64_t i = 0; i < n; i++) {
		if (x[i].len > rg->len) {
			rg->start = x[i].start;
			rg->len = x[i].len;
		}
	}
	if (x != few)
		free(x);
	return n < 0 ? (int)n : 0;
}

/* Allocate want blocks in one run, halving while the free space is too
 * fragmented, down to one sequential request. */
static int region_alloc(struct exo *e, uint64_t want, struct raw_region *rg)
{
	int err = EXO_ENOSPC;

	while (want >= RAW_SEQ_BLOCKS) {
		err = exo_block_alloc(e, 0, want, &rg->start);
		if (err != EXO_ENOSPC)
			break;
		want = want / 2 - want / 2 % RAW_SEQ_BLOCKS;
	}
	if (err < 0)
		return err;
	rg->len = want;
	return 0;
}

/* Take min(1 GiB, 7/8 of the free space) in one run: reuse what the last
 * run left if it is large enough, else give that back and allocate. */
static int region_setup(struct exo *e, struct raw_region *rg)
{
	const struct exo_info *in = exo_info(e);
	uint64_t want = (in->blocks_free + in->blocks_owned) / 8 * 7;
	int err;

	if (want > RAW_REGION_MAX)
		want = RAW_REGION_MAX;
	want -= want % RAW_SEQ_BLOCKS;
	err = region_largest(e, rg);
	if (err < 0)
		return err;
	if (want && rg->len >= want) {
		rg->len = want;
		return 0;
	}
	err = region_release(e);
	return err < 0 ? err : region_alloc(e, want, rg);
}

/* ---- one engine ---- */

struct raw_opts {
	const char *device;
	const char *io;
	const char *json;
	double seconds;
	uint64_t size;
	int format;
};

/* Attach with io, run every test into figs[].  The first engine (fill set)
 * sets the region up and writes it whole, timing that into *fill_f. */
static int raw_engine(const struct raw_opts *o, const char *io, int fill,
		      struct raw_region *rg, struct raw_figs *fill_f,
		      struct raw_figs figs[T_N], const char **what)
{
	struct exo_attach_opts ao = {
		.disk = o->device,
		.cap = RAW_CAP,
		.cap_len = strlen(RAW_CAP),
		.flags = EXO_ATTACH_CREATE,
		.npages = RAW_NPAGES,
		.io = io,
	};
	struct raw_stream fill_s = {.op = EXO_OP_WRITE,
				    .sequential = 1,
				    .blocks = RAW_SEQ_BLOCKS,
				    .depth = RAW_SEQ_DEPTH};
	struct raw_run r = {.rng = 0x9e3779b97f4a7c15ull};
	int err, detached;

	*what = "attach";
	err = exo_attach(&ao, &r.e);
	if (err < 0)
		return err;
	r.hist = calloc(1, sizeof(*r.hist));
	err = r.hist ? 0 : EXO_ENOMEM;
	if (err == 0 && fill) {
		*what = "allocating the region";
		err = region_setup(r.e, rg);
		r.rg = *rg;
		if (err == 0) {
			*what = "filling the region";
			err = stream_test(&r, fill_s, INFINITY, fill_f);
		}
	} else {
		r.rg = *rg;
	}
	for (int t = 0; t < T_N && err == 0; t++) {
		*what = raw_test_names[t];
		err = run_test(&r, (enum raw_test)t, o->seconds, &figs[t]);
	}
	free(r.hist);
	detached = exo_detach(r.e);
	if (detached < 0 && err == 0) {
		*what = "detach";
		err = detached;
	}
	return err;
}

/* ---- output ---- */

struct raw_row {
	enum raw_test test;
	const char *label;
	const char *figure;
	size_t field; /* offset in struct raw_figs */
	int prec;
};

#define FIG(name) offsetof(struct raw_figs, name)

static const struct raw_row raw_rows[] = {
	{T_RAND1, "randread 4k qd1", "IOPS", FIG(iops), 0},
	{T_RAND1, "", "p50 us", FIG(p50_us), 1},
	{T_RAND1, "", "p99 us", FIG(p99_us), 1},
	{T_RAND32, "randread 4k qd32", "IOPS", FIG(iops), 0},
	{T_RAND32, "", "p50 us", FIG(p50_us), 1},
	{T_RAND32, "", "p99 us", FIG(p99_us), 1},
	{T_WFLUSH, "write+flush 4k", "flushes/s", FIG(iops), 0},
	{T_WFLUSH, "", "p50 us", FIG(p50_us), 1},
	{T_WFLUSH, "", "p99 us", FIG(p99_us), 1},
	{T_SEQREAD, "seqread 1M qd8", "MB/s", FIG(mbps), 0},
	{T_SEQWRITE, "seqwrite 1M qd8", "MB/s", FIG(mbps), 0},
};

static double fig_get(const struct raw_figs *f, size_t field)
{
	double v;

	memcpy(&v, (const char *)f + field, sizeof(v));
	return v;
}

static void print_table(const struct raw_opts *o, const struct raw_region *rg,
			const struct raw_figs *fill_f, const char **ios,
			int nio, struct raw_figs figs[][T_N])
{
	printf("exobench raw: %s, region of %llu blocks (%.1f MiB) from "
	       "block %llu, %g s per test\n",
	       o->device, (unsigned long long)rg->len,
	       (double)rg->len * EXO_BLOCK_SIZE / (1 << 20),
	       (unsigned long long)rg->start, o->seconds);
	printf("region written in %.2f s (%.0f MB/s)\n\n",
	       fill_f->iops > 0
		       ? (double)rg->len / RAW_SEQ_BLOCKS / fill_f->iops
		       : 0.0,
	       fill_f->mbps);
	printf("%-18s %-10s", "test", "figure");
	for (int i = 0; i < nio; i++)
		printf(" %11s", ios[i]);
	printf("\n");
	for (size_t k = 0; k < sizeof(raw_rows) / sizeof(raw_rows[0]); k++) {
		const struct raw_row *w = &raw_rows[k];

		printf("%-18s %-10s", w->label, w->figure);
		for (int i = 0; i < nio; i++)
			printf(" %11.*f", w->prec,
			       fig_get(&figs[i][w->test], w->field));
		printf("\n");
	}
}

static int write_json(const char *path, const char **ios, int nio,
		      struct raw_figs figs[][T_N])
{
	struct bench_json *j = bench_json_open(path);
	char engine[32];

	if (!j)
		return -1;
	for (int i = 0; i < nio; i++) {
		snprintf(engine, sizeof(engine), "exodb-%s", ios[i]);
		for (int t = 0; t < T_N; t++) {
			bench_json_begin(j);
			bench_json_str(j, "benchmark", "raw");
			bench_json_str(j, "engine", engine);
			bench_json_str(j, "io", ios[i]);
			bench_json_str(j, "test", raw_test_names[t]);
			bench_json_num(j, "iops", figs[i][t].iops);
			bench_json_num(j, "mbps", figs[i][t].mbps);
			bench_json_num(j, "p50_us", figs[i][t].p50_us);
			bench_json_num(j, "p99_us", figs[i][t].p99_us);
			bench_json_end(j);
		}
	}
	return bench_json_close(j);
}

/* ---- exobench raw ---- */

static const char raw_usage[] =
	"usage: exobench raw --device IMAGE [OPTIONS]\n"
	"\n"
	"Raw block I/O through the exo interface, per I/O engine of the\n"
	"hosted port: 4 KiB random reads at queue depth 1 and 32 (IOPS,\n"
	"p50/p99 latency), 4 KiB write+flush latency, and 1 MiB sequential\n"
	"reads and writes (MB/s, one pass over the region, at most S s).\n"
	"It owns a region of min(1 GiB, 7/8 of the free space) under the\n"
	"capability '" RAW_CAP "' and writes it whole before the tests; the\n"
	"region stays owned for the next run and for bench/fio-raw.sh.\n"
	"IMAGE is formatted at --size first if it does not exist, or with\n"
	"--format.\n";

/* Format the device if asked to or if it does not exist. */
static int prepare_disk(const struct raw_opts *o)
{
	struct stat st;
	int exists = stat(o->device, &st) == 0, err;

	if (!exists && errno != ENOENT) {
		fprintf(stderr, "exobench raw: %s: %s\n", o->device,
			strerror(errno));
		return BENCH_FAIL;
	}
	if (exists && !o->format)
		return BENCH_OK;
	err = exo_disk_format(o->device,
			      exists && S_ISBLK(st.st_mode) ? 0 : o->size);
	if (err < 0) {
		fprintf(stderr, "exobench raw: %s: cannot format: %s\n",
			o->device, exo_strerror(err));
		return BENCH_FAIL;
	}
	fprintf(stderr, "exobench raw: formatted %s\n", o->device);
	return BENCH_OK;
}

static int raw_check(const char *path, struct raw_opts *o, const char **ios,
		     int *nio)
{
	const char *bad;

	if (!o->device)
		return bench_usage_error(path, "missing --device");
	if (!(o->seconds > 0))
		return bench_usage_error(path, "--seconds must be above 0");
	if (o->size % EXO_BLOCK_SIZE)
		return bench_usage_error(path, "--size must be a multiple of "
					       "4096");
	*nio = bench_split_list(o->io, raw_ios, RAW_MAX_IO, ios, RAW_MAX_IO,
				&bad);
	if (*nio < 0)
		return bench_usage_error(path,
					 "--io %s: unknown engine "
					 "'%.*s' (io_uring, libaio, psync, "
					 "all)",
					 o->io, (int)strcspn(bad, ","), bad);
	return BENCH_OK;
}

int bench_raw(int argc, char **argv)
{
	static const char path[] = "exobench raw";
	struct raw_opts o = {
		.io = "io_uring", .seconds = 3, .size = 1ull << 30};
	const struct bench_opt opts[] = {
		BENCH_OPT_DEVICE(&o.device),
		{"io", BENCH_STR, &o.io, "ENGINES",
		 "io_uring, libaio, psync, a list, or all (io_uring)"},
		BENCH_OPT_SECONDS(&o.seconds, "3"),
		{"size", BENCH_SIZE, &o.size, "SIZE",
		 "size to format IMAGE at (1G)"},
		{"format", BENCH_FLAG, &o.format, NULL,
		 "format IMAGE first, even if it exists"},
		BENCH_OPT_JSON(&o.json),
	};
	struct raw_figs figs[RAW_MAX_IO][T_N] = {{{0}}}, fill_f = {0};
	struct raw_region rg = {0};
	const char *ios[RAW_MAX_IO], *what;
	int nio = 0, err;

	err = bench_parse(path, raw_usage, opts, sizeof(opts) / sizeof(opts[0]),
			  argc, argv);
	if (err == BENCH_OK)
		err = raw_check(path, &o, ios, &nio);
	if (err == BENCH_OK)
		err = prepare_disk(&o);
	if (err != BENCH_OK)
		return err < 0 ? BENCH_OK : err;
	for (int i = 0; i < nio; i++) {
		fprintf(stderr, "exobench raw: running %s\n", ios[i]);
		err = raw_engine(&o, ios[i], i == 0, &rg, &fill_f, figs[i],
				 &what);
		if (err < 0) {
			fprintf(stderr, "exobench raw: %s: %s: %s: %s\n",
				o.device, ios[i], what, exo_strerror(err));
			return BENCH_FAIL;
		}
	}
	print_table(&o, &rg, &fill_f, ios, nio, figs);
	if (o.json && write_json(o.json, ios, nio, figs) < 0) {
		fprintf(stderr, "exobench raw: %s: %s\n", o.json,
			strerror(errno));
		return BENCH_FAIL;
	}
	return BENCH_OK;
}
