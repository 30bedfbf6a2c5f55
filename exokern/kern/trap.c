/*
 * trap.c: the interrupt descriptor table and the dispatch of interrupts
 * and exceptions.
 *
 * Every gate is an interrupt gate for ring 0 only, so `int n` from user
 * mode is a general-protection fault.  An exception in user mode prints
 * the vector, error code, rip and faulting address (cr2) and kills that
 * environment only; the kernel runs with interrupts off and touches user
 * memory only through checked copies, so an exception in the kernel is a
 * kernel bug: it panics with the same details.  The one trap the kernel
 * takes from itself is an interrupt while it idles (sched.c).  The timer
 * interrupt preempts the running environment (sched_tick); other lines
 * go to the handler a driver registered (irq_register), then are
 * acknowledged.
 */
#include "dev.h"
#include "env.h"
#include "kern.h"
#include "trap.h"
#include "x86.h"

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct idt_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern const uint64_t trap_vectors[T_NVECTORS];
static struct idt_gate idt[T_NVECTORS];
static void (*irq_handlers[16])(void);

static const char *const trap_names[] = {
	[T_DIVIDE] = "divide error",
	[T_DEBUG] = "debug",
	[T_NMI] = "non-maskable interrupt",
	[T_BRKPT] = "breakpoint",
	[T_OFLOW] = "overflow",
	[T_BOUND] = "bound range exceeded",
	[T_ILLOP] = "invalid opcode",
	[T_DEVICE] = "device not available",
	[T_DBLFLT] = "double fault",
	[T_TSS] = "invalid TSS",
	[T_SEGNP] = "segment not present",
	[T_STACK] = "stack fault",
	[T_GPFLT] = "general protection",
	[T_PGFLT] = "page fault",
	[T_FPERR] = "x87 floating-point error",
	[T_ALIGN] = "alignment check",
	[T_MCHK] = "machine check",
	[T_SIMDERR] = "SIMD floating-point error",
};

void idt_init(void)
{
	struct idt_desc d = {sizeof(idt) - 1, (uint64_t)idt};

	for (int i = 0; i < T_NVECTORS; i++) {
		uint64_t off = trap_vectors[i];

		idt[i] = (struct idt_gate){
			.off_lo = (uint16_t)off,
			.sel = SEL_KCODE,
			.ist = i == T_DBLFLT ? 1 : 0,
			.type = 0x8e, /* present, ring 0, interrupt gate */
			.off_mid = (uint16_t)(off >> 16),
			.off_hi = (uint32_t)(off >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(d));
}

static const char *trap_name(uint64_t n)
{
	if (n < sizeof(trap_names) / sizeof(trap_names[0]) && trap_names[n])
		return trap_names[n];
	if (n >= T_IRQ0 && n < T_IRQ0 + 16)
		return "interrupt";
	return "reserved exception";
}

static noreturn void kernel_fault(const struct trapframe *tf)
{
	panic("trap: %s (vector %lu) in the kernel: err 0x%lx rip 0x%lx "
	      "cr2 0x%lx rsp 0x%lx",
	      trap_name(tf->trapno), tf->trapno, tf->err, tf->rip, rcr2(),
	      tf->rsp);
}

static noreturn void user_fault(struct env *e)
{
	const struct trapframe *tf = &e->tf;

	kprintf("exokern: env %u [%s]: %s (vector %lu) err 0x%lx rip 0x%lx "
		"cr2 0x%lx\n",
		e->id, e->name, trap_name(tf->trapno), tf->trapno, tf->err,
		tf->rip, rcr2());
	env_killed++;
	env_exit(e, "killed by vector", (int64_t)tf->trapno);
}

void irq_register(int irq, void (*fn)(void))
{
	irq_handlers[irq] = fn;
}

/* Handle interrupt line irq; the timer's does not return. */
static void irq_dispatch(int irq)
{
	if (irq == IRQ_TIMER)
		sched_tick();
	if (pic_spurious(irq))
		return;
	if (irq_handlers[irq])
		irq_handlers[irq]();
	pic_eoi(irq);
}

noreturn void trap(struct trapframe *tf)
{
	int irq = (int)tf->trapno - T_IRQ0;
	int is_irq = irq >= 0 && irq < 16;

	if ((tf->cs & 3) != 3) {
		if (!is_irq || !sched_idling)
			kernel_fault(tf);
		irq_dispatch(irq);
		sched();
	}
	if (!curenv)
		kernel_fault(tf);
	curenv->tf = *tf;
	if (!is_irq)
		user_fault(curenv);
	irq_dispatch(irq);
	env_run(curenv);
}
