/*
 * uthread.c: user-level threads and their locks (see uthread.h).
 *
 * Every thread is in exactly one place: running (cur), in the ready queue,
 * in one wait queue (a mutex's, a condition's, a rwlock's, or none while
 * it waits for a join), or done.  A thread with a timeout is also on the
 * sleep list, sorted by wake time.  Blocking is always the same three
 * steps: put cur where it waits, then run_next(), which wakes the sleepers
 * whose time has come, takes the head of the ready queue and switches to
 * it (ut_swtch.S).  When nothing is ready but someone sleeps, run_next
 * gives the processor to other environments (SYS_yield) until the first
 * wake time; when nothing is ready and nobody sleeps, no thread can ever
 * run again: a deadlock, reported.
 *
 * The library is not reentrant from interrupts (the kernel delivers none
 * to user code) and there is no preemption between threads of one
 * environment, so its state needs no locking.
 */
#include "uthread.h"
#include "ulib.h"

#define UT_NO_SLOT (~0u)

struct uthread {
	uint64_t rsp;                 /* saved while switched out */
	struct uthread *qnext, *qprev;
	struct ut_queue *q;           /* the queue it is in, or NULL */
	struct uthread *snext;        /* sleep list */
	uint64_t wake_ns;             /* on the sleep list until then */
	int done, want_write;
	void *(*fn)(void *);
	void *arg, *ret;
	struct uthread *joiner;
	unsigned slot;                /* stack slot, or UT_NO_SLOT */
};

/* Address space slots for stacks; mapped[i] pages are mapped at the top
 * of slot i.  Slots of joined threads wait on the free list. */
static uint16_t slot_mapped[UT_MAX_THREADS];
static unsigned slot_next, slot_free[UT_MAX_THREADS], nslot_free;

static struct uthread main_thread = { .slot = UT_NO_SLOT };
static struct uthread *cur = &main_thread;
static struct ut_queue ready;
static struct uthread *sleepers;
static unsigned nthreads = 1;

void ut_swtch(uint64_t *save_rsp, uint64_t rsp);
void ut_entry(void);
noreturn void ut_thread_main(void);

/* ---- queues ---- */

static void q_push(struct ut_queue *q, struct uthread *t)
{
	t->q = q;
	t->qnext = NULL;
	t->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = t;
	else
		q->head = t;
	q->tail = t;
}

static void q_remove(struct uthread *t)
{
	struct ut_queue *q = t->q;

	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		q->head = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	else
		q->tail = t->qprev;
	t->q = NULL;
	t->qnext = t->qprev = NULL;
}

static struct uthread *q_pop(struct ut_queue *q)
{
	struct uthread *t = q->head;

	if (t)
		q_remove(t);
	return t;
}

/* ---- the sleep list ---- */

static void sleep_add(struct uthread *t, uint64_t wake_ns)
{
	struct uthread **pp = &sleepers;

	t->wake_ns = wake_ns;
	while (*pp && (*pp)->wake_ns <= wake_ns)
		pp = &(*pp)->snext;
	t->snext = *pp;
	*pp = t;
}

static void sleep_remove(struct uthread *t)
{
	struct uthread **pp = &sleepers;

	while (*pp && *pp != t)
		pp = &(*pp)->snext;
	if (*pp)
		*pp = t->snext;
	t->snext = NULL;
	t->wake_ns = 0;
}

/* Make t ready: off its wait queue and the sleep list, onto the ready
 * queue. */
static void make_ready(struct uthread *t)
{
	if (t->q)
		q_remove(t);
	if (t->wake_ns)
		sleep_remove(t);
	q_push(&ready, t);
}

static void wake_expired(void)
{
	uint64_t now;

	if (!sleepers)
		return;
	now = exo_clock_ns();
	while (sleepers && sleepers->wake_ns <= now)
		make_ready(sleepers);
}

/* ---- switching ---- */

/* cur has been put where it waits (or is done): run the next ready
 * thread, which may be cur itself. */
static void run_next(void)
{
	struct uthread *t, *old = cur;

	for (;;) {
		wake_expired();
		t = q_pop(&ready);
		if (t)
			break;
		if (!sleepers) {
			printf("uthread: deadlock: all %u threads wait\n",
			       nthreads);
			exit(127);
		}
		sys_yield();
	}
	if (t == old)
		return;
	cur = t;
	ut_swtch(&old->rsp, t->rsp);
}

/* Block cur on q (NULL: only a make_ready by someone else wakes it). */
static void block_on(struct ut_queue *q)
{
	if (q)
		q_push(q, cur);
	run_next();
}

int uthread_yield(void)
{
	struct uthread *me = cur;

	wake_expired();
	if (!ready.head)
		return 0;
	q_push(&ready, me);
	run_next();
	return 1;
}

void uthread_sleep_ns(uint64_t ns)
{
	sleep_add(cur, exo_clock_ns() + ns);
	run_next();
}

unsigned uthread_count(void)
{
	return nthreads;
}

struct uthread *uthread_self(void)
{
	return cur;
}

/* ---- stacks ---- */

static uint64_t slot_top(unsigned slot)
{
	return UT_STACKS_BASE + (uint64_t)(slot + 1) * UT_SLOT_SIZE;
}

/* Map pages more pages below what slot has mapped, in runs as long as
 * memory allows. */
static int stack_map(unsigned slot, unsigned pages)
{
	uint64_t run = pages;

	while (slot_mapped[slot] < pages) {
		uint64_t va;
		exo_ppn ppn;
		int r;

		if (run > pages - slot_mapped[slot])
			run = pages - slot_mapped[slot];
		r = sys_page_alloc(0, run, &ppn);
		if (r == EXO_ENOMEM && run > 1) {
			run /= 2;
			continue;
		}
		if (r)
			return r;
		va = slot_top(slot) -
		     (slot_mapped[slot] + run) * (uint64_t)EXO_PAGE_SIZE;
		r = sys_page_map(ppn, (void *)va, run, EXO_MAP_W);
		if (r) {
			sys_page_free(ppn, run);
			return r;
		}
		slot_mapped[slot] += (uint16_t)run;
	}
	return 0;
}

/* A slot with a stack of pages pages: a free one, else a new one. */
static int stack_get(unsigned pages, unsigned *out)
{
	unsigned slot;
	int r;

	if (pages == UT_STACK_PAGES && nslot_free)
		slot = slot_free[--nslot_free];
	else if (slot_next < UT_MAX_THREADS)
		slot = slot_next++;
	else
		return EXO_ENOMEM;
	r = stack_map(slot, pages);
	if (r) {
		slot_free[nslot_free++] = slot; /* keep what it has */
		return r;
	}
	*out = slot;
	return 0;
}

/* ---- threads ---- */

noreturn void ut_thread_main(void)
{
	struct uthread *me = cur;

	me->ret = me->fn(me->arg);
	me->done = 1;
	if (me->joiner)
		make_ready(me->joiner);
	run_next();
	for (;;) /* not reached: nobody switches back to a done thread */
		;
}

static int create(struct uthread **out, void *(*fn)(void *), void *arg,
		  unsigned pages)
{
	struct uthread *t;
	uint64_t *sp;
	int r;

	if (!out || !fn || nthreads >= UT_MAX_THREADS)
		return EXO_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return EXO_ENOMEM;
	r = stack_get(pages, &t->slot);
	if (r) {
		free(t);
		return r;
	}
	t->fn = fn;
	t->arg = arg;
	sp = (uint64_t *)slot_top(t->slot);
	*--sp = (uint64_t)ut_entry;
	for (int i = 0; i < 6; i++) /* rbp rbx r12 r13 r14 r15 */
		*--sp = 0;
	t->rsp = (uint64_t)sp;
	nthreads++;
	q_push(&ready, t);
	*out = t;
	return 0;
}

int uthread_create(struct uthread **out, void *(*fn)(void *), void *arg)
{
	return create(out, fn, arg, UT_STACK_PAGES);
}

int uthread_join(struct uthread *t, void **ret)
{
	if (!t || t == cur || (t->joiner && t->joiner != cur))
		return EXO_EINVAL;
	while (!t->done) {
		t->joiner = cur;
		block_on(NULL);
	}
	if (ret)
		*ret = t->ret;
	if (slot_mapped[t->slot] == UT_STACK_PAGES)
		slot_free[nslot_free++] = t->slot;
	nthreads--;
	free(t);
	return 0;
}

static int run_main_status;
static int (*run_main_fn)(int, char **);
static int run_main_argc;
static char **run_main_argv;

static void *main_thread_fn(void *arg)
{
	(void)arg;
	run_main_status = run_main_fn(run_main_argc, run_main_argv);
	return NULL;
}

int uthread_run_main(int (*main)(int, char **), int argc, char **argv,
		     unsigned pages)
{
	struct uthread *t;
	uint64_t max = UT_SLOT_SIZE / EXO_PAGE_SIZE - 1; /* one guard page */
	int r;

	run_main_fn = main;
	run_main_argc = argc;
	run_main_argv = argv;
	r = create(&t, main_thread_fn, NULL, pages < max ? pages : max);
	if (r) {
		printf("uthread: no stack of %u pages for main: %s\n", pages,
		       exo_strerror(r));
		return 127;
	}
	uthread_join(t, NULL);
	return run_main_status;
}

/* ---- mutexes ---- */

void umutex_init(struct umutex *m)
{
	*m = (struct umutex){ 0 };
}

void umutex_lock(struct umutex *m)
{
	if (!m->owner) {
		m->owner = cur;
		return;
	}
	block_on(&m->waiters); /* umutex_unlock hands it over */
}

void umutex_unlock(struct umutex *m)
{
	struct uthread *t = q_pop(&m->waiters);

	m->owner = t;
	if (t)
		make_ready(t);
}

/* ---- conditions ---- */

void ucond_init(struct ucond *c)
{
	*c = (struct ucond){ 0 };
}

void ucond_wait(struct ucond *c, struct umutex *m)
{
	q_push(&c->waiters, cur);
	umutex_unlock(m);
	run_next();
	umutex_lock(m);
}

void ucond_wait_ns(struct ucond *c, struct umutex *m, uint64_t ns)
{
	q_push(&c->waiters, cur);
	sleep_add(cur, exo_clock_ns() + ns);
	umutex_unlock(m);
	run_next();
	umutex_lock(m);
}

void ucond_signal(struct ucond *c)
{
	if (c->waiters.head)
		make_ready(c->waiters.head);
}

void ucond_broadcast(struct ucond *c)
{
	while (c->waiters.head)
		make_ready(c->waiters.head);
}

/* ---- reader-writer locks ---- */

void urwlock_init(struct urwlock *l)
{
	*l = (struct urwlock){ 0 };
}

void urwlock_rdlock(struct urwlock *l)
{
	if (!l->writer) {
		l->readers++;
		return;
	}
	cur->want_write = 0;
	block_on(&l->waiters); /* the unlock counts us in */
}

void urwlock_wrlock(struct urwlock *l)
{
	if (!l->writer && !l->readers) {
		l->writer = cur;
		return;
	}
	cur->want_write = 1;
	block_on(&l->waiters); /* the unlock makes us the writer */
}

/* Let in the first waiter if it can enter now, and the readers behind it
 * while no writer is in. */
static void rw_admit(struct urwlock *l)
{
	struct uthread *t;

	while ((t = l->waiters.head) && !l->writer) {
		if (t->want_write) {
			if (l->readers)
				return;
			l->writer = t;
		} else {
			l->readers++;
		}
		make_ready(t);
	}
}

void urwlock_unlock(struct urwlock *l)
{
	if (l->writer)
		l->writer = NULL;
	else if (l->readers > 0)
		l->readers--;
	rw_admit(l);
}
