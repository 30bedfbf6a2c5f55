/*
 * rtc.c: the MC146818 real-time clock (CMOS, ports 0x70/0x71), read once
 * at boot for the wall clock.  The kernel keeps time with the TSC; the
 * RTC only says what date and time it was at boot, which the info page
 * passes on (realtime_base_ns) so programs have a CLOCK_REALTIME.
 *
 * A read waits for no update in progress and reads until two reads
 * agree, then decodes BCD and 12-hour formats as status register B says.
 * The century is taken as 20xx (the CMOS century register is not
 * standard).
 */
#include "dev.h"
#include "kern.h"
#include "x86.h"

#define CMOS_ADDR 0x70
#define CMOS_DATA 0x71
#define RTC_SEC   0x00
#define RTC_MIN   0x02
#define RTC_HOUR  0x04
#define RTC_DAY   0x07
#define RTC_MON   0x08
#define RTC_YEAR  0x09
#define RTC_STA   0x0a /* bit 7: update in progress */
#define RTC_STB   0x0b /* bit 1: 24-hour, bit 2: binary */
#define RTC_TRIES 100000

static uint8_t cmos(uint8_t reg)
{
	outb(CMOS_ADDR, reg);
	return inb(CMOS_DATA);
}

struct rtc_time {
	uint8_t sec, min, hour, day, mon, year;
};

static int rtc_read(struct rtc_time *t)
{
	for (int i = 0; i < RTC_TRIES; i++)
		if (!(cmos(RTC_STA) & 0x80)) {
			*t = (struct rtc_time){ cmos(RTC_SEC), cmos(RTC_MIN),
						cmos(RTC_HOUR), cmos(RTC_DAY),
						cmos(RTC_MON), cmos(RTC_YEAR) };
			return 0;
		}
	return -1;
}

static uint8_t bcd(uint8_t v)
{
	return (uint8_t)((v >> 4) * 10 + (v & 0xf));
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

uint64_t rtc_epoch_s(void)
{
	struct rtc_time a, b;
	uint8_t stb = cmos(RTC_STB), hour;
	int tries = 0;

	do {
		if (rtc_read(&a) || rtc_read(&b))
			return 0;
	} while (memcmp(&a, &b, sizeof(a)) && ++tries < 10);
	hour = a.hour & 0x7f;
	if (!(stb & 0x04)) {
		a.sec = bcd(a.sec);
		a.min = bcd(a.min);
		hour = bcd(hour);
		a.day = bcd(a.day);
		a.mon = bcd(a.mon);
		a.year = bcd(a.year);
	}
	if (!(stb & 0x02) && (a.hour & 0x80)) /* 12-hour clock, PM */
		hour = (uint8_t)(hour % 12 + 12);
	else if (!(stb & 0x02) && hour == 12)
		hour = 0;
	if (a.mon < 1 || a.mon > 12 || a.day < 1 || a.day > 31 || hour > 23 ||
	    a.min > 59 || a.sec > 59)
		return 0;
	return (uint64_t)(days_from_civil(2000 + a.year, a.mon, a.day) *
				  86400 +
			  hour * 3600 + a.min * 60 + a.sec);
}
