/*
 * diskhostile.c: attacks through the disk system calls, each of which
 * must be refused with an error code while the victim (diskvictim.c)
 * keeps using the disk, unharmed.
 *
 * Covered: every disk call before attaching; bad capability pointers,
 * lengths and flags; a forged capability (unknown without create; with
 * create a new owner that sees none of the victim's blocks); attaching
 * twice; freeing, rooting and doing I/O on blocks it does not own (the
 * victim's, the label, the map); DMA into pages it does not own (the
 * victim's, the kernel's, every page of memory in turn) and past the end
 * of memory; block ranges past the end of the disk and wrapping around;
 * zero and huge block, request and batch counts; bad ops, flags and
 * padding; overlapping requests in a batch and with requests in flight;
 * freeing blocks and pages under I/O; bad pointers to every call; a lying
 * ring tail; flooding the queue (EXO_EAGAIN, then it drains and works).
 */
#include "diskvictim.h"
#include "dtest.h"
#include "utest.h"

#define KERNBASE 0xffffffff80000000ull
#define KERN_PPN 0x101 /* inside the kernel image */
#define OWN_BNO	 3000
#define OWN_NB	 256
#define BIG_VA	 0x400000000ull /* OWN_NB pages: 1 MiB writes */
#define FLOOD_VA 0x480000000ull
#define FLOOD_NP EXO_IORING_N
#define FORGED	 "victim-secret-7f3b" /* a guess at VICTIM_CAP */

static const volatile struct exo_info *in;
static struct dbuf big, flood;
static exo_bno nblocks;

static int64_t sys(uint64_t num, uint64_t a0, uint64_t a1, uint64_t a2)
{
	return exo_syscall(num, a0, a1, a2, 0, 0, 0);
}

static int submit1(struct exo_ioreq r)
{
	return sys_io_submit(&r, 1);
}

static void attack_detached(void)
{
	struct exo_iocomp c;
	struct exo_ioreq r = dreq(EXO_OP_READ, VICTIM_BNO, 1, 0, 0);
	exo_bno b;

	CHECK_EQ(sys_block_alloc(0, 1, &b), EXO_EDETACHED);
	CHECK_EQ(sys_block_free(VICTIM_BNO, 1), EXO_EDETACHED);
	CHECK_EQ(sys_block_extents(NULL, 0), EXO_EDETACHED);
	CHECK_EQ(sys_root_get(&b), EXO_EDETACHED);
	CHECK_EQ(sys_root_set(VICTIM_BNO), EXO_EDETACHED);
	CHECK_EQ(sys_io_submit(&r, 1), EXO_EDETACHED);
	CHECK_EQ(sys_io_reap(&c, 1, 0), EXO_EDETACHED);
	CHECK_EQ(io_ring_init(), EXO_EDETACHED);
}

static void attack_attach(void)
{
	const char *f = FORGED;
	struct exo_extent x;
	exo_bno root;

	CHECK_EQ(sys_disk_attach(NULL, 8, 0), EXO_EFAULT);
	CHECK_EQ(sys_disk_attach((void *)KERNBASE, 8, 0), EXO_EFAULT);
	CHECK_EQ(sys_disk_attach((char *)in + 4090, 16, 0), EXO_EFAULT);
	CHECK_EQ(sys_disk_attach(f, 0, 0), EXO_EINVAL);
	CHECK_EQ(sys_disk_attach(f, EXO_CAP_MAX + 1, 0), EXO_EINVAL);
	CHECK_EQ(sys(SYS_disk_attach, (uint64_t)f, ~0ull, 0), EXO_EINVAL);
	CHECK_EQ(sys_disk_attach(f, strlen(f), 2), EXO_EINVAL);
	CHECK_EQ(sys_disk_attach(f, strlen(f), ~0), EXO_EINVAL);
	CHECK_EQ(sys_disk_attach(f, strlen(f), 0), EXO_ENOENT); /* forged */
	CHECK_EQ(sys_disk_attach(f, strlen(f), EXO_DISK_CREATE), 0);
	CHECK_EQ(sys_disk_attach(f, strlen(f), EXO_DISK_CREATE), EXO_EEXIST);
	CHECK_EQ(sys_block_extents(&x, 1), 0); /* a new owner: nothing */
	CHECK_EQ(sys_root_get(&root), 0);
	CHECK_EQ(root, EXO_BNO_NONE);
	CHECK_EQ(in->blocks_owned, 0);
	nblocks = in->blocks_total;
}

static void attack_blocks(void)
{
	uint64_t owned = in->blocks_owned;
	exo_bno b;

	CHECK_EQ(sys_block_free(VICTIM_BNO, 1), EXO_EPERM);
	CHECK_EQ(sys_block_free(VICTIM_BNO - 1, 2), EXO_EPERM);
	CHECK_EQ(sys_block_free(0, 1), EXO_EPERM); /* label */
	CHECK_EQ(sys_block_free(1, 8), EXO_EPERM); /* map slots */
	CHECK_EQ(sys_block_free(nblocks, 1), EXO_ERANGE);
	CHECK_EQ(sys_block_free(~0ull, 2), EXO_ERANGE);
	CHECK_EQ(sys_block_free(OWN_BNO, 0), EXO_EINVAL);
	CHECK_EQ(sys_block_free(OWN_BNO, ~0ull), EXO_EINVAL);
	CHECK_EQ(sys_block_free(OWN_BNO, OWN_NB + 1), EXO_EPERM);
	CHECK_EQ(sys_block_alloc(0, 0, &b), EXO_EINVAL);
	CHECK_EQ(sys_block_alloc(0, nblocks + 1, &b), EXO_EINVAL);
	CHECK_EQ(sys_block_alloc(0, nblocks - 1, &b), EXO_ENOSPC);
	CHECK_EQ(sys_block_alloc(0, 1, NULL), EXO_EFAULT);
	CHECK_EQ(sys_block_alloc(0, 1, (exo_bno *)KERNBASE), EXO_EFAULT);
	CHECK_EQ(sys_block_alloc(0, 1, (exo_bno *)in), EXO_EFAULT);
	CHECK_EQ(in->blocks_owned, owned); /* refusals took nothing */
	CHECK_EQ(sys_block_alloc(VICTIM_BNO, 1, &b), 0);
	CHECK(b != VICTIM_BNO);
	CHECK_EQ(sys_block_free(b, 1), 0);
	CHECK_EQ(sys_root_set(VICTIM_BNO), EXO_EPERM);
	CHECK_EQ(sys_root_set(0), EXO_EPERM);
	CHECK_EQ(sys_root_set(nblocks + 5), EXO_ERANGE);
	CHECK_EQ(sys_root_get(NULL), EXO_EFAULT);
	CHECK_EQ(sys_root_get((exo_bno *)KERNBASE), EXO_EFAULT);
	CHECK_EQ(sys_block_extents((struct exo_extent *)KERNBASE, 4),
		 EXO_EFAULT);
	CHECK_EQ(sys_block_extents((struct exo_extent *)in, 1), EXO_EFAULT);
	CHECK_EQ(sys_block_extents(NULL, 0), 1);
}

/* I/O on blocks that are not ours, and past the end of the disk. */
static void attack_io_blocks(void)
{
	exo_ppn p = big.ppn;

	CHECK_EQ(submit1(dreq(EXO_OP_READ, VICTIM_BNO, 1, p, 0)), EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_WRITE, VICTIM_BNO, 1, p, 0)), EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_WRITE, OWN_BNO + OWN_NB - 1, 2, p, 0)),
		 EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, 0, 1, p, 0)), EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_WRITE, 0, 1, p, 0)), EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_WRITE, 1, 8, p, 0)), EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, nblocks - 1, 2, p, 0)), EXO_ERANGE);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, nblocks, 1, p, 0)), EXO_ERANGE);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, ~0ull, 1, p, 0)), EXO_ERANGE);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, ~0ull - 1, 4, p, 0)), EXO_ERANGE);
}

/* DMA into pages that are not ours. */
static void attack_io_pages(void)
{
	uint64_t tried = 0, refused = 0, total = in->pages_total;
	exo_ppn edge;

	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, victim_ppn(), 0)),
		 EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, KERN_PPN, 0)),
		 EXO_EPERM);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, 0, 0)), EXO_EPERM);
	/* A run from our page into the victim's. */
	CHECK_EQ(sys_page_alloc(victim_ppn() - 1, 1, &edge), 0);
	CHECK_EQ(edge, victim_ppn() - 1);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 2, edge, 0)), EXO_EPERM);
	CHECK_EQ(sys_page_free(edge, 1), 0);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, total, 0)), EXO_ERANGE);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, EXO_PPN_NONE, 0)),
		 EXO_ERANGE);
	CHECK_EQ(submit1(dreq(EXO_OP_WRITE, OWN_BNO, 1, victim_ppn(), 0)),
		 EXO_EPERM); /* DMA out of someone else's page */
	/* Every page of memory that is not ours: the kernel's, the info
	 * page, the ring, the victim's, free ones. */
	for (exo_ppn q = 0; q < total; q++) {
		if ((q >= big.ppn && q < big.ppn + big.n) ||
		    (q >= flood.ppn && q < flood.ppn + flood.n) ||
		    q == busy_ppn())
			continue;
		tried++;
		refused += submit1(dreq(EXO_OP_READ, OWN_BNO, 1, q, 0)) ==
			   EXO_EPERM;
	}
	CHECK_EQ(refused, tried);
	CHECK_EQ(in->io_reads, 0); /* nothing of all that started */
}

/* Zero and huge counts, bad fields, bad pointers. */
static void attack_io_args(void)
{
	struct exo_ioreq r = dreq(EXO_OP_READ, OWN_BNO, 1, big.ppn, 0);
	exo_ppn p = big.ppn;

	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 0, p, 0)), EXO_EINVAL);
	CHECK_EQ(
		submit1(dreq(EXO_OP_READ, OWN_BNO, EXO_IO_MAXBLOCKS + 1, p, 0)),
		EXO_EINVAL);
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, ~0u, p, 0)), EXO_EINVAL);
	CHECK_EQ(submit1(dreq(0, OWN_BNO, 1, p, 0)), EXO_EINVAL);
	CHECK_EQ(submit1(dreq(4, OWN_BNO, 1, p, 0)), EXO_EINVAL);
	CHECK_EQ(submit1(dreq(255, OWN_BNO, 1, p, 0)), EXO_EINVAL);
	r.flags = 1;
	CHECK_EQ(sys_io_submit(&r, 1), EXO_EINVAL);
	r.flags = 0;
	r._pad = 1;
	CHECK_EQ(sys_io_submit(&r, 1), EXO_EINVAL);
	r._pad = 0;
	CHECK_EQ(sys_io_submit(&r, 0), EXO_EINVAL);
	CHECK_EQ(sys_io_submit(&r, EXO_IO_MAXBATCH + 1), EXO_EINVAL);
	CHECK_EQ(sys(SYS_io_submit, (uint64_t)&r, ~0ull, 0), EXO_EINVAL);
	CHECK_EQ(sys_io_submit(&r, EXO_IO_DEPTH + 1), EXO_EAGAIN);
	CHECK_EQ(sys_io_submit(NULL, 1), EXO_EFAULT);
	CHECK_EQ(sys_io_submit((struct exo_ioreq *)KERNBASE, 1), EXO_EFAULT);
	CHECK_EQ(sys_io_submit((struct exo_ioreq *)((char *)in + 4080), 1),
		 EXO_EFAULT); /* runs off the info page */
	CHECK_EQ(sys_io_reap(NULL, 1, 0), EXO_EFAULT);
	CHECK_EQ(sys_io_reap((struct exo_iocomp *)KERNBASE, 4, 0), EXO_EFAULT);
	CHECK_EQ(sys_io_reap((struct exo_iocomp *)in, 1, 0), EXO_EFAULT);
	CHECK_EQ(sys_io_reap((struct exo_iocomp *)big.va, 1, 2), EXO_EINVAL);
	CHECK_EQ(sys_io_ring(NULL), EXO_EFAULT);
	CHECK_EQ(sys_io_ring((uint64_t *)KERNBASE), EXO_EFAULT);
	CHECK_EQ(sys_io_ring((uint64_t *)&in->time_ns), EXO_EFAULT);
	CHECK_EQ(sys_io_ring((uint64_t *)((char *)big.va + 4)), EXO_EINVAL);
	CHECK_EQ(in->io_reads + in->io_writes, 0);
}

/* Requests that overlap within a batch. */
static void attack_overlap_batch(void)
{
	struct exo_ioreq r[2];
	struct exo_iocomp c[2];
	exo_ppn p = big.ppn;

	r[0] = dreq(EXO_OP_WRITE, OWN_BNO, 4, p, 1);
	r[1] = dreq(EXO_OP_WRITE, OWN_BNO + 3, 1, p + 8, 2);
	CHECK_EQ(sys_io_submit(r, 2), EXO_EOVERLAP);
	r[1] = dreq(EXO_OP_READ, OWN_BNO + 1, 1, p + 8, 2);
	CHECK_EQ(sys_io_submit(r, 2), EXO_EOVERLAP);
	r[0] = dreq(EXO_OP_READ, OWN_BNO, 1, p, 1);
	r[1] = dreq(EXO_OP_READ, OWN_BNO + 5, 2, p, 2);
	CHECK_EQ(sys_io_submit(r, 2), EXO_EOVERLAP); /* into one page */
	r[1] = dreq(EXO_OP_WRITE, OWN_BNO + 5, 1, p, 2);
	CHECK_EQ(sys_io_submit(r, 2), EXO_EOVERLAP); /* page read and sent */
	r[0] = dreq(EXO_OP_READ, OWN_BNO, 1, p, 1);
	r[1] = dreq(EXO_OP_READ, OWN_BNO, 1, p + 1, 2);
	CHECK_EQ(in->io_reads + in->io_writes, 0); /* nothing started */
	CHECK_EQ(sys_io_submit(r, 2), 2); /* one block, two pages: fine */
	CHECK_EQ(io_reap(c, 2, 2), 2);
	r[0] = dreq(EXO_OP_WRITE, OWN_BNO, 1, p, 1);
	r[1] = dreq(EXO_OP_WRITE, OWN_BNO + 1, 1, p, 2);
	CHECK_EQ(sys_io_submit(r, 2), 2); /* one page, two blocks: fine */
	CHECK_EQ(io_reap(c, 2, 2), 2);
	CHECK(c[0].res == 0 && c[1].res == 0);
}

/* While a 1 MiB write is in flight: an overlapping write, freeing its
 * pages, freeing its blocks.  Returns how many were refused; undoes any
 * that the kernel accepted because the write had finished already. */
static int inflight_try(void)
{
	struct exo_ioreq w = dreq(EXO_OP_WRITE, OWN_BNO, OWN_NB, big.ppn, 9);
	struct exo_iocomp c[2];
	exo_ppn p;
	exo_bno b;
	int r1, r2, r3, n = 1;

	if (sys_io_submit(&w, 1) != 1)
		return -1;
	r1 = submit1(dreq(EXO_OP_WRITE, OWN_BNO + 7, 1, flood.ppn, 8));
	r2 = sys_page_free(big.ppn + 3, 1);
	r3 = sys_block_free(OWN_BNO + 9, 1);
	n += r1 == 1;
	CHECK_EQ(io_reap(c, 2, (unsigned)n), n);
	if (r2 == 0)
		CHECK(!sys_page_alloc(big.ppn + 3, 1, &p) && p == big.ppn + 3);
	if (r3 == 0)
		CHECK(!sys_block_alloc(OWN_BNO + 9, 1, &b) && b == OWN_BNO + 9);
	if (r2 == 0)
		CHECK_EQ(sys_page_map(p, big.va + 3 * WORDS_PER_BLOCK, 1,
				      EXO_MAP_W),
			 0);
	return (r1 == EXO_EOVERLAP) + (r2 == EXO_EBUSY) + (r3 == EXO_EBUSY);
}

static void attack_inflight(void)
{
	int best = 0;

	for (int i = 0; i < 10 && best < 3; i++) {
		int k = inflight_try();

		best = k > best ? k : best;
	}
	CHECK_EQ(best, 3);
}

/* Single requests until EXO_EAGAIN, then all of them reaped. */
static void attack_flood(void)
{
	struct exo_iocomp c[FLOOD_NP];
	unsigned n = 0, got = 0, bad = 0;
	int r = 0;

	while (n <= FLOOD_NP &&
	       (r = submit1(dreq(EXO_OP_READ, OWN_BNO + n % 16, 1,
				 flood.ppn + n % FLOOD_NP, n))) == 1)
		n++;
	CHECK_EQ(r, EXO_EAGAIN);
	CHECK(n >= EXO_IO_DEPTH && n <= EXO_IORING_N);
	while (got < n) {
		int k = io_reap(c, FLOOD_NP, 1);

		if (k <= 0)
			break;
		for (int j = 0; j < k; j++)
			bad += c[j].res != 0 || c[j].tag >= n;
		got += (unsigned)k;
	}
	CHECK_EQ(got, n);
	CHECK_EQ(bad, 0);
	CHECK_EQ(in->io_inflight, 0);
	CHECK_EQ(dio(EXO_OP_READ, OWN_BNO, 1, flood.ppn), 0); /* drained */
}

static void wait_idle(void)
{
	while (in->io_inflight)
		sys_yield();
}

/* The ring holds EXO_IORING_N completions: two full batches reaped by
 * no one leave no room, whatever is in flight; consuming makes room. */
static void attack_ring(void)
{
	struct exo_ioreq r[EXO_IO_DEPTH];
	struct exo_iocomp c[EXO_IORING_N];
	unsigned k, bad = 0;

	for (unsigned i = 0; i < EXO_IO_DEPTH; i++)
		r[i] = dreq(EXO_OP_READ, OWN_BNO + i, 1, flood.ppn + i, i);
	CHECK_EQ(sys_io_submit(r, EXO_IO_DEPTH), EXO_IO_DEPTH);
	wait_idle();
	CHECK_EQ(sys_io_submit(r, EXO_IO_DEPTH), EXO_IO_DEPTH);
	wait_idle();
	CHECK_EQ(sys_io_submit(r, 1), EXO_EAGAIN);
	k = io_ring_reap(c, EXO_IORING_N); /* no system call */
	CHECK_EQ(k, EXO_IORING_N);
	for (unsigned i = 0; i < k; i++)
		bad += c[i].res != 0 || c[i].tag >= EXO_IO_DEPTH;
	CHECK_EQ(bad, 0);
	CHECK_EQ(sys_io_submit(r, 1), 1);
	CHECK_EQ(io_reap(c, 1, 1), 1);
}

/* A tail past the head (or going backwards) is ignored. */
static void attack_tail(void)
{
	static volatile uint64_t lie;
	const volatile struct exo_ioring *ring = sys_io_ring(&lie);
	struct exo_iocomp c;

	CHECK((int64_t)ring > 0 && ring->size == EXO_IORING_N);
	lie += 1ull << 60;
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, big.ppn, 77)), 1);
	CHECK_EQ(sys_io_reap(&c, 1, 1), 1);
	CHECK(c.tag == 77 && c.res == 0);
	lie = 0;
	CHECK_EQ(submit1(dreq(EXO_OP_READ, OWN_BNO, 1, big.ppn, 78)), 1);
	CHECK_EQ(sys_io_reap(&c, 1, 1), 1);
	CHECK(c.tag == 78 && c.res == 0);
	CHECK_EQ(io_ring_init(), 0); /* back to the runtime's tail */
}

int main(int argc, char **argv)
{
	exo_bno b;

	(void)argc;
	(void)argv;
	in = sys_info();
	CHECK_EQ(page_take(busy_ppn()), 0);   /* see victim.h */
	CHECK_EQ(page_wait(ack_ppn(), 1), 0); /* the victim is ready */
	attack_detached();
	attack_attach();
	CHECK_EQ(io_ring_init(), 0);
	CHECK_EQ(dbuf_get(&big, OWN_NB, BIG_VA), 0);
	CHECK_EQ(dbuf_get(&flood, FLOOD_NP, FLOOD_VA), 0);
	CHECK_EQ(sys_block_alloc(OWN_BNO, OWN_NB, &b), 0);
	CHECK_EQ(b, OWN_BNO);
	attack_blocks();
	attack_io_blocks();
	attack_io_pages();
	attack_io_args();
	attack_overlap_batch();
	attack_inflight();
	attack_flood();
	attack_ring();
	attack_tail();
	CHECK_EQ(sys_block_free(OWN_BNO, OWN_NB), 0);
	CHECK_EQ(sys_page_free(busy_ppn(), 1), 0); /* the attack is over */
	return ut_done("diskhostile");
}
