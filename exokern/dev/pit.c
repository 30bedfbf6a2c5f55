/*
 * pit.c: the 8254 programmable interval timer (1.193182 MHz input).
 * Channel 0 drives IRQ 0, the scheduler's tick.  Channel 2, whose output
 * can be read through port 0x61, measures the TSC frequency once at boot:
 * count down a known interval and see how far the TSC moved.
 */
#include "dev.h"
#include "x86.h"

#define PIT_HZ    1193182
#define PIT_CH0   0x40
#define PIT_CH2   0x42
#define PIT_CMD   0x43
#define PORT_B    0x61 /* bit 0: channel 2 gate, bit 5: channel 2 out */
#define CAL_MS    5

void pit_start(unsigned hz)
{
	unsigned div = PIT_HZ / hz;

	outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, rate generator */
	outb(PIT_CH0, (uint8_t)div);
	outb(PIT_CH0, (uint8_t)(div >> 8));
}

uint64_t pit_measure_tsc(void)
{
	unsigned count = PIT_HZ / 1000 * CAL_MS;
	uint64_t t0, t1;

	outb(PORT_B, (inb(PORT_B) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_CMD, 0xb0); /* channel 2, lo/hi byte, terminal count */
	outb(PIT_CH2, (uint8_t)count);
	outb(PIT_CH2, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PORT_B) & 0x20))
		;
	t1 = rdtsc();
	return (t1 - t0) * (1000 / CAL_MS);
}
