/*
 * pages.c: the page system calls and the info page, used as intended.
 *
 * Allocation by physical name (a free hint is honoured exactly, a busy
 * one is not), zero-filled pages, mapping several pages at once, unmap
 * and remap keeping the data, the one-mapping-per-page rule, free
 * unmapping, the info page's counters, the clock, yield, and preemption
 * (a loop without system calls still loses the CPU).
 */
#include "utest.h"

#define VA_A ((char *)0x200000000ull)
#define VA_B ((char *)0x200100000ull)
#define VA_C ((char *)0x200200000ull)
#define PG   EXO_PAGE_SIZE

static const volatile struct exo_info *in;

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_alloc_by_name(void)
{
	exo_ppn hint = in->pages_total * 3 / 4, p, q;

	CHECK_EQ(sys_page_alloc(hint, 4, &p), 0);
	CHECK_EQ(p, hint);
	CHECK_EQ(in->pages_owned, 4);
	CHECK(in->pages_free < in->pages_total);
	CHECK_EQ(sys_page_alloc(hint + 1, 1, &q), 0); /* busy: elsewhere */
	CHECK(q < hint || q >= hint + 4);
	CHECK_EQ(sys_page_free(q, 1), 0);
	CHECK_EQ(sys_page_free(p, 1), 0); /* part of a run */
	CHECK_EQ(sys_page_free(p + 1, 3), 0);
	CHECK_EQ(sys_page_free(p, 1), EXO_EPERM); /* no longer ours */
	CHECK_EQ(in->pages_owned, 0);
}

static void test_map(void)
{
	exo_ppn p, q;

	CHECK_EQ(sys_page_alloc(0, 3, &p), 0);
	CHECK_EQ(sys_page_map(p, VA_A, 3, EXO_MAP_W), 0);
	CHECK(all_zero(VA_A, 3 * PG));
	for (int i = 0; i < 3; i++)
		memset(VA_A + i * PG, 'a' + i, PG);
	CHECK_EQ(sys_page_unmap(VA_A + PG, 2), 0);
	CHECK_EQ(sys_page_map(p + 1, VA_B, 2, 0), 0); /* read-only now */
	CHECK_EQ(VA_B[0], 'b');
	CHECK_EQ(VA_B[PG + 17], 'c');
	CHECK_EQ(sys_page_map(p, VA_C, 1, EXO_MAP_W), EXO_EEXIST);
	CHECK_EQ(sys_page_alloc(0, 1, &q), 0);
	CHECK_EQ(sys_page_map(q, VA_A, 1, EXO_MAP_W), EXO_EEXIST);
	CHECK_EQ(sys_page_map(q, VA_A + PG, 1, EXO_MAP_W), 0);
	CHECK(all_zero(VA_A + PG, PG)); /* fresh page, no old data */
	CHECK_EQ(sys_page_unmap(VA_A, 2), 0);
	CHECK_EQ(sys_page_unmap(VA_A, 1), EXO_EINVAL);
	CHECK_EQ(sys_page_free(p, 3), 0); /* also unmaps VA_B */
	CHECK_EQ(sys_page_unmap(VA_B, 1), EXO_EINVAL);
	CHECK_EQ(sys_page_map(q, VA_B, 1, EXO_MAP_W), 0); /* VA_B free again */
	CHECK_EQ(sys_page_free(q, 1), 0);
	CHECK_EQ(in->pages_owned, 0);
}

static void test_time_and_slices(void)
{
	uint64_t t0 = sys_time(), t1, s0, c0;

	CHECK(t0 > 0);
	CHECK_EQ(in->slice_ns, 10000000);
	CHECK(in->time_ns >= t0); /* refreshed on the way back */
	s0 = in->slices;
	CHECK(s0 >= 1);
	CHECK_EQ(sys_yield(), 0);
	CHECK(in->slices > s0);
	t1 = sys_time();
	CHECK(t1 > t0);
	/* Spin without system calls: only a timer interrupt that preempts
	 * us, and then runs us again, changes slices. */
	s0 = in->slices;
	c0 = rdtsc();
	while (in->slices == s0 && rdtsc() - c0 < 20000000000ull)
		;
	CHECK(in->slices > s0);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	in = sys_info();
	CHECK_EQ(in->pages_owned, 0);
	test_alloc_by_name();
	test_map();
	test_time_and_slices();
	return ut_done("pages");
}
