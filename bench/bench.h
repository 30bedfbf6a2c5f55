/*
 * bench.h: what exobench's benchmarks share (implemented in exobench.c).
 *
 * exobench.c holds the table of benchmarks ({name, function, one-line
 * help}) and dispatches `exobench NAME ARGS...` to NAME's function, which
 * gets argv starting at its own name and returns the exit status
 * (BENCH_OK 0, BENCH_FAIL 1, BENCH_USAGE 2).
 *
 * A benchmark describes its options in a table of struct bench_opt and
 * calls bench_parse(), which fills the destinations, prints the generated
 * --help and reports usage errors the same way for every benchmark.  The
 * options every benchmark should spell alike come as macros:
 *   BENCH_OPT_SECONDS(&o.seconds, "3"), BENCH_OPT_JSON(&o.json), ...
 *
 * Results: a bench_hist records latencies (1.5% precision, constant
 * memory) and gives percentiles; a bench_json writes the results file, an
 * array of flat objects.
 */
#ifndef EXODB_BENCH_H
#define EXODB_BENCH_H

#include <stddef.h>
#include <stdint.h>

enum { BENCH_OK = 0, BENCH_FAIL = 1, BENCH_USAGE = 2 };

/* ---- options ---- */

enum bench_opt_type {
	BENCH_FLAG,   /* int *: set to 1 */
	BENCH_STR,    /* const char **: the argument */
	BENCH_DOUBLE, /* double *: a number >= 0 */
	BENCH_SIZE,   /* uint64_t *: bytes, with K, M, G, T suffixes */
	BENCH_COUNT,  /* uint64_t *: a positive integer */
};

struct bench_opt {
	const char *name; /* long option, without "--" */
	enum bench_opt_type type;
	void *dest;
	const char *arg;  /* argument name for --help ("FILE"); NULL: none */
	const char *help; /* one line */
};

#define BENCH_OPT_DEVICE(p) \
	{"device", BENCH_STR, (p), "IMAGE", "exodb disk: image file or device"}
#define BENCH_OPT_SECONDS(p, dflt) \
	{"seconds", BENCH_DOUBLE, (p), "S", \
	 "run each test S seconds (" dflt ")"}
#define BENCH_OPT_JSON(p) \
	{"json", BENCH_STR, (p), "FILE", "also write the results as JSON"}
#define BENCH_OPT_ENGINE(p) \
	{"engine", BENCH_STR, (p), "A,B,..", "engines to run, side by side"}

/* Parse argv (argv[0] is the benchmark's name) against opts[n]; path is
 * "exobench NAME", usage the text --help prints before the options.
 * Returns BENCH_OK, BENCH_USAGE after printing the error, or -1 after
 * printing the help (the caller exits 0). */
int bench_parse(const char *path, const char *usage,
		const struct bench_opt *opts, size_t n, int argc, char **argv);

/* Print "path: message" and "try 'path --help'"; returns BENCH_USAGE. */
int bench_usage_error(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Split a comma-separated list of names, each one of known[nknown] or
 * "all" (every known name), into out[max] without repeats.  Returns how
 * many, or -1 naming the bad entry in *bad (a pointer into list). */
int bench_split_list(const char *list, const char *const *known,
		     size_t nknown, const char **out, size_t max,
		     const char **bad);

/* Parse a size like 64M or 1G (powers of 1024) or plain bytes. */
int bench_parse_size(const char *s, uint64_t *out);

/* ---- latency histogram ---- */

#define BENCH_HIST_SUB     64 /* buckets per power of two */
#define BENCH_HIST_BUCKETS (48 * BENCH_HIST_SUB)

struct bench_hist {
	uint64_t n;
	uint64_t count[BENCH_HIST_BUCKETS];
};

void bench_hist_add(struct bench_hist *h, uint64_t ns);
/* The p-th percentile (0 < p <= 100) in nanoseconds, 0 when empty. */
double bench_hist_pct(const struct bench_hist *h, double p);

/* ---- JSON results: [ {...}, {...} ] ---- */

struct bench_json;

struct bench_json *bench_json_open(const char *path); /* NULL: errno */
void bench_json_begin(struct bench_json *j);           /* a new object */
void bench_json_str(struct bench_json *j, const char *key, const char *v);
void bench_json_num(struct bench_json *j, const char *key, double v);
void bench_json_bool(struct bench_json *j, const char *key, int v);
void bench_json_nums(struct bench_json *j, const char *key, const double *v,
		     size_t n); /* an array of numbers */
void bench_json_end(struct bench_json *j);
int bench_json_close(struct bench_json *j); /* 0, or -1: errno */

/* ---- benchmarks ---- */

int bench_raw(int argc, char **argv);
int bench_tpcb(int argc, char **argv);
int bench_tpcc(int argc, char **argv);

#endif
