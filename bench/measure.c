/*
 * measure.c: one measurement: a workload on one engine with N terminals,
 * in the calling process (driver.c gives each its own child process).
 *
 *   open     a fresh database (exodb: the disk formatted; lmdb, sqlite:
 *            old files removed)
 *   load     the workload's initial data, one terminal
 *   warmup   N terminal threads run transactions, not counted
 *   run      the same threads, counted for --seconds: latency by type,
 *            transactions per second, and the process's CPU time, I/O
 *            bytes and the engine's I/O requests between the start and
 *            the end of the interval
 *   check    the workload's consistency conditions, fed with the number
 *            of transactions that committed, by type
 *
 * A terminal that meets an error stops every terminal, and the run fails
 * with that error.  Progress goes to stderr when o->progress is set.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "driver.h"
#include "syncount.h"

struct mrun {
	const struct drv_opts *o;
	const struct drv_engine *e;
	const struct wl_impl *impl;
	struct wl_db db;
	unsigned nterms;
	_Atomic int stop;
	_Atomic uint64_t start_ns, end_ns;
	uint32_t nsec;
	_Atomic uint32_t timeline[DRV_MAX_SECONDS];
	pthread_mutex_t lock; /* fail */
	char fail[256];
	int last_pct; /* progress drawn */
};

struct mterm {
	struct mrun *run;
	struct wl_term wt;
	pthread_t th;
	int started;
	struct bench_hist hist[WL_MAX_TYPES];
	uint64_t n[WL_MAX_TYPES], sum_ns[WL_MAX_TYPES], max_ns[WL_MAX_TYPES];
	uint64_t committed[WL_MAX_TYPES];
	uint64_t rollbacks, retries;
};

/* What the interval is measured by: taken at its start and its end. */
struct snap {
	struct drv_io io;
	double cpu_s;
};

/* snprintf that may cut the text short (error messages, settings). */
static void put(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- progress ---- */

static void bar(struct mrun *m, const char *phase, double frac,
		const char *extra)
{
	static const char hashes[] = "##############################";
	int pct = (int)(frac * 100);

	if (!m->o->progress)
		return;
	if (frac > 1)
		frac = 1;
	fprintf(stderr, "\r  %s %-12s %3u term  %-8s [%-30.*s] %3d%% %s\033[K",
		m->o->wl->name, m->e->name, m->nterms, phase, (int)(frac * 30),
		hashes, pct > 100 ? 100 : pct, extra);
	fflush(stderr);
}

static void load_progress(void *arg, double done)
{
	struct mrun *m = arg;
	int pct = (int)(done * 100);

	if (pct == m->last_pct)
		return;
	m->last_pct = pct;
	bar(m, "loading", done, "");
}

/* ---- counters ---- */

/* read_bytes and write_bytes of /proc/self/io, syscr and syscw. */
static void proc_io(struct drv_io *io, uint64_t *syscr, uint64_t *syscw)
{
	char name[32];
	unsigned long long v;
	FILE *f = fopen("/proc/self/io", "r");

	*syscr = *syscw = 0;
	if (!f)
		return;
	while (fscanf(f, "%31[^:]: %llu\n", name, &v) == 2) {
		if (!strcmp(name, "read_bytes"))
			io->bytes_read = v;
		else if (!strcmp(name, "write_bytes"))
			io->bytes_written = v;
		else if (!strcmp(name, "syscr"))
			*syscr = v;
		else if (!strcmp(name, "syscw"))
			*syscw = v;
	}
	fclose(f);
}

static void snap_take(struct mrun *m, struct snap *s)
{
	struct sql_counters sc;
	struct kv_counters kc;
	struct rusage ru;
	uint64_t syscr, syscw;

	memset(s, 0, sizeof(*s));
	getrusage(RUSAGE_SELF, &ru);
	s->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	proc_io(&s->io, &syscr, &syscw);
	if (m->db.family == WL_SQL) {
		sql_counters(&sc);
		s->io.reads = sc.reads;
		s->io.writes = sc.writes;
		s->io.flushes = sc.syncs;
	} else if (m->e->kv == &kv_lmdb) {
		s->io.reads = (uint64_t)ru.ru_majflt;
		s->io.writes = syscw;
		s->io.flushes = syncount_get();
	} else if (kv_counters(m->db.kv, &kc) == 0) {
		s->io.reads = kc.page_reads;
		s->io.writes = kc.page_writes + kc.log_flushes;
		s->io.flushes = kc.log_flushes;
	}
}

static void snap_delta(const struct snap *a, const struct snap *b,
		       struct drv_result *r)
{
	r->io.reads = b->io.reads - a->io.reads;
	r->io.writes = b->io.writes - a->io.writes;
	r->io.flushes = b->io.flushes - a->io.flushes;
	r->io.bytes_read = b->io.bytes_read - a->io.bytes_read;
	r->io.bytes_written = b->io.bytes_written - a->io.bytes_written;
	r->cpu_s = b->cpu_s - a->cpu_s;
}

/* ---- the engine ---- */

static void describe_kv(const struct drv_opts *o, const struct drv_engine *e,
			const char *path, uint64_t size, char *buf, size_t n)
{
	if (e->kv == &kv_lmdb)
		put(buf, n,
		    "%s; no cache of its own: reads through mmap, the OS "
		    "page cache; map size %" PRIu64 " MiB; %s",
		    o->lazy ? "MDB_NOMETASYNC (the meta page is written "
			      "without a sync; the next commit's "
			      "fdatasync covers it)"
			    : "default sync (each commit: fdatasync of "
			      "the data pages, then the meta page written "
			      "with O_DSYNC)",
		    size >> 20, path);
	else
		put(buf, n,
		    "%s; cache %" PRIu64 " MiB; I/O %s with O_DIRECT on "
		    "%s (%" PRIu64 " MiB)",
		    o->lazy ? "EXODB_LAZY (log flushed asynchronously)"
			    : "EXODB_FULL (commit returns after its log "
			      "flush; concurrent commits share flushes)",
		    o->cache_bytes >> 20, o->io ? o->io : "io_uring", path,
		    size >> 20);
}

static uint64_t disk_size(const struct drv_opts *o)
{
	return o->size ? o->size : o->wl->disk_bytes(&o->cfg);
}

static int open_engine(struct mrun *m, struct drv_result *r)
{
	const struct drv_opts *o = m->o;
	char path[4096];
	int err;

	drv_db_path(o, m->e, path, sizeof(path));
	m->db.family = m->e->family;
	if (m->e->family == WL_KV) {
		struct kv_opts ko = {
			.path = path,
			.size = disk_size(o),
			.cache_bytes = o->cache_bytes,
			.lazy = o->lazy,
			.io = o->io,
			.create = 1,
			.tables = o->wl->tables,
			.ntables = o->wl->ntables,
		};
		if (m->e->kv == &kv_lmdb && ko.size < (16ull << 30))
			ko.size = 16ull << 30;
		describe_kv(o, m->e, path, ko.size, r->settings,
			    sizeof(r->settings));
		err = kv_open(m->e->kv, &ko, &m->db.kv);
		if (err)
			put(r->error, sizeof(r->error), "open %s: %s", path,
			    m->e->kv->strerror(err));
		return err;
	}
	struct sql_opts so = {
		.exodb = m->e->sql_exodb,
		.path = path,
		.size = disk_size(o),
		.cache_bytes = o->cache_bytes,
		.lazy = o->lazy,
		.create = 1,
	};
	err = sqldb_open(&so, &m->db.sql);
	if (err) {
		put(r->error, sizeof(r->error), "open %s: %s", path,
		    sqlite3_errstr(err));
		return err;
	}
	put(r->settings, sizeof(r->settings), "%s; %s%s",
	    sqldb_settings(m->db.sql),
	    m->e->sql_exodb ? "exodb VFS on " : "unix VFS, ", path);
	return 0;
}

static void close_engine(struct mrun *m)
{
	if (m->db.kv)
		kv_close(m->db.kv);
	if (m->db.sql)
		sqldb_close(m->db.sql);
}

/* ---- terminals ---- */

static uint64_t seed_for(uint64_t seed, unsigned id)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull * (id + 1ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

static int term_init(struct mrun *m, struct wl_term *t, unsigned id)
{
	int rc;

	*t = (struct wl_term){
		.id = id,
		.nterms = m->nterms,
		.cfg = &m->o->cfg,
		.db = &m->db,
		.rng = seed_for(m->o->cfg.seed, id),
	};
	if (m->db.family != WL_SQL)
		return 0;
	rc = sql_connect(m->db.sql, &t->conn);
	if (rc)
		return wl_fail(t, "connect: %s", sqlite3_errstr(rc));
	return 0;
}

static void term_fini(struct wl_term *t)
{
	sql_disconnect(t->conn);
	t->conn = NULL;
}

static void run_failed(struct mrun *m, const char *why)
{
	pthread_mutex_lock(&m->lock);
	if (!m->fail[0])
		snprintf(m->fail, sizeof(m->fail), "%s", why);
	pthread_mutex_unlock(&m->lock);
	atomic_store(&m->stop, 1);
}

static void count_txn(struct mterm *mt, int type, int rc, uint64_t t0,
		      uint64_t t1)
{
	struct mrun *m = mt->run;
	uint64_t start = atomic_load(&m->start_ns);
	uint64_t end = atomic_load(&m->end_ns), ns = t1 - t0, sec;

	if (rc == WL_OK)
		mt->committed[type]++;
	if (!start || t1 < start || (end && t1 >= end))
		return;
	mt->n[type]++;
	mt->rollbacks += rc == WL_ROLLBACK;
	mt->sum_ns[type] += ns;
	if (ns > mt->max_ns[type])
		mt->max_ns[type] = ns;
	bench_hist_add(&mt->hist[type], ns);
	sec = (t1 - start) / 1000000000ull;
	if (sec < m->nsec)
		atomic_fetch_add_explicit(&m->timeline[sec], 1,
					  memory_order_relaxed);
}

static void *term_main(void *arg)
{
	struct mterm *mt = arg;
	struct mrun *m = mt->run;
	uint64_t t0, t1;
	int rc, type;

	while (!atomic_load(&m->stop)) {
		type = 0;
		t0 = now_ns();
		rc = m->impl->txn(&mt->wt, &type);
		t1 = now_ns();
		if (rc == WL_RETRY) {
			mt->retries++;
			continue;
		}
		if (rc < 0) {
			run_failed(m, mt->wt.err);
			break;
		}
		count_txn(mt, type, rc, t0, t1);
	}
	return NULL;
}

static int start_terms(struct mrun *m, struct mterm *mts)
{
	for (unsigned i = 0; i < m->nterms; i++) {
		mts[i].run = m;
		if (term_init(m, &mts[i].wt, i) < 0) {
			run_failed(m, mts[i].wt.err);
			return -1;
		}
		if (pthread_create(&mts[i].th, NULL, term_main, &mts[i])) {
			run_failed(m, "cannot create a terminal thread");
			return -1;
		}
		mts[i].started = 1;
	}
	return 0;
}

static void stop_terms(struct mrun *m, struct mterm *mts)
{
	atomic_store(&m->stop, 1);
	for (unsigned i = 0; i < m->nterms; i++) {
		if (mts[i].started)
			pthread_join(mts[i].th, NULL);
		term_fini(&mts[i].wt);
	}
}

/* Sleep s seconds in steps, drawing the progress of the whole run. */
static void wait_phase(struct mrun *m, double s, double before,
		       const char *phase)
{
	double total = m->o->warmup + m->o->seconds, step = 0.2, left = s;
	uint64_t start;
	char extra[48];
	uint32_t sec;

	while (left > 0 && !atomic_load(&m->stop)) {
		sleep_s(left < step ? left : step);
		left -= step;
		extra[0] = '\0';
		start = atomic_load(&m->start_ns);
		if (start) {
			sec = (uint32_t)((now_ns() - start) / 1000000000ull);
			if (sec > 0 && sec - 1 < m->nsec)
				snprintf(extra, sizeof(extra), "%u txn/s",
					 atomic_load(&m->timeline[sec - 1]));
		}
		bar(m, phase, (before + s - (left > 0 ? left : 0)) / total,
		    extra);
	}
}

/* ---- figures ---- */

/* A percentile of h in ms; the histogram's bucket middle, so never more
 * than the largest value seen. */
static double pct(const struct bench_hist *h, double p, uint64_t max_ns)
{
	double v = bench_hist_pct(h, p);

	return (v < (double)max_ns ? v : (double)max_ns) / 1e6;
}

static void lat_of(const struct bench_hist *h, uint64_t sum_ns, uint64_t max_ns,
		   struct drv_lat *l)
{
	l->n = h->n;
	l->p50 = pct(h, 50, max_ns);
	l->p95 = pct(h, 95, max_ns);
	l->p99 = pct(h, 99, max_ns);
	l->max = (double)max_ns / 1e6;
	l->mean = h->n ? (double)sum_ns / (double)h->n / 1e6 : 0;
}

/* Merge the terminals' counts into r; committed[] gets the totals. */
static int merge_terms(struct mrun *m, struct mterm *mts, struct drv_result *r,
		       uint64_t *committed)
{
	int nt = m->o->wl->ntypes;
	struct bench_hist *h = calloc((size_t)nt + 1, sizeof(*h));
	uint64_t sum[WL_MAX_TYPES + 1] = {0}, max[WL_MAX_TYPES + 1] = {0};

	if (!h)
		return -1;
	for (unsigned i = 0; i < m->nterms; i++) {
		r->rollbacks += mts[i].rollbacks;
		r->retries += mts[i].retries;
		for (int k = 0; k < nt; k++) {
			committed[k] += mts[i].committed[k];
			r->done[k] += mts[i].n[k];
			sum[k] += mts[i].sum_ns[k];
			sum[nt] += mts[i].sum_ns[k];
			if (mts[i].max_ns[k] > max[k])
				max[k] = mts[i].max_ns[k];
			for (size_t b = 0; b < BENCH_HIST_BUCKETS; b++) {
				h[k].count[b] += mts[i].hist[k].count[b];
				h[nt].count[b] += mts[i].hist[k].count[b];
			}
			h[k].n += mts[i].hist[k].n;
			h[nt].n += mts[i].hist[k].n;
		}
	}
	for (int k = 0; k < nt; k++) {
		if (max[k] > max[nt])
			max[nt] = max[k];
		r->txns += r->done[k];
		lat_of(&h[k], sum[k], max[k], &r->lat[k]);
	}
	lat_of(&h[nt], sum[nt], max[nt], &r->lat[WL_MAX_TYPES]);
	free(h);
	return 0;
}

static void figures(struct mrun *m, struct drv_result *r)
{
	const struct workload *wl = m->o->wl;

	r->throughput = r->seconds > 0 ? (double)r->txns / r->seconds : 0;
	if (wl->rate_type >= 0 && r->seconds > 0)
		r->rate_per_min =
			(double)r->done[wl->rate_type] * 60.0 / r->seconds;
	r->ntimeline = m->nsec;
	for (uint32_t s = 0; s < m->nsec; s++)
		r->timeline[s] = atomic_load(&m->timeline[s]);
	if (r->ntimeline > (uint32_t)r->seconds)
		r->ntimeline = (uint32_t)r->seconds; /* whole seconds only */
}

/* ---- the phases ---- */

static int load(struct mrun *m, struct drv_result *r)
{
	struct wl_term t;
	uint64_t t0 = now_ns();
	int err;

	err = term_init(m, &t, WL_LOADER);
	t.progress = load_progress;
	t.progress_arg = m;
	m->last_pct = -1;
	bar(m, "loading", 0, "");
	if (!err)
		err = m->impl->load(&t);
	if (err < 0)
		put(r->error, sizeof(r->error), "load: %s", t.err);
	term_fini(&t);
	r->load_s = (double)(now_ns() - t0) / 1e9;
	return err;
}

static int run_terms(struct mrun *m, struct drv_result *r, uint64_t *committed)
{
	struct mterm *mts = calloc(m->nterms, sizeof(*mts));
	struct snap a, b;
	uint64_t t0;
	int err = 0;

	if (!mts) {
		put(r->error, sizeof(r->error), "out of memory");
		return -1;
	}
	if (start_terms(m, mts) == 0) {
		wait_phase(m, m->o->warmup, 0, "warmup");
		snap_take(m, &a);
		t0 = now_ns();
		atomic_store(&m->start_ns, t0);
		wait_phase(m, m->o->seconds, m->o->warmup, "running");
		atomic_store(&m->end_ns, now_ns());
		snap_take(m, &b);
		r->seconds = (double)(atomic_load(&m->end_ns) - t0) / 1e9;
	}
	stop_terms(m, mts);
	if (m->fail[0]) {
		put(r->error, sizeof(r->error), "%s", m->fail);
		err = -1;
	} else if (merge_terms(m, mts, r, committed) < 0) {
		put(r->error, sizeof(r->error), "out of memory");
		err = -1;
	} else {
		snap_delta(&a, &b, r);
		figures(m, r);
	}
	free(mts);
	return err;
}

static void check(struct mrun *m, struct drv_result *r,
		  const uint64_t *committed)
{
	struct wl_term t;
	uint64_t t0 = now_ns();

	bar(m, "checking", 1, "");
	if (term_init(m, &t, WL_LOADER) < 0) {
		put(r->error, sizeof(r->error), "check: %s", t.err);
		return;
	}
	r->violations = m->impl->check(&t, committed);
	if (r->violations < 0)
		put(r->error, sizeof(r->error), "check: %s", t.err);
	else if (r->violations > 0)
		put(r->check, sizeof(r->check), "%s", t.err);
	term_fini(&t);
	r->check_s = (double)(now_ns() - t0) / 1e9;
}

void measure_run(const struct drv_opts *o, const struct drv_engine *e,
		 unsigned nterms, struct drv_result *r)
{
	struct mrun *m = calloc(1, sizeof(*m));
	uint64_t committed[WL_MAX_TYPES] = {0};
	struct rusage ru;

	memset(r, 0, sizeof(*r));
	r->status = DRV_FAILED;
	r->violations = -1;
	if (!m) {
		put(r->error, sizeof(r->error), "out of memory");
		return;
	}
	m->o = o;
	m->e = e;
	m->impl = e->family == WL_KV ? o->wl->kv : o->wl->sql;
	m->nterms = nterms;
	m->nsec = (uint32_t)(o->seconds + 1);
	if (m->nsec > DRV_MAX_SECONDS)
		m->nsec = DRV_MAX_SECONDS;
	pthread_mutex_init(&m->lock, NULL);
	if (open_engine(m, r) == 0) {
		if (load(m, r) == 0 && run_terms(m, r, committed) == 0) {
			check(m, r, committed);
			if (r->violations >= 0)
				r->status = DRV_OK;
		}
		close_engine(m);
	}
	getrusage(RUSAGE_SELF, &ru);
	r->maxrss_mb = (double)ru.ru_maxrss / 1024.0;
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	pthread_mutex_destroy(&m->lock);
	free(m);
}
