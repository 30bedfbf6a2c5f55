/*
 * diskvictim.c: the environment diskhostile.c attacks.  It owns blocks
 * and a page (see diskvictim.h), writes its blocks, and keeps reading
 * and checking them while the attack goes on, so the attack also has to
 * leave its I/O working.  When the attacker has gone it checks that its
 * blocks, root, extents and page are still its own and unchanged.
 */
#include "diskvictim.h"
#include "dtest.h"
#include "utest.h"

#define DATA_VA 0x500000000ull
#define READ_VA 0x580000000ull

static int blocks_intact(const struct dbuf *r)
{
	memset(r->va, 0, VICTIM_NB * EXO_BLOCK_SIZE);
	if (dio(EXO_OP_READ, VICTIM_BNO, VICTIM_NB, r->ppn))
		return 0;
	for (unsigned i = 0; i < VICTIM_NB; i++)
		if (!dcheck(dblk(r, i), VICTIM_BNO + i, VICTIM_SEED, 0))
			return 0;
	return 1;
}

static int page_intact(void)
{
	for (unsigned i = 0; i < EXO_PAGE_SIZE; i++)
		if (VICTIM_VA[i] != (char)(i * 7 + 1))
			return 0;
	return 1;
}

static void setup(struct dbuf *w, struct dbuf *r)
{
	const char *cap = VICTIM_CAP;
	exo_bno bno;

	CHECK_EQ(page_take(victim_ppn()), 0);
	CHECK_EQ(sys_page_map(victim_ppn(), VICTIM_VA, 1, EXO_MAP_W), 0);
	for (unsigned i = 0; i < EXO_PAGE_SIZE; i++)
		VICTIM_VA[i] = (char)(i * 7 + 1);
	CHECK_EQ(sys_disk_attach(cap, strlen(cap), EXO_DISK_CREATE), 0);
	CHECK_EQ(io_ring_init(), 0);
	CHECK_EQ(dbuf_get(w, VICTIM_NB, DATA_VA), 0);
	CHECK_EQ(dbuf_get(r, VICTIM_NB, READ_VA), 0);
	CHECK_EQ(sys_block_alloc(VICTIM_BNO, VICTIM_NB, &bno), 0);
	CHECK_EQ(bno, VICTIM_BNO);
	for (unsigned i = 0; i < VICTIM_NB; i++)
		dfill(dblk(w, i), VICTIM_BNO + i, VICTIM_SEED, 0);
	CHECK_EQ(dio(EXO_OP_WRITE, VICTIM_BNO, VICTIM_NB, w->ppn), 0);
	CHECK_EQ(dio(EXO_OP_FLUSH, 0, 0, 0), 0);
	CHECK_EQ(sys_root_set(VICTIM_BNO), 0);
}

/* Read and check our blocks until the attacker frees busy_ppn. */
static void during(const struct dbuf *r)
{
	uint64_t t0 = sys_time();
	unsigned rounds = 0, bad = 0;

	while (page_taken(busy_ppn()) && sys_time() - t0 < SYNC_WAIT_NS) {
		bad += !blocks_intact(r);
		rounds++;
		sys_yield();
	}
	CHECK(!page_taken(busy_ppn()));
	CHECK(rounds > 0);
	CHECK_EQ(bad, 0);
}

static void after(const struct dbuf *r)
{
	struct exo_extent x[2];
	exo_bno root;

	CHECK(page_intact());
	CHECK(blocks_intact(r));
	CHECK_EQ(sys_block_extents(x, 2), 1);
	CHECK(x[0].start == VICTIM_BNO && x[0].len == VICTIM_NB);
	CHECK_EQ(sys_root_get(&root), 0);
	CHECK_EQ(root, VICTIM_BNO);
	CHECK_EQ(sys_info()->blocks_owned, VICTIM_NB);
	CHECK_EQ(sys_block_free(VICTIM_BNO, VICTIM_NB), 0);
	CHECK_EQ(sys_page_unmap(VICTIM_VA, 1), 0);
	CHECK_EQ(sys_page_free(victim_ppn(), 1), 0);
	CHECK_EQ(sys_page_free(ack_ppn(), 1), 0);
}

int main(int argc, char **argv)
{
	struct dbuf w, r;

	(void)argc;
	(void)argv;
	setup(&w, &r);
	CHECK_EQ(page_wait(busy_ppn(), 1), 0); /* the attacker is here */
	CHECK_EQ(page_take(ack_ppn()), 0);     /* we are ready */
	during(&r);
	after(&r);
	return ut_done("diskvictim");
}
