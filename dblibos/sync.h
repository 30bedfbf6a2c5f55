/*
 * sync.h: the locks and condition variables dblibos uses.
 *
 * Hosted, these are pthreads.  On exokern (built with -DEXOKERN) the libOS
 * schedules its own user-level threads (exokern/user/lib/uthread.h) and
 * the same names map to them; nothing else in dblibos touches a thread
 * library directly.
 */
#ifndef DBLIBOS_SYNC_H
#define DBLIBOS_SYNC_H

#ifdef EXOKERN

#include <stdint.h>

#include "uthread.h"

typedef struct umutex dl_mutex;
typedef struct ucond dl_cond;
typedef struct urwlock dl_rwlock;

#define dl_mutex_init(m)     umutex_init(m)
#define dl_mutex_destroy(m)  ((void)(m))
#define dl_lock(m)           umutex_lock(m)
#define dl_unlock(m)         umutex_unlock(m)
#define dl_cond_init(c)      ucond_init(c)
#define dl_cond_destroy(c)   ((void)(c))
#define dl_wait(c, m)        ucond_wait((c), (m))
#define dl_signal(c)         ucond_signal(c)
#define dl_broadcast(c)      ucond_broadcast(c)
#define dl_rwlock_init(l)    urwlock_init(l)
#define dl_rwlock_destroy(l) ((void)(l))
#define dl_rdlock(l)         urwlock_rdlock(l)
#define dl_wrlock(l)         urwlock_wrlock(l)
#define dl_rwunlock(l)       urwlock_unlock(l)

typedef struct uthread *dl_thread;
#define dl_thread_create(t, fn, arg) uthread_create((t), (fn), (arg))
#define dl_thread_join(t)            uthread_join((t), NULL)

static inline void dl_wait_ms(dl_cond *c, dl_mutex *m, uint32_t ms)
{
	ucond_wait_ns(c, m, (uint64_t)ms * 1000000u);
}

#else /* hosted: pthreads */

#include <pthread.h>
#include <stdint.h>
#include <time.h>

typedef pthread_mutex_t dl_mutex;
typedef pthread_cond_t dl_cond;
typedef pthread_rwlock_t dl_rwlock;

#define dl_mutex_init(m)     pthread_mutex_init((m), NULL)
#define dl_mutex_destroy(m)  pthread_mutex_destroy(m)
#define dl_lock(m)           pthread_mutex_lock(m)
#define dl_unlock(m)         pthread_mutex_unlock(m)
#define dl_cond_init(c)      pthread_cond_init((c), NULL)
#define dl_cond_destroy(c)   pthread_cond_destroy(c)
#define dl_wait(c, m)        pthread_cond_wait((c), (m))
#define dl_signal(c)         pthread_cond_signal(c)
#define dl_broadcast(c)      pthread_cond_broadcast(c)
#define dl_rwlock_init(l)    pthread_rwlock_init((l), NULL)
#define dl_rwlock_destroy(l) pthread_rwlock_destroy(l)
#define dl_rdlock(l)         pthread_rwlock_rdlock(l)
#define dl_wrlock(l)         pthread_rwlock_wrlock(l)
#define dl_rwunlock(l)       pthread_rwlock_unlock(l)

/* Background threads (the WAL's lazy flusher). */
typedef pthread_t dl_thread;
#define dl_thread_create(t, fn, arg) pthread_create((t), NULL, (fn), (arg))
#define dl_thread_join(t)            pthread_join((t), NULL)

/* Wait on c for at most ms milliseconds.  A timeout, a wakeup and a
 * spurious return look alike: the caller re-checks its condition. */
static inline void dl_wait_ms(dl_cond *c, dl_mutex *m, uint32_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(c, m, &ts);
}

#endif /* EXOKERN */

#endif
