/*
 * driver.c: `exobench tpcb` and `exobench tpcc`: options, and one child
 * process per (terminal count, engine) run.
 *
 *   exobench tpcc --engine exodb,lmdb --warehouses 2 --terminals 1,16
 *
 * Engines are run in the order of drv_engines[] whatever the order of
 * --engine, so that like sits beside like in the tables: exodb beside
 * lmdb (key-value engines), sqlite-exodb beside sqlite (the same SQL
 * engine on raw blocks and on a filesystem).  An engine this build
 * cannot run (sqlite-exodb without the VFS) is listed as not available,
 * with the reason.  The exit status is 0 when every run that could run
 * finished with its consistency check passing, else 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "driver.h"

const struct drv_engine drv_engines[DRV_MAX_ENGINES] = {
	{"exodb", WL_KV, &kv_exodb, 0, "lmdb"},
	{"lmdb", WL_KV, &kv_lmdb, 0, "exodb"},
	{"sqlite-exodb", WL_SQL, NULL, 1, "sqlite"},
	{"sqlite", WL_SQL, NULL, 0, "sqlite-exodb"},
};

void drv_db_path(const struct drv_opts *o, const struct drv_engine *e,
		 char *buf, size_t n)
{
	if (e->family == WL_KV && e->kv == &kv_lmdb)
		snprintf(buf, n, "%s/lmdb", o->dir);
	else if (e->family == WL_SQL && !e->sql_exodb)
		snprintf(buf, n, "%s/sqlite.db", o->dir);
	else if (o->device)
		snprintf(buf, n, "%s", o->device);
	else
		snprintf(buf, n, "%s/%s.img", o->dir, e->name);
}

/* ---- options ---- */

struct raw_opts {
	const char *engines, *terms, *durability;
	uint64_t scale, cache_mb, seed;
	int tiny, quiet;
};

static int parse_terms(const char *path, const char *s, struct drv_opts *o)
{
	char *end;
	unsigned long v;

	o->nterms = 0;
	for (;;) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || v == 0 || v > DRV_TERMS_MAX ||
		    (*end && *end != ',') || o->nterms == DRV_MAX_TERMS)
			return bench_usage_error(path,
						 "bad --terminals '%s' (1..%d, "
						 "at most %d counts)",
						 s, DRV_TERMS_MAX,
						 DRV_MAX_TERMS);
		o->terms[o->nterms++] = (unsigned)v;
		if (!*end)
			return BENCH_OK;
		s = end + 1;
	}
}

static int parse_engines(const char *path, const char *list, struct drv_opts *o)
{
	const char *names[DRV_MAX_ENGINES], *picked[DRV_MAX_ENGINES], *bad;
	int n;

	for (int i = 0; i < DRV_MAX_ENGINES; i++)
		names[i] = drv_engines[i].name;
	n = bench_split_list(list, names, DRV_MAX_ENGINES, picked,
			     DRV_MAX_ENGINES, &bad);
	if (n < 0)
		return bench_usage_error(path, "unknown engine '%.*s'",
					 (int)strcspn(bad, ","), bad);
	o->nengines = 0;
	for (int i = 0; i < DRV_MAX_ENGINES; i++)
		for (int k = 0; k < n; k++)
			if (picked[k] == names[i])
				o->engines[o->nengines++] = &drv_engines[i];
	return BENCH_OK;
}

static int check_opts(const char *path, struct raw_opts *ro, struct drv_opts *o)
{
	int err;

	if ((err = parse_engines(path, ro->engines, o)) ||
	    (err = parse_terms(path, ro->terms, o)))
		return err;
	if (!strcmp(ro->durability, "lazy"))
		o->lazy = 1;
	else if (strcmp(ro->durability, "full"))
		return bench_usage_error(path, "--durability is full or lazy");
	if (o->seconds <= 0 || o->seconds > DRV_MAX_SECONDS)
		return bench_usage_error(path, "--seconds must be in (0, %d]",
					 DRV_MAX_SECONDS);
	if (ro->scale > 100000 || ro->cache_mb > (1u << 20))
		return bench_usage_error(path, "--%s or --cache-mb too large",
					 o->wl->rate_type >= 0 ? "warehouses"
							       : "scale");
	if (o->io && strcmp(o->io, "io_uring") && strcmp(o->io, "libaio") &&
	    strcmp(o->io, "psync"))
		return bench_usage_error(path, "--io is io_uring, libaio or "
					       "psync");
	o->cfg.scale = (uint32_t)ro->scale;
	o->cfg.tiny = ro->tiny;
	o->cfg.seed = ro->seed;
	o->cache_bytes = ro->cache_mb << 20;
	o->progress = !ro->quiet && isatty(2);
	return BENCH_OK;
}

static int parse(const struct workload *wl, int argc, char **argv,
		 struct drv_opts *o)
{
	char path[32], usage[512];
	int tpcc = wl->rate_type >= 0;
	struct raw_opts ro = {"all", "1", "full", 1, 256, 1, 0, 0};
	const struct bench_opt opts[] = {
		BENCH_OPT_ENGINE(&ro.engines),
		{tpcc ? "warehouses" : "scale", BENCH_COUNT, &ro.scale, "N",
		 tpcc ? "warehouses (1)"
		      : "branches: 100000 accounts each (1)"},
		{"terminals", BENCH_STR, &ro.terms, "N,..",
		 "terminal threads; a list runs each count (1)"},
		BENCH_OPT_SECONDS(&o->seconds, "10"),
		{"warmup", BENCH_DOUBLE, &o->warmup, "S",
		 "run S seconds before measuring (2)"},
		{"durability", BENCH_STR, &ro.durability, "MODE",
		 "full or lazy, the same meaning on every engine (full)"},
		{"cache-mb", BENCH_COUNT, &ro.cache_mb, "N",
		 "exodb's cache and SQLite's cache_size, MiB (256)"},
		{"dir", BENCH_STR, &o->dir, "DIR",
		 "where the databases go (var)"},
		BENCH_OPT_DEVICE(&o->device),
		{"size", BENCH_SIZE, &o->size, "BYTES",
		 "exodb disk image size (from the scale)"},
		{"io", BENCH_STR, &o->io, "ENGINE",
		 "exodb's I/O: io_uring, libaio or psync (io_uring)"},
		{"seed", BENCH_COUNT, &ro.seed, "N", "random seed (1)"},
		{"tiny", BENCH_FLAG, &ro.tiny, NULL,
		 "a hundredth of the rows, for tests (not a valid scale)"},
		BENCH_OPT_JSON(&o->json),
		{"csv", BENCH_STR, &o->csv, "FILE", "also write CSV"},
		{"report", BENCH_STR, &o->report, "FILE",
		 "append the tables to FILE as markdown"},
		{"timeline", BENCH_STR, &o->timeline, "FILE",
		 "write the per-second throughput as CSV"},
		{"quiet", BENCH_FLAG, &ro.quiet, NULL, "no progress bars"},
	};
	int err;

	snprintf(path, sizeof(path), "exobench %s", wl->name);
	snprintf(usage, sizeof(usage),
		 "usage: %s [--engine exodb,lmdb,sqlite-exodb,sqlite|all] "
		 "[OPTIONS]\n\n%s on each engine in turn, side by side: "
		 "load, warm up, run,\nthen check consistency (a failed check "
		 "fails the run).\n",
		 path, wl->title);
	*o = (struct drv_opts){
		.wl = wl, .seconds = 10, .warmup = 2, .dir = "var"};
	err = bench_parse(path, usage, opts, sizeof(opts) / sizeof(opts[0]),
			  argc, argv);
	if (err)
		return err;
	return check_opts(path, &ro, o);
}

/* ---- runs ---- */

static int read_all(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

static void write_all(int fd, const void *buf, size_t n)
{
	size_t put = 0;
	ssize_t k;

	while (put < n) {
		k = write(fd, (const char *)buf + put, n - put);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		put += (size_t)k;
	}
}

static void run_child(const struct drv_opts *o, const struct drv_engine *e,
		      unsigned nterms, struct drv_result *r)
{
	int fd[2], status = 0, got, rc;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = DRV_FAILED;
	r->violations = -1;
	fflush(NULL);
	rc = pipe(fd);
	if (rc < 0 && errno == ENOSYS) { /* exokern: no processes */
		measure_run(o, e, nterms, r);
		return;
	}
	if (rc < 0 || (pid = fork()) < 0) {
		snprintf(r->error, sizeof(r->error), "fork: %s",
			 strerror(errno));
		return;
	}
	if (pid == 0) {
		close(fd[0]);
		measure_run(o, e, nterms, r);
		write_all(fd[1], r, sizeof(*r));
		_exit(0);
	}
	close(fd[1]);
	got = read_all(fd[0], r, sizeof(*r));
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < 0) {
		memset(r, 0, sizeof(*r));
		r->status = DRV_FAILED;
		r->violations = -1;
		snprintf(r->error, sizeof(r->error),
			 "the run's process died (%s %d)",
			 WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status)
					     : WEXITSTATUS(status));
	}
}

static void say(const struct drv_opts *o, const struct drv_engine *e,
		unsigned nterms, const struct drv_result *r)
{
	fprintf(stderr, "  %s %-12s %3u term  ", o->wl->name, e->name, nterms);
	if (r->status == DRV_UNAVAILABLE)
		fprintf(stderr, "not available: %s\n", r->error);
	else if (r->status == DRV_FAILED && r->violations > 0)
		fprintf(stderr, "%.1f txn/s, INCONSISTENT: %s\n", r->throughput,
			r->check);
	else if (r->status == DRV_FAILED)
		fprintf(stderr, "FAILED: %s\n", r->error);
	else
		fprintf(stderr, "%.1f txn/s, consistent (loaded in %.1f s)\n",
			r->throughput, r->load_s);
}

static void run_engine(const struct drv_opts *o, const struct drv_engine *e,
		       unsigned nterms, struct drv_result *r)
{
	const char *why;

	if (e->family == WL_SQL && e->sql_exodb && !sql_exodb_available(&why)) {
		memset(r, 0, sizeof(*r));
		r->status = DRV_UNAVAILABLE;
		r->violations = -1;
		snprintf(r->error, sizeof(r->error), "%s", why);
	} else {
		run_child(o, e, nterms, r);
		if (r->status == DRV_OK && r->violations != 0)
			r->status = DRV_FAILED;
	}
	say(o, e, nterms, r);
}

static int run_all(const struct drv_opts *o, struct drv_report *rp)
{
	struct drv_result *r[DRV_MAX_ENGINES] = {0};
	int failed = 0, nomem = 0;

	for (int i = 0; i < o->nengines; i++)
		if (!(r[i] = malloc(sizeof(*r[i])))) {
			fprintf(stderr, "exobench: out of memory\n");
			nomem = 1;
		}
	for (int t = 0; !nomem && t < o->nterms; t++) {
		for (int i = 0; i < o->nengines; i++) {
			run_engine(o, o->engines[i], o->terms[t], r[i]);
			failed |= r[i]->status == DRV_FAILED;
		}
		report_group(rp, o->terms[t], r);
	}
	for (int i = 0; i < o->nengines; i++)
		free(r[i]);
	return failed || nomem;
}

int driver_main(const struct workload *wl, int argc, char **argv)
{
	struct drv_report *rp;
	struct drv_opts o;
	int err, failed;

	err = parse(wl, argc, argv, &o);
	if (err)
		return err < 0 ? BENCH_OK : err;
	if (mkdir(o.dir, 0777) < 0 && errno != EEXIST && errno != ENOSYS) {
		fprintf(stderr, "exobench %s: %s: %s\n", wl->name, o.dir,
			strerror(errno));
		return BENCH_FAIL;
	}
	rp = report_open(&o);
	if (!rp)
		return BENCH_FAIL;
	failed = run_all(&o, rp);
	if (report_close(rp) < 0)
		failed = 1;
	return failed ? BENCH_FAIL : BENCH_OK;
}

int bench_tpcb(int argc, char **argv)
{
	return driver_main(&wl_tpcb, argc, argv);
}

int bench_tpcc(int argc, char **argv)
{
	return driver_main(&wl_tpcc, argc, argv);
}
