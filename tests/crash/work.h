/*
 * work.h: the crash tests' workload on objects, its history and its model.
 *
 * A workload runs on a store on a fault disk: nthreads threads, each
 * committing nbatches transactions ("batches").  A batch touches one to
 * three objects (the thread's own, or ones shared by every thread): it
 * creates them when missing, writes whole or partial blocks, truncates
 * (growing or shrinking) or deletes.  Every byte a batch writes is a
 * function of (batch, object, offset), and each object block that a write
 * covers starts with a stamp naming the batch, its thread and the block,
 * so a read tells which batch wrote what it returns.
 *
 * The history.  Writers are serialized by the store (dtx_begin takes the
 * writer mutex until the commit's install), so a batch numbered just
 * after dtx_begin returns is numbered in log order.  Each batch keeps its
 * ops and its fate: acknowledged (dtx_commit returned 0), maybe (the
 * commit failed after the record may have reached the log), or void
 * (aborted, or a commit error that leaves nothing in the log, or a batch
 * that changed nothing: its commit appends no record and does not wait
 * for the log, so it acknowledges nothing about the batches before it).
 *
 * The check (wl_verify).  After a power cut and recovery, the store must
 * hold exactly the state after batches 1..G for some G at least the last
 * acknowledged batch: every acknowledged commit present, and no other
 * batch partly present (a recovered log is a prefix of the history).  The
 * state compared is every object's existence, size and bytes (read back
 * whole); store_check must pass too.  The model replays the history into
 * byte arrays, checking each op's precondition (a create needs the object
 * absent), so a store whose transactions saw a state the history cannot
 * explain is caught as well.
 *
 *   struct wl w;  wl_init(&w, &params);
 *   wl_round(&w, 1, disk, &opts, &errs);    run it (errors are expected
 *                                           after a cut)
 *   wl_verify(&w, disk, &opts, why, sizeof why) >= 0   recovered state ok
 *   wl_settle(&w, G);                       forget batches past G
 *   wl_free(&w);
 *
 * The media helpers save, restore and damage fault disks.
 */
#ifndef CRASH_WORK_H
#define CRASH_WORK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "obj.h"
#include "port/fault.h"
#include "store.h"

#define WL_CAP     "crash-test"
#define WL_CAPLEN  10
#define WL_MAXOBJ  40
#define WL_MAXOPS  8
#define WL_NAMELEN 160

enum wl_kind { WL_CREATE, WL_DELETE, WL_WRITE, WL_TRUNC };
enum wl_fate { WL_VOID, WL_PENDING, WL_ACKED, WL_MAYBE };

struct wl_op {
	uint8_t kind; /* enum wl_kind */
	uint8_t obj;  /* object index */
	uint64_t off; /* write: offset; trunc: the new size */
	uint64_t len; /* write: bytes */
};

struct wl_batch {
	unsigned thread;
	int fate; /* enum wl_fate */
	unsigned nops;
	struct wl_op ops[WL_MAXOPS];
};

struct wl_params {
	unsigned nthreads;
	unsigned nbatches;   /* per thread and round */
	unsigned nprivate;   /* objects of each thread */
	unsigned nshared;    /* objects every thread writes */
	unsigned maxblocks;  /* largest object, in OBJ_BLOCK_DATA blocks */
	unsigned maxwrite;   /* longest aligned write, in blocks (0: 3) */
	int phased;          /* the first half of a round's batches only
			      * write, the second half truncates and
			      * deletes */
	unsigned ckpt_every; /* thread 0 checkpoints after every k batches */
	uint64_t seed;
};

struct wl {
	struct wl_params p;
	unsigned nobj;
	char names[WL_MAXOBJ][WL_NAMELEN];
	uint64_t maxbytes;
	struct wl_batch *b; /* batch g is b[g - 1] */
	size_t n, cap;
	pthread_mutex_t lock;
	struct store *s;    /* while a round runs */
	int bad;            /* first error other than EXO_EIO: a bug */
	char bad_what[128];
};

void wl_init(struct wl *w, const struct wl_params *p);
void wl_free(struct wl *w);

/* Open the store, run every thread's batches, close it.  The choices of
 * thread i depend on (seed, round, i) only (and on the store's state).
 * Returns the first error anything returned (0 if none; after a cut or an
 * injected error there should be one); *calls counts the API calls that
 * failed. */
int wl_round(struct wl *w, unsigned round, const char *disk,
	     const struct store_opts *o, unsigned *calls);

/* Open the store (no faults), compare it with the history and run
 * store_check.  Returns G (the matching prefix, >= 0) or -1 with the
 * reason in why. */
long wl_verify(struct wl *w, const char *disk, const struct store_opts *o,
	       char *why, size_t whylen);

/* The same after a bit flip in block flipped: each call may instead fail
 * with EXO_ECORRUPT naming that block (store_bad_block, store_opts.bad);
 * *detected counts them.  An object that fails so is left out of the
 * comparison.  WL_REFUSED: store_open refused for that block. */
#define WL_REFUSED (-2)
long wl_verify_flip(struct wl *w, const char *disk,
		    const struct store_opts *o, exo_bno flipped,
		    unsigned *detected, char *why, size_t whylen);

/* After wl_verify matched G: batches up to G are in the store, later ones
 * are lost. */
void wl_settle(struct wl *w, long g);

/* Print the history, one batch a line (for failures). */
void wl_dump(const struct wl *w, FILE *out);

/* The last acknowledged batch (0: none). */
size_t wl_last_acked(const struct wl *w);

/* Truncate the history to its first n batches (to rerun from a saved
 * disk). */
void wl_truncate(struct wl *w, size_t n);

/* The bytes a batch writes: gen fills buf with object obj's bytes
 * [off, off+len) as batch g of thread th wrote them. */
void wl_gen(uint8_t *buf, uint64_t g, unsigned th, unsigned obj,
	    uint64_t off, size_t len);

/* ---- fixtures: a store on a fault disk and a saved image of it ---- */

struct fixture {
	char name[32];      /* the fault disk */
	char disk[48];      /* "fault:" name */
	uint64_t nblocks;
	struct store_opts o;
	struct wl w;
	uint8_t *media;     /* the disk after setup */
	size_t n0;          /* batches of the setup */
	uint64_t ios;       /* I/Os of a first round without faults */
	uint64_t span;      /* faults strike in I/Os 1..span (fixed, so
			     * that a seed names the same run) */
};

/* small: one thread, eight batches a round, three objects; its setup
 * runs and checks one round, so the store has objects.  big: four
 * threads, six batches each a round, fourteen objects, a log small enough
 * for background checkpoints; its setup leaves an empty store and
 * measures the I/Os of a first round.  0 or an error (why set). */
int fixture_small(struct fixture *f, const char *name, char *why,
		  size_t whylen);
int fixture_big(struct fixture *f, const char *name, uint64_t seed,
		char *why, size_t whylen);
/* grow: one thread writing four objects of up to 6 MiB in writes of up
 * to 120 blocks, then truncating and deleting them (phased), on a 32 MiB
 * disk: the store grows past its first chunk and gives chunks back.
 * Like big, an empty store and the I/Os of a first round. */
int fixture_grow(struct fixture *f, const char *name, uint64_t seed,
		 char *why, size_t whylen);
/* Back to the saved image and the setup's history. */
int fixture_reset(struct fixture *f);
void fixture_free(struct fixture *f);

/* ---- fault disks ---- */

/* Create disk NAME (nblocks), format it, create an empty store with o,
 * close it; its path ("fault:NAME") goes to path. */
int disk_setup(const char *name, uint64_t nblocks,
	       const struct store_opts *o, char *path, size_t pathlen);
/* The whole media (malloc'd), and back (the disk recreated, no cache). */
uint8_t *media_save(const char *name, uint64_t nblocks);
int media_restore(const char *name, const uint8_t *m, uint64_t nblocks);
/* Flip bit `bit` (0..32767) of block bno on the media. */
int media_flip(const char *name, exo_bno bno, unsigned bit);

/* Plans: a cut at I/O n, an injected error at I/O n, or nothing. */
int plan_cut(const char *name, uint64_t n, uint64_t seed, unsigned pct);
int plan_eio(const char *name, uint64_t n, uint64_t seed, int sticky);
int plan_none(const char *name);

/* Arm the watchdog: unless re-armed within secs (0: disarm), print
 * "TIMEOUT: " what (say, how to replay the run) and exit with status 2. */
void watchdog(unsigned secs, const char *what);

/* A small PRNG (splitmix64). */
uint64_t rnd_next(uint64_t *state);
uint64_t rnd_below(uint64_t *state, uint64_t n);

#endif
