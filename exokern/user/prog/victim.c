/*
 * victim.c: the environment hostile.c attacks.  It owns a page, maps it
 * and fills it, waits until the hostile program has come and gone (see
 * victim.h for how they agree), then checks that the page is still its
 * own, still mapped where it was, and unchanged.
 */
#include "utest.h"
#include "victim.h"

static int pattern_intact(void)
{
	for (unsigned i = 0; i < EXO_PAGE_SIZE; i++)
		if (VICTIM_VA[i] != (char)(i * 7 + 1))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	exo_ppn ppn = victim_ppn();

	(void)argc;
	(void)argv;
	CHECK_EQ(page_take(ppn), 0);
	CHECK_EQ(sys_page_map(ppn, VICTIM_VA, 1, EXO_MAP_W), 0);
	for (unsigned i = 0; i < EXO_PAGE_SIZE; i++)
		VICTIM_VA[i] = (char)(i * 7 + 1);
	CHECK_EQ(page_wait(busy_ppn(), 1), 0); /* the attacker is here */
	CHECK_EQ(page_take(ack_ppn()), 0);     /* we saw it */
	CHECK_EQ(page_wait(busy_ppn(), 0), 0); /* the attack is over */
	CHECK(pattern_intact());
	CHECK_EQ(sys_info()->pages_owned, 2);
	CHECK_EQ(sys_page_unmap(VICTIM_VA, 1), 0);
	CHECK_EQ(sys_page_free(ppn, 1), 0);
	CHECK_EQ(sys_page_free(ack_ppn(), 1), 0);
	return ut_done("victim");
}
