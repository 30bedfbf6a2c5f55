/*
 * disk.h: the disk as exokern exports it (disk.c), for the system calls
 * (sysdisk.c) and the rest of the kernel.
 *
 * One virtio-blk disk, opened at boot through exokern/core (label and
 * ownership map, the same format as the Linux port).  An environment
 * attaches once, as one disk owner (struct disk_att); its requests then go
 * to the device with the physical addresses of its own pages.  The rest of
 * the kernel must call disk_env_exit before an environment's pages are
 * freed, disk_drain before any are repossessed, and refuse page_free on
 * pages under I/O (disk_pages_busy).
 */
#ifndef EXOKERN_DISK_H
#define EXOKERN_DISK_H

#include <exo/syscall.h>

#include "core.h"

struct env;

struct disk_att {
	struct env *env; /* NULL: the slot is free */
	uint32_t owner;	 /* disk owner id in core */
	struct core_inflight inflight;
	struct exo_ioreq req[EXO_IO_DEPTH]; /* inflight's slots */
	uint8_t used[EXO_IO_DEPTH];
	struct exo_ioring *ring; /* kernel address; the env sees UIORING */
	uint64_t head;		 /* completions posted */
	uint64_t tail;	/* completions consumed, as far as the kernel knows */
	uint64_t tailp; /* user address of the env's tail counter, or 0 */
	uint64_t wait;	/* io_reap sleeps until this many are posted */
};

void disk_init(void);
/* The open disk, or NULL (then disk_attach says why). */
struct core_disk *disk_core(void);

/* e's attachment, or NULL if e has not attached. */
struct disk_att *disk_att(const struct env *e);
int disk_attach(struct env *e, const void *cap, size_t len, int create);
/* Check the batch (already in kernel memory) and start it: n or an
 * error, having started nothing. */
int disk_submit(struct disk_att *a, const struct exo_ioreq *reqs, uint32_t n);
/* Take the env's tail counter into account (see exo/syscall.h). */
void disk_tail_sync(struct disk_att *a);
/* 1 if io_reap need not wait for min completions. */
int disk_reapable(const struct disk_att *a, uint64_t min);
/* Copy up to max posted completions to user address va (checked by the
 * caller), consume them; how many. */
uint64_t disk_reap(struct disk_att *a, uint64_t va, uint64_t max);

/* Wait until none of e's requests is in flight. */
void disk_drain(struct env *e);
/* Drain and detach e (it is exiting). */
void disk_env_exit(struct env *e);
/* EXO_EBUSY if a request of e in flight uses one of the pages. */
int disk_pages_busy(const struct env *e, exo_ppn ppn, uint64_t n);
/* The block counts on e's info page. */
void disk_info_refresh(struct env *e);

#endif
