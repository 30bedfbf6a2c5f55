/*
 * sysdisk.c: the disk system calls (see exo/syscall.h).
 *
 * Each handler checks its arguments (pointers mapped in the caller's
 * address space, writable for output, before anything changes; counts
 * within bounds), then leaves the decision to core through disk.c: the
 * caller's owner must own every block, its env id every page.  Ownership
 * changes (block_alloc, block_free, root_set, attach with create) are
 * durable when they return, because core flushes the map before it
 * returns.
 *
 * Every call but attach is EXO_EDETACHED until the caller has attached.
 * io_reap waits by putting the environment to sleep (ENV_IOWAIT); the
 * completion that makes enough reapable finishes the call for it
 * (sys_io_reap_wake, from disk.c): the arguments are checked anew, the
 * completions copied out, and the environment resumes after its
 * `syscall` with the result, having entered the kernel once.
 */
#include <exo/syscall.h>

#include "disk.h"
#include "env.h"
#include "kern.h"
#include "pmem.h"
#include "sys.h"

static struct exo_ioreq batch[EXO_IO_DEPTH]; /* io_submit's copy */

int64_t sys_disk_attach(struct env *e)
{
	uint64_t len = sysarg(e, 1), flags = sysarg(e, 2), va;
	uint8_t cap[EXO_CAP_MAX];
	int r;

	if (len == 0 || len > EXO_CAP_MAX ||
	    (flags & ~(uint64_t)EXO_DISK_CREATE))
		return EXO_EINVAL;
	if ((r = sysarg_ptr(e, 0, len, 0, &va)))
		return r;
	as_copyin(&e->as, cap, va, len);
	return disk_attach(e, cap, len, flags & EXO_DISK_CREATE);
}

int64_t sys_block_alloc(struct env *e)
{
	struct disk_att *a = disk_att(e);
	uint64_t out;
	exo_bno bno;
	int r;

	if (!a)
		return EXO_EDETACHED;
	if ((r = sysarg_ptr(e, 2, sizeof(bno), 1, &out)))
		return r;
	r = core_block_alloc(disk_core(), a->owner, sysarg(e, 0), sysarg(e, 1),
			     &bno);
	disk_info_refresh(e);
	return r ? r : as_copyout(&e->as, out, &bno, sizeof(bno));
}

int64_t sys_block_free(struct env *e)
{
	struct disk_att *a = disk_att(e);
	exo_bno bno = sysarg(e, 0);
	uint64_t n = sysarg(e, 1);
	int r;

	if (!a)
		return EXO_EDETACHED;
	r = core_inflight_busy(&a->inflight, bno, n, 0, 0);
	if (!r)
		r = core_block_free(disk_core(), a->owner, bno, n);
	disk_info_refresh(e);
	return r;
}

/* Copies the first k extents through a kernel buffer. */
int64_t sys_block_extents(struct env *e)
{
	struct disk_att *a = disk_att(e);
	uint64_t max = sysarg(e, 1), va, k, bytes, npg;
	struct exo_extent *buf;
	int64_t total;
	int r;

	if (!a)
		return EXO_EDETACHED;
	total = core_block_extents(disk_core(), a->owner, NULL, 0);
	k = max < (uint64_t)total ? max : (uint64_t)total;
	if (total <= 0 || k == 0)
		return total;
	bytes = k * sizeof(*buf);
	if ((r = sysarg_ptr(e, 0, bytes, 1, &va)))
		return r;
	npg = PGROUNDUP(bytes) / PAGE_SIZE;
	buf = pmem_run_alloc(npg);
	if (!buf)
		return EXO_ENOMEM;
	core_block_extents(disk_core(), a->owner, buf, k);
	r = as_copyout(&e->as, va, buf, bytes);
	pmem_run_free(buf, npg);
	return r ? r : total;
}

int64_t sys_root_get(struct env *e)
{
	struct disk_att *a = disk_att(e);
	uint64_t out;
	exo_bno bno;
	int r;

	if (!a)
		return EXO_EDETACHED;
	if ((r = sysarg_ptr(e, 0, sizeof(bno), 1, &out)) ||
	    (r = core_root_get(disk_core(), a->owner, &bno)))
		return r;
	return as_copyout(&e->as, out, &bno, sizeof(bno));
}

int64_t sys_root_set(struct env *e)
{
	struct disk_att *a = disk_att(e);

	if (!a)
		return EXO_EDETACHED;
	return core_root_set(disk_core(), a->owner, sysarg(e, 0));
}

int64_t sys_io_submit(struct env *e)
{
	struct disk_att *a = disk_att(e);
	uint64_t n = sysarg(e, 1), va;
	int r;

	if (!a)
		return EXO_EDETACHED;
	if (n == 0 || n > EXO_IO_MAXBATCH)
		return EXO_EINVAL;
	if (n > EXO_IO_DEPTH)
		return EXO_EAGAIN; /* more than may ever be in flight */
	if ((r = sysarg_ptr(e, 0, n * sizeof(batch[0]), 0, &va)))
		return r;
	as_copyin(&e->as, batch, va, n * sizeof(batch[0]));
	return disk_submit(a, batch, (uint32_t)n);
}

/* io_reap's checks and copy; *wait instead when fewer than min
 * completions are there (a->wait is then min). */
static int64_t io_reap_try(struct env *e, int *wait)
{
	struct disk_att *a = disk_att(e);
	uint64_t max = sysarg(e, 1), min = sysarg(e, 2), va = 0;
	int r;

	if (!a)
		return EXO_EDETACHED;
	if (min > max)
		return EXO_EINVAL;
	if (max > EXO_IORING_N)
		max = EXO_IORING_N; /* never more are waiting */
	if (max &&
	    (r = sysarg_ptr(e, 0, max * sizeof(struct exo_iocomp), 1, &va)))
		return r;
	disk_tail_sync(a);
	if (!disk_reapable(a, min)) {
		a->wait = min;
		*wait = 1;
		return 0;
	}
	return (int64_t)disk_reap(a, va, max);
}

int64_t sys_io_reap(struct env *e)
{
	int wait = 0;
	int64_t r = io_reap_try(e, &wait);

	if (wait) { /* sleep; sys_io_reap_wake returns for us */
		e->state = ENV_IOWAIT;
		sched();
	}
	return r;
}

void sys_io_reap_wake(struct env *e)
{
	int wait = 0;
	int64_t r = io_reap_try(e, &wait);

	if (wait)
		return; /* not reached: the caller saw min reapable */
	e->tf.rax = (uint64_t)r;
	e->state = ENV_RUNNABLE;
}

int64_t sys_io_ring(struct env *e)
{
	struct disk_att *a = disk_att(e);
	uint64_t va;
	int r;

	if (!a)
		return EXO_EDETACHED;
	if ((r = sysarg_ptr(e, 0, sizeof(a->tail), 1, &va)))
		return r;
	if (va % sizeof(a->tail))
		return EXO_EINVAL;
	disk_tail_sync(a); /* what the old counter says is consumed */
	a->tailp = va;
	as_copyout(&e->as, va, &a->tail, sizeof(a->tail));
	return UIORING;
}
