/*
 * qtpcb.c: the benchmarks' TPC-B (bench/tpcb.c: its key-value
 * implementation, on the exodb engine) as one program that runs inside
 * exokern and, built statically for Linux, inside a Linux guest: the same
 * workload code, engine and dblibos on both, only the port below exo.h
 * and the kernel differ.  The disk is the virtio disk (/dev/vda),
 * formatted on the host; the store is the one bench/kv_exodb.c opens.
 *
 *   qtpcb short TERMS SECONDS
 *        a new store, the TPC-B load (scale 1, --tiny), TERMS terminal
 *        threads for SECONDS, then TPC-B's consistency check with the
 *        number of commits.  Prints
 *          "qtpcb: N terms, tps T, ios/txn I, syscalls/txn S, ..."
 *        (requests the disk served and system calls, both counted by
 *        the kernel, over the measured interval; see counters() below)
 *        and "qtpcb-short: N passed, M failed"
 *   qtpcb run TERMS
 *        the same, but the terminals commit until QEMU is killed (a
 *        power cut), printing "ack T SEQ" after each commit returns:
 *        terminal T's history row SEQ is durable (exokern only)
 *   qtpcb verify T:SEQ T:SEQ ...
 *        after the cut: open the store (recovery), find every
 *        acknowledged history row (T, 1..SEQ), and run the consistency
 *        check (branch, teller and account balances agree with each
 *        other and with the history); prints "qtpcb-verify: ..."
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exodb.h"
#include "kv.h"
#include "workload.h"

#ifdef EXOKERN
#include "ulib.h"
#endif

#define DISK     "/dev/vda"
#define STORE    "bench" /* the store bench/kv_exodb.c opens */
#define MAXTERMS 16
#define CACHE    (32ull << 20)
#define NO_COUNT (~0ull)

static struct wl_config cfg = { .scale = 1, .tiny = 1, .seed = 1 };
static struct wl_db db = { .family = WL_KV };
static int stop; /* __atomic */
static int passed, failed;

#define CHECK(c) check_((c) != 0, #c, __LINE__)

static void check_(int ok, const char *what, int line)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL line %d: %s\n", line, what);
}

static int done(const char *label)
{
	printf("%s: %d passed, %d failed\n", label, passed, failed);
	return failed ? 1 : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- what the kernel counted: system calls, disk requests ---- */

struct counts {
	uint64_t syscalls, ios;
};

#ifdef EXOKERN
const unsigned exo_main_stack_pages = 256;

/* The info page: system calls this environment made, requests its disk
 * I/O submitted (each is one virtio-blk request). */
static void counters(struct counts *c)
{
	const volatile struct exo_info *in = sys_info();

	c->syscalls = in->syscalls;
	c->ios = in->io_reads + in->io_writes + in->io_flushes;
}
#else
#define TRACE_HIST "/sys/kernel/tracing/events/raw_syscalls/sys_enter/hist"
#define VDA_STAT   "/sys/block/vda/stat"

/* The kernel's raw_syscalls:sys_enter histogram, keyed by thread and
 * command name (qemu-compare's init sets the trigger): the entries of
 * every thread called qtpcb.  NO_COUNT without the histogram. */
static uint64_t linux_syscalls(void)
{
	FILE *f = fopen(TRACE_HIST, "r");
	char line[256];
	uint64_t sum = 0, n;
	char *p;

	if (!f)
		return NO_COUNT;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "qtpcb") &&
		    (p = strstr(line, "hitcount:")) &&
		    sscanf(p, "hitcount: %lu", &n) == 1)
			sum += n;
	fclose(f);
	return sum;
}

/* Requests vda completed: reads, writes and flushes (fields 1, 5 and 16
 * of the block layer's stat). */
static uint64_t linux_ios(void)
{
	unsigned long long v[17] = { 0 };
	FILE *f = fopen(VDA_STAT, "r");
	int n = 0;

	if (!f)
		return NO_COUNT;
	while (n < 17 && fscanf(f, "%llu", &v[n]) == 1)
		n++;
	fclose(f);
	return n >= 5 ? v[0] + v[4] + (n >= 17 ? v[15] : 0) : NO_COUNT;
}

static void counters(struct counts *c)
{
	c->syscalls = linux_syscalls();
	c->ios = linux_ios();
}
#endif

/* ---- the database and the terminals ---- */

struct term {
	struct wl_term wt;
	pthread_t th;
	int ack;         /* print an ack line per commit */
	uint64_t commits;
	int failed;
};

static struct term terms[MAXTERMS];

/* A new, empty store.  (kv_opts.create would format the disk first,
 * which the host does: the guests' disk comes formatted.) */
static int create_store(void)
{
	struct exodb_opts o = { .disk = DISK, .store = STORE,
				.cache_bytes = CACHE,
				.flags = EXODB_CREATE | EXODB_EXCL };
	struct exodb *x;
	int err = exodb_open(&o, &x);

	if (err) {
		printf("FAIL qtpcb: create store %s: %s\n", STORE,
		       exodb_strerror(err));
		return err;
	}
	return exodb_close(x);
}

static int open_db(int create)
{
	struct kv_opts o = {
		.path = DISK,
		.cache_bytes = CACHE,
		.tables = wl_tpcb.tables,
		.ntables = wl_tpcb.ntables,
	};
	int err = create ? create_store() : 0;

	if (err)
		return err;
	err = kv_open(&kv_exodb, &o, &db.kv);
	if (err)
		printf("FAIL qtpcb: open %s: %s\n", DISK,
		       kv_exodb.strerror(err));
	return err;
}

static void term_init(struct wl_term *t, unsigned id, unsigned nterms)
{
	*t = (struct wl_term){
		.id = id,
		.nterms = nterms,
		.cfg = &cfg,
		.db = &db,
		.rng = 0x9e3779b97f4a7c15ull * (id + 1ull),
	};
}

static void *term_main(void *arg)
{
	struct term *tm = arg;
	int type;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int rc = wl_tpcb.kv->txn(&tm->wt, &type);

		if (rc == WL_RETRY)
			continue;
		if (rc < 0) {
			printf("FAIL terminal %u: %s\n", tm->wt.id, tm->wt.err);
			tm->failed = 1;
			break;
		}
		__atomic_add_fetch(&tm->commits, 1, __ATOMIC_RELAXED);
		if (tm->ack)
			printf("ack %u %u\n", tm->wt.id, tm->wt.seq);
	}
	return NULL;
}

static int load(void)
{
	struct wl_term t;
	int err;

	term_init(&t, WL_LOADER, 1);
	err = wl_tpcb.kv->load(&t);
	if (err < 0)
		printf("FAIL qtpcb: load: %s\n", t.err);
	return err;
}

static int start(unsigned n, int ack)
{
	for (unsigned i = 0; i < n; i++) {
		term_init(&terms[i].wt, i, n);
		terms[i].ack = ack;
		if (pthread_create(&terms[i].th, NULL, term_main, &terms[i]))
			return -1;
	}
	return 0;
}

static uint64_t commits_now(unsigned n)
{
	uint64_t c = 0;

	for (unsigned i = 0; i < n; i++)
		c += __atomic_load_n(&terms[i].commits, __ATOMIC_RELAXED);
	return c;
}

static int join(unsigned n)
{
	int bad = 0;

	for (unsigned i = 0; i < n; i++) {
		pthread_join(terms[i].th, NULL);
		bad |= terms[i].failed;
	}
	return bad;
}

static int consistent(const uint64_t *ndone)
{
	struct wl_term t;
	int64_t v;

	term_init(&t, WL_LOADER, 1);
	v = wl_tpcb.kv->check(&t, ndone);
	if (v)
		printf("FAIL TPC-B consistency: %s\n", t.err);
	return v == 0;
}

static unsigned terms_arg(const char *s)
{
	unsigned n = (unsigned)strtoul(s, NULL, 10);

	return n < 1 ? 1 : n > MAXTERMS ? MAXTERMS : n;
}

static void sleep_s(unsigned s)
{
	struct timespec ts = { (time_t)s, 0 };

	nanosleep(&ts, NULL);
}

/* Per transaction, or -1 when a count is missing. */
static double per_txn(uint64_t a, uint64_t b, uint64_t n)
{
	return a == NO_COUNT || b == NO_COUNT || !n ? -1 : (double)(b - a) / n;
}

static int run_short(unsigned n, unsigned seconds)
{
	uint64_t t0, ns, c0, c1, all;
	struct kv_counters k0, k1;
	struct counts a, b;

	CHECK(open_db(1) == 0);
	if (!db.kv)
		return done("qtpcb-short");
	CHECK(load() == 0);
	CHECK(start(n, 0) == 0);
	sleep_s(1); /* warm up */
	kv_counters(db.kv, &k0);
	counters(&a);
	c0 = commits_now(n);
	t0 = now_ns();
	sleep_s(seconds);
	counters(&b);
	c1 = commits_now(n);
	ns = now_ns() - t0;
	kv_counters(db.kv, &k1);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	CHECK(join(n) == 0);
	all = commits_now(n);
	CHECK(c1 > c0);
	CHECK(consistent(&all));
	printf("qtpcb: %u terms, %lu txns in %.2f s, tps %.1f, ios/txn %.2f, "
	       "syscalls/txn %.2f, log flushes/txn %.2f\n",
	       n, (unsigned long)(c1 - c0), ns / 1e9,
	       (double)(c1 - c0) * 1e9 / (double)(ns ? ns : 1),
	       per_txn(a.ios, b.ios, c1 - c0),
	       per_txn(a.syscalls, b.syscalls, c1 - c0),
	       per_txn(k0.log_flushes, k1.log_flushes, c1 - c0));
	CHECK(kv_close(db.kv) == 0);
	return done("qtpcb-short");
}

static int run_cut(unsigned n)
{
	if (open_db(1) || load() < 0 || start(n, 1))
		return 1;
	printf("qtpcb-run: running\n");
	join(n); /* only a failure ends the terminals */
	return 1;
}

/* History rows (t, 1..seq) all present. */
static int acked_present(unsigned t, uint32_t seq)
{
	struct kv_txn *x;
	int missing = 0, table = -1;

	for (int i = 0; i < wl_tpcb.ntables; i++)
		if (!strcmp(wl_tpcb.tables[i], "history"))
			table = i;
	if (table < 0 || kv_begin(db.kv, KV_READ, &x))
		return 0;
	for (uint32_t s = 1; s <= seq && !missing; s++) {
		uint8_t key[8], *p = key;
		struct kv_val v;

		kv_key32(&p, t);
		kv_key32(&p, s);
		if (kv_get(x, table, key, sizeof(key), &v)) {
			printf("FAIL terminal %u: acknowledged history row %u "
			       "of %u is missing\n",
			       t, s, seq);
			missing = 1;
		}
	}
	kv_commit(x);
	return !missing;
}

/* acks: "T:SEQ" words (QEMU's module list takes no commas). */
static int run_verify(int nacks, char **acks)
{
	unsigned found = 0;

	CHECK(open_db(0) == 0);
	if (!db.kv)
		return done("qtpcb-verify");
	for (int i = 0; i < nacks; i++) {
		char *end;
		unsigned t = (unsigned)strtoul(acks[i], &end, 10);
		uint32_t seq = 0;

		CHECK(*end == ':');
		if (*end == ':')
			seq = (uint32_t)strtoul(end + 1, &end, 10);
		CHECK(acked_present(t, seq));
		found += seq;
	}
	CHECK(consistent(NULL));
	printf("qtpcb: %u acknowledged commits found after the cut\n", found);
	CHECK(kv_close(db.kv) == 0);
	return done("qtpcb-verify");
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "short"))
		return run_short(terms_arg(argv[2]),
				 (unsigned)strtoul(argv[3], NULL, 10));
	if (argc == 3 && !strcmp(argv[1], "run"))
		return run_cut(terms_arg(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return run_verify(argc - 2, argv + 2);
	printf("usage: qtpcb short TERMS SECONDS | run TERMS | "
	       "verify T:SEQ ...\n");
	return 2;
}
