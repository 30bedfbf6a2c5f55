/*
 * storebench.c: durable commit rate and recovery time of a dblibos store.
 *
 *   build/bin/exodb-storebench [--disk IMG] [--seconds S]
 *
 * Formats IMG (var/storebench.img, 2 GiB), creates a store with a 64 MiB
 * log and measures, on the Linux port with io_uring, full durability:
 *   - commits/s with 1, 4, 16 and 64 threads, each committing small
 *     transactions (64 bytes changed in a page of its own), with device
 *     flushes and log bytes per commit;
 *   - recovery: the log filled to half (the checkpointer's trigger) with
 *     no checkpoint, the store closed as if cut, then the time store_open
 *     takes to recover it.
 * Figures go to stdout.  This measures dblibos alone, below the engine.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balloc.h"
#include "store.h"

#define CAP     "storebench"
#define CAPLEN  10
#define MAXTHR  64

struct worker {
	struct store *s;
	exo_bno page;
	volatile int *stop;
	uint64_t commits;
	int err;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "storebench: %s: %s\n", what, exo_strerror(rc));
	exit(1);
}

/* One small transaction: 64 bytes of the worker's page. */
static int commit_one(struct store *s, exo_bno page, uint64_t n)
{
	struct dtx *t;
	uint8_t *p;
	int rc = dtx_begin(s, &t);

	if (rc < 0)
		return rc;
	rc = dtx_page(t, page, 0, (void **)&p);
	if (rc < 0) {
		dtx_abort(t);
		return rc;
	}
	memset(p + CACHE_HDR + (n % 32) * 64, (int)n, 64);
	return dtx_commit(t, NULL);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	while (!*w->stop && w->err == 0) {
		w->err = commit_one(w->s, w->page, w->commits);
		w->commits += w->err == 0;
	}
	return NULL;
}

/* One page per worker, allocated in one transaction. */
static void alloc_pages(struct store *s, struct worker *w, int n)
{
	struct dtx *t;
	void *p;
	int rc = dtx_begin(s, &t);

	for (int i = 0; rc == 0 && i < n; i++) {
		rc = balloc_alloc(t, 0, 1, &w[i].page);
		if (rc == 0)
			rc = dtx_page(t, w[i].page, DTX_NEW, &p);
	}
	if (rc < 0)
		die("allocating pages", rc);
	if ((rc = dtx_commit(t, NULL)) < 0)
		die("commit", rc);
}

static void rate(struct store *s, struct worker *w, int n, double secs)
{
	pthread_t th[MAXTHR];
	volatile int stop = 0;
	struct wal_stats a, b;
	uint64_t commits = 0;
	double t0, t1;

	wal_get_stats(store_wal(s), &a);
	for (int i = 0; i < n; i++) {
		w[i].s = s, w[i].stop = &stop, w[i].commits = 0, w[i].err = 0;
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	t0 = now_s();
	while (now_s() - t0 < secs)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	stop = 1;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (w[i].err)
			die("commit", w[i].err);
		commits += w[i].commits;
	}
	t1 = now_s();
	wal_get_stats(store_wal(s), &b);
	printf("%8d %12.0f %12.1f %12.0f\n", n, commits / (t1 - t0),
	       (double)commits / (double)(b.flushes - a.flushes ? b.flushes -
					  a.flushes : 1),
	       (double)(b.bytes - a.bytes) / (double)commits);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *disk = "var/storebench.img";
	struct store_opts o = {.log_blocks = 16384, .cache_pages = 16384};
	struct worker w[MAXTHR];
	struct store *s;
	double secs = 3, t0;
	uint64_t n = 0;
	int rc, counts[] = {1, 4, 16, 64};

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--disk"))
			disk = argv[i + 1];
		else if (!strcmp(argv[i], "--seconds"))
			secs = atof(argv[i + 1]);
	}
	if ((rc = exo_disk_format(disk, 2ull << 30)) < 0)
		die(disk, rc);
	if ((rc = store_create(disk, CAP, CAPLEN, &o, &s)) < 0)
		die("store_create", rc);
	alloc_pages(s, w, MAXTHR);
	printf("durable commits, io_uring, %s\n", disk);
	printf("%8s %12s %12s %12s\n", "threads", "commits/s", "per flush",
	       "log B/commit");
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		rate(s, w, counts[i], secs);
	if ((rc = store_close(s)) < 0)
		die("store_close", rc);

	/* Recovery: half a log of small commits, no checkpoint. */
	o.manual_ckpt = 1;
	if ((rc = store_open(disk, CAP, CAPLEN, &o, &s)) < 0)
		die("store_open", rc);
	while (wal_fill_pct(store_wal(s)) < 50) {
		if ((rc = commit_one(s, w[n % MAXTHR].page, n)) < 0)
			die("commit", rc);
		n++;
	}
	if ((rc = store_close(s)) < 0)
		die("store_close", rc);
	o.manual_ckpt = 0;
	t0 = now_s();
	if ((rc = store_open(disk, CAP, CAPLEN, &o, &s)) < 0)
		die("recovering store_open", rc);
	printf("recovery: %llu commits in %u%% of a 64 MiB log: open %.3f s\n",
	       (unsigned long long)n, 50, now_s() - t0);
	return store_close(s) < 0;
}
