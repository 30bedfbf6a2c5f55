/*
 * linux.c: the hosted device for an image file or a block device.
 *
 * linuxdev_open() opens path with O_DIRECT and returns a struct hostdev
 * (host.h) whose data path is one of three engines:
 *
 *   io_uring  (default) the page arena is registered as fixed buffers:
 *             a sparse table of 2 MiB chunks, each registered (pinned) the
 *             first time a request uses it, so attaching a large arena
 *             costs nothing up front; requests use READ_FIXED and
 *             WRITE_FIXED (plain READ/WRITE if registration failed or a
 *             request straddles two chunks); FLUSH is a datasync FSYNC op.
 *   libaio    io_submit/io_getevents; FLUSH is IOCB_CMD_FDSYNC when the
 *             kernel takes it (probed at open), else fdatasync in submit.
 *   psync     pread/pwrite/fdatasync done synchronously inside submit.
 *
 * Every request in flight has a slot (given by host.c, below depth); the
 * slot remembers what is left to move, so a short transfer or an
 * EAGAIN/EINTR is resubmitted from where it stopped.  Any other device
 * error completes the request with EXO_EIO.
 *
 * Completions made in software (psync, requests that could not be started)
 * wait in a small queue; reap takes those first, then asks the kernel.
 * `kernel` counts requests the kernel holds: a reaper blocks in the kernel
 * only while it is positive, else on the queue's condition variable, so it
 * never sleeps waiting for a completion that cannot come.  host.c runs one
 * reaper at a time, possibly concurrently with one submitter; the io_uring
 * submission queue is guarded by sq_lock because reap resubmits too.
 *
 * The open takes a non-blocking exclusive flock (and O_EXCL for a block
 * device) so that one process at a time attaches; a shared open is
 * read-only and takes no lock.  The synchronous ops (for exokern/core's
 * label and map) are plain pread/pwrite/fdatasync; zero writes zeros
 * into files (so their extents are written, not unwritten, and later
 * first writes cost no metadata update) and uses BLKZEROOUT on block
 * devices, writing zeros when that fails.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <liburing.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host.h"

#define FIXED_CHUNK (2ul << 20) /* one registered buffer: 2 MiB of arena */
#define FIXED_MAX   16384     /* io_uring's limit on registered buffers */
#define ZERO_CHUNK  (1ul << 20) /* zeros written at a time by the fallback */

/* What a request in flight still has to move. */
struct ioslot {
	uint8_t op;    /* EXO_OP_* */
	int buf_index; /* registered buffer holding buf, or -1 */
	char *buf;     /* next byte in memory */
	uint64_t off;  /* next byte on the device */
	uint32_t left; /* bytes still to move */
};

/* Completions made in software, waiting for reap. */
struct compq {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct hostdev_comp *c; /* ring of cap */
	uint32_t cap, head, count;
	int64_t kernel; /* requests the kernel holds (may dip below 0) */
};

struct linuxdev;

struct engine {
	const char *name;
	int (*start)(struct linuxdev *l, void *arena, size_t bytes);
	int (*submit)(struct linuxdev *l, const uint32_t *slots, uint32_t n);
	/* Finished kernel completions, up to max; wait: for at least one
	 * kernel completion (which may only have been resubmitted). */
	uint32_t (*harvest)(struct linuxdev *l, struct hostdev_comp *c,
			    uint32_t max, int wait);
	int (*resubmit)(struct linuxdev *l, uint32_t slot);
	void (*stop)(struct linuxdev *l);
};

struct linuxdev {
	struct hostdev hd; /* first: a hostdev * is a linuxdev * */
	const struct engine *eng;
	int fd;
	int blkdev;
	uint32_t depth;
	struct ioslot *slots; /* depth of them */
	struct compq q;
	/* io_uring */
	struct io_uring ring;
	pthread_mutex_t sq_lock;
	char *arena;
	size_t arena_bytes;
	int fixed;         /* a sparse buffer table is registered */
	size_t chunk;      /* bytes of arena per registered buffer */
	uint8_t *reg;      /* per buffer: REG_NO, REG_YES, REG_FAILED */
	int dead;  /* the ring failed: submit no more */
	/* libaio */
	io_context_t aio;
	struct iocb *iocbs;  /* iocbs[slot] */
	struct iocb **iocbv; /* submit scratch */
	struct io_event *events;
	int aio_fdsync; /* kernel takes IOCB_CMD_FDSYNC */
};

static struct linuxdev *ldev(struct hostdev *d)
{
	return (struct linuxdev *)d;
}

static int exo_from_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return EXO_ENOENT;
	case EBUSY:
	case EWOULDBLOCK:
		return EXO_EBUSY;
	case EACCES:
	case EPERM:
	case EROFS:
		return EXO_EPERM;
	case ENOMEM:
		return EXO_ENOMEM;
	case ENOSPC:
	case EDQUOT:
		return EXO_ENOSPC;
	case EINVAL:
	case EISDIR:
		return EXO_EINVAL;
	default:
		return EXO_EIO;
	}
}

/* ---- the software completion queue ---- */

static int compq_init(struct compq *q, uint32_t cap)
{
	q->c = calloc(cap, sizeof *q->c);
	if (!q->c)
		return EXO_ENOMEM;
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	return 0;
}

static void compq_destroy(struct compq *q)
{
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
	free(q->c);
}

static void compq_push(struct compq *q, uint32_t slot, int32_t res)
{
	pthread_mutex_lock(&q->lock);
	assert(q->count < q->cap);
	q->c[(q->head + q->count++) % q->cap] =
		(struct hostdev_comp){.slot = slot, .res = res};
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
}

static uint32_t compq_take(struct compq *q, struct hostdev_comp *c,
			   uint32_t max)
{
	uint32_t n = 0;

	pthread_mutex_lock(&q->lock);
	while (n < max && q->count > 0) {
		c[n++] = q->c[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
	}
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* Account requests handed to (n > 0) or finished by (n < 0) the kernel. */
static void compq_kernel(struct compq *q, int64_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&q->lock);
	q->kernel += n;
	if (q->kernel > 0)
		pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
}

/* Sleep until something can complete; returns 1 if the kernel holds
 * requests (wait there), 0 if software completions are queued. */
static int compq_wait(struct compq *q)
{
	int kernel;

	pthread_mutex_lock(&q->lock);
	while (q->count == 0 && q->kernel <= 0)
		pthread_cond_wait(&q->more, &q->lock);
	kernel = q->count == 0;
	pthread_mutex_unlock(&q->lock);
	return kernel;
}

/* ---- slots ---- */

enum { STEP_DONE, STEP_AGAIN, STEP_FAIL };
enum { REG_NO, REG_YES, REG_FAILED };

static int uring_pin(struct linuxdev *l, size_t i);

static void slot_init(struct linuxdev *l, uint32_t slot,
		      const struct exo_ioreq *r, void *buf)
{
	struct ioslot *s = &l->slots[slot];

	s->op = r->op;
	s->buf = buf;
	s->off = r->bno * EXO_BLOCK_SIZE;
	s->left = r->op == EXO_OP_FLUSH ? 0 : r->n * EXO_BLOCK_SIZE;
	s->buf_index = -1;
	if (l->fixed && buf) {
		size_t first = (size_t)(s->buf - l->arena);
		size_t last = first + s->left - 1;

		if (first / l->chunk == last / l->chunk &&
		    uring_pin(l, first / l->chunk))
			s->buf_index = (int)(first / l->chunk);
	}
}

/* Account a kernel result of res for slot s: done, resubmit the rest, or
 * failed. */
static int slot_step(struct ioslot *s, long res)
{
	if (res == -EAGAIN || res == -EINTR)
		return STEP_AGAIN;
	if (res < 0)
		return STEP_FAIL;
	if (s->op == EXO_OP_FLUSH)
		return STEP_DONE;
	if (res == 0 || res > s->left)
		return STEP_FAIL;
	s->buf += res;
	s->off += (uint64_t)res;
	s->left -= (uint32_t)res;
	return s->left ? STEP_AGAIN : STEP_DONE;
}

/* A kernel completion of slot with result res: returns 1 with *c filled if
 * the request is finished, 0 if what is left was resubmitted. */
static int slot_finish(struct linuxdev *l, uint32_t slot, long res,
		       struct hostdev_comp *c)
{
	int step = slot_step(&l->slots[slot], res);

	if (step == STEP_AGAIN && l->eng->resubmit(l, slot) == 0)
		return 0;
	c->slot = slot;
	c->res = step == STEP_DONE ? 0 : EXO_EIO;
	return 1;
}

/* pread or pwrite all of len bytes, retrying short transfers. */
static int rw_full(int fd, int write, char *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t r = write ? pwrite(fd, buf, len, (off_t)off)
				  : pread(fd, buf, len, (off_t)off);

		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return EXO_EIO;
		buf += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* Do slot's request synchronously. */
static int32_t slot_run(struct linuxdev *l, uint32_t slot)
{
	struct ioslot *s = &l->slots[slot];

	if (s->op == EXO_OP_FLUSH)
		return fdatasync(l->fd) == 0 ? 0 : EXO_EIO;
	return rw_full(l->fd, s->op == EXO_OP_WRITE, s->buf, s->left, s->off);
}

/* ---- engine: psync ---- */

static int psync_start(struct linuxdev *l, void *arena, size_t bytes)
{
	(void)l, (void)arena, (void)bytes;
	return 0;
}

static int psync_submit(struct linuxdev *l, const uint32_t *slots, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		compq_push(&l->q, slots[i], slot_run(l, slots[i]));
	return 0;
}

static void psync_stop(struct linuxdev *l)
{
	(void)l;
}

/* ---- engine: io_uring ---- */

/* A sparse table of fixed buffers over the arena, filled by uring_pin. */
static void uring_register(struct linuxdev *l, void *arena, size_t bytes)
{
	size_t chunk = FIXED_CHUNK, nr;

	if (!arena || !bytes)
		return;
	while ((bytes + chunk - 1) / chunk > FIXED_MAX)
		chunk *= 2;
	nr = (bytes + chunk - 1) / chunk;
	l->reg = calloc(nr, 1);
	if (!l->reg)
		return;
	l->fixed = io_uring_register_buffers_sparse(&l->ring,
						    (unsigned)nr) == 0;
	l->chunk = chunk;
	l->arena = arena;
	l->arena_bytes = bytes;
}

/* Register buffer i (pinning its pages) on first use; 1 if it is usable.
 * Called on the submit path, which host.c serializes. */
static int uring_pin(struct linuxdev *l, size_t i)
{
	struct iovec iov;
	size_t off = i * l->chunk;

	if (l->reg[i] == REG_NO) {
		iov.iov_base = l->arena + off;
		iov.iov_len = l->arena_bytes - off < l->chunk
				      ? l->arena_bytes - off
				      : l->chunk;
		l->reg[i] = io_uring_register_buffers_update_tag(
				    &l->ring, (unsigned)i, &iov, NULL, 1) == 1
				    ? REG_YES
				    : REG_FAILED;
	}
	return l->reg[i] == REG_YES;
}

static int uring_start(struct linuxdev *l, void *arena, size_t bytes)
{
	struct io_uring_params p = {.flags = IORING_SETUP_SUBMIT_ALL};
	int r = io_uring_queue_init_params(l->depth, &l->ring, &p);

	if (r == -EINVAL) { /* before Linux 5.18 */
		memset(&p, 0, sizeof p);
		r = io_uring_queue_init_params(l->depth, &l->ring, &p);
	}
	if (r < 0)
		return exo_from_errno(-r);
	pthread_mutex_init(&l->sq_lock, NULL);
	uring_register(l, arena, bytes);
	return 0;
}

static void uring_prep(struct linuxdev *l, uint32_t slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	struct ioslot *s = &l->slots[slot];

	assert(sqe); /* the ring has >= depth entries and is drained */
	if (s->op == EXO_OP_FLUSH)
		io_uring_prep_fsync(sqe, l->fd, IORING_FSYNC_DATASYNC);
	else if (s->op == EXO_OP_READ && s->buf_index >= 0)
		io_uring_prep_read_fixed(sqe, l->fd, s->buf, s->left, s->off,
					 s->buf_index);
	else if (s->op == EXO_OP_READ)
		io_uring_prep_read(sqe, l->fd, s->buf, s->left, s->off);
	else if (s->buf_index >= 0)
		io_uring_prep_write_fixed(sqe, l->fd, s->buf, s->left, s->off,
					  s->buf_index);
	else
		io_uring_prep_write(sqe, l->fd, s->buf, s->left, s->off);
	io_uring_sqe_set_data64(sqe, slot);
}

/* Hand n prepared entries to the kernel; returns how many it took.  An
 * error that is not transient leaves the ring dead (the rest stay queued
 * in it, never to be submitted). */
static uint32_t uring_push(struct linuxdev *l, uint32_t n)
{
	uint32_t taken = 0;

	while (taken < n) {
		int r = io_uring_submit(&l->ring);

		if (r > 0) {
			taken += (uint32_t)r;
		} else if (r == 0 || r == -EINTR || r == -EAGAIN ||
			   r == -EBUSY) {
			sched_yield();
		} else {
			l->dead = 1;
			break;
		}
	}
	return taken;
}

static int uring_submit(struct linuxdev *l, const uint32_t *slots, uint32_t n)
{
	uint32_t taken = 0;

	pthread_mutex_lock(&l->sq_lock);
	if (!l->dead) {
		for (uint32_t i = 0; i < n; i++)
			uring_prep(l, slots[i]);
		taken = uring_push(l, n);
	}
	pthread_mutex_unlock(&l->sq_lock);
	if (taken == 0)
		return EXO_EIO;
	for (uint32_t i = taken; i < n; i++)
		compq_push(&l->q, slots[i], EXO_EIO);
	compq_kernel(&l->q, taken);
	return 0;
}

static int uring_resubmit(struct linuxdev *l, uint32_t slot)
{
	int err = EXO_EIO;

	pthread_mutex_lock(&l->sq_lock);
	if (!l->dead) {
		uring_prep(l, slot);
		if (uring_push(l, 1) == 1)
			err = 0;
	}
	pthread_mutex_unlock(&l->sq_lock);
	return err;
}

static uint32_t uring_harvest(struct linuxdev *l, struct hostdev_comp *c,
			      uint32_t max, int wait)
{
	struct io_uring_cqe *cqe;
	uint32_t got = 0;

	if (wait && io_uring_wait_cqe(&l->ring, &cqe) < 0)
		return 0;
	while (got < max && io_uring_peek_cqe(&l->ring, &cqe) == 0) {
		uint32_t slot = (uint32_t)io_uring_cqe_get_data64(cqe);
		long res = cqe->res;

		io_uring_cqe_seen(&l->ring, cqe);
		got += (uint32_t)slot_finish(l, slot, res, &c[got]);
	}
	compq_kernel(&l->q, -(int64_t)got);
	return got;
}

static void uring_stop(struct linuxdev *l)
{
	io_uring_queue_exit(&l->ring);
	free(l->reg);
	pthread_mutex_destroy(&l->sq_lock);
}

/* ---- engine: libaio ---- */

/* Does this kernel take IOCB_CMD_FDSYNC on this file? */
static int aio_probe_fdsync(struct linuxdev *l)
{
	struct iocb cb, *v = &cb;
	struct io_event ev;
	int r;

	io_prep_fdsync(&cb, l->fd);
	if (io_submit(l->aio, 1, &v) != 1)
		return 0;
	while ((r = io_getevents(l->aio, 1, 1, &ev, NULL)) == -EINTR)
		;
	return r == 1 && (long)ev.res != -EINVAL;
}

static int aio_start(struct linuxdev *l, void *arena, size_t bytes)
{
	int r = EXO_ENOMEM;

	(void)arena, (void)bytes;
	l->iocbs = calloc(l->depth, sizeof *l->iocbs);
	l->iocbv = calloc(l->depth, sizeof *l->iocbv);
	l->events = calloc(l->depth, sizeof *l->events);
	if (l->iocbs && l->iocbv && l->events) {
		r = io_setup((int)l->depth, &l->aio);
		if (r == 0) {
			l->aio_fdsync = aio_probe_fdsync(l);
			return 0;
		}
		r = exo_from_errno(-r);
	}
	free(l->iocbs);
	free(l->iocbv);
	free(l->events);
	return r;
}

static struct iocb *aio_prep(struct linuxdev *l, uint32_t slot)
{
	struct iocb *cb = &l->iocbs[slot];
	struct ioslot *s = &l->slots[slot];

	if (s->op == EXO_OP_FLUSH)
		io_prep_fdsync(cb, l->fd);
	else if (s->op == EXO_OP_READ)
		io_prep_pread(cb, l->fd, s->buf, s->left, (long long)s->off);
	else
		io_prep_pwrite(cb, l->fd, s->buf, s->left, (long long)s->off);
	cb->data = (void *)(uintptr_t)slot;
	return cb;
}

/* io_submit all n of v; returns how many started, or an error if none
 * did.  If the kernel fails part way, the rest complete with EXO_EIO. */
static int aio_push(struct linuxdev *l, struct iocb **v, uint32_t n)
{
	uint32_t done = 0;

	while (done < n) {
		int r = io_submit(l->aio, (long)(n - done), v + done);

		if (r > 0) {
			done += (uint32_t)r;
			continue;
		}
		if (r == -EINTR || ((r == -EAGAIN || r == 0) && done > 0)) {
			sched_yield();
			continue;
		}
		if (done == 0)
			return r == -EAGAIN || r == 0 ? EXO_EAGAIN : EXO_EIO;
		for (uint32_t i = done; i < n; i++)
			compq_push(&l->q, (uint32_t)(uintptr_t)v[i]->data,
				   EXO_EIO);
		break;
	}
	compq_kernel(&l->q, done);
	return (int)done;
}

static int aio_submit(struct linuxdev *l, const uint32_t *slots, uint32_t n)
{
	uint32_t nk = 0;
	int r;

	for (uint32_t i = 0; i < n; i++)
		if (l->slots[slots[i]].op != EXO_OP_FLUSH || l->aio_fdsync)
			l->iocbv[nk++] = aio_prep(l, slots[i]);
	r = aio_push(l, l->iocbv, nk);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < n; i++)
		if (l->slots[slots[i]].op == EXO_OP_FLUSH && !l->aio_fdsync)
			compq_push(&l->q, slots[i], slot_run(l, slots[i]));
	return 0;
}

static int aio_resubmit(struct linuxdev *l, uint32_t slot)
{
	struct iocb *cb = aio_prep(l, slot);
	int r;

	while ((r = io_submit(l->aio, 1, &cb)) == -EINTR || r == -EAGAIN)
		sched_yield();
	return r == 1 ? 0 : EXO_EIO;
}

static uint32_t aio_harvest(struct linuxdev *l, struct hostdev_comp *c,
			    uint32_t max, int wait)
{
	struct timespec now = {0, 0};
	uint32_t got = 0;
	int r;

	if (max > l->depth)
		max = l->depth;
	r = io_getevents(l->aio, wait ? 1 : 0, (long)max, l->events,
			 wait ? NULL : &now);
	for (int i = 0; i < r; i++) {
		uint32_t slot = (uint32_t)(uintptr_t)l->events[i].data;

		got += (uint32_t)slot_finish(l, slot, (long)l->events[i].res,
					     &c[got]);
	}
	compq_kernel(&l->q, -(int64_t)got);
	return got;
}

static void aio_stop(struct linuxdev *l)
{
	io_destroy(l->aio);
	free(l->iocbs);
	free(l->iocbv);
	free(l->events);
}

static const struct engine engines[] = {
	{"io_uring", uring_start, uring_submit, uring_harvest, uring_resubmit,
	 uring_stop},
	{"libaio", aio_start, aio_submit, aio_harvest, aio_resubmit, aio_stop},
	{"psync", psync_start, psync_submit, NULL, NULL, psync_stop},
};

static const struct engine *engine_find(const char *name)
{
	if (!name)
		return &engines[0];
	for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
		if (strcmp(engines[i].name, name) == 0)
			return &engines[i];
	return NULL;
}

/* ---- hostdev ops ---- */

static int in_range(struct linuxdev *l, exo_bno bno, uint64_t n)
{
	return n <= l->hd.nblocks && bno <= l->hd.nblocks - n;
}

static int lx_read(struct hostdev *d, exo_bno bno, uint32_t n, void *buf)
{
	struct linuxdev *l = ldev(d);

	if (!in_range(l, bno, n))
		return EXO_ERANGE;
	return rw_full(l->fd, 0, buf, (size_t)n * EXO_BLOCK_SIZE,
		       bno * EXO_BLOCK_SIZE);
}

static int lx_write(struct hostdev *d, exo_bno bno, uint32_t n, const void *buf)
{
	struct linuxdev *l = ldev(d);

	if (!in_range(l, bno, n))
		return EXO_ERANGE;
	return rw_full(l->fd, 1, (char *)buf, (size_t)n * EXO_BLOCK_SIZE,
		       bno * EXO_BLOCK_SIZE);
}

static int lx_flush(struct hostdev *d)
{
	return fdatasync(ldev(d)->fd) == 0 ? 0 : EXO_EIO;
}

static int write_zeros(struct linuxdev *l, uint64_t off, uint64_t len)
{
	char *z = aligned_alloc(EXO_BLOCK_SIZE, ZERO_CHUNK);
	int err = 0;

	if (!z)
		return EXO_ENOMEM;
	memset(z, 0, ZERO_CHUNK);
	while (!err && len > 0) {
		size_t k = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;

		err = rw_full(l->fd, 1, z, k, off);
		off += k;
		len -= k;
	}
	free(z);
	return err;
}

static int lx_zero(struct hostdev *d, exo_bno bno, uint64_t n)
{
	struct linuxdev *l = ldev(d);
	uint64_t range[2] = {bno * EXO_BLOCK_SIZE, n * EXO_BLOCK_SIZE};

	if (!in_range(l, bno, n))
		return EXO_ERANGE;
	if (n == 0)
		return 0;
	/* Files get real zeros, not FALLOC_FL_ZERO_RANGE: that leaves
	 * unwritten extents, and the first write to each then costs a
	 * metadata update inside the next flush: on the commit path. */
	if (l->blkdev && ioctl(l->fd, BLKZEROOUT, range) == 0)
		return 0;
	return write_zeros(l, range[0], range[1]);
}

static int lx_submit(struct hostdev *d, const struct exo_ioreq *reqs,
		     void *const *bufs, const uint32_t *slots, uint32_t n)
{
	struct linuxdev *l = ldev(d);

	for (uint32_t i = 0; i < n; i++) {
		assert(slots[i] < l->depth);
		slot_init(l, slots[i], &reqs[i], bufs[i]);
	}
	return l->eng->submit(l, slots, n);
}

static int lx_reap(struct hostdev *d, struct hostdev_comp *c, uint32_t max,
		   uint32_t min)
{
	struct linuxdev *l = ldev(d);
	uint32_t got = 0;

	if (min > max)
		return EXO_EINVAL;
	for (;;) {
		got += compq_take(&l->q, c + got, max - got);
		if (got < max && l->eng->harvest)
			got += l->eng->harvest(l, c + got, max - got, 0);
		if (got >= min)
			return (int)got;
		if (compq_wait(&l->q))
			got += l->eng->harvest(l, c + got, max - got, 1);
	}
}

static void lx_free(struct linuxdev *l)
{
	if (l->fd >= 0)
		close(l->fd);
	compq_destroy(&l->q);
	free(l->slots);
	free(l);
}

static void lx_close(struct hostdev *d)
{
	struct linuxdev *l = ldev(d);

	l->eng->stop(l);
	lx_free(l);
}

static const struct hostdev_ops lx_ops = {
	.read = lx_read,
	.write = lx_write,
	.flush = lx_flush,
	.zero = lx_zero,
	.submit = lx_submit,
	.reap = lx_reap,
	.close = lx_close,
};

/* ---- open and create ---- */

static int fd_size(int fd, int blkdev, uint64_t *bytes)
{
	struct stat st;

	if (blkdev)
		return ioctl(fd, BLKGETSIZE64, bytes) == 0 ? 0 : EXO_EIO;
	if (fstat(fd, &st) != 0)
		return EXO_EIO;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

static int open_disk(struct linuxdev *l, const char *path, int shared)
{
	int flags = O_DIRECT | O_CLOEXEC | (shared ? O_RDONLY : O_RDWR);
	struct stat st;
	uint64_t bytes;
	int err;

	if (stat(path, &st) != 0)
		return exo_from_errno(errno);
	l->blkdev = S_ISBLK(st.st_mode);
	if (!l->blkdev && !S_ISREG(st.st_mode))
		return EXO_EBADDISK;
	if (l->blkdev && !shared)
		flags |= O_EXCL;
	l->fd = open(path, flags);
	if (l->fd < 0)
		return exo_from_errno(errno);
	if (!shared && flock(l->fd, LOCK_EX | LOCK_NB) != 0)
		return exo_from_errno(errno);
	err = fd_size(l->fd, l->blkdev, &bytes);
	if (err)
		return err;
	if (bytes == 0 || bytes % EXO_BLOCK_SIZE)
		return EXO_EBADDISK;
	l->hd.nblocks = bytes / EXO_BLOCK_SIZE;
	return 0;
}

int linuxdev_open(const char *path, const char *io, void *arena,
		  size_t arena_bytes, uint32_t depth, int shared,
		  struct hostdev **out)
{
	const struct engine *eng = engine_find(io);
	struct linuxdev *l;
	int err;

	if (!path || !out || !eng || depth == 0)
		return EXO_EINVAL;
	l = calloc(1, sizeof *l);
	if (!l)
		return EXO_ENOMEM;
	l->hd.ops = &lx_ops;
	l->eng = eng;
	l->fd = -1;
	l->depth = depth;
	l->slots = calloc(depth, sizeof *l->slots);
	err = compq_init(&l->q, depth);
	if (!err && !l->slots)
		err = EXO_ENOMEM;
	if (!err)
		err = open_disk(l, path, shared);
	if (!err)
		err = eng->start(l, arena, arena_bytes);
	if (err) {
		lx_free(l);
		return err;
	}
	*out = &l->hd;
	return 0;
}

/* Give fd's file exactly bytes, all of them allocated. */
static int resize(int fd, uint64_t bytes)
{
	int r;

	if (ftruncate(fd, (off_t)bytes) != 0)
		return exo_from_errno(errno);
	if (fallocate(fd, 0, 0, (off_t)bytes) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return exo_from_errno(errno);
	r = posix_fallocate(fd, 0, (off_t)bytes);
	return r == 0 ? 0 : exo_from_errno(r);
}

static int blkdev_blocks(const char *path, uint64_t *nblocks)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t bytes;
	int err;

	if (fd < 0)
		return exo_from_errno(errno);
	err = fd_size(fd, 1, &bytes);
	close(fd);
	if (!err)
		*nblocks = bytes / EXO_BLOCK_SIZE;
	return err;
}

int linuxdev_create(const char *path, uint64_t bytes, uint64_t *nblocks)
{
	struct stat st;
	int fd, err;

	if (!path || !nblocks)
		return EXO_EINVAL;
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		return blkdev_blocks(path, nblocks);
	if (bytes == 0 || bytes % EXO_BLOCK_SIZE)
		return EXO_EINVAL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return exo_from_errno(errno);
	err = flock(fd, LOCK_EX | LOCK_NB) == 0 ? resize(fd, bytes)
						: exo_from_errno(errno);
	close(fd);
	if (!err)
		*nblocks = bytes / EXO_BLOCK_SIZE;
	return err;
}
