/*
 * dev.h: the legacy PC devices exokern drives itself: the COM1 serial
 * port (the console), the two 8259 interrupt controllers, the 8254
 * interval timer (the preemption tick, and the reference that calibrates
 * the TSC, which is the kernel's clock) and the real-time clock (the date
 * at boot).
 */
#ifndef EXOKERN_DEV_H
#define EXOKERN_DEV_H

#include <stdint.h>

/* serial.c: COM1 at 115200 8N1, polled output only. */
void serial_init(void);
void serial_putc(char c);

/* pic.c: remap IRQ 0..15 to vectors T_IRQ0..T_IRQ0+15, all masked. */
void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);
int pic_spurious(int irq); /* a spurious IRQ 7 or 15: no EOI, ignore */

/* rtc.c: seconds since 1970 (UTC, as the RTC keeps it) now, or 0 if the
 * RTC cannot be read. */
uint64_t rtc_epoch_s(void);

/* pit.c */
void pit_start(unsigned hz);     /* channel 0: IRQ 0 hz times a second */
uint64_t pit_measure_tsc(void);  /* TSC ticks per second, via channel 2 */

#endif
