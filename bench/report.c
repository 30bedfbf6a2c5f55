/*
 * report.c: the results of `exobench tpcb|tpcc`, side by side.
 *
 * For each terminal count, report_group() prints the comparison table on
 * stdout (throughput, ratios to lmdb and to sqlite, latency, I/O and CPU
 * per transaction, peak memory, the check) and, when asked, appends the
 * same figures to the markdown report, the CSV file, the JSON array and
 * the per-second timeline.  Per-transaction figures divide the measured
 * interval's totals by the transactions completed in it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "driver.h"

struct drv_report {
	const struct drv_opts *o;
	struct bench_json *json;
	FILE *csv, *md, *timeline;
	char settings[DRV_MAX_ENGINES][384]; /* as the engines reported */
	int failed;
};

/* Per-transaction figures of one result. */
struct per_txn {
	double reads, writes, flushes, kb_read, kb_written, cpu_ms;
};

static struct per_txn per_txn(const struct drv_result *r)
{
	double n = r->txns ? (double)r->txns : 1;

	return (struct per_txn){
		.reads = (double)r->io.reads / n,
		.writes = (double)r->io.writes / n,
		.flushes = (double)r->io.flushes / n,
		.kb_read = (double)r->io.bytes_read / 1024.0 / n,
		.kb_written = (double)r->io.bytes_written / 1024.0 / n,
		.cpu_ms = r->cpu_s * 1000.0 / n,
	};
}

/* The throughput of engine name among the group's results, or 0. */
static double throughput_of(const struct drv_report *rp,
			    struct drv_result *const *r, const char *name)
{
	for (int i = 0; i < rp->o->nengines; i++)
		if (!strcmp(rp->o->engines[i]->name, name) &&
		    r[i]->status == DRV_OK)
			return r[i]->throughput;
	return 0;
}

static double ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : 0;
}

/* A ratio for JSON: null when there is nothing to compare with. */
static double json_ratio(double a, double b)
{
	return a > 0 && b > 0 ? a / b : NAN;
}

static const char *durability(const struct drv_opts *o)
{
	return o->lazy ? "lazy" : "full";
}

/* ---- stdout ---- */

static void print_header(const struct drv_opts *o)
{
	char scale[160];

	o->wl->describe(&o->cfg, scale, sizeof(scale));
	printf("exobench %s: %s, %s\n", o->wl->name, o->wl->title, scale);
	printf("durability %s, %g s measured after %g s warmup, no think "
	       "times, cache %" PRIu64 " MiB, seed %" PRIu64 ", in %s\n",
	       durability(o), o->seconds, o->warmup, o->cache_bytes >> 20,
	       o->cfg.seed, o->device ? o->device : o->dir);
}

static void print_ratio(double v)
{
	if (v > 0)
		printf(" %7.2f", v);
	else
		printf(" %7s", "-");
}

static void print_row(const struct drv_opts *o, const struct drv_result *r,
		      double lmdb, double sqlite)
{
	const struct drv_lat *l = &r->lat[WL_MAX_TYPES];
	struct per_txn p = per_txn(r);

	printf(" %10.1f", r->throughput);
	if (o->wl->rate_type >= 0)
		printf(" %9.0f", r->rate_per_min);
	print_ratio(ratio(r->throughput, lmdb));
	print_ratio(ratio(r->throughput, sqlite));
	printf(" %7.2f %7.2f %7.2f %8.1f %7.2f %7.1f %7.3f %6.0f  %s\n", l->p50,
	       l->p95, l->p99, l->max, p.flushes, p.kb_written, p.cpu_ms,
	       r->maxrss_mb, r->violations == 0 ? "ok" : "FAIL");
}

static void print_types(const struct drv_opts *o, struct drv_result *const *r)
{
	printf("\n%-13s", "p50/p99 ms");
	for (int k = 0; k < o->wl->ntypes; k++)
		printf(" %15s", o->wl->types[k]);
	printf("\n");
	for (int i = 0; i < o->nengines; i++) {
		if (r[i]->status == DRV_UNAVAILABLE || r[i]->txns == 0)
			continue;
		printf("%-13s", o->engines[i]->name);
		for (int k = 0; k < o->wl->ntypes; k++) {
			char cell[32];

			snprintf(cell, sizeof(cell), "%.2f/%.2f",
				 r[i]->lat[k].p50, r[i]->lat[k].p99);
			printf(" %15s", cell);
		}
		printf("\n");
	}
}

static void print_group(const struct drv_report *rp, unsigned nterms,
			struct drv_result *const *r)
{
	const struct drv_opts *o = rp->o;
	double lmdb = throughput_of(rp, r, "lmdb");
	double sqlite = throughput_of(rp, r, "sqlite");

	printf("\n%u terminal%s\n%-12s %10s", nterms, nterms > 1 ? "s" : "",
	       "engine", "txn/s");
	if (o->wl->rate_type >= 0)
		printf(" %9s", "NO/min");
	printf(" %7s %7s %7s %7s %7s %8s %7s %7s %7s %6s  %s\n", "x lmdb",
	       "x sqlite", "p50 ms", "p95 ms", "p99 ms", "max ms", "flush/t",
	       "KBwr/t", "CPUms/t", "RSS MB", "check");
	for (int i = 0; i < o->nengines; i++) {
		printf("%-12s", o->engines[i]->name);
		if (r[i]->status == DRV_UNAVAILABLE)
			printf(" not available: %s\n", r[i]->error);
		else if (r[i]->violations < 0)
			printf(" FAILED: %s\n", r[i]->error);
		else
			print_row(o, r[i], lmdb, sqlite);
		if (r[i]->violations > 0)
			printf("%12s inconsistent: %s\n", "", r[i]->check);
	}
	if (o->wl->ntypes > 1)
		print_types(o, r);
	fflush(stdout);
}

/* ---- markdown ---- */

static void md_status(FILE *f, const struct drv_result *r)
{
	if (r->status == DRV_UNAVAILABLE)
		fprintf(f, "not available: %s", r->error);
	else
		fprintf(f, "FAILED: %s", r->error);
}

static void md_main(const struct drv_report *rp, struct drv_result *const *r)
{
	const struct drv_opts *o = rp->o;
	double lmdb = throughput_of(rp, r, "lmdb");
	double sqlite = throughput_of(rp, r, "sqlite");
	FILE *f = rp->md;

	fprintf(f,
		"| engine | txn/s |%s x lmdb | x sqlite | p50 ms | p95 ms "
		"| p99 ms | max ms | consistent |\n",
		o->wl->rate_type >= 0 ? " NewOrders/min |" : "");
	fprintf(f, "|---|---:|%s---:|---:|---:|---:|---:|---:|---|\n",
		o->wl->rate_type >= 0 ? "---:|" : "");
	for (int i = 0; i < o->nengines; i++) {
		const struct drv_lat *l = &r[i]->lat[WL_MAX_TYPES];

		fprintf(f, "| %s | ", o->engines[i]->name);
		if (r[i]->violations < 0) {
			md_status(f, r[i]);
			fprintf(f, " |%s |||||||\n",
				o->wl->rate_type >= 0 ? " |" : "");
			continue;
		}
		fprintf(f, "%.1f |", r[i]->throughput);
		if (o->wl->rate_type >= 0)
			fprintf(f, " %.0f |", r[i]->rate_per_min);
		fprintf(f, " %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %s |\n",
			ratio(r[i]->throughput, lmdb),
			ratio(r[i]->throughput, sqlite), l->p50, l->p95, l->p99,
			l->max, r[i]->violations ? r[i]->check : "yes");
	}
}

static void md_costs(const struct drv_report *rp, struct drv_result *const *r)
{
	const struct drv_opts *o = rp->o;
	FILE *f = rp->md;

	fprintf(f, "\nPer transaction (measured interval):\n\n"
		   "| engine | reads | writes | flushes | KB read | KB "
		   "written | CPU ms | peak RSS MB | load s |\n"
		   "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < o->nengines; i++) {
		struct per_txn p = per_txn(r[i]);

		if (r[i]->violations < 0)
			continue;
		fprintf(f,
			"| %s | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f | "
			"%.0f | %.1f |\n",
			o->engines[i]->name, p.reads, p.writes, p.flushes,
			p.kb_read, p.kb_written, p.cpu_ms, r[i]->maxrss_mb,
			r[i]->load_s);
	}
}

static void md_types(const struct drv_report *rp, struct drv_result *const *r)
{
	const struct drv_opts *o = rp->o;
	FILE *f = rp->md;

	fprintf(f, "\nLatency by transaction type, ms (p50 / p95 / p99 / "
		   "max):\n\n| engine |");
	for (int k = 0; k < o->wl->ntypes; k++)
		fprintf(f, " %s |", o->wl->types[k]);
	fprintf(f, "\n|---|");
	for (int k = 0; k < o->wl->ntypes; k++)
		fprintf(f, "---|");
	fprintf(f, "\n");
	for (int i = 0; i < o->nengines; i++) {
		if (r[i]->violations < 0)
			continue;
		fprintf(f, "| %s |", o->engines[i]->name);
		for (int k = 0; k < o->wl->ntypes; k++) {
			const struct drv_lat *l = &r[i]->lat[k];

			fprintf(f, " %.2f / %.2f / %.2f / %.1f |", l->p50,
				l->p95, l->p99, l->max);
		}
		fprintf(f, "\n");
	}
}

static void md_group(const struct drv_report *rp, unsigned nterms,
		     struct drv_result *const *r)
{
	fprintf(rp->md, "\n### %s, %u terminal%s\n\n", rp->o->wl->title, nterms,
		nterms > 1 ? "s" : "");
	md_main(rp, r);
	md_costs(rp, r);
	if (rp->o->wl->ntypes > 1)
		md_types(rp, r);
}

static void md_header(const struct drv_report *rp)
{
	const struct drv_opts *o = rp->o;
	char scale[160];

	o->wl->describe(&o->cfg, scale, sizeof(scale));
	fprintf(rp->md,
		"\n## %s\n\n%s; durability %s; %g s measured after "
		"%g s warmup; no think times; cache %" PRIu64
		" MiB; seed %" PRIu64 ".\n",
		o->wl->title, scale, durability(o), o->seconds, o->warmup,
		o->cache_bytes >> 20, o->cfg.seed);
}

static void md_settings(const struct drv_report *rp)
{
	const struct drv_opts *o = rp->o;

	fprintf(rp->md, "\nEngine settings:\n\n");
	for (int i = 0; i < o->nengines; i++)
		if (rp->settings[i][0])
			fprintf(rp->md, "- %s: %s\n", o->engines[i]->name,
				rp->settings[i]);
}

/* ---- CSV, JSON, timeline ---- */

static const char csv_header[] =
	"benchmark,engine,terminals,durability,status,throughput,"
	"new_orders_per_min,x_lmdb,x_sqlite,p50_ms,p95_ms,p99_ms,max_ms,"
	"reads_per_txn,writes_per_txn,flushes_per_txn,kb_read_per_txn,"
	"kb_written_per_txn,cpu_ms_per_txn,maxrss_mb,load_s,consistent\n";

static const char *status_name(const struct drv_result *r)
{
	if (r->status == DRV_UNAVAILABLE)
		return "unavailable";
	if (r->violations > 0)
		return "inconsistent";
	return r->status == DRV_OK ? "ok" : "failed";
}

static void csv_row(const struct drv_report *rp, const struct drv_engine *e,
		    unsigned nterms, const struct drv_result *r, double lmdb,
		    double sqlite)
{
	const struct drv_lat *l = &r->lat[WL_MAX_TYPES];
	struct per_txn p = per_txn(r);

	fprintf(rp->csv,
		"%s,%s,%u,%s,%s,%.2f,%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
		"%.3f,%.3f,%.4f,%.3f,%.3f,%.4f,%.1f,%.2f,%s\n",
		rp->o->wl->name, e->name, nterms, durability(rp->o),
		status_name(r), r->throughput, r->rate_per_min,
		ratio(r->throughput, lmdb), ratio(r->throughput, sqlite),
		l->p50, l->p95, l->p99, l->max, p.reads, p.writes, p.flushes,
		p.kb_read, p.kb_written, p.cpu_ms, r->maxrss_mb, r->load_s,
		r->violations == 0 ? "true" : "false");
}

static void json_lat(struct bench_json *j, const char *type,
		     const struct drv_lat *l)
{
	char key[64];
	const char *names[] = {"p50", "p95", "p99", "max", "mean"};
	double v[] = {l->p50, l->p95, l->p99, l->max, l->mean};

	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "latency_%s%s%s_ms", type,
			 type[0] ? "_" : "", names[i]);
		bench_json_num(j, key, v[i]);
	}
}

static void json_figures(struct bench_json *j, const struct workload *wl,
			 const struct drv_result *r, double lmdb, double sqlite)
{
	struct per_txn p = per_txn(r);
	double tl[DRV_MAX_SECONDS];

	bench_json_num(j, "throughput", r->throughput);
	if (wl->rate_type >= 0)
		bench_json_num(j, "new_orders_per_min", r->rate_per_min);
	bench_json_num(j, "x_lmdb", json_ratio(r->throughput, lmdb));
	bench_json_num(j, "x_sqlite", json_ratio(r->throughput, sqlite));
	bench_json_num(j, "seconds", r->seconds);
	bench_json_num(j, "transactions", (double)r->txns);
	bench_json_num(j, "rollbacks", (double)r->rollbacks);
	bench_json_num(j, "retries", (double)r->retries);
	json_lat(j, "", &r->lat[WL_MAX_TYPES]);
	for (int k = 0; wl->ntypes > 1 && k < wl->ntypes; k++)
		json_lat(j, wl->types[k], &r->lat[k]);
	bench_json_num(j, "reads_per_txn", p.reads);
	bench_json_num(j, "writes_per_txn", p.writes);
	bench_json_num(j, "flushes_per_txn", p.flushes);
	bench_json_num(j, "bytes_read_per_txn", p.kb_read * 1024);
	bench_json_num(j, "bytes_written_per_txn", p.kb_written * 1024);
	bench_json_num(j, "cpu_s_per_txn", p.cpu_ms / 1000);
	bench_json_num(j, "maxrss_mb", r->maxrss_mb);
	bench_json_num(j, "load_seconds", r->load_s);
	bench_json_num(j, "check_seconds", r->check_s);
	for (uint32_t s = 0; s < r->ntimeline; s++)
		tl[s] = r->timeline[s];
	bench_json_nums(j, "timeline", tl, r->ntimeline);
}

static void json_run(const struct drv_report *rp, const struct drv_engine *e,
		     unsigned nterms, const struct drv_result *r, double lmdb,
		     double sqlite)
{
	const struct drv_opts *o = rp->o;
	struct bench_json *j = rp->json;

	bench_json_begin(j);
	bench_json_str(j, "benchmark", o->wl->name);
	bench_json_str(j, "engine", e->name);
	bench_json_num(j, "terminals", nterms);
	bench_json_str(j, "durability", durability(o));
	bench_json_num(j, o->wl->rate_type >= 0 ? "warehouses" : "scale",
		       o->cfg.scale);
	bench_json_bool(j, "tiny", o->cfg.tiny);
	bench_json_num(j, "cache_mb", (double)(o->cache_bytes >> 20));
	bench_json_str(j, "status", status_name(r));
	bench_json_bool(j, "available", r->status != DRV_UNAVAILABLE);
	bench_json_bool(j, "consistent", r->violations == 0);
	if (r->error[0])
		bench_json_str(j, "error", r->error);
	if (r->violations > 0)
		bench_json_str(j, "inconsistency", r->check);
	if (r->settings[0])
		bench_json_str(j, "settings", r->settings);
	if (r->violations >= 0)
		json_figures(j, o->wl, r, lmdb, sqlite);
	bench_json_end(j);
}

static void timeline_rows(const struct drv_report *rp,
			  const struct drv_engine *e, unsigned nterms,
			  const struct drv_result *r)
{
	for (uint32_t s = 0; s < r->ntimeline; s++)
		fprintf(rp->timeline, "%s,%s,%u,%u,%u\n", rp->o->wl->name,
			e->name, nterms, s + 1, r->timeline[s]);
}

/* ---- the report ---- */

struct drv_report *report_open(const struct drv_opts *o)
{
	struct drv_report *rp = calloc(1, sizeof(*rp));
	const char *bad = NULL;

	if (!rp)
		return NULL;
	rp->o = o;
	if (o->json && !(rp->json = bench_json_open(o->json)))
		bad = o->json;
	if (o->csv && !(rp->csv = fopen(o->csv, "w")))
		bad = o->csv;
	if (o->report && !(rp->md = fopen(o->report, "a")))
		bad = o->report;
	if (o->timeline && !(rp->timeline = fopen(o->timeline, "w")))
		bad = o->timeline;
	if (bad) {
		perror(bad);
		report_close(rp);
		return NULL;
	}
	if (rp->csv)
		fputs(csv_header, rp->csv);
	if (rp->timeline)
		fputs("benchmark,engine,terminals,second,txn_per_s\n",
		      rp->timeline);
	if (rp->md)
		md_header(rp);
	print_header(o);
	return rp;
}

void report_group(struct drv_report *rp, unsigned nterms,
		  struct drv_result *const *r)
{
	const struct drv_opts *o = rp->o;
	double lmdb = throughput_of(rp, r, "lmdb");
	double sqlite = throughput_of(rp, r, "sqlite");

	print_group(rp, nterms, r);
	for (int i = 0; i < o->nengines; i++) {
		const struct drv_engine *e = o->engines[i];

		if (r[i]->settings[0])
			memcpy(rp->settings[i], r[i]->settings,
			       sizeof(rp->settings[i]));
		if (rp->csv)
			csv_row(rp, e, nterms, r[i], lmdb, sqlite);
		if (rp->json)
			json_run(rp, e, nterms, r[i], lmdb, sqlite);
		if (rp->timeline)
			timeline_rows(rp, e, nterms, r[i]);
	}
	if (rp->md)
		md_group(rp, nterms, r);
}

static int close_file(FILE *f, const char *path)
{
	if (!f)
		return 0;
	if (ferror(f) | fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int report_close(struct drv_report *rp)
{
	const struct drv_opts *o = rp->o;
	int err = 0;

	if (rp->md)
		md_settings(rp);
	if (rp->json && bench_json_close(rp->json) < 0) {
		perror(o->json);
		err = -1;
	}
	err |= close_file(rp->csv, o->csv);
	err |= close_file(rp->md, o->report);
	err |= close_file(rp->timeline, o->timeline);
	free(rp);
	return err;
}
