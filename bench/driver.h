/*
 * driver.h: running a workload (workload.h) on engines, and reporting.
 *
 * `exobench tpcb|tpcc` is driver_main(): it parses the options, then for
 * each terminal count and each engine forks a child process that runs
 * one measurement (measure.c: open a fresh database, load, warm up, run
 * the terminals, check, close) and sends back a struct drv_result through
 * a pipe.  A process per run keeps the figures (peak memory, CPU, I/O
 * counters) of one engine apart from another's.  report.c prints the
 * results side by side and writes them as JSON, CSV and markdown.
 */
#ifndef EXODB_BENCH_DRIVER_H
#define EXODB_BENCH_DRIVER_H

#include <stdint.h>

#include "workload.h"

#define DRV_MAX_ENGINES 4
#define DRV_MAX_TERMS	8    /* terminal counts in one run */
#define DRV_MAX_SECONDS 3600 /* of timeline */
#define DRV_TERMS_MAX	1024 /* terminals in one run */

struct drv_engine {
	const char *name;
	enum wl_family family;
	const struct kv_ops *kv; /* WL_KV */
	int sql_exodb;		 /* WL_SQL: the exodb VFS */
	const char *peer;	 /* the engine it is reported beside */
};

extern const struct drv_engine drv_engines[DRV_MAX_ENGINES];

struct drv_opts {
	const struct workload *wl;
	struct wl_config cfg;
	const struct drv_engine *engines[DRV_MAX_ENGINES];
	int nengines;
	unsigned terms[DRV_MAX_TERMS];
	int nterms;
	double seconds, warmup;
	int lazy;
	uint64_t cache_bytes;
	const char *dir, *device, *io;
	uint64_t size; /* exodb disk image; 0: the workload's estimate */
	const char *json, *csv, *report, *timeline;
	int progress; /* draw progress bars on stderr */
};

enum drv_status { DRV_OK, DRV_FAILED, DRV_UNAVAILABLE };

struct drv_lat {
	uint64_t n;
	double p50, p95, p99, max, mean; /* milliseconds */
};

/* Device work during the measured interval (see docs/benchmarks.md for
 * what each engine's counts are). */
struct drv_io {
	uint64_t reads, writes, flushes;    /* requests */
	uint64_t bytes_read, bytes_written; /* /proc/self/io */
};

struct drv_result {
	int status; /* enum drv_status */
	char error[256];
	int64_t violations; /* the check's bit mask; -1: not checked */
	char check[256];    /* the first violation */
	char settings[384]; /* what the engine was set to */
	double load_s, check_s, seconds;
	uint64_t txns;		     /* measured, all types */
	uint64_t done[WL_MAX_TYPES]; /* measured, by type */
	uint64_t rollbacks, retries;
	double throughput;		      /* txns / second */
	double rate_per_min;		      /* wl->rate_type per minute */
	struct drv_lat lat[WL_MAX_TYPES + 1]; /* by type, then all */
	struct drv_io io;
	double cpu_s;
	double maxrss_mb;
	uint32_t ntimeline;
	uint32_t timeline[DRV_MAX_SECONDS]; /* transactions per second */
};

int driver_main(const struct workload *wl, int argc, char **argv);

/* measure.c: one run in this process; fills r (never fails: errors go
 * into r->status and r->error). */
void measure_run(const struct drv_opts *o, const struct drv_engine *e,
		 unsigned nterms, struct drv_result *r);

/* report.c */
struct drv_report;
struct drv_report *report_open(const struct drv_opts *o);
/* The results of every engine of o for nterms terminals. */
void report_group(struct drv_report *rp, unsigned nterms,
		  struct drv_result *const *r);
/* 0, or -1 when a file could not be written (said on stderr). */
int report_close(struct drv_report *rp);

/* The path of engine e's database under o (exodb image, LMDB directory,
 * SQLite file). */
void drv_db_path(const struct drv_opts *o, const struct drv_engine *e,
		 char *buf, size_t n);

#endif
