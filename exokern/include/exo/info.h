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
};

EXO_STATIC_ASSERT(sizeof(struct exo_info) <= EXO_PAGE_SIZE,
		  "the info page fits in one page");

#endif
