/*
 * serial.c: the console, on the first serial port (COM1, I/O port 0x3f8).
 * Output only and polled: the kernel writes a character when the
 * transmitter is empty.  '\n' goes out as "\r\n" for terminals.
 */
#include "dev.h"
#include "x86.h"

#define COM1 0x3f8
#define COM_THR 0 /* transmit holding register (DLAB 0) */
#define COM_DLL 0 /* divisor latch low (DLAB 1) */
#define COM_IER 1 /* interrupt enable (DLAB 0) */
#define COM_DLM 1 /* divisor latch high (DLAB 1) */
#define COM_FCR 2 /* FIFO control */
#define COM_LCR 3 /* line control */
#define COM_MCR 4 /* modem control */
#define COM_LSR 5 /* line status */
#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + COM_IER, 0);
	outb(COM1 + COM_LCR, LCR_DLAB);
	outb(COM1 + COM_DLL, 1); /* 115200 baud */
	outb(COM1 + COM_DLM, 0);
	outb(COM1 + COM_LCR, LCR_8N1);
	outb(COM1 + COM_FCR, 0xc7); /* enable and clear the FIFOs */
	outb(COM1 + COM_MCR, 0x03); /* DTR, RTS */
}

static void serial_out(char c)
{
	for (int i = 0; i < 100000; i++)
		if (inb(COM1 + COM_LSR) & LSR_THRE)
			break;
	outb(COM1 + COM_THR, (uint8_t)c);
}

void serial_putc(char c)
{
	if (c == '\n')
		serial_out('\r');
	serial_out(c);
}
