/*
 * diskrw.c: the disk system calls used as intended.
 *
 *   diskrw basic CAP     attach (and create) the owner CAP on a freshly
 *                        formatted disk, allocate by block number, read
 *                        zeros, write, flush, read back, 32 requests in
 *                        one batch reaped through the ring, root block,
 *                        free and reallocate (zeros again), the counters
 *                        of the info page
 *   diskrw pair CAP      one of two (or more) environments with different
 *                        capabilities using the disk at once: rounds of
 *                        asynchronous writes and reads of its own blocks,
 *                        yielding between batches, each block checked;
 *                        blocks it does not own are refused
 *   diskrw absent ERR    attach fails with ERR (e.g. EXO_ENOENT when the
 *                        machine has no disk): the kernel carries on
 *   diskrw ringwrite CAP with a 1 MiB write in flight, store into the
 *                        read-only completion ring: the program must be
 *                        killed (page fault), its I/O drained, nothing
 *                        else harmed
 */
#include "dtest.h"
#include "utest.h"

#define BASIC_HINT  1000
#define BASIC_N	    64
#define QD	    32
#define PAIR_N	    256 /* blocks each pair program owns */
#define PAIR_BATCH  16
#define PAIR_ROUNDS 4
#define BUF_VA	    0x600000000ull
#define BUF2_VA	    0x680000000ull

static const volatile struct exo_info *in;

static void basic_attach(const char *cap)
{
	exo_bno root;

	CHECK_EQ(sys_disk_attach(cap, strlen(cap), 0), EXO_ENOENT);
	CHECK_EQ(sys_block_alloc(0, 1, &root), EXO_EDETACHED);
	CHECK_EQ(sys_disk_attach(cap, strlen(cap), EXO_DISK_CREATE), 0);
	CHECK_EQ(sys_disk_attach(cap, strlen(cap), EXO_DISK_CREATE),
		 EXO_EEXIST);
	CHECK_EQ(in->blocks_owned, 0);
	CHECK(in->blocks_total >= 16384);
	CHECK(in->blocks_free > 0 && in->blocks_free < in->blocks_total);
	CHECK_EQ(sys_block_extents(NULL, 0), 0);
	CHECK_EQ(sys_root_get(&root), 0);
	CHECK_EQ(root, EXO_BNO_NONE);
	CHECK_EQ(io_ring_init(), 0);
}

/* Read zeros, write a pattern, flush, read it back with one request. */
static void basic_rw(const struct dbuf *b, const struct dbuf *b2)
{
	struct exo_extent x[2];
	exo_bno bno;

	CHECK_EQ(sys_block_alloc(BASIC_HINT, BASIC_N, &bno), 0);
	CHECK_EQ(bno, BASIC_HINT);
	CHECK_EQ(in->blocks_owned, BASIC_N);
	CHECK_EQ(sys_block_extents(x, 2), 1);
	CHECK(x[0].start == BASIC_HINT && x[0].len == BASIC_N);
	memset(b->va, 0xaa, BASIC_N * EXO_BLOCK_SIZE);
	CHECK_EQ(dio(EXO_OP_READ, bno, BASIC_N, b->ppn), 0);
	CHECK(dzero(b->va, BASIC_N)); /* a fresh block reads as zeros */
	for (unsigned i = 0; i < BASIC_N; i++)
		dfill(dblk(b, i), bno + i, 7, 0);
	CHECK_EQ(dio(EXO_OP_WRITE, bno, BASIC_N, b->ppn), 0);
	CHECK_EQ(dio(EXO_OP_FLUSH, 0, 0, 0), 0);
	CHECK_EQ(dio(EXO_OP_READ, bno, BASIC_N, b2->ppn), 0);
	for (unsigned i = 0; i < BASIC_N; i++)
		CHECK(dcheck(dblk(b2, i), bno + i, 7, 0));
}

/* QD one-block reads in one batch, in reverse order, into separate
 * pages; every completion found by its tag. */
static void basic_depth(const struct dbuf *b2)
{
	struct exo_ioreq r[QD];
	struct exo_iocomp c[QD];
	unsigned seen = 0, got = 0;

	memset(b2->va, 0, QD * EXO_BLOCK_SIZE);
	for (unsigned i = 0; i < QD; i++)
		r[i] = dreq(EXO_OP_READ, BASIC_HINT + QD - 1 - i, 1,
			    b2->ppn + i, 100 + i);
	CHECK_EQ(sys_io_submit(r, QD), QD);
	CHECK_EQ(in->io_reads, 2 + QD); /* counted at submission */
	while (got < QD) {
		int k = io_reap(c, QD, 1);

		CHECK(k > 0);
		if (k <= 0)
			break;
		for (int j = 0; j < k; j++) {
			unsigned i = (unsigned)(c[j].tag - 100);

			CHECK(i < QD && c[j].res == 0);
			seen |= i < QD ? 1u << i : 0;
		}
		got += (unsigned)k;
	}
	CHECK_EQ(seen, 0xffffffffu);
	for (unsigned i = 0; i < QD; i++)
		CHECK(dcheck(dblk(b2, i), BASIC_HINT + QD - 1 - i, 7, 0));
	CHECK_EQ(sys_io_reap(c, QD, 1), 0); /* nothing left: no wait */
	CHECK_EQ(in->io_inflight, 0);
}

/* Root block, then free half and take it back: zeros. */
static void basic_free(const struct dbuf *b)
{
	exo_bno bno, root;
	struct exo_extent x[2];

	CHECK_EQ(sys_root_set(BASIC_HINT), 0);
	CHECK_EQ(sys_root_get(&root), 0);
	CHECK_EQ(root, BASIC_HINT);
	CHECK_EQ(sys_root_set(5), EXO_EPERM);
	CHECK_EQ(sys_block_free(BASIC_HINT + 32, 32), 0);
	CHECK_EQ(sys_block_extents(x, 2), 1);
	CHECK(x[0].start == BASIC_HINT && x[0].len == 32);
	CHECK_EQ(in->blocks_owned, 32);
	CHECK_EQ(sys_block_alloc(BASIC_HINT + 32, 32, &bno), 0);
	CHECK_EQ(bno, BASIC_HINT + 32);
	CHECK_EQ(dio(EXO_OP_READ, bno, 32, b->ppn), 0);
	CHECK(dzero(b->va, 32));
	CHECK_EQ(sys_block_free(BASIC_HINT, BASIC_N), 0);
	CHECK_EQ(sys_root_get(&root), 0);
	CHECK_EQ(root, EXO_BNO_NONE); /* freeing the root unsets it */
	CHECK_EQ(in->blocks_owned, 0);
	CHECK(in->io_reads >= 3 + QD && in->io_writes >= 1);
	CHECK(in->io_flushes >= 1 && in->io_errors == 0);
	CHECK_EQ(in->io_bytes_written, BASIC_N * EXO_BLOCK_SIZE);
}

static void basic(const char *cap)
{
	struct dbuf b, b2;

	basic_attach(cap);
	CHECK_EQ(dbuf_get(&b, BASIC_N, BUF_VA), 0);
	CHECK_EQ(dbuf_get(&b2, BASIC_N, BUF2_VA), 0);
	basic_rw(&b, &b2);
	basic_depth(&b2);
	basic_free(&b);
}

/* ---- pair ---- */

/* One batch of PAIR_BATCH one-block requests from block i on; reaps all
 * before returning (yielding in between, so the other program runs). */
static void pair_batch(int op, exo_bno bno, const struct dbuf *b, unsigned i)
{
	struct exo_ioreq r[PAIR_BATCH];
	struct exo_iocomp c[PAIR_BATCH];
	int got = 0;

	for (unsigned j = 0; j < PAIR_BATCH; j++)
		r[j] = dreq(op, bno + i + j, 1, b->ppn + i + j, i + j);
	CHECK_EQ(sys_io_submit(r, PAIR_BATCH), PAIR_BATCH);
	sys_yield();
	while (got < PAIR_BATCH) {
		int k = io_reap(c, PAIR_BATCH, 1);

		CHECK(k > 0);
		if (k <= 0)
			return;
		for (int j = 0; j < k; j++)
			CHECK_EQ(c[j].res, 0);
		got += k;
	}
}

/* Blocks of the data area that are not ours must be refused. */
static void pair_others(exo_bno mine, const struct dbuf *b)
{
	unsigned refused = 0, tried = 0;

	for (exo_bno x = 9; x < in->blocks_total; x += 97) {
		if (x >= mine && x < mine + PAIR_N)
			continue;
		tried++;
		refused += dio(EXO_OP_READ, x, 1, b->ppn) == EXO_EPERM;
	}
	CHECK_EQ(refused, tried);
}

static void pair(const char *cap)
{
	uint64_t seed = dseed(cap);
	struct dbuf b;
	exo_bno bno;

	CHECK_EQ(sys_disk_attach(cap, strlen(cap), EXO_DISK_CREATE), 0);
	CHECK_EQ(io_ring_init(), 0);
	CHECK_EQ(dbuf_get(&b, PAIR_N, BUF_VA), 0);
	CHECK_EQ(sys_block_alloc(seed % 8192 + 100, PAIR_N, &bno), 0);
	for (unsigned round = 0; round < PAIR_ROUNDS; round++) {
		unsigned bad = 0;

		for (unsigned i = 0; i < PAIR_N; i++)
			dfill(dblk(&b, i), bno + i, seed, round);
		for (unsigned i = 0; i < PAIR_N; i += PAIR_BATCH)
			pair_batch(EXO_OP_WRITE, bno, &b, i);
		memset(b.va, 0, PAIR_N * EXO_BLOCK_SIZE);
		for (unsigned i = 0; i < PAIR_N; i += PAIR_BATCH)
			pair_batch(EXO_OP_READ, bno, &b, i);
		for (unsigned i = 0; i < PAIR_N; i++)
			bad += !dcheck(dblk(&b, i), bno + i, seed, round);
		CHECK_EQ(bad, 0);
	}
	pair_others(bno, &b);
	CHECK_EQ(sys_block_free(bno, PAIR_N), 0);
}

static void absent(const char *want)
{
	int r = sys_disk_attach("cap", 3, EXO_DISK_CREATE);

	CHECK(r < 0 && !strncmp(exo_strerror(r), want, strlen(want)));
	if (r >= 0 || strncmp(exo_strerror(r), want, strlen(want)))
		printf("diskrw: attach gave %s, want %s\n", exo_strerror(r),
		       want);
	CHECK_EQ(sys_io_submit(NULL, 1), EXO_EDETACHED);
}

static void ringwrite(const char *cap)
{
	static volatile uint64_t tail;
	struct dbuf b;
	struct exo_ioreq r;
	exo_bno bno;

	CHECK_EQ(sys_disk_attach(cap, strlen(cap), EXO_DISK_CREATE), 0);
	CHECK_EQ(dbuf_get(&b, EXO_IO_MAXBLOCKS, BUF_VA), 0);
	CHECK_EQ(sys_block_alloc(0, EXO_IO_MAXBLOCKS, &bno), 0);
	r = dreq(EXO_OP_WRITE, bno, EXO_IO_MAXBLOCKS, b.ppn, 1);
	CHECK_EQ(sys_io_submit(&r, 1), 1);
	printf("diskrw-ringwrite: expect vector 14\n");
	((volatile struct exo_ioring *)sys_io_ring(&tail))->head = 0;
	printf("diskrw-ringwrite: survived\n");
}

int main(int argc, char **argv)
{
	char label[64];

	in = sys_info();
	if (argc != 3) {
		printf("usage: diskrw basic|pair|ringwrite CAP | "
		       "diskrw absent ERR\n");
		return 2;
	}
	if (!strcmp(argv[1], "basic"))
		basic(argv[2]);
	else if (!strcmp(argv[1], "pair"))
		pair(argv[2]);
	else if (!strcmp(argv[1], "ringwrite"))
		ringwrite(argv[2]);
	else
		absent(argv[2]);
	snprintf(label, sizeof(label), "diskrw-%s", argv[1]);
	return ut_done(label);
}
