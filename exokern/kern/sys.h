/*
 * sys.h: the system-call handlers and their argument fetchers, shared by
 * syscall.c (dispatch and the small calls), syspage.c (pages) and
 * sysdisk.c (the disk).
 *
 * A handler takes the calling environment, whose saved registers hold the
 * arguments, and returns the value for rax.  Fetchers check before the
 * handler acts: sysarg_ptr accepts only a user range that is mapped (and
 * writable, for output); sysarg_count only 1..max.
 */
#ifndef EXOKERN_SYS_H
#define EXOKERN_SYS_H

#include <stdint.h>

struct env;

uint64_t sysarg(const struct env *e, int n);
int sysarg_ptr(struct env *e, int n, uint64_t len, int write,
	       uint64_t *va);
int sysarg_count(const struct env *e, int n, uint64_t max, uint64_t *count);

int64_t sys_page_alloc(struct env *e);
int64_t sys_page_free(struct env *e);
int64_t sys_page_map(struct env *e);
int64_t sys_page_unmap(struct env *e);

int64_t sys_disk_attach(struct env *e);
int64_t sys_block_alloc(struct env *e);
int64_t sys_block_free(struct env *e);
int64_t sys_block_extents(struct env *e);
int64_t sys_root_get(struct env *e);
int64_t sys_root_set(struct env *e);
int64_t sys_io_submit(struct env *e);
int64_t sys_io_reap(struct env *e);
/* Finish e's io_reap, asleep until now, when min completions are there
 * (disk.c calls it as they arrive; e is not running). */
void sys_io_reap_wake(struct env *e);
int64_t sys_io_ring(struct env *e);

#endif
