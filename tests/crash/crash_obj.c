/*
 * crash_obj.c: power cuts during transactions on objects, then recovery.
 *
 * Four parts, each run counted as one test:
 *
 *   small     a single-threaded workload (work.h) on a store holding a
 *             few objects, cut at its 1st I/O, then its 2nd, ... until it
 *             runs to the end without a cut (open, batches, checkpoints
 *             and close are all cut somewhere).  Deterministic.
 *   recovery  a store closed without a checkpoint, so open must redo the
 *             log; recovery itself cut at each of its I/Os in turn.
 *   random    --trials runs of a multi-threaded workload, each with its
 *             own seed: two rounds, each cut at a random I/O with a
 *             random share of the unflushed sectors kept (so unflushed
 *             writes are dropped, reordered and torn), sometimes a second
 *             cut inside the recovery that follows; after each round the
 *             store is reopened and checked (work.h: every acknowledged
 *             batch present, every other one wholly present or wholly
 *             absent, store_check passes).
 *   grow      --trials / 10 runs like random, of a single-threaded
 *             workload of large writes, truncates and deletes that grows
 *             the store past its first chunk (the kernel grants more
 *             blocks inside transactions) and empties chunks again (they
 *             go back to the kernel).
 *
 * Usage:
 *   crash_obj [--trials N]        all parts (N: CRASH_TRIALS, default 200)
 *   crash_obj --seed S [--cut N]  one random trial (its second round cut
 *                                 at I/O N); threads make it approximate
 *   crash_obj --grow S [--cut N]  one grow trial
 *   crash_obj --small K           the small workload cut at I/O K
 *   -v                            a line for each random round
 * A failure prints its reason and the command that replays it.  Ends
 * with "crash_obj: N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work.h"

#define TRIAL_SECS 120 /* the watchdog */

static unsigned passed, failed;
static char why[512];
static int verbose;

static const unsigned pcts[] = { 0, 50, 100, 25, 75 };

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

/* ---- small: a cut at every I/O ---- */

/* Round 2 of the small workload cut at I/O k; 1 if no cut happened. */
static int small_cut(struct fixture *f, uint64_t k)
{
	char replay[64];
	unsigned calls;
	int done;

	snprintf(replay, sizeof(replay), "build/crash/crash_obj --small %"
		 PRIu64, k);
	watchdog(TRIAL_SECS, replay);
	fixture_reset(f);
	plan_cut(f->name, k, k * 7919 + 1, pcts[k % 5]);
	wl_round(&f->w, 2, f->disk, &f->o, &calls);
	done = fault_io_count(f->name) < (int64_t)k;
	plan_none(f->name);
	result(wl_verify(&f->w, f->disk, &f->o, why, sizeof(why)) >= 0,
	       "small workload", replay);
	return done;
}

static void part_small(struct fixture *f, uint64_t only)
{
	unsigned f0 = failed;
	uint64_t k;

	if (only) {
		small_cut(f, only);
		return;
	}
	for (k = 1; !small_cut(f, k); k++)
		;
	printf("%s small: cut at each of I/Os 1..%" PRIu64
	       " of a single-threaded workload\n",
	       failed == f0 ? "ok  " : "FAIL", k);
}

/* ---- recovery: a cut at every I/O of a recovery ---- */

static void part_recovery(struct fixture *f)
{
	const char *replay = "build/crash/crash_obj";
	unsigned calls, f0 = failed;
	struct store *s;
	uint8_t *media;
	uint64_t k;
	size_t n;
	int done = 0;

	fixture_reset(f);
	f->o.manual_ckpt = 1;
	f->w.p.ckpt_every = 0;
	if (wl_round(&f->w, 3, f->disk, &f->o, &calls) < 0) {
		snprintf(why, sizeof(why), "the workload failed");
		result(0, "recovery setup", replay);
		return;
	}
	f->o.manual_ckpt = 0;
	n = f->w.n;
	media = media_save(f->name, f->nblocks);
	for (k = 1; media && !done; k++) {
		watchdog(TRIAL_SECS, replay);
		media_restore(f->name, media, f->nblocks);
		wl_truncate(&f->w, n);
		plan_cut(f->name, k, k * 104729 + 3, pcts[k % 5]);
		if (store_open(f->disk, WL_CAP, WL_CAPLEN, &f->o, &s) == 0)
			store_close(s);
		done = fault_io_count(f->name) < (int64_t)k;
		plan_none(f->name);
		result(wl_verify(&f->w, f->disk, &f->o, why, sizeof(why)) ==
			       (long)n,
		       "recovery cut", replay);
	}
	free(media);
	printf("%s recovery: cut at each of I/Os 1..%" PRIu64
	       " of the recovery of %zu batches\n",
	       failed == f0 ? "ok  " : "FAIL", k - 1, n - f->n0);
}

/* ---- random: multi-threaded, random cuts ---- */

/* One round of a trial: cut at I/O cut, maybe cut the recovery too,
 * check.  0 or -1 (why set). */
static int big_round(struct fixture *f, unsigned round, uint64_t cut,
		     uint64_t *rng)
{
	unsigned pct = pcts[rnd_below(rng, 5)], calls;
	uint64_t seed = rnd_next(rng);
	char tmp[sizeof(why)];
	struct store *s;
	int64_t ios;
	long g;

	plan_cut(f->name, cut, seed, pct);
	wl_round(&f->w, round, f->disk, &f->o, &calls);
	ios = fault_io_count(f->name);
	if (rnd_below(rng, 3) == 0) {
		plan_cut(f->name, 1 + rnd_below(rng, 40), seed + 1, pct);
		if (store_open(f->disk, WL_CAP, WL_CAPLEN, &f->o, &s) == 0)
			store_close(s);
	}
	plan_none(f->name);
	g = wl_verify(&f->w, f->disk, &f->o, why, sizeof(why));
	if (g < 0) {
		if (verbose)
			wl_dump(&f->w, stdout);
		snprintf(tmp, sizeof(tmp), "round %u: %.480s", round, why);
		snprintf(why, sizeof(why), "%s", tmp);
		return -1;
	}
	if (verbose)
		printf("     round %u: cut at I/O %" PRIu64 " (%u%% kept, "
		       "%" PRId64 " I/Os): %zu batches, last acknowledged %zu, "
		       "recovered %ld\n",
		       round, cut, pct, ios, f->w.n,
		       wl_last_acked(&f->w), g);
	wl_settle(&f->w, g);
	return 0;
}

static void big_trial(struct fixture *f, const char *cmd, uint64_t seed,
		      uint64_t cut)
{
	uint64_t rng = seed, span = f->span, c1, c2;
	char replay[96], what[64];
	int rc;

	c1 = 1 + rnd_below(&rng, span);
	c2 = 1 + rnd_below(&rng, span);
	if (cut)
		c2 = cut;
	snprintf(replay, sizeof(replay),
		 "build/crash/crash_obj %s %" PRIu64 " --cut %" PRIu64, cmd,
		 seed, c2);
	snprintf(what, sizeof(what), "seed %" PRIu64 " cut %" PRIu64, seed,
		 c2);
	watchdog(TRIAL_SECS, replay);
	f->w.p.seed = seed;
	fixture_reset(f);
	rc = big_round(f, 1, c1, &rng);
	if (rc == 0)
		rc = big_round(f, 2, c2, &rng);
	result(rc == 0, what, replay);
}

static void part_random(struct fixture *f, unsigned trials, uint64_t base)
{
	unsigned i, f0 = failed;

	for (i = 0; i < trials; i++)
		big_trial(f, "--seed", base + i, 0);
	printf("%s random: %u trials of %u threads, two rounds each, cuts in "
	       "I/Os 1..%" PRIu64 " (a round takes about %" PRIu64 "), seeds %"
	       PRIu64 "..%" PRIu64 "\n",
	       failed == f0 ? "ok  " : "FAIL", trials, f->w.p.nthreads,
	       f->span, f->ios, base, base + trials - 1);
}

/* ---- grow: a store growing past its first chunk and shrinking ---- */

static void part_grow(struct fixture *f, unsigned trials, uint64_t base)
{
	unsigned i, f0 = failed;

	for (i = 0; i < trials; i++)
		big_trial(f, "--grow", base + i, 0);
	printf("%s grow: %u trials of a single-threaded workload of large "
	       "writes, cuts in I/Os 1..%" PRIu64 " (a round takes about %"
	       PRIu64 ")\n",
	       failed == f0 ? "ok  " : "FAIL", trials, f->span, f->ios);
}

static int setup_failed(struct fixture *f, const char *part, int rc)
{
	printf("FAIL %s setup: %s: %s\n", part, exo_strerror(rc), why);
	fixture_free(f);
	return 1;
}

int main(int argc, char **argv)
{
	const char *env = getenv("CRASH_TRIALS");
	unsigned trials = env ? (unsigned)strtoul(env, NULL, 10) : 200;
	uint64_t seed = 0, cut = 0, small = 0, grow = 0;
	struct fixture f;
	int i, rc, all;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cut") && i + 1 < argc)
			cut = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--small") && i + 1 < argc)
			small = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--grow") && i + 1 < argc)
			grow = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else {
			fprintf(stderr, "usage: crash_obj [--trials N] "
				"[--seed S | --grow S [--cut N]] [--small K] "
				"[-v]\n");
			return 2;
		}
	}
	all = !seed && !small && !grow;
	watchdog(TRIAL_SECS, "build/crash/crash_obj (setup)");
	if (all || small) {
		rc = fixture_small(&f, "crash-small", why, sizeof(why));
		if (rc < 0)
			return setup_failed(&f, "small", rc);
		part_small(&f, small);
		if (all)
			part_recovery(&f);
		fixture_free(&f);
	}
	if (all || seed) {
		watchdog(TRIAL_SECS, "build/crash/crash_obj (setup)");
		rc = fixture_big(&f, "crash-big", 1, why, sizeof(why));
		if (rc < 0)
			return setup_failed(&f, "random", rc);
		if (seed)
			big_trial(&f, "--seed", seed, cut);
		else
			part_random(&f, trials, 1);
		fixture_free(&f);
	}
	if (all || grow) {
		watchdog(TRIAL_SECS, "build/crash/crash_obj (setup)");
		rc = fixture_grow(&f, "crash-grow", 1, why, sizeof(why));
		if (rc < 0)
			return setup_failed(&f, "grow", rc);
		if (grow)
			big_trial(&f, "--grow", grow, cut);
		else
			part_grow(&f, (trials + 9) / 10, 1);
		fixture_free(&f);
	}
	watchdog(0, "");
	printf("crash_obj: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
