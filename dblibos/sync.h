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

#endif
