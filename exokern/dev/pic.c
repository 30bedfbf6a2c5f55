/*
 * pic.c: the two cascaded 8259A interrupt controllers.  pic_init() remaps
 * IRQ 0..15 to vectors T_IRQ0..T_IRQ0+15 (away from the CPU exceptions)
 * and masks them all; drivers unmask what they use.  Every handled IRQ is
 * acknowledged with pic_eoi(), except spurious ones (pic_spurious()).
 */
#include "dev.h"
#include "trapno.h"
#include "x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI   0x20
#define PIC_READ_ISR 0x0b
#define IRQ_CASCADE 2

static uint16_t pic_mask = 0xffff;

static void pic_set_mask(void)
{
	outb(PIC1_DATA, (uint8_t)pic_mask);
	outb(PIC2_DATA, (uint8_t)(pic_mask >> 8));
}

void pic_init(void)
{
	outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, T_IRQ0);     /* ICW2: vector base */
	outb(PIC2_DATA, T_IRQ0 + 8);
	outb(PIC1_DATA, 1 << IRQ_CASCADE); /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, IRQ_CASCADE);
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	pic_mask = 0xffff & ~(1u << IRQ_CASCADE);
	pic_set_mask();
}

void pic_unmask(int irq)
{
	pic_mask &= (uint16_t)~(1u << irq);
	pic_set_mask();
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

int pic_spurious(int irq)
{
	uint16_t port = irq == IRQ_SPUR1 ? PIC1_CMD : PIC2_CMD;

	if (irq != IRQ_SPUR1 && irq != IRQ_SPUR2)
		return 0;
	outb(port, PIC_READ_ISR);
	if (inb(port) & 0x80)
		return 0;
	if (irq == IRQ_SPUR2)
		outb(PIC1_CMD, PIC_EOI); /* the master did see the cascade */
	return 1;
}
