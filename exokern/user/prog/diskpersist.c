/*
 * diskpersist.c: what must survive a reboot, or a kill of the machine.
 * Each mode is one boot's part; tests/exokern/run.sh runs them in order
 * on one disk image.
 *
 *   diskpersist write CAP   create owner CAP; write PERSIST_NB blocks at
 *                           PERSIST_BNO, make the first the root, flush;
 *                           write ZERO_NB blocks at ZERO_BNO and free them
 *   diskpersist read CAP    (next boot) CAP exists without create; its
 *                           root, extents and data are as written
 *   diskpersist other CAP   (same boot) CAP is unknown; created, it owns
 *                           nothing, cannot touch PERSIST_BNO, and gets
 *                           ZERO_BNO, where the freed data was, as zeros
 *   diskpersist churn CAP   allocate and free blocks forever (the harness
 *                           kills QEMU at a random moment)
 *   diskpersist map CAP     print CAP's view of the map ("diskmap: ..."),
 *                           which the harness compares with
 *                           `exodb disk info` on Linux
 */
#include "dtest.h"
#include "utest.h"

#define PERSIST_BNO 5000
#define PERSIST_NB  32
#define ZERO_BNO    7000
#define ZERO_NB	    8
#define BUF_VA	    0x600000000ull
#define CHURN_HELD  64	 /* extents churn keeps at most */
#define MAP_MAXEXT  1024 /* extents map prints at most */

static int attach(const char *cap, int flags)
{
	return sys_disk_attach(cap, strlen(cap), flags);
}

static void write_mode(const char *cap)
{
	uint64_t seed = dseed(cap);
	struct dbuf b;
	exo_bno bno;

	CHECK_EQ(attach(cap, EXO_DISK_CREATE), 0);
	CHECK_EQ(dbuf_get(&b, PERSIST_NB, BUF_VA), 0);
	CHECK_EQ(sys_block_alloc(PERSIST_BNO, PERSIST_NB, &bno), 0);
	CHECK_EQ(bno, PERSIST_BNO);
	for (unsigned i = 0; i < PERSIST_NB; i++)
		dfill(dblk(&b, i), bno + i, seed, 1);
	CHECK_EQ(dio(EXO_OP_WRITE, bno, PERSIST_NB, b.ppn), 0);
	CHECK_EQ(sys_root_set(bno), 0);
	CHECK_EQ(sys_block_alloc(ZERO_BNO, ZERO_NB, &bno), 0);
	CHECK_EQ(bno, ZERO_BNO);
	CHECK_EQ(dio(EXO_OP_WRITE, bno, ZERO_NB, b.ppn), 0);
	CHECK_EQ(dio(EXO_OP_FLUSH, 0, 0, 0), 0);
	CHECK_EQ(sys_block_free(ZERO_BNO, ZERO_NB), 0);
}

static void read_mode(const char *cap)
{
	uint64_t seed = dseed(cap);
	struct exo_extent x[2];
	unsigned bad = 0;
	struct dbuf b;
	exo_bno root;

	CHECK_EQ(attach(cap, 0), 0);
	CHECK_EQ(sys_root_get(&root), 0);
	CHECK_EQ(root, PERSIST_BNO);
	CHECK_EQ(sys_block_extents(x, 2), 1);
	CHECK(x[0].start == PERSIST_BNO && x[0].len == PERSIST_NB);
	CHECK_EQ(dbuf_get(&b, PERSIST_NB, BUF_VA), 0);
	CHECK_EQ(dio(EXO_OP_READ, PERSIST_BNO, PERSIST_NB, b.ppn), 0);
	for (unsigned i = 0; i < PERSIST_NB; i++)
		bad += !dcheck(dblk(&b, i), PERSIST_BNO + i, seed, 1);
	CHECK_EQ(bad, 0);
}

static void other_mode(const char *cap)
{
	struct dbuf b;
	exo_bno bno;

	CHECK_EQ(attach(cap, 0), EXO_ENOENT);
	CHECK_EQ(attach(cap, EXO_DISK_CREATE), 0);
	CHECK_EQ(sys_block_extents(NULL, 0), 0);
	CHECK_EQ(dbuf_get(&b, ZERO_NB, BUF_VA), 0);
	CHECK_EQ(dio(EXO_OP_READ, PERSIST_BNO, 1, b.ppn), EXO_EPERM);
	CHECK_EQ(sys_block_free(PERSIST_BNO, 1), EXO_EPERM);
	CHECK_EQ(sys_block_alloc(ZERO_BNO, ZERO_NB, &bno), 0);
	CHECK_EQ(bno, ZERO_BNO);
	memset(b.va, 0x5a, ZERO_NB * EXO_BLOCK_SIZE);
	CHECK_EQ(dio(EXO_OP_READ, bno, ZERO_NB, b.ppn), 0);
	CHECK(dzero(b.va, ZERO_NB)); /* the previous owner's data is gone */
	CHECK_EQ(sys_block_free(bno, ZERO_NB), 0);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Never returns: the harness kills the machine. */
static void churn_mode(const char *cap)
{
	static struct exo_extent held[CHURN_HELD];
	uint64_t s = rdtsc() | 1, ops = 0;
	unsigned n = 0;

	CHECK_EQ(attach(cap, EXO_DISK_CREATE), 0);
	for (;;) {
		uint64_t r = rng_next(&s);

		if (n == CHURN_HELD || (n && r % 3 == 0)) {
			unsigned i = (unsigned)(r >> 8) % n;

			CHECK_EQ(sys_block_free(held[i].start, held[i].len), 0);
			held[i] = held[--n];
		} else {
			held[n].len = 1 + (r >> 8) % 8;
			CHECK_EQ(sys_block_alloc((r >> 16) % 16384, held[n].len,
						 &held[n].start),
				 0);
			n++;
		}
		if (++ops == 20)
			printf("diskpersist-churn: running\n");
	}
}

static void map_mode(const char *cap)
{
	static struct exo_extent x[MAP_MAXEXT];
	const volatile struct exo_info *in = sys_info();
	int64_t k;
	exo_bno root;

	CHECK_EQ(attach(cap, 0), 0);
	k = sys_block_extents(x, MAP_MAXEXT);
	CHECK(k >= 0 && k <= MAP_MAXEXT);
	CHECK_EQ(sys_root_get(&root), 0);
	printf("diskmap: free %lu blocks %lu root ", in->blocks_free,
	       in->blocks_owned);
	if (root == EXO_BNO_NONE)
		printf("none");
	else
		printf("%lu", root);
	printf(" extents");
	for (int64_t i = 0; i < k && i < MAP_MAXEXT; i++)
		printf(" %lu+%lu", x[i].start, x[i].len);
	printf("\n");
}

int main(int argc, char **argv)
{
	char label[64];

	if (argc != 3) {
		printf("usage: diskpersist write|read|other|churn|map CAP\n");
		return 2;
	}
	if (!strcmp(argv[1], "write"))
		write_mode(argv[2]);
	else if (!strcmp(argv[1], "read"))
		read_mode(argv[2]);
	else if (!strcmp(argv[1], "other"))
		other_mode(argv[2]);
	else if (!strcmp(argv[1], "churn"))
		churn_mode(argv[2]);
	else
		map_mode(argv[2]);
	snprintf(label, sizeof(label), "diskpersist-%s", argv[1]);
	return ut_done(label);
}
