/*
 * exo/syscall.h: system calls of exokern.
 *
 * A user program puts the number in rax and up to six arguments in rdi,
 * rsi, rdx, r10, r8, r9, then executes `syscall`; rcx and r11 are
 * clobbered.  The result comes back in rax: 0 or positive on success, a
 * negative EXO_E* code on failure.  An undefined number is EXO_ENOSYS; a
 * pointer that is not mapped user memory (writable, when the kernel writes
 * through it) is EXO_EFAULT; a count out of its bounds is EXO_EINVAL.
 *
 * Pages: page_alloc(hint, n, &ppn) gives n physically contiguous pages,
 * at hint when that run is free, else the first free run, zero-filled.
 * The caller owns them; page_map(ppn, va, n, flags) maps its own pages
 * ppn.. at the page-aligned user address va.. (EXO_EEXIST if an address
 * or a page is already mapped: a page has at most one mapping), and
 * page_unmap(va, n) removes such mappings (EXO_EINVAL for anything else,
 * such as the program image, the stack or the info page).  page_free
 * unmaps, then frees.  The info page (exo/info.h) is mapped read-only at
 * the address SYS_info returns; it also carries revocation requests.
 */
#ifndef EXO_SYSCALL_H
#define EXO_SYSCALL_H

enum {
	SYS_cputs = 1,    /* (const char *s, size_t len): len */
	SYS_yield,        /* () */
	SYS_exit,         /* (int status): does not return */
	SYS_page_alloc,   /* (exo_ppn hint, uint64_t n, exo_ppn *out) */
	SYS_page_free,    /* (exo_ppn ppn, uint64_t n) */
	SYS_page_map,     /* (exo_ppn ppn, void *va, uint64_t n, int flags) */
	SYS_page_unmap,   /* (void *va, uint64_t n) */
	SYS_info,         /* (): the user address of the info page */
	SYS_disk_attach,  /* (const void *cap, size_t len, int flags) */
	SYS_block_alloc,  /* (exo_bno hint, uint64_t n, exo_bno *out) */
	SYS_block_free,   /* (exo_bno bno, uint64_t n) */
	SYS_block_extents, /* (struct exo_extent *buf, size_t max) */
	SYS_root_get,     /* (exo_bno *out) */
	SYS_root_set,     /* (exo_bno bno) */
	SYS_io_submit,    /* (const struct exo_ioreq *reqs, unsigned n) */
	SYS_io_reap,      /* (struct exo_iocomp *c, unsigned max,
			     unsigned min) */
	SYS_time,         /* (): monotonic nanoseconds since boot */
	SYS_NCALLS
};

#define EXO_MAP_W        0x1    /* page_map flag: writable */
#define EXO_SYS_MAXPAGES 1024   /* most pages one page call takes */
#define EXO_CPUTS_MAX    65536  /* longest SYS_cputs */

#endif
