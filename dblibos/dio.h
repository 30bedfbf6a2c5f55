/*
 * dio.h: waiting for exo I/O completions from many threads.
 *
 * exo_io_reap hands back completions in any order, to whichever thread
 * asks.  dio turns that into "submit these requests, then wait for them":
 * a caller fills a struct dio_wait, submits through dio_submit (which tags
 * every request with the waiter) and calls dio_wait.  Whichever waiting
 * thread finds no reaper active becomes the reaper (leader/followers): it
 * reaps for everybody and wakes the owners of what it reaped.
 *
 * Layering: only cache.c and wal.c call dio_submit (DESIGN.md: only the
 * cache and the WAL submit data I/O); dio.c is the only caller of
 * exo_io_submit and exo_io_reap in dblibos.
 */
#ifndef DBLIBOS_DIO_H
#define DBLIBOS_DIO_H

#include "exo.h"
#include "sync.h"

struct dio;

struct dio_wait {
	uint32_t pending; /* requests not yet completed */
	int32_t err;      /* first error (EXO_EIO), or 0 */
	int done;         /* set (under dio's lock) when pending reaches 0 */
};

int dio_open(struct exo *e, struct dio **out);
void dio_close(struct dio *d);

/* Submit n requests for waiter w (w->pending grows by n); tags are
 * overwritten.  Retries internally while the queue is full.  On a
 * rejected batch nothing is started and the error is returned. */
int dio_submit(struct dio *d, struct exo_ioreq *reqs, uint32_t n,
	       struct dio_wait *w);

/* Wait until every request submitted for w has completed; returns w->err. */
int dio_wait(struct dio *d, struct dio_wait *w);

#endif
