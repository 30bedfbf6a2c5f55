/*
 * pthread.h: POSIX threads over the user-level threads of uthread.h, for
 * code written against pthreads (the benchmark driver).  Threads are
 * cooperative: they switch when one blocks or yields, never in the middle
 * of a computation.  Attributes are ignored.  Timed waits take their
 * deadline on CLOCK_REALTIME, as POSIX says.
 */
#ifndef EXOKERN_PTHREAD_H
#define EXOKERN_PTHREAD_H

#include <errno.h>
#include <time.h>

#include "uthread.h"

typedef struct uthread *pthread_t;
typedef struct umutex pthread_mutex_t;
typedef struct ucond pthread_cond_t;
typedef struct urwlock pthread_rwlock_t;
typedef int pthread_attr_t;
typedef int pthread_mutexattr_t;
typedef int pthread_condattr_t;
typedef int pthread_rwlockattr_t;

#define PTHREAD_MUTEX_INITIALIZER  { 0 }
#define PTHREAD_COND_INITIALIZER   { { 0 } }
#define PTHREAD_RWLOCK_INITIALIZER { 0 }

static inline int pthread_create(pthread_t *t, const pthread_attr_t *attr,
				 void *(*fn)(void *), void *arg)
{
	(void)attr;
	return uthread_create(t, fn, arg) ? EAGAIN : 0;
}

static inline int pthread_join(pthread_t t, void **ret)
{
	return uthread_join(t, ret) ? EINVAL : 0;
}

static inline int pthread_mutex_init(pthread_mutex_t *m,
				     const pthread_mutexattr_t *attr)
{
	(void)attr;
	umutex_init(m);
	return 0;
}

static inline int pthread_mutex_destroy(pthread_mutex_t *m)
{
	(void)m;
	return 0;
}

static inline int pthread_mutex_lock(pthread_mutex_t *m)
{
	umutex_lock(m);
	return 0;
}

static inline int pthread_mutex_unlock(pthread_mutex_t *m)
{
	umutex_unlock(m);
	return 0;
}

static inline int pthread_cond_init(pthread_cond_t *c,
				    const pthread_condattr_t *attr)
{
	(void)attr;
	ucond_init(c);
	return 0;
}

static inline int pthread_cond_destroy(pthread_cond_t *c)
{
	(void)c;
	return 0;
}

static inline int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	ucond_wait(c, m);
	return 0;
}

static inline uint64_t pthread_realtime_ns_(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int pthread_cond_timedwait(pthread_cond_t *c,
					 pthread_mutex_t *m,
					 const struct timespec *abs)
{
	uint64_t at = (uint64_t)abs->tv_sec * 1000000000u +
		      (uint64_t)abs->tv_nsec, now = pthread_realtime_ns_();

	if (at <= now)
		return ETIMEDOUT;
	ucond_wait_ns(c, m, at - now);
	return pthread_realtime_ns_() >= at ? ETIMEDOUT : 0;
}

static inline int pthread_cond_signal(pthread_cond_t *c)
{
	ucond_signal(c);
	return 0;
}

static inline int pthread_cond_broadcast(pthread_cond_t *c)
{
	ucond_broadcast(c);
	return 0;
}

static inline int pthread_rwlock_init(pthread_rwlock_t *l,
				      const pthread_rwlockattr_t *attr)
{
	(void)attr;
	urwlock_init(l);
	return 0;
}

static inline int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	(void)l;
	return 0;
}

static inline int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	urwlock_rdlock(l);
	return 0;
}

static inline int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	urwlock_wrlock(l);
	return 0;
}

static inline int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	urwlock_unlock(l);
	return 0;
}

#endif
