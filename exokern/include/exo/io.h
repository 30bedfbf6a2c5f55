/*
 * exo/io.h: asynchronous, batched block I/O.
 *
 * A libOS submits a batch of requests and later reaps completions.  A
 * request moves n blocks starting at block bno to or from the n physically
 * contiguous pages starting at page ppn, directly (DMA, or O_DIRECT on
 * Linux): no copy.  The caller must own every block and every page.
 *
 * A batch is checked whole before anything starts: if any request is bad
 * (unowned block or page, range past the end, zero or huge count, a write
 * overlapping another request's blocks, a read into pages another request
 * uses, whether in the batch or already in flight) the call returns the
 * error and submits nothing.
 *
 * FLUSH (bno, n and ppn ignored) completes once every write that had
 * completed before the FLUSH was submitted is durable.  Writes still in
 * flight when it is submitted are not covered: reap them first.
 */
#ifndef EXO_IO_H
#define EXO_IO_H

#include "types.h"

enum exo_op {
	EXO_OP_READ = 1,
	EXO_OP_WRITE = 2,
	EXO_OP_FLUSH = 3,
};

#define EXO_IO_MAXBLOCKS 256  /* most blocks one request moves (1 MiB) */
#define EXO_IO_MAXBATCH  1024 /* most requests one submit call takes */
#define EXO_IO_MAXDEPTH  1024 /* most requests in flight per attachment */

struct exo_ioreq {
	uint8_t  op;    /* enum exo_op */
	uint8_t  flags; /* must be 0 */
	uint16_t _pad;  /* must be 0 */
	uint32_t n;     /* blocks (and pages): 1..EXO_IO_MAXBLOCKS */
	exo_bno  bno;   /* first block */
	exo_ppn  ppn;   /* first of n contiguous pages */
	uint64_t tag;   /* the caller's; returned in the completion */
};

struct exo_iocomp {
	uint64_t tag; /* the request's tag */
	int32_t  res; /* 0, or a negative EXO_E* code (EXO_EIO) */
	uint32_t _pad;
};

EXO_STATIC_ASSERT(sizeof(struct exo_ioreq) == 32, "exo_ioreq is 32 bytes");
EXO_STATIC_ASSERT(sizeof(struct exo_iocomp) == 16, "exo_iocomp is 16 bytes");

#endif
