/*
 * main.c: kmain, called by boot.S in 64-bit mode on the boot stack with
 * the boot page tables.  It brings the machine up in order, starts one
 * environment per boot module and enters the scheduler for good.
 */
#include "dev.h"
#include "disk.h"
#include "env.h"
#include "kern.h"
#include "multiboot.h"
#include "pmem.h"
#include "trap.h"
#include "vm.h"

extern uint32_t boot_magic, boot_mbi;

static struct boot_info boot_info;

static void start_modules(const struct boot_info *bi)
{
	for (int i = 0; i < bi->nmods; i++) {
		int r = env_create(&bi->mods[i]);

		if (r)
			kprintf("exokern: module %d [%s]: not started: %s\n",
				i, bi->mods[i].cmdline, exo_strerror(r));
	}
}

noreturn void kmain(void)
{
	cons_init();         /* serial console */
	kprintf("exokern: booting\n");
	mboot_parse(boot_magic, boot_mbi, &boot_info); /* memory map, modules */
	gdt_init();          /* segments, TSS */
	fpu_init();          /* x87 and SSE for user code */
	idt_init();          /* exception and interrupt gates */
	syscall_init();      /* syscall/sysret MSRs */
	pmem_init(&boot_info); /* core page ownership, kernel pool */
	vm_init();           /* kernel page tables */
	clock_init();        /* TSC against the PIT */
	pic_init();          /* interrupt controllers, all masked */
	pit_start(SLICE_HZ); /* the preemption tick */
	pic_unmask(IRQ_TIMER);
	disk_init();         /* virtio-blk, label and ownership map */
	kprintf("exokern: TSC %lu MHz, %d modules\n",
		clock_tsc_hz() / 1000000, boot_info.nmods);
	start_modules(&boot_info); /* one environment per module */
	sched();
}
