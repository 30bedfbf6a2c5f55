/*
 * time.h: clocks for exokern programs (clock.c).  CLOCK_MONOTONIC counts
 * from boot; CLOCK_REALTIME and time() from 1970, as the machine's
 * real-time clock said at boot.  nanosleep sleeps the calling user-level thread
 * (uthread.h); other threads run meanwhile.  gmtime_r and strftime
 * turn seconds since 1970 (from a disk label, say) into dates.
 */
#ifndef EXOKERN_TIME_H
#define EXOKERN_TIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t time_t;
typedef int clockid_t;

struct timespec {
	time_t tv_sec;
	long tv_nsec;
};

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1

struct tm {
	int tm_sec, tm_min, tm_hour;
	int tm_mday, tm_mon, tm_year; /* month 0..11, years since 1900 */
	int tm_wday, tm_yday, tm_isdst;
};

int clock_gettime(clockid_t clk, struct timespec *ts);
/* UTC; strftime knows %Y %m %d %H %M %S %F %T %j %a %b %%. */
struct tm *gmtime_r(const time_t *t, struct tm *out);
size_t strftime(char *buf, size_t size, const char *fmt, const struct tm *tm);
time_t time(time_t *t);
int nanosleep(const struct timespec *req, struct timespec *rem);

#endif
