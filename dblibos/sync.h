/*
 * sync.h: the locks and condition variables dblibos uses.
 *
 * Hosted, these are pthreads.  On exokern (issue 9) the libOS schedules its
 * own user-level threads and provides the same names; nothing else in
 * dblibos touches a thread library directly.
 */
#ifndef DBLIBOS_SYNC_H
#define DBLIBOS_SYNC_H

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

#endif
