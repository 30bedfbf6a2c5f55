/*
 * core.h: exokern's protection logic, freestanding.
 *
 * This is the part of the kernel that decides who may touch what: the disk
 * label and ownership map, owners and their capabilities, root blocks,
 * physical page ownership, revocation bookkeeping, and the checking of
 * every I/O request.  It has no libc, allocates nothing itself and does no
 * I/O of its own: it reaches the disk through the synchronous callbacks of
 * struct core_dev and gets its memory from core_dev.alloc.  The kernel links
 * it, and so does the hosted port (dblibos/port/host.c), so both enforce
 * exactly the same rules, and the rules are unit-tested fast on Linux.
 *
 * Every function returns 0 (or a count) or a negative EXO_E* code; bad
 * arguments are an error, never a crash.  Not thread-safe: callers lock.
 */
#ifndef EXOKERN_CORE_H
#define EXOKERN_CORE_H

#include <exo/disk.h>
#include <exo/errno.h>
#include <exo/info.h>
#include <exo/io.h>
#include <exo/types.h>

/* ---- the device below the map: synchronous, used for label and map ---- */

struct core_dev {
	void *ctx;
	uint64_t nblocks; /* size of the device in blocks */
	int (*read)(void *ctx, exo_bno bno, uint32_t n, void *buf);
	int (*write)(void *ctx, exo_bno bno, uint32_t n, const void *buf);
	int (*flush)(void *ctx); /* make completed writes durable */
	/* Make [bno, bno+n) read as zeros (durable after the next flush). */
	int (*zero)(void *ctx, exo_bno bno, uint64_t n);
	/* Memory for core's tables; buffers used for I/O are 4 KiB aligned. */
	void *(*alloc)(void *ctx, size_t bytes);
	void (*free)(void *ctx, void *p, size_t bytes);
};

/* ---- disk label and ownership map ---- */

struct core_disk {
	const struct core_dev *dev;
	struct exo_label label;
	int slot;        /* slot (0 or 1) holding the current map */
	size_t map_size; /* bytes per slot = label.map_blocks * 4096 */
	void *cur;       /* current map image (header, owners, extents) */
	void *next;      /* scratch image for the next update */
	uint64_t nfree;  /* free blocks in the data area */
};

/* Write a fresh label and an empty map on dev (nblocks from dev).  Zeroes
 * the data area through dev->zero.  uuid may be NULL (then derived from
 * time and size). */
int core_disk_format(const struct core_dev *dev, const uint8_t uuid[16],
		     uint64_t now_sec);

/* Read the label and both map slots; keep the newest valid map.
 * EXO_EBADDISK, EXO_EVERSION, EXO_ECORRUPT, EXO_EIO, EXO_ENOMEM. */
int core_disk_open(struct core_disk *d, const struct core_dev *dev);
void core_disk_close(struct core_disk *d);

/* Owners.  Capability: any bytes, 1..EXO_CAP_MAX long; only its SHA-256 is
 * kept.  With create, an unknown capability becomes a new owner (persisted);
 * without, it is EXO_ENOENT. */
int core_owner_attach(struct core_disk *d, const void *cap, size_t len,
		      int create, uint32_t *owner);

/* Info about the i-th owner (0 <= i < count), for `exodb disk info`. */
int core_owner_count(const struct core_disk *d);
int core_owner_get(const struct core_disk *d, int i,
		   struct exo_map_owner *out);

/* Blocks.  alloc: n contiguous blocks at hint when free, else the nearest
 * free run of n after hint (wrapping); durable before return.  free: the
 * caller must own every block; they are zeroed, then freed durably. */
int core_block_alloc(struct core_disk *d, uint32_t owner, exo_bno hint,
		     uint64_t n, exo_bno *out);
int core_block_free(struct core_disk *d, uint32_t owner, exo_bno bno,
		    uint64_t n);
/* 0 if owner owns every block of [bno, bno+n); EXO_EPERM, EXO_ERANGE,
 * EXO_EINVAL otherwise.  O(log extents). */
int core_block_check(const struct core_disk *d, uint32_t owner, exo_bno bno,
		     uint64_t n);
/* Copies up to max of owner's extents (merged, ascending) into buf; returns
 * how many the owner has in all (may exceed max). */
int64_t core_block_extents(const struct core_disk *d, uint32_t owner,
			   struct exo_extent *buf, uint64_t max);
uint64_t core_blocks_owned(const struct core_disk *d, uint32_t owner);
uint64_t core_blocks_free(const struct core_disk *d);

/* One root block per owner: a block the owner owns, or EXO_BNO_NONE.
 * Freeing the root block unsets it. */
int core_root_get(const struct core_disk *d, uint32_t owner, exo_bno *out);
int core_root_set(struct core_disk *d, uint32_t owner, exo_bno bno);

/* ---- physical pages ---- */

#define CORE_PAGE_FREE   0u
#define CORE_PAGE_KERNEL 0xffffffffu /* reserved, never allocatable */

struct core_pages {
	uint64_t npages;
	uint64_t nfree;
	uint32_t *owner; /* owner[ppn]: CORE_PAGE_FREE, an env id, or KERNEL */
};

/* owner_array has npages entries; all pages start free. */
void core_pages_init(struct core_pages *p, uint32_t *owner_array,
		     uint64_t npages);
void core_pages_reserve(struct core_pages *p, exo_ppn ppn, uint64_t n);
/* n contiguous pages: at hint when free, else the first free run. */
int core_page_alloc(struct core_pages *p, uint32_t env, exo_ppn hint,
		    uint64_t n, exo_ppn *out);
int core_page_free(struct core_pages *p, uint32_t env, exo_ppn ppn,
		   uint64_t n);
int core_page_check(const struct core_pages *p, uint32_t env, exo_ppn ppn,
		    uint64_t n);
uint64_t core_pages_owned(const struct core_pages *p, uint32_t env);

/* ---- revocation (state lives in the env's info page) ---- */

/* Ask env (whose info page is info) for npages back by deadline_ns. */
void core_revoke_request(struct exo_info *info, uint64_t npages,
			 uint64_t deadline_ns);
/* Call after env freed n pages: lowers the pending count. */
void core_revoke_freed(struct exo_info *info, uint64_t n);
/* If the deadline has passed with pages still pending, take them: the
 * highest-numbered pages env owns are freed and appended to info's
 * repossession ring.  Returns how many were taken (the caller unmaps them). */
uint64_t core_revoke_expire(struct core_pages *p, uint32_t env,
			    struct exo_info *info, uint64_t now_ns);

/* ---- I/O request checking ---- */

/* The requests in flight for one attachment, to refuse overlaps. */
struct core_inflight {
	struct exo_ioreq *req; /* cap slots */
	uint8_t *used;         /* cap flags */
	uint32_t cap, n;
};

/* Check a whole batch against ownership (disk owner `owner`, page env
 * `env`), the disk and page ranges, each other and what is in flight.
 * Either every request is valid (returns 0) or none is accepted. */
int core_io_check(const struct core_disk *d, uint32_t owner,
		  const struct core_pages *p, uint32_t env,
		  const struct core_inflight *f, const struct exo_ioreq *reqs,
		  uint32_t n);
/* Record an accepted request; returns its slot (>= 0) or EXO_EAGAIN. */
int core_inflight_add(struct core_inflight *f, const struct exo_ioreq *r);
void core_inflight_done(struct core_inflight *f, uint32_t slot);
/* EXO_EBUSY if a request in flight uses a block of [bno, bno+nb) or a page
 * of [ppn, ppn+np) (a zero count skips that range): blocks and pages are
 * never freed under I/O, or a late DMA would reach their next owner. */
int core_inflight_busy(const struct core_inflight *f, exo_bno bno,
		       uint64_t nb, exo_ppn ppn, uint64_t np);

/* ---- utilities ---- */

const char *exo_strerror(int err); /* "EXO_NAME: text" */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
void sha256(const void *data, size_t len, uint8_t out[32]);

#endif
