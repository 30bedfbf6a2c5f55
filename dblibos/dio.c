/*
 * dio.c: waiting for exo I/O completions from many threads.
 *
 * A caller fills a struct dio_wait (zeroed), hands requests to dio_submit,
 * which tags each with the address of the waiter, and then calls dio_wait.
 * Completions come back from exo_io_reap in any order; they are sorted out
 * by leader/followers: of the threads that wait, the first that finds no
 * reaper becomes the reaper (d->reaping), reaps for everybody with the dio
 * lock released, then takes the lock, counts every completion against its
 * waiter (the first error sticks in w->err, w->done is set when pending
 * reaches 0), and wakes all waiters.  It stops being the reaper after each
 * round, so the role passes to whoever still waits: nobody blocks in
 * exo_io_reap unless it has a request in flight itself.
 *
 * Submission happens under the dio lock, so a request's completion can
 * never be counted before its submission is (d->inflight is exact).  When
 * the attachment's queue is full (EXO_EAGAIN), dio_submit reaps a round
 * itself (or waits for the reaper's round) and retries; when nothing is in
 * flight yet the queue still refuses, the batch is larger than the queue
 * and is submitted in halves.  Should a later half be refused, dio_submit
 * waits for the halves it started before returning the error, so that on
 * any error return nothing of the batch is in flight.
 *
 * If exo_io_reap itself fails (a dead attachment), that error sticks in
 * d->err and every current and later dio_wait with requests pending
 * returns it.
 */
#include <assert.h>
#include <stdlib.h>

#include "dio.h"

#define DIO_REAP_MAX 64 /* completions taken per reap round */

struct dio {
	struct exo *e;
	dl_mutex lock;
	dl_cond cond;     /* broadcast after every reap round */
	int reaping;      /* a thread is inside exo_io_reap */
	int64_t inflight; /* requests submitted and not yet counted */
	int err;          /* exo_io_reap failed: sticky */
};

int dio_open(struct exo *e, struct dio **out)
{
	struct dio *d;

	if (!e || !out)
		return EXO_EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return EXO_ENOMEM;
	d->e = e;
	dl_mutex_init(&d->lock);
	dl_cond_init(&d->cond);
	*out = d;
	return 0;
}

void dio_close(struct dio *d)
{
	if (!d)
		return;
	dl_cond_destroy(&d->cond);
	dl_mutex_destroy(&d->lock);
	free(d);
}

/* Count one completion against its waiter.  Lock held. */
static void complete(struct dio *d, const struct exo_iocomp *c)
{
	struct dio_wait *w = (struct dio_wait *)(uintptr_t)c->tag;

	assert(w && w->pending > 0); /* only dio submits, with its tags */
	if (c->res < 0 && w->err == 0)
		w->err = c->res;
	d->inflight--;
	if (--w->pending == 0)
		w->done = 1;
}

/*
 * One reap round: become the reaper, reap at least one completion with the
 * lock released, count what came back, wake everybody.  Lock held on entry
 * and exit; the caller has checked that something is in flight.
 */
static int reap_round(struct dio *d)
{
	struct exo_iocomp c[DIO_REAP_MAX];
	int n, i;

	d->reaping = 1;
	dl_unlock(&d->lock);
	n = exo_io_reap(d->e, c, DIO_REAP_MAX, 1);
	dl_lock(&d->lock);
	d->reaping = 0;
	for (i = 0; i < n; i++)
		complete(d, &c[i]);
	if (n < 0 && d->err == 0)
		d->err = n;
	dl_broadcast(&d->cond);
	return n < 0 ? n : 0;
}

/* Let completions progress once: be the reaper, or wait for its round. */
static int make_progress(struct dio *d)
{
	if (d->err)
		return d->err;
	if (d->reaping) {
		dl_wait(&d->cond, &d->lock);
		return 0;
	}
	return reap_round(d);
}

/* Submit reqs[0..n) for w, retrying while the queue is full.  Lock held. */
static int submit_locked(struct dio *d, struct exo_ioreq *reqs, uint32_t n,
			 struct dio_wait *w)
{
	uint32_t half;
	int rc;

	for (;;) {
		rc = exo_io_submit(d->e, reqs, n);
		if (rc >= 0) {
			d->inflight += n;
			w->pending += n;
			w->done = 0;
			return 0;
		}
		if (rc != EXO_EAGAIN)
			return rc;
		if (d->inflight > 0 || d->reaping) {
			rc = make_progress(d);
			if (rc < 0)
				return rc;
			continue;
		}
		if (n == 1)
			return EXO_EAGAIN; /* the queue takes nothing at all */
		half = n / 2;
		rc = submit_locked(d, reqs, half, w);
		if (rc < 0)
			return rc;
		return submit_locked(d, reqs + half, n - half, w);
	}
}

/* Wait for w's requests.  Lock held. */
static int wait_locked(struct dio *d, struct dio_wait *w)
{
	while (w->pending > 0) {
		if (d->err)
			return d->err;
		make_progress(d);
	}
	return w->err;
}

int dio_submit(struct dio *d, struct exo_ioreq *reqs, uint32_t n,
	       struct dio_wait *w)
{
	uint32_t before, i;
	int rc;

	if (!d || !w || (n && !reqs))
		return EXO_EINVAL;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		reqs[i].tag = (uint64_t)(uintptr_t)w;
	dl_lock(&d->lock);
	before = w->pending;
	rc = submit_locked(d, reqs, n, w);
	if (rc < 0 && w->pending > before)
		wait_locked(d, w); /* a split batch half started: drain it */
	dl_unlock(&d->lock);
	return rc;
}

int dio_wait(struct dio *d, struct dio_wait *w)
{
	int rc;

	if (!d || !w)
		return EXO_EINVAL;
	dl_lock(&d->lock);
	rc = wait_locked(d, w);
	dl_unlock(&d->lock);
	return rc;
}
