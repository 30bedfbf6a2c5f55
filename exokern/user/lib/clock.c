/*
 * clock.c: the clock of user programs, read without a system call.
 *
 * The kernel's clock is the TSC scaled by a factor it measured at boot;
 * the info page carries both (tsc_base, tsc_ns_mult), so exo_clock_ns()
 * computes exactly what SYS_time would return, from rdtsc alone.  time.h's
 * functions are built on it: CLOCK_MONOTONIC is that clock,
 * CLOCK_REALTIME and time() add the wall-clock time of boot the kernel
 * read from the RTC (realtime_base_ns).  Dates (gmtime_r) use the
 * proleptic Gregorian calendar.
 */
#include <string.h>
#include <time.h>

#include "uthread.h"
#include "ulib.h"

static const volatile struct exo_info *clock_info;

uint64_t exo_clock_ns(void)
{
	uint64_t mult;

	if (!clock_info)
		clock_info = sys_info();
	mult = clock_info->tsc_ns_mult;
	if (!mult)
		return sys_time();
	return (uint64_t)((unsigned __int128)(rdtsc() - clock_info->tsc_base) *
				  mult >>
			  32);
}

static uint64_t realtime_ns(void)
{
	uint64_t ns = exo_clock_ns(); /* sets clock_info */

	return clock_info->realtime_base_ns + ns;
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	uint64_t ns;

	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return -1;
	ns = clk == CLOCK_REALTIME ? realtime_ns() : exo_clock_ns();
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
	return 0;
}

time_t time(time_t *t)
{
	time_t s = (time_t)(realtime_ns() / 1000000000u);

	if (t)
		*t = s;
	return s;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!req || req->tv_sec < 0 || req->tv_nsec < 0 ||
	    req->tv_nsec >= 1000000000)
		return -1;
	uthread_sleep_ns((uint64_t)req->tv_sec * 1000000000u +
			 (uint64_t)req->tv_nsec);
	if (rem)
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

/* Days since 1970-01-01 to year y, month m (1..12), day d. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

struct tm *gmtime_r(const time_t *t, struct tm *out)
{
	static const int before[12] = { 0,   31,  59,  90,  120, 151,
					181, 212, 243, 273, 304, 334 };
	int64_t days = *t / 86400, secs = *t % 86400, y;
	int m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	*out = (struct tm){
		.tm_sec = (int)(secs % 60),
		.tm_min = (int)(secs / 60 % 60),
		.tm_hour = (int)(secs / 3600),
		.tm_mday = d,
		.tm_mon = m - 1,
		.tm_year = (int)(y - 1900),
		.tm_wday = (int)((days % 7 + 11) % 7), /* 1970-01-01: Thu */
		.tm_yday = before[m - 1] + d - 1 + (m > 2 && leap(y)),
	};
	return out;
}

struct sbuf {
	char *buf;
	size_t size, len;
};

static void sb_put(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, b->len < b->size ? b->size - b->len : 0,
		      fmt, ap);
	va_end(ap);
	b->len += (size_t)(n > 0 ? n : 0);
}

size_t strftime(char *buf, size_t size, const char *fmt, const struct tm *tm)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct sbuf b = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%' || !fmt[1]) {
			sb_put(&b, "%c", *fmt);
			continue;
		}
		switch (*++fmt) {
		case 'Y':
			sb_put(&b, "%d", tm->tm_year + 1900);
			break;
		case 'm':
			sb_put(&b, "%02d", tm->tm_mon + 1);
			break;
		case 'd':
			sb_put(&b, "%02d", tm->tm_mday);
			break;
		case 'H':
			sb_put(&b, "%02d", tm->tm_hour);
			break;
		case 'M':
			sb_put(&b, "%02d", tm->tm_min);
			break;
		case 'S':
			sb_put(&b, "%02d", tm->tm_sec);
			break;
		case 'j':
			sb_put(&b, "%03d", tm->tm_yday + 1);
			break;
		case 'F':
			sb_put(&b, "%d-%02d-%02d", tm->tm_year + 1900,
			       tm->tm_mon + 1, tm->tm_mday);
			break;
		case 'T':
			sb_put(&b, "%02d:%02d:%02d", tm->tm_hour, tm->tm_min,
			       tm->tm_sec);
			break;
		case 'a':
			sb_put(&b, "%.3s", days + 3 * (tm->tm_wday % 7));
			break;
		case 'b':
			sb_put(&b, "%.3s", months + 3 * (tm->tm_mon % 12));
			break;
		default:
			sb_put(&b, "%c", *fmt);
			break;
		}
	}
	if (b.len >= size)
		return 0; /* it did not fit */
	return b.len;
}
