/*
 * exo.h: the exo interface, the only way dblibos reaches the machine.
 *
 * The exokernel exports raw disk blocks and physical pages by their
 * physical names and checks ownership on every use; everything else (cache,
 * allocation policy, logging) is the libOS's.  Three ports implement this
 * header, chosen when the program is linked or the disk named:
 *
 *   port/exokern.c  bare metal: system calls into exokern
 *   port/host.c     hosted on Linux, over a device:
 *     port/linux.c    an image file or block device, O_DIRECT, with
 *                     io_uring (default), libaio or psync
 *     port/fault.c    an in-memory disk with a volatile write cache, power
 *                     cuts and injected errors, for tests ("fault:NAME")
 *
 * Nothing above this header knows which port runs.  Units are 4 KiB pages
 * and 4 KiB blocks.  Every call returns 0 (or a count) on success and a
 * negative EXO_E* code on failure; results come back through the last
 * pointer argument.  exo_strerror() names a code.  The hosted port is
 * thread-safe: any thread may call anything.
 *
 * Typical use:
 *   struct exo_attach_opts o = { .disk = "var/disk.img", .cap = "secret",
 *                                .cap_len = 6, .flags = EXO_ATTACH_CREATE };
 *   exo_attach(&o, &e);
 *   exo_block_alloc(e, 0, 1, &bno);         exo_page_alloc(e, 0, 1, &ppn);
 *   memcpy(exo_page_addr(e, ppn), data, 4096);
 *   struct exo_ioreq r = { .op = EXO_OP_WRITE, .n = 1, .bno = bno,
 *                          .ppn = ppn, .tag = 1 };
 *   exo_io_submit(e, &r, 1);                exo_io_reap(e, &c, 1, 1);
 *   r.op = EXO_OP_FLUSH; exo_io_submit(...); exo_io_reap(...);
 *   exo_detach(e);
 */
#ifndef DBLIBOS_EXO_H
#define DBLIBOS_EXO_H

#include <exo/disk.h>
#include <exo/errno.h>
#include <exo/info.h>
#include <exo/io.h>
#include <exo/types.h>

struct exo;

#define EXO_ATTACH_CREATE 0x1 /* an unknown capability becomes a new owner */

struct exo_attach_opts {
	const char *disk;    /* image file, block device, or "fault:NAME" */
	const void *cap;     /* the capability: 1..256 secret bytes */
	size_t cap_len;
	unsigned flags;      /* EXO_ATTACH_* */
	uint64_t npages;     /* hosted: pages in the arena (0: 16384, 64 MiB) */
	const char *io;      /* hosted: "io_uring" (default), "libaio", "psync" */
	uint32_t depth;      /* most requests in flight (0: 256) */
};

/* Attach to a disk with a capability.  EXO_ENOENT (no such disk, or unknown
 * capability without EXO_ATTACH_CREATE), EXO_EBUSY (attached by another
 * process), EXO_EBADDISK, EXO_ECORRUPT, EXO_EVERSION, EXO_EINVAL, EXO_ENOMEM,
 * EXO_EIO. */
int exo_attach(const struct exo_attach_opts *o, struct exo **out);

/* Wait for I/O in flight, release pages, unlock the disk, free e. */
int exo_detach(struct exo *e);

/* The read-only information page (exo/info.h), refreshed by each call. */
const struct exo_info *exo_info(struct exo *e);

/* Monotonic time in nanoseconds (virtual time on the fault port). */
uint64_t exo_time_ns(struct exo *e);

/* Pages.  alloc: n physically contiguous pages, at hint when free, else
 * the first free run (EXO_ENOMEM if none).  addr: where page ppn is mapped
 * in this address space, or NULL if the caller does not own it. */
int exo_page_alloc(struct exo *e, exo_ppn hint, uint64_t n, exo_ppn *out);
int exo_page_free(struct exo *e, exo_ppn ppn, uint64_t n);
void *exo_page_addr(struct exo *e, exo_ppn ppn);

/* Blocks.  alloc: n contiguous blocks at hint when free, else the nearest
 * free run after hint; the blocks read as zeros; the ownership change is
 * durable before return (EXO_ENOSPC, EXO_EMAPFULL, EXO_EIO).  free: the
 * caller must own them all (EXO_EPERM).  extents: copies up to max of the
 * caller's extents into buf, returns how many there are in all. */
int exo_block_alloc(struct exo *e, exo_bno hint, uint64_t n, exo_bno *out);
int exo_block_free(struct exo *e, exo_bno bno, uint64_t n);
int64_t exo_block_extents(struct exo *e, struct exo_extent *buf,
			  uint64_t max);

/* The owner's one root block (EXO_BNO_NONE when unset); set requires a
 * block the caller owns; durable before return. */
int exo_root_get(struct exo *e, exo_bno *out);
int exo_root_set(struct exo *e, exo_bno bno);

/* I/O (exo/io.h).  submit: checks the whole batch, then starts it all or
 * nothing; returns n.  reap: waits until at least min completions are
 * ready (min <= max), copies up to max, returns how many. */
int exo_io_submit(struct exo *e, const struct exo_ioreq *reqs, uint32_t n);
int exo_io_reap(struct exo *e, struct exo_iocomp *comps, uint32_t max,
		uint32_t min);

/* Revocation, hosted ports only (on exokern the kernel decides): ask this
 * attachment for npages back within deadline_ns from now, as the kernel
 * would.  Used by tests and by the benchmark's memory-pressure runs. */
int exo_revoke(struct exo *e, uint64_t npages, uint64_t deadline_ns);

const char *exo_strerror(int err);

/* ---- administration (hosted ports) ---- */

/* Format disk: an image file is created (or resized) to bytes and
 * preallocated; a block device is used whole (bytes 0) and zeroed.
 * Destroys what was on it. */
int exo_disk_format(const char *disk, uint64_t bytes);

struct exo_disk_owner {
	struct exo_map_owner owner;
	uint64_t nextents;
	struct exo_extent *extents; /* nextents of them */
};

struct exo_disk_info {
	struct exo_label label;
	uint64_t map_gen;  /* generation of the current map */
	int map_slot;      /* 0 or 1 */
	uint64_t blocks_free;
	uint64_t meta_blocks; /* label + both map slots */
	int nowners;
	struct exo_disk_owner owners[EXO_MAX_OWNERS];
};

/* Read a disk's label and map without attaching (works while another
 * process is attached: it reads the last durable map).  Free with
 * exo_disk_info_free. */
int exo_disk_info(const char *disk, struct exo_disk_info **out);
void exo_disk_info_free(struct exo_disk_info *info);

#endif
