/*
 * exo/types.h: the basic names of the exokernel ABI.
 *
 * Everything the kernel exports is named physically: a page by its
 * physical page number (exo_ppn), a disk block by its block number
 * (exo_bno).  Pages and blocks are both 4 KiB.  These headers are
 * freestanding: they include only <stdint.h> and <stddef.h>, so the
 * kernel, the hosted ports and user programs all compile them.
 */
#ifndef EXO_TYPES_H
#define EXO_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define EXO_PAGE_SIZE  4096u
#define EXO_BLOCK_SIZE 4096u
#define EXO_PAGE_SHIFT 12
#define EXO_CAP_MAX    256 /* longest capability, in bytes */

typedef uint64_t exo_ppn; /* physical page number */
typedef uint64_t exo_bno; /* disk block number */

#define EXO_BNO_NONE ((exo_bno)~0ull) /* "no block", e.g. an unset root */
#define EXO_PPN_NONE ((exo_ppn)~0ull)

/* A run of blocks [start, start + len). */
struct exo_extent {
	exo_bno  start;
	uint64_t len;
};

#ifdef __cplusplus
#define EXO_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define EXO_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#endif
