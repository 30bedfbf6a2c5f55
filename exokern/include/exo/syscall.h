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
 *
 * Disk (exo/io.h, exo/disk.h): disk_attach(cap, len, flags) makes the
 * caller the disk owner whose capability is cap (1..EXO_CAP_MAX bytes;
 * with EXO_DISK_CREATE an unknown capability becomes a new owner, else it
 * is EXO_ENOENT; EXO_EBUSY while another environment is attached as that
 * owner; EXO_EEXIST if the caller is attached already).  An environment is
 * one owner for its whole life.  Until it attaches, the other disk calls
 * are EXO_EDETACHED; with no usable disk, attach says why (EXO_ENOENT: no
 * disk; EXO_EBADDISK, EXO_ECORRUPT, ...: the disk would not open).
 * block_alloc, block_free, block_extents, root_get and root_set are the
 * core_block_* and core_root_* calls of exokern/core on the caller's
 * owner; ownership changes are durable when they return, and block_free
 * is EXO_EBUSY while a request in flight uses one of the blocks (page_free
 * likewise for pages).  block_extents returns how many extents the owner
 * has, copying up to max.
 *
 * io_submit(reqs, n) checks the whole batch (exo/io.h) and starts it:
 * n, or an error having started nothing.  EXO_EAGAIN when the caller
 * would have more than EXO_IO_DEPTH requests in flight, or more than
 * EXO_IORING_N requests submitted and their completions not yet consumed,
 * or when the device queue is full.  Completions go, in the order the
 * device finishes them, into the caller's completion ring (struct
 * exo_ioring), mapped read-only at the address io_ring returns.
 * io_reap(c, max, min) consumes completions from the ring into c: it
 * waits (other environments run) until min are there or nothing is left
 * in flight, then copies up to max; it returns how many it copied.
 *
 * The ring can also be read without a system call: io_ring(&tail)
 * registers a 64-bit counter in the caller's memory and returns the
 * ring's address.  Completion i (counting from 0) is at
 * comp[i % EXO_IORING_N] once head > i; the caller consumes by reading
 * entries from tail up to head and then storing the new tail.  The kernel
 * reads tail when it needs to (it ignores a value that goes backwards or
 * past head) and io_reap advances it.  io_ring may be called again with
 * another counter: the kernel takes the old counter's value, then writes
 * it into the new one.  A caller that says it consumed more than it read
 * only loses its own completions.
 */
#ifndef EXO_SYSCALL_H
#define EXO_SYSCALL_H

#include "io.h"

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
	SYS_io_ring,      /* (uint64_t *tail): the ring's user address */
	SYS_NCALLS
};

#define EXO_MAP_W        0x1    /* page_map flag: writable */
#define EXO_SYS_MAXPAGES 1024   /* most pages one page call takes */
#define EXO_CPUTS_MAX    65536  /* longest SYS_cputs */
#define EXO_DISK_CREATE  0x1    /* disk_attach flag: a new owner if unknown */
#define EXO_IO_DEPTH     64     /* most requests in flight per environment */
#define EXO_IORING_N     128    /* completions in a ring */

struct exo_ioring {
	uint64_t head; /* completions posted so far */
	uint32_t size; /* EXO_IORING_N */
	uint32_t _pad;
	uint64_t _reserved[6];
	struct exo_iocomp comp[EXO_IORING_N];
};

EXO_STATIC_ASSERT(sizeof(struct exo_ioring) <= EXO_PAGE_SIZE,
		  "the completion ring fits in one page");

#endif
