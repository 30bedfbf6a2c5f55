/*
 * exo/info.h: the read-only information page.
 *
 * The kernel maps one of these, read-only, into every environment (the
 * hosted port keeps one per attachment).  It exposes what a libOS needs to
 * manage its own resources: free pages and blocks, I/O counters, time, and
 * revocation.
 *
 * Revocation: when the kernel wants pages back it sets revoke_pages (how
 * many pages it still wants) and revoke_deadline_ns, and bumps revoke_seq.
 * The libOS frees pages of its own choice (each free lowers revoke_pages).
 * If revoke_pages is still non-zero after the deadline, the kernel
 * repossesses that many pages itself (the abort protocol) and appends their
 * numbers to the repossession ring: page repo_count++ goes to
 * repo[repo_count % EXO_REPO_MAX].  A libOS compares repo_count with the
 * last value it saw to learn which of its pages are gone.
 *
 * The clock without a system call: time_ns is refreshed whenever the
 * kernel returns to the environment; between crossings a program reads
 * the TSC itself: ns = (rdtsc() - tsc_base) * tsc_ns_mult >> 32, the
 * product taken in 128 bits (tsc_ns_mult is nanoseconds per tick in 32.32
 * fixed point; both 0 where the port has no such clock).  The wall clock
 * is realtime_base_ns + time_ns: nanoseconds since 1970 (UTC) at time 0,
 * from the machine's real-time clock, 0 if unknown.  syscalls
 * counts the system calls this environment has made: its kernel
 * crossings, for measurements; run_ns is the processor time it has had,
 * the kernel's work after its traps included (both 0 on hosted ports).
 */
#ifndef EXO_INFO_H
#define EXO_INFO_H

#include "types.h"

#define EXO_INFO_MAGIC   0x4f464e494f584545ull /* "EEXOINFO" */
#define EXO_INFO_VERSION 1
#define EXO_REPO_MAX     256

struct exo_info {
	uint64_t magic;   /* EXO_INFO_MAGIC */
	uint32_t version; /* EXO_INFO_VERSION */
	uint32_t env_id;  /* the environment (or process) this page describes */
	uint64_t time_ns; /* monotonic clock at the last update */

	/* physical pages */
	uint64_t pages_total; /* pages the kernel (or arena) manages */
	uint64_t pages_free;  /* not owned by anyone */
	uint64_t pages_owned; /* owned by this environment */

	/* disk blocks of the attached disk (0 when none) */
	uint64_t blocks_total; /* whole disk */
	uint64_t blocks_free;  /* not owned by anyone */
	uint64_t blocks_owned; /* owned by this environment's disk owner */

	/* I/O counters of this environment */
	uint64_t io_reads, io_writes, io_flushes;
	uint64_t io_bytes_read, io_bytes_written;
	uint64_t io_errors;
	uint64_t io_inflight;

	/* scheduling */
	uint64_t slice_ns; /* length of one time slice (0 on hosted ports) */
	uint64_t slices;   /* time slices this environment has had */

	/* revocation (see above) */
	uint64_t revoke_seq;
	uint64_t revoke_pages;
	uint64_t revoke_deadline_ns;
	uint64_t repo_count;
	exo_ppn  repo[EXO_REPO_MAX];

	/* crossings, processor time and the user-level clock (see above) */
	uint64_t syscalls;
	uint64_t run_ns;
	uint64_t tsc_base;
	uint64_t tsc_ns_mult;
	uint64_t realtime_base_ns;
};

EXO_STATIC_ASSERT(sizeof(struct exo_info) <= EXO_PAGE_SIZE,
		  "the info page fits in one page");

#endif
