/*
 * balloc.h: the block allocator of a store.
 *
 * The kernel grants the store runs of blocks (exo_block_alloc); balloc
 * sub-allocates blocks inside them.  Each granted run is a chunk of at
 * most BALLOC_CHUNK_MAX blocks whose first block is its bitmap page: bit i
 * of the bytes [CACHE_HDR, 4096) says whether block start+i is allocated
 * (bit 0, the bitmap page itself, always is).  The chunks are listed in
 * the chunk directory, a chain of pages from the superblock's balloc_root:
 *
 *   struct bdir_hdr  (magic, next page or EXO_BNO_NONE)
 *   struct bdir_ent  [BDIR_NENT]  a chunk, or all zero (a free slot)
 *
 * Every change to bitmaps and directory goes through the transaction
 * (dtx_page), so it is logged and atomic with the transaction that
 * allocates or frees: a crash keeps the allocator consistent with what
 * the log says points at the blocks.
 *
 *   balloc_alloc(t, hint, n, &bno)  n contiguous blocks, first fit from
 *       hint (locality); grows the store by a new chunk (asking the kernel
 *       for a run just after the last chunk, 8 MiB growing to 64 MiB) when
 *       no chunk has room; EXO_ENOSPC when the kernel has no more (the
 *       transaction can still be aborted or committed).
 *   balloc_free(t, bno, n)  the blocks become free when t commits: until
 *       then the committed state still points at them, so nobody (not
 *       even t) gets them; their cached frames are forgotten at commit.
 *       A chunk left entirely free by a commit leaves the directory and
 *       goes back to the kernel once the commit is durable.
 *
 * Crash consistency with the kernel (store.c, at open): blocks the owner
 * has but that neither the superblock, the log nor the directory accounts
 * for (a crash between exo_block_alloc and the commit, or before a freed
 * chunk was given back) are given back; a chunk the owner does not have
 * is EXO_ECORRUPT.
 *
 * Locking: balloc_alloc/free run in the transaction (under the writer
 * mutex); the committed chunk table changes only at install.
 */
#ifndef DBLIBOS_BALLOC_H
#define DBLIBOS_BALLOC_H

#include "store.h"

#define BALLOC_CHUNK_MAX ((EXO_BLOCK_SIZE - CACHE_HDR) * 8) /* 32640 */
#define BALLOC_GROW_MIN  2048  /* first chunk: 8 MiB */
#define BALLOC_GROW_MAX  16384 /* chunks grow to 64 MiB */

#define BDIR_MAGIC 0x52494442u /* "BDIR" */

struct bdir_hdr {
	uint32_t magic; /* BDIR_MAGIC */
	uint32_t _pad;  /* 0 */
	exo_bno  next;  /* next directory page, or EXO_BNO_NONE */
};

struct bdir_ent {
	exo_bno  start;   /* first block (the bitmap page); 0: free slot */
	uint32_t nblocks; /* 2..BALLOC_CHUNK_MAX */
	uint32_t _pad;    /* 0 */
};

#define BDIR_NENT ((EXO_BLOCK_SIZE - CACHE_HDR - sizeof(struct bdir_hdr)) / \
		   sizeof(struct bdir_ent))

struct balloc;

struct balloc_stats {
	uint64_t chunks;
	uint64_t blocks; /* in all chunks */
	uint64_t free;   /* of those, free */
};

/* Inside the transaction that creates a store: the first chunk and the
 * directory root page; *root is the directory's first page. */
int balloc_format(struct dtx *t, exo_bno *root);

/* Load the committed directory and bitmaps (after recovery); root
 * EXO_BNO_NONE gives an empty allocator (store_create, before
 * balloc_format).  EXO_ECORRUPT (a bad page, named through
 * store_set_bad), EXO_EIO, EXO_ENOMEM. */
int balloc_open(struct store *s, exo_bno root, struct balloc **out);
void balloc_close(struct balloc *b);

int balloc_alloc(struct dtx *t, exo_bno hint, uint64_t n, exo_bno *out);
int balloc_free(struct dtx *t, exo_bno bno, uint64_t n);

/* 0 if t may write block bno: allocated in a chunk (as t sees it) and not
 * being freed by t; EXO_EINVAL otherwise.  dtx_page's check. */
int balloc_writable(struct dtx *t, exo_bno bno);

/* The committed chunks, ascending: i < n; 0 or EXO_ERANGE. */
size_t balloc_nchunks(const struct balloc *b);
int balloc_chunk(const struct balloc *b, size_t i, struct exo_extent *out);
void balloc_get_stats(const struct balloc *b, struct balloc_stats *st);

/* Pure checks of on-disk pages (whole 4 KiB blocks), for fuzzing:
 * 0 or EXO_ECORRUPT (EXO_EINVAL for a bad len). */
int balloc_check_dirpage(const void *blk, size_t len);
int balloc_check_bitmap(const void *blk, size_t len, uint32_t nblocks);

/* 1 if block bno is allocated in the committed state, 0 if not (or not
 * in a chunk), or an error reading its bitmap. */
int balloc_is_allocated(struct balloc *b, exo_bno bno);

/* store_check's bookkeeping: begin checks the directory and bitmaps and
 * marks their own pages; store_check_mark marks more (EXO_ECORRUPT for a
 * block outside the chunks, free, or marked twice); end, with compare,
 * finds allocated blocks nobody marked (EXO_ECORRUPT), and frees c.  The
 * first bad block goes to store_set_bad. */
int balloc_check_begin(struct store *s, struct store_checker **out);
int balloc_check_end(struct store_checker *c, int compare);
/* 1 if [bno, bno+n) overlaps a committed chunk. */
int balloc_overlaps(const struct balloc *b, exo_bno bno, uint64_t n);

#endif
