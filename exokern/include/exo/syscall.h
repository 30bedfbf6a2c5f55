/*
 * exo/syscall.h: system-call numbers of exokern.
 *
 * A user program puts the number in rax and up to six arguments in rdi,
 * rsi, rdx, r10, r8, r9, then executes `syscall`.  The result comes back in
 * rax: 0 or positive on success, a negative EXO_E* code on failure.
 */
#ifndef EXO_SYSCALL_H
#define EXO_SYSCALL_H

enum {
	SYS_cputs = 1,    /* (const char *s, size_t len) */
	SYS_yield,        /* () */
	SYS_exit,         /* (int status) */
	SYS_page_alloc,   /* (exo_ppn hint, uint64_t n, exo_ppn *out) */
	SYS_page_free,    /* (exo_ppn ppn, uint64_t n) */
	SYS_page_map,     /* (exo_ppn ppn, void *va, int writable) */
	SYS_page_unmap,   /* (void *va) */
	SYS_info,         /* (): returns the user address of the info page */
	SYS_disk_attach,  /* (const void *cap, size_t len, int flags) */
	SYS_block_alloc,  /* (exo_bno hint, uint64_t n, exo_bno *out) */
	SYS_block_free,   /* (exo_bno bno, uint64_t n) */
	SYS_block_extents, /* (struct exo_extent *buf, size_t max) */
	SYS_root_get,     /* (exo_bno *out) */
	SYS_root_set,     /* (exo_bno bno) */
	SYS_io_submit,    /* (const struct exo_ioreq *reqs, unsigned n) */
	SYS_io_reap,      /* (struct exo_iocomp *c, unsigned max, unsigned min) */
	SYS_time,         /* (): monotonic nanoseconds */
	SYS_NCALLS
};

#endif
