/*
 * cpu.c: the global descriptor table, the task-state segment, and the
 * floating-point unit.
 *
 * Long mode ignores segment bases and limits, but still needs code and
 * data descriptors for rings 0 and 3, in the order `syscall`/`sysret`
 * expect (see SEL_* in mmu.h), and a TSS holding the stack the CPU
 * switches to on an interrupt from user mode (rsp0, the kernel stack) and
 * a separate stack for double faults (ist1), so a kernel stack overflow
 * still reaches panic.  The TSS has no I/O bitmap: every port is refused
 * to ring 3.
 *
 * fpu_init() lets user code use x87 and SSE (the kernel itself is built
 * without them); env_run() saves and restores each environment's state
 * with fxsave/fxrstor when it switches environments.
 */
#include "kern.h"
#include "trap.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct gdt_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[7];
static uint8_t df_stack[PAGE_SIZE] __attribute__((aligned(16)));

static void gdt_set_tss(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

	gdt[SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			   0x89ull << 40 | /* present, 64-bit TSS available */
			   ((limit >> 16) & 0xf) << 48 |
			   ((base >> 24) & 0xff) << 56;
	gdt[SEL_TSS / 8 + 1] = base >> 32;
}

void gdt_init(void)
{
	struct gdt_desc d = {sizeof(gdt) - 1, (uint64_t)gdt};

	gdt[SEL_KCODE / 8] = 0x00af9a000000ffff; /* 64-bit code, ring 0 */
	gdt[SEL_KDATA / 8] = 0x00cf92000000ffff; /* data, ring 0 */
	gdt[SEL_UDATA / 8] = 0x00cff2000000ffff; /* data, ring 3 */
	gdt[SEL_UCODE / 8] = 0x00affa000000ffff; /* 64-bit code, ring 3 */
	tss.rsp[0] = (uint64_t)kstack_top;
	tss.ist[0] = (uint64_t)(df_stack + sizeof(df_stack));
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(d), "i"(SEL_KCODE), "r"(SEL_KDATA),
			   "r"(SEL_TSS)
			 : "rax", "memory");
}

void fpu_init(void)
{
	uint64_t cr0, cr4;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 = (cr0 & ~(uint64_t)(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("fninit");
}
