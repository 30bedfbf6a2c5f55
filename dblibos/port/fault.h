/*
 * fault.h: test controls of the fault port ("fault:NAME" disks).
 *
 * A fault disk is an in-memory disk that behaves like a drive with a
 * volatile write cache.  Tests create one here, attach to it through exo.h
 * as "fault:NAME", and use the calls below to cut its power, inject I/O
 * errors and look at or damage its media.  dblibos never includes this
 * header; only tests (and port/host.c, for exo_disk_format) do.  Names may
 * be given with or without the "fault:" prefix.
 *
 * The model.  A disk has media (the durable bytes) and a cache: the writes
 * that completed since the last flush, each with its data.  Reads see the
 * newest data, cache over media.  Asynchronous requests complete when
 * reaped, in a seeded random order (not submission order); a write's data
 * enters the cache when it completes.  A flush moves the whole cache to
 * the media when it completes.  The synchronous calls used by exokern/core
 * for the label and the ownership map go through the same cache, the same
 * I/O counter and the same error injection.  A zero is a write of zeros.
 *
 * I/O counting.  Every request that reaches a powered device counts as one
 * I/O when it starts (async: when submitted; a batch counts one per
 * request): reads, writes, flushes and zeros alike.  The count restarts at
 * 0 when a plan is set.  Requests of dead attachments (see below) are not
 * counted.
 *
 * Power cuts (fault_powercut, or a plan's cut_at_io).  The I/O that starts
 * at a plan's cut fails and is not performed.  The media then keeps
 * everything flushed, plus, for each unflushed write, each 512-byte sector
 * independently with persist_pct percent chance, drawn from a PRNG seeded
 * with the cut's seed.  The unflushed writes are taken in order: first the
 * completed ones in the order they completed (the order reads saw them),
 * then those still in flight in submission order.  That gives dropped
 * writes, reordered writes (a later one kept, an earlier one lost) and torn
 * writes (some sectors of a block kept).  Where unflushed writes overlap, a
 * later persisted sector wins over an earlier one, and a dropped one leaves
 * what was there.  Every attachment open at the cut is dead: its requests
 * in flight complete with EXO_EIO, and its later calls fail with EXO_EIO
 * (a submit starts nothing).  The disk itself is powered on again at once:
 * a new attachment (exo_attach after the dead handles are detached) sees
 * the post-cut media and works normally.
 *
 * Injected errors (a plan's eio_at_io).  The failing I/O is not performed
 * (a failed write changes nothing, a failed flush moves nothing) and
 * returns EXO_EIO, or completes with it when asynchronous.  With
 * eio_sticky every later I/O fails too, until the next plan is set.
 *
 * Determinism: the same plan, seeds and single-threaded workload give the
 * same media, byte for byte.
 *
 * Typical use:
 *   exo_disk_format("fault:d", 256 * 4096);   creates the disk too
 *   ... exo_attach with .disk = "fault:d", write, flush ...
 *   struct fault_plan p = FAULT_PLAN_INIT;
 *   p.seed = 7; p.cut_at_io = 5;
 *   fault_set_plan("d", &p);
 *   ... more work: the 5th I/O cuts the power, calls start to fail ...
 *   exo_detach(e); exo_attach(...);       recovery sees the post-cut media
 *   fault_disk_destroy("d");
 *
 * Every call returns 0 (or a count) or a negative EXO_E* code: EXO_ENOENT
 * (no such disk), EXO_EINVAL (bad argument), EXO_ERANGE (blocks past the
 * end), EXO_ENOMEM.  The registry is process-global and thread-safe.
 */
#ifndef DBLIBOS_PORT_FAULT_H
#define DBLIBOS_PORT_FAULT_H

#include <exo/errno.h>
#include <exo/types.h>

#define FAULT_NAME_MAX   64        /* longest name, without "fault:" */
#define FAULT_MAX_BLOCKS (1u << 20) /* largest disk: 4 GiB */
#define FAULT_SECTOR     512u       /* unit of torn writes */

struct fault_plan {
	uint64_t seed;        /* orders async completions; seeds a plan cut */
	uint64_t cut_at_io;   /* power cut when the N-th I/O starts; 0 never */
	uint64_t eio_at_io;   /* the N-th I/O fails with EXO_EIO; 0 never */
	int eio_sticky;       /* and so does every I/O after it */
	unsigned persist_pct; /* at a cut, chance (0..100) that each unflushed
			       * sector reaches the media */
};

/* The plan of a new disk: no cut, no error, persist_pct 50.  Start from it:
 * a zeroed plan would persist nothing at a cut. */
#define FAULT_PLAN_INIT { .persist_pct = 50 }

/* Create an empty (zeroed) disk of nblocks 4 KiB blocks, 1..FAULT_MAX_BLOCKS.
 * EXO_EEXIST if the name is taken. */
int fault_disk_create(const char *name, uint64_t nblocks);

/* For exo_disk_format: make disk name exist with nblocks blocks.  Creates
 * it if missing; recreates it, zeroed, if it has another size (EXO_EBUSY if
 * it is attached); leaves it alone if it has that size.  nblocks 0 means
 * "whatever size it has" (EXO_ENOENT if missing). */
int fault_disk_ensure(const char *name, uint64_t nblocks);

/* Destroy a disk.  EXO_EBUSY while an attachment (live or dead) is open. */
int fault_disk_destroy(const char *name);

/* Install a plan (copied): restart the I/O count, clear a sticky error,
 * reseed the completion order.  EXO_EINVAL if persist_pct > 100. */
int fault_set_plan(const char *name, const struct fault_plan *plan);

/* Cut the power now, persisting unflushed sectors as drawn from seed with
 * the current plan's persist_pct. */
int fault_powercut(const char *name, uint64_t seed);

/* I/Os started since the plan was set. */
int64_t fault_io_count(const char *name);

/* Unflushed writes: completed since the last flush (in the cache). */
int64_t fault_unflushed_count(const char *name);

/* Read or overwrite blocks of the media directly, without counting, plans
 * or the cache.  Reads through the device still see unflushed writes over
 * what write_raw stored. */
int fault_disk_read_raw(const char *name, exo_bno bno, uint64_t n,
			void *buf);
int fault_disk_write_raw(const char *name, exo_bno bno, uint64_t n,
			 const void *buf);

#endif
