/*
 * bench.c: measurements inside the guest, in TSC cycles and as multiples
 * of a plain (not inlined) function call, which is what means something
 * under emulation:
 *
 *   boot        from the kernel's first instruction (its clock starts
 *               there) to this program's first instruction (crt0 reads
 *               the TSC)
 *   syscall     a null system call (SYS_info: enter, dispatch, return)
 *   alloc+map   allocating one page by name (hint: the next page) and
 *               mapping it; also unmap+free, and a yield to itself
 *
 * Each figure is the best of ROUNDS averages over ITERS operations.
 */
#include "utest.h"

#define ITERS  20000
#define PAGES  2000
#define ROUNDS 5
#define BENCH_VA 0x700000000ull

__attribute__((noinline)) static uint64_t plain_call(uint64_t x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

static uint64_t cycles_call(void)
{
	uint64_t t = rdtsc(), x = 0;

	for (int i = 0; i < ITERS; i++)
		x = plain_call(x);
	t = rdtsc() - t;
	CHECK_EQ(x, ITERS);
	return t / ITERS;
}

static uint64_t cycles_syscall(void)
{
	uint64_t t = rdtsc(), bad = 0;

	for (int i = 0; i < ITERS; i++)
		bad += exo_syscall(SYS_info, 0, 0, 0, 0, 0, 0) <= 0;
	t = rdtsc() - t;
	CHECK_EQ(bad, 0);
	return t / ITERS;
}

static uint64_t cycles_yield(void)
{
	uint64_t t = rdtsc();

	for (int i = 0; i < ITERS / 10; i++)
		sys_yield();
	return (rdtsc() - t) / (ITERS / 10);
}

/* Allocate and map PAGES pages, then unmap and free them; *undo gets the
 * cost of unmap+free. */
static uint64_t cycles_alloc_map(uint64_t *undo)
{
	static exo_ppn ppn[PAGES];
	uint64_t t, fails = 0;
	exo_ppn p = 0;

	t = rdtsc();
	for (int i = 0; i < PAGES; i++) {
		fails += sys_page_alloc(p + 1, 1, &p) != 0;
		fails += sys_page_map(p, (void *)(BENCH_VA + i * EXO_PAGE_SIZE),
				      1, EXO_MAP_W) != 0;
		ppn[i] = p;
	}
	t = rdtsc() - t;
	*undo = rdtsc();
	for (int i = 0; i < PAGES; i++) {
		fails += sys_page_unmap((void *)(BENCH_VA + i * EXO_PAGE_SIZE),
					1) != 0;
		fails += sys_page_free(ppn[i], 1) != 0;
	}
	*undo = (rdtsc() - *undo) / PAGES;
	CHECK_EQ(fails, 0);
	return t / PAGES;
}

static uint64_t best(uint64_t (*f)(void))
{
	uint64_t b = ~0ull;

	for (int r = 0; r < ROUNDS; r++) {
		uint64_t c = f();

		b = c < b ? c : b;
	}
	return b;
}

/* TSC ticks per microsecond, against the kernel's clock. */
static uint64_t tsc_per_us(void)
{
	uint64_t t0 = sys_time(), c0 = rdtsc(), t1;

	while ((t1 = sys_time()) - t0 < 20000000)
		;
	return (rdtsc() - c0) * 1000 / (t1 - t0);
}

static void ratio(const char *what, uint64_t cycles, uint64_t call)
{
	uint64_t r10 = cycles * 10 / (call ? call : 1);

	printf("bench: %-28s %8lu cycles = %5lu.%lu x function call\n", what,
	       cycles, r10 / 10, r10 % 10);
}

int main(int argc, char **argv)
{
	uint64_t mhz = tsc_per_us(), now_ns = sys_time(), now_tsc = rdtsc();
	uint64_t boot_us, call, sys, yield, am = ~0ull, undo = ~0ull;

	(void)argc;
	(void)argv;
	boot_us = now_ns / 1000 - (now_tsc - exo_start_tsc) / mhz;
	call = best(cycles_call);
	sys = best(cycles_syscall);
	yield = best(cycles_yield);
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t u, c = cycles_alloc_map(&u);

		am = c < am ? c : am;
		undo = u < undo ? u : undo;
	}
	printf("bench: TSC %lu MHz (QEMU TCG: ratios matter, not times)\n",
	       mhz);
	printf("bench: boot to first user instruction: %lu us\n", boot_us);
	printf("bench: %-28s %8lu cycles\n", "plain function call", call);
	ratio("null system call", sys, call);
	ratio("yield (to itself)", yield, call);
	ratio("page alloc+map", am, call);
	ratio("page unmap+free", undo, call);
	CHECK(mhz > 0);
	CHECK(boot_us > 0 && boot_us < now_ns / 1000);
	CHECK(sys > call);
	CHECK(am > sys);
	return ut_done("bench");
}
