/*
 * crash_eio.c: injected I/O errors during transactions on objects.
 *
 * The fault port fails the N-th I/O with EXO_EIO (and, when sticky,
 * every I/O after it).  The caller must get an error (from store_open, an
 * object call, dtx_commit, store_checkpoint or store_close: some call
 * fails once the failing I/O has been reached), and after the store is
 * opened again without faults it must hold every acknowledged batch and
 * no partial one, and pass store_check (work.h's check).  Every third
 * run also cuts the power after the store is closed, so what the error
 * left unflushed is dropped or torn as well.
 *
 *   small   the single-threaded workload of crash_obj, an error at each
 *           of its I/Os in turn (sticky at odd ones)
 *   checkpointer  the background checkpointer, woken by the last commit,
 *           meets a sticky error: store_close must return an error
 *   random  --trials / 4 runs of the multi-threaded workload, an error at
 *           a random I/O, sticky or not
 *
 * Usage: crash_eio [--trials N] [--small K] [--seed S]
 * Ends with "crash_eio: N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "work.h"

#define TRIAL_SECS 120 /* the watchdog */

static unsigned passed, failed;
static char why[512];

static void result(int ok, const char *what, const char *replay)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s\n     replay: %s\n", what, why, replay);
	fflush(stdout);
}

/* Run round `round` of f's workload with an error at I/O k, then check.
 * Returns 1 if the workload never reached I/O k. */
static int eio_run(struct fixture *f, unsigned round, uint64_t k,
		   int sticky, uint64_t seed, int cut_after,
		   const char *replay)
{
	char what[96];
	unsigned calls;
	int reached, ok;

	snprintf(what, sizeof(what), "%s error at I/O %" PRIu64,
		 sticky ? "sticky" : "one", k);
	watchdog(TRIAL_SECS, replay);
	fixture_reset(f);
	plan_eio(f->name, k, seed, sticky);
	wl_round(&f->w, round, f->disk, &f->o, &calls);
	reached = fault_io_count(f->name) >= (int64_t)k;
	if (cut_after) {
		plan_cut(f->name, 0, seed, 50);
		fault_powercut(f->name, seed);
	}
	plan_none(f->name);
	ok = wl_verify(&f->w, f->disk, &f->o, why, sizeof(why)) >= 0;
	if (ok && reached && calls == 0) {
		snprintf(why, sizeof(why), "no call returned an error");
		ok = 0;
	}
	result(ok, what, replay);
	return !reached;
}

/* ---- the background checkpointer ---- */

/* Commit writes to object "x" until the log is over half full, which
 * wakes the checkpointer.  0 or an error. */
static int fill_log(struct store *s)
{
	static uint8_t buf[8 * OBJ_BLOCK_DATA];
	struct dtx *t;
	struct obj *o;
	unsigned i;
	int rc = 0;

	for (i = 0; rc == 0 && wal_fill_pct(store_wal(s)) <= 50; i++) {
		memset(buf, (int)i, sizeof(buf));
		rc = dtx_begin(s, &t);
		if (rc < 0)
			break;
		rc = obj_open_tx(t, "x", &o);
		if (rc == EXO_ENOENT)
			rc = obj_create(t, "x", &o);
		if (rc == 0) {
			rc = obj_write(t, o, 0, buf, sizeof(buf));
			obj_close(o);
		}
		if (rc == 0)
			rc = dtx_commit(t, NULL);
		else
			dtx_abort(t);
	}
	return rc;
}

/* One try: 1 if the checkpointer met the error and store_close reported
 * it, 0 if it did not report it, -1 if the checkpointer finished before
 * the error was armed (try again). */
static int ckpt_try(const char *name, const char *disk,
		    const struct store_opts *o)
{
	struct store *s = NULL;
	int rc, i;

	rc = store_open(disk, WL_CAP, WL_CAPLEN, o, &s);
	if (rc == 0)
		rc = fill_log(s);
	if (rc < 0) {
		snprintf(why, sizeof(why), "setup: %s", exo_strerror(rc));
		if (s)
			store_close(s);
		return 0;
	}
	plan_eio(name, 1, 1, 1);
	for (i = 0; i < 2000 && fault_io_count(name) == 0; i++)
		usleep(1000);
	usleep(20000);
	rc = store_close(s);
	plan_none(name);
	if (i == 2000)
		return -1; /* the checkpointer did no I/O after arming */
	if (rc == 0)
		snprintf(why, sizeof(why), "the background checkpoint failed "
			 "with EXO_EIO, store_close returned 0");
	return rc < 0;
}

static void part_checkpointer(void)
{
	struct store_opts o = { .cache_pages = 64, .log_blocks = 64,
				.log_buf_pages = 8 };
	const char *replay = "build/crash/crash_eio";
	char disk[48];
	int rc = -1, k;

	watchdog(TRIAL_SECS, replay);
	for (k = 0; k < 5 && rc < 0; k++) {
		rc = disk_setup("eio-ckpt", 3072, &o, disk, sizeof(disk));
		if (rc < 0) {
			snprintf(why, sizeof(why), "disk_setup: %s",
				 exo_strerror(rc));
			break;
		}
		rc = ckpt_try("eio-ckpt", disk, &o);
	}
	if (k == 5 && rc < 0)
		snprintf(why, sizeof(why), "could not arm the error in time");
	result(rc == 1, "checkpointer: error after the last commit", replay);
	fault_disk_destroy("eio-ckpt");
	printf("%s checkpointer: an error in a background checkpoint after "
	       "the last commit is returned by store_close\n",
	       rc == 1 ? "ok  " : "FAIL");
}

static void part_small(struct fixture *f, uint64_t only)
{
	char replay[64];
	unsigned f0 = failed;
	uint64_t k;
	int done = 0;

	for (k = only ? only : 1; !done; k++) {
		snprintf(replay, sizeof(replay),
			 "build/crash/crash_eio --small %" PRIu64, k);
		done = eio_run(f, 2, k, k & 1, k * 7919 + 5, k % 3 == 0,
			       replay);
		if (only)
			return;
	}
	printf("%s small: an error at each of I/Os 1..%" PRIu64
	       " of a single-threaded workload\n",
	       failed == f0 ? "ok  " : "FAIL", k - 1);
}

static void random_run(struct fixture *f, uint64_t seed)
{
	uint64_t rng = seed, span = f->span, k;
	char replay[64];
	int sticky;

	snprintf(replay, sizeof(replay), "build/crash/crash_eio --seed %"
		 PRIu64, seed);
	k = 1 + rnd_below(&rng, span);
	sticky = (int)rnd_below(&rng, 2);
	f->w.p.seed = seed;
	eio_run(f, 1, k, sticky, rnd_next(&rng), rnd_below(&rng, 3) == 0,
		replay);
}

static void part_random(struct fixture *f, unsigned runs)
{
	unsigned i, f0 = failed;

	for (i = 0; i < runs; i++)
		random_run(f, 1 + i);
	printf("%s random: %u runs of %u threads, an error in I/Os 1..%"
	       PRIu64 " (a round takes about %" PRIu64 ")\n",
	       failed == f0 ? "ok  " : "FAIL", runs, f->w.p.nthreads, f->span,
	       f->ios);
}

int main(int argc, char **argv)
{
	const char *env = getenv("CRASH_TRIALS");
	unsigned trials = env ? (unsigned)strtoul(env, NULL, 10) : 200;
	uint64_t seed = 0, small = 0;
	struct fixture f;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--small") && i + 1 < argc)
			small = strtoull(argv[++i], NULL, 10);
		else {
			fprintf(stderr, "usage: crash_eio [--trials N] "
				"[--small K] [--seed S]\n");
			return 2;
		}
	}
	watchdog(TRIAL_SECS, "build/crash/crash_eio (setup)");
	if (!seed) {
		rc = fixture_small(&f, "eio-small", why, sizeof(why));
		if (rc < 0) {
			printf("FAIL small setup: %s: %s\n", exo_strerror(rc),
			       why);
			return 1;
		}
		part_small(&f, small);
		fixture_free(&f);
		if (!small)
			part_checkpointer();
	}
	if (!small) {
		watchdog(TRIAL_SECS, "build/crash/crash_eio (setup)");
		rc = fixture_big(&f, "eio-big", 1, why, sizeof(why));
		if (rc < 0) {
			printf("FAIL random setup: %s: %s\n",
			       exo_strerror(rc), why);
			return 1;
		}
		if (seed)
			random_run(&f, seed);
		else
			part_random(&f, (trials + 3) / 4);
		fixture_free(&f);
	}
	watchdog(0, "");
	printf("crash_eio: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
