/*
 * clock.c: the kernel's monotonic clock.  Time is the TSC since the first
 * instruction of boot.S (boot_tsc), scaled to nanoseconds with a factor
 * measured against the PIT at boot.  clock_ns() is what SYS_time and the
 * info page report, and what revocation deadlines are compared with; the
 * info page also carries boot_tsc and the factor, so that programs read
 * the same clock without a system call, and the wall-clock time of time
 * zero, from the RTC at boot.
 */
#include "dev.h"
#include "kern.h"
#include "x86.h"

static uint64_t tsc_hz;
static uint64_t ns_mult; /* nanoseconds per TSC tick, 32.32 fixed point */
static uint64_t realtime_base; /* wall-clock ns at clock_ns() == 0 */

void clock_init(void)
{
	tsc_hz = pit_measure_tsc();
	if (tsc_hz == 0)
		panic("clock_init: the TSC does not advance");
	ns_mult = (1000000000ull << 32) / tsc_hz; /* fits: 1e9 < 2^30 */
	realtime_base = rtc_epoch_s() * 1000000000ull;
	if (realtime_base)
		realtime_base -= clock_ns();
}

uint64_t clock_ns(void)
{
	uint64_t d = rdtsc() - boot_tsc;

	return (uint64_t)(((unsigned __int128)d * ns_mult) >> 32);
}

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t clock_ns_mult(void)
{
	return ns_mult;
}

uint64_t clock_realtime_base(void)
{
	return realtime_base;
}
