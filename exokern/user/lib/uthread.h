/*
 * uthread.h: user-level threads of an exokern program, scheduled by the
 * program itself.
 *
 * The kernel gives an environment time slices and disk completions; how
 * the environment shares them among its own activities is its business.
 * This library runs any number of threads inside one environment,
 * cooperatively: a thread runs until it blocks (a busy mutex, a condition
 * wait, a join, a sleep) or yields, and the scheduler then runs the next
 * ready thread, first in first out.  A thread waiting for disk I/O yields
 * while other threads are ready, polling the completion ring each time it
 * runs again, and sleeps in the kernel (io_reap) only when nothing else
 * can run: dblibos/port/exokern.c does that, with uthread_yield.
 *
 *   struct uthread *t;
 *   uthread_create(&t, fn, arg);      fn(arg) runs on its own stack
 *   ...
 *   uthread_join(t, &ret);            waits, frees t
 *
 * Stacks are pages of the environment's own, UT_STACK_PAGES of them at
 * the top of a UT_SLOT_SIZE slot of address space whose rest stays
 * unmapped: a stack overflow is a page fault, not silent corruption.
 * Stacks of joined threads are kept for the next thread.
 *
 * Locks: umutex (hand-over on unlock, first come first served), ucond,
 * urwlock (readers share it whenever no writer holds it; recursive read
 * locking is safe).  Times are nanoseconds of exo_clock_ns (clock.c).
 * When every thread waits and none has a timeout, the program can never
 * go on: the scheduler reports the deadlock and exits with status 127.
 *
 * A program whose main needs a larger stack than the kernel's
 * (USTACKPAGES) defines `const unsigned exo_main_stack_pages = N;`: the
 * runtime then runs main on a thread with an N-page stack.
 */
#ifndef EXOKERN_UTHREAD_H
#define EXOKERN_UTHREAD_H

#include <stdint.h>

#define UT_STACKS_BASE 0x0000300000000000ull /* the stack slots */
#define UT_SLOT_SIZE   (4ull << 20)          /* address space per thread */
#define UT_STACK_PAGES 64                    /* a stack: 256 KiB */
#define UT_MAX_THREADS 1024

struct uthread;

/* A queue of waiting threads (intrusive, doubly linked). */
struct ut_queue {
	struct uthread *head, *tail;
};

struct umutex {
	struct uthread *owner;
	struct ut_queue waiters;
};

struct ucond {
	struct ut_queue waiters;
};

struct urwlock {
	int readers;             /* holding it shared */
	struct uthread *writer;  /* holding it exclusively, or NULL */
	struct ut_queue waiters; /* readers and writers, in order */
};

/* Start fn(arg) in a new thread (ready, not yet running): 0, EXO_ENOMEM
 * (no stack, or UT_MAX_THREADS live). */
int uthread_create(struct uthread **out, void *(*fn)(void *), void *arg);
/* Wait for t to return; its return value into *ret (may be NULL); t is
 * freed.  EXO_EINVAL for the calling thread itself or a thread another
 * thread joins. */
int uthread_join(struct uthread *t, void **ret);
/* Let every other ready thread run once; 1 if one did, 0 if none was
 * ready. */
int uthread_yield(void);
/* Sleep for ns nanoseconds (other threads run meanwhile). */
void uthread_sleep_ns(uint64_t ns);
/* Threads now alive (created and not yet joined, main included). */
unsigned uthread_count(void);
/* The calling thread. */
struct uthread *uthread_self(void);

void umutex_init(struct umutex *m);
void umutex_lock(struct umutex *m);
void umutex_unlock(struct umutex *m);

void ucond_init(struct ucond *c);
/* Unlock m, wait for a signal, lock m again.  The timed form also returns
 * after ns nanoseconds; the caller re-checks its condition either way. */
void ucond_wait(struct ucond *c, struct umutex *m);
void ucond_wait_ns(struct ucond *c, struct umutex *m, uint64_t ns);
void ucond_signal(struct ucond *c);
void ucond_broadcast(struct ucond *c);

void urwlock_init(struct urwlock *l);
void urwlock_rdlock(struct urwlock *l);
void urwlock_wrlock(struct urwlock *l);
void urwlock_unlock(struct urwlock *l);

/* The clock the timeouts use (clock.c): nanoseconds since boot. */
uint64_t exo_clock_ns(void);

/* Run main on a thread with a stack of pages pages (start.c calls this
 * when the program asks for it). */
int uthread_run_main(int (*main)(int, char **), int argc, char **argv,
		     unsigned pages);

#endif
