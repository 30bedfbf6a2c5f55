/*
 * hostile.c: attacks on the kernel and on another environment (victim.c)
 * that must each be refused with an error code, leaving the kernel, the
 * victim and this program unharmed.  Attacks that can only end in a fault
 * are in fault.c, one environment each.
 *
 * Covered: undefined system-call numbers; kernel, physical-map, null,
 * unmapped, non-canonical, read-only and page-crossing pointers and huge
 * or zero counts passed to every call that takes them; mapping, freeing
 * and unmapping kernel pages, unowned pages, freed pages and the victim's
 * page; mapping at kernel, non-canonical, unaligned or occupied addresses;
 * unmapping the info page, the program and the stack; system calls made
 * with a kernel stack pointer or the direction flag set; raising IOPL.
 */
#include "utest.h"
#include "victim.h"

#define KERNBASE   0xffffffff80000000ull
#define PHYSMAP    0xffff800000000000ull
#define NONCANON   0x0000800000000000ull
#define USERLIM    0x00007ffffffff000ull
#define KERN_PPN   0x101 /* inside the kernel image (loaded at 1 MiB) */
#define SCRATCH_VA ((char *)0x400000000ull) /* one page, then a hole */
#define FL_IOPL    0x3000ull

static const volatile struct exo_info *in;
static exo_ppn own; /* a page of ours mapped writable at SCRATCH_VA */

/* The page of our own code, and of the current stack. */
#define TEXT_PAGE ((uint64_t)sys & ~4095ull)
#define STACK_PAGE ((uint64_t)__builtin_frame_address(0) & ~4095ull)

static int64_t sys(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2,
		   uint64_t a3)
{
	return exo_syscall(num, a0, a1, a2, a3, 0, 0);
}

static void attack_numbers(void)
{
	CHECK_EQ(sys(0, 0, 0, 0, 0), EXO_ENOSYS);
	CHECK_EQ(sys(SYS_NCALLS, 0, 0, 0, 0), EXO_ENOSYS);
	CHECK_EQ(sys(SYS_NCALLS + 1000, 0, 0, 0, 0), EXO_ENOSYS);
	CHECK_EQ(sys(~0ull, 0, 0, 0, 0), EXO_ENOSYS);
	CHECK_EQ(sys(1ull << 32 | SYS_cputs, (uint64_t)"x", 1, 0, 0),
		 EXO_ENOSYS);
	CHECK_EQ(sys(SYS_disk_attach, (uint64_t)"cap", 3, 0, 0),
		 EXO_ENOENT); /* this machine has no disk */
	CHECK_EQ(sys(SYS_io_submit, KERNBASE, 1, 0, 0), EXO_EDETACHED);
}

static void attack_cputs(void)
{
	CHECK_EQ(sys_cputs(NULL, 10), EXO_EFAULT);
	CHECK_EQ(sys_cputs((char *)KERNBASE, 10), EXO_EFAULT);
	CHECK_EQ(sys_cputs((char *)PHYSMAP, 10), EXO_EFAULT);
	CHECK_EQ(sys_cputs((char *)NONCANON, 1), EXO_EFAULT);
	CHECK_EQ(sys_cputs((char *)0x500000000ull, 10), EXO_EFAULT);
	CHECK_EQ(sys_cputs(SCRATCH_VA + EXO_PAGE_SIZE - 4, 8), EXO_EFAULT);
	CHECK_EQ(sys_cputs((char *)USERLIM - 4, 100), EXO_EFAULT);
	CHECK_EQ(sys_cputs("x", EXO_CPUTS_MAX + 1), EXO_EINVAL);
	CHECK_EQ(sys_cputs("x", ~0ull), EXO_EINVAL);
}

static void attack_alloc(void)
{
	uint64_t owned = in->pages_owned;
	exo_ppn got;

	CHECK_EQ(sys_page_alloc(0, 1, NULL), EXO_EFAULT);
	CHECK_EQ(sys_page_alloc(0, 1, (exo_ppn *)KERNBASE), EXO_EFAULT);
	CHECK_EQ(sys_page_alloc(0, 1, (exo_ppn *)in), EXO_EFAULT);
	CHECK_EQ(sys_page_alloc(0, 1, (exo_ppn *)(uint64_t)attack_alloc),
		 EXO_EFAULT);
	CHECK_EQ(sys_page_alloc(0, 1, (exo_ppn *)(SCRATCH_VA + 4092)),
		 EXO_EFAULT);
	CHECK_EQ(sys_page_alloc(0, 0, &got), EXO_EINVAL);
	CHECK_EQ(sys_page_alloc(0, EXO_SYS_MAXPAGES + 1, &got), EXO_EINVAL);
	CHECK_EQ(sys_page_alloc(0, ~0ull, &got), EXO_EINVAL);
	CHECK_EQ(in->pages_owned, owned); /* refusals leaked nothing */
	CHECK_EQ(sys_page_alloc(KERN_PPN, 1, &got), 0);
	CHECK(got != KERN_PPN);
	CHECK_EQ(sys_page_free(got, 1), 0);
	CHECK_EQ(sys_page_alloc(victim_ppn(), 1, &got), 0);
	CHECK(got != victim_ppn());
	CHECK_EQ(sys_page_free(got, 1), 0);
}

/* Writing through a read-only mapping of our own page, via the kernel;
 * mapping a page after freeing it. */
static void attack_readonly_out(void)
{
	char *va = SCRATCH_VA + 16 * EXO_PAGE_SIZE;
	exo_ppn p;

	CHECK_EQ(sys_page_alloc(0, 1, &p), 0);
	CHECK_EQ(sys_page_map(p, va, 1, 0), 0);
	CHECK_EQ(sys_page_alloc(0, 1, (exo_ppn *)va), EXO_EFAULT);
	CHECK_EQ(*(volatile exo_ppn *)va, 0);
	CHECK_EQ(sys_page_free(p, 1), 0);
	CHECK_EQ(sys_page_map(p, va, 1, EXO_MAP_W), EXO_EPERM); /* freed */
}

static void attack_map(void)
{
	char *va = SCRATCH_VA + 32 * EXO_PAGE_SIZE;

	CHECK_EQ(sys_page_map(KERN_PPN, va, 1, EXO_MAP_W), EXO_EPERM);
	CHECK_EQ(sys_page_map(0, va, 1, 0), EXO_EPERM);
	CHECK_EQ(sys_page_map(victim_ppn(), va, 1, 0), EXO_EPERM);
	CHECK_EQ(sys_page_map(1ull << 40, va, 1, 0), EXO_ERANGE);
	CHECK_EQ(sys_page_map(in->pages_total - 1, va, 2, 0), EXO_ERANGE);
	CHECK_EQ(sys_page_map(own, va, 2, 0), EXO_EPERM); /* own + 1: not */
	CHECK_EQ(sys_page_map(own, (void *)KERNBASE, 1, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, (void *)PHYSMAP, 1, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, (void *)NONCANON, 1, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, (void *)USERLIM, 1, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, (char *)USERLIM - EXO_PAGE_SIZE, 2, 0),
		 EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, NULL, 1, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, va + 8, 1, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, va, 1, 2), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, va, 1, ~0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, va, 0, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, va, ~0ull, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, (void *)in, 1, EXO_MAP_W), EXO_EINVAL);
	CHECK_EQ(sys_page_map(own, (void *)(TEXT_PAGE), 1,
			      EXO_MAP_W),
		 EXO_EEXIST);
	CHECK_EQ(sys_page_map(own, (void *)(STACK_PAGE),
			      1, EXO_MAP_W),
		 EXO_EEXIST);
}

static void attack_free(void)
{
	exo_ppn p;

	CHECK_EQ(sys_page_free(KERN_PPN, 1), EXO_EPERM);
	CHECK_EQ(sys_page_free(victim_ppn(), 1), EXO_EPERM);
	CHECK_EQ(sys_page_free(1ull << 40, 1), EXO_ERANGE);
	CHECK_EQ(sys_page_free(own, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_free(own, ~0ull), EXO_EINVAL);
	CHECK_EQ(sys_page_free(own, 2), EXO_EPERM);
	CHECK_EQ(SCRATCH_VA[5], 's'); /* still ours and mapped */
	CHECK_EQ(sys_page_alloc(0, 1, &p), 0);
	CHECK_EQ(sys_page_free(p, 1), 0);
	CHECK_EQ(sys_page_free(p, 1), EXO_EPERM); /* double free */
}

static void attack_unmap(void)
{
	CHECK_EQ(sys_page_unmap((void *)in, 1), EXO_EINVAL);
	CHECK_EQ(in->magic, EXO_INFO_MAGIC);
	CHECK_EQ(sys_page_unmap((void *)(TEXT_PAGE), 1),
		 EXO_EINVAL);
	CHECK_EQ(sys_page_unmap((void *)(STACK_PAGE),
				1),
		 EXO_EINVAL);
	CHECK_EQ(sys_page_unmap((void *)KERNBASE, 1), EXO_EINVAL);
	CHECK_EQ(sys_page_unmap(VICTIM_VA, 1), EXO_EINVAL);
	CHECK_EQ(sys_page_unmap(SCRATCH_VA, 0), EXO_EINVAL);
	CHECK_EQ(sys_page_unmap(SCRATCH_VA, ~0ull), EXO_EINVAL);
	CHECK_EQ(sys_page_unmap(SCRATCH_VA, 2), EXO_EINVAL); /* 2nd: hole */
	CHECK_EQ(sys_page_unmap(SCRATCH_VA + 1, 1), EXO_EINVAL);
	CHECK_EQ(SCRATCH_VA[5], 's');
}

static void attack_registers(void)
{
	uint64_t flags;
	int64_t r;

	/* A system call with a kernel address in rsp. */
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %2, %%rsp\n\t"
			 "syscall\n\t"
			 "mov %%rbx, %%rsp"
			 : "=a"(r)
			 : "a"((uint64_t)SYS_time), "r"(KERNBASE + 0x1000)
			 : "rbx", "rcx", "r11", "memory");
	CHECK(r > 0);
	/* With the direction flag set: the kernel must not copy backwards. */
	__asm__ volatile("std\n\t"
			 "syscall\n\t"
			 "cld"
			 : "=a"(r)
			 : "a"((uint64_t)SYS_cputs), "D"("DF ok\n"), "S"(6ul)
			 : "rcx", "r11", "memory");
	CHECK_EQ(r, 6);
	/* popf cannot raise the I/O privilege level in ring 3. */
	__asm__ volatile("pushfq\n\t"
			 "orq %1, (%%rsp)\n\t"
			 "popfq\n\t"
			 "pushfq\n\t"
			 "popq %0"
			 : "=r"(flags)
			 : "i"(FL_IOPL)
			 : "memory", "cc");
	CHECK_EQ(flags & FL_IOPL, 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	in = sys_info();
	CHECK_EQ(page_take(busy_ppn()), 0);  /* see victim.h */
	CHECK_EQ(page_wait(ack_ppn(), 1), 0); /* the victim is ready */
	CHECK_EQ(sys_page_alloc(0, 1, &own), 0);
	CHECK_EQ(sys_page_map(own, SCRATCH_VA, 1, EXO_MAP_W), 0);
	memset(SCRATCH_VA, 's', EXO_PAGE_SIZE);
	attack_numbers();
	attack_cputs();
	attack_alloc();
	attack_readonly_out();
	attack_map();
	attack_free();
	attack_unmap();
	attack_registers();
	CHECK(page_taken(victim_ppn()));
	CHECK_EQ(sys_page_free(own, 1), 0);
	CHECK_EQ(in->pages_owned, 1); /* busy_ppn */
	CHECK_EQ(sys_page_free(busy_ppn(), 1), 0); /* the attack is over */
	return ut_done("hostile");
}
