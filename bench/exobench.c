/*
 * exobench.c: the benchmark driver, and the helpers benchmarks share.
 *
 *   exobench tpcb|tpcc [--engine exodb,lmdb,sqlite-exodb,sqlite] ...
 *   exobench raw --device IMAGE [--io io_uring|libaio|psync|all] ...
 *   exobench NAME --help
 *
 * The benchmarks are the table below: {name, function, one-line help}; a
 * new one is a file with its function (declared in bench.h) and a line
 * here.  The rest of this file implements bench.h: table-driven option
 * parsing with generated help, name lists, a latency histogram and the
 * JSON results writer.
 */
#include "bench.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct bench benchmarks[] = {
	{"tpcb", bench_tpcb,
	 "TPC-B on exodb, lmdb, sqlite-exodb and sqlite, side by side"},
	{"tpcc", bench_tpcc,
	 "TPC-C on exodb, lmdb, sqlite-exodb and sqlite, side by side"},
	{"raw", bench_raw,
	 "raw block I/O through exo.h: random reads, write+flush, sequential"},
};

#define NBENCH (sizeof(benchmarks) / sizeof(benchmarks[0]))

static void usage(void)
{
	printf("usage: exobench BENCHMARK [OPTIONS...]\n\n"
	       "Benchmarks of exodb on an exodb disk (image file or block "
	       "device),\nagainst SQLite and LMDB on the filesystem."
	       "\n\nbenchmarks:\n");
	for (size_t i = 0; i < NBENCH; i++)
		printf("  %-8s %s\n", benchmarks[i].name, benchmarks[i].help);
	printf("\nrun 'exobench BENCHMARK --help' for its options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return bench_usage_error("exobench", "missing benchmark");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage();
		return BENCH_OK;
	}
	for (size_t i = 0; i < NBENCH; i++)
		if (!strcmp(argv[1], benchmarks[i].name))
			return benchmarks[i].run(argc - 1, argv + 1);
	return bench_usage_error("exobench", "unknown benchmark '%s'", argv[1]);
}

/* ---- options ---- */

int bench_usage_error(const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry '%s --help'\n", path);
	return BENCH_USAGE;
}

static void print_help(const char *usage_text, const struct bench_opt *opts,
		       size_t n)
{
	char left[40];

	fputs(usage_text, stdout);
	printf("\noptions:\n");
	for (size_t i = 0; i < n; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name,
			 opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		printf("  %-20s %s\n", left, opts[i].help);
	}
	printf("  %-20s %s\n", "-h, --help", "show this help");
}

int bench_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	unsigned shift = 0;
	const char *u;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v == 0)
		return -1;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -1;
		shift = 10 * (unsigned)(u - units + 1);
		end++;
		if (strcmp(end, "") && strcmp(end, "B") && strcmp(end, "iB"))
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int set_opt(const char *path, const struct bench_opt *o, const char *arg)
{
	char *end;
	double d;

	switch (o->type) {
	case BENCH_FLAG:
		*(int *)o->dest = 1;
		return BENCH_OK;
	case BENCH_STR:
		*(const char **)o->dest = arg;
		return BENCH_OK;
	case BENCH_DOUBLE:
		errno = 0;
		d = strtod(arg, &end);
		if (errno || end == arg || *end || !isfinite(d) || d < 0)
			break;
		*(double *)o->dest = d;
		return BENCH_OK;
	case BENCH_SIZE:
		if (bench_parse_size(arg, o->dest) < 0)
			break;
		return BENCH_OK;
	case BENCH_COUNT:
		errno = 0;
		*(uint64_t *)o->dest = strtoull(arg, &end, 10);
		if (errno || !isdigit((unsigned char)*arg) || *end ||
		    *(uint64_t *)o->dest == 0)
			break;
		return BENCH_OK;
	}
	return bench_usage_error(path, "bad value '%s' for --%s", arg, o->name);
}

static int report_getopt_error(const char *path, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return bench_usage_error(path, "option '%s' needs an argument",
					 arg);
	/* glibc: optopt is 0 for an unknown long option */
	if (optopt && !strncmp(arg, "--", 2))
		return bench_usage_error(path, "option '%s' takes no argument",
					 arg);
	if (optopt)
		return bench_usage_error(path, "unknown option '-%c'", optopt);
	return bench_usage_error(path, "unknown option '%s'", arg);
}

int bench_parse(const char *path, const char *usage_text,
		const struct bench_opt *opts, size_t n, int argc, char **argv)
{
	struct option *lo = calloc(n + 2, sizeof(*lo));
	int c, err = BENCH_OK;

	if (!lo) {
		fprintf(stderr, "%s: out of memory\n", path);
		return BENCH_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].type == BENCH_FLAG ? no_argument
							   : required_argument;
		lo[i].val = 256 + (int)i;
	}
	lo[n].name = "help";
	lo[n].val = 'h';
	opterr = 0;
	optind = 0;
	while (err == BENCH_OK &&
	       (c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h') {
			print_help(usage_text, opts, n);
			err = -1;
		} else if (c >= 256 && c < 256 + (int)n) {
			err = set_opt(path, &opts[c - 256], optarg);
		} else {
			err = report_getopt_error(path, c, argv);
		}
	}
	if (err == BENCH_OK && optind < argc)
		err = bench_usage_error(path, "unexpected argument '%s'",
					argv[optind]);
	free(lo);
	return err;
}

/* Add every name of known[] that tok (len bytes) names to out[]. */
static int add_names(const char *tok, size_t len, const char *const *known,
		     size_t nknown, const char **out, size_t max, size_t *n)
{
	int all = len == 3 && !strncmp(tok, "all", 3), found = 0;

	for (size_t k = 0; k < nknown; k++) {
		size_t j = 0;

		if (!all &&
		    (strlen(known[k]) != len || strncmp(tok, known[k], len)))
			continue;
		found = 1;
		while (j < *n && out[j] != known[k])
			j++;
		if (j == *n && *n < max)
			out[(*n)++] = known[k];
	}
	return found;
}

int bench_split_list(const char *list, const char *const *known, size_t nknown,
		     const char **out, size_t max, const char **bad)
{
	const char *p = list;
	size_t n = 0, len;

	for (;;) {
		len = strcspn(p, ",");
		if (!add_names(p, len, known, nknown, out, max, &n)) {
			*bad = p;
			return -1;
		}
		if (p[len] == '\0')
			return (int)n;
		p += len + 1;
	}
}

/* ---- latency histogram ---- */

static size_t hist_index(uint64_t ns)
{
	unsigned e;
	size_t i;

	if (ns < BENCH_HIST_SUB)
		return (size_t)ns;
	e = 63 - (unsigned)__builtin_clzll(ns); /* ns >= 2^6 */
	i = (size_t)(e - 5) * BENCH_HIST_SUB +
	    (size_t)((ns >> (e - 6)) - BENCH_HIST_SUB);
	return i < BENCH_HIST_BUCKETS ? i : BENCH_HIST_BUCKETS - 1;
}

static double hist_value(size_t i)
{
	unsigned e;
	uint64_t sub;

	if (i < BENCH_HIST_SUB)
		return (double)i;
	e = (unsigned)(i / BENCH_HIST_SUB) + 5;
	sub = i % BENCH_HIST_SUB;
	return (double)((BENCH_HIST_SUB + sub) << (e - 6)) +
	       (double)(1ull << (e - 6)) / 2;
}

void bench_hist_add(struct bench_hist *h, uint64_t ns)
{
	h->count[hist_index(ns)]++;
	h->n++;
}

double bench_hist_pct(const struct bench_hist *h, double p)
{
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->n), seen = 0;

	if (h->n == 0)
		return 0;
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < BENCH_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			return hist_value(i);
	}
	return hist_value(BENCH_HIST_BUCKETS - 1);
}

/* ---- JSON results ---- */

struct bench_json {
	FILE *f;
	int nobjects;
	int nfields;
};

struct bench_json *bench_json_open(const char *path)
{
	struct bench_json *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->f = fopen(path, "w");
	if (!j->f) {
		free(j);
		return NULL;
	}
	fputs("[", j->f);
	return j;
}

void bench_json_begin(struct bench_json *j)
{
	fputs(j->nobjects++ ? ",\n  {" : "\n  {", j->f);
	j->nfields = 0;
}

static void json_key(struct bench_json *j, const char *key)
{
	fprintf(j->f, "%s\"%s\": ", j->nfields++ ? ", " : "", key);
}

void bench_json_str(struct bench_json *j, const char *key, const char *v)
{
	json_key(j, key);
	fputc('"', j->f);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			fprintf(j->f, "\\%c", c);
		else if (c < 0x20)
			fprintf(j->f, "\\u%04x", c);
		else
			fputc(c, j->f);
	}
	fputc('"', j->f);
}

void bench_json_num(struct bench_json *j, const char *key, double v)
{
	json_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void bench_json_bool(struct bench_json *j, const char *key, int v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void bench_json_nums(struct bench_json *j, const char *key, const double *v,
		     size_t n)
{
	json_key(j, key);
	fputc('[', j->f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", j->f);
		if (isfinite(v[i]))
			fprintf(j->f, "%.6g", v[i]);
		else
			fputs("null", j->f);
	}
	fputc(']', j->f);
}

void bench_json_end(struct bench_json *j)
{
	fputs("}", j->f);
}

int bench_json_close(struct bench_json *j)
{
	int err;

	fputs("\n]\n", j->f);
	err = ferror(j->f);
	if (fclose(j->f) != 0)
		err = 1;
	free(j);
	return err ? -1 : 0;
}
