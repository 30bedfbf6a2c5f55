/*
 * fault.c: attacks that can only end with the kernel killing this
 * environment.  `fault KIND` announces the vector it expects, then
 * performs one attack; the harness checks that the kernel reported that
 * vector and killed this environment, and that the programs after it
 * still ran.  Surviving the attack is a failure ("fault-KIND: 0 passed,
 * 1 failed").
 */
#include "utest.h"

#define KERNBASE 0xffffffff80000000ull
#define PHYSMAP  0xffff800000000000ull
#define NONCANON 0x0000800000000000ull
#define V_DE 0  /* divide error */
#define V_DB 1  /* debug: single step */
#define V_UD 6  /* invalid opcode */
#define V_GP 13 /* general protection */
#define V_PF 14 /* page fault */

struct attack {
	const char *kind;
	int vector;
	void (*run)(void);
};

static volatile uint64_t sink;

/* Read or write at addr, which the compiler cannot see through. */
static void peek(uint64_t addr)
{
	volatile uint64_t *volatile p = (volatile uint64_t *)addr;

	sink = *p;
}

static void poke(uint64_t addr)
{
	volatile uint64_t *volatile p = (volatile uint64_t *)addr;

	*p = 0xc3c3c3c3c3c3c3c3;
}

static void null_read(void)
{
	peek(0);
}

static void null_write(void)
{
	poke(8);
}

static void null_call(void)
{
	void (*volatile f)(void) = NULL;

	f();
}

static void kern_read(void)
{
	peek(KERNBASE + 0x100000);
}

static void kern_write(void)
{
	poke(KERNBASE + 0x100000);
}

static void kern_jump(void)
{
	void (*volatile f)(void) = (void (*)(void))(KERNBASE + 0x101000);

	f();
}

static void physmap_read(void)
{
	peek(PHYSMAP + 0x100000);
}

static void noncanon_read(void)
{
	peek(NONCANON);
}

static void text_write(void)
{
	poke((uint64_t)peek);
}

static void info_write(void)
{
	poke((uint64_t)&sys_info()->revoke_pages);
}

static void stack_exec(void)
{
	uint8_t code[16] = {0xc3}; /* ret */
	void (*volatile f)(void) = (void (*)(void))(uint64_t)code;

	f();
}

static void recurse(uint64_t depth)
{
	volatile char pad[4096];

	pad[0] = (char)depth;
	if (depth < (1ull << 40))
		recurse(depth + 1);
	sink = pad[0];
}

static void stack_overflow(void)
{
	recurse(0);
}

static void divide_zero(void)
{
	volatile int zero = 0;

	sink = (uint64_t)(100 / zero);
}

static void ud2(void)
{
	__asm__ volatile("ud2");
}

#define PRIV(name, insn)                              \
	static void name(void)                        \
	{                                             \
		__asm__ volatile(insn ::: "memory");  \
	}
PRIV(cli, "cli")
PRIV(sti, "sti")
PRIV(hlt, "hlt")
PRIV(in_port, "inb $0x60, %%al")
PRIV(out_exit, "mov $0xf4, %%dx; mov $0, %%eax; outl %%eax, %%dx")
PRIV(rdmsr, "mov $0xc0000082, %%ecx; rdmsr")
PRIV(wrmsr, "mov $0xc0000082, %%ecx; xor %%eax, %%eax; xor %%edx, %%edx; "
	    "wrmsr")
PRIV(mov_cr3, "xor %%eax, %%eax; mov %%rax, %%cr3")
PRIV(read_cr3, "mov %%cr3, %%rax")
PRIV(lidt, "sub $16, %%rsp; lidt (%%rsp)")
PRIV(lgdt, "sub $16, %%rsp; lgdt (%%rsp)")
PRIV(invlpg, "invlpg (%%rsp)")
PRIV(swapgs, "swapgs")
PRIV(sysret, "sysretq")
PRIV(int3, "int3")
PRIV(int_timer, "int $32")
PRIV(int80, "int $0x80")
PRIV(ltr, "mov $0x28, %%ax; ltr %%ax")
PRIV(load_kseg, "mov $0x10, %%ax; mov %%ax, %%ds")
/* Return to ring 0 through iretq, which is not privileged itself. */
PRIV(iret_kernel, "mov %%ss, %%rax; push %%rax; push %%rsp; pushfq; "
		  "push $0x08; lea 1f(%%rip), %%rax; push %%rax; iretq; 1:")
/* Single-step, alone and across a system call: the #DB arrives in ring 3
 * (SFMASK clears TF on entry, sysret restores it). */
PRIV(trap_flag, "pushfq; orq $0x100, (%%rsp); popfq; nop; nop")

static void tf_syscall(void)
{
	__asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; syscall; nop"
			 :
			 : "a"((uint64_t)SYS_time)
			 : "rcx", "r11", "memory");
}

static const struct attack attacks[] = {
	{"nullread", V_PF, null_read},
	{"nullwrite", V_PF, null_write},
	{"nullcall", V_PF, null_call},
	{"kernread", V_PF, kern_read},
	{"kernwrite", V_PF, kern_write},
	{"kernjump", V_PF, kern_jump},
	{"physread", V_PF, physmap_read},
	{"noncanon", V_GP, noncanon_read},
	{"textwrite", V_PF, text_write},
	{"infowrite", V_PF, info_write},
	{"stackexec", V_PF, stack_exec},
	{"stackoverflow", V_PF, stack_overflow},
	{"div0", V_DE, divide_zero},
	{"ud2", V_UD, ud2},
	{"cli", V_GP, cli},
	{"sti", V_GP, sti},
	{"hlt", V_GP, hlt},
	{"in", V_GP, in_port},
	{"outexit", V_GP, out_exit},
	{"rdmsr", V_GP, rdmsr},
	{"wrmsr", V_GP, wrmsr},
	{"movcr3", V_GP, mov_cr3},
	{"readcr3", V_GP, read_cr3},
	{"lidt", V_GP, lidt},
	{"lgdt", V_GP, lgdt},
	{"invlpg", V_GP, invlpg},
	{"swapgs", V_GP, swapgs},
	{"sysret", V_GP, sysret},
	{"int3", V_GP, int3},
	{"inttimer", V_GP, int_timer},
	{"int80", V_GP, int80},
	{"ltr", V_GP, ltr},
	{"loadkseg", V_GP, load_kseg},
	{"iretkern", V_GP, iret_kernel},
	{"trapflag", V_DB, trap_flag},
	{"tfsyscall", V_DB, tf_syscall},
};

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "";
	char label[64];

	snprintf(label, sizeof(label), "fault-%s", kind);
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		if (strcmp(attacks[i].kind, kind))
			continue;
		printf("fault-%s: expect vector %d\n", kind,
		       attacks[i].vector);
		attacks[i].run();
		printf("fault-%s: survived the attack\n", kind);
		CHECK(!"survived");
		return ut_done(label);
	}
	printf("fault: unknown attack \"%s\"\n", kind);
	CHECK(!"unknown attack");
	return ut_done(label);
}
